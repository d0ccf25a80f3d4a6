"""Matches and bookings (issue #4): suggest, approve, accept, decline, cancel, done, no-show.

No double booking is guaranteed by the database, not by a check-then-insert (issue #4, item 6):
approve_match runs in one write transaction that holds the locks before it checks anything
(SQLite: BEGIN IMMEDIATE, the single writer lock; PostgreSQL: SELECT … FOR UPDATE on the
volunteer's profile row and the request's occurrence rows, in id order), claims the match with
a conditional UPDATE, claims each date with a conditional UPDATE and inserts the bookings. The
partial unique index, the exclusion constraint (PostgreSQL) and the triggers (SQLite) on
`bookings` are the last line: their IntegrityError becomes a ValidationError.

Approve, accept, decline and cancel are idempotent: repeating one returns the match unchanged.
"""
import functools
from collections import Counter
from dataclasses import dataclass, field
from datetime import timedelta

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import selectinload

from .. import clock
from ..accounts import permissions
from ..accounts.models import User, UserRole, broker_areas
from ..errors import NotFound, PermissionDenied, ValidationError
from ..extensions import db
from ..notify.services import external_url, queue_message
from . import links, timeslots
from . import requests as help_requests
from .models import (
    HOLDING_MATCH_STATUSES, PENDING_MATCH_STATUSES, Booking, HelpRequest, Match, Occurrence,
    VolunteerProfile,
)

# Requests a broker may still add volunteers to.
MATCHABLE_REQUEST_STATUSES = ("open", "proposed", "matched")


def _messages():
    return {
        "taken": _("Er is voor deze datum al een vrijwilliger gekoppeld."),
        "overlap": _("Deze vrijwilliger heeft op dat moment al een taak."),
        "full": _("Deze vrijwilliger heeft in die week al het maximale aantal taken."),
        "past": _("Deze hulpvraag heeft geen open datums meer."),
        "not_covered": _("Deze vrijwilliger kan op geen van de open datums."),
    }


# --- loading and small helpers -----------------------------------------------------------------

def load_match(match_id, populate=False):
    """Return a match with its request and volunteer, or raise NotFound."""
    statement = select(Match).where(Match.id == match_id).options(
        selectinload(Match.request), selectinload(Match.volunteer).selectinload(VolunteerProfile.user),
    )
    if populate:
        statement = statement.execution_options(populate_existing=True)
    match = db.session.scalars(statement).first()
    if match is None:
        raise NotFound(f"match {match_id}")
    return match


def _load_request(request_id):
    request = db.session.get(HelpRequest, request_id)
    if request is None:
        raise NotFound(f"request {request_id}")
    return request


def _area_ids(request):
    return [request.area_id] if request.area_id else []


def _require_broker(by, request):
    permissions.require_moderator(by, _area_ids(request))


def _is_volunteer_of(by, match):
    return permissions.is_authenticated(by) and match.volunteer is not None and match.volunteer.user_id == by.id


def _require_volunteer(by, match):
    permissions.require_login(by)
    if not _is_volunteer_of(by, match):
        raise PermissionDenied(f"not the volunteer of match {match.id}")


def _zone():
    return current_app.config["TIMEZONE"]


def record_event(request, action, by=None, role="system", from_status=None, to_status=None, note=""):
    """Add a RequestEvent (who did what, when) to the session; the caller commits."""
    return help_requests.record_event(request, action, by, role, note=note, from_status=from_status,
                                      to_status=to_status)


def _set_request_status(request, to_status, by=None, role="system", note=""):
    if request.status != to_status:
        help_requests.set_status(request, to_status, by, role, note)


def brokers_of(area_id):
    """Return the active brokers of an area (every active broker when the request has no area)."""
    statement = (
        select(User).join(UserRole, UserRole.user_id == User.id)
        .where(UserRole.role == "broker", User.active.is_(True)).order_by(User.id)
    )
    if area_id:
        statement = statement.join(broker_areas, broker_areas.c.user_id == User.id).where(
            broker_areas.c.area_id == area_id)
    return db.session.scalars(statement).unique().all()


def local_when(occurrence_or_start, end=None):
    """Return '(dinsdag) 3 maart 2026, 13:00–17:00' style parts: (local start, local end)."""
    start = getattr(occurrence_or_start, "starts_at", occurrence_or_start)
    end = getattr(occurrence_or_start, "ends_at", end)
    return timeslots.to_local(start, _zone()), timeslots.to_local(end, _zone())


