"""accounts.queries: who gets the news about something in an area (issue #13: one rule for every caller)."""

import pytest

from sociale_kaart.accounts.queries import areas_with_brokers, brokers_of_areas
from sociale_kaart.directory.models import Area
from sociale_kaart.extensions import db
from tests.builders import make_user


@pytest.fixture
def world(app):
    doorn, leersum, maarn = (
        Area(code=code, name=name, kind="dorp", municipality_code="1581")
        for code, name in (("doorn", "Doorn"), ("leersum", "Leersum"), ("maarn", "Maarn"))
    )
    db.session.add_all([doorn, leersum, maarn])
    db.session.commit()
    people = {
        "doorn": make_user(roles=("broker",), areas=[doorn]),
        "both": make_user(roles=("broker",), areas=[doorn, leersum]),
        "none": make_user(roles=("broker",)),
        "unconfirmed": make_user(roles=("broker",), areas=[doorn], confirmed=False),
        "inactive": make_user(roles=("broker",), areas=[doorn], active=False),
        "editor": make_user(roles=("editor",), areas=[doorn]),
        "admin": make_user(roles=("admin",), areas=[doorn]),
    }
    return {"doorn": doorn, "leersum": leersum, "maarn": maarn}, people


@pytest.mark.parametrize(
    "areas, expected",
    [
        (["doorn"], ["doorn", "both"]),
        (["leersum"], ["both"]),
        (["doorn", "leersum"], ["doorn", "both"]),
        (["maarn"], []),  # nobody: the caller decides what then
        ([], ["doorn", "both", "none"]),  # no area: every broker
        ([None], ["doorn", "both", "none"]),
        (None, ["doorn", "both", "none"]),
    ],
)
def test_brokers_of_areas_are_active_confirmed_brokers_of_one_of_the_areas(world, areas, expected):
    area_by_code, people = world
    area_ids = None if areas is None else [area_by_code[code].id if code else None for code in areas]

    assert brokers_of_areas(area_ids) == [people[name] for name in expected]


def test_brokers_of_one_area_id(world):
    area_by_code, people = world

    assert brokers_of_areas(area_by_code["leersum"].id) == [people["both"]]


def test_areas_with_brokers_leave_out_areas_of_unconfirmed_or_inactive_brokers(world):
    area_by_code, _people = world

    assert areas_with_brokers() == {area_by_code["doorn"].id, area_by_code["leersum"].id}
