"""Closing a match or request follows the real state (issue #14, item 1): gedaan, niet gekomen, annuleren, heropenen.

Rules: booking.closing_refusal (done / no-show only for accepted matches once their last date began),
requests.reopen_request (within states.REOPEN_DAYS), the confirmation pages in broker_views, and
volunteers.my_tasks (never an unaccepted or future task under "Gedaan").
"""

from datetime import UTC, datetime, time, timedelta

import pytest
from sqlalchemy import select

from sociale_kaart import clock
from sociale_kaart.errors import ValidationError
from sociale_kaart.extensions import db
from sociale_kaart.matching import booking, volunteers
from sociale_kaart.matching import requests as help_requests
from sociale_kaart.matching.models import HelpRequest, Match, RequestEvent
from sociale_kaart.notify.models import OutboxMessage
from tests.matching.factories import load_areas, make_broker, make_match, make_request, make_volunteer
from tests.workspace.helpers import csrf_token, login_as, post


def outbox(template):
    return db.session.scalars(
        select(OutboxMessage).where(OutboxMessage.template == template).order_by(OutboxMessage.id)
    ).all()


def events(request_id):
    return db.session.scalars(
        select(RequestEvent).where(RequestEvent.request_id == request_id).order_by(RequestEvent.id)
    ).all()


def move_to(app_clock, request, when):
    """Move the app clock relative to the request's last date (13:00-17:00 local by default)."""
    last = max(o.starts_at for o in db.session.get(HelpRequest, request.id).occurrences)
    local_day = clock.to_local(last).date()
    moments = {
        "before": last - timedelta(days=2),
        "on, before the start": datetime.combine(local_day, time(9, 0), tzinfo=clock.zone()).astimezone(UTC),
        "on, after the start": last.replace(tzinfo=UTC) + timedelta(hours=1),
        "after": last.replace(tzinfo=UTC) + timedelta(days=2),
    }
    moment = moments[when]
    app_clock.start(moment if moment.tzinfo else moment.replace(tzinfo=UTC))


@pytest.fixture
def broker(app):
    load_areas()
    return make_broker(areas=("doorn",), name="Bram Makelaar")


# --- the table: match state x moment x action ------------------------------------------------------------

ACTIONS = {
    "done": lambda match_id, by: booking.mark_done(match_id, by=by),
    "no_show": lambda match_id, by: booking.record_no_show(match_id, by=by),
    "cancel": lambda match_id, by: booking.cancel_match(match_id, by=by, by_role="broker"),
}
MOMENTS = ("before", "on, before the start", "on, after the start", "after")
NOT_YET = "Dit kan pas als de (laatste) datum van de taak is begonnen."
NOT_ACCEPTED = "Dit kan pas als de vrijwilliger de taak heeft geaccepteerd."


def expected_outcome(state, when, action):
    """The rule in words: done / no-show only for an accepted match once its (last) date began; cancel any time."""
    if action == "cancel":
        return "cancelled"
    if state != "accepted":
        return NOT_ACCEPTED
    if when in ("before", "on, before the start"):
        return NOT_YET
    return {"done": "done", "no_show": "no_show"}[action]


TABLE = [
    (state, when, action, expected_outcome(state, when, action))
    for state in ("approved", "accepted")
    for when in MOMENTS
    for action in ACTIONS
]


@pytest.mark.parametrize(("state", "when", "action", "expected"), TABLE)
def test_closing_actions_follow_state_and_date(broker, app_clock, state, when, action, expected):
    request = make_request(urgency="high")
    match = make_match(request, make_volunteer(), status=state)
    move_to(app_clock, request, when)

    if expected in (NOT_YET, NOT_ACCEPTED):
        with pytest.raises(ValidationError) as error:
            ACTIONS[action](match.id, broker)
        assert error.value.message == expected
        db.session.expire_all()
        assert db.session.get(Match, match.id).status == state
        assert not db.session.get(HelpRequest, request.id).is_closed
    else:
        assert ACTIONS[action](match.id, broker).status == expected


