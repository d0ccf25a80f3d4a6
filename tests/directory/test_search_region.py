"""Search across borders (issue #20): a whole municipality stays within it, a radius crosses the border."""

import pytest

from sociale_kaart import transactions
from sociale_kaart.directory import indexing, municipalities, services
from sociale_kaart.directory.models import Area
from sociale_kaart.extensions import db
from tests.builders import make_location, make_service, make_user
from tests.matching.factories import load_areas


def _search(**values):
    return services.search_cards(services.SearchCriteria(per_page=100, stay_in_municipality=True, **values))


def _names(page):
    return {card.service.name for card in page.listings}


@pytest.fixture
def region(app):
    """Utrechtse Heuvelrug and Rhenen, a service in Amerongen (3958) and one in Elst (3922, ~2 km away)."""
    with app.test_request_context():
        load_areas()
        municipalities.add_municipality("0340", by=make_user(roles=("admin",)))
        amerongen = make_location(postal_code="3958 AA", city="Amerongen", lat=52.0022, lon=5.4595)
        elst = make_location(postal_code="3922 AA", city="Elst", lat=51.9893, lon=5.4857)
        make_service(location=amerongen, name="Koffieochtend Amerongen")
        make_service(location=elst, name="Koffieochtend Elst")
        yield app
        db.session.remove()


def test_the_document_of_a_listing_names_the_municipalities_it_serves(region):
    documents = {document["name"]: document for document in indexing.documents()}
    assert documents["Koffieochtend Elst"]["municipality"] == ["0340"]
    assert documents["Koffieochtend Amerongen"]["municipality"] == ["1581"]


def test_a_service_in_elst_appears_in_a_5_km_search_from_amerongen_and_is_marked(region):
    page = _search(text="koffieochtend", where="3958", radius_km=5)
    cards = {card.service.name: card for card in page.listings}
    assert set(cards) == {"Koffieochtend Amerongen", "Koffieochtend Elst"}
    assert cards["Koffieochtend Elst"].elsewhere == ("Rhenen",)
    assert cards["Koffieochtend Amerongen"].elsewhere == ()
    assert page.home_code == "1581" and not page.outside_region


@pytest.mark.parametrize(
    "where, municipality, expected",
    [
        ("Utrechtse Heuvelrug", None, {"Koffieochtend Amerongen"}),  # a municipality's name
        ("3958", None, {"Koffieochtend Amerongen"}),  # a postcode with "Hele gemeente"
        ("", "1581", {"Koffieochtend Amerongen"}),  # from the entry page /utrechtse-heuvelrug/
        ("", "0340", {"Koffieochtend Elst"}),  # from /rhenen/
        ("3922", None, {"Koffieochtend Elst"}),
        ("", None, {"Koffieochtend Amerongen", "Koffieochtend Elst"}),  # the region's root, no place
    ],
)
def test_a_whole_municipality_search_stays_within_it(region, where, municipality, expected):
    page = _search(text="koffieochtend", where=where, municipality=municipality)
    assert _names(page) == expected


def test_a_region_wide_search_names_every_listings_municipality(region):
    cards = {card.service.name: card.elsewhere for card in _search(text="koffieochtend").listings}
    assert cards == {"Koffieochtend Amerongen": ("Utrechtse Heuvelrug",), "Koffieochtend Elst": ("Rhenen",)}


def test_a_service_area_across_the_border_serves_both_municipalities(region):
    elst_area = db.session.scalar(db.select(Area).where(Area.name == "Elst"))
    service = make_service(
        location=make_location(postal_code="3958 AB", city="Amerongen", lat=52.0022, lon=5.4595),
        name="Koffieochtend voor beide",
    )
    service.service_areas = [elst_area]
    transactions.commit()
    assert municipalities.codes_of_services([service.id]) == {service.id: {"0340", "1581"}}
    assert "Koffieochtend voor beide" in _names(_search(text="koffieochtend", municipality="0340"))
    cards = {card.service.name: card.elsewhere for card in _search(text="koffieochtend", where="3922").listings}
    assert cards["Koffieochtend voor beide"] == ()


def test_a_place_outside_the_region_is_flagged(region):
    page = _search(text="koffieochtend", where="Zeist")
    assert page.outside_region
    assert _names(page) == {"Koffieochtend Amerongen", "Koffieochtend Elst"}  # nearest first, no filter
    assert not _search(text="koffieochtend", where="3911").outside_region


def test_one_municipality_marks_nothing(app):
    with app.test_request_context():
        load_areas()
        make_service(location=make_location(postal_code="3922 AA", city="Elst", lat=51.9893, lon=5.4857), name="Elst")
        page = _search(where="3958", radius_km=5)
        assert [card.elsewhere for card in page.listings] == [()]
        assert page.outside_region is False  # 3958 is the installation's own
        assert _search(where="Utrechtse Heuvelrug").total == 1  # no municipality filter
        db.session.remove()


def test_the_result_card_and_the_map_say_gemeente_rhenen(region):
    client = region.test_client()
    html = client.get("/kaart?q=koffieochtend&waar=3958&straal=5").get_data(as_text=True)
    assert html.count('<p class="listing__municipality">Gemeente Rhenen</p>') == 1
    assert html.count('data-municipality="Gemeente Rhenen"') == 1
    html = client.get("/zoeken?q=koffieochtend&waar=Zeist").get_data(as_text=True)
    assert "ligt buiten de gemeenten van deze kaart" in html
    assert "Hieronder staat wat het dichtst bij is." in html


def test_a_search_from_outside_the_region_promises_nothing_below_when_nothing_is_found(region):
    html = region.test_client().get("/zoeken?q=xqzvw&waar=Zeist&straal=5").get_data(as_text=True)
    assert "ligt buiten de gemeenten van deze kaart" in html and "Geen resultaten gevonden" in html
    assert "dichtst bij" not in html


def test_adding_a_municipality_moves_the_listings_already_at_its_postcodes(app):
    with app.test_request_context():
        load_areas()
        elst = make_location(postal_code="3922 AA", city="Elst", lat=51.9893, lon=5.4857)
        make_service(location=elst, name="Koffieochtend Elst")
        assert [d["municipality"] for d in indexing.documents()] == [["1581"]]  # Rhenen is no part of it yet
        municipalities.add_municipality("0340", by=make_user(roles=("admin",)))
        assert elst.area.name == "Elst"
        page = _search(text="koffieochtend", municipality="0340")
        assert _names(page) == {"Koffieochtend Elst"}  # the index was brought up to date at the commit
        db.session.remove()


def test_in_a_region_a_place_name_prefers_its_municipalities(region):
    place = services.resolve_place("Elst")
    assert (place.place, place.municipality_code) == ("Elst", "0340")  # not Elst in Overbetuwe
    assert _names(_search(text="koffieochtend", where="Elst")) == {"Koffieochtend Elst"}


def test_one_municipality_prefers_its_own_places_as_before(app):
    with app.test_request_context():
        assert services.resolve_place("Elst").municipality_code != "0340"  # Rhenen is no part of it


def test_a_search_that_does_not_ask_to_stay_in_a_municipality_searches_the_region(region):
    """The API's: it filters on a municipality only when asked (?municipality=)."""
    criteria = services.SearchCriteria(text="koffieochtend", where="3958", per_page=100)
    assert {listing.service.name for listing in services.search_listings(criteria).listings} == {
        "Koffieochtend Amerongen",
        "Koffieochtend Elst",
    }
