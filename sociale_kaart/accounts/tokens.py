"""Signed, time-limited tokens for links in e-mails (issue #3).

One salt per purpose, so a token made for one purpose never works for another. Tokens that
set a password carry a fingerprint of the password hash and session token: once used (the
hash changes) they stop working, so they work once.
"""

import hashlib
from datetime import UTC

from flask import current_app
from itsdangerous import BadSignature, TimestampSigner, URLSafeTimedSerializer

from .. import clock

PURPOSES = ("confirm-email", "reset-password", "change-email", "set-password")


def _check(purpose):
    if purpose not in PURPOSES:
        raise ValueError(f"unknown token purpose {purpose!r}")


def fingerprint(user):
    """Return a short digest of what a password change replaces (hash and session token)."""
    material = f"{user.password_hash or ''}|{user.session_token}".encode()
    return hashlib.sha256(material).hexdigest()[:24]


def make_token(purpose, payload):
    """Return a URL-safe signed token for a purpose."""
    _check(purpose)
    return sign(purpose, payload)


def read_token(purpose, token, max_age, now=None):
    """Return the payload of a valid token younger than max_age seconds, else None."""
    _check(purpose)
    payload = unsign(purpose, token, max_age, now)
    return payload if isinstance(payload, dict) else None


class _ClockSigner(TimestampSigner):
    """Stamp tokens with the app's clock, the clock that `unsign` checks their age against."""

    def get_timestamp(self):
        return clock.timestamp()


def _serializer(salt):
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=salt, signer=_ClockSigner)


def sign(salt, payload):
    """Return a URL-safe token of a payload signed with the app's key and a salt."""
    return _serializer(salt).dumps(payload)


def unsign(salt, token, max_age, now=None):
    """Return the payload of a token signed with this salt and younger than max_age seconds, else None."""
    try:
        payload, signed_at = _serializer(salt).loads(token, return_timestamp=True)
    except BadSignature:
        return None
    now = now or clock.utcnow()
    if now.tzinfo is None:
        now = now.replace(tzinfo=UTC)
    age = (now - signed_at).total_seconds()
    if age > max_age or age < -60:
        return None
    return payload
