"""When a job is due: the latest slot at or before now, named by its local wall time (issue #16)."""

from datetime import datetime

import pytest

from sociale_kaart.ops.timetable import Every, current_slot


@pytest.mark.parametrize(
    "rule, now, slot",
    [
        (Every.day(3), datetime(2026, 11, 30, 2, 59), "2026-11-29T03:00"),  # before 03:00: yesterday's
        (Every.day(3), datetime(2026, 11, 30, 3, 0), "2026-11-30T03:00"),
        (Every.day(3), datetime(2026, 11, 30, 23, 59), "2026-11-30T03:00"),
        (Every.day(6, 30), datetime(2027, 1, 1, 6, 29), "2026-12-31T06:30"),  # across a year end
        (Every.hour_at(5), datetime(2026, 11, 30, 10, 4), "2026-11-30T09:05"),
        (Every.hour_at(5), datetime(2026, 11, 30, 10, 5), "2026-11-30T10:05"),
        (Every.hour_at(5), datetime(2026, 12, 1, 0, 1), "2026-11-30T23:05"),  # across midnight
    ],
)
def test_the_slot_is_the_latest_moment_of_the_rule_at_or_before_now(rule, now, slot):
    assert current_slot(rule, now) == slot


def test_the_repeated_hour_in_autumn_keeps_the_slot_so_it_runs_once():
    # 25 October 2026: at 03:00 summer time the clock goes back to 02:00; local wall times repeat
    first, again = datetime(2026, 10, 25, 2, 30), datetime(2026, 10, 25, 2, 10)
    assert current_slot(Every.day(2, 0), first) == current_slot(Every.day(2, 0), again) == "2026-10-25T02:00"


def test_the_night_the_clock_goes_forward_still_has_three_oclock():
    # 29 March 2026: 02:00 jumps to 03:00; local_now() never shows 02:xx, 03:00 comes as usual
    assert current_slot(Every.day(3), datetime(2026, 3, 29, 3, 0)) == "2026-03-29T03:00"


def test_next_and_describe():
    assert Every.day(6).next(datetime(2026, 11, 30, 10, 30)) == datetime(2026, 12, 1, 6, 0)
    assert Every.hour_at(5).next(datetime(2026, 11, 30, 10, 30)) == datetime(2026, 11, 30, 11, 5)
    assert (Every.day(3).describe(), Every.hour_at(5).describe()) == ("daily 03:00", "hourly at :05")


@pytest.mark.parametrize("make", [lambda: Every.day(24), lambda: Every.day(3, 60), lambda: Every.hour_at(-1)])
def test_impossible_times_are_refused(make):
    with pytest.raises(ValueError):
        make()
