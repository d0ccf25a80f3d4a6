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

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, cast

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import CursorResult, select, update
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import selectinload

from .. import clock, transactions
from ..accounts import permissions
from ..accounts.models import User
from ..directory import scopes
from ..errors import NotFound, PermissionDenied, ValidationError
from ..extensions import db
from ..notify.services import external_url
from . import assignment, links, mail, pool, queries, ranking, reasons, states, timeslots
from .models import (
    HOLDING_MATCH_STATUSES,
    PENDING_MATCH_STATUSES,
    Absence,
    Booking,
    HelpRequest,
    Match,
    Occurrence,
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
        "period": _("Deze vrijwilliger kan op geen dag in de gevraagde periode."),
    }


# --- approving -----------------------------------------------------------------------------------


def _integrity_message(error):
    text = str(getattr(error, "orig", error))
    if "ex_bookings_volunteer_overlap" in text:
        return _messages()["overlap"]
    return _messages()["taken"]


def _volunteer_windows(volunteer_id, exclude_match_id=None):
    statement = select(Booking.starts_at, Booking.ends_at).where(
        Booking.volunteer_id == volunteer_id, Booking.active.is_(True)
    )
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
    taken = set(
        db.session.scalars(
            select(Booking.occurrence_id).where(
                Booking.occurrence_id.in_([o.id for o in occurrences]), Booking.active.is_(True)
            )
        )
    )
    windows = _volunteer_windows(profile.id)
    weeks = Counter(timeslots.iso_week(timeslots.to_local(start, clock.zone_name()).date()) for start, _end in windows)
    covered = _covered_starts(match)
    chosen: list[Occurrence] = []
    reasons: Counter[str] = Counter()
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
        week = timeslots.iso_week(timeslots.to_local(occurrence.starts_at, clock.zone_name()).date())
        if weeks[week] >= profile.max_tasks_per_week:
            reasons["full"] += 1
            continue
        weeks[week] += 1
        windows.append((occurrence.starts_at, occurrence.ends_at))
        chosen.append(occurrence)
    return chosen, reasons


def _period_day(request, profile, match, now):
    """Return the first (start, end) of a period request's days that suits the volunteer, or None.

    "Geen haast" (issue #14): the days the ranking said the volunteer covers (all days when it
    said nothing), within their weekly grid, not while away, not over another booking, and not
    in a week they are full.
    """
    zone_name = clock.zone_name()
    covered = _covered_starts(match)
    windows = _volunteer_windows(profile.id)
    weeks = Counter(timeslots.iso_week(timeslots.to_local(start, zone_name).date()) for start, _end in windows)
    away = [
        (absence.starts_on, absence.ends_on)
        for absence in db.session.scalars(select(Absence).where(Absence.volunteer_id == profile.id))
    ]
    days = timeslots.period_windows(
        request.first_date, request.window_start, request.window_end, request.period_weeks, zone_name
    )
    for start, end in days:
        if start <= now or (covered is not None and start.isoformat() not in covered):
            continue
        local_start = timeslots.to_local(start, zone_name)
        mask = timeslots.parts_needed(local_start, timeslots.to_local(end, zone_name))
        if mask is None or mask & ~profile.availability:
            continue
        day = local_start.date()
        if any(first <= day <= last for first, last in away):
            continue
        if any(timeslots.overlaps(start, end, s, e) for s, e in windows):
            continue
        if weeks[timeslots.iso_week(day)] >= profile.max_tasks_per_week:
            continue
        return start, end
    return None


def _place_period(request, occurrences, profile, match, now):
    """Move a period request's open date to the day that suits this volunteer; False when none does."""
    open_dates = [o for o in occurrences if o.status == "open"]
    if not request.is_period or len(open_dates) != 1:
        return True
    day = _period_day(request, profile, match, now)
    if day is None:
        return False
    occurrence = open_dates[0]
    occurrence.starts_at, occurrence.ends_at = day
    db.session.flush()
    return True


def period_placeholder(request: HelpRequest) -> tuple[datetime, datetime]:
    """Return the (start, end) a period request's open date stands on: the period's last day."""
    return timeslots.occurrence_windows(
        request.period_last_day, request.window_start, request.window_end, 1, clock.zone_name()
    )[0]


