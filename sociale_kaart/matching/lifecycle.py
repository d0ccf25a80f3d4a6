"""After approval (issue #4, item 8): reminders, "Is het doorgegaan?", feedback, expiry.

`flask matching reminders` runs send_reminders, ask_feedback, expire_requests and
escalate_waiting (issue #14), e.g. every hour. Each e-mail goes out once: a MatchNotice row
(unique per match, date and kind) records it, as FreshnessNotice does for listings, so running
the command twice sends nothing new; escalate_waiting records an 'escalated' RequestEvent.
Feedback is private: only brokers see it; there are no public ratings.
"""

from datetime import datetime, time, timedelta

from flask_babel import gettext as _
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from .. import clock, transactions
from ..accounts import permissions
from ..accounts.models import User
from ..errors import NotFound, PermissionDenied, ValidationError
from ..extensions import db
from ..notify.services import external_url
from . import booking, links, mail, queries, states, timeslots
from .models import (
    FEEDBACK_ROLES,
    HOLDING_MATCH_STATUSES,
    PENDING_MATCH_STATUSES,
    WAITING_REQUEST_STATUSES,
    Booking,
    Feedback,
    HelpRequest,
    Match,
    MatchNotice,
    Occurrence,
    RequestEvent,
)
from .vocabularies import TASK_TYPES

# Ask "Is het doorgegaan?" only about dates that ended this recently (a first run does not dig up the past).
FEEDBACK_WINDOW_DAYS = 7
MAX_COMMENT = 2000
# Matches that may get feedback (after their date).
FEEDBACK_MATCH_STATUSES = ("approved", "accepted", "done", "no_show")


def _task_label(request):
    task = TASK_TYPES.get(request.task_type)
    return task.label if task else request.task_type


def _record_notice(match_id, occurrence_id, kind):
    """Add the notice row and flush it; return False (rolled back) when another run sent it first."""
    db.session.add(
        MatchNotice(match_id=match_id, occurrence_id=occurrence_id, kind=kind, created_at=clock.naive_utcnow())
    )
    return _first_time(db.session.flush)


def _first_time(write):
    """Run a flush or commit of a notice; return False, rolled back, when its unique row says it went out already."""
    try:
        write()
    except IntegrityError:
        db.session.rollback()
        return False
    return True


def _bookings(*conditions):
    return db.session.scalars(
        select(Booking)
        .join(Match, Booking.match_id == Match.id)
        .where(Booking.active.is_(True), *conditions)
        .options(
            selectinload(Booking.match).selectinload(Match.request),
            selectinload(Booking.match).selectinload(Match.volunteer),
        )
        .order_by(Booking.starts_at, Booking.id)
    ).all()


def _already(kind, pairs):
    """Return the (match_id, occurrence_id) pairs that already had a notice of this kind."""
    if not pairs:
        return set()
    match_ids = {match_id for match_id, _occurrence in pairs}
    return {
        tuple(row)
        for row in db.session.execute(
            select(MatchNotice.match_id, MatchNotice.occurrence_id).where(
                MatchNotice.kind == kind, MatchNotice.match_id.in_(match_ids)
            )
        )
    }


# --- the day before ---------------------------------------------------------------------------------


