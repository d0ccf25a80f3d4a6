"""Local time rules of matching: day parts, daylight saving, the weekly grid (issue #4)."""

from datetime import date, datetime, time, timedelta

import pytest

from sociale_kaart.matching import timeslots

# 2026: summer time starts on Sunday 29 March and ends on Sunday 25 October.


@pytest.mark.parametrize(
    ("first_date", "utc_starts"),
    [
        (date(2026, 3, 22), [datetime(2026, 3, 22, 12), datetime(2026, 3, 29, 11), datetime(2026, 4, 5, 11)]),
        (date(2026, 10, 18), [datetime(2026, 10, 18, 11), datetime(2026, 10, 25, 12), datetime(2026, 11, 1, 12)]),
    ],
)
def test_weekly_series_keeps_local_time_across_daylight_saving(first_date, utc_starts):
    windows = timeslots.occurrence_windows(first_date, time(13), time(17), weeks=3)

    assert [start for start, _ in windows] == utc_starts
    for start, end in windows:
        assert timeslots.to_local(start).time() == time(13)
        assert timeslots.to_local(end).time() == time(17)
        assert end - start == timedelta(hours=4)


@pytest.mark.parametrize(
    ("day", "wall", "utc"),
    [
        (date(2026, 3, 29), time(2, 30), datetime(2026, 3, 29, 1, 30)),  # does not exist: 03:30 summer time
        (date(2026, 10, 25), time(2, 30), datetime(2026, 10, 25, 0, 30)),  # twice: the first (summer time)
        (date(2026, 1, 6), time(13), datetime(2026, 1, 6, 12)),
        (date(2026, 7, 7), time(13), datetime(2026, 7, 7, 11)),
    ],
)
def test_localize_non_existent_and_ambiguous_times(day, wall, utc):
    assert timeslots.to_utc_naive(timeslots.localize(day, wall)) == utc


def test_non_existent_time_moves_forward_by_the_gap():
    assert timeslots.localize(date(2026, 3, 29), time(2, 30)).time() == time(3, 30)


# 2026-03-31 is a Tuesday (weekday 1).
TUE = 1


@pytest.mark.parametrize(
    ("start", "end", "cells"),
    [
        (time(6), time(12), [(TUE, 0)]),
        (time(11), time(14), [(TUE, 0), (TUE, 1)]),
        (time(12), time(18), [(TUE, 1)]),
        (time(17, 59), time(18, 1), [(TUE, 1), (TUE, 2)]),
        (time(22), time(23), [(TUE, 2)]),
        (time(6), time(23), [(TUE, 0), (TUE, 1), (TUE, 2)]),
        (time(5, 30), time(7), None),
        (time(22), time(23, 30), None),
    ],
)
def test_parts_needed(start, end, cells):
    day = date(2026, 3, 31)
    needed = timeslots.parts_needed(timeslots.localize(day, start), timeslots.localize(day, end))

    assert needed == (None if cells is None else timeslots.mask_from_cells(cells))


def test_parts_needed_until_midnight_is_outside_the_grid():
    start = timeslots.localize(date(2026, 3, 31), time(20))
    end = timeslots.localize(date(2026, 4, 1), time(0))

    assert timeslots.parts_needed(start, end) is None


def test_parts_needed_of_a_utc_window_uses_local_time():
    # 12:30-13:30 in summer is 10:30-11:30 UTC: an afternoon, not a morning.
    start, end = timeslots.local_window(date(2026, 3, 31), time(12, 30), time(13, 30))

    assert start.hour == 10
    assert timeslots.parts_needed(timeslots.to_local(start), timeslots.to_local(end)) == timeslots.bit(TUE, 1)


@pytest.mark.parametrize(("weekday", "part", "index"), [(0, 0, 0), (1, 1, 4), (6, 2, 20)])
def test_bit(weekday, part, index):
    assert timeslots.bit(weekday, part) == 1 << index


@pytest.mark.parametrize(("weekday", "part"), [(7, 0), (0, 3), (-1, 0)])
def test_bit_refuses_cells_outside_the_grid(weekday, part):
    with pytest.raises(ValueError):
        timeslots.bit(weekday, part)


def test_cells_round_trip():
    cells = [(0, 0), (1, 1), (6, 2)]

    assert timeslots.cells_of(timeslots.mask_from_cells(cells)) == cells
    assert len(timeslots.cells_of(timeslots.FULL_WEEK)) == 21


def test_local_window_must_end_after_it_starts():
    with pytest.raises(ValueError):
        timeslots.local_window(date(2026, 3, 31), time(14), time(13))


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [
        ((1, 3), (2, 4), True),
        ((1, 3), (3, 4), False),  # touching is not overlapping
        ((1, 5), (2, 3), True),
        ((4, 5), (1, 2), False),
    ],
)
def test_overlaps(a, b, expected):
    assert timeslots.overlaps(*a, *b) is expected


@pytest.mark.parametrize(
    ("day", "week"), [(date(2026, 3, 29), (2026, 13)), (date(2026, 3, 30), (2026, 14)), (date(2027, 1, 1), (2026, 53))]
)
def test_iso_week_runs_monday_to_sunday(day, week):
    assert timeslots.iso_week(day) == week


# 2027: summer time starts on Sunday 28 March (02:00-03:00 does not exist) and ends on Sunday 31 October
# (02:00-03:00 happens twice). Issue #12: a request in the gap broke ck_occurrences_window.


@pytest.mark.parametrize(
    ("day", "wall", "exists"),
    [
        (date(2027, 3, 28), time(2, 0), False),
        (date(2027, 3, 28), time(2, 59), False),
        (date(2027, 3, 28), time(1, 59), True),
        (date(2027, 3, 28), time(3, 0), True),
        (date(2027, 10, 31), time(2, 30), True),  # twice, but it exists
        (date(2027, 3, 21), time(2, 30), True),
    ],
)
def test_exists(day, wall, exists):
    assert timeslots.exists(day, wall) is exists


@pytest.mark.parametrize(
    ("first_date", "start", "end", "weeks", "duration", "conflict"),
    [
        (date(2027, 3, 28), time(2, 30), time(3, 30), 1, 30, (date(2027, 3, 28), time(2, 30))),
        (date(2027, 3, 28), time(1, 0), time(2, 30), 1, 30, (date(2027, 3, 28), time(2, 30))),
        (date(2027, 3, 28), time(1, 30), time(3, 30), 1, 120, (date(2027, 3, 28), None)),  # only 1 real hour
        (date(2027, 3, 28), time(1, 30), time(3, 30), 1, 60, None),
        (date(2027, 3, 14), time(2, 15), time(2, 45), 4, 30, (date(2027, 3, 28), time(2, 15))),
        (date(2027, 3, 14), time(2, 15), time(2, 45), 2, 30, None),
        (date(2027, 10, 31), time(2, 15), time(2, 45), 1, 30, None),
    ],
)
def test_clock_change_conflict(first_date, start, end, weeks, duration, conflict):
    assert timeslots.clock_change_conflict(first_date, start, end, weeks, duration) == conflict


def test_the_repeated_autumn_hour_is_the_first_of_the_two():
    ((start, end),) = timeslots.occurrence_windows(date(2027, 10, 31), time(2, 15), time(2, 45))
    assert (start, end) == (datetime(2027, 10, 31, 0, 15), datetime(2027, 10, 31, 0, 45))  # summer time
