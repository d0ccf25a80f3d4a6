"""Read-only queries of the area analysis over the directory, matching and search-log tables (issue #15).

These live here rather than as functions in each capability's services: the analysis needs about a
dozen aggregate reads across three capabilities, each filtered by the same period and areas, and
its definitions ("received", "matched", "active") belong together so that every figure on the page
counts the same thing. Spread over matching and directory they would be functions nobody there
uses. The rules of those capabilities are reused, not copied: which volunteer is active
(matching.pool.is_active), who the same requester is (pool.requester_key), a service's areas
(its own and its locations', as directory.freshness.service_area_ids, read here as columns), what a search
is about (matching.vocabularies.task_type_for).

Nothing here writes, and every function returns plain rows without personal data: ids, codes,
dates and numbers. Who asked is returned only as a number within one answer, to see repeat help.
"""

from collections import defaultdict
from collections.abc import Collection, Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import NamedTuple

from sqlalchemy import Row, and_, case, func, literal, or_, select, union_all

from .. import clock
from ..directory import scopes
from ..directory.models import (
    Location,
    Schedule,
    Service,
    ServiceAtLocation,
    TaxonomyTerm,
    service_areas,
    service_categories,
)
from ..directory.search_log import SearchLogEntry, SearchLogMonth, SearchLogMonthCount
from ..extensions import db
from ..matching import pool
from ..matching.models import HelpRequest, Match, VolunteerProfile
from . import periods
from .models import AreaPopulation

WAITING_STATUSES = ("submitted", "open", "proposed", "matched")
TO_FILL_STATUSES = ("open", "proposed")
EVENING = time(18, 0)  # a service still open after 18:00 is open in the evening
WEEKEND = (5, 6)  # Saturday, Sunday


def _in_areas(column, area_ids: Collection[int] | None, postcode=None, codes: Collection[str] | None = None):
    """Return a WHERE clause for rows in these areas; None: every row, also those without an area.

    codes: also the rows without an area whose postcode lies in these municipalities (a municipality
    of a region, issue #20; directory.scopes).
    """
    if area_ids is None:
        return db.true()
    clause = column.in_(list(area_ids) or [-1])
    if codes is None:
        return clause
    return or_(clause, and_(column.is_(None), scopes.without_area_in(codes, postcode)))


# Months and quarters are counted in SQL (GROUP BY) rather than over thousands of rows in Python
# (bench/insights.py): a CASE gives each row the key of its bucket. A moment (naive UTC) falls in
# a bucket from the start of its first local day to the start of the day after its last, the
# same days clock.local_date gives.
Bucket = tuple[str, date, date]  # (key, first local day, last local day), as periods.Bucket


def _moment_bucket(column, buckets: Collection[Bucket]):
    """Return a SQL expression: the key of the bucket a naive-UTC moment falls in, else NULL."""
    return case(
        *(
            (and_(column >= clock.start_of_day(first), column < clock.start_of_day(last + timedelta(days=1))), key)
            for key, first, last in buckets
        ),
        else_=None,
    )


def _day_bucket(column, buckets: Collection[Bucket]):
    """Return a SQL expression: the key of the bucket a local date falls in, else NULL."""
    return case(*((column.between(first, last), key) for key, first, last in buckets), else_=None)


def _rows(statement):
    """Return the rows of a Core SELECT through the session's connection (in its transaction).

    session.execute would take them through the ORM's loading, which costs more than the query
    itself for the tens of thousands of plain rows an analysis reads (bench/insights.py). Like
    session.execute, it first flushes what the session holds. The big reads are iterated once, as
    the rows come, rather than kept in a list: tens of thousands of rows alive at once each set
    off a full run of Python's garbage collector over the whole app (bench/insights.py).
    """
    db.session.flush()
    return db.session.connection().execute(statement)


def _each(statement) -> Iterator[Row]:
    """Yield the rows of a Core SELECT as _rows gives them, fetched 500 at a time (faster than one or all at once)."""
    for part in _rows(statement).partitions(500):
        yield from part


# --- help requests -------------------------------------------------------------------------------------


