"""The dashboard's "Gezocht zonder resultaat (deze maand)" (issue #11): brokers see their own areas."""

import pytest

from sociale_kaart import clock
from sociale_kaart.directory import freshness
from sociale_kaart.directory.search_log import SearchLogEntry
from sociale_kaart.extensions import db
from tests.workspace.helpers import login_as, logout, make_world

SECTION = "Gezocht zonder resultaat (deze maand)"


def add_search(day, query, area_code, result_count=0):
    db.session.add(
        SearchLogEntry(
            searched_on=day,
            hour=10,
            query=query,
            result_count=result_count,
            area_code=area_code,
            place_kind="postcode",
            filters=0,
            language="nl",
            source="web",
        )
    )


@pytest.fixture
def world(app):
    world = make_world()
    today = clock.today()
    for _ in range(2):
        add_search(today, "rolstoeltaxi doorn", "doorn")
    add_search(today, "hulp", "doorn", result_count=3)
    add_search(today, "klusjesman leersum", "leersum")
    add_search(freshness.add_months(today.replace(day=1), -1), "vorige maand doorn", "doorn")
    db.session.commit()
    return world


def dashboard(client, user):
    if user is None:
        logout(client)
    else:
        login_as(client, user)
    return client.get("/werkplek/overzicht")


def test_a_broker_sees_this_months_unanswered_searches_of_their_own_area(client, world):
    response = dashboard(client, world.users["broker_a"])
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert SECTION in page and "<caption>" in page
    assert "rolstoeltaxi doorn" in page
    assert "klusjesman leersum" not in page  # another area
    assert "vorige maand doorn" not in page  # last month
    assert "Zoekopdrachten in uw gebieden (Doorn)" in page and ": 3." in page


def test_an_admin_sees_every_area(client, world):
    page = dashboard(client, world.users["admin"]).get_data(as_text=True)
    assert SECTION in page
    assert "rolstoeltaxi doorn" in page and "klusjesman leersum" in page
    assert "vorige maand doorn" not in page


def test_without_unanswered_searches_the_section_says_so(client, world):
    page = dashboard(client, make_broker_without_searches(world)).get_data(as_text=True)
    assert SECTION in page
    assert "Deze maand heeft niemand gezocht zonder iets te vinden." in page


def make_broker_without_searches(world):
    from sociale_kaart.directory.models import Area
    from tests.builders import make_user

    area = Area(code="maarn", name="Maarn", kind="dorp", municipality_code="1581", postcodes=["3951"])
    db.session.add(area)
    return make_user(roles=("broker",), areas=[area])


@pytest.mark.parametrize("role", ["editor_a", "resident", "volunteer", "anonymous"])
def test_other_roles_do_not_see_the_section(client, world, role):
    response = dashboard(client, world.users[role])
    assert response.status_code in (302, 403)
    assert SECTION not in response.get_data(as_text=True)
    assert "rolstoeltaxi" not in response.get_data(as_text=True)
