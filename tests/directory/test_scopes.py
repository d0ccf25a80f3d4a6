"""Issue #20: the one rule for a staff member's municipality and a row's (directory.scopes)."""

import pytest
from sqlalchemy import select

from sociale_kaart.accounts import permissions
from sociale_kaart.directory import municipalities, scopes
from sociale_kaart.directory.models import Area
from sociale_kaart.errors import PermissionDenied
from sociale_kaart.extensions import db
from tests.builders import make_user
from tests.matching.factories import load_areas


def _rhenen():
    municipalities.add_municipality("0340")
    return {area.name: area for area in db.session.scalars(select(Area).where(Area.municipality_code == "0340"))}


def test_in_one_municipality_a_row_without_an_area_belongs_to_every_broker_as_before(app):
    areas = load_areas()
    doorn_broker = make_user(roles=("broker",), areas=[areas["doorn"]])
    scoped_admin = make_user(roles=("admin",), municipality_code="1581")
    assert not municipalities.is_region()
    assert scopes.regional_codes(doorn_broker) is None
    assert scopes.may_moderate(doorn_broker, [], "0340")  # a postcode beyond the installation: still everyone's
    assert scopes.may_moderate(doorn_broker, []) == permissions.may_moderate(doorn_broker, [])
    assert not scopes.may_moderate(doorn_broker, [areas["leersum"].id])
    assert scopes.may_moderate(scoped_admin, [areas["leersum"].id])
    assert scopes.row_code(None, "3922 AA") == "1581"  # Rhenen is not part of this installation


@pytest.mark.parametrize(
    "roles, code, area_names, expected",
    [
        (("broker",), None, ("doorn",), {"1581"}),
        (("broker",), None, ("Rhenen",), {"0340"}),
        (("broker",), "0340", ("doorn",), {"0340"}),  # the account's setting wins over its areas
        (("broker",), None, (), {"1581"}),  # no areas and no setting: the installation's own
        (("admin",), None, (), None),
        (("admin",), "0340", (), {"0340"}),
        (("policy",), None, (), None),
        (("policy",), "1581", (), {"1581"}),
        (("broker", "admin"), None, ("doorn",), None),
    ],
)
def test_a_staff_members_municipality(app, roles, code, area_names, expected):
    areas = {**load_areas(), **_rhenen()}
    user = make_user(roles=roles, municipality_code=code, areas=[areas[name] for name in area_names])
    assert scopes.staff_codes(user) == (frozenset(expected) if expected is not None else None)


def test_a_rows_municipality_is_its_areas_else_its_postcodes_else_the_own(app):
    areas = {**load_areas(), **_rhenen()}
    assert scopes.row_code(areas["Elst"].id, "3941 AB") == "0340"  # the area wins
    assert scopes.row_code(None, "3922 AA") == "0340"
    assert scopes.row_code(None, "3959 AA") == "1581"
    assert scopes.row_code(None, "1012 AB") == "1581"  # Amsterdam is not in the region: the own municipality
    assert scopes.row_code(None, "") == "1581"
    assert scopes.row_code(None) == "1581"


def test_in_a_region_a_row_without_an_area_belongs_to_the_brokers_of_its_municipality(app):
    areas = {**load_areas(), **_rhenen()}
    doorn_broker = make_user(roles=("broker",), areas=[areas["doorn"]])
    rhenen_broker = make_user(roles=("broker",), areas=[areas["Rhenen"]])
    assert scopes.may_moderate(doorn_broker, [], "1581") and not scopes.may_moderate(doorn_broker, [], "0340")
    assert scopes.may_moderate(rhenen_broker, [], "0340") and not scopes.may_moderate(rhenen_broker, [], "1581")
    with pytest.raises(PermissionDenied):
        scopes.require_moderator(doorn_broker, [], "0340")


def test_in_a_region_an_admin_of_a_municipality_moderates_only_its_areas(app):
    areas = {**load_areas(), **_rhenen()}
    admin = make_user(roles=("admin",), municipality_code="1581")
    regional = make_user(roles=("admin",))
    assert scopes.may_moderate(admin, [areas["leersum"].id])
    assert not scopes.may_moderate(admin, [areas["Elst"].id])
    assert scopes.may_moderate(regional, [areas["Elst"].id])
    assert scopes.scope_area_ids(admin) == municipalities.area_ids_of("1581")
    assert scopes.scope_area_ids(regional) is None


@pytest.mark.parametrize(
    "heuvelrug, rhenen, allowed",
    [(True, True, True), (True, False, False), (False, True, False), (False, False, False)],
)
def test_helping_across_a_border_takes_both_municipalities(app, heuvelrug, rhenen, allowed):
    load_areas()
    _rhenen()
    from sociale_kaart.directory.models import Municipality

    for code, value in (("1581", heuvelrug), ("0340", rhenen)):
        db.session.scalar(select(Municipality).where(Municipality.code == code)).cross_border_matching = value
    db.session.commit()
    assert scopes.may_help_across("1581", "0340") is allowed
    assert scopes.may_help_across("0340", "1581") is allowed
    assert scopes.may_help_across("0340", "0340")
