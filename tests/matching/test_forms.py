"""Durations in words, one home for pages, forms and mail (#14): '4 uur', not '240 minuten' beside it."""

import pytest
from flask_babel import force_locale

from sociale_kaart.matching.forms import duration_label


@pytest.mark.parametrize(
    "minutes, dutch, english",
    [
        (30, "30 minuten", "30 minutes"),
        (45, "45 minuten", "45 minutes"),
        (60, "1 uur", "1 hour"),
        (90, "1,5 uur", "1.5 hours"),
        (240, "4 uur", "4 hours"),
        (150, "2,5 uur", "2.5 hours"),
    ],
)
def test_a_duration_reads_in_hours_from_one_hour_on(app, minutes, dutch, english):
    with app.test_request_context():
        with force_locale("nl"):
            assert duration_label(minutes) == dutch
        with force_locale("en"):
            assert duration_label(minutes) == english
