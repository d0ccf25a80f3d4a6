"""Working days (issue #15): weekends and the public holidays of the Algemene termijnenwet are skipped."""

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sociale_kaart.signals.workdays import add_working_days, easter_sunday, is_working_day, kings_day, public_holidays


@pytest.mark.parametrize(
    "year, easter",
    [
        (2024, date(2024, 3, 31)),
        (2025, date(2025, 4, 20)),
        (2026, date(2026, 4, 5)),
        (2027, date(2027, 3, 28)),
        (2038, date(2038, 4, 25)),
        (2285, date(2285, 3, 22)),
    ],
)
def test_easter_sunday(year, easter):
    assert easter_sunday(year) == easter


def test_the_holidays_of_2026():
    assert public_holidays(2026) == {
        date(2026, 1, 1),
        date(2026, 4, 6),
        date(2026, 4, 27),
        date(2026, 5, 5),
        date(2026, 5, 14),
        date(2026, 5, 25),
        date(2026, 12, 25),
        date(2026, 12, 26),
    }


@pytest.mark.parametrize(
    "year, day",
    [(2025, date(2025, 4, 26)), (2026, date(2026, 4, 27)), (2006, date(2006, 4, 29)), (2013, date(2013, 4, 30))],
)
def test_kings_day_moves_off_a_sunday(year, day):
    assert kings_day(year) == day


@pytest.mark.parametrize(
    "start, due",
    [
        (date(2026, 11, 30), date(2026, 12, 7)),  # Monday: next Monday
        (date(2026, 12, 5), date(2026, 12, 11)),  # Saturday: counting starts on Monday
        (date(2026, 12, 18), date(2026, 12, 28)),  # over Christmas
        (date(2026, 4, 23), date(2026, 5, 1)),  # over Koningsdag
        (date(2027, 4, 29), date(2027, 5, 10)),  # over Bevrijdingsdag and Hemelvaartsdag (6 May)
        (date(2026, 12, 29), date(2027, 1, 6)),  # over a year end and Nieuwjaarsdag (a Friday)
    ],
)
def test_five_working_days(start, due):
    assert add_working_days(start, 5) == due


def test_zero_working_days_is_the_day_itself_and_negative_is_refused():
    assert add_working_days(date(2026, 12, 5), 0) == date(2026, 12, 5)
    with pytest.raises(ValueError):
        add_working_days(date(2026, 12, 5), -1)


@given(start=st.dates(min_value=date(2000, 1, 1), max_value=date(2100, 12, 31)), days=st.integers(0, 30))
def test_the_due_date_is_a_working_day_exactly_that_many_working_days_on(start, days):
    due = add_working_days(start, days)
    between = [start + timedelta(days=offset) for offset in range(1, (due - start).days + 1)]
    assert sum(is_working_day(day) for day in between) == days
    assert days == 0 or is_working_day(due)