def _refusal(reasons):
    for code in ("taken", "overlap", "full", "not_covered", "past"):
        if reasons[code]:
            return _messages()[code]
    return _messages()["past"]


def approve_match(match_id: int, by: User) -> Match:
    """Approve a suggested or interested volunteer: book the open dates they cover, then ask them.

    Idempotent: approving an approved (or accepted) match returns it unchanged. Raises
    ValidationError(None, …) when the date is taken or the volunteer is busy or full that week.
    """
    match = queries.load_match(match_id)
    request = match.request
    queries.require_request_broker(request, by)
    if match.status in HOLDING_MATCH_STATUSES + ("done",):
        return match
    if match.status not in PENDING_MATCH_STATUSES:
        raise ValidationError(None, _("Deze koppeling kan niet meer worden goedgekeurd."))
    if request.status not in MATCHABLE_REQUEST_STATUSES:
        raise ValidationError(None, _("Deze hulpvraag staat niet (meer) open."))
    if match.volunteer.status != "active":
        raise ValidationError(None, _("Deze vrijwilliger is nog niet goedgekeurd."))
    if not pool.may_help(match.volunteer, request):
        raise ValidationError(None, _("Deze vrijwilliger mag niet helpen in deze gemeente."))
    try:
        return transactions.retrying(lambda: _approve_locked(match, by))
    except IntegrityError as error:
        raise ValidationError(None, _integrity_message(error)) from None
    except OperationalError:
        # SQLite waited busy_timeout for the write lock in vain, or PostgreSQL kept failing
        raise ValidationError(None, _("Het is nu even te druk. Probeer het zo opnieuw.")) from None


