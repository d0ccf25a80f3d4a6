from datetime import datetime, time, timedelta

import pytest

from sociale_kaart.directory import hours

TUESDAY_AFTERNOON = [(1, time(13, 30), time(16, 30))]


@pytest.mark.parametrize(
    "moment, expected",
    [
        (datetime(2026, 11, 24, 13, 30), True),  # Tuesday, opening minute
        (datetime(2026, 11, 24, 16, 29), True),
        (datetime(2026, 11, 24, 16, 30), False),  # closing minute is closed
        (datetime(2026, 11, 24, 13, 29), False),
        (datetime(2026, 11, 25, 14, 0), False),  # Wednesday
    ],
)
def test_is_open_respects_day_and_time(moment, expected):
    assert hours.is_open(TUESDAY_AFTERNOON, moment) is expected


def test_open_slots_cover_the_period_in_quarters():
    slots = hours.open_slots(TUESDAY_AFTERNOON)
    tuesday = 1 * hours.SLOTS_PER_DAY
    assert slots[0] == tuesday + 13 * 4 + 2
    assert slots[-1] == tuesday + 16 * 4 + 1
    assert len(slots) == 12


@pytest.mark.parametrize(
    "moment",
    [
        datetime(2026, 11, 24, 13, 45),
        datetime(2026, 11, 24, 16, 15),
        datetime(2026, 11, 24, 12, 0),
    ],
)
def test_slot_of_agrees_with_is_open(moment):
    in_slots = hours.slot_of(moment) in hours.open_slots(TUESDAY_AFTERNOON)
    assert in_slots == hours.is_open(TUESDAY_AFTERNOON, moment)


@pytest.mark.parametrize(
    "text, expected",
    [
        ("09:00", time(9, 0)),
        ("9:05", time(9, 5)),
        ("13.30", time(13, 30)),
        (" 23:59 ", time(23, 59)),
        ("24:00", None),
        ("12:60", None),
        ("12", None),
        ("", None),
        ("ab:cd", None),
        ("9:5", None),
    ],
)
def test_parse_time(text, expected):
    assert hours.parse_time(text) == expected


def test_next_change_is_the_next_opening_or_closing_of_the_day_else_midnight():
    periods = [(2, time(9, 0), time(12, 0)), (2, time(13, 30), time(17, 0)), (3, time(8, 0), time(9, 0))]
    wednesday = datetime(2026, 12, 2)
    assert hours.next_change(periods, wednesday.replace(hour=8, minute=59, second=59)) == wednesday.replace(hour=9)
    assert hours.next_change(periods, wednesday.replace(hour=9)) == wednesday.replace(hour=12)
    assert hours.next_change(periods, wednesday.replace(hour=12, second=1)) == wednesday.replace(hour=13, minute=30)
    assert hours.next_change(periods, wednesday.replace(hour=17)) == datetime(2026, 12, 3)  # Thursday's own at 8
    assert hours.next_change([], wednesday.replace(hour=10)) == datetime(2026, 12, 3)
    for moment in (wednesday.replace(hour=h, minute=m) for h in range(24) for m in range(0, 60, 7)):
        change = hours.next_change(periods, moment)
        assert moment < change <= datetime(2026, 12, 3)
        # nothing changes before it
        assert hours.is_open(periods, change - timedelta(seconds=1)) == hours.is_open(periods, moment)
