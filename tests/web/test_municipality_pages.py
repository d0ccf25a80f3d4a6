"""An entry page per municipality and the region's choice page (issue #20)."""

import re
from pathlib import Path

import pytest
from werkzeug.exceptions import MethodNotAllowed

from sociale_kaart import transactions
from sociale_kaart.directory import freshness, municipalities
from sociale_kaart.directory.models import BRAND_COLOURS, Area, ServiceAtLocation
from sociale_kaart.extensions import db
from tests.builders import make_location, make_service, make_user
from tests.matching.factories import load_areas

CSS = Path(__file__).resolve().parents[2] / "static" / "css" / "main.css"


@pytest.fixture
def region(app):
    """Utrechtse Heuvelrug (blue) and Rhenen (green, with its desk's phone), a service in each; Elst has a dorpsteam."""
    with app.test_request_context():
        load_areas()
        admin = make_user(roles=("admin",))
        municipalities.add_municipality("0340", by=admin)
        municipalities.update_municipality(
            "0340", {"name": "Rhenen", "brand": "groen", "contact_phone": "0317 123 456"}, by=admin
        )
        elst = db.session.scalar(db.select(Area).where(Area.name == "Elst"))
        elst.contact_name = "Dorpsteam Elst"
        db.session.commit()
        make_service(
            location=make_location(postal_code="3958 AA", city="Amerongen", lat=52.0022, lon=5.4595),
            name="Koffieochtend Amerongen",
        )
        make_service(
            location=make_location(postal_code="3922 AA", city="Elst", lat=51.9893, lon=5.4857),
            name="Koffieochtend Elst",
        )
    yield app


def test_one_municipality_keeps_its_home_page_at_the_root(client):
    html = client.get("/").get_data(as_text=True)
    assert "Kies uw gemeente" not in html
    assert "Zoek hulp, activiteiten en vrijwilligers in Utrechtse Heuvelrug" in html
    assert 'class="brand-' not in html


def test_the_root_of_a_region_lists_its_municipalities_and_a_search_box(region):
    html = region.test_client().get("/").get_data(as_text=True)
    assert "Kies uw gemeente" in html
    assert 'href="/rhenen/"' in html and 'href="/utrechtse-heuvelrug/"' in html
    assert 'action="/zoeken"' in html and 'name="gemeente"' not in html
    assert "Rhenen, Utrechtse Heuvelrug" in html  # the header names the region


def test_a_search_from_a_postcode_at_the_root_crosses_the_border(region):
    html = region.test_client().get("/zoeken?q=koffieochtend&waar=3958&straal=5").get_data(as_text=True)
    assert "Koffieochtend Elst" in html and "Gemeente Rhenen" in html


def test_the_entry_page_of_a_municipality(region):
    html = region.test_client().get("/rhenen/").get_data(as_text=True)
    assert '<span class="site-name__place">Rhenen</span>' in html
    assert '<body class="brand-groen">' in html
    assert "Zoek hulp, activiteiten en vrijwilligers in Rhenen" in html
    assert '<input type="hidden" name="gemeente" value="rhenen">' in html
    assert ">Elst</a>" in html and ">Rhenen</a>" in html and ">Amerongen</a>" not in html  # its villages
    assert "0317 123 456" in html and "Dorpsteam Elst" in html
    assert "gemeente=rhenen" in html  # the tiles search in Rhenen


def test_a_search_from_an_entry_page_stays_in_its_municipality(region):
    client = region.test_client()
    html = client.get("/zoeken?q=koffieochtend&gemeente=rhenen").get_data(as_text=True)
    assert "Koffieochtend Elst" in html and "Koffieochtend Amerongen" not in html
    assert '<span class="site-name__place">Rhenen</span>' in html
    html = client.get("/zoeken?q=koffieochtend&gemeente=utrechtse-heuvelrug").get_data(as_text=True)
    assert "Koffieochtend Amerongen" in html and "Koffieochtend Elst" not in html


@pytest.mark.parametrize("path", ["/nergens/", "/zoeken/", "/%ff/", "/rhenen%00/"])
def test_an_unknown_slug_is_a_404_page(region, path):
    response = region.test_client().get(path)
    assert response.status_code == 404
    assert "<h1" in response.get_data(as_text=True)


@pytest.mark.parametrize("gemeente", ["nergens", "x" * 500, ""])
def test_an_unknown_municipality_in_a_search_is_ignored(region, gemeente):
    response = region.test_client().get("/zoeken", query_string={"q": "koffieochtend", "gemeente": gemeente})
    assert response.status_code == 200