def received_requests(
    buckets: Collection[Bucket], area_ids: Collection[int] | None, codes: Collection[str] | None = None
) -> Iterable[Row]:
    """Return the requests asked in some months or quarters (local dates) that reached the team, without a person.

    Rows of (area_id, task_type, status, bucket, since, first_match): the key of the bucket it was
    asked in, when the team could start (confirmed, naive UTC) and the first time a broker approved
    a volunteer for it (None: not yet). Plain rows in no order, to be iterated once: an
    analysis of 3 years reads twenty thousand of them, and the buckets are given by a CASE in SQL
    (no date of each row to work out in Python). Never confirmed requests did not reach anyone
    and rejected ones were not for a volunteer: neither counts as demand.
    """
    first_day = min(first for _key, first, _last in buckets)
    last_day = max(last for _key, _first, last in buckets)
    # per request through the index on matches.request_id, not a minimum over every match ever made
    first = (
        select(func.min(Match.approved_at))
        .where(Match.request_id == HelpRequest.id, Match.approved_at.is_not(None))
        .correlate(HelpRequest)
        .scalar_subquery()
    )
    return _each(
        select(
            HelpRequest.area_id,
            HelpRequest.task_type,
            HelpRequest.status,
            _moment_bucket(HelpRequest.created_at, buckets).label("bucket"),
            HelpRequest.confirmed_at.label("since"),
            first.label("first_match"),
        ).where(
            HelpRequest.created_at >= clock.start_of_day(first_day),
            HelpRequest.created_at < clock.start_of_day(last_day + timedelta(days=1)),
            HelpRequest.confirmed_at.is_not(None),
            HelpRequest.status != "rejected",
            _in_areas(HelpRequest.area_id, area_ids, HelpRequest.postcode, codes),
        )
    )


class WaitingRequest(NamedTuple):
    area_id: int | None
    task_type: str
    unfilled: bool  # looking for a volunteer, with dates to come that nobody is booked for


def waiting_requests(
    area_ids: Collection[int] | None, now: datetime, codes: Collection[str] | None = None
) -> list[WaitingRequest]:
    """Return the requests open now (reviewed or waiting for review, not closed), and whether each is unfilled."""
    rows = _rows(
        select(HelpRequest.id, HelpRequest.area_id, HelpRequest.task_type, HelpRequest.status)
        .where(
            HelpRequest.status.in_(WAITING_STATUSES),
            HelpRequest.confirmed_at.is_not(None),
            _in_areas(HelpRequest.area_id, area_ids, HelpRequest.postcode, codes),
        )
        .order_by(HelpRequest.id)
    ).all()
    to_fill = [row.id for row in rows if row.status in TO_FILL_STATUSES]
    windows: dict[int, list[tuple[datetime, datetime]]] = {}
    for start in range(0, len(to_fill), pool.MAX_IN_LIST):
        windows.update(pool.open_windows(to_fill[start : start + pool.MAX_IN_LIST], now))
    return [
        WaitingRequest(row.area_id, row.task_type, row.status in TO_FILL_STATUSES and bool(windows.get(row.id)))
        for row in rows
    ]


HelpedMatch = tuple[str | None, int, int]
"""A volunteer who helped (accepted or done): (the key of the bucket it was approved in, None before them;
the volunteer's id; who was helped, as a number within one answer, 0 when unknown (anonymised)).
Plain tuples: an analysis of 3 years reads tens of thousands of them."""


