"""The help request's state machine (issue #4, #13): every status change and its RequestEvent go through here.

Status flow: submitted (ingediend) → open (beoordeeld) → proposed → matched → done, or
cancelled / expired / rejected. TRANSITIONS is the one table of allowed moves; a move it does not
list is a programming error (InvalidTransition), never a user's mistake.

- `set_status` moves a loaded request inside the caller's transaction (moving to the status it
  has changes nothing);
- `claim` moves it with a conditional UPDATE (`... WHERE status IN (...)`), so a second click or
  two brokers at once change nothing; the caller records the step with `record_transition` when
  its other work is done (the history reads in the order things happened);
- `reopen` and `close_when_finished` are the request's rules after a match changed;
- `may_reopen` / `reopen_closed`: a broker reopens a request closed by mistake (issue #14).
Nothing here commits.
"""

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import CursorResult, select, update

from .. import clock
from ..accounts.models import User
from ..extensions import db
from .models import CLOSED_REQUEST_STATUSES, HOLDING_MATCH_STATUSES, HelpRequest, Match, Occurrence, RequestEvent

# from status -> the statuses a request may move to (None: a new request).
TRANSITIONS = {
    None: ("submitted",),
    "submitted": ("open", "rejected", "cancelled", "expired"),
    "open": ("proposed", "matched", "done", "rejected", "cancelled", "expired"),
    "proposed": ("open", "matched", "done", "cancelled", "expired"),
    "matched": ("open", "proposed", "done", "cancelled"),
    # A broker reopens a request closed by mistake (issue #14): see reopen_closed.
    "done": ("open",),
    "cancelled": ("open",),
}
# A closed request may be reopened this many days after it closed (issue #14).
REOPEN_DAYS = 14
REOPENABLE_STATUSES = ("done", "cancelled")
# Event notes are cut to this length.
MAX_NOTE = 2000


class InvalidTransition(ValueError):
    """A status change the table does not allow."""


def may_move(from_status: str | None, to_status: str | None) -> bool:
    """Return True when TRANSITIONS allows a request to go from one status to the other."""
    return to_status in TRANSITIONS.get(from_status, ())


def _check(from_status, to_status):
    if not may_move(from_status, to_status):
        raise InvalidTransition(f"a help request cannot go from {from_status} to {to_status}")


def record_event(
    request: HelpRequest,
    action: str,
    actor: User | None = None,
    actor_role: str = "system",
    note: str | None = "",
    from_status: str | None = None,
    to_status: str | None = None,
    at: datetime | None = None,
) -> RequestEvent:
    """Add a RequestEvent (who did what, when) to the session; no commit. A status step is checked first."""
    if to_status is not None and from_status != to_status:
        _check(from_status, to_status)
    event = RequestEvent(
        request=request,
        action=action,
        actor_id=actor.id if actor is not None else None,
        actor_role=actor_role,
        note=(note or "")[:MAX_NOTE],
        from_status=from_status,
        to_status=to_status,
        created_at=at or clock.naive_utcnow(),
    )
    db.session.add(event)
    return event


def record_transition(
    request: HelpRequest,
    action: str,
    from_status: str | None,
    to_status: str,
    actor: User | None = None,
    actor_role: str = "system",
    note: str | None = "",
) -> RequestEvent:
    """Record a status step made earlier by `claim` (no commit)."""
    return record_event(request, action, actor, actor_role, note, from_status, to_status)


def submitted(request: HelpRequest, actor: User | None, actor_role: str) -> RequestEvent:
    """Record that a new request was handed in (status submitted; no commit)."""
    request.status = "submitted"
    return record_event(request, "submitted", actor, actor_role, to_status="submitted")


def set_status(
    request: HelpRequest,
    to_status: str,
    actor: User | None,
    actor_role: str,
    note: str | None = "",
    action: str = "status",
) -> RequestEvent | None:
    """Move a loaded request to a status and record who did it (no commit); closing sets closed_at.

    Moving to the status it already has changes nothing and records nothing (returns None).
    """
    from_status = request.status
    if from_status == to_status:
        return None
    _check(from_status, to_status)
    request.status = to_status
    if to_status in CLOSED_REQUEST_STATUSES and request.closed_at is None:
        request.closed_at = clock.naive_utcnow()
    return record_event(request, action, actor, actor_role, note, from_status, to_status)


def claim(request: HelpRequest, from_statuses: Sequence[str], to_status: str, **columns: Any) -> bool:
    """Move a request's status only if it is still in from_statuses; return True when this call did it.

    A conditional UPDATE: when another transaction moved it first, the session is rolled back
    and nothing changes. The caller records the step with record_transition.
    """
    for from_status in from_statuses:
        _check(from_status, to_status)
    result = db.session.execute(
        update(HelpRequest)
        .where(HelpRequest.id == request.id, HelpRequest.status.in_(from_statuses))
        .values(status=to_status, updated_at=clock.naive_utcnow(), **columns)
        .execution_options(synchronize_session=False)
    )
    if cast(CursorResult[Any], result).rowcount != 1:
        db.session.rollback()
        return False
    db.session.refresh(request)
    return True


def reopen(request: HelpRequest, by: User | None, role: str, note: str | None = "") -> None:
    """Put a request back to open when it has no holding match left (or back to proposed when none is accepted)."""
    if request.is_closed:
        return
    holding = db.session.scalar(
        select(Match.id).where(Match.request_id == request.id, Match.status.in_(HOLDING_MATCH_STATUSES)).limit(1)
    )
    if holding is None and request.status in ("proposed", "matched"):
        set_status(request, "open", by, role, note)
    elif holding is not None and request.status == "matched":
        accepted = db.session.scalar(
            select(Match.id).where(Match.request_id == request.id, Match.status == "accepted").limit(1)
        )
        if accepted is None:
            set_status(request, "proposed", by, role, note)


def may_reopen(request: HelpRequest, now: datetime) -> bool:
    """Return True when a broker may still reopen this closed request (done or cancelled, closed < 14 days ago)."""
    return (
        request.status in REOPENABLE_STATUSES
        and request.closed_at is not None
        and now - request.closed_at <= timedelta(days=REOPEN_DAYS)
        and request.anonymised_at is None
    )


def reopen_closed(request: HelpRequest, by: User, note: str | None = "") -> RequestEvent | None:
    """Move a closed request back to open (no commit): closed_at is cleared, the step is recorded as 'reopened'."""
    event = set_status(request, "open", by, "broker", note, action="reopened")
    request.closed_at = None
    return event


def close_when_finished(request: HelpRequest, by: User | None, role: str, now: datetime) -> None:
    """Close a request as done when no holding match and no future open date is left."""
    if request.is_closed:
        return
    holding = db.session.scalar(
        select(Match.id).where(Match.request_id == request.id, Match.status.in_(HOLDING_MATCH_STATUSES)).limit(1)
    )
    open_future = db.session.scalar(
        select(Occurrence.id)
        .where(Occurrence.request_id == request.id, Occurrence.status == "open", Occurrence.starts_at > now)
        .limit(1)
    )
    if holding is None and open_future is None:
        set_status(request, "done", by, role)
