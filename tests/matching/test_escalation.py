"""Requests that wait too long for a volunteer (issue #14, item 5): lifecycle.escalate_waiting and the queue."""

from datetime import UTC, timedelta

import pytest
from sqlalchemy import select

from sociale_kaart import clock
from sociale_kaart.extensions import db
from sociale_kaart.matching import lifecycle
from sociale_kaart.matching import requests as help_requests
from sociale_kaart.matching.models import RequestEvent
from sociale_kaart.notify.models import OutboxMessage
from sociale_kaart.ops import jobs
from tests.matching.factories import load_areas, make_broker, make_match, make_request, make_volunteer
from tests.workspace.helpers import login_as


def waiting_mails():
    return db.session.scalars(
        select(OutboxMessage).where(OutboxMessage.template == "matching_request_waiting").order_by(OutboxMessage.id)
    ).all()


def later(app_clock, start, hours):
    app_clock.start(start.replace(tzinfo=UTC) + timedelta(hours=hours))


@pytest.fixture
def brokers(app):
    load_areas()
    return make_broker(areas=("doorn",), name="Bram Makelaar"), make_broker(areas=("leersum",))


@pytest.mark.parametrize(
    ("urgency", "hours", "mails"),
    [("high", 23, 0), ("high", 25, 1), ("normal", 25, 0), ("normal", 4 * 24 - 1, 0), ("normal", 4 * 24 + 1, 1)],
)
def test_brokers_hear_of_a_request_waiting_too_long(brokers, app_clock, urgency, hours, mails):
    doorn, _leersum = brokers
    request = make_request(urgency=urgency, first_date=clock.today() + timedelta(days=10))
    later(app_clock, request.confirmed_at, hours)

    assert lifecycle.escalate_waiting() == mails

    sent = waiting_mails()
    assert [m.to_address for m in sent] == [doorn.email] * mails  # only the area's broker
    if mails:
        assert f"/werkplek/hulp/vraag/{request.id}" in sent[0].body_text
        for secret in (request.contact_name, request.street, request.contact_phone, request.recipient_name):
            assert secret not in sent[0].body_text and secret not in sent[0].body_html
        assert sent[0].subject.startswith("Spoed") == (urgency == "high")


def test_a_second_run_sends_nothing(brokers, app_clock):
    request = make_request(urgency="high", first_date=clock.today() + timedelta(days=10))
    later(app_clock, request.confirmed_at, 25)
    assert lifecycle.escalate_waiting() == 1
    later(app_clock, request.confirmed_at, 26)
    assert lifecycle.escalate_waiting() == 0
    later(app_clock, request.confirmed_at, 24 * 5)
    assert lifecycle.escalate_waiting() == 0
    assert len(waiting_mails()) == 1
    recorded = db.session.scalars(
        select(RequestEvent).where(RequestEvent.request_id == request.id, RequestEvent.action == "escalated")
    ).all()
    assert len(recorded) == 1


def test_a_matched_request_is_not_escalated(brokers, app_clock):
    request = make_request(urgency="high", first_date=clock.today() + timedelta(days=10), status="matched")
    make_match(request, make_volunteer(), status="accepted")
    later(app_clock, request.confirmed_at, 48)
    assert lifecycle.escalate_waiting() == 0


def test_the_hourly_job_escalates(brokers, app_clock):
    request = make_request(urgency="high", first_date=clock.today() + timedelta(days=10))
    later(app_clock, request.confirmed_at, 25)
    run = jobs.run_now(jobs.find_job("matching-reminders"))
    assert run.status == "ok" and "escalated 1" in run.summary
    assert len(waiting_mails()) == 1


def test_queue_puts_spoed_first_with_a_text_label(brokers, client, app_clock):
    doorn, _leersum = brokers
    calm = make_request(urgency="normal")
    urgent = make_request(urgency="high")
    queue = help_requests.broker_queue(doorn)
    assert [r.id for r in queue["open"]] == [urgent.id, calm.id]
    login_as(client, doorn)
    text = client.get("/werkplek/hulp/").get_data(as_text=True)
    assert "Spoed" in text
    assert text.index(f"Nr. {urgent.id}") < text.index(f"Nr. {calm.id}")
