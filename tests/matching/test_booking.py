"""Matches and bookings: approve, accept, decline, cancel, done, no-show, batch proposals (issue #4)."""

from datetime import UTC, timedelta

import pytest
from sqlalchemy import select

from sociale_kaart import clock
from sociale_kaart.errors import NotFound, PermissionDenied, ValidationError
from sociale_kaart.extensions import db
from sociale_kaart.matching import booking, links, volunteers
from sociale_kaart.matching.models import Booking, HelpRequest, Match, Occurrence, PersonalDataView, RequestEvent
from sociale_kaart.notify.models import OutboxMessage
from tests.builders import make_user
from tests.matching.factories import (
    DRIEBERGEN,
    make_broker,
    make_match,
    make_request,
    make_volunteer,
    next_weekday,
)


def outbox(template=None, to=None):
    query = select(OutboxMessage).order_by(OutboxMessage.id)
    if template:
        query = query.where(OutboxMessage.template == template)
    if to:
        query = query.where(OutboxMessage.to_address == to)
    return db.session.scalars(query).all()


def active_bookings(match_id=None):
    query = select(Booking).where(Booking.active.is_(True))
    if match_id is not None:
        query = query.where(Booking.match_id == match_id)
    return db.session.scalars(query).all()


@pytest.fixture
def setup(app):
    """An open one-off request in Doorn, a broker of Doorn and a suggested volunteer."""
    broker = make_broker(areas=("doorn",))
    request = make_request()
    volunteer = make_volunteer(user_values={"name": "Vera Vrijwilliger-Achternaam"}, first_name="Vera")
    match = make_match(request, volunteer)
    return request, broker, volunteer, match


# --- approve -------------------------------------------------------------------------------------------


def test_approve_books_the_dates_and_asks_the_volunteer(setup):
    request, broker, volunteer, match = setup
    approved = booking.approve_match(match.id, by=broker)
    assert approved.status == "approved" and approved.approved_by_id == broker.id
    bookings = active_bookings(match.id)
    assert [b.occurrence_id for b in bookings] == [o.id for o in request.occurrences]
    assert db.session.get(Occurrence, request.occurrences[0].id).status == "booked"
    assert db.session.get(HelpRequest, request.id).status == "proposed"
    offer = outbox("matching_match_offered")[0]
    assert offer.to_address == volunteer.user.email
    assert "/koppeling/" in offer.body_text
    # the offer shows need-to-know only: no name, street or phone of the requester
    for secret in (request.contact_name, request.street, request.contact_phone, request.recipient_name):
        assert secret not in offer.body_text and secret not in offer.body_html
    assert outbox("matching_request_proposed")[0].to_address == request.contact_email


def test_approve_twice_is_a_no_op(setup):
    request, broker, volunteer, match = setup
    booking.approve_match(match.id, by=broker)
    again = booking.approve_match(match.id, by=broker)
    assert again.status == "approved"
    assert len(active_bookings()) == 1
    assert len(outbox("matching_match_offered")) == 1


def test_approve_requires_a_broker_of_the_area(setup):
    request, _broker, volunteer, match = setup
    elsewhere = make_broker(areas=("leersum",))
    for user in (elsewhere, volunteer.user, None):
        with pytest.raises(PermissionDenied):
            booking.approve_match(match.id, by=user)
    assert active_bookings() == []


def test_approve_refuses_a_date_with_a_volunteer_already(setup):
    request, broker, volunteer, match = setup
    other = make_volunteer()
    make_match(request, other, status="approved")
    with pytest.raises(ValidationError) as error:
        booking.approve_match(match.id, by=broker)
    assert error.value.message == "Er is voor deze datum al een vrijwilliger gekoppeld."
    assert db.session.get(Match, match.id).status == "suggested"


def test_approve_refuses_a_volunteer_busy_at_that_time(setup):
    request, broker, volunteer, match = setup
    same_time = make_request()
    make_match(same_time, volunteer, status="accepted")
    with pytest.raises(ValidationError) as error:
        booking.approve_match(match.id, by=broker)
    assert error.value.message == "Deze vrijwilliger heeft op dat moment al een taak."
    assert db.session.get(Match, match.id).status == "suggested"
    assert len(active_bookings()) == 1


