"""Which villages a municipality covers (issue #20): the admin adds and edits its areas; locations follow."""

import pytest

from sociale_kaart.directory import indexing, municipalities, services
from sociale_kaart.directory.models import Area, Location
from sociale_kaart.errors import NotFound, PermissionDenied, ValidationError
from sociale_kaart.extensions import db
from tests.accounts.forms_helper import post_form
from tests.builders import login, make_location, make_service, make_user
from tests.matching.factories import load_region


def _area(name):
    return db.session.scalar(db.select(Area).where(Area.name == name))


def _values(name="Elst-Noord", kind="wijk", postcodes="3922"):
    return {"name": name, "kind": kind, "postcodes": postcodes}


@pytest.fixture
def region(app):
    """The demo's areas of Utrechtse Heuvelrug and Rhenen (Rhenen: kernen Rhenen 3911, 3912 and Elst 3921, 3922)."""
    with app.test_request_context():
        load_region()
        yield app
        db.session.remove()


def test_an_admin_adds_an_area_to_a_municipality_without_areas(app):
    with app.test_request_context():
        admin = make_user(roles=("admin",))
        area = municipalities.add_area("1581", {"name": " Doorn ", "kind": "dorp", "postcodes": "3941"}, by=admin)
        assert (area.code, area.name, area.kind, area.postcodes, area.municipality_code) == (
            "doorn",
            "Doorn",
            "dorp",
            ["3941"],
            "1581",
        )
        assert (area.lat, area.lon) == (52.0388, 5.3363)
        assert municipalities.code_of_postcode4("3941") == "1581"
        assert municipalities.area_ids_of("1581") == {area.id}


def test_splitting_a_kern_moves_its_locations_and_the_search_finds_them_by_area(region):
    admin = make_user(roles=("admin",))
    elst = _area("Elst")
    location = make_location(postal_code="3922 AA", city="Elst", lat=51.9893, lon=5.4857, area=elst)
    make_service(location=location, name="Koffieochtend Elst-Noord")
    municipalities.update_area("0340", elst.id, _values("Elst", "kern", "3921"), by=admin)
    assert _area("Elst").postcodes == ["3921"]
    assert db.session.get(Location, location.id).area is None  # its postcode lies in no area now
    new = municipalities.add_area("0340", _values(), by=admin)
    assert new.code == "elst_noord" and db.session.get(Location, location.id).area_id == new.id
    document = next(d for d in indexing.documents() if d["name"] == "Koffieochtend Elst-Noord")
    assert document["area"] == ["elst_noord"] and document["municipality"] == ["0340"]
    page = services.search_cards(services.SearchCriteria(text="koffieochtend", filters={"area": ["elst_noord"]}))
    assert {card.service.name for card in page.listings} == {"Koffieochtend Elst-Noord"}
    page = services.search_cards(services.SearchCriteria(text="koffieochtend", filters={"area": ["elst"]}))
    assert page.listings == []


def test_an_area_code_is_unique(region):
    admin = make_user(roles=("admin",))
    municipalities.update_area("1581", _area("Doorn").id, _values("Doorn", "dorp", "3941"), by=admin)
    municipalities.update_area("0340", _area("Elst").id, _values("Elst", "kern", "3921"), by=admin)
    # "Doorn" as a name in Rhenen: its code may not be the other's
    area = municipalities.add_area("0340", _values("Doorn", "wijk", "3922"), by=admin)
    assert area.code == "doorn_0340"


@pytest.mark.parametrize(
    "values, field, message",
    [
        (_values(name=" "), "name", "Typ de naam van het gebied."),
        (_values(name="Elst"), "name", "Deze gemeente heeft al een gebied Elst."),
        (_values(name="x" * 121), "name", "hoogstens 120 tekens"),
        (_values(kind="stad"), "kind", "Kies of het gebied een kern, dorp of wijk is."),
        (_values(postcodes=""), "postcodes", "Typ minstens één postcode"),
        (_values(postcodes="3922AB"), "postcodes", "‘3922AB’ is geen postcode van vier cijfers"),
        (_values(postcodes="392"), "postcodes", "‘392’ is geen postcode van vier cijfers"),
        (_values(postcodes="3923"), "postcodes", "Postcode 3923 bestaat niet."),
        (_values(postcodes="3941"), "postcodes", "Postcode 3941 hoort bij de gemeente Utrechtse Heuvelrug."),
        (_values(postcodes="3511"), "postcodes", "Postcode 3511 hoort bij de gemeente Utrecht."),
        (_values(postcodes="3921, 3922"), "postcodes", "Postcode 3921 hoort al bij het gebied Elst."),
    ],
)
def test_each_rule_refuses_with_a_message_on_its_field(region, values, field, message):
    with pytest.raises(ValidationError) as refused:
        municipalities.add_area("0340", values, by=make_user(roles=("admin",)))
    assert refused.value.field == field and message in refused.value.message
    assert {area.name for area in db.session.scalars(db.select(Area).where(Area.municipality_code == "0340"))} == {
        "Elst",
        "Rhenen",
    }


def test_an_area_keeps_its_own_postcodes_when_edited(region):
    elst = _area("Elst")
    municipalities.update_area(
        "0340", elst.id, _values("Elst", "dorp", "3922;3921 3921"), by=make_user(roles=("admin",))
    )
    assert (elst.kind, elst.postcodes) == ("dorp", ["3921", "3922"])


