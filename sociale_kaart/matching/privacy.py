"""Privacy by design for help requests (issue #4, item 7; AVG).

- Every view of a requester's personal data by a broker or volunteer is a PersonalDataView
  row; the requester sees the list on their page (`access_log`).
- A requester downloads what is stored about a request (`export_request`); an account's download
  (accounts.privacy) takes its requests and volunteer profile from `account_data`, and deleting
  an account cancels and anonymises them (account_events.py).
- Closed requests are anonymised after MATCHING_RETENTION_DAYS (`run_retention`, run by
  `flask matching retention`).
Volunteers stay private towards requesters too: exports and logs name them by first name only.
"""

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from flask import current_app
from sqlalchemy import func, select, update
from sqlalchemy.orm import selectinload

from .. import clock, transactions
from ..accounts.models import User
from ..extensions import db
from .models import (
    CLOSED_REQUEST_STATUSES,
    PENDING_MATCH_STATUSES,
    Feedback,
    HelpRequest,
    Match,
    PersonalDataView,
    RequestEvent,
    VolunteerProfile,
    new_token,
)

VIEWER_ROLES = ("broker", "admin", "volunteer")
# Coordinates of an anonymised request keep about a kilometre of precision (the village, not the house).
ANONYMOUS_DECIMALS = 2


def _iso(value):
    return value.isoformat() if value is not None else None


# --- access log ---------------------------------------------------------------------------------


def _viewer_name(viewer, role):
    """Return how the requester sees the viewer: a volunteer by first name, staff by name."""
    if viewer is None:
        return ""
    if role == "volunteer":
        first_name = db.session.scalar(select(VolunteerProfile.first_name).where(VolunteerProfile.user_id == viewer.id))
        return first_name or (viewer.name or "").split(" ")[0]
    return viewer.name or viewer.email


def log_view(request: HelpRequest, viewer: User | None, role: str, what: str) -> PersonalDataView:
    """Add a PersonalDataView: `viewer` (as broker, admin or volunteer) saw `what` of a request. No commit."""
    view = PersonalDataView(
        request_id=request.id,
        viewer_id=getattr(viewer, "id", None),
        viewer_name=_viewer_name(viewer, role),
        viewer_role=role,
        what=what,
        created_at=clock.naive_utcnow(),
    )
    db.session.add(view)
    return view


def access_log(request: HelpRequest) -> Sequence[PersonalDataView]:
    """Return who viewed a request's personal data and when, newest first (PersonalDataView rows)."""
    return db.session.scalars(
        select(PersonalDataView)
        .where(PersonalDataView.request_id == request.id)
        .order_by(PersonalDataView.created_at.desc(), PersonalDataView.id.desc())
    ).all()


# --- export ---------------------------------------------------------------------------------------


def _dates(occurrences):
    return [{"starts_at": _iso(o.starts_at), "ends_at": _iso(o.ends_at), "status": o.status} for o in occurrences]


def _request_data(request):
    """Return everything stored about one request, as the requester may see it."""
    matches = []
    for match in request.matches:
        if match.status in PENDING_MATCH_STATUSES + ("rejected",):
            continue  # candidates the broker considered are not the requester's data
        matches.append(
            {
                "volunteer_first_name": match.volunteer.first_name if match.volunteer else "",
                "status": match.status,
                "approved_at": _iso(match.approved_at),
                "accepted_at": _iso(match.accepted_at),
                "cancelled_at": _iso(match.cancelled_at),
                "cancelled_by": match.cancelled_by,
                "done_at": _iso(match.done_at),
                "dates": [
                    {"starts_at": _iso(b.starts_at), "ends_at": _iso(b.ends_at), "active": b.active}
                    for b in match.bookings
                ],
            }
        )
    feedback = [
        {"happened": f.happened, "rating": f.rating, "comment": f.comment, "created_at": _iso(f.created_at)}
        for match in request.matches
        for f in match.feedback
        if f.author_role == "requester"
    ]
    return {
        "id": request.id,
        "uuid": request.uuid,
        "status": request.status,
        "task_type": request.task_type,
        "urgency": request.urgency,
        "relation": request.relation,
        "contact_name": request.contact_name,
        "contact_email": request.contact_email,
        "contact_phone": request.contact_phone,
        "recipient_name": request.recipient_name,
        "description": request.description,
        "summary": request.summary,
        "street": request.street,
        "house_number": request.house_number,
        "postcode": request.postcode,
        "place": request.place_name,
        "schedule_kind": request.schedule_kind,
        "first_date": _iso(request.first_date),
        "window_start": _iso(request.window_start),
        "window_end": _iso(request.window_end),
        "duration_minutes": request.duration_minutes,
        "weeks": request.weeks,
        "preferred_language": request.preferred_language,
        "language_required": request.language_required,
        "skills_wanted": list(request.skills_wanted or []),
        "same_volunteer": request.same_volunteer,
        "max_km": request.max_km,
        "created_at": _iso(request.created_at),
        "confirmed_at": _iso(request.confirmed_at),
        "reviewed_at": _iso(request.reviewed_at),
        "rejection_reason": request.rejection_reason,
        "closed_at": _iso(request.closed_at),
        "anonymised_at": _iso(request.anonymised_at),
        "dates": _dates(request.occurrences),
        "events": [
            {
                "action": e.action,
                "from_status": e.from_status,
                "to_status": e.to_status,
                "by": e.actor_role,
                "at": _iso(e.created_at),
            }
            for e in request.events
        ],
        "volunteers": matches,
        "feedback_given": feedback,
        "access_log": [
            {"at": _iso(v.created_at), "role": v.viewer_role, "name": v.viewer_name, "what": v.what}
            for v in access_log(request)
        ],
    }


