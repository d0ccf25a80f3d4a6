"""Local time, UTC and the weekly day-part grid (pure rules, no Flask).

Requests and availability are stated in the municipality's local time (Europe/Amsterdam);
the database stores moments as naive UTC. Converting each date on its own keeps "every
Tuesday 13:00–17:00" at 13:00 local time on both sides of a daylight-saving change.
"""

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

DEFAULT_ZONE = "Europe/Amsterdam"

# Day parts of the availability grid, local time: ochtend, middag, avond.
DAY_PARTS = ((time(6, 0), time(12, 0)), (time(12, 0), time(18, 0)), (time(18, 0), time(23, 0)))
PART_CODES = ("morning", "afternoon", "evening")
WEEKDAY_CODES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
FULL_WEEK = (1 << 21) - 1


def zone(name=DEFAULT_ZONE):
    return ZoneInfo(name)


def bit(weekday, part):
    """Return the grid bit of a weekday (0 = Monday) and day part (0 morning, 1 afternoon, 2 evening)."""
    if not (0 <= weekday <= 6 and 0 <= part <= 2):
        raise ValueError("weekday 0-6, part 0-2")
    return 1 << (weekday * 3 + part)


def mask_from_cells(cells):
    """Return the grid mask of (weekday, part) pairs."""
    mask = 0
    for weekday, part in cells:
        mask |= bit(weekday, part)
    return mask


def cells_of(mask):
    """Return the (weekday, part) pairs set in a grid mask, in order."""
    return [(index // 3, index % 3) for index in range(21) if mask >> index & 1]


def localize(day, clock_time, zone_name=DEFAULT_ZONE):
    """Return the aware local moment of a wall-clock time on a date.

    A time that does not exist (02:30 on the last Sunday of March) moves forward by the gap,
    as a wall clock would; an ambiguous one (02:30 in October) is the first of the two.
    """
    tz = zone(zone_name)
    naive = datetime.combine(day, clock_time)
    aware = naive.replace(tzinfo=tz, fold=0)
    # Round-trip through UTC normalises a non-existent wall time.
    return aware.astimezone(UTC).astimezone(tz)


def exists(day, clock_time, zone_name=DEFAULT_ZONE):
    """Return False for a wall-clock time the clocks skip on that date (02:00-03:00 on the last Sunday of March)."""
    naive = datetime.combine(day, clock_time)
    return localize(day, clock_time, zone_name).replace(tzinfo=None) == naive


def clock_change_conflict(first_date, start, end, weeks=1, duration_minutes=0, zone_name=DEFAULT_ZONE):
    """Return (date, missing time or None) for the first date of a request the spring clock change breaks.

    A window breaks when its start or end does not exist that night (the missing time is
    returned), or when the skipped hour leaves less real time than the duration (None). Returns
    None when every date is fine. (In October the repeated hour is no problem: localize takes
    the first of the two.)
    """
    for day in series_dates(first_date, weeks):
        for moment in (start, end):
            if not exists(day, moment, zone_name):
                return day, moment
        window_start, window_end = local_window(day, start, end, zone_name)
        if (window_end - window_start).total_seconds() < duration_minutes * 60:
            return day, None
    return None


def to_utc_naive(moment):
    """Return an aware moment as naive UTC (how the models store time)."""
    return moment.astimezone(UTC).replace(tzinfo=None)


def to_local(utc_naive, zone_name=DEFAULT_ZONE):
    """Return a naive UTC moment as an aware local moment."""
    return utc_naive.replace(tzinfo=UTC).astimezone(zone(zone_name))


def local_window(day, start, end, zone_name=DEFAULT_ZONE):
    """Return (start, end) naive UTC of a local time window on a date; end must be after start."""
    if end <= start:
        raise ValueError("the window must end after it starts")
    return to_utc_naive(localize(day, start, zone_name)), to_utc_naive(localize(day, end, zone_name))


def series_dates(first_date, weeks):
    """Return the local dates of a weekly series: first_date and the same weekday after it."""
    return [first_date + timedelta(weeks=index) for index in range(weeks)]


def occurrence_windows(first_date, start, end, weeks=1, zone_name=DEFAULT_ZONE):
    """Return the naive-UTC (start, end) of each date of a one-off (weeks=1) or weekly request."""
    return [local_window(day, start, end, zone_name) for day in series_dates(first_date, weeks)]


# "Geen haast" (issue #14): a request for any one day in a period of 1 to 4 weeks, at a preferred
# time of day. Its window per day, local time; "any" is the whole day the grid covers.
PERIOD_PARTS = {
    "morning": (time(9, 0), time(12, 0)),
    "afternoon": (time(13, 0), time(17, 0)),
    "evening": (time(18, 0), time(21, 0)),
    "any": (time(9, 0), time(21, 0)),
}
MAX_PERIOD_WEEKS = 4


def period_part(start, end):
    """Return the PERIOD_PARTS code of a window (local times), or None when it is not one of them."""
    return next((code for code, window in PERIOD_PARTS.items() if window == (start, end)), None)


def period_days(first_date, weeks):
    """Return the local dates of a period: weeks x 7 days from first_date."""
    return [first_date + timedelta(days=index) for index in range(weeks * 7)]


def period_windows(first_date, start, end, weeks, zone_name=DEFAULT_ZONE):
    """Return the naive-UTC (start, end) of each day of a period, in order: the days a volunteer may choose."""
    return [local_window(day, start, end, zone_name) for day in period_days(first_date, weeks)]


def parts_needed(local_start, local_end):
    """Return the grid mask of day parts a local window touches, or None when it falls outside them.

    The window lies within one local day. A window from 11:00 to 14:00 needs the morning and
    the afternoon of that weekday; one that starts before 06:00 or ends after 23:00 cannot be
    covered by the grid.
    """
    day = local_start.date()
    if local_end.date() != day and not (local_end.date() == day + timedelta(days=1) and local_end.time() == time(0)):
        return None
    start_t = local_start.time()
    end_t = local_end.time() if local_end.date() == day else time(23, 59, 59)
    if start_t < DAY_PARTS[0][0] or end_t > DAY_PARTS[-1][1]:
        return None
    weekday = local_start.weekday()
    mask = 0
    for part, (part_start, part_end) in enumerate(DAY_PARTS):
        if start_t < part_end and end_t > part_start:
            mask |= bit(weekday, part)
    return mask


def iso_week(day):
    """Return the (year, week) of a local date; the weekly cap counts per ISO week."""
    year, week, _ = day.isocalendar()
    return year, week


def overlaps(a_start, a_end, b_start, b_end):
    """Return True when two half-open intervals [start, end) overlap."""
    return a_start < b_end and b_start < a_end


def in_period(day: date, starts_on: date, ends_on: date):
    """Return True when a date falls in an inclusive period."""
    return starts_on <= day <= ends_on
