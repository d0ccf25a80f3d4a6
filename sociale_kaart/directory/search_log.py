"""The anonymous search log for the area analysis (issue #11).

One row per search that ran (page 1 only): the words typed, how many results, the area of the
place searched, language, local date and hour. Never an IP address, account, session, cookie or
full postcode: a postcode is kept only as the code of the area it lies in. Rows are deleted after
SEARCH_LOG_MONTHS (`flask directory search-log-retention`). Brokers see this month's searches
without results in their areas on the workspace dashboard. Each month that is over is added up per
area and text (`flask directory search-log-months`, nightly) for the area analysis, which would
otherwise count a year of rows on every visit (bench/insights.py).
"""

import json
import math
import unicodedata
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any, cast

import redis
from flask import current_app
from sqlalchemy import CursorResult, Table, case, delete, func, insert, select

from .. import clock, geo, transactions
from ..accounts import permissions
from ..extensions import Model, db, one_of
from . import areas as area_lookup
from . import freshness, scopes
from .models import Area
from .services import SearchCriteria

MAX_QUERY = 200
PLACE_KINDS = ("none", "postcode", "place")
SOURCES = ("web", "api")
LANGUAGES = ("nl", "en")
TOP_QUERIES = 20


class SearchLogEntry(Model):
    """One anonymous search: what was typed, how many results, where (as an area) and when (local)."""

    __tablename__ = "search_log"
    __table_args__ = (
        db.CheckConstraint(one_of("place_kind", PLACE_KINDS), name="place_kind"),
        db.CheckConstraint(one_of("source", SOURCES), name="source"),
        db.CheckConstraint(one_of("language", LANGUAGES), name="language"),
        db.CheckConstraint("hour >= 0 AND hour <= 23", name="hour"),
        db.Index("ix_search_log_area_code_searched_on", "area_code", "searched_on"),
    )
    id = db.Column(db.Integer, primary_key=True)
    searched_on = db.Column(db.Date, nullable=False, index=True)  # local date of the municipality
    hour = db.Column(db.Integer, nullable=False)  # local hour, 0-23
    query = db.Column(db.String(MAX_QUERY), nullable=False, default="")
    result_count = db.Column(db.Integer, nullable=False)
    area_code = db.Column(db.String(64))  # never the postcode itself
    place_kind = db.Column(db.String(8), nullable=False, default="none")
    radius_km = db.Column(db.Integer)
    filters = db.Column(db.Integer, nullable=False, default=0)  # how many filter values were used
    language = db.Column(db.String(2), nullable=False, default="nl")
    source = db.Column(db.String(3), nullable=False, default="web")


class SearchLogMonth(Model):
    """A whole month of the log added up (issue #15); its counts are in search_log_month_counts.

    The area analysis counts a month's searches from these once the month is over and added up
    (add_up_months, run nightly), and from the entries themselves otherwise (this month, or a month
    not added up yet), so its figures are the same either way. A month is added up whole or not at
    all, and deleted with the entries (delete_old_entries): the words typed are kept no longer.
    """

    __tablename__ = "search_log_months"
    id = db.Column(db.Integer, primary_key=True)
    month = db.Column(db.Date, nullable=False, unique=True)  # its first day (local dates)
    searches = db.Column(db.Integer, nullable=False)  # all entries of the month, a check on the counts
    added_up_at = db.Column(db.DateTime, nullable=False, default=clock.naive_utcnow)


class SearchLogMonthCount(Model):
    """How often one text was searched in one area in a month added up, and how often without results."""

    __tablename__ = "search_log_month_counts"
    id = db.Column(db.Integer, primary_key=True)
    month_id = db.Column(db.ForeignKey("search_log_months.id", ondelete="CASCADE"), nullable=False, index=True)
    area_code = db.Column(db.String(64))  # as SearchLogEntry.area_code: None for a search without a place
    query = db.Column(db.String(MAX_QUERY), nullable=False, default="")
    searches = db.Column(db.Integer, nullable=False)
    zero = db.Column(db.Integer, nullable=False)  # of those, how many had no results


# --- what is stored ---------------------------------------------------------------------------------