def helped_matches(
    buckets: Collection[Bucket], area_ids: Collection[int] | None, codes: Collection[str] | None = None
) -> Iterator[HelpedMatch]:
    """Yield every match in which a volunteer helped, approved before the end of the last bucket, oldest first.

    Who was helped is pool.requester_key, numbered in the order first seen: the same person gets
    the same number within one answer, and nothing of the key leaves this function. Yielded as
    read: all matches ever made, for help again by the same volunteer.
    """
    until = max(last for _key, _first, last in buckets)
    rows = _each(
        select(
            _moment_bucket(Match.approved_at, buckets).label("bucket"),
            Match.volunteer_id,
            HelpRequest.requester_id,
            HelpRequest.contact_email,
            HelpRequest.contact_phone,
        )
        .join(HelpRequest, Match.request_id == HelpRequest.id)
        .where(
            Match.status.in_(pool.HELPED_STATUSES),
            Match.approved_at.is_not(None),
            Match.approved_at < clock.start_of_day(until + timedelta(days=1)),
            _in_areas(HelpRequest.area_id, area_ids, HelpRequest.postcode, codes),
        )
        .order_by(Match.approved_at, Match.id)
    )
    numbers = {"": 0}  # requester key: number
    by_contact: dict[tuple, int] = {}  # (account, e-mail, phone) as stored: number, to work out each key once
    for row in rows:
        bucket, volunteer_id, account, email, phone = row
        number = by_contact.get(who := (account, email, phone))
        if number is None:
            number = by_contact[who] = numbers.setdefault(pool.requester_key(row), len(numbers))
        yield bucket, volunteer_id, number


# --- volunteers --------------------------------------------------------------------------------------


class Volunteer(NamedTuple):
    """A volunteer as the analysis counts them (a plain record: an analysis reads thousands)."""

    area_id: int | None
    active: bool  # approved, not paused (matching.pool.is_active)
    stopped: bool
    task_types: tuple[str, ...]
    availability: int  # the weekly day-part grid (matching.timeslots)
    max_tasks_per_week: int
    approved_at: datetime  # when a broker approved them, naive UTC (dated only when needed)


def volunteers(area_ids: Collection[int] | None, today: date, codes: Collection[str] | None = None) -> list[Volunteer]:
    """Return every volunteer profile that a broker approved once, without name or contact."""
    rows = _rows(
        select(
            VolunteerProfile.area_id,
            VolunteerProfile.status,
            VolunteerProfile.paused,
            VolunteerProfile.paused_until,
            VolunteerProfile.task_types,
            VolunteerProfile.availability,
            VolunteerProfile.max_tasks_per_week,
            VolunteerProfile.approved_at,
        )
        .where(
            VolunteerProfile.approved_at.is_not(None),
            _in_areas(VolunteerProfile.area_id, area_ids, VolunteerProfile.postcode, codes),
        )
        .order_by(VolunteerProfile.id)
    ).all()
    return [
        Volunteer(
            row.area_id,
            pool.is_active(row, today),
            row.status == "stopped",
            tuple(row.task_types or ()),
            row.availability,
            row.max_tasks_per_week,
            row.approved_at,
        )
        for row in rows
    ]


# --- services ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PublishedService:
    area_ids: frozenset[int]  # empty: for the whole municipality
    categories: tuple[str, ...]
    pyramid_level: str
    free: bool
    evening: bool
    weekend: bool


def published_services() -> list[PublishedService]:
    """Return every published service (as the public search has them) with its areas and what it offers.

    Column reads rather than loading each service with its relations: a municipality has a
    thousand of them. Its areas are directory.freshness.service_area_ids: its own service areas
    and the areas of its locations.
    """
    published = (
        select(Service.id)
        .where(Service.publication_status == "published", Service.status != "defunct")
        .scalar_subquery()
    )
    areas, categories, evening, weekend = defaultdict(set), defaultdict(list), set(), set()
    for service_id, area_id in _rows(
        select(service_areas.c.service_id, service_areas.c.area_id)
        .where(service_areas.c.service_id.in_(published))
        .union(
            select(ServiceAtLocation.service_id, Location.area_id)
            .join(Location, Location.id == ServiceAtLocation.location_id)
            .where(ServiceAtLocation.service_id.in_(published), Location.area_id.is_not(None))
        )
    ):
        areas[service_id].add(area_id)
    for service_id, code in _rows(
        select(service_categories.c.service_id, TaxonomyTerm.code)
        .join(TaxonomyTerm, TaxonomyTerm.id == service_categories.c.term_id)
        .where(service_categories.c.service_id.in_(published))
        .order_by(service_categories.c.service_id, TaxonomyTerm.position, TaxonomyTerm.id)
    ):
        categories[service_id].append(code)
    for service_id, weekday, closes_at in _rows(
        select(Schedule.service_id, Schedule.weekday, Schedule.closes_at).where(Schedule.service_id.in_(published))
    ):
        if closes_at > EVENING:
            evening.add(service_id)
        if weekday in WEEKEND:
            weekend.add(service_id)
    rows = _rows(
        select(Service.id, Service.pyramid_level, Service.cost)
        .where(Service.publication_status == "published", Service.status != "defunct")
        .order_by(Service.id)
    ).all()
    return [
        PublishedService(
            frozenset(areas[row.id]),
            tuple(categories[row.id]),
            row.pyramid_level,
            "gratis" in (row.cost or ()),
            row.id in evening,
            row.id in weekend,
        )
        for row in rows
    ]


