"""From database rows to ranking inputs, and the broker's candidates (issue #4, item 3)."""

from datetime import UTC, timedelta

import pytest

from sociale_kaart import clock
from sociale_kaart.errors import PermissionDenied
from sociale_kaart.extensions import db
from sociale_kaart.matching import pool
from sociale_kaart.matching.models import Absence, Booking, Feedback, HelpRequest
from tests.builders import make_user
from tests.matching.factories import load_areas, make_broker, make_match, make_request, make_volunteer


@pytest.fixture
def areas(app):
    return load_areas()


def one_input(profile):
    [result] = pool.volunteer_inputs(profiles=[profile])
    return result


@pytest.mark.parametrize(
    ("request_values", "key"),
    [
        ({"requester_id": 7, "contact_email": "a@b.nl"}, "u:7"),
        ({"requester_id": None, "contact_email": "Anna@Example.ORG "}, "e:anna@example.org"),
        ({"requester_id": None, "contact_email": "", "contact_phone": "06-123 45678"}, "p:0612345678"),
        ({"requester_id": None, "contact_email": "", "contact_phone": ""}, ""),
    ],
)
def test_requester_key(request_values, key):
    values = {"requester_id": None, "contact_email": "", "contact_phone": ""}
    values.update(request_values)
    assert pool.requester_key(HelpRequest(**values)) == key


def test_volunteer_input_carries_the_profile(app, areas):
    profile = make_volunteer(
        travel_mode="car",
        max_km=20,
        task_types=["vervoer"],
        skills=["rijbewijs"],
        languages=["nl", "tr"],
        max_tasks_per_week=3,
        vog_valid_until=clock.today() + timedelta(days=100),
    )
    db.session.add(
        Absence(
            volunteer=profile, starts_on=clock.today() - timedelta(days=9), ends_on=clock.today() - timedelta(days=2)
        )
    )  # over: left out
    db.session.add(
        Absence(
            volunteer=profile, starts_on=clock.today() + timedelta(days=2), ends_on=clock.today() + timedelta(days=5)
        )
    )
    db.session.commit()
    result = one_input(profile)
    assert (result.id, result.lat, result.lon, result.travel_mode, result.max_km) == (
        profile.id,
        profile.lat,
        profile.lon,
        "car",
        20,
    )
    assert result.task_types == {"vervoer"} and result.skills == {"rijbewijs"} and result.languages == {"nl", "tr"}
    assert result.max_per_week == 3 and result.vog_valid_until == profile.vog_valid_until
    assert result.absences == ((clock.today() + timedelta(days=2), clock.today() + timedelta(days=5)),)
    assert result.active and result.is_new and result.tasks_total == 0 and result.booked == ()


@pytest.mark.parametrize(
    ("values", "active"),
    [
        ({"status": "active"}, True),
        ({"status": "pending"}, False),
        ({"status": "active", "paused": True}, False),
        ({"status": "active", "paused": True, "paused_until": "future"}, False),
        ({"status": "active", "paused": True, "paused_until": "past"}, True),
    ],
)
def test_active_means_approved_and_not_paused(app, areas, values, active):
    if "paused_until" in values:
        values["paused_until"] = clock.today() + timedelta(days=5 if values["paused_until"] == "future" else -1)
    assert one_input(make_volunteer(**values)).active is active


def test_stopped_volunteers_are_left_out(app, areas):
    make_volunteer(status="stopped")
    kept = make_volunteer(status="pending")
    assert [v.id for v in pool.volunteer_inputs()] == [kept.id]


def test_bookings_give_windows_counts_and_end_newness(app, areas, monkeypatch):
    profile = make_volunteer()
    past = make_request(first_date=clock.today() - timedelta(days=10))  # 10 days ago: recent
    old = make_request(first_date=clock.today() - timedelta(days=60))  # 60 days ago: not recent
    future = make_request(weeks=2)
    for request in (past, old, future):
        make_match(request, profile, status="accepted")
    released = make_request(first_date=clock.today() + timedelta(days=20))
    match = make_match(released, profile, status="approved")
    for booking in match.bookings:
        booking.active = False
    db.session.commit()
    result = one_input(profile)
    assert result.tasks_last_28_days == 1 and result.tasks_total == 4 and not result.is_new
    assert result.booked == tuple((o.starts_at, o.ends_at) for o in (past.occurrences + future.occurrences))


def test_old_volunteers_are_not_new(app, areas):
    profile = make_volunteer(created_at=clock.naive_utcnow() - timedelta(days=40))
    assert not one_input(profile).is_new


def test_history_per_requester_with_feedback(app, areas):
    resident = make_user(roles=("resident",))
    profile = make_volunteer()
    good = make_match(make_request(requester_id=resident.id, status="done"), profile, status="done", book=False)
    bad = make_match(make_request(contact_email="Kees@Example.org", status="done"), profile, status="done", book=False)
    make_match(
        make_request(contact_email="", contact_phone="0343 111 222", status="done"),
        profile,
        status="accepted",
        book=False,
    )
    make_match(make_request(contact_email="nooit@example.org"), profile, status="declined")
    db.session.add_all(
        [
            Feedback(match=good, author_role="requester", happened=True, rating=3),
            Feedback(match=bad, author_role="requester", happened=True, rating=1),
            Feedback(match=bad, author_role="volunteer", happened=True, rating=3),
        ]
    )
    db.session.commit()
    assert dict(one_input(profile).history) == {
        f"u:{resident.id}": "good",
        "e:kees@example.org": "earlier",
        "p:0343111222": "good",
    }