def _dates(request, bookings=None):
    """Return [(local start, local end)] of a match's booked dates, or the request's open ones."""
    if bookings:
        return [local_when(b.starts_at, b.ends_at) for b in bookings]
    return [local_when(o) for o in request.occurrences if o.status in ("open", "booked")]


def requester_url(request):
    return external_url("matching.my_request", token=request.access_token)


def match_link_url(match):
    """Return the e-mail link where the volunteer accepts or declines an offered match."""
    token = links.make_token("match-link", {"m": match.id, "v": match.volunteer_id})
    return external_url("matching.match_link", token=token)


def _mail_requester(request, template, **context):
    if not request.contact_email or request.anonymised_at:
        return None
    return queue_message(request.contact_email, template, request.language, request=request,
                         name=request.contact_name, request_url=requester_url(request), **context)


def _mail_volunteer(match, template, **context):
    user = match.volunteer.user
    if user is None or not user.email:
        return None
    return queue_message(user.email, template, user.language, match=match, request=match.request,
                         name=match.volunteer.first_name or user.name, **context)


def mail_volunteer_address(match, template, **context):
    """Mail the volunteer the requester's address and phone, logged as a view of the address (issue #12)."""
    message = _mail_volunteer(match, template, **context)
    if message is not None:
        help_requests.log_view(match.request, match.volunteer.user, "volunteer", "address")
    return message


def _mail_brokers(request, template, **context):
    for broker in brokers_of(request.area_id):
        queue_message(broker.email, template, broker.language, request=request, name=broker.name,
                      broker_url=external_url("broker.request", request_id=request.id), **context)


# --- the write transaction --------------------------------------------------------------------

def in_transaction(function):
    """Roll the session back when a service fails halfway, so no lock or half a change stays behind."""
    @functools.wraps(function)
    def wrapper(*args, **kwargs):
        try:
            return function(*args, **kwargs)
        except Exception:
            db.session.rollback()
            raise
    return wrapper


def begin_write():
    """Start the write transaction now, holding the write lock before anything is read.

    SQLite (pysqlite's legacy transaction mode) would begin only before the first INSERT or
    UPDATE, so the reads before it would see no lock; BEGIN IMMEDIATE takes the single writer
    lock at once (waiting up to busy_timeout). When the connection is already in a transaction
    it has written, so it holds that lock already. PostgreSQL locks rows instead (FOR UPDATE).
    """
    connection = db.session.connection()
    if connection.dialect.name == "sqlite":
        raw = connection.connection.dbapi_connection
        if not raw.in_transaction:
            connection.exec_driver_sql("BEGIN IMMEDIATE")
    return connection


def _integrity_message(error):
    text = str(getattr(error, "orig", error))
    if "ex_bookings_volunteer_overlap" in text:
        return _messages()["overlap"]
    return _messages()["taken"]


def _volunteer_windows(volunteer_id, exclude_match_id=None):
    statement = select(Booking.starts_at, Booking.ends_at).where(
        Booking.volunteer_id == volunteer_id, Booking.active.is_(True))
    if exclude_match_id is not None:
        statement = statement.where(Booking.match_id != exclude_match_id)
    return [tuple(row) for row in db.session.execute(statement)]


def _covered_starts(match):
    """Return the naive-UTC start moments the ranking said the volunteer covers, or None (all)."""
    covered = (match.explanation or {}).get("covered_windows")
    if not covered:
        return None
    return {value if isinstance(value, str) else value[0] for value in covered}


def _choose_dates(match, profile, occurrences, now):
    """Return (occurrences to book, Counter of reasons for the others) for an approval."""
    taken = set(db.session.scalars(select(Booking.occurrence_id).where(
        Booking.occurrence_id.in_([o.id for o in occurrences]), Booking.active.is_(True))))
    windows = _volunteer_windows(profile.id)
    weeks = Counter(timeslots.iso_week(timeslots.to_local(start, _zone()).date()) for start, _end in windows)
    covered = _covered_starts(match)
    chosen, reasons = [], Counter()
    for occurrence in sorted(occurrences, key=lambda o: o.starts_at):
        if occurrence.starts_at <= now or occurrence.status in ("cancelled", "done"):
            reasons["past"] += 1
            continue
        if occurrence.status != "open" or occurrence.id in taken:
            reasons["taken"] += 1
            continue
        if covered is not None and occurrence.starts_at.isoformat() not in covered:
            reasons["not_covered"] += 1
            continue
        if any(timeslots.overlaps(occurrence.starts_at, occurrence.ends_at, s, e) for s, e in windows):
            reasons["overlap"] += 1
            continue
        week = timeslots.iso_week(timeslots.to_local(occurrence.starts_at, _zone()).date())
        if weeks[week] >= profile.max_tasks_per_week:
            reasons["full"] += 1
            continue
        weeks[week] += 1
        windows.append((occurrence.starts_at, occurrence.ends_at))
        chosen.append(occurrence)
    return chosen, reasons


