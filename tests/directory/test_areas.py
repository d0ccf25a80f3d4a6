"""Areas and their dorpsteam contact (issue #11): where a postcode or place lies, the admin's edits."""

import pytest
from flask_login import AnonymousUserMixin

from sociale_kaart.directory import areas, seed
from sociale_kaart.directory.cli import DEMO_FOLDER
from sociale_kaart.directory.services import geocoder
from sociale_kaart.errors import NotFound, PermissionDenied, ValidationError
from sociale_kaart.extensions import db
from tests.builders import make_user
from tests.matching.factories import load_areas

CONTACT = {
    "contact_name": "  Dorpsteam   Doorn ",
    "contact_phone": "0343 123 456",
    "contact_email": "team@doorn.example.org",
    "contact_address": "Kampweg 12, 3941 HK Doorn",
    "contact_hours": "dinsdag 9.00–11.00 in het dorpshuis",
}


@pytest.fixture
def demo_areas(app):
    return load_areas()


# --- where a postcode or place lies ------------------------------------------------------------


@pytest.mark.parametrize(
    "postcode4, code", [("3941", "doorn"), ("3972", "driebergen_rijsenburg"), ("1012", None), ("", None), (None, None)]
)
def test_area_of_postcode4(demo_areas, postcode4, code):
    found = areas.area_of_postcode4(postcode4)
    assert (found.code if found else None) == code


@pytest.mark.parametrize(
    "where, code", [("Doorn", "doorn"), ("3958 BK", "amerongen"), ("Amsterdam", None), ("Utrechtse Heuvelrug", None)]
)
def test_area_of_a_searched_place(demo_areas, where, code):
    found = areas.area_of_place(geocoder().resolve(where))
    assert (found.code if found else None) == code


def test_no_place_has_no_area(demo_areas):
    assert areas.area_of_place(None) is None


def test_area_containing_picks_from_loaded_areas(demo_areas):
    assert areas.area_containing(demo_areas.values(), "3951").code == "maarn"
    assert areas.area_containing(demo_areas.values(), "9999") is None


def test_the_public_list_leaves_out_areas_without_a_contact(demo_areas):
    overberg = demo_areas["overberg"]
    for name in ("contact_name", "contact_phone", "contact_email", "contact_address", "contact_hours"):
        setattr(overberg, name, None)
    db.session.commit()
    codes = [area.code for area in areas.area_contacts()]
    assert codes == sorted(set(demo_areas) - {"overberg"}, key=lambda code: demo_areas[code].name)


# --- the demo data -----------------------------------------------------------------------------


def test_demo_areas_get_a_fictional_dorpsteam_and_loading_twice_changes_nothing(demo_areas, app):
    doorn = demo_areas["doorn"]
    assert (doorn.contact_name, doorn.contact_phone) == ("Dorpsteam Doorn (demo)", "0343 000 192")
    assert doorn.contact_email.endswith(".example.org") and doorn.contact_hours.startswith("dinsdag")
    doorn.contact_phone = "0343 999 999"
    db.session.commit()
    again = seed.load_areas(DEMO_FOLDER, geocoder(), app.config["MUNICIPALITY_CODE"])
    assert again["doorn"].id == doorn.id and again["doorn"].contact_phone == "0343 000 192"
    assert len(areas.area_contacts()) == 9  # seven villages and Rhenen's two kernen (issue #20)


# --- the admin edits a contact -----------------------------------------------------------------


def _user(role):
    if role == "anonymous":
        return AnonymousUserMixin()
    return make_user(roles=(role,))


@pytest.mark.parametrize(
    "role, allowed",
    [
        ("anonymous", False),
        ("resident", False),
        ("volunteer", False),
        ("editor", False),
        ("broker", False),
        ("admin", True),
    ],
)
def test_only_an_admin_edits_a_contact(demo_areas, role, allowed):
    doorn = demo_areas["doorn"]
    user = _user(role)
    if allowed:
        areas.update_area_contact(doorn.id, CONTACT, by=user)
        assert areas.list_areas(by=user) and areas.get_area(doorn.id, by=user) is doorn
    else:
        for call in (
            lambda: areas.update_area_contact(doorn.id, CONTACT, by=user),
            lambda: areas.list_areas(by=user),
            lambda: areas.get_area(doorn.id, by=user),
        ):
            with pytest.raises(PermissionDenied):
                call()
    db.session.refresh(doorn)
    assert doorn.contact_phone == ("0343 123 456" if allowed else "0343 000 192")


def test_update_trims_and_clears_empty_fields(demo_areas):
    admin = make_user(roles=("admin",))
    area = areas.update_area_contact(demo_areas["doorn"].id, {**CONTACT, "contact_address": "  "}, by=admin)
    assert area.contact_name == "Dorpsteam Doorn" and area.contact_address is None
    area = areas.update_area_contact(area.id, {}, by=admin)
    assert not area.has_contact


@pytest.mark.parametrize(
    "field, value, message",
    [
        ("contact_phone", "12345", "Typ een telefoonnummer van 10 cijfers, zoals 0343 123 456, of met +31."),
        ("contact_phone", "0343-abc-def", "Typ een telefoonnummer van 10 cijfers, zoals 0343 123 456, of met +31."),
        ("contact_email", "dorpsteam-doorn", "Typ een e-mailadres zoals naam@voorbeeld.nl."),
        ("contact_email", "team@doorn", "Typ een e-mailadres zoals naam@voorbeeld.nl."),
        ("contact_name", "x" * 121, "Typ bij naam hoogstens 120 tekens."),
        ("contact_hours", "x" * 201, "Typ bij spreekuur hoogstens 200 tekens."),
    ],
)
def test_bad_contact_details_get_a_dutch_message_on_the_field(demo_areas, field, value, message):
    admin = make_user(roles=("admin",))
    with pytest.raises(ValidationError) as raised:
        areas.update_area_contact(demo_areas["doorn"].id, {**CONTACT, field: value}, by=admin)
    assert (raised.value.field, raised.value.message) == (field, message)
    db.session.rollback()
    assert db.session.get(type(demo_areas["doorn"]), demo_areas["doorn"].id).contact_phone == "0343 000 192"


@pytest.mark.parametrize("area_id", [0, -1, 999_999, 2**31, 2**70, "3", None, True, 1.5])
def test_a_bad_area_id_is_not_found(demo_areas, area_id):
    admin = make_user(roles=("admin",))
    with pytest.raises(NotFound):
        areas.update_area_contact(area_id, CONTACT, by=admin)
