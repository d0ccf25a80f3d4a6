"""Periods of the area analysis (issue #15): whole months, counted by month or by quarter (pure rules, no Flask).

All dates are local dates of the municipality; a period's end is inclusive and never after today.
"""

import calendar
from dataclasses import dataclass
from datetime import date

STEPS = ("month", "quarter")
DEFAULT_MONTHS = 12
CHOICE_MONTHS = 36


def first_of_month(day: date) -> date:
    return day.replace(day=1)


def shift_month(day: date, months: int) -> date:
    """Return the first day of the month `months` after (or before) the month of `day`."""
    index = day.year * 12 + day.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def last_of_month(day: date) -> date:
    return day.replace(day=calendar.monthrange(day.year, day.month)[1])


def quarter_of(day: date) -> int:
    return (day.month - 1) // 3 + 1


@dataclass(frozen=True)
class Period:
    """From `start` to `end` (both inclusive), counted per `step`."""

    start: date
    end: date
    step: str = "month"

    def __post_init__(self):
        if self.step not in STEPS:
            raise ValueError(f"step must be one of {STEPS}")
        if self.end < self.start:
            raise ValueError("a period ends on or after its start")

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1


@dataclass(frozen=True)
class Bucket:
    """One month or quarter of a period, clipped to the period."""

    key: str  # "2026-03" or "2026-Q1"
    step: str
    year: int
    number: int  # month 1-12 or quarter 1-4
    start: date
    end: date


def default_period(today: date, step: str = "month") -> Period:
    """Return the last 12 months: this month (up to today) and the 11 before it."""
    return Period(shift_month(today, 1 - DEFAULT_MONTHS), today, step)


def month_period(first_month: date, last_month: date, today: date, step: str = "month") -> Period:
    """Return the months from `first_month` to `last_month` (both whole), ending today at the latest."""
    return Period(first_of_month(first_month), min(last_of_month(last_month), today), step)


def month_choices(today: date, months: int = CHOICE_MONTHS) -> list[date]:
    """Return the first days of this month and the months before it, newest first."""
    return [shift_month(today, -back) for back in range(months)]


def bucket_key(day: date, step: str) -> str:
    """Return the key of the month or quarter a day falls in."""
    return f"{day.year}-Q{quarter_of(day)}" if step == "quarter" else f"{day.year}-{day.month:02d}"


def buckets(period: Period, step: str | None = None) -> list[Bucket]:
    """Return the months or quarters of a period in order, each clipped to the period."""
    step = step or period.step
    found, month = [], first_of_month(period.start)
    while month <= period.end:
        if step == "quarter":
            start = date(month.year, 3 * (quarter_of(month) - 1) + 1, 1)
            end = last_of_month(shift_month(start, 2))
            number, next_month = quarter_of(month), shift_month(start, 3)
        else:
            start, end, number, next_month = month, last_of_month(month), month.month, shift_month(month, 1)
        found.append(
            Bucket(bucket_key(month, step), step, month.year, number, max(start, period.start), min(end, period.end))
        )
        month = next_month
    return found