def _refusal(reasons):
    for code in ("taken", "overlap", "full", "not_covered", "past"):
        if reasons[code]:
            return _messages()[code]
    return _messages()["past"]


# PostgreSQL: a deadlock or serialization failure ends one transaction; trying again is safe.
RETRY_SQLSTATES = ("40P01", "40001")
ATTEMPTS = 3


def _retryable(error):
    return getattr(getattr(error, "orig", None), "sqlstate", None) in RETRY_SQLSTATES


def approve_match(match_id, by):
    """Approve a suggested or interested volunteer: book the open dates they cover, then ask them.

    Idempotent: approving an approved (or accepted) match returns it unchanged. Raises
    ValidationError(None, …) when the date is taken or the volunteer is busy or full that week.
    """
    match = load_match(match_id)
    request = match.request
    _require_broker(by, request)
    if match.status in HOLDING_MATCH_STATUSES + ("done",):
        return match
    if match.status not in PENDING_MATCH_STATUSES:
        raise ValidationError(None, _("Deze koppeling kan niet meer worden goedgekeurd."))
    if request.status not in MATCHABLE_REQUEST_STATUSES:
        raise ValidationError(None, _("Deze hulpvraag staat niet (meer) open."))
    if match.volunteer.status != "active":
        raise ValidationError(None, _("Deze vrijwilliger is nog niet goedgekeurd."))
    for attempt in range(1, ATTEMPTS + 1):
        try:
            return _approve_locked(match, by)
        except IntegrityError as error:
            db.session.rollback()
            raise ValidationError(None, _integrity_message(error)) from None
        except OperationalError as error:
            db.session.rollback()
            if _retryable(error) and attempt < ATTEMPTS:
                continue
            # SQLite waited busy_timeout for the write lock in vain, or PostgreSQL kept failing
            raise ValidationError(None, _("Het is nu even te druk. Probeer het zo opnieuw.")) from None
        except Exception:
            db.session.rollback()
            raise


def _approve_locked(match, by):
    """The transaction of approve_match: lock, claim the match, choose and claim the dates, book, mail."""
    now = clock.naive_utcnow()
    begin_write()
    # Lock first, then read: the volunteer's row, then the request's dates in id order.
    profile = db.session.scalars(
        select(VolunteerProfile).where(VolunteerProfile.id == match.volunteer_id)
        .with_for_update().execution_options(populate_existing=True)
    ).one()
    occurrences = db.session.scalars(
        select(Occurrence).where(Occurrence.request_id == match.request_id).order_by(Occurrence.id)
        .with_for_update().execution_options(populate_existing=True)
    ).all()
    claimed = db.session.execute(
        update(Match).where(Match.id == match.id, Match.status.in_(PENDING_MATCH_STATUSES))
        .values(status="approved", approved_at=now, approved_by_id=by.id, updated_at=now)
        .execution_options(synchronize_session=False)
    ).rowcount
    db.session.expire(match, ["status", "approved_at", "approved_by_id", "updated_at", "explanation"])
    if claimed != 1:
        # approved by someone else meanwhile (a double click): the same answer as the first
        db.session.rollback()
        if match.status in HOLDING_MATCH_STATUSES + ("done",):
            return match
        raise ValidationError(None, _("Deze koppeling kan niet meer worden goedgekeurd."))
    chosen, reasons = _choose_dates(match, profile, occurrences, now)
    if not chosen:
        db.session.rollback()
        raise ValidationError(None, _refusal(reasons))
    for occurrence in chosen:
        # Claim the date itself: a second approval finds it no longer open.
        if db.session.execute(
            update(Occurrence).where(Occurrence.id == occurrence.id, Occurrence.status == "open")
            .values(status="booked").execution_options(synchronize_session=False)
        ).rowcount != 1:
            db.session.rollback()
            raise ValidationError(None, _messages()["taken"])
        db.session.add(Booking(match_id=match.id, occurrence_id=occurrence.id, volunteer_id=profile.id,
                               starts_at=occurrence.starts_at, ends_at=occurrence.ends_at, created_at=now))
    db.session.flush()
    request = match.request
    db.session.refresh(request)
    if request.status == "open":
        _set_request_status(request, "proposed", by, "broker")
    record_event(request, "match_approved", by, "broker",
                 note=f"{profile.first_name} ({len(chosen)}/{len(occurrences)})")
    db.session.expire(match, ["bookings"])
    dates = _dates(request, match.bookings)
    _mail_volunteer(match, "matching_match_offered", dates=dates, link_url=match_link_url(match),
                    tasks_url=external_url("matching.my_tasks"))
    _mail_requester(request, "matching_request_proposed", dates=dates)
    db.session.commit()
    return match