def test_the_reported_case_stays_open(broker, app_clock):
    """An urgent request, the volunteer not yet answered, the date 5 days away: 'Gedaan' changes nothing."""
    request = make_request(urgency="high", first_date=clock.today() + timedelta(days=5))
    match = make_match(request, make_volunteer(), status="approved")
    with pytest.raises(ValidationError):
        booking.mark_done(match.id, by=broker)
    db.session.expire_all()
    assert db.session.get(HelpRequest, request.id).status == "open"


# --- reopen within / after 14 days -------------------------------------------------------------------------

REOPEN_TABLE = [
    ("done", 1, "open"),
    ("done", 14, "open"),
    ("done", 15, "refused"),
    ("cancelled", 3, "open"),
    ("open", None, "refused"),
    ("expired", 1, "refused"),
]


@pytest.mark.parametrize(("status", "days_ago", "expected"), REOPEN_TABLE)
def test_reopen_within_14_days(broker, app_clock, status, days_ago, expected):
    closed_at = None if days_ago is None else clock.naive_utcnow() - timedelta(days=days_ago, minutes=-1)
    request = make_request(status=status, closed_at=closed_at)
    if expected == "refused":
        with pytest.raises(ValidationError):
            help_requests.reopen_request(request.id, by=broker)
        db.session.expire_all()
        assert db.session.get(HelpRequest, request.id).status == status
        return
    reopened = help_requests.reopen_request(request.id, by=broker)
    assert reopened.status == "open" and reopened.closed_at is None
    step = events(request.id)[-1]
    assert (step.action, step.from_status, step.to_status, step.actor_id) == ("reopened", status, "open", broker.id)


def test_reopen_mails_the_requester_and_the_volunteer_without_personal_data(broker, app_clock):
    request = make_request()
    volunteer = make_volunteer(first_name="Vera")
    match = make_match(request, volunteer, status="accepted")
    move_to(app_clock, request, "after")
    booking.mark_done(match.id, by=broker)
    assert db.session.get(HelpRequest, request.id).status == "done"

    help_requests.reopen_request(request.id, by=broker)

    mails = outbox("matching_request_reopened")
    assert sorted(m.to_address for m in mails) == sorted([request.contact_email, volunteer.user.email])
    to_volunteer = next(m for m in mails if m.to_address == volunteer.user.email)
    for secret in (request.contact_name, request.street, request.contact_phone, request.recipient_name):
        assert secret not in to_volunteer.body_text and secret not in to_volunteer.body_html
    with pytest.raises(ValidationError):
        help_requests.reopen_request(request.id, by=broker)
    assert len(outbox("matching_request_reopened")) == 2


# --- Mijn taken ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("accepted", "when", "group"),
    [(True, "after", "done"), (False, "after", "ended"), (True, "before", "ended")],
)
def test_my_tasks_lists_only_accepted_past_tasks_under_done(app, app_clock, accepted, when, group):
    request = make_request()
    volunteer = make_volunteer()
    match = make_match(
        request, volunteer, status="accepted", accepted_at=None if not accepted else clock.naive_utcnow()
    )
    match.status = "done"  # as an earlier 'Gedaan' left it
    db.session.commit()
    move_to(app_clock, request, when)

    _profile, groups = volunteers.my_tasks(volunteer.user)

    assert [entry["match"].id for entry in groups[group]] == [match.id]
    if group != "done":
        assert groups["done"] == [] and not groups[group][0]["feedback_due"]


# --- the confirmation pages ----------------------------------------------------------------------------------


def page(client, url):
    response = client.get(url)
    assert response.status_code == 200, response.status_code
    return response.get_data(as_text=True)


def test_request_page_offers_done_only_when_it_may(app, client, broker, app_clock):
    request = make_request(urgency="high")
    match = make_match(request, make_volunteer(), status="approved")
    login_as(client, broker)
    text = page(client, f"/werkplek/hulp/vraag/{request.id}")
    assert f"/koppeling/{match.id}/gedaan" not in text and f"/koppeling/{match.id}/niet-gekomen" not in text
    assert f"/koppeling/{match.id}/annuleren" in text