def _claim(match: Match, statuses: tuple[str, ...], **values: Any) -> int:
    """Update a match only while its status is one of `statuses`; return 1 when this call moved it, 0 when a
    second click or another person did first (the row is not refreshed: reload or expire it)."""
    result = db.session.execute(
        update(Match)
        .where(Match.id == match.id, Match.status.in_(statuses))
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    return cast(CursorResult[Any], result).rowcount


def _approve_locked(match, by):
    """The transaction of approve_match: lock, claim the match, choose and claim the dates, book, mail."""
    now = clock.naive_utcnow()
    transactions.begin_write()
    # Lock first, then read: the volunteer's row, then the request's dates in id order.
    profile = db.session.scalars(
        select(VolunteerProfile)
        .where(VolunteerProfile.id == match.volunteer_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).one()
    occurrences = db.session.scalars(
        select(Occurrence)
        .where(Occurrence.request_id == match.request_id)
        .order_by(Occurrence.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).all()
    claimed = _claim(
        match, PENDING_MATCH_STATUSES, status="approved", approved_at=now, approved_by_id=by.id, updated_at=now
    )
    db.session.expire(match, ["status", "approved_at", "approved_by_id", "updated_at", "explanation"])
    if claimed != 1:
        # approved by someone else meanwhile (a double click): the same answer as the first
        db.session.rollback()
        if match.status in HOLDING_MATCH_STATUSES + ("done",):
            return match
        raise ValidationError(None, _("Deze koppeling kan niet meer worden goedgekeurd."))
    request = match.request
    if not _place_period(request, occurrences, profile, match, now):
        db.session.rollback()
        raise ValidationError(None, _messages()["period"])
    chosen, reasons = _choose_dates(match, profile, occurrences, now)
    if not chosen:
        db.session.rollback()
        raise ValidationError(None, _refusal(reasons))
    for occurrence in chosen:
        # Claim the date itself: a second approval finds it no longer open.
        if (
            cast(
                CursorResult[Any],
                db.session.execute(
                    update(Occurrence)
                    .where(Occurrence.id == occurrence.id, Occurrence.status == "open")
                    .values(status="booked")
                    .execution_options(synchronize_session=False)
                ),
            ).rowcount
            != 1
        ):
            db.session.rollback()
            raise ValidationError(None, _messages()["taken"])
        db.session.add(
            Booking(
                match_id=match.id,
                occurrence_id=occurrence.id,
                volunteer_id=profile.id,
                starts_at=occurrence.starts_at,
                ends_at=occurrence.ends_at,
                created_at=now,
            )
        )
    db.session.flush()
    request = match.request
    db.session.refresh(request)
    if request.status == "open":
        states.set_status(request, "proposed", by, "broker")
    states.record_event(
        request, "match_approved", by, "broker", note=f"{profile.first_name} ({len(chosen)}/{len(occurrences)})"
    )
    db.session.expire(match, ["bookings"])
    dates = mail.dates_of(request, match.bookings)
    mail.mail_volunteer(
        match,
        "matching_match_offered",
        dates=dates,
        link_url=mail.match_link_url(match),
        tasks_url=external_url("matching.my_tasks"),
    )
    mail.mail_requester(request, "matching_request_proposed", dates=dates)
    transactions.commit()
    return match


# --- releasing bookings -----------------------------------------------------------------------


def _release_bookings(match, now):
    """Deactivate a match's active bookings and reopen their dates (conditional UPDATEs); return them."""
    bookings = db.session.scalars(
        select(Booking)
        .where(Booking.match_id == match.id, Booking.active.is_(True))
        .execution_options(populate_existing=True)
    ).all()
    if not bookings:
        return []
    ids = [b.id for b in bookings]
    db.session.execute(
        update(Booking)
        .where(Booking.id.in_(ids), Booking.active.is_(True))
        .values(active=False, released_at=now)
        .execution_options(synchronize_session=False)
    )
    future = [b.occurrence_id for b in bookings if b.starts_at > now]
    if future:
        db.session.execute(
            update(Occurrence)
            .where(Occurrence.id.in_(future), Occurrence.status == "booked")
            .values(status="open")
            .execution_options(synchronize_session=False)
        )
        request = match.request
        if request.is_period:  # the period is open again: its date goes back to the last day
            starts_at, ends_at = period_placeholder(request)
            db.session.execute(
                update(Occurrence)
                .where(Occurrence.id.in_(future), Occurrence.status == "open")
                .values(starts_at=starts_at, ends_at=ends_at)
                .execution_options(synchronize_session=False)
            )
    db.session.expire(match, ["bookings"])
    for booking in bookings:
        db.session.expire(booking)
    return bookings


def _first_future_start(bookings, now):
    starts = [b.starts_at for b in bookings if b.starts_at > now]
    return min(starts) if starts else None


# --- the volunteer's answer ---------------------------------------------------------------------


def accept_match(match_id: int, by: User) -> Match:
    """The volunteer accepts an approved match: the request is matched and they see the address."""
    match = queries.load_match(match_id)
    queries.require_volunteer(by, match)
    return _accept(match, by)


@transactions.write
def _accept(match, by):
    if match.status in ("accepted", "done"):
        return match
    if match.status != "approved":
        raise ValidationError(None, _("Deze koppeling kan niet (meer) worden geaccepteerd."))
    now = clock.naive_utcnow()
    transactions.begin_write()
    claimed = _claim(match, ("approved",), status="accepted", accepted_at=now, updated_at=now)
    match = queries.load_match(match.id, populate=True)
    if claimed != 1:
        db.session.rollback()
        match = queries.load_match(match.id, populate=True)
        if match.status in ("accepted", "done"):
            return match
        raise ValidationError(None, _("Deze koppeling kan niet (meer) worden geaccepteerd."))
    request = match.request
    if request.status in ("open", "proposed"):
        states.set_status(request, "matched", by, "volunteer")
    states.record_event(request, "match_accepted", by, "volunteer", note=match.volunteer.first_name)
    dates = mail.dates_of(request, match.bookings)
    mail.mail_requester(
        request, "matching_match_accepted", volunteer_first_name=match.volunteer.first_name, dates=dates
    )
    mail.mail_volunteer_address(
        match, "matching_match_confirmed", dates=dates, task_url=external_url("matching.task", request_id=request.id)
    )
    transactions.commit()
    return match


def decline_match(match_id: int, by: User, reason: str | None = "") -> Match:
    """The volunteer says no to an offered (or suggested) match: the dates open again, brokers hear it."""
    match = queries.load_match(match_id)
    queries.require_volunteer(by, match)
    return _decline(match, by, reason)


@transactions.write
def _decline(match, by, reason=""):
    if match.status in ("declined", "withdrawn"):
        return match
    if match.status not in PENDING_MATCH_STATUSES + ("approved",):
        raise ValidationError(
            None, _("Deze koppeling kan niet (meer) worden geweigerd. Wilt u afzeggen? Gebruik dan ‘Afzeggen’.")
        )
    now = clock.naive_utcnow()
    transactions.begin_write()
    old = match.status
    claimed = _claim(
        match, (old,), status="declined", declined_at=now, cancel_reason=(reason or "").strip(), updated_at=now
    )
    if claimed != 1:
        db.session.rollback()
        match = queries.load_match(match.id, populate=True)
        if match.status in ("declined", "withdrawn"):
            return match
        raise ValidationError(None, _("Deze koppeling is intussen veranderd."))
    match = queries.load_match(match.id, populate=True)
    _release_bookings(match, now)
    request = match.request
    states.reopen(request, by, "volunteer")
    states.record_event(request, "match_declined", by, "volunteer", note=(reason or "").strip())
    if old == "approved":
        mail.mail_brokers(
            request,
            "matching_match_declined",
            match=match,
            reason=(reason or "").strip(),
            volunteer_first_name=match.volunteer.first_name,
        )
    transactions.commit()
    return match


def match_for_token(token: str) -> Match:
    """Return the match of an e-mail link (accept / decline), or raise NotFound."""
    payload = links.read_token("match-link", token, links.MATCH_LINK_MAX_AGE)
    if not isinstance(payload, dict) or "m" not in payload:
        raise NotFound("match link")
    match = queries.load_match(payload["m"])
    if match.volunteer_id != payload.get("v"):
        raise NotFound("match link")
    return match


def accept_match_by_token(token: str) -> Match:
    """Accept through the signed e-mail link; the link stands for the volunteer."""
    match = match_for_token(token)
    return _accept(match, match.volunteer.user)


def decline_match_by_token(token: str, reason: str | None = "") -> Match:
    """Decline through the signed e-mail link."""
    match = match_for_token(token)
    return _decline(match, match.volunteer.user, reason)


# --- broker decisions -------------------------------------------------------------------------


def _candidate_explanation(request, profile):
    """Return (score, explanation dict) from the ranking for one volunteer; (None, {...}) when excluded."""
    task = pool.task_input(request)
    if not task.windows or request.lat is None:
        return None, {}
    inputs = pool.volunteer_inputs(profiles=[profile])
    candidate = ranking.check(task, inputs[0], **pool.ranking_settings())
    if isinstance(candidate, str):
        return None, {"excluded": candidate}
    return candidate.score, explanation_of(candidate)


def explanation_of(candidate: ranking.Candidate) -> dict[str, Any]:
    """Return the JSON-able breakdown of a ranking candidate, as stored on a match (reason codes, no text)."""
    return reasons.breakdown(candidate)


@transactions.write
def suggest_match(
    request_id: int,
    volunteer_id: int,
    by: User,
    score: int | None = None,
    explanation: dict[str, Any] | None = None,
    source: str = "broker",
) -> Match:
    """A broker picks a candidate for a request: a suggested match with the ranking's reasons."""
    request = queries.load_request(request_id)
    queries.require_request_broker(request, by)
    profile = db.session.get(VolunteerProfile, volunteer_id)
    if profile is None or not pool.may_help(profile, request):  # another municipality's volunteer (issue #20)
        raise NotFound(f"volunteer {volunteer_id}")
    if request.status not in MATCHABLE_REQUEST_STATUSES:
        raise ValidationError(None, _("Deze hulpvraag staat niet (meer) open."))
    if profile.status != "active":
        raise ValidationError(None, _("Deze vrijwilliger is nog niet goedgekeurd."))
    match = db.session.scalars(
        select(Match).where(Match.request_id == request.id, Match.volunteer_id == profile.id)
    ).first()
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
    states.record_event(request, "match_suggested", by, "broker", note=profile.first_name)
    transactions.commit()
    return match


@transactions.write
def reject_match(match_id: int, by: User, reason: str | None = "") -> Match:
    """A broker does not choose a suggested or interested volunteer (they are not told)."""
    match = match_for_broker(match_id, by)
    if match.status == "rejected":
        return match
    if match.status not in PENDING_MATCH_STATUSES:
        raise ValidationError(None, _("Alleen een voorstel kan worden afgewezen. Annuleer een goedgekeurde koppeling."))
    now = clock.naive_utcnow()
    transactions.begin_write()
    _claim(match, PENDING_MATCH_STATUSES, status="rejected", cancel_reason=(reason or "").strip(), updated_at=now)
    match = queries.load_match(match.id, populate=True)
    states.record_event(match.request, "match_rejected", by, "broker", note=(reason or "").strip())
    transactions.commit()
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
        if queries.may_broker_request(request, by):
            roles.append("broker")
        if queries.is_volunteer_of(by, match):
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


@transactions.write
def cancel_match(
    match_id: int,
    by: User | None = None,
    reason: str | None = "",
    by_role: str | None = None,
    access_token: str | None = None,
) -> Match:
    """Cancel an approved or accepted match: the dates open again; late means brokers get a replacement list.

    The requester (logged in or through the request link), the volunteer or a broker may cancel.
    Idempotent: cancelling a cancelled match returns it.
    """
    match = queries.load_match(match_id)
    role = _cancel_role(match, by, access_token, by_role)
    if match.status == "cancelled":
        return match
    if match.status not in HOLDING_MATCH_STATUSES + PENDING_MATCH_STATUSES:
        raise ValidationError(None, _("Deze koppeling kan niet meer worden geannuleerd."))
    now = clock.naive_utcnow()
    transactions.begin_write()
    cancelled = cancel_in_transaction(match, role, reason, now, by)
    if cancelled is None:  # another request cancelled it first
        db.session.rollback()
        return queries.load_match(match_id, populate=True)
    transactions.commit()
    return cancelled


def cancel_in_transaction(
    match: Match,
    role: str,
    reason: str | None,
    now: datetime,
    by: User | None = None,
    notify_requester: bool = True,
) -> Match | None:
    """Cancel one match inside the caller's transaction (no commit); return it, or None when it had changed."""
    old = match.status
    reason = (reason or "").strip()
    bookings_before = db.session.scalars(
        select(Booking).where(Booking.match_id == match.id, Booking.active.is_(True))
    ).all()
    first = _first_future_start(bookings_before, now)
    late = bool(
        old in HOLDING_MATCH_STATUSES
        and first is not None
        and first - now < timedelta(hours=current_app.config["MATCHING_LATE_CANCEL_HOURS"])
    )
    claimed = _claim(
        match,
        (old,),
        status="cancelled",
        cancelled_at=now,
        cancelled_by=role,
        cancel_reason=reason,
        cancelled_late=late,
        updated_at=now,
    )
    if claimed != 1:
        return None
    match = queries.load_match(match.id, populate=True)
    released = _release_bookings(match, now)
    request = match.request
    states.reopen(request, by, role)
    states.record_event(request, "match_cancelled", by, role, note=reason + (" (laat)" if late else ""))
    if old in HOLDING_MATCH_STATUSES:
        dates = [mail.local_when(b.starts_at, b.ends_at) for b in released if b.starts_at > now]
        if role != "volunteer":
            mail.mail_volunteer(
                match,
                "matching_match_cancelled",
                cancelled_by=role,
                reason=reason,
                dates=dates,
                audience="volunteer",
                page_url=external_url("matching.my_tasks"),
            )
        if role != "requester" and notify_requester:
            mail.mail_requester(
                request,
                "matching_match_cancelled",
                cancelled_by=role,
                reason=reason,
                dates=dates,
                audience="requester",
                volunteer_first_name=match.volunteer.first_name,
            )
        if late and role != "broker" and not request.is_closed:
            mail.mail_brokers(
                request,
                "matching_late_cancellation",
                match=match,
                cancelled_by=role,
                reason=reason,
                first_start=mail.local_when(first, first + timedelta(minutes=1))[0],
                replacements=replacement_list(request),
                candidates_url=external_url("broker.candidates", request_id=request.id),
            )
    return match


def release_request(request: HelpRequest, by_role: str, reason: str | None = "", by: User | None = None) -> list[Match]:
    """Cancel every pending and holding match of a request that is being cancelled (no commit).

    Used by requests.cancel_request; the volunteers who were booked get an e-mail.
    """
    now = clock.naive_utcnow()
    transactions.begin_write()
    cancelled = []
    matches = db.session.scalars(
        select(Match)
        .where(Match.request_id == request.id, Match.status.in_(PENDING_MATCH_STATUSES + HOLDING_MATCH_STATUSES))
        .order_by(Match.id)
    ).all()
    for match in matches:
        done = cancel_in_transaction(match, by_role, reason, now, by, notify_requester=False)
        if done is not None:
            cancelled.append(done)
    return cancelled


# --- after the date ---------------------------------------------------------------------------

# "Gedaan" and "Niet gekomen" are for a match the volunteer accepted, once its last date has begun
# (issue #14, item 1): before that nothing has happened yet.
CLOSABLE_MATCH_STATUSES = ("accepted",)


def last_start(match: Match) -> datetime | None:
    """Return the naive-UTC start of the match's last active booked date, or None when it has none."""
    starts = [b.starts_at for b in match.bookings if b.active]
    return max(starts) if starts else None


def closing_refusal(match: Match, now: datetime) -> str | None:
    """Return why a broker may not mark this match done or not-come now, or None when they may."""
    if match.status not in CLOSABLE_MATCH_STATUSES:
        return _("Dit kan pas als de vrijwilliger de taak heeft geaccepteerd.")
    last = last_start(match)
    if last is None:
        return _("Deze koppeling heeft geen geplande datum.")
    if last > now:
        return _("Dit kan pas als de (laatste) datum van de taak is begonnen.")
    return None


def closing_refusal_now(match: Match) -> str | None:
    """Return closing_refusal at the app clock's now."""
    return closing_refusal(match, clock.naive_utcnow())


def cancel_refusal(match: Match) -> str | None:
    """Return why a broker may not cancel this match, or None when they may (approved or accepted)."""
    if match.status not in HOLDING_MATCH_STATUSES:
        return _("Deze koppeling kan niet meer worden geannuleerd.")
    return None


def match_for_broker(match_id: int, by: User) -> Match:
    """Return a match with its request and volunteer for a broker of the request's area (no personal data)."""
    match = queries.load_match(match_id)
    queries.require_request_broker(match.request, by)
    return match


def _require_closable(match):
    refusal = closing_refusal(match, clock.naive_utcnow())
    if refusal is not None:
        raise ValidationError(None, refusal)


def mark_done(match_id: int, by: User) -> Match:
    """A broker marks an accepted match done after its last date; the request closes when nothing is left."""
    match = match_for_broker(match_id, by)
    if match.status == "done":
        return match
    _require_closable(match)
    return finish_match(match, by, "broker")


@transactions.write
def finish_match(match: Match, by: User | None, role: str) -> Match:
    """Mark a holding match done in its own transaction (a broker, or the system after feedback)."""
    now = clock.naive_utcnow()
    transactions.begin_write()
    claimed = _claim(match, HOLDING_MATCH_STATUSES, status="done", done_at=now, updated_at=now)
    match = queries.load_match(match.id, populate=True)
    if claimed != 1:
        db.session.rollback()
        return queries.load_match(match.id, populate=True)
    booked = [b for b in match.bookings if b.active]
    if booked:
        db.session.execute(
            update(Occurrence)
            .where(Occurrence.id.in_([b.occurrence_id for b in booked]), Occurrence.status == "booked")
            .values(status="done")
            .execution_options(synchronize_session=False)
        )
        last_end = max(b.ends_at for b in booked)
        profile = match.volunteer
        if profile.last_task_at is None or profile.last_task_at < last_end:
            profile.last_task_at = last_end
    request = match.request
    db.session.refresh(request)
    states.record_event(request, "match_done", by, role, note=match.volunteer.first_name)
    states.close_when_finished(request, by, role, now)
    transactions.commit()
    return match


@transactions.write
def record_no_show(match_id: int, by: User, note: str | None = "") -> Match:
    """A broker records that the volunteer did not come. Only brokers ever see this."""
    match = match_for_broker(match_id, by)
    if match.status == "no_show":
        return match
    _require_closable(match)
    now = clock.naive_utcnow()
    transactions.begin_write()
    _claim(match, CLOSABLE_MATCH_STATUSES, status="no_show", no_show_at=now, updated_at=now)
    match = queries.load_match(match.id, populate=True)
    past = [b.id for b in match.bookings if b.active and b.starts_at <= now]
    if past:
        db.session.execute(
            update(Booking)
            .where(Booking.id.in_(past))
            .values(active=False, released_at=now)
            .execution_options(synchronize_session=False)
        )
    # Later dates of a series open again: someone else has to come.
    _release_bookings(match, now)
    states.record_event(match.request, "no_show", by, "broker", note=(note or "").strip())
    states.reopen(match.request, by, "broker")
    transactions.commit()
    return match


# --- replacement list for a late cancellation -----------------------------------------------------


def replacement_list(request: HelpRequest, limit: int = 5) -> list[dict[str, Any]]:
    """Return up to `limit` ready replacements, best first: [{volunteer_id, first_name, place, phone, score,
    reasons}]."""
    rows = []
    for candidate, profile in pool.replacement_list(request.id, by=None, limit=limit):
        rows.append(
            {
                "volunteer_id": profile.id,
                "first_name": profile.first_name,
                "place": profile.place_name,
                "phone": profile.phone,
                "score": candidate.score,
                "reasons": [reasons.record(reason) for reason in candidate.reasons],
            }
        )
    return rows


# --- "stel koppelingen voor" ------------------------------------------------------------------------


@dataclass
class BatchResult:
    """What a batch proposal run did: counts, and the new suggestions as (request_id, volunteer_id)."""

    requests: int = 0  # open requests considered
    volunteers: int = 0  # volunteers considered
    proposed: int = 0  # suggested matches written
    replaced: int = 0  # older batch suggestions removed
    unmatched: int = 0  # requests left without a proposal
    pairs: list[tuple[int, int]] = field(default_factory=list)


@transactions.write
def run_batch_proposals(area_id: int | None, by: User | None, system: bool = False) -> BatchResult:
    """Propose volunteers for every open request of an area at once (global assignment).

    Only requests without a holding (approved / accepted) match are considered, so approved
    matches are never changed; older `suggested` rows from an earlier batch are replaced;
    suggestions a broker made and volunteers' "Ik wil helpen" stay. system=True is the
    command line (`flask matching propose`), which acts without a user.
    """
    if not system:
        scopes.require_moderator(by, [area_id] if area_id else [])
    requests = db.session.scalars(
        select(HelpRequest)
        .where(HelpRequest.area_id == area_id, HelpRequest.status.in_(("open", "proposed")))
        .options(selectinload(HelpRequest.occurrences), selectinload(HelpRequest.matches))
        .order_by(HelpRequest.id)
    ).all()
    requests = [r for r in requests if not any(m.status in HOLDING_MATCH_STATUSES for m in r.matches)]
    result = BatchResult(requests=len(requests))
    tasks = [pool.task_input(r) for r in requests]
    tasks = [t for t in tasks if t is not None and t.windows]
    profiles = pool.volunteers_for(scopes.row_code(area_id), pool.volunteer_profiles())
    volunteers = pool.volunteer_inputs(profiles=profiles)
    result.volunteers = len(volunteers)
    proposals = assignment.propose(tasks, volunteers, **pool.ranking_settings()) if tasks else []
    by_request = {r.id: r for r in requests}
    now = clock.naive_utcnow()
    transactions.begin_write()
    for held in requests:
        for match in held.matches:
            if match.status == "suggested" and match.source == "batch":
                db.session.delete(match)
                result.replaced += 1
    db.session.flush()
    proposed_requests = set()
    for proposal in proposals:
        request = by_request.get(proposal.task_id)
        if request is None:
            continue
        existing = db.session.scalars(
            select(Match).where(Match.request_id == request.id, Match.volunteer_id == proposal.volunteer_id)
        ).first()
        explanation = explanation_of(proposal.candidate) if proposal.candidate is not None else {}
        if existing is not None:
            if existing.status in PENDING_MATCH_STATUSES + HOLDING_MATCH_STATUSES + ("done", "no_show"):
                proposed_requests.add(request.id)
                continue
            # an earlier declined or rejected match: do not propose the same person again
            continue
        db.session.add(
            Match(
                request_id=request.id,
                volunteer_id=proposal.volunteer_id,
                status="suggested",
                source="batch",
                score=proposal.score,
                explanation=explanation,
                created_at=now,
                created_by_id=getattr(by, "id", None),
            )
        )
        result.proposed += 1
        result.pairs.append((request.id, proposal.volunteer_id))
        proposed_requests.add(request.id)
    result.unmatched = len([r for r in requests if r.id not in proposed_requests])
    for request in requests:
        if request.id in proposed_requests:
            states.record_event(request, "batch_proposal", by, "system" if system else "broker")
    transactions.commit()
    return result