# --- releasing bookings -----------------------------------------------------------------------

def _release_bookings(match, now):
    """Deactivate a match's active bookings and reopen their dates (conditional UPDATEs); return them."""
    bookings = db.session.scalars(select(Booking).where(Booking.match_id == match.id, Booking.active.is_(True))
                                  .execution_options(populate_existing=True)).all()
    if not bookings:
        return []
    ids = [b.id for b in bookings]
    db.session.execute(
        update(Booking).where(Booking.id.in_(ids), Booking.active.is_(True))
        .values(active=False, released_at=now).execution_options(synchronize_session=False))
    future = [b.occurrence_id for b in bookings if b.starts_at > now]
    if future:
        db.session.execute(
            update(Occurrence).where(Occurrence.id.in_(future), Occurrence.status == "booked")
            .values(status="open").execution_options(synchronize_session=False))
    db.session.expire(match, ["bookings"])
    for booking in bookings:
        db.session.expire(booking)
    return bookings


def _reopen_request(request, by, role, note=""):
    """Put a request back to open when it has no holding match left and is not closed."""
    if request.is_closed:
        return
    holding = db.session.scalar(select(Match.id).where(
        Match.request_id == request.id, Match.status.in_(HOLDING_MATCH_STATUSES)).limit(1))
    if holding is None and request.status in ("proposed", "matched"):
        _set_request_status(request, "open", by, role, note)
    elif holding is not None and request.status == "matched":
        accepted = db.session.scalar(select(Match.id).where(
            Match.request_id == request.id, Match.status == "accepted").limit(1))
        if accepted is None:
            _set_request_status(request, "proposed", by, role, note)


def _first_future_start(bookings, now):
    starts = [b.starts_at for b in bookings if b.starts_at > now]
    return min(starts) if starts else None


# --- the volunteer's answer ---------------------------------------------------------------------

def accept_match(match_id, by):
    """The volunteer accepts an approved match: the request is matched and they see the address."""
    match = load_match(match_id)
    _require_volunteer(by, match)
    return _accept(match, by)


@in_transaction
def _accept(match, by):
    if match.status in ("accepted", "done"):
        return match
    if match.status != "approved":
        raise ValidationError(None, _("Deze koppeling kan niet (meer) worden geaccepteerd."))
    now = clock.naive_utcnow()
    begin_write()
    claimed = db.session.execute(
        update(Match).where(Match.id == match.id, Match.status == "approved")
        .values(status="accepted", accepted_at=now, updated_at=now).execution_options(synchronize_session=False)
    ).rowcount
    match = load_match(match.id, populate=True)
    if claimed != 1:
        db.session.rollback()
        match = load_match(match.id, populate=True)
        if match.status in ("accepted", "done"):
            return match
        raise ValidationError(None, _("Deze koppeling kan niet (meer) worden geaccepteerd."))
    request = match.request
    if request.status in ("open", "proposed"):
        _set_request_status(request, "matched", by, "volunteer")
    record_event(request, "match_accepted", by, "volunteer", note=match.volunteer.first_name)
    dates = _dates(request, match.bookings)
    _mail_requester(request, "matching_match_accepted", volunteer_first_name=match.volunteer.first_name,
                    dates=dates)
    mail_volunteer_address(match, "matching_match_confirmed", dates=dates,
                           task_url=external_url("matching.task", request_id=request.id))
    db.session.commit()
    return match


def decline_match(match_id, by, reason=""):
    """The volunteer says no to an offered (or suggested) match: the dates open again, brokers hear it."""
    match = load_match(match_id)
    _require_volunteer(by, match)
    return _decline(match, by, reason)