def _postcode_digits(text: str) -> str | None:
    """Return the four digits of a postcode with its letters ("3941 ab", "3941ab"), else None."""
    parsed = geo.parse_postcode(text)
    return parsed[0] if parsed is not None and text != parsed[0] else None


def _without_postcode_letters(words: list[str]) -> list[str]:
    """Keep only the four digits of a full postcode typed among the words (no full postcode is stored)."""
    kept, index = [], 0
    while index < len(words):
        word = words[index]
        if index + 1 < len(words) and word.isdigit() and _postcode_digits(f"{word} {words[index + 1]}"):
            kept.append(word)
            index += 2
            continue
        kept.append(_postcode_digits(word) or word)
        index += 1
    return kept


def normal_query(text: str) -> str:
    """Return the words typed as stored: no control characters, single spaces, lower case, at most 200 characters."""
    printable = "".join(
        " " if char.isspace() else char
        for char in (text or "")
        if char.isspace() or not unicodedata.category(char).startswith("C")
    )
    words = _without_postcode_letters(printable.lower().split())
    return " ".join(words)[:MAX_QUERY].rstrip()


def _filter_count(criteria: SearchCriteria) -> int:
    return sum(len(codes) for codes in criteria.filters.values() if codes) + (1 if criteria.open_now else 0)


def _place_of(criteria: SearchCriteria, page) -> tuple[str, str | None]:
    """Return the kind of place given and the code of the area it lies in (or None)."""
    place = getattr(page, "place", None)
    if place is not None:  # the web search: the place it resolved
        kind = "postcode" if place.kind == "postcode" else "place"
        area = area_lookup.area_row_of_place(place)
    elif criteria.where.strip():  # the API: a postcode it checked
        parsed = geo.parse_postcode(criteria.where)
        kind = "postcode" if parsed else "place"
        area = area_lookup.area_row_of_postcode4(parsed[0]) if parsed else None
    else:
        return "none", None
    return kind, (area.code if area is not None else None)


def _entry(criteria: SearchCriteria, page, language: str, source: str) -> dict[str, Any]:
    """Return the values of a search's row (a dict: an ORM object would cost a results page more than the row, #17)."""
    place_kind, area_code = _place_of(criteria, page)
    now = clock.local_now()
    radius = criteria.radius_km if place_kind != "none" else None
    return {
        "searched_on": now.date(),
        "hour": now.hour,
        "query": normal_query(criteria.text),
        "result_count": int(page.total),
        "area_code": area_code,
        "place_kind": place_kind,
        "radius_km": math.ceil(radius) if radius is not None else None,
        "filters": _filter_count(criteria),
        "language": language if language in LANGUAGES else "nl",
        "source": source,
    }


def _asked_anything(criteria: SearchCriteria) -> bool:
    return bool(criteria.text.strip() or criteria.where.strip() or _filter_count(criteria))


# A request whose WSGI environ has this key set is no visitor's search and is not logged: a worker's warm start
# (web/warm.py) asks a results page through the app itself. No HTTP request can set it (headers become HTTP_*).
NOT_A_VISITOR = "sociale_kaart.not_a_visitor"

_INSERT = insert(cast(Table, SearchLogEntry.__table__))  # Core, one statement object: compiled once


def record_search(criteria: SearchCriteria, page, language: str, source: str = "web") -> dict[str, Any] | None:
    """Log a search that ran (page 1 only) and return the values of its row; never raise: a failure is logged
    without the words typed.

    `page` is what the search returned: its `total` and, when a place was resolved, its `place`.
    A bare visit of the search page (nothing typed or chosen) is no search and is not logged.
    """
    if criteria.page != 1 or not _asked_anything(criteria):
        return None
    try:
        entry = _entry(criteria, page, language, source)
        queue = _queue()
        if queue is None or not queue.push(entry):
            # one Core INSERT (the ORM's unit of work or its execute() would cost a results page more than the row,
            # #17), committed apart from the request's own transaction: it neither commits nor waits for the request
            transactions.write_apart(_INSERT, entry)
    except Exception as error:  # noqa: BLE001  (the log must never break a search)
        # only the kind of error: a database error's text would hold the words typed
        current_app.logger.error("search log: a %s search was not recorded (%s)", source, type(error).__name__)
        return None
    return entry