def _load_requests(condition):
    return db.session.scalars(
        select(HelpRequest)
        .where(condition)
        .options(
            selectinload(HelpRequest.occurrences),
            selectinload(HelpRequest.events),
            selectinload(HelpRequest.matches).selectinload(Match.volunteer),
            selectinload(HelpRequest.matches).selectinload(Match.bookings),
            selectinload(HelpRequest.matches).selectinload(Match.feedback),
        )
        .order_by(HelpRequest.id)
    ).all()


def _volunteer_data(profile):
    """Return a volunteer's own data; the requests they helped with only what every volunteer may see."""
    matches = db.session.scalars(
        select(Match)
        .where(Match.volunteer_id == profile.id)
        .options(selectinload(Match.request), selectinload(Match.bookings), selectinload(Match.feedback))
        .order_by(Match.id)
    ).all()
    return {
        "status": profile.status,
        "first_name": profile.first_name,
        "phone": profile.phone,
        "postcode": profile.postcode,
        "street": profile.street,
        "house_number": profile.house_number,
        "place": profile.place_name,
        "travel_mode": profile.travel_mode,
        "max_km": profile.max_km,
        "task_types": list(profile.task_types or []),
        "skills": list(profile.skills or []),
        "languages": list(profile.languages or []),
        "availability": profile.availability,
        "max_tasks_per_week": profile.max_tasks_per_week,
        "paused": profile.paused,
        "paused_until": _iso(profile.paused_until),
        "motivation": profile.motivation,
        "vog_checked_on": _iso(profile.vog_checked_on),
        "vog_valid_until": _iso(profile.vog_valid_until),
        "created_at": _iso(profile.created_at),
        "approved_at": _iso(profile.approved_at),
        "absences": [{"from": _iso(a.starts_on), "to": _iso(a.ends_on), "note": a.note} for a in profile.absences],
        "tasks": [
            {
                "task_type": m.request.task_type,
                "place": m.request.place_name,
                "pc4": m.request.pc4,
                "status": m.status if m.status != "no_show" else "closed",  # no-shows are for brokers only (issue #4)
                "message": m.message,
                "dates": [
                    {"starts_at": _iso(b.starts_at), "ends_at": _iso(b.ends_at), "active": b.active} for b in m.bookings
                ],
                "feedback_given": [
                    {"happened": f.happened, "rating": f.rating, "comment": f.comment}
                    for f in m.feedback
                    if f.author_role == "volunteer"
                ],
            }
            for m in matches
        ],
    }


def export_request(request: HelpRequest) -> dict[str, Any]:
    """Return the JSON-able data of one request, as its requester downloads it."""
    now = clock.naive_utcnow()
    return {"exported_at": _iso(now), "request": _request_data(_load_requests(HelpRequest.id == request.id)[0])}


def account_data(user: User) -> dict[str, Any]:
    """Return an account's requests and volunteer profile, its part of the account's data download."""
    profile = db.session.scalar(
        select(VolunteerProfile)
        .where(VolunteerProfile.user_id == user.id)
        .options(selectinload(VolunteerProfile.absences))
    )
    return {
        "requests": [_request_data(r) for r in _load_requests(HelpRequest.requester_id == user.id)],
        "volunteer": _volunteer_data(profile) if profile is not None else None,
    }


# --- anonymising ------------------------------------------------------------------------------------


def anonymise_request(request: HelpRequest, now: datetime | None = None) -> HelpRequest:
    """Blank a request's personal data (keeping PC4, village, task type and dates for statistics). No commit."""
    if request.anonymised_at is not None:
        return request
    now = now or clock.naive_utcnow()
    for column in (
        "contact_name",
        "contact_email",
        "contact_phone",
        "recipient_name",
        "recipient_first_name",
        "description",
        "summary",
        "street",
        "house_number",
        "postcode",
        "rejection_reason",
    ):
        setattr(request, column, "")
    if request.lat is not None:
        request.lat = round(request.lat, ANONYMOUS_DECIMALS)
    if request.lon is not None:
        request.lon = round(request.lon, ANONYMOUS_DECIMALS)
    request.requester_id = None
    request.access_token = new_token()  # the old link shows nothing any more
    request.anonymised_at = now
    match_ids = select(Match.id).where(Match.request_id == request.id)
    db.session.execute(
        update(Feedback)
        .where(Feedback.match_id.in_(match_ids))
        .values(comment="")
        .execution_options(synchronize_session=False)
    )
    db.session.execute(
        update(Match)
        .where(Match.request_id == request.id)
        .values(cancel_reason="", message="")
        .execution_options(synchronize_session=False)
    )
    db.session.execute(
        update(RequestEvent)
        .where(RequestEvent.request_id == request.id)
        .values(note="")
        .execution_options(synchronize_session=False)
    )
    return request


@transactions.write
def run_retention(now: datetime | None = None, days: int | None = None) -> int:
    """Anonymise closed requests closed longer than the retention period ago; return how many. Idempotent."""
    now = clock.naive_utc(now)
    days = current_app.config["MATCHING_RETENTION_DAYS"] if days is None else days
    cutoff = now - timedelta(days=days)
    closed = func.coalesce(HelpRequest.closed_at, HelpRequest.updated_at)
    requests = db.session.scalars(
        select(HelpRequest)
        .where(HelpRequest.status.in_(CLOSED_REQUEST_STATUSES), HelpRequest.anonymised_at.is_(None), closed < cutoff)
        .order_by(HelpRequest.id)
    ).all()
    for request in requests:
        anonymise_request(request, now)
    transactions.commit()
    return len(requests)