@in_transaction
def _decline(match, by, reason=""):
    if match.status in ("declined", "withdrawn"):
        return match
    if match.status not in PENDING_MATCH_STATUSES + ("approved",):
        raise ValidationError(None, _("Deze koppeling kan niet (meer) worden geweigerd. Wilt u afzeggen? "
                                      "Gebruik dan ‘Afzeggen’."))
    now = clock.naive_utcnow()
    begin_write()
    old = match.status
    claimed = db.session.execute(
        update(Match).where(Match.id == match.id, Match.status == old)
        .values(status="declined", declined_at=now, cancel_reason=(reason or "").strip(), updated_at=now)
        .execution_options(synchronize_session=False)
    ).rowcount
    if claimed != 1:
        db.session.rollback()
        match = load_match(match.id, populate=True)
        if match.status in ("declined", "withdrawn"):
            return match
        raise ValidationError(None, _("Deze koppeling is intussen veranderd."))
    match = load_match(match.id, populate=True)
    _release_bookings(match, now)
    request = match.request
    _reopen_request(request, by, "volunteer")
    record_event(request, "match_declined", by, "volunteer", note=(reason or "").strip())
    if old == "approved":
        _mail_brokers(request, "matching_match_declined", match=match, reason=(reason or "").strip(),
                      volunteer_first_name=match.volunteer.first_name)
    db.session.commit()
    return match


def match_for_token(token):
    """Return the match of an e-mail link (accept / decline), or raise NotFound."""
    payload = links.read_token("match-link", token, links.MATCH_LINK_MAX_AGE)
    if not isinstance(payload, dict) or "m" not in payload:
        raise NotFound("match link")
    match = load_match(payload["m"])
    if match.volunteer_id != payload.get("v"):
        raise NotFound("match link")
    return match


def accept_match_by_token(token):
    """Accept through the signed e-mail link; the link stands for the volunteer."""
    match = match_for_token(token)
    return _accept(match, match.volunteer.user)


def decline_match_by_token(token, reason=""):
    """Decline through the signed e-mail link."""
    match = match_for_token(token)
    return _decline(match, match.volunteer.user, reason)


# --- broker decisions -------------------------------------------------------------------------

def _candidate_explanation(request, profile):
    """Return (score, explanation dict) from the ranking for one volunteer; (None, {...}) when excluded."""
    from . import pool, ranking

    task = pool.task_input(request)
    if not task.windows or request.lat is None:
        return None, {}
    inputs = pool.volunteer_inputs(profiles=[profile])
    candidate = ranking.check(task, inputs[0], **pool.ranking_settings())
    if isinstance(candidate, str):
        return None, {"excluded": candidate}
    return candidate.score, explanation_of(candidate)


def explanation_of(candidate):
    """Return the JSON-able breakdown of a ranking candidate, as stored on a match."""
    from . import ranking

    try:
        text = ranking.explain(candidate)
    except Exception:   # pragma: no cover - an explanation is a nicety, never a reason to fail
        text = ""
    return {
        "score": candidate.score,
        "distance_km": round(candidate.distance_km, 2) if candidate.distance_km is not None else None,
        "covered": candidate.covered,
        "total": candidate.total,
        "components": {name: round(value, 3) for name, value in (candidate.components or {}).items()},
        "reasons": [[reason.code, dict(reason.params)] for reason in candidate.reasons],
        "text": text,
        "covered_windows": [start.isoformat() for start, _end in candidate.covered_windows],
    }


@in_transaction
def suggest_match(request_id, volunteer_id, by, score=None, explanation=None, source="broker"):
    """A broker picks a candidate for a request: a suggested match with the ranking's reasons."""
    request = _load_request(request_id)
    _require_broker(by, request)
    profile = db.session.get(VolunteerProfile, volunteer_id)
    if profile is None:
        raise NotFound(f"volunteer {volunteer_id}")
    if request.status not in MATCHABLE_REQUEST_STATUSES:
        raise ValidationError(None, _("Deze hulpvraag staat niet (meer) open."))
    if profile.status != "active":
        raise ValidationError(None, _("Deze vrijwilliger is nog niet goedgekeurd."))
    match = db.session.scalars(select(Match).where(Match.request_id == request.id,
                                                   Match.volunteer_id == profile.id)).first()
    if match is not None and match.status in PENDING_MATCH_STATUSES + HOLDING_MATCH_STATUSES:
        return match
    if match is not None and match.status in ("done", "no_show"):
        raise ValidationError(None, _("Deze vrijwilliger heeft deze hulpvraag al gedaan."))
    if explanation is None:
        score, explanation = _candidate_explanation(request, profile)
    now = clock.naive_utcnow()
    if match is None:
        match = Match(request=request, volunteer=profile, created_at=now)
        db.session.add(match)
    match.status = "suggested"
    match.source = source
    match.score = score
    match.explanation = explanation or {}
    match.created_by_id = by.id
    match.declined_at = match.cancelled_at = None
    match.cancelled_by = None
    match.cancel_reason = ""
    record_event(request, "match_suggested", by, "broker", note=profile.first_name)
    db.session.commit()
    return match


