"""Opening-hours rules (pure: no Flask): slots for the search index, open now, display."""

from datetime import datetime, time, timedelta

SLOT_MINUTES = 15
SLOTS_PER_DAY = 24 * 60 // SLOT_MINUTES


def periods_of(schedules) -> list[tuple[int, time, time]]:
    """Return opening periods as the rules here take them, (weekday, opens_at, closes_at), of Schedule rows."""
    return [(s.weekday, s.opens_at, s.closes_at) for s in schedules]


def slot_of(moment: datetime) -> int:
    """Return the week slot (weekday * 96 + quarter of the day) of a local moment."""
    minutes = moment.hour * 60 + moment.minute
    return moment.weekday() * SLOTS_PER_DAY + minutes // SLOT_MINUTES


def _minutes(value: time) -> int:
    return value.hour * 60 + value.minute


def open_slots(periods) -> list[int]:
    """Return the sorted week slots covered by (weekday, opens_at, closes_at) periods."""
    slots: set[int] = set()
    for weekday, opens_at, closes_at in periods:
        first = _minutes(opens_at) // SLOT_MINUTES
        # a slot counts as open when the service is open at its start
        last = (_minutes(closes_at) - 1) // SLOT_MINUTES
        slots.update(weekday * SLOTS_PER_DAY + q for q in range(first, last + 1))
    return sorted(slots)


def is_open(periods, moment: datetime) -> bool:
    """Return True when a moment falls in one of the periods."""
    minutes = _minutes(moment.time())
    return any(
        weekday == moment.weekday() and _minutes(opens_at) <= minutes < _minutes(closes_at)
        for weekday, opens_at, closes_at in periods
    )


def parse_time(text: str) -> time | None:
    """Return a time from 'HH:MM' (or 'H.MM'), or None when it is not a valid time."""
    text = (text or "").strip().replace(".", ":")
    hours, _, minutes = text.partition(":")
    if not (hours.isdigit() and minutes.isdigit() and len(minutes) == 2 and len(hours) <= 2):
        return None
    if int(hours) > 23 or int(minutes) > 59:
        return None
    return time(int(hours), int(minutes))


def next_change(periods, moment: datetime) -> datetime:
    """Return the first moment after `moment` at which is_open may answer otherwise: the next opening or
    closing time of the day, else midnight (the next day has periods of its own)."""
    minutes = _minutes(moment.time())
    later = [
        m
        for weekday, opens_at, closes_at in periods
        if weekday == moment.weekday()
        for m in (_minutes(opens_at), _minutes(closes_at))
        if m > minutes
    ]
    midnight = datetime.combine(moment.date(), time.min) + timedelta(days=1)
    if not later:
        return midnight
    return datetime.combine(moment.date(), time(min(later) // 60, min(later) % 60))