def record_api_search(
    query, result, language: str, postcode: str = "", radius_km: float | None = None
) -> dict[str, Any] | None:
    """Log an API list search (text given, page 1 only); `query` is an open_data.ServiceQuery."""
    if not (query.text or "").strip():
        return None
    filters = {
        **query.filters,
        "taxonomy_term_id": list(query.term_ids),
        "taxonomy_id": list(query.taxonomy_ids),
        "other": [
            value
            for value in (
                query.organization_id,
                query.modified_after,
                query.minimum_age,
                query.maximum_age,
                query.municipality,
            )
            if value is not None
        ],
    }
    criteria = SearchCriteria(
        text=query.text,
        where=postcode or "",
        radius_km=radius_km if postcode else None,
        filters=filters,
        page=result.page,
    )
    return record_search(criteria, result, language, "api")


# --- rows written behind the request (#17) -------------------------------------------------------------
# With SEARCH_LOG_QUEUE_URI (a Redis address: production's Redis), a search's row is pushed onto a Redis list in
# one round trip, and the scheduler moves the waiting rows into the database in batches (drain(), at every look,
# so within a minute): a results page no longer waits for an INSERT and its commit, which on PostgreSQL is a
# flush of the write-ahead log for every search. Without the setting, or while Redis does not answer, a row is
# written at once. Every server and worker pushes onto the same list; LPOP hands each row to one scheduler.

QUEUE_KEY = "sociale_kaart:search_log"
QUEUE_MAX = 100_000  # rows waiting at most (about 10 MB of Redis); beyond it the oldest go (no scheduler drains)
DRAIN_BATCH = 1_000  # rows a statement
DRAIN_BATCHES = 100  # batches a drain at most: a drain ends even while searches keep coming
QUEUE_TIMEOUT = 0.5  # seconds for Redis to connect or answer
QUEUE_RETRY = 30.0  # seconds of writing rows at once after Redis failed, before the queue is tried again
# a queued row: its values in the order of the table's columns (the id is the database's)
_COLUMNS = tuple(column.name for column in SearchLogEntry.__table__.columns if column.name != "id")
_QUEUE = "sociale_kaart.search_log_queue"


class _Queue:
    """This process's connections to the queue, and when pushing onto it last failed."""

    def __init__(self, uri: str):
        self.client = redis.Redis.from_url(uri, socket_timeout=QUEUE_TIMEOUT, socket_connect_timeout=QUEUE_TIMEOUT)
        self.failed_at: float | None = None

    def push(self, entry: dict[str, Any]) -> bool:
        """Push a row onto the queue; False when Redis failed now or less than QUEUE_RETRY seconds ago (logged)."""
        if self.failed_at is not None and clock.monotonic() - self.failed_at < QUEUE_RETRY:
            return False
        try:
            waiting = cast(int, self.client.rpush(QUEUE_KEY, encode(entry)))
            if waiting > QUEUE_MAX:
                self.client.ltrim(QUEUE_KEY, -(QUEUE_MAX - DRAIN_BATCH), -1)  # room for a batch: warned once a batch
                current_app.logger.warning(
                    "search log: %s rows were waiting in Redis; the oldest %s were dropped (is the scheduler running?)",
                    waiting,
                    waiting - (QUEUE_MAX - DRAIN_BATCH),
                )
        except redis.RedisError as error:
            self.failed_at = clock.monotonic()
            current_app.logger.warning(
                "search log: Redis does not answer (%s); rows are written at once for %s s",
                type(error).__name__,
                int(QUEUE_RETRY),
            )
            return False
        self.failed_at = None
        return True


def _queue() -> _Queue | None:
    """Return this app's queue of rows, or None when rows are written at once (no SEARCH_LOG_QUEUE_URI)."""
    uri = current_app.config.get("SEARCH_LOG_QUEUE_URI")
    if not uri:
        return None
    queue = current_app.extensions.get(_QUEUE)
    if queue is None:
        queue = current_app.extensions[_QUEUE] = _Queue(uri)
    return queue