@in_transaction
def reject_match(match_id, by, reason=""):
    """A broker does not choose a suggested or interested volunteer (they are not told)."""
    match = load_match(match_id)
    _require_broker(by, match.request)
    if match.status == "rejected":
        return match
    if match.status not in PENDING_MATCH_STATUSES:
        raise ValidationError(None, _("Alleen een voorstel kan worden afgewezen. Annuleer een goedgekeurde koppeling."))
    now = clock.naive_utcnow()
    begin_write()
    db.session.execute(
        update(Match).where(Match.id == match.id, Match.status.in_(PENDING_MATCH_STATUSES))
        .values(status="rejected", cancel_reason=(reason or "").strip(), updated_at=now)
        .execution_options(synchronize_session=False))
    match = load_match(match.id, populate=True)
    record_event(match.request, "match_rejected", by, "broker", note=(reason or "").strip())
    db.session.commit()
    return match


def _cancel_role(match, by, access_token=None, by_role=None):
    """Return the role in which `by` (or the holder of the request's link) cancels, or raise PermissionDenied."""
    request = match.request
    roles = []
    if access_token is not None:
        if access_token != request.access_token:
            raise PermissionDenied("wrong link")
        roles.append("requester")
    elif permissions.is_authenticated(by):
        if permissions.may_moderate(by, _area_ids(request)):
            roles.append("broker")
        if _is_volunteer_of(by, match):
            roles.append("volunteer")
        if request.requester_id is not None and request.requester_id == by.id:
            roles.append("requester")
    else:
        permissions.require_login(by)
    if by_role is not None:
        if by_role not in roles:
            raise PermissionDenied(f"may not cancel match {match.id} as {by_role}")
        return by_role
    if not roles:
        raise PermissionDenied(f"may not cancel match {match.id}")
    return roles[0]


@in_transaction
def cancel_match(match_id, by=None, reason="", by_role=None, access_token=None):
    """Cancel an approved or accepted match: the dates open again; late means brokers get a replacement list.

    The requester (logged in or through the request link), the volunteer or a broker may cancel.
    Idempotent: cancelling a cancelled match returns it.
    """
    match = load_match(match_id)
    role = _cancel_role(match, by, access_token, by_role)
    if match.status == "cancelled":
        return match
    if match.status not in HOLDING_MATCH_STATUSES + PENDING_MATCH_STATUSES:
        raise ValidationError(None, _("Deze koppeling kan niet meer worden geannuleerd."))
    now = clock.naive_utcnow()
    begin_write()
    match = _cancel(match, role, reason, now, by)
    if match is None:   # another request cancelled it first
        db.session.rollback()
        return load_match(match_id, populate=True)
    db.session.commit()
    return match


def _cancel(match, role, reason, now, by=None, notify_requester=True):
    """Cancel one match inside the caller's transaction; return it, or None when it had changed."""
    old = match.status
    reason = (reason or "").strip()
    bookings_before = db.session.scalars(select(Booking).where(
        Booking.match_id == match.id, Booking.active.is_(True))).all()
    first = _first_future_start(bookings_before, now)
    late = bool(old in HOLDING_MATCH_STATUSES and first is not None
                and first - now < timedelta(hours=current_app.config["MATCHING_LATE_CANCEL_HOURS"]))
    claimed = db.session.execute(
        update(Match).where(Match.id == match.id, Match.status == old)
        .values(status="cancelled", cancelled_at=now, cancelled_by=role, cancel_reason=reason,
                cancelled_late=late, updated_at=now)
        .execution_options(synchronize_session=False)
    ).rowcount
    if claimed != 1:
        return None
    match = load_match(match.id, populate=True)
    released = _release_bookings(match, now)
    request = match.request
    _reopen_request(request, by, role)
    record_event(request, "match_cancelled", by, role, note=reason + (" (laat)" if late else ""))
    if old in HOLDING_MATCH_STATUSES:
        dates = [local_when(b.starts_at, b.ends_at) for b in released if b.starts_at > now]
        if role != "volunteer":
            _mail_volunteer(match, "matching_match_cancelled", cancelled_by=role, reason=reason, dates=dates,
                            audience="volunteer", page_url=external_url("matching.my_tasks"))
        if role != "requester" and notify_requester:
            _mail_requester(request, "matching_match_cancelled", cancelled_by=role, reason=reason, dates=dates,
                            audience="requester", volunteer_first_name=match.volunteer.first_name)
        if late and role != "broker" and not request.is_closed:
            _mail_brokers(request, "matching_late_cancellation", match=match, cancelled_by=role, reason=reason,
                          first_start=local_when(first, first + timedelta(minutes=1))[0],
                          replacements=replacement_list(request),
                          candidates_url=external_url("broker.candidates", request_id=request.id))
    return match


