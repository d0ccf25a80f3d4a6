"""Service pages kept per process (issue #17): each visitor gets their own parts, and the page changes when the
service opens or closes, when the day ends and when the directory changes, through any server.

A service page's content is rendered once per service, language and directory version (directory/views.
kept_service_page); the breadcrumb back to the search, the "Zet op mijn lijstje" button and the report form's
token are each visitor's own.
"""

import re
from datetime import datetime, timedelta
from html import unescape

from flask_babel import refresh

from sociale_kaart import clock, transactions
from sociale_kaart.extensions import db
from tests.builders import make_service
from tests.conftest import make_app, pinned_start


def _page(client, url):
    response = client.get(url)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "\0" not in html
    return html


def _breadcrumb(html):
    return unescape(re.search(r'<p class="breadcrumbs"><a href="([^"]*)"', html).group(1))


def _fact(html):
    """Return the open-state badge of the page's key facts."""
    return re.findall(r'<li class="fact[^"]*">(Nu open|Nu gesloten|Op afspraak)</li>', html)


def _local(day_offset, hour, minute, second=0):
    """Return an aware moment, local time, on the day `day_offset` days after the first Wednesday from the test's
    start (make_service's default hours: Wednesday 09:00-17:00)."""
    start = clock.to_local(pinned_start())
    wednesday = start.date() + timedelta(days=(2 - start.weekday()) % 7 + day_offset)
    return datetime(wednesday.year, wednesday.month, wednesday.day, hour, minute, second, tzinfo=clock.zone())


def test_a_kept_service_page_gets_each_visitors_breadcrumb_button_and_token(app):
    service = make_service(name="Boodschappenhulp Doorn", summary="Wij doen uw boodschappen.")
    url = f"/aanbod/{service.id}/{service.slug}"
    resident, other = app.test_client(), app.test_client()

    plain = _page(resident, url)
    from_search = _page(resident, f"{url}?zoek=q%3Dboodschappen%26waar%3DDoorn")
    from_map = _page(other, f"{url}?zoek=q%3Dboodschappen%26kaart%3D1")
    assert _breadcrumb(plain) == "/zoeken"
    assert _breadcrumb(from_search) == "/zoeken?q=boodschappen&waar=Doorn"
    assert _breadcrumb(from_map) == "/kaart?q=boodschappen"
    for html in (plain, from_search, from_map):
        assert html.count("Wij doen uw boodschappen.") == 2  # the meta description and the summary
        assert f'<link rel="canonical" href="http://localhost/aanbod/{service.id}/{service.slug}">' in html
    # the list button's form returns to the page as it was asked for, with the visitor's token
    assert f'name="next" value="{url}?zoek=q%3Dboodschappen%26waar%3DDoorn"' in from_search
    tokens = re.findall(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"', from_search)
    assert len(tokens) == 2 and len(set(tokens)) == 1  # the list button's and the report form's: the visitor's
    refused = other.post("/lijstje/toevoegen", data={"service_id": service.id, "next": url})
    assert refused.status_code == 400
    added = resident.post("/lijstje/toevoegen", data={"service_id": service.id, "next": url, "csrf_token": tokens[0]})
    assert added.status_code in (302, 303)
    listed = _page(resident, url)
    assert "Staat op uw lijstje." in listed and 'action="/lijstje/toevoegen"' not in listed
    assert 'action="/lijstje/toevoegen"' in _page(other, url)


def test_a_kept_service_page_opens_closes_and_moves_to_the_next_day_with_the_clock(app, app_clock):
    service = make_service(name="Boodschappenhulp Doorn")
    url = f"/aanbod/{service.id}/{service.slug}"
    client = app.test_client()
    app_clock.start(_local(0, 8, 59, 50))
    assert _fact(_page(client, url)) == ["Nu gesloten"]
    app_clock.start(_local(0, 9, 0, 10))
    opened = _page(client, url)
    assert _fact(opened) == ["Nu open"]
    assert re.search(r'<tr class="hours__today">\s*<th scope="row">woensdag', opened)
    app_clock.start(_local(0, 16, 59, 59))
    assert _fact(_page(client, url)) == ["Nu open"]
    app_clock.start(_local(0, 17, 0, 0))
    assert _fact(_page(client, url)) == ["Nu gesloten"]
    app_clock.start(_local(1, 0, 0, 1))
    next_day = _page(client, url)
    assert _fact(next_day) == ["Nu gesloten"]
    assert re.search(r'<tr class="hours__today">\s*<th scope="row">donderdag', next_day)
    app_clock.start(_local(0, 10, 0, 0))  # set back
    assert _fact(_page(client, url)) == ["Nu open"]


def test_a_kept_service_page_is_in_the_visitors_language(app):
    service = make_service(name="Boodschappenhulp Doorn", cost=["gratis"])
    client = app.test_client()
    url = f"/aanbod/{service.id}/{service.slug}"
    assert "Wat kost het?" in _page(client, url)
    client.get("/taal/en")
    refresh()  # the test's app context outlives a request: Flask-Babel would keep the first request's language
    english = _page(client, url)
    assert "What does it cost?" in english and "Wat kost het?" not in english


def test_a_kept_service_page_is_made_again_after_a_change_through_another_server(app, tmp_path):
    other = make_app(tmp_path, name="second_server", SQLALCHEMY_DATABASE_URI=app.config["SQLALCHEMY_DATABASE_URI"])
    service = make_service(name="Boodschappenhulp Doorn", summary="Op dinsdag.")
    url = f"/aanbod/{service.id}/{service.slug}"
    browser = other.test_client()
    try:
        assert "Op dinsdag." in _page(browser, url)
        service.summary = "Op woensdag."
        service.location_links[0].location.address_1 = "Kerkplein 2"
        transactions.commit()  # through app A
        changed = _page(browser, url)
        assert "Op woensdag." in changed and "Kerkplein 2" in changed and "Op dinsdag." not in changed
        service.publication_status = "pending"
        transactions.commit()
        assert browser.get(url).status_code == 404
    finally:
        with other.app_context():
            db.engine.dispose()