@transactions.write
def send_reminders(now: datetime | None = None) -> dict[str, int]:
    """Remind volunteer and requester the day before each accepted date; return {"reminders", "emails"}."""
    now = clock.naive_utc(now)
    tomorrow = timeslots.to_local(now, clock.zone_name()).date() + timedelta(days=1)
    start = timeslots.to_utc_naive(timeslots.localize(tomorrow, time(0, 0), clock.zone_name()))
    end = timeslots.to_utc_naive(timeslots.localize(tomorrow + timedelta(days=1), time(0, 0), clock.zone_name()))
    counts = {"reminders": 0, "emails": 0}
    rows = _bookings(
        Match.status == "accepted", Booking.starts_at >= start, Booking.starts_at < end, Booking.starts_at > now
    )
    done = _already("reminder", [(b.match_id, b.occurrence_id) for b in rows])
    for row in rows:
        if (row.match_id, row.occurrence_id) in done:
            continue
        match, request = row.match, row.match.request
        local_start, local_end = mail.local_when(row.starts_at, row.ends_at)
        if not _record_notice(match.id, row.occurrence_id, "reminder"):
            continue
        sent = 0
        if mail.mail_volunteer_address(
            match,
            "matching_reminder",
            audience="volunteer",
            start=local_start,
            end=local_end,
            task_label=_task_label(request),
            url=external_url("matching.task", request_id=request.id),
        ):
            sent += 1
        if mail.mail_requester(
            request,
            "matching_reminder",
            audience="requester",
            start=local_start,
            end=local_end,
            task_label=_task_label(request),
            match=match,
            volunteer_first_name=match.volunteer.first_name,
            url=mail.request_url(request),
        ):
            sent += 1
        if not _first_time(transactions.commit):
            continue
        counts["reminders"] += 1
        counts["emails"] += sent
    return counts


# --- after the date ---------------------------------------------------------------------------------


def feedback_url(match: Match, role: str, happened: bool) -> str:
    """Return the one-click link "Ja, het is doorgegaan" / "Nee" for one person of a match."""
    token = links.make_token("feedback-link", {"m": match.id, "r": role})
    return external_url("matching.feedback_link", token=token, doorgegaan="ja" if happened else "nee")


@transactions.write
def ask_feedback(now: datetime | None = None) -> dict[str, int]:
    """Ask requester and volunteer "Is het doorgegaan?" once per match, after its first date; return counts."""
    now = clock.naive_utc(now)
    since = now - timedelta(days=FEEDBACK_WINDOW_DAYS)
    rows = _bookings(Match.status.in_(("accepted", "done")), Booking.ends_at <= now, Booking.ends_at > since)
    asked_matches = {
        match_id for match_id, _occurrence in _already("feedback", [(b.match_id, b.occurrence_id) for b in rows])
    }
    counts = {"questions": 0, "emails": 0}
    for row in rows:
        match, request = row.match, row.match.request
        if match.id in asked_matches:
            continue
        asked_matches.add(match.id)
        given = set(db.session.scalars(select(Feedback.author_role).where(Feedback.match_id == match.id)))
        if not _record_notice(match.id, row.occurrence_id, "feedback"):
            continue
        local_start, _local_end = mail.local_when(row.starts_at, row.ends_at)
        sent = 0
        if "volunteer" not in given and mail.mail_volunteer(
            match,
            "matching_feedback_request",
            audience="volunteer",
            start=local_start,
            yes_url=feedback_url(match, "volunteer", True),
            no_url=feedback_url(match, "volunteer", False),
        ):
            sent += 1
        if "requester" not in given and mail.mail_requester(
            request,
            "matching_feedback_request",
            audience="requester",
            start=local_start,
            match=match,
            volunteer_first_name=match.volunteer.first_name,
            yes_url=feedback_url(match, "requester", True),
            no_url=feedback_url(match, "requester", False),
        ):
            sent += 1
        if not _first_time(transactions.commit):
            continue
        counts["questions"] += 1
        counts["emails"] += sent
    return counts


def feedback_for_token(token: str) -> tuple[Match, str]:
    """Return (match, role) of a one-click feedback link, or raise NotFound."""
    payload = links.read_token("feedback-link", token, links.FEEDBACK_LINK_MAX_AGE)
    if not isinstance(payload, dict) or payload.get("r") not in ("requester", "volunteer"):
        raise NotFound("feedback link")
    match = queries.load_match(payload.get("m"))
    if match.request.anonymised_at is not None:
        raise NotFound("feedback link")
    return match, payload["r"]