def release_request(request, by_role, reason="", by=None):
    """Cancel every pending and holding match of a request that is being cancelled (no commit).

    Used by requests.cancel_request; the volunteers who were booked get an e-mail.
    """
    now = clock.naive_utcnow()
    begin_write()
    cancelled = []
    matches = db.session.scalars(select(Match).where(
        Match.request_id == request.id,
        Match.status.in_(PENDING_MATCH_STATUSES + HOLDING_MATCH_STATUSES)).order_by(Match.id)).all()
    for match in matches:
        done = _cancel(match, by_role, reason, now, by, notify_requester=False)
        if done is not None:
            cancelled.append(done)
    return cancelled


# --- after the date ---------------------------------------------------------------------------

def mark_done(match_id, by):
    """A broker marks a match done: its dates are done; the request closes when nothing is left."""
    match = load_match(match_id)
    _require_broker(by, match.request)
    if match.status == "done":
        return match
    if match.status not in HOLDING_MATCH_STATUSES:
        raise ValidationError(None, _("Alleen een goedgekeurde of geaccepteerde koppeling kan worden afgerond."))
    return _mark_done(match, by, "broker")


@in_transaction
def _mark_done(match, by, role):
    now = clock.naive_utcnow()
    begin_write()
    claimed = db.session.execute(
        update(Match).where(Match.id == match.id, Match.status.in_(HOLDING_MATCH_STATUSES))
        .values(status="done", done_at=now, updated_at=now).execution_options(synchronize_session=False)
    ).rowcount
    match = load_match(match.id, populate=True)
    if claimed != 1:
        db.session.rollback()
        return load_match(match.id, populate=True)
    booked = [b for b in match.bookings if b.active]
    if booked:
        db.session.execute(
            update(Occurrence).where(Occurrence.id.in_([b.occurrence_id for b in booked]),
                                     Occurrence.status == "booked")
            .values(status="done").execution_options(synchronize_session=False))
        last_end = max(b.ends_at for b in booked)
        profile = match.volunteer
        if profile.last_task_at is None or profile.last_task_at < last_end:
            profile.last_task_at = last_end
    request = match.request
    db.session.refresh(request)
    record_event(request, "match_done", by, role, note=match.volunteer.first_name)
    _close_when_finished(request, by, role, now)
    db.session.commit()
    return match


def _close_when_finished(request, by, role, now):
    """Close a request as done when no holding match and no future open date is left."""
    if request.is_closed:
        return
    holding = db.session.scalar(select(Match.id).where(
        Match.request_id == request.id, Match.status.in_(HOLDING_MATCH_STATUSES)).limit(1))
    open_future = db.session.scalar(select(Occurrence.id).where(
        Occurrence.request_id == request.id, Occurrence.status == "open", Occurrence.starts_at > now).limit(1))
    if holding is None and open_future is None:
        _set_request_status(request, "done", by, role)


@in_transaction
def record_no_show(match_id, by, note=""):
    """A broker records that the volunteer did not come. Only brokers ever see this."""
    match = load_match(match_id)
    _require_broker(by, match.request)
    if match.status == "no_show":
        return match
    if match.status not in HOLDING_MATCH_STATUSES + ("done",):
        raise ValidationError(None, _("Alleen bij een goedgekeurde koppeling kan ‘niet gekomen’ worden genoteerd."))
    now = clock.naive_utcnow()
    begin_write()
    db.session.execute(
        update(Match).where(Match.id == match.id, Match.status.in_(HOLDING_MATCH_STATUSES + ("done",)))
        .values(status="no_show", no_show_at=now, updated_at=now).execution_options(synchronize_session=False))
    match = load_match(match.id, populate=True)
    past = [b.id for b in match.bookings if b.active and b.starts_at <= now]
    if past:
        db.session.execute(update(Booking).where(Booking.id.in_(past)).values(active=False, released_at=now)
                           .execution_options(synchronize_session=False))
    # Later dates of a series open again: someone else has to come.
    _release_bookings(match, now)
    record_event(match.request, "no_show", by, "broker", note=(note or "").strip())
    _reopen_request(match.request, by, "broker")
    db.session.commit()
    return match


