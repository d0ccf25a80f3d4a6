"""The header and footer of every page, kept per process (issue #17).

For a visitor who is not signed in, the header is rendered once per language, municipality, page and size of their
list with a marker for the language switch's way back (web/views.site_header), the footer once per language and
municipality (web/views.site_footer). Filled in, they must be what templates/_layout.html gives for the request.
"""

import re

import pytest
from flask import get_template_attribute, render_template_string, request, session, url_for
from flask_babel import refresh
from flask_login import current_user

from sociale_kaart.lists.services import SESSION_KEY
from sociale_kaart.web import views
from tests.workspace.helpers import login_as, logout

PAGES = [
    "/zoeken?q=%22%3Cb%3Eh%C3%A9%27s+%26+co%3C%2Fb%3E%22&waar=3941+AB",
    "/zoeken?q=boodschappen",
    "/zoeken",
    "/over-deze-kaart",
    "/kaart?q=oppas&straal=5",
    "/bestaat-niet",
]


def _direct(here, place_name, other_language):
    """The header and footer as the macros render them for this request."""
    header = get_template_attribute("_layout.html", "site_header")(
        here,
        place_name,
        request.endpoint,
        current_user,
        0,
        other_language,
        url_for("web.set_language", code=other_language, next=request.full_path),
    )
    footer = get_template_attribute("_layout.html", "site_footer")
    return str(header), footer


@pytest.mark.parametrize("language", ["nl", "en"])
def test_a_kept_header_and_footer_are_the_ones_rendered_for_the_page(app, language):
    for _round in range(2):  # made, then kept
        for path in PAGES:
            with app.test_request_context(path):
                app.preprocess_request()
                session["lang"] = language
                refresh()
                here, place_name = views._header()
                kept = render_template_string("{{ site_header() }}|{{ site_footer() }}")
                other = "en" if language == "nl" else "nl"
                header, footer = _direct(here, place_name, other)
                context = render_template_string("{{ attribution }}|{{ attribution_url }}|{{ license_url }}").split("|")
                assert kept == f"{header}|{footer(here, *context)}"
                assert "\0" not in kept
                assert f'hreflang="{other}"' in kept
    # one header per page type and language, one footer per language
    assert len(app.extensions[views._LAYOUT]) == len({"directory.search", "web.about", "directory.map_view", None}) + 1


def test_the_language_switch_leads_back_to_each_page_itself(app, client):
    for query in ("q=hulp", "q=oppas&waar=Doorn", "q=%26%3C"):
        page = client.get(f"/zoeken?{query}").get_data(as_text=True)
        switch = re.search(r'<a class="language-switch" href="([^"]+)"', page).group(1)
        with app.test_request_context("/"):
            expected = url_for("web.set_language", code="en", next=f"/zoeken?{query}")
        assert switch == expected.replace("&", "&amp;")


def test_a_signed_in_visitor_gets_their_own_menu_and_nobody_else_sees_it(app, client):
    from tests.builders import make_user

    assert "Inloggen" in client.get("/zoeken?q=hulp").get_data(as_text=True)  # an anonymous header kept
    login_as(client, make_user(roles=("broker",)))
    mine = client.get("/zoeken?q=hulp").get_data(as_text=True)
    assert "Uitloggen" in mine and "Mijn account" in mine and "Inloggen" not in mine
    assert 'name="csrf_token"' in mine.split("</header>")[0]  # the logout form's token, this visitor's
    logout(client)
    theirs = client.get("/zoeken?q=hulp").get_data(as_text=True)
    assert "Uitloggen" not in theirs and "Mijn account" not in theirs and "Inloggen" in theirs


def test_a_list_in_the_session_shows_its_size_in_the_menu(client):
    from tests.builders import make_service

    service = make_service(name="Koffieochtend")
    assert "Mijn lijstje" not in client.get("/over-deze-kaart").get_data(as_text=True)
    with client.session_transaction() as session:
        session[SESSION_KEY] = [service.id]
    page = client.get("/over-deze-kaart").get_data(as_text=True)
    assert "Mijn lijstje (1)" in page