def encode(entry: dict[str, Any]) -> bytes:
    """Return a row's values as the queue holds them: a JSON list in the order of _COLUMNS."""
    values = [entry[name].isoformat() if name == "searched_on" else entry[name] for name in _COLUMNS]
    return json.dumps(values, separators=(",", ":")).encode()


def _whole(value, low: int = 0, high: int | None = None) -> bool:
    return type(value) is int and value >= low and (high is None or value <= high)


def decode(raw: bytes) -> dict[str, Any] | None:
    """Return the row of a queued item, or None when it is not one that record_search() makes."""
    try:
        values = json.loads(raw)
        if not isinstance(values, list) or len(values) != len(_COLUMNS):
            return None
        row = dict(zip(_COLUMNS, values, strict=True))
        row["searched_on"] = date.fromisoformat(row["searched_on"])
    except (ValueError, TypeError):
        return None
    area, radius = row["area_code"], row["radius_km"]
    valid = (
        _whole(row["hour"], 0, 23)
        and isinstance(row["query"], str)
        and normal_query(row["query"]) == row["query"]
        and _whole(row["result_count"])
        and (area is None or (isinstance(area, str) and 0 < len(area) <= 64 and area.isprintable()))
        and row["place_kind"] in PLACE_KINDS
        and (radius is None or _whole(radius))
        and _whole(row["filters"])
        and row["language"] in LANGUAGES
        and row["source"] in SOURCES
    )
    return row if valid else None


def connect() -> None:
    """Open this process's connection to the queue (a worker's warm start), if there is a queue; raise
    redis.RedisError when Redis does not answer."""
    queue = _queue()
    if queue is not None:
        queue.client.ping()


def waiting() -> int | None:
    """Return how many rows wait in the queue (None without a queue); raise redis.RedisError when it is away."""
    queue = _queue()
    return None if queue is None else cast(int, queue.client.llen(QUEUE_KEY))


def drain(batch: int = DRAIN_BATCH) -> int:
    """Write the rows waiting in the queue into the database, a batch a statement; return how many were written.

    Several schedulers may drain at once: LPOP hands each row to one of them. A batch the database refuses is
    pushed back onto the queue and the error raised; items that are no row of record_search() are left out
    (logged as a count). Raise redis.RedisError when Redis does not answer (the rows wait for the next drain).
    """
    queue = _queue()
    if queue is None:
        return 0
    written = skipped = 0
    for _ in range(DRAIN_BATCHES):
        items = cast(list[bytes] | None, queue.client.lpop(QUEUE_KEY, batch))
        if not items:
            break
        rows = [row for item in items if (row := decode(item)) is not None]
        skipped += len(items) - len(rows)
        if rows:
            try:
                db.session.execute(_INSERT, rows)
                transactions.commit()
            except Exception:
                db.session.rollback()
                queue.client.rpush(QUEUE_KEY, *items)  # written by a later drain
                raise
            written += len(rows)
        if len(items) < batch:
            break
    if skipped:
        current_app.logger.warning("search log: %s queued items were no search and were left out", skipped)
    return written


# --- retention ----------------------------------------------------------------------------------------


def delete_old_entries(months: int | None = None, today: date | None = None) -> int:
    """Delete the entries older than `months` (SEARCH_LOG_MONTHS) months by the app clock; return how many.

    A month added up (add_up_months) that has days before the cutoff goes with them: its texts are
    kept no longer than the entries, and the analysis counts what is left of it from the entries.
    """
    months = current_app.config["SEARCH_LOG_MONTHS"] if months is None else months
    cutoff = freshness.add_months(today or clock.today(), -months)
    result = db.session.execute(delete(SearchLogEntry).where(SearchLogEntry.searched_on < cutoff))
    count = cast(CursorResult[Any], result).rowcount
    old_months = select(SearchLogMonth.id).where(SearchLogMonth.month < cutoff).scalar_subquery()
    db.session.execute(delete(SearchLogMonthCount).where(SearchLogMonthCount.month_id.in_(old_months)))
    db.session.execute(delete(SearchLogMonth).where(SearchLogMonth.month < cutoff))
    transactions.commit()
    return count or 0