# --- the anonymous search log ---------------------------------------------------------------------


def search_counts(buckets: Collection[Bucket], area_codes: Collection[str] | None) -> Iterable[Row]:
    """Return how often each text was searched per bucket (month or quarter) in some areas (None: all).

    Rows of (bucket, query, searches, zero), zero being how many of those searches had no results,
    to be iterated once; counted in SQL, so a busy log gives rows per text and bucket rather than
    one per search. The months that are over and added up (directory.search_log.add_up_months,
    nightly) are read from their counts, the other days (this month, a month not added up yet)
    from the log itself, so a text may have two rows in a bucket, to be added up. One SELECT per
    bucket and source, joined by UNION ALL: a CASE giving every row its bucket costs three times
    as much on SQLite (bench/insights.py).
    """
    first_day = min(first for _key, first, _last in buckets)
    last_day = max(last for _key, _first, last in buckets)
    added_up = dict(
        _rows(
            select(SearchLogMonth.month, SearchLogMonth.id).where(
                SearchLogMonth.month.between(first_day.replace(day=1), last_day)
            )
        ).all()
    )
    raw_where, counts_where = [], []
    if area_codes is not None:
        raw_where.append(SearchLogEntry.area_code.in_(list(area_codes) or [""]))
        counts_where.append(SearchLogMonthCount.area_code.in_(list(area_codes) or [""]))
    zero = func.sum(case((SearchLogEntry.result_count == 0, 1), else_=0)).label("zero")
    parts = []
    for key, first, last in buckets:
        months, days = _split_by_month(first, last, added_up)
        if months:
            parts.append(
                select(
                    literal(key).label("bucket"),
                    SearchLogMonthCount.query,
                    func.sum(SearchLogMonthCount.searches).label("searches"),
                    func.sum(SearchLogMonthCount.zero).label("zero"),
                )
                .where(SearchLogMonthCount.month_id.in_(months), *counts_where)
                .group_by(SearchLogMonthCount.query)
            )
        parts += [
            select(literal(key).label("bucket"), SearchLogEntry.query, func.count().label("searches"), zero)
            .where(SearchLogEntry.searched_on.between(start, end), *raw_where)
            .group_by(SearchLogEntry.query)
            for start, end in days
        ]
    return _each(parts[0] if len(parts) == 1 else union_all(*parts))


def _split_by_month(first: date, last: date, added_up: dict[date, int]) -> tuple[list[int], list[tuple[date, date]]]:
    """Return the ids of the months added up that lie wholly from `first` to `last`, and the other days as ranges."""
    months: list[int] = []
    days: list[tuple[date, date]] = []
    month = first.replace(day=1)
    while month <= last:
        following = periods.shift_month(month, 1)
        start, end = max(month, first), min(following - timedelta(days=1), last)
        if month in added_up and (start, end) == (month, following - timedelta(days=1)):
            months.append(added_up[month])
        elif days and days[-1][1] + timedelta(days=1) == start:
            days[-1] = (days[-1][0], end)  # one range for days that follow each other
        else:
            days.append((start, end))
        month = following
    return months, days


# --- population ---------------------------------------------------------------------------------------


def populations() -> dict[int | None, AreaPopulation]:
    """Return the loaded population figures by area id (None: the whole municipality)."""
    return {row.area_id: row for row in db.session.scalars(select(AreaPopulation))}
