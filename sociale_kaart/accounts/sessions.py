"""Flask-Login glue for login sessions (issue #12): the user loader, the notice after a time-out, the language."""

from flask import flash, g, session
from flask_babel import gettext as _
from flask_login import current_user

from . import services

# This browser's language while nobody is logged in; kept equal to the account's while someone is, so a
# logout (and the page after deleting an account) stays in it. Never read for a logged-in request.
LANGUAGE_KEY = "lang"
CHOSEN_KEY = "lang_chosen"  # the visitor picked LANGUAGE_KEY in the header while not logged in


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


def request_language() -> str:
    """Return the language of this request: a logged-in user's account language, else this browser's.

    The one rule (Flask-Babel's locale selector): the account is where a user's language is kept, so the
    pages and their e-mails cannot disagree."""
    if current_user.is_authenticated:
        return services.language_code(current_user.language)
    return services.language_code(session.get(LANGUAGE_KEY))


def choose_language(code: str, from_this_site: bool = True) -> None:
    """Use the language a visitor picks in the header; a logged-in user's account keeps it (their e-mails too).

    A switch that another site started (`from_this_site` False) changes no account: the link is a GET, and a
    page elsewhere could otherwise flip someone's e-mail language."""
    if code not in services.LANGUAGES:
        return
    if current_user.is_authenticated:
        if not from_this_site:
            return
        user = current_user._get_current_object()
        services.change_language(user, code, by=user)
    else:
        session[CHOSEN_KEY] = True
    session[LANGUAGE_KEY] = code


def chosen_language() -> str | None:
    """Return the language the visitor picked in the header before logging in on this browser, if any."""
    return session.get(LANGUAGE_KEY) if session.get(CHOSEN_KEY) else None


def keep_language(language: str) -> None:
    """Set this browser's language for when nobody is logged in (after a login, a logout, a saved profile).

    Not a choice in the header: the next login on this browser keeps that account's own language."""
    session.pop(CHOSEN_KEY, None)
    session[LANGUAGE_KEY] = services.language_code(language)