def test_only_an_admin_of_the_municipality_or_the_region_draws_its_areas(region):
    elst = _area("Elst")
    for someone in (make_user(roles=("broker",), areas=(elst,)), make_user(roles=("admin",), municipality_code="1581")):
        with pytest.raises(PermissionDenied):
            municipalities.municipality_areas("0340", by=someone)
        with pytest.raises(PermissionDenied):
            municipalities.add_area("0340", _values(postcodes="3922"), by=someone)
        with pytest.raises(PermissionDenied):
            municipalities.update_area("0340", elst.id, _values("Elst", "kern", "3921"), by=someone)
    own = make_user(roles=("admin",), municipality_code="0340")
    place, rows = municipalities.municipality_areas("0340", by=own)
    assert place.code == "0340" and [row.area.name for row in rows] == ["Elst", "Rhenen"]
    with pytest.raises(NotFound):  # an area of another municipality is not found under this one
        municipalities.get_municipality_area("0340", _area("Doorn").id, by=own)
    with pytest.raises(NotFound):
        municipalities.get_municipality_area("0340", "1", by=own)


def test_the_list_counts_locations_and_listings(region):
    admin = make_user(roles=("admin",))
    location = make_location(postal_code="3922 AA", city="Elst", lat=51.9893, lon=5.4857, area=_area("Elst"))
    make_service(location=location)
    make_service(location=location)
    _, rows = municipalities.municipality_areas("0340", by=admin)
    assert [(row.area.name, row.locations, row.listings) for row in rows] == [("Elst", 1, 2), ("Rhenen", 0, 0)]


# --- the pages ---------------------------------------------------------------------------------


def test_the_page_lists_the_areas_and_says_they_cannot_be_deleted(region, client):
    login(client, make_user(roles=("admin",)))
    html = client.get("/beheer/gemeenten/0340").get_data(as_text=True)
    assert 'href="/beheer/gemeenten/0340/gebieden"' in html
    html = client.get("/beheer/gemeenten/0340/gebieden").get_data(as_text=True)
    assert "Gebieden van Rhenen" in html and "3921, 3922" in html and "3911, 3912" in html
    assert "Een gebied verwijderen kan niet" in html
    assert f'href="/beheer/gemeenten/0340/gebieden/{_area("Elst").id}"' in html
    assert 'name="csrf_token"' in html and 'for="postcodes"' in html and 'for="name"' in html
    assert "Doorn" not in html


def test_the_admin_adds_an_area_on_the_page(region, client):
    login(client, make_user(roles=("admin",)))
    url = "/beheer/gemeenten/0340/gebieden"
    elst = _area("Elst")
    response = post_form(client, f"{url}/{elst.id}", _values("Elst", "kern", "3921"))
    assert response.status_code == 303 and response.headers["Location"].endswith(url)
    response = post_form(client, url, _values(), follow_redirects=True)
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "Het gebied Elst-Noord is toegevoegd." in html
    assert _area("Elst-Noord").postcodes == ["3922"]


@pytest.mark.parametrize(
    "values, field, message",
    [
        (_values(postcodes="3941"), "postcodes", "Postcode 3941 hoort bij de gemeente Utrechtse Heuvelrug."),
        (_values(postcodes="3922"), "postcodes", "Postcode 3922 hoort al bij het gebied Elst."),
        (_values(name=""), "name", "Typ de naam van het gebied."),
    ],
)
def test_a_wrong_area_is_announced_at_its_field(region, client, values, field, message):
    login(client, make_user(roles=("admin",)))
    response = post_form(client, "/beheer/gemeenten/0340/gebieden", values)
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert 'role="alert"' in html and f'href="#{field}"' in html and message in html
    assert 'aria-invalid="true"' in html or "field--error" in html


def test_the_edit_page_shows_the_area_and_refuses_without_csrf(region, client):
    login(client, make_user(roles=("admin",)))
    url = f"/beheer/gemeenten/0340/gebieden/{_area('Elst').id}"
    html = client.get(url).get_data(as_text=True)
    assert 'value="Elst"' in html and 'value="3921, 3922"' in html and "Gebied Elst bewerken" in html
    response = client.post(url, data=_values("Elst", "kern", "3921"))
    assert response.status_code == 400 and _area("Elst").postcodes == ["3921", "3922"]


@pytest.mark.parametrize(
    "path",
    ["/beheer/gemeenten/9999/gebieden", "/beheer/gemeenten/abc/gebieden", "/beheer/gemeenten/0340/gebieden/99999"],
)
def test_an_unknown_municipality_or_area_is_not_found(region, client, path):
    login(client, make_user(roles=("admin",)))
    assert client.get(path).status_code == 404


def test_a_broker_and_another_municipalitys_admin_are_refused(region, client):
    login(client, make_user(roles=("admin",), municipality_code="1581"))
    assert client.get("/beheer/gemeenten/0340/gebieden").status_code == 403
    assert client.get("/beheer/gemeenten/1581/gebieden").status_code == 200


def test_adding_a_municipality_still_places_the_locations_at_its_postcodes(app):
    with app.test_request_context():
        location = make_location(postal_code="3922 AA", city="Elst", lat=51.9893, lon=5.4857, area=None)
        doorn = make_location(postal_code="3941 AB", area=None)
        make_service(location=location, name="Koffieochtend Elst")
        municipalities.add_municipality("0340", by=make_user(roles=("admin",)))
        assert db.session.get(Location, location.id).area.name == "Elst"
        assert db.session.get(Location, doorn.id).area is None
        document = next(d for d in indexing.documents() if d["name"] == "Koffieochtend Elst")
        assert document["municipality"] == ["0340"] and document["area"] == ["elst"]