def test_approve_keeps_the_weekly_cap(setup):
    request, broker, volunteer, match = setup
    volunteer.max_tasks_per_week = 1
    db.session.commit()
    # another task the same week, the morning of the same day: no overlap, but the week is full
    from datetime import time

    morning = make_request(window_start=time(9, 0), window_end=time(11, 0), first_date=request.first_date)
    make_match(morning, volunteer, status="accepted")
    with pytest.raises(ValidationError) as error:
        booking.approve_match(match.id, by=broker)
    assert "maximale aantal taken" in error.value.message


def test_approve_books_only_the_free_dates_of_a_series(app):
    broker = make_broker()
    series = make_request(weeks=4, task_type="respijt")
    volunteer = make_volunteer(max_tasks_per_week=3)
    # the volunteer already helps elsewhere at the time of the second date
    clash = make_request(first_date=series.first_date + timedelta(weeks=1))
    make_match(clash, volunteer, status="accepted")
    match = make_match(series, volunteer)
    booking.approve_match(match.id, by=broker)
    booked = sorted(b.occurrence.sequence for b in active_bookings(match.id))
    assert booked == [1, 3, 4]


def test_database_refuses_overlap_when_the_service_check_is_bypassed(setup):
    """The last line: the trigger (SQLite) or exclusion constraint (PostgreSQL) refuses the row."""
    from sqlalchemy.exc import IntegrityError

    request, broker, volunteer, match = setup
    same_time = make_request()
    make_match(same_time, volunteer, status="approved")
    match.status = "approved"
    occurrence = request.occurrences[0]
    db.session.add(
        Booking(
            match=match,
            occurrence=occurrence,
            volunteer_id=volunteer.id,
            starts_at=occurrence.starts_at,
            ends_at=occurrence.ends_at,
        )
    )
    with pytest.raises(IntegrityError):
        db.session.commit()
    db.session.rollback()


def test_approve_turns_a_database_refusal_into_a_dutch_message(setup, monkeypatch):
    """Even when the check in Python misses a clash, the constraint's error becomes a ValidationError."""
    request, broker, volunteer, match = setup
    same_time = make_request()
    make_match(same_time, volunteer, status="accepted")
    monkeypatch.setattr(booking, "_volunteer_windows", lambda *args, **kwargs: [])
    with pytest.raises(ValidationError) as error:
        booking.approve_match(match.id, by=broker)
    assert error.value.message == "Deze vrijwilliger heeft op dat moment al een taak."
    assert db.session.get(Match, match.id).status == "suggested"


def test_approve_refuses_an_unapproved_volunteer(app):
    broker = make_broker()
    request = make_request()
    volunteer = make_volunteer(status="pending")
    match = make_match(request, volunteer)
    with pytest.raises(ValidationError):
        booking.approve_match(match.id, by=broker)


# --- the volunteer's answer -------------------------------------------------------------------------


def test_accept_matches_the_request_and_mails_both(setup):
    request, broker, volunteer, match = setup
    booking.approve_match(match.id, by=broker)
    accepted = booking.accept_match(match.id, by=volunteer.user)
    assert accepted.status == "accepted" and accepted.accepted_at is not None
    assert db.session.get(HelpRequest, request.id).status == "matched"
    to_requester = outbox("matching_match_accepted")[0]
    assert to_requester.to_address == request.contact_email
    assert "Vera" in to_requester.body_text
    assert "Achternaam" not in to_requester.body_text and volunteer.user.email not in to_requester.body_text
    confirmed = outbox("matching_match_confirmed")[0]
    assert confirmed.to_address == volunteer.user.email
    assert request.street in confirmed.body_text and request.contact_phone in confirmed.body_text
    # idempotent
    assert booking.accept_match(match.id, by=volunteer.user).status == "accepted"
    assert len(outbox("matching_match_confirmed")) == 1


@pytest.mark.parametrize("phone", ["0343 111 222", ""])
def test_the_volunteer_who_accepts_can_reach_the_contact_by_phone_or_else_by_e_mail(app, phone):
    """A request may give an e-mail address and no phone (the form asks for one of the two): the volunteer then
    gets the address to write to, on the task page and in the e-mail; with a phone, only the phone (the least
    they need)."""
    broker = make_broker(areas=("doorn",))
    request = make_request(contact_email="mary@example.org", contact_phone=phone)
    volunteer = make_volunteer(first_name="Tom")
    match = make_match(request, volunteer)
    booking.approve_match(match.id, by=broker)
    booking.accept_match(match.id, by=volunteer.user)
    task = volunteers.task_for_volunteer(request.id, volunteer.user)
    confirmed = outbox("matching_match_confirmed")[0]
    if phone:
        assert (task["private"]["contact_phone"], task["private"]["contact_email"]) == (phone, "")
        assert phone in confirmed.body_text and "mary@example.org" not in confirmed.body_text + confirmed.body_html
        assert "Bel de contactpersoon even vooraf" in confirmed.body_text
    else:
        assert (task["private"]["contact_phone"], task["private"]["contact_email"]) == ("", "mary@example.org")
        assert "mary@example.org" in confirmed.body_text and "mary@example.org" in confirmed.body_html
        assert "Mail de contactpersoon even vooraf" in confirmed.body_text


