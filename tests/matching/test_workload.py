"""The broker's workload view (issue #4, item 5)."""

from datetime import timedelta

import pytest

from sociale_kaart import clock
from sociale_kaart.errors import PermissionDenied
from sociale_kaart.matching.workload import workload
from tests.builders import make_user
from tests.matching.factories import load_areas, make_broker, make_match, make_request, make_volunteer


@pytest.fixture
def areas(app):
    return load_areas()


def days_ago(days):
    return clock.naive_utcnow() - timedelta(days=days)


def test_waiting_requests_longest_first_without_personal_data(app, areas):
    broker = make_broker()
    review = make_request(status="submitted", confirmed_at=days_ago(5), created_at=days_ago(6))
    to_fill = make_request(status="open", confirmed_at=days_ago(12), created_at=days_ago(12))
    make_request(status="submitted", confirmed_at=None)  # not confirmed yet
    make_request(status="matched")  # not waiting
    make_request(postcode="3971 KL", confirmed_at=days_ago(30))  # other area
    result = workload(broker)
    assert [(item["id"], item["days"]) for item in result["waiting"]] == [(to_fill.id, 12), (review.id, 5)]
    assert result["summary"] == {"to_review": 1, "to_fill": 1, "longest_days": 12, "median_days": 8.5}
    text = repr(result["waiting"])
    for value in (review.contact_name, review.contact_email, review.street, review.contact_phone):
        assert value not in text


def test_unfilled_by_task_type_and_village(app, areas):
    broker = make_broker(areas=("doorn", "driebergen_rijsenburg"))
    make_request(task_type="tuin")
    make_request(task_type="tuin", postcode="3971 KL")
    make_request(task_type="boodschappen", postcode="3971 KL")
    booked = make_request(task_type="klusjes")
    make_match(booked, make_volunteer(), status="approved")  # filled
    make_request(task_type="klusjes", first_date=clock.today() - timedelta(days=7))  # date passed
    result = workload(broker)
    assert result["unfilled_by_task_type"] == [("Tuin", 2), ("Boodschappen", 1)]
    assert result["unfilled_by_place"] == [("Driebergen-Rijsenburg", 2), ("Doorn", 1)]
    only_doorn = workload(broker, area_id=areas["doorn"].id)
    assert only_doorn["unfilled_by_task_type"] == [("Tuin", 1)]


def test_idle_volunteers_without_a_task_for_60_days(app, areas):
    broker = make_broker()
    make_volunteer(first_name="Nooit", approved_at=days_ago(90), created_at=days_ago(90))
    make_volunteer(first_name="Nieuw", approved_at=days_ago(10))  # approved recently
    long_ago = make_volunteer(first_name="Lang", approved_at=days_ago(200))
    make_match(make_request(first_date=clock.today() - timedelta(days=70)), long_ago, status="done", book=True)
    recent = make_volunteer(first_name="Kort", approved_at=days_ago(200))
    make_match(make_request(first_date=clock.today() - timedelta(days=20)), recent, status="done", book=True)
    upcoming = make_volunteer(first_name="Straks", approved_at=days_ago(200))
    make_match(make_request(), upcoming, status="accepted")
    make_volunteer(first_name="Gestopt", status="stopped", approved_at=days_ago(200))
    idle = workload(broker)["idle_volunteers"]
    assert [(item["profile"].first_name, item["last_task"] is None) for item in idle] == [
        ("Nooit", True),
        ("Lang", False),
    ]
    assert idle[0]["days"] == 90 and 69 <= idle[1]["days"] <= 71


@pytest.mark.parametrize("role", [None, "resident", "volunteer", "editor"])
def test_workload_is_for_brokers(app, areas, role):
    with pytest.raises(PermissionDenied):
        workload(make_user(roles=(role,)) if role else None)


def test_workload_of_an_area_that_is_not_yours_is_refused(app, areas):
    with pytest.raises(PermissionDenied):
        workload(make_broker(areas=("doorn",)), area_id=areas["leersum"].id)
    assert workload(make_user(roles=("admin",)), area_id=areas["leersum"].id)["waiting"] == []
