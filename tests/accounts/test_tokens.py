from datetime import timedelta

import pytest

from sociale_kaart import clock
from sociale_kaart.accounts import tokens


def test_token_round_trip(app):
    token = tokens.make_token("confirm-email", {"u": "abc"})
    assert tokens.read_token("confirm-email", token, max_age=60) == {"u": "abc"}


def test_token_of_one_purpose_does_not_work_for_another(app):
    token = tokens.make_token("confirm-email", {"u": "abc"})
    assert tokens.read_token("reset-password", token, max_age=60) is None


def test_token_expires(app):
    token = tokens.make_token("reset-password", {"u": "abc"})
    later = clock.utcnow() + timedelta(seconds=3601)
    assert tokens.read_token("reset-password", token, max_age=3600, now=later) is None
    assert tokens.read_token("reset-password", token, max_age=3600, now=later - timedelta(seconds=5)) == {"u": "abc"}


def test_tampered_token_is_refused(app):
    token = tokens.make_token("confirm-email", {"u": "abc"})
    assert tokens.read_token("confirm-email", token[:-2] + ("AA" if token[-2:] != "AA" else "BB"), max_age=60) is None
    assert tokens.read_token("confirm-email", "nonsense", max_age=60) is None


def test_unknown_purpose_is_a_programming_error(app):
    with pytest.raises(ValueError):
        tokens.make_token("anything", {})
