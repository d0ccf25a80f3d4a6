"""The broker's workload view: who waits and how long, what stays unfilled, who has had no task (issue #4, item 5)."""

from collections import Counter
from datetime import datetime, timedelta
from statistics import median

from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from .. import clock
from ..extensions import db
from . import pool
from .models import WAITING_REQUEST_STATUSES, Booking, HelpRequest, VolunteerProfile
from .queries import area_filter
from .vocabularies import REQUEST_STATUS_LABELS, TASK_TYPES

IDLE_DAYS = 60
WAITING_STATUSES = WAITING_REQUEST_STATUSES


def _days(since, now):
    return max(0, (now - since).days)


def workload(by, area_id=None, now=None):
    """Return the workload of a broker's areas (or one of them) as plain values.

    Keys: waiting (requests waiting for review or a volunteer, longest first, without personal
    data), summary (counts, longest and median wait in days), unfilled_by_task_type and
    unfilled_by_place ([(label, n)], most first: requests with future dates nobody is booked
    for), idle_volunteers (active volunteers without a task for 60 days, with their last task),
    areas.
    """
    where, areas = area_filter(HelpRequest.area_id, by, area_id, HelpRequest.postcode)
    now = now or clock.naive_utcnow()
    requests = db.session.scalars(
        select(HelpRequest)
        .options(selectinload(HelpRequest.area))
        .where(where, HelpRequest.status.in_(WAITING_STATUSES))
        .order_by(HelpRequest.created_at, HelpRequest.id)
    ).all()
    windows = pool.open_windows([request.id for request in requests], now)
    waiting: list = []
    by_type: Counter[str] = Counter()
    by_place: Counter[str] = Counter()
    for request in requests:
        if request.status == "submitted" and request.confirmed_at is None:
            continue  # not yet confirmed by the requester: nothing for the broker to do
        since = request.waiting_since
        task_type = TASK_TYPES.get(request.task_type)
        label = str(task_type.label) if task_type else request.task_type
        place = request.area.name if request.area is not None else (request.place_name or _("Onbekend"))
        open_dates = len(windows.get(request.id, ()))
        waiting.append(
            {
                "id": request.id,
                "status": request.status,
                "status_label": str(REQUEST_STATUS_LABELS[request.status]),
                "task_type": request.task_type,
                "task_label": label,
                "place_name": place,
                "pc4": request.pc4,
                "urgency": request.urgency,
                "since": since,
                "days": _days(since, now),
                "first_date": request.first_date,
                "open_dates": open_dates,
            }
        )
        if request.status in ("open", "proposed") and open_dates:
            by_type[label] += 1
            by_place[place] += 1
    waiting.sort(key=lambda item: (item["since"], item["id"]))
    days = [item["days"] for item in waiting]
    summary = {
        "to_review": sum(item["status"] == "submitted" for item in waiting),
        "to_fill": sum(item["status"] in ("open", "proposed") and item["open_dates"] > 0 for item in waiting),
        "longest_days": max(days) if days else 0,
        "median_days": median(days) if days else 0,
    }
    return {
        "waiting": waiting,
        "summary": summary,
        "unfilled_by_task_type": sorted(by_type.items(), key=lambda item: (-item[1], item[0])),
        "unfilled_by_place": sorted(by_place.items(), key=lambda item: (-item[1], item[0])),
        "idle_volunteers": idle_volunteers(by, area_id, now),
        "areas": areas,
    }


def idle_volunteers(by, area_id=None, now=None, days=IDLE_DAYS):
    """Return [{profile, last_task, days}] of active volunteers whose last task (or approval) is over `days` ago.

    A volunteer with a task still to come is not idle. Longest idle first; never-helped
    volunteers have last_task None.
    """
    where, _areas = area_filter(VolunteerProfile.area_id, by, area_id, VolunteerProfile.postcode)
    now = now or clock.naive_utcnow()
    cutoff = now - timedelta(days=days)
    profiles = db.session.scalars(
        select(VolunteerProfile)
        .options(selectinload(VolunteerProfile.area))
        .where(where, VolunteerProfile.status == "active")
    ).all()
    ids = [profile.id for profile in profiles]
    last: dict[int, datetime] = (
        dict(
            db.session.execute(
                select(Booking.volunteer_id, func.max(Booking.starts_at))
                .where(Booking.active.is_(True), Booking.volunteer_id.in_(ids))
                .group_by(Booking.volunteer_id)
            ).all()
        )
        if ids
        else {}
    )
    idle = []
    for profile in profiles:
        last_task = max((moment for moment in (last.get(profile.id), profile.last_task_at) if moment), default=None)
        since = last_task or profile.approved_at or profile.created_at
        if since < cutoff:
            idle.append({"profile": profile, "last_task": last_task, "days": _days(since, now)})
    idle.sort(key=lambda item: (-item["days"], item["profile"].first_name, item["profile"].id))
    return idle
