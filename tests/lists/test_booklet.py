"""Issue #19: the wegwijzer of a village: its free, low-threshold services by life situation, dated by the clock."""

from datetime import timedelta

import pytest

from sociale_kaart import clock
from sociale_kaart.directory import freshness
from sociale_kaart.errors import NotFound
from sociale_kaart.lists import booklet
from sociale_kaart.web.situations import SITUATIONS
from tests.builders import make_location, make_service
from tests.lists.helpers import make_village


def test_the_wegwijzer_of_a_demo_village_holds_its_free_low_threshold_services_by_situation(demo_db):
    result = booklet.wegwijzer("doorn")
    assert result.area.name == "Doorn" and result.made_on == clock.today()
    keys = [group.situation.key for group in result.groups]
    assert keys == [situation.key for situation in SITUATIONS if situation.key in keys]  # the tiles' order
    described = [service for group in result.groups for service in group.services]
    assert len(described) == len({service.id for service in described}) == result.service_count >= 20
    for group in result.groups:
        for service in group.services:
            assert service.is_free and service.pyramid_level != "met_indicatie"
            assert result.area.id in freshness.service_area_ids(service)
            assert group.situation.category in {term.code for term in service.categories}
        for service, first in group.described_earlier:
            assert first.key in keys[: keys.index(group.situation.key)]
            assert service in described


@pytest.mark.parametrize("code", ["", "bestaat-niet", "x" * 65, "doorn\x00", None])
def test_an_unknown_village_has_no_wegwijzer(demo_db, code):
    with pytest.raises(NotFound):
        booklet.wegwijzer(code)


def test_paid_referred_elsewhere_and_long_unchecked_services_stay_out(app, app_clock):
    doorn, leersum = make_village(), make_village(code="leersum", name="Leersum")
    here = make_location(area=doorn)
    kept = make_service(here, name="Mantelzorgcafé", categories=("mantelzorgondersteuning", "dementie"))
    make_service(here, name="Betaalde oppas", categories=("respijtzorg",), cost=["betaald"])
    make_service(here, name="Dagbesteding", categories=("dementie",), pyramid_level="met_indicatie")
    make_service(make_location(area=leersum), name="Elders", categories=("eenzaamheid",))
    make_service(here, name="Maaltijden", categories=("maaltijden",))  # no tile of the home page
    old = make_service(here, name="Oud", categories=("eenzaamheid",), assured_date=clock.today() - timedelta(days=3))
    result = booklet.wegwijzer("doorn")
    assert [(group.situation.key, [s.name for s in group.services]) for group in result.groups] == [
        ("care", ["Mantelzorgcafé"]),
        ("lonely", ["Oud"]),
        ("dementia", []),
    ]
    assert [(s.id, first.key) for s, first in result.groups[2].described_earlier] == [(kept.id, "care")]
    app_clock.start(clock.utcnow() + timedelta(days=800))  # long unchecked: search leaves them out, and so does this
    assert old.id not in {s.id for group in booklet.wegwijzer("doorn").groups for s in group.services}
    assert booklet.wegwijzer("doorn").made_on == clock.today()