# --- months added up for the area analysis ----------------------------------------------------------


def _next_month(day: date) -> date:
    return freshness.add_months(day.replace(day=1), 1)


def add_up_months(today: date | None = None) -> int:
    """Add up each month of the log that is over and not added up yet; return how many months. Idempotent.

    Only months the retention leaves whole (SEARCH_LOG_MONTHS): the retention deletes days of the
    month its cutoff falls in, so that month stays counted from the entries, and a retention run
    at the same time (another scheduler) never deletes entries of a month being added up. Each
    month is one commit: the counts per (area, text) and the month's row that marks it done.
    """
    today = today or clock.today()
    cutoff = freshness.add_months(today, -current_app.config["SEARCH_LOG_MONTHS"])
    first_logged = db.session.scalar(select(func.min(SearchLogEntry.searched_on)))
    if first_logged is None:
        return 0
    month = max(first_logged.replace(day=1), cutoff if cutoff.day == 1 else _next_month(cutoff))
    done = set(db.session.scalars(select(SearchLogMonth.month)))
    added = 0
    while month < today.replace(day=1):
        if month not in done:
            _add_up_month(month)
            added += 1
        month = _next_month(month)
    return added


def _add_up_month(month: date) -> None:
    in_month = SearchLogEntry.searched_on.between(month, _next_month(month) - timedelta(days=1))
    zero = func.sum(case((SearchLogEntry.result_count == 0, 1), else_=0))
    rows = db.session.execute(
        select(SearchLogEntry.area_code, SearchLogEntry.query, func.count(), zero)
        .where(in_month)
        .group_by(SearchLogEntry.area_code, SearchLogEntry.query)
    ).all()
    added = SearchLogMonth(month=month, searches=sum(row[2] for row in rows))
    db.session.add(added)
    db.session.flush()
    if rows:
        db.session.execute(
            insert(SearchLogMonthCount),
            [
                {"month_id": added.id, "area_code": area_code, "query": query, "searches": searches, "zero": none}
                for area_code, query, searches, none in rows
            ],
        )
    transactions.commit()


# --- the brokers' dashboard -------------------------------------------------------------------------


@dataclass
class UnansweredSearches:
    """This month's searches without results in a broker's areas, most frequent first."""

    month: date  # the first day of this month
    areas: list = field(default_factory=list)  # the broker's areas (all of them for an admin)
    all_areas: bool = False  # an admin: every search, with or without an area
    queries: list = field(default_factory=list)  # (words typed, number of searches)
    total: int = 0  # all searches this month in those areas


def unanswered_searches(by, today: date | None = None) -> UnansweredSearches:
    """Return this month's searches without results in the broker's areas; raise PermissionDenied for others."""
    permissions.require_role(by, "broker")
    today = today or clock.today()
    first = today.replace(day=1)
    conditions = [SearchLogEntry.searched_on >= first, SearchLogEntry.searched_on <= today]
    in_scope = scopes.scope_area_ids(by)
    if by.is_admin and in_scope is None:
        areas = list(db.session.scalars(select(Area).order_by(Area.name)))
        board = UnansweredSearches(first, areas, all_areas=True)
    else:
        if by.is_admin and in_scope is not None:  # an admin of one municipality of a region: its areas (issue #20)
            areas = list(db.session.scalars(select(Area).where(Area.id.in_(sorted(in_scope))).order_by(Area.name)))
        else:
            areas = sorted(by.areas, key=lambda area: area.name)
        board = UnansweredSearches(first, areas)
        if not areas:
            return board
        conditions.append(SearchLogEntry.area_code.in_([area.code for area in areas]))
    board.total = db.session.scalar(select(func.count(SearchLogEntry.id)).where(*conditions)) or 0
    searches = func.count(SearchLogEntry.id)
    board.queries = [
        tuple(row)
        for row in db.session.execute(
            select(SearchLogEntry.query, searches)
            .where(*conditions, SearchLogEntry.result_count == 0, SearchLogEntry.query != "")
            .group_by(SearchLogEntry.query)
            .order_by(searches.desc(), SearchLogEntry.query)
            .limit(TOP_QUERIES)
        )
    ]
    return board
