"""Municipalities as data (issue #20): the default of one, adding a region's next, their settings."""

import pytest

from sociale_kaart.directory import municipalities
from sociale_kaart.directory.models import BRAND_COLOURS, Area, Municipality, Service
from sociale_kaart.errors import NotFound, PermissionDenied, ValidationError
from sociale_kaart.extensions import db
from tests.builders import make_user
from tests.matching.factories import load_areas, load_region


def _luminance(colour):
    def channel(value):
        value = value / 255
        return value / 12.92 if value <= 0.03928 else ((value + 0.055) / 1.055) ** 2.4

    red, green, blue = (int(colour[i : i + 2], 16) for i in (1, 3, 5))
    return 0.2126 * channel(red) + 0.7152 * channel(green) + 0.0722 * channel(blue)


@pytest.mark.parametrize("brand", sorted(BRAND_COLOURS))
def test_every_brand_colour_keeps_white_text_at_7_to_1(brand):
    contrast = (1.0 + 0.05) / (_luminance(BRAND_COLOURS[brand]) + 0.05)
    assert contrast >= 7.0, (brand, round(contrast, 2))


def test_an_installation_without_rows_answers_from_its_settings(app):
    with app.test_request_context():
        rows = municipalities.municipality_rows()
        assert [(row.code, row.name, row.slug) for row in rows] == [
            ("1581", "Utrechtse Heuvelrug", "utrechtse-heuvelrug")
        ]
        assert not municipalities.is_region()
        assert municipalities.default_municipality().code == "1581"
        assert municipalities.by_slug("Utrechtse-Heuvelrug").code == "1581"
        assert municipalities.by_slug("rhenen") is None
        assert municipalities.by_slug(None) is None


def test_loading_the_areas_makes_the_default_row_once(app):
    with app.test_request_context():
        load_areas()
        load_areas()
        rows = db.session.scalars(db.select(Municipality)).all()
        assert [(row.code, row.name, row.slug, row.brand) for row in rows] == [
            ("1581", "Utrechtse Heuvelrug", "utrechtse-heuvelrug", "blauw")
        ]
        # the whole demo's areas are of Utrechtse Heuvelrug and of its neighbour Rhenen
        load_region()
        load_region()
        rows = db.session.scalars(db.select(Municipality)).all()
        assert sorted((row.code, row.name, row.slug, row.brand) for row in rows) == [
            ("0340", "Rhenen", "rhenen", "blauw"),
            ("1581", "Utrechtse Heuvelrug", "utrechtse-heuvelrug", "blauw"),
        ]


def test_adding_a_neighbour_brings_its_kernen_from_the_gazetteer(app):
    with app.test_request_context():
        admin = make_user(roles=("admin",))
        rhenen, added = municipalities.add_municipality("340", by=admin)
        assert (rhenen.code, rhenen.name, rhenen.slug) == ("0340", "Rhenen", "rhenen")
        assert sorted((area.name, tuple(area.postcodes), area.kind) for area in added) == [
            ("Elst", ("3921", "3922"), "kern"),
            ("Rhenen", ("3911", "3912"), "kern"),
        ]
        assert municipalities.is_region()
        assert [row.name for row in municipalities.municipality_rows()] == ["Rhenen", "Utrechtse Heuvelrug"]
        assert municipalities.code_of_postcode4("3921") == "0340"
        assert municipalities.code_of_postcode4("3941") == "1581"
        assert municipalities.code_of_postcode4("3511") == "0344"  # Utrecht: from the gazetteer
        assert municipalities.code_of_postcode4(None) is None
        elst = db.session.scalar(db.select(Area).where(Area.name == "Elst"))
        assert municipalities.municipality_of_area(elst.id).code == "0340"
        assert municipalities.area_ids_of("0340") == {area.id for area in added}
        assert municipalities.area_ids_of("1581") == set()  # no areas loaded: the gazetteer answers


@pytest.mark.parametrize("code", ["", "abc", "12345", "9999", "0001", None, "GM"])
def test_an_unknown_code_is_refused_with_a_message(app, code):
    with app.test_request_context(), pytest.raises(ValidationError) as refused:
        municipalities.add_municipality(code)
    assert refused.value.field == "code"


def test_a_merged_municipality_is_refused(app):
    with app.test_request_context(), pytest.raises(ValidationError):
        municipalities.add_municipality("0457")  # Weesp, merged into Amsterdam in 2022


def test_a_municipality_is_added_once(app):
    with app.test_request_context():
        municipalities.add_municipality("GM0340")
        with pytest.raises(ValidationError):
            municipalities.add_municipality("0340")
        with pytest.raises(ValidationError):
            municipalities.add_municipality("1581")  # the default, made from the settings


def test_only_an_admin_adds_or_edits(app):
    with app.test_request_context():
        broker = make_user(roles=("broker",))
        with pytest.raises(PermissionDenied):
            municipalities.add_municipality("0340", by=broker)
        with pytest.raises(PermissionDenied):
            municipalities.update_municipality("1581", {"name": "X"}, by=broker)


