"""Result cards kept per process (issue #17): each page gets its own parts, and a change is seen at once.

A card is rendered once per listing, language and directory version (directory/views.listing_cards); the
link's search trail, the position, the distance and the "Zet op mijn lijstje" button are each page's own.
"""

import re
from html import unescape

from flask_babel import refresh

from sociale_kaart import transactions
from sociale_kaart.extensions import db
from sociale_kaart.lists.services import SESSION_KEY
from tests.builders import make_location, make_service
from tests.conftest import make_app


def _card(html, service_id):
    """Return the <li> of a service's card on a results page."""
    found = re.search(rf'<li class="listing"[^>]*data-url="/aanbod/{service_id}/.*?\n</li>', html, re.S)
    assert found, f"no card of service {service_id}"
    return found.group(0)


def _links(card):
    return [unescape(link) for link in re.findall(r'href="([^"]*)"', card)]


def test_a_kept_card_gets_each_pages_own_trail_position_distance_and_button(client):
    service = make_service(name="Boodschappenhulp Doorn", summary="Wij doen uw boodschappen.")
    make_service(name="Boodschappen samen", location=make_location(lat=52.0500, lon=5.3600))

    def card(url):
        return _card(client.get(url).get_data(as_text=True), service.id)

    plain = card("/zoeken?q=boodschappen")
    near = card("/zoeken?q=boodschappen&waar=3941AB&straal=5&sorteer=distance")
    on_map = card("/kaart?q=boodschappen")
    far = card("/zoeken?q=boodschappen&waar=3958&straal=25&sorteer=distance")

    link, add = _links(plain)
    assert link == f"/aanbod/{service.id}/{service.slug}?zoek=q%3Dboodschappen"
    assert add == f"/lijstje/toevoegen?aanbod={service.id}&terug=/zoeken?q%3Dboodschappen"
    assert _links(near) == [
        f"/aanbod/{service.id}/{service.slug}?zoek=q%3Dboodschappen%26waar%3D3941AB%26straal%3D5%26sorteer%3Ddistance",
        f"/lijstje/toevoegen?aanbod={service.id}&terug=/zoeken?q%3Dboodschappen%26waar%3D3941AB%26straal%3D5%26sorteer%3Ddistance",
    ]
    assert _links(on_map)[0].endswith("?zoek=q%3Dboodschappen%26kaart%3D1")
    assert "listing__distance" not in plain
    # the same card (it has a distance on both pages), each with its own distance and position
    assert re.search(r'class="listing__distance">([^<]*)<', near).group(1) == "0 m"  # at the postcode itself
    assert re.search(r'class="listing__distance">([^<]*)<', far).group(1) == "9,4 km"
    positions = [re.search(r'data-position="(\d+)"', card).group(1) for card in (near, far)]
    assert positions == ["1", "2"]  # nearest first: first from 3941 AB, second from Amerongen
    for card in (plain, near, on_map, far):
        assert "Wij doen uw boodschappen." in card and "\0" not in card


def test_a_visitor_with_a_session_gets_their_own_button_on_a_kept_card(client):
    service = make_service(name="Boodschappenhulp Doorn")
    assert "/lijstje/toevoegen?aanbod=" in client.get("/zoeken?q=boodschappen").get_data(as_text=True)
    with client.session_transaction() as session:
        session["lang"] = "nl"
    card = _card(client.get("/zoeken?q=boodschappen").get_data(as_text=True), service.id)
    assert '<form class="inline-form" method="post" action="/lijstje/toevoegen">' in card
    assert 'name="csrf_token"' in card and f'name="service_id" value="{service.id}"' in card
    with client.session_transaction() as session:
        session[SESSION_KEY] = [service.id]
    card = _card(client.get("/zoeken?q=boodschappen").get_data(as_text=True), service.id)
    assert "Staat op uw lijstje." in card and "<form" not in card


def test_a_kept_card_is_in_the_visitors_language(client):
    service = make_service(name="Boodschappenhulp Doorn", cost=["gratis"])
    assert "Gratis" in _card(client.get("/zoeken?q=boodschappen").get_data(as_text=True), service.id)
    client.get("/taal/en")
    refresh()  # the test's app context outlives a request: Flask-Babel would keep the first request's language
    card = _card(client.get("/zoeken?q=boodschappen").get_data(as_text=True), service.id)
    assert "Free" in card and "Gratis" not in card


def test_a_kept_card_and_its_data_are_made_again_after_a_change_through_another_server(app, tmp_path):
    other = make_app(tmp_path, name="second_server", SQLALCHEMY_DATABASE_URI=app.config["SQLALCHEMY_DATABASE_URI"])
    service = make_service(name="Boodschappenhulp Doorn", summary="Op dinsdag.")
    browser = other.test_client()
    try:
        assert "Op dinsdag." in _card(browser.get("/zoeken?q=boodschappen").get_data(as_text=True), service.id)
        service.summary = "Op woensdag."
        service.location_links[0].location.address_1 = "Kerkplein 2"
        transactions.commit()  # through app A
        card = _card(browser.get("/zoeken?q=boodschappen").get_data(as_text=True), service.id)
        assert "Op woensdag." in card and "Kerkplein 2" in card and "Op dinsdag." not in card
        service.status = "defunct"
        transactions.commit()
        assert "Boodschappenhulp Doorn" not in browser.get("/zoeken?q=boodschappen").get_data(as_text=True)
    finally:
        with other.app_context():
            db.engine.dispose()
