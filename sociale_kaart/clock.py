"""The one clock of the app: only this module reads the real time (issue #10).

Everything else asks `utcnow()`, `local_now()` or `today()`. Two ways to move the clock:

- the setting SOCIALE_KAART_CLOCK_OFFSET_DAYS (an environment variable, read on every call, so
  every process started with it agrees) moves the real clock by whole days: a demo seen as it
  will look next year, or CI's run of the suite "far in the future";
- tests pin it: `tests/conftest.py` replaces `utcnow` with a clock that starts at a fixed moment
  (moved by the same setting) for every test.
"""

import os
import time as time_module
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from flask import current_app
from flask_babel import format_date, format_datetime

OFFSET_SETTING = "SOCIALE_KAART_CLOCK_OFFSET_DAYS"


def offset():
    """Return how far the setting moves the clock (zero when unset)."""
    days = os.environ.get(OFFSET_SETTING, "").strip()
    if not days:
        return timedelta(0)
    try:
        return timedelta(days=int(days))
    except ValueError:
        raise RuntimeError(f"{OFFSET_SETTING} must be a whole number of days, not {days!r}") from None


def real_utcnow():
    """Return the real current time, aware, in UTC, moved by the offset setting."""
    return datetime.now(UTC) + offset()


def utcnow():
    """Return the current time, aware, in UTC."""
    return real_utcnow()


def zone_name() -> str:
    """Return the name of the municipality's time zone: the one TIMEZONE setting (Babel's follows it)."""
    return current_app.config["TIMEZONE"]


def zone():
    """Return the municipality's time zone (the TIMEZONE setting)."""
    return ZoneInfo(zone_name())


def to_local(moment: datetime) -> datetime:
    """Return a moment (naive UTC, as the models store it, or aware) as an aware local time."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(zone())


def local_date(moment: datetime) -> date:
    """Return the municipality's date of a moment (naive UTC or aware)."""
    return to_local(moment).date()


def start_of_day(day: date) -> datetime:
    """Return, as naive UTC, the moment the municipality's day starts (local midnight)."""
    return naive_utc(datetime.combine(day, time(), tzinfo=zone()))


class LocalDates:
    """local_date for many naive-UTC moments: each compared with the starts of the days around it.

    A moment's local day is its UTC day, the day before or the day after (a zone is less than a
    day off UTC); which one follows from start_of_day, worked out once per day rather than a time
    zone conversion per moment (the area analysis dates thousands of rows). One per request: the
    starts are kept only as long as the object.
    """

    def __init__(self):
        self.starts: dict[date, datetime] = {}

    def _start(self, day: date) -> datetime:
        start = self.starts.get(day)
        if start is None:
            start = self.starts[day] = start_of_day(day)
        return start

    def __call__(self, moment: datetime) -> date:
        """Return the municipality's date of a naive-UTC moment, as local_date does."""
        day = moment.date()
        following = day + timedelta(days=1)
        if moment >= self._start(following):
            return following
        if moment >= self._start(day):
            return day
        return day - timedelta(days=1)


def format_local(moment: datetime | None, pattern: str = "d MMMM y, HH:mm") -> str:
    """Return a moment in local time in the page's language: '3 maart 2026, 13:05' ('' for None).

    The one local-time formatting (issue #13): the template filter `local_time` and every page use it.
    """
    if moment is None:
        return ""
    return format_datetime(to_local(moment), pattern)


def format_local_window(start: datetime, end: datetime) -> str:
    """Return a time window in local time: 'dinsdag 3 maart 2026, 13:00–17:00'."""
    start, end = to_local(start), to_local(end)
    return f"{format_date(start.date(), 'EEEE d MMMM y')}, {start:%H:%M}–{end:%H:%M}"


def local_now():
    """Return the municipality's current local time (naive)."""
    return utcnow().astimezone(zone()).replace(tzinfo=None)


def today() -> date:
    """Return the municipality's current date."""
    return local_now().date()


def naive_utcnow():
    """Return the current UTC time without tzinfo, as the models store it."""
    return utcnow().replace(tzinfo=None)


def naive_utc(moment=None):
    """Return a moment as naive UTC (how the models store time); now when None."""
    if moment is None:
        return naive_utcnow()
    return moment.astimezone(UTC).replace(tzinfo=None) if moment.tzinfo else moment


def store_seconds() -> float:
    """Return the real time in seconds since the epoch, not moved by the offset setting: the time the rate-limit
    store counts in (the limits library reads time.time() itself), for the seconds until a limit resets."""
    return datetime.now(UTC).timestamp()


def monotonic() -> float:
    """Return seconds of a clock that only moves forward, for how long since something happened in this process
    (not a time of day: never moved by the offset setting or a test's pinned clock)."""
    return time_module.monotonic()


def timestamp():
    """Return the current time as whole seconds since the epoch (for signed tokens)."""
    return int(utcnow().timestamp())
