"""Issue #20: a volunteer of one municipality helps in another only when both allow it and the distance fits.

Amerongen (3958, Utrechtse Heuvelrug) lies about 2.3 km from Elst (3922, Rhenen); the volunteer
bikes up to 10 km.
"""

import pytest
from sqlalchemy import select

from sociale_kaart.directory import municipalities
from sociale_kaart.directory.models import Municipality
from sociale_kaart.errors import NotFound, PermissionDenied, ValidationError
from sociale_kaart.extensions import db
from sociale_kaart.matching import booking, pool, volunteers
from tests.matching.factories import load_areas, make_broker, make_match, make_request, make_volunteer

SETTINGS = [
    # (Utrechtse Heuvelrug allows, Rhenen allows, proposed)
    (True, True, True),
    (True, False, False),
    (False, True, False),
    (False, False, False),
]


def _region(heuvelrug, rhenen):
    load_areas()
    municipalities.add_municipality("0340")
    for code, allowed in (("1581", heuvelrug), ("0340", rhenen)):
        db.session.scalar(select(Municipality).where(Municipality.code == code)).cross_border_matching = allowed
    db.session.commit()
    request = make_request(postcode="3922 AA")  # Elst, Rhenen
    volunteer = make_volunteer(postcode="3958 AA")  # Amerongen, Utrechtse Heuvelrug
    broker = make_broker(areas=[request.area])
    return request, volunteer, broker


@pytest.mark.parametrize("heuvelrug, rhenen, proposed", SETTINGS)
def test_a_volunteer_across_the_border_is_a_candidate_only_when_both_allow_it(app, heuvelrug, rhenen, proposed):
    request, volunteer, broker = _region(heuvelrug, rhenen)
    assert request.area.municipality_code == "0340" and volunteer.area.municipality_code == "1581"
    ranked, profiles = pool.candidates(request.id, broker)
    assert (volunteer.id in profiles) is proposed
    assert (volunteer.id in {candidate.volunteer_id for candidate in ranked.candidates}) is proposed


@pytest.mark.parametrize("heuvelrug, rhenen, proposed", SETTINGS)
def test_the_volunteer_sees_a_task_across_the_border_only_when_both_allow_it(app, heuvelrug, rhenen, proposed):
    request, volunteer, _broker = _region(heuvelrug, rhenen)
    assert (request.id in {task["id"] for task in volunteers.tasks_near_me(volunteer.user)}) is proposed
    if proposed:
        volunteers.register_interest(request.id, volunteer.user)
    else:
        with pytest.raises(ValidationError):
            volunteers.register_interest(request.id, volunteer.user)


@pytest.mark.parametrize("heuvelrug, rhenen, proposed", SETTINGS)
def test_batch_proposals_cross_the_border_only_when_both_allow_it(app, heuvelrug, rhenen, proposed):
    request, volunteer, broker = _region(heuvelrug, rhenen)
    result = booking.run_batch_proposals(request.area_id, broker)
    assert ((request.id, volunteer.id) in result.pairs) is proposed


def test_too_far_across_the_border_is_no_candidate_even_when_both_allow_it(app):
    request, volunteer, broker = _region(True, True)
    volunteer.max_km = 1.0
    db.session.commit()
    _ranked, profiles = pool.candidates(request.id, broker)
    assert volunteer.id not in profiles


def test_the_brokers_of_the_requesters_municipality_approve(app):
    request, volunteer, rhenen_broker = _region(True, True)
    match = make_match(request, volunteer, status="interested")
    heuvelrug_broker = make_broker(areas=("amerongen",))
    with pytest.raises(PermissionDenied):
        booking.approve_match(match.id, heuvelrug_broker)
    db.session.rollback()
    assert booking.approve_match(match.id, rhenen_broker).status == "approved"


def test_a_closed_border_refuses_a_suggestion_and_an_approval(app):
    request, volunteer, broker = _region(False, True)
    with pytest.raises(NotFound):
        booking.suggest_match(request.id, volunteer.id, broker)
    match = make_match(request, volunteer, status="interested")  # made while the border was open
    with pytest.raises(ValidationError):
        booking.approve_match(match.id, broker)
