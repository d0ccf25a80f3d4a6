"""The search form and the filters of a results page, kept per process (issue #17).

The search form is rendered once per language, action, label and distance with markers for the visitor's words,
place and hidden fields (directory/views.search_form); each filter group and value once per language and directory
version with markers for the count and the check mark (directory/views.facet_groups). Filled in, they must be the
HTML the templates give for the page itself.
"""

import re

import pytest
from flask import render_template, request, url_for
from flask_babel import refresh
from markupsafe import Markup, escape

from sociale_kaart import transactions
from sociale_kaart.directory import views
from sociale_kaart.directory.forms import SearchForm
from tests.builders import make_service

QUERIES = [
    "",
    "q=boodschappen",
    "q=%22%3Cb%3Eh%C3%A9%27s+%26+co%3C%2Fb%3E%22&waar=3941+AB&straal=5",
    "q=maaltijd&waar=Doorn&straal=10&category=respijtzorg&category=vervoer&open=y&sorteer=distance",
    "q=oppas&gemeente=rhenen&cost=gratis&straal=",
    "waar=Leersum&straal=25&pyramid_level=vrij_toegankelijk&language=en",
]


@pytest.mark.parametrize("query", QUERIES)
@pytest.mark.parametrize("heading_id, label, keep_filters", [("zoek-titel", None, True), (None, "Wijzigen", True)])
def test_a_kept_search_form_is_the_form_rendered_for_the_page(app, query, heading_id, label, keep_filters):
    for _round in range(2):  # made, then kept
        with app.test_request_context(f"/zoeken?{query}"):
            form = SearchForm(request.args)
            assert form.validate()
            hidden = views.get_template_attribute("directory/_search_hidden.html", "hidden_fields")(
                form, request.args, keep_filters
            )
            expected = render_template(
                "directory/_search_form.html",
                form=form,
                action="/zoeken",
                heading_id=heading_id,
                label=label,
                hidden=hidden,
                waar_hint=views.waar_hint(form),
            )
            assert views.search_form(form, "/zoeken", heading_id, label, keep_filters) == Markup(expected)
    assert len(app.extensions[views._SEARCH_FORMS]) == 1


def test_a_search_form_with_errors_shows_them_and_the_words_as_typed(client):
    page = client.get("/zoeken?q=" + "x" * 300 + "&straal=7").get_data(as_text=True)
    assert 'aria-invalid="true"' in page and "Kies alleen uit de lijst." in page
    assert 'value="' + "x" * 300 + '"' in page
    assert "\0" not in page


def test_each_results_page_gets_its_own_counts_and_check_marks_on_kept_filters(client):
    make_service(name="Boodschappenhulp Doorn", categories=("huishouden",), cost=["gratis"])
    make_service(name="Boodschappen samen", categories=("huishouden", "ontmoeting_activiteiten"), cost=["betaald"])
    make_service(name="Koffie-ochtend", categories=("ontmoeting_activiteiten",), cost=["betaald"])
    transactions.commit()

    def checkbox(page, facet, code):
        found = re.search(
            rf'<input type="checkbox" id="f-{facet}-{code}" name="{facet}" value="{code}"( checked)?>\s*'
            rf'<label for="f-{facet}-{code}">([^<]*) <span class="count">\((\d+)\)</span>',
            page,
        )
        return found and (bool(found.group(1)), found.group(2), int(found.group(3)))

    everything = client.get("/zoeken?q=").get_data(as_text=True)
    chosen = client.get("/zoeken?category=ontmoeting_activiteiten").get_data(as_text=True)
    words = client.get("/zoeken?q=boodschappen").get_data(as_text=True)
    assert checkbox(everything, "category", "ontmoeting_activiteiten")[::2] == (False, 2)
    assert checkbox(chosen, "category", "ontmoeting_activiteiten")[::2] == (True, 2)
    assert checkbox(chosen, "category", "huishouden")[::2] == (False, 1)
    assert checkbox(words, "category", "ontmoeting_activiteiten")[::2] == (False, 1)
    assert checkbox(words, "cost", "betaald")[::2] == (False, 1)
    assert checkbox(words, "cost", "gratis") is None  # the quick choice offers it
    for page in (everything, chosen, words):
        assert "\0" not in page and page.count('<fieldset class="facet">') >= 3


