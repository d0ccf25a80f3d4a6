"""Flask-Login glue for login sessions (issue #12): the user loader and the notice after a time-out."""

from flask import flash, g, session
from flask_babel import gettext as _

from . import services


def load_user(token):
    """Return the user of a session or remember-me cookie; a session that timed out is forgotten."""
    check = services.load_session(token)
    if check.expired:
        g.login_session_expired = check.expired
        session.pop("_user_id", None)
        session["_remember"] = "clear"  # Flask-Login then deletes the remember-me cookie too
    return check.user


def _time_out_notice():
    if g.get("login_session_expired") == "idle":
        return _("U was een tijd niet actief. Log opnieuw in.")
    return _("U bent automatisch uitgelogd. Log opnieuw in.")


def login_message(message):
    """Return the notice Flask-Login shows on the login page: why the user has to log in (again)."""
    if g.get("login_session_expired"):
        g.time_out_notice_shown = True
        return _time_out_notice()
    return str(message)


def add_time_out_notice(response, login_path):
    """After a redirect to the login page for a session that just timed out, say why (once)."""
    if (
        g.get("login_session_expired")
        and not g.get("time_out_notice_shown")
        and response.status_code in (301, 302, 303)
        and (response.location or "").startswith(login_path)
    ):
        flash(_time_out_notice(), "info")
        g.time_out_notice_shown = True
    return response
