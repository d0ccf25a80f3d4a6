"""Signed, time-limited tokens for links in matching e-mails (issue #4).

One salt per purpose, so a token made for one purpose never works for another:
- "match-link": the volunteer accepts or declines an offered match (payload {"m": match_id, "v": volunteer_id});
- "feedback-link": "Is het doorgegaan?" after the date (payload {"m": match_id, "r": role});
- "request-confirm": a requester confirms their e-mail address.
"match-accept" and "match-feedback" are the names of the first draft of the contract, kept as
their own salts so either spelling works.
"""
from datetime import datetime, timezone

from flask import current_app
from itsdangerous import BadSignature, URLSafeTimedSerializer

PURPOSES = ("match-link", "feedback-link", "request-confirm", "match-accept", "match-feedback")

# How long the links in the e-mails work, in seconds.
MATCH_LINK_MAX_AGE = 14 * 24 * 3600
FEEDBACK_LINK_MAX_AGE = 60 * 24 * 3600
REQUEST_CONFIRM_MAX_AGE = 7 * 24 * 3600


def _serializer(purpose):
    if purpose not in PURPOSES:
        raise ValueError(f"unknown token purpose {purpose!r}")
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=f"matching-{purpose}")


def make_token(purpose, payload):
    """Return a URL-safe signed token for a purpose."""
    return _serializer(purpose).dumps(payload)


def read_token(purpose, token, max_age, now=None):
    """Return the payload of a valid token younger than max_age seconds, else None."""
    try:
        payload, signed_at = _serializer(purpose).loads(token, return_timestamp=True)
    except BadSignature:
        return None
    now = now or datetime.now(timezone.utc)
    if now.tzinfo is None:
        now = now.replace(tzinfo=timezone.utc)
    age = (now - signed_at).total_seconds()
    if age > max_age or age < -60:
        return None
    return payload
