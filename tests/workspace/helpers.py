"""Helpers for workspace view tests: a valid CSRF token for a test client's session."""
import secrets

from itsdangerous import URLSafeTimedSerializer


def csrf_token(client, app):
    """Put a CSRF secret in the client's session and return the matching form token (as Flask-WTF does)."""
    raw = secrets.token_hex(20)
    with client.session_transaction() as session:
        session["csrf_token"] = raw
    secret = app.config.get("WTF_CSRF_SECRET_KEY") or app.secret_key
    return URLSafeTimedSerializer(secret, salt="wtf-csrf-token").dumps(raw)


def post(client, app, url, data=None, **kwargs):
    """POST a form with a valid CSRF token."""
    return client.post(url, data={**(data or {}), "csrf_token": csrf_token(client, app)}, **kwargs)


def login_as(client, user):
    """Log a user in on a test client, also when the test's app context already cached another user."""
    from flask import g

    from tests.builders import login

    login(client, user)
    g.pop("_login_user", None)


def logout(client):
    """Forget the logged-in user on a test client."""
    from flask import g

    with client.session_transaction() as session:
        session.clear()
    g.pop("_login_user", None)
