"""Issue #20: in a region, a signal without a village names its municipality and goes to that team only."""

import pytest
from sqlalchemy import func, select

from sociale_kaart.directory import municipalities
from sociale_kaart.errors import ValidationError
from sociale_kaart.extensions import db
from sociale_kaart.notify.models import OutboxMessage
from sociale_kaart.signals import services
from sociale_kaart.signals.models import Signal
from tests.accounts.forms_helper import post_form
from tests.builders import make_user
from tests.matching.factories import load_areas
from tests.test_region_permissions import make_region

FORM = "/zorgen-over-iemand"


def _data(**overrides):
    data = {
        "themes": ["loneliness"],
        "description": "",
        "subject_name": "Meneer met de rollator",
        "subject_address": "",
        "area_id": "gemeente:0340",
        "reporter_name": "",
        "reporter_email": "",
        "reporter_phone": "",
        "website": "",
    }
    data.update(overrides)
    return data


def _mailed(after=0):
    """Return the addresses of the "new signal" e-mails with an id above `after`."""
    statement = select(OutboxMessage.to_address).where(OutboxMessage.template == "signal_new", OutboxMessage.id > after)
    return set(db.session.scalars(statement))


def test_the_form_of_a_region_offers_each_municipality_and_names_the_villages_by_it(client):
    make_region()
    page = client.get(FORM).get_data(as_text=True)
    assert '<option value="gemeente:0340">Ergens anders in gemeente Rhenen</option>' in page
    assert '<option value="gemeente:1581">Ergens anders in gemeente Utrechtse Heuvelrug</option>' in page
    assert ">Elst (Rhenen)</option>" in page and ">Doorn (Utrechtse Heuvelrug)</option>" in page


def test_the_form_of_one_municipality_offers_its_villages_only(client):
    load_areas()
    assert not municipalities.is_region()
    page = client.get(FORM).get_data(as_text=True)
    assert "gemeente:" not in page and ">Doorn</option>" in page


def test_a_signal_naming_a_municipality_goes_to_its_team_only(client):
    region = make_region()
    rita = db.session.scalar(
        select(type(region.users["broker_a"])).where(type(region.users["broker_a"]).name == "Rita Rhenen")
    )
    before = db.session.scalar(select(func.max(OutboxMessage.id))) or 0
    assert post_form(client, FORM, _data()).status_code == 303
    signal = db.session.scalars(select(Signal).order_by(Signal.id.desc())).first()
    assert (signal.area_id, signal.municipality_code) == (None, "0340")
    assert _mailed(after=before) == {rita.email}
    assert services.may_handle(rita, signal) and not services.may_handle(region.users["broker_a"], signal)
    assert signal.id in {s.id for s in services.signal_queue(rita).waiting}
    assert signal.id not in {s.id for s in services.signal_queue(region.users["broker_a"]).waiting}


def test_a_signal_in_a_village_belongs_to_the_villages_municipality_whatever_else_is_sent(app):
    region = make_region()
    values = {"themes": ["loneliness"], "subject_name": "Iemand", "area_id": region.sides["A"].area.id}
    signal = services.submit_signal({**values, "municipality_code": "0340"})
    assert signal.municipality_code is None and services.may_handle(region.users["broker_a"], signal)


@pytest.mark.parametrize("value", ["gemeente:9999", "gemeente:", "gemeente:0340\x00"])
def test_an_unknown_municipality_is_refused_and_the_text_kept(client, value):
    make_region()
    before = db.session.scalar(select(func.count(Signal.id)))
    response = post_form(client, FORM, _data(area_id=value, subject_name="Mevrouw Jansen"))
    assert response.status_code == 400 and "Mevrouw Jansen" in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count(Signal.id))) == before


def test_a_municipality_is_refused_by_the_service_too(app):
    make_region()
    with pytest.raises(ValidationError):
        services.submit_signal({"themes": ["loneliness"], "subject_name": "Iemand", "municipality_code": "9999"})


def test_the_pages_of_a_municipality_link_to_the_form_with_it_chosen(client):
    make_region()
    page = client.get("/rhenen/").get_data(as_text=True)
    assert 'href="/zorgen-over-iemand?gemeente=rhenen"' in page
    form = client.get("/zorgen-over-iemand?gemeente=rhenen").get_data(as_text=True)
    assert '<option selected value="gemeente:0340">' in form


def test_a_regional_broker_without_areas_is_not_the_team_of_another_municipality(app):
    """A broker of Utrechtse Heuvelrug set on the account does not get Rhenen's signal."""
    make_region()
    own = make_user(roles=("broker",), municipality_code="1581")
    signal = services.submit_signal({"themes": ["loneliness"], "subject_name": "Iemand", "municipality_code": "0340"})
    assert not services.may_handle(own, signal)