def test_the_confirmation_mail_with_the_address_is_in_the_requesters_access_log(setup):
    """The e-mail gives the volunteer the address, so it counts as a view of it (issue #12)."""
    request, broker, volunteer, match = setup
    booking.approve_match(match.id, by=broker)
    booking.accept_match(match.id, by=volunteer.user)
    booking.accept_match(match.id, by=volunteer.user)  # a repeat sends nothing, logs nothing
    views = db.session.scalars(select(PersonalDataView)).all()
    assert [(v.request_id, v.viewer_id, v.viewer_role, v.viewer_name, v.what) for v in views] == [
        (request.id, volunteer.user.id, "volunteer", volunteer.first_name, "address")
    ]


def test_only_the_volunteer_accepts(setup):
    request, broker, volunteer, match = setup
    booking.approve_match(match.id, by=broker)
    for user in (broker, make_volunteer().user, None):
        with pytest.raises(PermissionDenied):
            booking.accept_match(match.id, by=user)


def test_a_suggestion_cannot_be_accepted_before_approval(setup):
    request, broker, volunteer, match = setup
    with pytest.raises(ValidationError):
        booking.accept_match(match.id, by=volunteer.user)


def test_accept_and_decline_by_e_mail_link(setup):
    request, broker, volunteer, match = setup
    booking.approve_match(match.id, by=broker)
    token = links.make_token("match-link", {"m": match.id, "v": volunteer.id})
    assert booking.match_for_token(token).id == match.id
    assert booking.accept_match_by_token(token).status == "accepted"
    with pytest.raises(NotFound):
        booking.match_for_token(links.make_token("feedback-link", {"m": match.id, "v": volunteer.id}))
    with pytest.raises(NotFound):
        booking.match_for_token(links.make_token("match-link", {"m": match.id, "v": volunteer.id + 1}))
    with pytest.raises(NotFound):
        booking.match_for_token("nonsense")


def test_decline_releases_the_dates_and_alerts_the_broker(setup):
    request, broker, volunteer, match = setup
    booking.approve_match(match.id, by=broker)
    declined = booking.decline_match(match.id, by=volunteer.user, reason="Ik ben op vakantie")
    assert declined.status == "declined"
    assert active_bookings() == []
    assert db.session.get(Occurrence, request.occurrences[0].id).status == "open"
    assert db.session.get(HelpRequest, request.id).status == "open"
    alert = outbox("matching_match_declined")
    assert [m.to_address for m in alert] == [broker.email]
    assert "vakantie" in alert[0].body_text
    assert booking.decline_match(match.id, by=volunteer.user).status == "declined"


def test_declined_dates_can_go_to_someone_else(setup):
    request, broker, volunteer, match = setup
    booking.approve_match(match.id, by=broker)
    booking.decline_match_by_token(links.make_token("match-link", {"m": match.id, "v": volunteer.id}))
    other = make_match(request, make_volunteer())
    assert booking.approve_match(other.id, by=broker).status == "approved"
    assert len(active_bookings()) == 1


# --- cancel -------------------------------------------------------------------------------------------


def test_cancel_by_the_volunteer_in_time_tells_the_requester(setup):
    request, broker, volunteer, match = setup
    booking.approve_match(match.id, by=broker)
    booking.accept_match(match.id, by=volunteer.user)
    cancelled = booking.cancel_match(match.id, by=volunteer.user, reason="Ziek", by_role="volunteer")
    assert cancelled.status == "cancelled" and cancelled.cancelled_by == "volunteer"
    assert cancelled.cancelled_late is False
    assert active_bookings() == []
    assert db.session.get(HelpRequest, request.id).status == "open"
    assert [m.to_address for m in outbox("matching_match_cancelled")] == [request.contact_email]
    assert outbox("matching_late_cancellation") == []
    # idempotent
    assert booking.cancel_match(match.id, by=volunteer.user, by_role="volunteer").status == "cancelled"
    assert len(outbox("matching_match_cancelled")) == 1


