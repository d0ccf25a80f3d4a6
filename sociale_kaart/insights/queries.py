"""Read-only queries of the area analysis over the directory, matching and search-log tables (issue #15).

These live here rather than as functions in each capability's services: the analysis needs about a
dozen aggregate reads across three capabilities, each filtered by the same period and areas, and
its definitions ("received", "matched", "active") belong together so that every figure on the page
counts the same thing. Spread over matching and directory they would be functions nobody there
uses. The rules of those capabilities are reused, not copied: which volunteer is active
(matching.pool.is_active), who the same requester is (pool.requester_key), a service's areas
(directory.freshness.service_area_ids), what a search is about (matching.vocabularies.task_type_for).

Nothing here writes, and every function returns plain rows without personal data: ids, codes,
dates and numbers. Who asked is returned only as a one-way pseudonym, to see repeat help.
"""
import hashlib
from collections.abc import Collection
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from flask import current_app
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from ..directory.freshness import service_area_ids
from ..directory.models import Service, ServiceAtLocation
from ..directory.search_log import SearchLogEntry
from ..extensions import db
from ..matching import pool, timeslots
from ..matching.models import HelpRequest, Match, VolunteerProfile
from .models import AreaPopulation

WAITING_STATUSES = ("submitted", "open", "proposed", "matched")
TO_FILL_STATUSES = ("open", "proposed")
EVENING = time(18, 0)      # a service still open after 18:00 is open in the evening
WEEKEND = (5, 6)           # Saturday, Sunday


def _zone() -> str:
    return current_app.config["TIMEZONE"]


def utc_bound(day: date) -> datetime:
    """Return local midnight at the start of a day as naive UTC (how the models store moments)."""
    return timeslots.to_utc_naive(timeslots.localize(day, time(0, 0), _zone()))


def local_day(moment: datetime) -> date:
    """Return the local date of a naive UTC moment."""
    return timeslots.to_local(moment, _zone()).date()


def _in_areas(column, area_ids: Collection[int] | None):
    """Return a WHERE clause for rows in these areas; None: every row, also those without an area."""
    return db.true() if area_ids is None else column.in_(list(area_ids) or [-1])


# --- help requests -------------------------------------------------------------------------------------

@dataclass(frozen=True)
class ReceivedRequest:
    """A help request as the analysis counts it: no name, address, text or contact."""

    area_id: int | None
    task_type: str
    status: str
    received_on: date              # local date it was asked
    since: datetime                # when the team could start (confirmed), naive UTC
    first_match: datetime | None   # the first time a broker approved a volunteer for it


def received_requests(start: date, end: date, area_ids: Collection[int] | None) -> list[ReceivedRequest]:
    """Return the requests asked from `start` to `end` (local dates, inclusive) that reached the team.

    Never confirmed requests did not reach anyone and rejected ones were not for a volunteer:
    neither counts as demand.
    """
    first = (select(Match.request_id, func.min(Match.approved_at).label("first_match"))
             .where(Match.approved_at.is_not(None)).group_by(Match.request_id).subquery())
    rows = db.session.execute(
        select(HelpRequest.area_id, HelpRequest.task_type, HelpRequest.status, HelpRequest.created_at,
               HelpRequest.confirmed_at, first.c.first_match)
        .outerjoin(first, first.c.request_id == HelpRequest.id)
        .where(HelpRequest.created_at >= utc_bound(start), HelpRequest.created_at < utc_bound(end + timedelta(days=1)),
               HelpRequest.confirmed_at.is_not(None), HelpRequest.status != "rejected",
               _in_areas(HelpRequest.area_id, area_ids))
        .order_by(HelpRequest.id)
    ).all()
    return [ReceivedRequest(row.area_id, row.task_type, row.status, local_day(row.created_at), row.confirmed_at,
                            row.first_match) for row in rows]


@dataclass(frozen=True)
class WaitingRequest:
    area_id: int | None
    task_type: str
    unfilled: bool      # looking for a volunteer, with dates to come that nobody is booked for


def waiting_requests(area_ids: Collection[int] | None, now: datetime) -> list[WaitingRequest]:
    """Return the requests open now (reviewed or waiting for review, not closed), and whether each is unfilled."""
    rows = db.session.execute(
        select(HelpRequest.id, HelpRequest.area_id, HelpRequest.task_type, HelpRequest.status)
        .where(HelpRequest.status.in_(WAITING_STATUSES), HelpRequest.confirmed_at.is_not(None),
               _in_areas(HelpRequest.area_id, area_ids))
        .order_by(HelpRequest.id)
    ).all()
    to_fill = [row.id for row in rows if row.status in TO_FILL_STATUSES]
    windows = {}
    for start in range(0, len(to_fill), pool.MAX_IN_LIST):
        windows.update(pool.open_windows(to_fill[start:start + pool.MAX_IN_LIST], now))
    return [WaitingRequest(row.area_id, row.task_type, row.status in TO_FILL_STATUSES and bool(windows.get(row.id)))
            for row in rows]


