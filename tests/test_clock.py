"""sociale_kaart.clock: the one time-zone setting, local dates and local-time formatting (issues #10, #13)."""

from datetime import UTC, date, datetime, timedelta

import pytest
from flask_babel import force_locale

from sociale_kaart import clock
from tests.conftest import make_app


@pytest.mark.parametrize(
    ("moment", "local"),
    [
        (datetime(2026, 3, 28, 23, 30), datetime(2026, 3, 29, 0, 30)),  # winter time: UTC+1
        (datetime(2026, 3, 29, 1, 30), datetime(2026, 3, 29, 3, 30)),  # after the clocks went forward
        (datetime(2026, 10, 25, 0, 30), datetime(2026, 10, 25, 2, 30)),  # the first 02:30 of October
        (datetime(2026, 10, 25, 1, 30), datetime(2026, 10, 25, 2, 30)),  # the second
        (datetime(2026, 7, 1, 12, 0, tzinfo=UTC), datetime(2026, 7, 1, 14, 0)),  # aware moments too
    ],
)
def test_to_local_reads_naive_utc(app, moment, local):
    assert clock.to_local(moment).replace(tzinfo=None) == local


@pytest.mark.parametrize(
    ("moment", "day"),
    [
        (datetime(2026, 3, 28, 22, 59), date(2026, 3, 28)),
        (datetime(2026, 3, 28, 23, 0), date(2026, 3, 29)),
        (datetime(2026, 6, 30, 21, 59), date(2026, 6, 30)),
        (datetime(2026, 6, 30, 22, 0), date(2026, 7, 1)),
    ],
)
def test_local_date_and_start_of_day_agree(app, moment, day):
    assert clock.local_date(moment) == day
    assert clock.start_of_day(day) <= moment < clock.start_of_day(date.fromordinal(day.toordinal() + 1))


def test_local_dates_of_many_moments_are_the_local_dates(app):
    moments = [
        datetime(2026, 3, 28, 22, 59, 59, 999999),  # winter time: the day starts at 23:00 UTC
        datetime(2026, 3, 28, 23, 0),
        datetime(2026, 3, 29, 1, 30),  # the night the clocks go forward
        datetime(2026, 3, 29, 21, 59),
        datetime(2026, 3, 29, 22, 0),  # summer time: the day starts at 22:00 UTC
        datetime(2026, 10, 24, 21, 59),
        datetime(2026, 10, 24, 22, 0),
        datetime(2026, 10, 25, 0, 30),  # the hour that comes twice
        datetime(2026, 10, 25, 1, 30),
        datetime(2026, 10, 25, 22, 59),
        datetime(2026, 10, 25, 23, 0),
        datetime(2026, 12, 31, 23, 0),  # a new year
    ] + [datetime(2026, 1, 1) + timedelta(hours=7 * step, minutes=13 * step) for step in range(1300)]
    local_date = clock.LocalDates()
    assert [local_date(moment) for moment in moments] == [clock.local_date(moment) for moment in moments]


@pytest.mark.parametrize(
    ("language", "pattern", "expected"),
    [
        ("nl", None, "3 maart 2026, 14:05"),
        ("en", None, "3 March 2026, 14:05"),
        ("nl", "EEEE d MMMM y, HH:mm", "dinsdag 3 maart 2026, 14:05"),
        ("nl", "d MMM y", "3 mrt 2026"),
    ],
)
def test_format_local_writes_local_time_in_the_pages_language(app, language, pattern, expected):
    with app.test_request_context(), force_locale(language):
        text = clock.format_local(datetime(2026, 3, 3, 13, 5), *([pattern] if pattern else []))

    assert text == expected


def test_format_local_of_nothing_is_empty(app):
    with app.test_request_context():
        assert clock.format_local(None) == ""


def test_format_local_window(app):
    with app.test_request_context():
        text = clock.format_local_window(datetime(2026, 3, 31, 11, 0), datetime(2026, 3, 31, 15, 0))

    assert text == "dinsdag 31 maart 2026, 13:00–17:00"


def test_one_time_zone_setting_drives_babel_and_the_clock(tmp_path):
    app = make_app(tmp_path, name="zone", TIMEZONE="America/Kralendijk")  # Bonaire: UTC-4, no summer time

    with app.app_context(), app.test_request_context():
        assert app.config["BABEL_DEFAULT_TIMEZONE"] == "America/Kralendijk" == clock.zone_name()
        assert clock.format_local(datetime(2026, 7, 1, 12, 0), "HH:mm") == "08:00"
