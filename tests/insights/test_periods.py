"""Periods of the area analysis (issue #15): whole months, by month or quarter, never past today."""

from datetime import date

import pytest

from sociale_kaart.insights import periods
from sociale_kaart.insights.periods import Period


def test_the_default_is_this_month_and_the_eleven_before_it():
    assert periods.default_period(date(2026, 11, 30)) == Period(date(2025, 12, 1), date(2026, 11, 30), "month")
    assert periods.default_period(date(2028, 1, 4)) == Period(date(2027, 2, 1), date(2028, 1, 4), "month")


def test_a_chosen_period_takes_whole_months_and_stops_today():
    assert periods.month_period(date(2026, 2, 1), date(2026, 4, 1), date(2026, 11, 30)) == Period(
        date(2026, 2, 1), date(2026, 4, 30)
    )
    assert periods.month_period(date(2026, 10, 1), date(2026, 11, 1), date(2026, 11, 30), "quarter").end == date(
        2026, 11, 30
    )


def test_months_are_counted_one_by_one():
    found = periods.buckets(Period(date(2025, 12, 1), date(2026, 2, 10)))
    assert [(b.key, b.start, b.end) for b in found] == [
        ("2025-12", date(2025, 12, 1), date(2025, 12, 31)),
        ("2026-01", date(2026, 1, 1), date(2026, 1, 31)),
        ("2026-02", date(2026, 2, 1), date(2026, 2, 10)),
    ]


def test_quarters_are_clipped_to_the_period():
    found = periods.buckets(Period(date(2025, 12, 1), date(2026, 11, 30), "quarter"))
    assert [(b.key, b.start, b.end) for b in found] == [
        ("2025-Q4", date(2025, 12, 1), date(2025, 12, 31)),
        ("2026-Q1", date(2026, 1, 1), date(2026, 3, 31)),
        ("2026-Q2", date(2026, 4, 1), date(2026, 6, 30)),
        ("2026-Q3", date(2026, 7, 1), date(2026, 9, 30)),
        ("2026-Q4", date(2026, 10, 1), date(2026, 11, 30)),
    ]
    assert periods.bucket_key(date(2026, 11, 30), "quarter") == "2026-Q4"


def test_the_choices_go_back_three_years():
    choices = periods.month_choices(date(2026, 11, 30))
    assert (len(choices), choices[0], choices[-1]) == (36, date(2026, 11, 1), date(2023, 12, 1))


def test_a_period_cannot_end_before_it_starts():
    with pytest.raises(ValueError):
        Period(date(2026, 3, 1), date(2026, 2, 1))