def test_the_admin_sets_name_colour_contact_and_cross_border_matching(app):
    with app.test_request_context():
        admin = make_user(roles=("admin",))
        assert [m.code for m in municipalities.list_municipalities(admin)] == ["1581"]
        municipalities.update_municipality(
            "1581",
            {
                "name": " Heuvelrug ",
                "brand": "groen",
                "cross_border_matching": "y",
                "contact_phone": "0343 123 456",
                "contact_name": "Wmo-loket",
            },
            by=admin,
        )
        row = municipalities.by_code("1581")
        assert (row.name, row.brand, row.colour, row.cross_border_matching) == (
            "Heuvelrug",
            "groen",
            BRAND_COLOURS["groen"],
            True,
        )
        assert row.has_contact and row.slug == "utrechtse-heuvelrug"  # the address stays
        for values, field in (
            ({"name": ""}, "name"),
            ({"name": "x" * 121}, "name"),
            ({"name": "A", "brand": "#ff0000"}, "brand"),
            ({"name": "A", "contact_phone": "12"}, "contact_phone"),
        ):
            with pytest.raises(ValidationError) as refused:
                municipalities.update_municipality("1581", values, by=admin)
            assert refused.value.field == field
        with pytest.raises(NotFound):
            municipalities.get_municipality("0340", by=admin)


def test_the_command_adds_and_lists(app):
    runner = app.test_cli_runner()
    added = runner.invoke(args=["region", "add-municipality", "0340"])
    assert added.exit_code == 0, added.output
    assert "Added Rhenen (0340) at /rhenen/ with 2 areas" in added.output
    again = runner.invoke(args=["region", "add-municipality", "0340"])
    assert again.exit_code == 1 and "hoort al bij" in again.output
    listed = runner.invoke(args=["region", "list"])
    assert listed.exit_code == 0
    assert "0340  /rhenen/  Rhenen  areas: 2" in listed.output
    assert "1581  /utrechtse-heuvelrug/  Utrechtse Heuvelrug  areas: 0" in listed.output


def test_which_municipalities_a_service_serves(app):
    from tests.builders import make_location, make_service

    with app.test_request_context():
        areas = load_region()  # the demo's: Utrechtse Heuvelrug and Rhenen (issue #20)
        elst = areas["elst"]
        service = make_service(make_location(postal_code="3941 AB"))  # Doorn, no area set: by postcode
        assert municipalities.codes_of_service(service) == {"1581"}
        service.service_areas = [areas["amerongen"], elst]
        assert municipalities.codes_of_service(service) == {"0340", "1581"}
        beyond = make_service(make_location(postal_code="3511 AB", city="Utrecht"))  # not in the region
        assert municipalities.codes_of_service(beyond) == {"1581"}


def test_the_sql_rule_agrees_with_codes_of_service_on_a_mixed_set(app):
    """serves_municipality(code) in SQL is codes_of_service(service) in Python (issue #20), case by case."""
    from tests.builders import make_location, make_service

    with app.test_request_context():
        areas = load_region()  # Utrechtse Heuvelrug's seven villages and Rhenen's Rhenen and Elst
        # an installation may draw its own borders: 3921 (Elst by the gazetteer) in Amerongen's area, and
        # 3912 in no area, so that postcode goes by the gazetteer (Rhenen)
        areas["amerongen"].postcodes = ["3958", "3921"]
        areas["elst"].postcodes = ["3922"]
        areas["rhenen"].postcodes = ["3911"]
        db.session.commit()

        def at(postal_code, area=None, **location):
            return make_service(make_location(postal_code=postal_code, area=area, **location))

        cases = {
            "serves Amerongen": at("3958 AB", areas["amerongen"]),
            "located in Elst": at("3922 AB", areas["elst"]),
            "Elst's area, Doorn's postcode": at("3941 AB", areas["elst"]),
            "no area, postcode in Rhenen's area": at("3911 AB"),
            "no area, postcode in no area: the gazetteer's Rhenen": at("3912 AB"),
            "no area, Elst's postcode in Amerongen's area": at("3921 AB"),
            "no area, postcode beyond the region": at("3511 AB", city="Utrecht"),
            "no area, a foreign postcode": at("AB1 2CD", city="Aberdeen", country="GB"),
            "no area, no postcode": at(""),
        }
        both = at("3941 AB", areas["doorn"])
        both.service_areas = [areas["amerongen"], areas["elst"]]
        cases["located in Doorn, serves Elst too"] = both
        rhenen_only = at("3511 AB", city="Utrecht")
        rhenen_only.service_areas = [areas["rhenen"]]
        cases["beyond the region, serves Rhenen"] = rhenen_only
        bare = at("3511 AB", city="Utrecht")
        bare.location_links = []
        cases["no location at all"] = bare
        db.session.commit()

        python = {name: municipalities.codes_of_service(service) for name, service in cases.items()}
        assert python == {
            "serves Amerongen": {"1581"},
            "located in Elst": {"0340"},
            "Elst's area, Doorn's postcode": {"0340"},
            "no area, postcode in Rhenen's area": {"0340"},
            "no area, postcode in no area: the gazetteer's Rhenen": {"0340"},
            "no area, Elst's postcode in Amerongen's area": {"1581"},
            "no area, postcode beyond the region": {"1581"},
            "no area, a foreign postcode": {"1581"},
            "no area, no postcode": {"1581"},
            "located in Doorn, serves Elst too": {"0340", "1581"},
            "beyond the region, serves Rhenen": {"0340"},
            "no location at all": {"1581"},
        }
        ids = {service.id: name for name, service in cases.items()}
        for code in ("1581", "0340", "0344", "9999"):
            found = db.session.scalars(
                db.select(Service.id).where(Service.id.in_(ids), municipalities.serves_municipality(code))
            )
            assert {ids[service_id] for service_id in found} == {
                name for name, codes in python.items() if code in codes
            }, code