def test_late_cancel_alerts_brokers_with_a_replacement_list(setup, monkeypatch):
    request, broker, volunteer, match = setup
    replacement = make_volunteer(postcode=DRIEBERGEN, first_name="Ruud")
    booking.approve_match(match.id, by=broker)
    booking.accept_match(match.id, by=volunteer.user)
    start = request.occurrences[0].starts_at
    moment = (start - timedelta(hours=5)).replace(tzinfo=UTC)
    monkeypatch.setattr(clock, "utcnow", lambda: moment)
    cancelled = booking.cancel_match(match.id, by=volunteer.user, reason="Auto kapot")
    assert cancelled.cancelled_late is True
    alert = outbox("matching_late_cancellation")
    assert [m.to_address for m in alert] == [broker.email]
    assert "Ruud" in alert[0].body_text and " km per fiets (max " in alert[0].body_text  # reasons worded (#13)
    assert volunteer.first_name not in alert[0].body_text.split("vervangers")[1]
    assert "/kandidaten" in alert[0].body_text
    assert replacement.id in [row["volunteer_id"] for row in booking.replacement_list(request)]


def test_cancel_by_the_requester_through_the_link(setup):
    request, broker, volunteer, match = setup
    booking.approve_match(match.id, by=broker)
    with pytest.raises(PermissionDenied):
        booking.cancel_match(match.id, access_token="wrong")
    cancelled = booking.cancel_match(match.id, access_token=request.access_token, reason="Niet meer nodig")
    assert cancelled.cancelled_by == "requester"
    assert [m.to_address for m in outbox("matching_match_cancelled")] == [volunteer.user.email]


def test_others_may_not_cancel(setup):
    request, broker, volunteer, match = setup
    booking.approve_match(match.id, by=broker)
    stranger = make_user(roles=("resident",))
    with pytest.raises(PermissionDenied):
        booking.cancel_match(match.id, by=stranger)
    with pytest.raises(PermissionDenied):
        booking.cancel_match(match.id, by=broker, by_role="volunteer")


def test_release_request_cancels_every_match(setup):
    request, broker, volunteer, match = setup
    booking.approve_match(match.id, by=broker)
    pending = make_match(request, make_volunteer())
    cancelled = booking.release_request(db.session.get(HelpRequest, request.id), "requester", "Opgelost")
    db.session.commit()
    assert {m.id for m in cancelled} == {match.id, pending.id}
    assert active_bookings() == []


# --- broker decisions ---------------------------------------------------------------------------------


def test_suggest_stores_the_rankings_reasons(app):
    broker = make_broker()
    request = make_request(status="open")
    volunteer = make_volunteer()
    match = booking.suggest_match(request.id, volunteer.id, by=broker)
    assert match.status == "suggested" and match.source == "broker"
    assert match.score is not None and 0 <= match.score <= 100
    # codes with parameters, worded when shown (issue #13)
    assert match.explanation["reasons"][0]["code"] == "distance" and "text" not in match.explanation
    assert booking.suggest_match(request.id, volunteer.id, by=broker).id == match.id
    with pytest.raises(PermissionDenied):
        booking.suggest_match(request.id, volunteer.id, by=volunteer.user)


def test_reject_match_leaves_the_others(setup):
    request, broker, volunteer, match = setup
    other = make_match(request, make_volunteer())
    assert booking.reject_match(match.id, by=broker).status == "rejected"
    assert db.session.get(Match, other.id).status == "suggested"
    assert outbox() == []


def after_the_date(app_clock, request):
    """Move the app clock to one hour after the request's last date began."""
    last = max(o.starts_at for o in db.session.get(HelpRequest, request.id).occurrences)
    app_clock.start(last.replace(tzinfo=UTC) + timedelta(hours=1))


def test_mark_done_closes_the_request(setup, app_clock):
    request, broker, volunteer, match = setup
    booking.approve_match(match.id, by=broker)
    booking.accept_match(match.id, by=volunteer.user)
    after_the_date(app_clock, request)
    done = booking.mark_done(match.id, by=broker)
    assert done.status == "done"
    req = db.session.get(HelpRequest, request.id)
    assert req.status == "done" and req.closed_at is not None
    assert db.session.get(Occurrence, request.occurrences[0].id).status == "done"
    assert booking.mark_done(match.id, by=broker).status == "done"
    actions = [e.action for e in db.session.scalars(select(RequestEvent).where(RequestEvent.request_id == request.id))]
    assert "match_done" in actions