@pytest.mark.parametrize(
    ("path", "status", "mail_line"),
    [
        ("gedaan", "done", "Niemand krijgt hierover een e-mail."),
        ("niet-gekomen", "no_show", "Niemand krijgt hierover een e-mail."),
        ("annuleren", "cancelled", "De vrijwilliger en de aanvrager krijgen een e-mail."),
    ],
)
def test_closing_page_asks_then_acts_with_csrf(app, client, broker, app_clock, path, status, mail_line):
    request = make_request()
    match = make_match(request, make_volunteer(), status="accepted")
    move_to(app_clock, request, "on, after the start")
    login_as(client, broker)
    url = f"/werkplek/hulp/koppeling/{match.id}/{path}"

    text = page(client, url)
    assert "Weet u het zeker?" in text and mail_line in text and 'name="csrf_token"' in text
    db.session.expire_all()
    assert db.session.get(Match, match.id).status == "accepted"  # GET changes nothing

    client.post(url, data={"request_id": str(request.id)})  # no CSRF token: nothing happens
    db.session.expire_all()
    assert db.session.get(Match, match.id).status == "accepted"

    response = post(client, app, url, {"request_id": str(request.id), "reason": "Opgenomen."})
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/werkplek/hulp/vraag/{request.id}")
    db.session.expire_all()
    assert db.session.get(Match, match.id).status == status
    if status == "cancelled":
        assert {m.to_address for m in outbox("matching_match_cancelled")} == {
            request.contact_email,
            match.volunteer.user.email,
        }


@pytest.mark.parametrize("path", ["gedaan", "niet-gekomen"])
def test_closing_too_early_is_refused_with_a_message(app, client, broker, app_clock, path):
    request = make_request()
    match = make_match(request, make_volunteer(), status="approved")
    login_as(client, broker)
    url = f"/werkplek/hulp/koppeling/{match.id}/{path}"

    shown = client.get(url)
    assert shown.status_code == 302  # no confirmation page: back to the request with the reason
    done = post(client, app, url, {"request_id": str(request.id)}, follow_redirects=True)
    assert done.status_code == 200
    assert NOT_ACCEPTED in done.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Match, match.id).status == "approved"
    assert db.session.get(HelpRequest, request.id).status == "open"


def test_reopen_page_asks_then_reopens(app, client, broker, app_clock):
    request = make_request(status="done", closed_at=clock.naive_utcnow() - timedelta(days=2))
    login_as(client, broker)
    url = f"/werkplek/hulp/vraag/{request.id}/heropenen"
    assert f"/vraag/{request.id}/heropenen" in page(client, f"/werkplek/hulp/vraag/{request.id}")

    text = page(client, url)
    assert "Weet u het zeker?" in text and "De aanvrager krijgt een e-mail" in text

    client.post(url, data={"csrf_token": "wrong"})
    db.session.expire_all()
    assert db.session.get(HelpRequest, request.id).status == "done"

    post(client, app, url)
    db.session.expire_all()
    assert db.session.get(HelpRequest, request.id).status == "open"
    assert [m.to_address for m in outbox("matching_request_reopened")] == [request.contact_email]


def test_reopen_after_14_days_is_refused_on_the_page(app, client, broker, app_clock):
    request = make_request(status="done", closed_at=clock.naive_utcnow() - timedelta(days=15))
    login_as(client, broker)
    assert "/heropenen" not in page(client, f"/werkplek/hulp/vraag/{request.id}")
    assert client.get(f"/werkplek/hulp/vraag/{request.id}/heropenen").status_code == 302
    response = client.post(
        f"/werkplek/hulp/vraag/{request.id}/heropenen",
        data={"csrf_token": csrf_token(client, app)},
        follow_redirects=True,
    )
    assert response.status_code == 200 and "tot 14 dagen na het sluiten" in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(HelpRequest, request.id).status == "done"