@dataclass(frozen=True)
class HelpedMatch:
    """A volunteer who helped (accepted or done), with a pseudonym of who was helped."""

    area_id: int | None
    volunteer_id: int
    requester: str          # one-way pseudonym; "" when unknown (anonymised after retention)
    approved_at: datetime


def _pseudonym(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()[:16] if key else ""


def helped_matches(until: date, area_ids: Collection[int] | None) -> list[HelpedMatch]:
    """Return every match in which a volunteer helped, approved before the end of `until`, oldest first."""
    rows = db.session.execute(
        select(HelpRequest.area_id, Match.volunteer_id, Match.approved_at, HelpRequest.requester_id,
               HelpRequest.contact_email, HelpRequest.contact_phone)
        .join(HelpRequest, Match.request_id == HelpRequest.id)
        .where(Match.status.in_(pool.HELPED_STATUSES), Match.approved_at.is_not(None),
               Match.approved_at < utc_bound(until + timedelta(days=1)),
               _in_areas(HelpRequest.area_id, area_ids))
        .order_by(Match.approved_at, Match.id)
    ).all()
    return [HelpedMatch(row.area_id, row.volunteer_id, _pseudonym(pool.requester_key(row)), row.approved_at)
            for row in rows]


# --- volunteers --------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Volunteer:
    area_id: int | None
    active: bool                  # approved, not paused (matching.pool.is_active)
    stopped: bool
    task_types: tuple[str, ...]
    availability: int             # the weekly day-part grid (matching.timeslots)
    max_tasks_per_week: int
    approved_on: date | None


def volunteers(area_ids: Collection[int] | None, today: date) -> list[Volunteer]:
    """Return every volunteer profile that a broker approved once, without name or contact."""
    rows = db.session.execute(
        select(VolunteerProfile.area_id, VolunteerProfile.status, VolunteerProfile.paused,
               VolunteerProfile.paused_until, VolunteerProfile.task_types, VolunteerProfile.availability,
               VolunteerProfile.max_tasks_per_week, VolunteerProfile.approved_at)
        .where(VolunteerProfile.approved_at.is_not(None), _in_areas(VolunteerProfile.area_id, area_ids))
        .order_by(VolunteerProfile.id)
    ).all()
    return [Volunteer(row.area_id, pool.is_active(row, today), row.status == "stopped",
                      tuple(row.task_types or ()), row.availability, row.max_tasks_per_week,
                      local_day(row.approved_at)) for row in rows]


# --- services ----------------------------------------------------------------------------------------

@dataclass(frozen=True)
class PublishedService:
    area_ids: frozenset[int]      # empty: for the whole municipality
    categories: tuple[str, ...]
    pyramid_level: str
    free: bool
    evening: bool
    weekend: bool


def published_services() -> list[PublishedService]:
    """Return every published service (as the public search has them) with its areas and what it offers."""
    services = db.session.scalars(
        select(Service).where(Service.publication_status == "published", Service.status != "defunct")
        .options(selectinload(Service.categories), selectinload(Service.schedules),
                 selectinload(Service.service_areas),
                 selectinload(Service.location_links).selectinload(ServiceAtLocation.location))
        .order_by(Service.id)
    ).all()
    return [PublishedService(
        frozenset(service_area_ids(service)), tuple(term.code for term in service.categories),
        service.pyramid_level, "gratis" in (service.cost or ()),
        any(schedule.closes_at > EVENING for schedule in service.schedules),
        any(schedule.weekday in WEEKEND for schedule in service.schedules),
    ) for service in services]


# --- the anonymous search log ---------------------------------------------------------------------

def search_counts(start: date, end: date, area_codes: Collection[str] | None) -> list:
    """Return how often each text was searched per day in some areas (None: all), with and without results.

    Rows of (searched_on, query, zero, searches); a year of a busy log is tens of thousands of them,
    so they stay SQLAlchemy rows rather than objects made one by one.
    """
    where = [SearchLogEntry.searched_on >= start, SearchLogEntry.searched_on <= end]
    if area_codes is not None:
        where.append(SearchLogEntry.area_code.in_(list(area_codes) or [""]))
    zero = (SearchLogEntry.result_count == 0).label("zero")
    return db.session.execute(
        select(SearchLogEntry.searched_on, SearchLogEntry.query, zero, func.count(SearchLogEntry.id).label("searches"))
        .where(*where).group_by(SearchLogEntry.searched_on, SearchLogEntry.query, zero)
    ).all()


# --- population ---------------------------------------------------------------------------------------

def populations() -> dict[int | None, AreaPopulation]:
    """Return the loaded population figures by area id (None: the whole municipality)."""
    return {row.area_id: row for row in db.session.scalars(select(AreaPopulation))}