def _feedback_author(match, role, by, token, access_token):
    """Return (author user id, actor role for the request's history), or raise PermissionDenied."""
    if role not in FEEDBACK_ROLES:
        raise ValidationError("role", _("Kies van wie de terugkoppeling is."))
    if token is not None:
        payload = links.read_token("feedback-link", token, links.FEEDBACK_LINK_MAX_AGE)
        if not isinstance(payload, dict) or payload.get("m") != match.id or payload.get("r") != role:
            raise PermissionDenied("wrong feedback link")
        return (match.volunteer.user_id if role == "volunteer" else match.request.requester_id), role
    if access_token is not None:
        if role != "requester" or access_token != match.request.access_token:
            raise PermissionDenied("wrong request link")
        return match.request.requester_id, role
    permissions.require_login(by)
    if role == "volunteer" and queries.is_volunteer_of(by, match):
        return by.id, role
    if role == "requester" and match.request.requester_id == by.id:
        return by.id, role
    if queries.may_broker_request(match.request, by):
        return by.id, "broker"  # a broker notes what they heard by phone, in any role
    raise PermissionDenied(f"no feedback on match {match.id} as {role}")


@transactions.write
def save_feedback(
    match_id: int,
    role: str,
    happened: bool,
    rating: int | None = None,
    comment: str = "",
    by: User | None = None,
    token: str | None = None,
    access_token: str | None = None,
) -> Feedback:
    """Save (or correct) one person's short private feedback on a match; return the Feedback row.

    When the requester or volunteer says it happened and no date is left, the match is done.
    """
    match = queries.load_match(match_id)
    author_id, actor_role = _feedback_author(match, role, by, token, access_token)
    if match.status not in FEEDBACK_MATCH_STATUSES:
        raise ValidationError(None, _("Bij deze koppeling kan geen terugkoppeling worden gegeven."))
    now = clock.naive_utcnow()
    started = any(b.starts_at <= now for b in match.bookings)
    if not started and match.status not in ("done", "no_show"):
        raise ValidationError(None, _("U kunt pas na de afspraak laten weten hoe het ging."))
    if rating is not None and rating not in (1, 2, 3):
        raise ValidationError("rating", _("Kies hoe het ging: goed, redelijk of niet goed."))
    comment = (comment or "").strip()
    if len(comment) > MAX_COMMENT:
        raise ValidationError("comment", _("Schrijf hooguit %(n)d tekens.", n=MAX_COMMENT))
    happened = bool(happened)
    feedback = db.session.scalar(select(Feedback).where(Feedback.match_id == match.id, Feedback.author_role == role))
    if feedback is None:
        feedback = Feedback(match_id=match.id, author_role=role, created_at=now)
        db.session.add(feedback)
    feedback.author_id = author_id
    feedback.happened = happened
    feedback.rating = rating
    feedback.comment = comment
    states.record_event(
        match.request, "feedback", by if permissions.is_authenticated(by) else None, actor_role, note=role
    )
    try:
        transactions.commit()
    except IntegrityError:  # the same person answered twice at once: keep the last answer
        db.session.rollback()
        feedback = db.session.scalar(
            select(Feedback).where(Feedback.match_id == match.id, Feedback.author_role == role)
        )
        assert feedback is not None, "the IntegrityError was the other answer's row"
        feedback.happened, feedback.rating, feedback.comment = happened, rating, comment
        transactions.commit()
    future = any(b.active and b.starts_at > now for b in match.bookings)
    if happened and role in ("requester", "volunteer") and match.status == "accepted" and not future:
        booking.finish_match(match, None, "system")
    return feedback


# --- expiry -------------------------------------------------------------------------------------------------