def test_task_input_only_future_unbooked_dates(app, areas, monkeypatch):
    request = make_request(
        weeks=4,
        task_type="respijt",
        skills_wanted=["dementie"],
        preferred_language="tr",
        language_required=True,
        same_volunteer=True,
        max_km=3,
        urgency="high",
    )
    first, second, third, fourth = request.occurrences
    db.session.add(
        Booking(
            match=make_match(request, make_volunteer(), status="suggested"),
            occurrence=second,
            volunteer_id=make_volunteer().id,
            starts_at=second.starts_at,
            ends_at=second.ends_at,
        )
    )
    third.status = "cancelled"
    db.session.commit()
    monkeypatch.setattr(clock, "utcnow", lambda: (first.starts_at + timedelta(minutes=1)).replace(tzinfo=UTC))
    task = pool.task_input(request)
    assert task.windows == ((fourth.starts_at, fourth.ends_at),)
    assert (task.id, task.lat, task.lon, task.task_type, task.vog_required) == (
        request.id,
        request.lat,
        request.lon,
        "respijt",
        True,
    )
    assert task.skills_wanted == {"dementie"} and task.language == "tr" and task.language_required
    assert task.same_volunteer and task.max_km == 3 and task.urgency == "high"
    assert task.requester_key == f"e:{request.contact_email}" and task.zone == "Europe/Amsterdam"


def test_candidates_rank_with_reasons_and_count_exclusions(app, areas):
    request = make_request()  # Doorn, Tuesday 13-17
    near = make_volunteer(first_name="Dichtbij")
    driebergen = make_volunteer(postcode="3971 KL", max_km=10)  # Driebergen, ~4 km
    make_volunteer(max_km=10, task_types=["tuin"])  # does not want it
    make_volunteer(availability=1)  # Monday morning only
    make_volunteer(status="pending")  # not active
    make_volunteer(postcode="3958 AA", max_km=2)  # Amerongen: too far
    ranking, profiles = pool.candidates(request.id, make_broker())
    assert [c.volunteer_id for c in ranking.candidates] == [near.id, driebergen.id]
    assert profiles[near.id].first_name == "Dichtbij" and set(profiles) == {near.id, driebergen.id}
    assert ranking.candidates[0].score >= ranking.candidates[1].score
    assert dict(ranking.excluded) == {"task_type": 1, "not_available": 1, "inactive": 1, "too_far": 1}
    assert ranking.total == 6


def test_candidates_use_configured_weights(app, areas):
    request = make_request()
    make_volunteer()
    app.config["MATCHING_WEIGHTS"] = {
        "distance": 100,
        "availability": 0,
        "continuity": 0,
        "fairness": 0,
        "skills": 0,
        "language": 0,
    }
    [only_distance] = pool.candidates(request.id, make_broker())[0].candidates
    assert only_distance.score == 100  # lives at the request's own postcode


def test_candidates_are_for_brokers_of_the_area(app, areas):
    request = make_request()
    for user in (None, make_volunteer().user, make_broker(areas=("leersum",))):
        with pytest.raises(PermissionDenied):
            pool.candidates(request.id, user)
    assert pool.candidates(request.id, make_user(roles=("admin",)))[0].total >= 1


def test_candidates_of_a_fully_booked_request_are_empty(app, areas):
    request = make_request()
    make_match(request, make_volunteer(), status="approved")
    ranking, profiles = pool.candidates(request.id, make_broker())
    assert ranking.candidates == [] and profiles == {}


def test_replacement_list_leaves_out_who_dropped_out(app, areas):
    request = make_request(weeks=2)
    cancelled = make_volunteer(first_name="Afgezegd")
    make_match(request, cancelled, status="cancelled")
    declined = make_volunteer(first_name="Geweigerd")
    make_match(request, declined, status="declined")
    ready = [make_volunteer() for _ in range(7)]
    rows = pool.replacement_list(request.id)
    assert len(rows) == pool.REPLACEMENTS
    assert {profile.id for _candidate, profile in rows} <= {v.id for v in ready}
    with pytest.raises(PermissionDenied):
        pool.replacement_list(request.id, by=cancelled.user)
    assert len(pool.replacement_list(request.id, by=make_broker(), limit=2)) == 2


def test_volunteer_inputs_near_a_point_prefilters_by_box(app, areas):
    doorn = make_volunteer()
    make_volunteer(postcode="3958 AA")  # Amerongen, ~12 km east
    near = (doorn.lat, doorn.lon, 5)
    assert [v.id for v in pool.volunteer_inputs(near=near)] == [doorn.id]
    assert len(pool.volunteer_inputs(near=(doorn.lat, doorn.lon, 50))) == 2
    assert [v.id for v in pool.volunteer_inputs(area_ids=[areas["amerongen"].id])] != [doorn.id]


def test_now_parameter_counts_recent_tasks(app, areas):
    profile = make_volunteer()
    make_match(make_request(first_date=clock.today() + timedelta(days=3)), profile, status="accepted")
    later = clock.naive_utcnow() + timedelta(days=10)
    assert one_input(profile).tasks_last_28_days == 0
    [moved] = pool.volunteer_inputs(profiles=[profile], now=later)
    assert moved.tasks_last_28_days == 1


def test_long_id_lists_give_the_same_inputs(app, areas, monkeypatch):
    first, second, other = make_volunteer(), make_volunteer(), make_volunteer()
    make_match(make_request(status="done"), first, status="accepted")
    make_match(make_request(), other, status="accepted")
    db.session.add(Absence(volunteer=other, starts_on=clock.today(), ends_on=clock.today()))
    db.session.commit()
    short = pool.volunteer_inputs(profiles=[first, second])
    monkeypatch.setattr(pool, "MAX_IN_LIST", 1)
    assert pool.volunteer_inputs(profiles=[first, second]) == short
    assert short[0].booked and short[0].history and not short[1].booked and not short[1].absences