def test_the_kept_entry_pages_are_one_per_municipality(region):
    client = region.test_client()
    assert "in Rhenen." in client.get("/rhenen/").get_data(as_text=True)
    assert "in Utrechtse Heuvelrug." in client.get("/utrechtse-heuvelrug/").get_data(as_text=True)
    assert "in Rhenen." in client.get("/rhenen/").get_data(as_text=True)


def test_no_page_of_the_site_can_be_a_municipality_slug(app):
    segments = {rule.rule.strip("/").split("/")[0] for rule in app.url_map.iter_rules()}
    plain = {segment for segment in segments if segment and "<" not in segment}
    assert plain <= municipalities.RESERVED_SLUGS, sorted(plain - municipalities.RESERVED_SLUGS)


@pytest.mark.parametrize("brand", sorted(set(BRAND_COLOURS) - {"blauw"}))
def test_every_brand_has_its_colour_in_the_stylesheet(brand):
    rule = re.search(rf"\.brand-{brand} \{{ --brand: (#[0-9a-f]{{6}});", CSS.read_text())
    assert rule and rule.group(1) == BRAND_COLOURS[brand]


def test_an_unknown_path_is_a_404_without_a_redirect(region):
    client = region.test_client()
    assert client.get("/niet-gevonden").status_code == 404
    assert client.get("/rhenen").status_code == 200


def test_an_entry_page_counts_what_serves_its_municipality(region):
    client = region.test_client()
    respite = re.compile(r'href="/onderwerpen/respijtzorg\?gemeente=(\S+)">[^<]*<span class="count">\((\d+)\)')
    assert respite.findall(client.get("/rhenen/").get_data(as_text=True)) == [("rhenen", "1")]
    assert respite.findall(client.get("/utrechtse-heuvelrug/").get_data(as_text=True)) == [("utrechtse-heuvelrug", "1")]


def test_an_entry_pages_tile_counts_each_listing_its_topic_page_shows(region):
    """A service at two locations is two results of the topic page, so two in its tile; a long-unchecked one none."""
    with region.test_request_context():
        service = make_service(
            location=make_location(postal_code="3911 AA", city="Rhenen", lat=51.9589, lon=5.5681),
            name="Respijt aan huis",
        )
        service.location_links.append(
            ServiceAtLocation(location=make_location(postal_code="3921 AA", city="Elst", lat=51.9193, lon=5.5954))
        )
        transactions.commit()  # indexes the second listing too
        make_service(
            location=make_location(postal_code="3911 AB", city="Rhenen", lat=51.9590, lon=5.5682),
            name="Respijt lang niet gecontroleerd",
            assured_date=freshness.cutoff("hidden"),
        )
    client = region.test_client()
    respite = re.compile(r'href="/onderwerpen/respijtzorg\?gemeente=rhenen">[^<]*<span class="count">\((\d+)\)')
    results = client.get("/onderwerpen/respijtzorg?gemeente=rhenen").get_data(as_text=True)
    assert respite.findall(client.get("/rhenen/").get_data(as_text=True)) == ["3"]
    assert "3 resultaten" in results and "Respijt lang niet gecontroleerd" not in results


def test_a_page_asked_with_another_method_is_still_that_pages_405(region):
    """GET /uitloggen (a POST-only route) is not taken for a municipality called "uitloggen"."""
    adapter = region.url_map.bind("localhost")
    with pytest.raises(MethodNotAllowed):
        adapter.match("/uitloggen", method="GET")
    assert adapter.match("/rhenen/", method="GET") == ("web.municipality_home", {"slug": "rhenen"})


def test_the_where_hint_gives_a_postcode_and_village_of_the_pages_municipality(region):
    client = region.test_client()
    hint = re.compile(r"Bijvoorbeeld: ([0-9]{4}) of ([^<]+)</")
    for path, expected in [
        ("/rhenen/", ("3911", "Rhenen")),  # the village that shares the municipality's name
        ("/zoeken?q=koffieochtend&gemeente=rhenen", ("3911", "Rhenen")),
        ("/utrechtse-heuvelrug/", ("3971", "Driebergen-Rijsenburg")),  # else the one with the most postcodes
        ("/zoeken?q=koffieochtend", ("3971", "Driebergen-Rijsenburg")),  # the installation's own
        ("/onderwerpen/respijtzorg", ("3971", "Driebergen-Rijsenburg")),
    ]:
        html = client.get(path).get_data(as_text=True)
        assert hint.findall(html) == [expected], path


def test_the_where_hint_of_a_municipality_without_villages_asks_in_words(app, client):
    html = client.get("/zoeken?q=hulp").get_data(as_text=True)
    assert "Een postcode of de naam van uw woonplaats" in html and "Bijvoorbeeld: 3941" not in html