def test_kept_filters_follow_the_language_and_a_changed_label(app, client):
    make_service(name="Koffie-ochtend", categories=("ontmoeting_activiteiten",))
    transactions.commit()
    dutch = client.get("/zoeken?q=koffie").get_data(as_text=True)
    assert "<summary>Onderwerp</summary>" in dutch
    client.get("/taal/en")
    refresh()  # the test's app context outlives a request: Flask-Babel would keep the first request's language
    english = client.get("/zoeken?q=koffie").get_data(as_text=True)
    assert "<summary>Topic</summary>" in english and "<summary>Onderwerp</summary>" not in english


# Pages whose summary, list, page links and filters take each shape: results or none, a suggestion, a place outside
# the municipality, past the last page, sorted either way, with filters and the open filter on, on the map.
PAGES = [
    "/zoeken?q=",
    "/zoeken?q=boodschappen&waar=Doorn&straal=10",
    "/zoeken?q=boodschappen&waar=Doorn&sorteer=distance&category=huishouden&open=y",
    "/zoeken?q=boodschapprn",
    "/zoeken?q=xyzzy+qqq&waar=Doorn",
    "/zoeken?q=oppas&waar=Amsterdam",
    "/zoeken?q=%22%3Cb%3Eh%C3%A9%27s+%26+co%3C%2Fb%3E%22&waar=3941+AB&straal=5",
    "/zoeken?q=&pagina=2",
    "/zoeken?q=&pagina=9",
    "/kaart?waar=Doorn&straal=25&cost=gratis&pagina=3",
    "/onderwerpen/huishouden?waar=Doorn&straal=10&pagina=2",
]


def _results_with_many_pages():
    for number in range(45):
        make_service(name=f"Boodschappenhulp {number}", categories=("huishouden",), cost=["gratis"])
    transactions.commit()


def test_kept_parts_of_a_results_page_are_the_parts_rendered_with_its_values(app, client, monkeypatch):
    _results_with_many_pages()
    kept_pages = [client.get(path).get_data(as_text=True) for path in PAGES]
    kept_again = [client.get(path).get_data(as_text=True) for path in PAGES]

    def rendered(template, shape, values):  # the template rendered with the page's own values, nothing kept
        return Markup(render_template(template, s=shape, v={name: escape(value) for name, value in values.items()}))

    monkeypatch.setattr(views, "_kept_part", rendered)
    for path, kept, again in zip(PAGES, kept_pages, kept_again, strict=True):
        page = client.get(path).get_data(as_text=True)
        assert kept == again == page, path
        assert "\0" not in page
    assert "Bedoelde u:" in kept_pages[3] and "ligt buiten de gemeente" in kept_pages[5]
    assert "Naar de laatste pagina (3)" in kept_pages[8] and 'aria-current="page">3<' in kept_pages[9]
    assert "&lt;b&gt;hé&#39;s &amp; co&lt;/b&gt;" in kept_pages[6]


def test_a_results_page_link_is_the_url_for_of_its_search(app):
    query = "q=a+%26+b%2Fc%3F%C3%A9&waar=3941+AB&category=huishouden&category=vervoer&pagina=2&x=%00"
    with app.test_request_context(f"/zoeken?{query}"):
        assert request.endpoint == "directory.search"
        for endpoint in ("directory.search", "directory.map_view"):
            for changes in ({}, {"sorteer": "distance"}, {"q": "ö ø"}, {"pagina": 3}, {"category": None}):
                args = request.args.to_dict(flat=False)
                for key, value in changes.items():
                    if value is None:
                        args.pop(key)
                    else:
                        args[key] = [value]
                if "pagina" not in changes:
                    args.pop("pagina")
                assert views.search_url_with(endpoint, **changes) == url_for(endpoint, **args)
        assert views.search_path("directory.map_view") == "/kaart"