# --- replacement list for a late cancellation -----------------------------------------------------

def replacement_list(request, limit=5):
    """Return up to `limit` ready replacements [{volunteer_id, first_name, place, phone, score, text}], best first."""
    from . import pool, ranking

    rows = []
    for candidate, profile in pool.replacement_list(request.id, by=None, limit=limit):
        rows.append({"volunteer_id": profile.id, "first_name": profile.first_name, "place": profile.place_name,
                     "phone": profile.phone, "score": candidate.score, "text": ranking.explain(candidate)})
    return rows


# --- "stel koppelingen voor" ------------------------------------------------------------------------

@dataclass
class BatchResult:
    """What a batch proposal run did: counts, and the new suggestions as (request_id, volunteer_id)."""

    requests: int = 0          # open requests considered
    volunteers: int = 0        # volunteers considered
    proposed: int = 0          # suggested matches written
    replaced: int = 0          # older batch suggestions removed
    unmatched: int = 0         # requests left without a proposal
    pairs: list = field(default_factory=list)


@in_transaction
def run_batch_proposals(area_id, by, system=False):
    """Propose volunteers for every open request of an area at once (global assignment).

    Only requests without a holding (approved / accepted) match are considered, so approved
    matches are never changed; older `suggested` rows from an earlier batch are replaced;
    suggestions a broker made and volunteers' "Ik wil helpen" stay. system=True is the
    command line (`flask matching propose`), which acts without a user.
    """
    from . import assignment, pool

    if not system:
        permissions.require_moderator(by, [area_id] if area_id else [])
    requests = db.session.scalars(
        select(HelpRequest).where(HelpRequest.area_id == area_id, HelpRequest.status.in_(("open", "proposed")))
        .options(selectinload(HelpRequest.occurrences), selectinload(HelpRequest.matches))
        .order_by(HelpRequest.id)
    ).all()
    requests = [r for r in requests if not any(m.status in HOLDING_MATCH_STATUSES for m in r.matches)]
    result = BatchResult(requests=len(requests))
    tasks = [pool.task_input(r) for r in requests]
    tasks = [t for t in tasks if t is not None and t.windows]
    volunteers = pool.volunteer_inputs()
    result.volunteers = len(volunteers)
    proposals = assignment.propose(tasks, volunteers, **pool.ranking_settings()) if tasks else []
    by_request = {r.id: r for r in requests}
    now = clock.naive_utcnow()
    begin_write()
    for request in requests:
        for match in request.matches:
            if match.status == "suggested" and match.source == "batch":
                db.session.delete(match)
                result.replaced += 1
    db.session.flush()
    proposed_requests = set()
    for proposal in proposals:
        request = by_request.get(proposal.task_id)
        if request is None:
            continue
        existing = db.session.scalars(select(Match).where(
            Match.request_id == request.id, Match.volunteer_id == proposal.volunteer_id)).first()
        explanation = explanation_of(proposal.candidate) if proposal.candidate is not None else {}
        if existing is not None:
            if existing.status in PENDING_MATCH_STATUSES + HOLDING_MATCH_STATUSES + ("done", "no_show"):
                proposed_requests.add(request.id)
                continue
            # an earlier declined or rejected match: do not propose the same person again
            continue
        db.session.add(Match(request_id=request.id, volunteer_id=proposal.volunteer_id, status="suggested",
                             source="batch", score=proposal.score, explanation=explanation,
                             created_at=now, created_by_id=getattr(by, "id", None)))
        result.proposed += 1
        result.pairs.append((request.id, proposal.volunteer_id))
        proposed_requests.add(request.id)
    result.unmatched = len([r for r in requests if r.id not in proposed_requests])
    for request in requests:
        if request.id in proposed_requests:
            record_event(request, "batch_proposal", by, "system" if system else "broker")
    db.session.commit()
    return result
