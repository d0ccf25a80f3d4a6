"""Templates translate through web/pages._template_gettext (issue #17): the same text as Jinja's newstyle gettext,
each text without variables translated and formatted once per language."""

from flask_babel import force_locale, refresh

TEMPLATE = (
    "{{ _('Zoeken') }}|{{ _('100%% gratis') }}|{{ _('Gemeente %(name)s', name=name) }}|"
    "{% autoescape false %}{{ _('Gemeente %(name)s', name=name) }}|{{ _('Zoeken') }}{% endautoescape %}"
)


def test_template_texts_are_translated_escaped_and_formatted_as_jinja_does(app):
    template = app.jinja_env.from_string(TEMPLATE)
    with app.test_request_context("/"):
        for _round in range(2):  # translated, then kept
            assert template.render(name="<Doorn & Co>") == (
                "Zoeken|100% gratis|Gemeente &lt;Doorn &amp; Co&gt;|Gemeente <Doorn & Co>|Zoeken"
            )
        with force_locale("en"):
            assert template.render(name="Rhenen").startswith("Search|")
        refresh()
        assert template.render(name="Rhenen").startswith("Zoeken|")