@transactions.write
def expire_requests(now: datetime | None = None) -> int:
    """Close requests nobody took before their last date started: status expired; return how many."""
    now = clock.naive_utc(now)
    last = (
        select(Occurrence.request_id, func.max(Occurrence.starts_at).label("last_start"))
        .group_by(Occurrence.request_id)
        .subquery()
    )
    requests = db.session.scalars(
        select(HelpRequest)
        .join(last, last.c.request_id == HelpRequest.id)
        .where(HelpRequest.status.in_(("submitted", "open", "proposed")), last.c.last_start <= now)
        .order_by(HelpRequest.id)
    ).all()
    expired = 0
    for request in requests:
        transactions.begin_write()
        db.session.refresh(request)
        if request.status not in ("submitted", "open", "proposed"):
            db.session.rollback()
            continue
        accepted = db.session.scalar(
            select(Match.id).where(Match.request_id == request.id, Match.status == "accepted").limit(1)
        )
        if accepted is not None:  # someone did (part of) it: the broker closes it as done
            db.session.rollback()
            continue
        for match in db.session.scalars(
            select(Match).where(Match.request_id == request.id, Match.status.in_(HOLDING_MATCH_STATUSES))
        ).all():
            # approved but never accepted: release quietly, the date is gone
            db.session.execute(
                update(Match)
                .where(Match.id == match.id, Match.status == "approved")
                .values(status="cancelled", cancelled_at=now, cancelled_by="system", updated_at=now)
                .execution_options(synchronize_session=False)
            )
            db.session.execute(
                update(Booking)
                .where(Booking.match_id == match.id, Booking.active.is_(True))
                .values(active=False, released_at=now)
                .execution_options(synchronize_session=False)
            )
        db.session.execute(
            update(Match)
            .where(Match.request_id == request.id, Match.status.in_(PENDING_MATCH_STATUSES))
            .values(status="withdrawn", updated_at=now)
            .execution_options(synchronize_session=False)
        )
        db.session.execute(
            update(Occurrence)
            .where(Occurrence.request_id == request.id, Occurrence.status == "open")
            .values(status="cancelled")
            .execution_options(synchronize_session=False)
        )
        states.set_status(request, "expired", None, "system", _("De datum is voorbij."))
        transactions.commit()
        expired += 1
    return expired


# --- a request that waits too long for a volunteer (issue #14, item 5) ---------------------------------------

# Hours a confirmed request may wait for a volunteer before its area's brokers get an e-mail.
ESCALATION_HOURS = {"high": 24, "normal": 4 * 24, "low": 4 * 24}
ESCALATED = "escalated"  # the RequestEvent action that records the e-mail went out (once per request)


@transactions.write
def escalate_waiting(now: datetime | None = None) -> int:
    """Mail the area's brokers about each request that waited too long for a volunteer; return how many.

    Spoed waits 24 hours, the others 4 days (since the requester confirmed). Each request is
    mailed about once: the 'escalated' RequestEvent is written in the same transaction as the
    mail, after locking the request's row, so two schedulers never both send it.
    """
    now = clock.naive_utc(now)
    since = func.coalesce(HelpRequest.confirmed_at, HelpRequest.created_at)
    sent_before = select(RequestEvent.id).where(
        RequestEvent.request_id == HelpRequest.id, RequestEvent.action == ESCALATED
    )
    candidates = db.session.scalars(
        select(HelpRequest.id)
        .where(
            HelpRequest.status.in_(WAITING_REQUEST_STATUSES),
            HelpRequest.confirmed_at.is_not(None),
            since <= now - timedelta(hours=min(ESCALATION_HOURS.values())),
            ~sent_before.exists(),
        )
        .order_by(HelpRequest.id)
    ).all()
    escalated = 0
    for request_id in candidates:
        transactions.begin_write()
        request = db.session.scalars(
            select(HelpRequest)
            .where(HelpRequest.id == request_id)
            .with_for_update()
            .execution_options(populate_existing=True)
        ).one()
        waited = now - request.waiting_since
        due = waited >= timedelta(hours=ESCALATION_HOURS.get(request.urgency, ESCALATION_HOURS["normal"]))
        already = db.session.scalar(
            select(RequestEvent.id).where(RequestEvent.request_id == request.id, RequestEvent.action == ESCALATED)
        )
        if not due or already is not None or request.status not in WAITING_REQUEST_STATUSES:
            db.session.rollback()
            continue
        states.record_event(request, ESCALATED, None, "system", note=request.urgency)
        mail.mail_brokers(
            request,
            "matching_request_waiting",
            task_label=_task_label(request),
            urgent=request.urgency == "high",
            hours=int(waited.total_seconds() // 3600),
        )
        transactions.commit()
        escalated += 1
    return escalated