def test_no_show_is_for_brokers_only(setup, app_clock):
    request, broker, volunteer, match = setup
    booking.approve_match(match.id, by=broker)
    booking.accept_match(match.id, by=volunteer.user)
    after_the_date(app_clock, request)
    with pytest.raises(PermissionDenied):
        booking.record_no_show(match.id, by=volunteer.user)
    noted = booking.record_no_show(match.id, by=broker)
    assert noted.status == "no_show" and noted.no_show_at is not None
    assert booking.record_no_show(match.id, by=broker).status == "no_show"
    # nobody is told: no e-mail to the volunteer or the requester
    assert outbox("matching_match_cancelled") == []


# --- "stel koppelingen voor" ------------------------------------------------------------------------------


def test_batch_never_exceeds_a_volunteers_weekly_cap(app):
    from datetime import time

    broker = make_broker(areas=("doorn",))
    day = next_weekday(1)
    requests = [
        make_request(first_date=day + timedelta(days=offset), window_start=time(10, 0), window_end=time(12, 0))
        for offset in range(4)
    ]  # four days of one week
    only = make_volunteer(max_tasks_per_week=2)
    result = booking.run_batch_proposals(requests[0].area_id, by=broker)
    proposed = db.session.scalars(select(Match).where(Match.status == "suggested")).all()
    assert result.proposed == len(proposed) == 2
    assert {m.volunteer_id for m in proposed} == {only.id}
    assert all(m.source == "batch" for m in proposed)
    assert result.unmatched == 2


def test_batch_never_touches_an_approved_match_and_replaces_its_own_suggestions(app):
    broker = make_broker(areas=("doorn",))
    held = make_request()
    volunteer = make_volunteer(max_tasks_per_week=5)
    approved = make_match(held, volunteer, status="approved")
    open_request = make_request(first_date=next_weekday(3))
    first = booking.run_batch_proposals(held.area_id, by=broker)
    assert first.pairs == [(open_request.id, volunteer.id)]
    second = booking.run_batch_proposals(held.area_id, by=broker)
    assert second.replaced == 1 and second.proposed == 1
    assert db.session.get(Match, approved.id).status == "approved"
    assert len(active_bookings(approved.id)) == 1
    matches = db.session.scalars(select(Match).where(Match.request_id == held.id)).all()
    assert [m.id for m in matches] == [approved.id]


def test_batch_keeps_a_brokers_own_suggestion(app):
    broker = make_broker(areas=("doorn",))
    request = make_request()
    volunteer = make_volunteer()
    own = make_match(request, volunteer, status="suggested", source="broker")
    booking.run_batch_proposals(request.area_id, by=broker)
    assert db.session.get(Match, own.id).source == "broker"


def test_batch_requires_a_broker_of_the_area(app):
    request = make_request()
    with pytest.raises(PermissionDenied):
        booking.run_batch_proposals(request.area_id, by=make_broker(areas=("leersum",)))


def test_approve_tries_again_after_a_deadlock(setup, monkeypatch):
    """PostgreSQL may end one of two waiting transactions (deadlock detected): approve tries again."""
    from sqlalchemy.exc import OperationalError

    request, broker, volunteer, match = setup

    class Deadlock(Exception):
        sqlstate = "40P01"

    locked = booking._approve_locked
    calls = []

    def flaky(*args, **kwargs):
        calls.append(1)
        if len(calls) == 1:
            raise OperationalError("SELECT ... FOR UPDATE", {}, Deadlock("deadlock detected"))
        return locked(*args, **kwargs)

    monkeypatch.setattr(booking, "_approve_locked", flaky)
    assert booking.approve_match(match.id, by=broker).status == "approved"
    assert len(calls) == 2


def test_approve_gives_up_politely_when_the_database_stays_busy(setup, monkeypatch):
    from sqlalchemy.exc import OperationalError

    request, broker, volunteer, match = setup

    def busy(*args, **kwargs):
        raise OperationalError("BEGIN IMMEDIATE", {}, Exception("database is locked"))

    monkeypatch.setattr(booking, "_approve_locked", busy)
    with pytest.raises(ValidationError) as error:
        booking.approve_match(match.id, by=broker)
    assert error.value.message == "Het is nu even te druk. Probeer het zo opnieuw."
