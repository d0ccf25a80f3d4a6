"""Page-wide behaviour: security headers, template helpers, error pages."""

import math

from flask import current_app, g, redirect, render_template, request, url_for
from flask_babel import format_date, get_locale, get_translations
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf.csrf import CSRFError
from jinja2 import pass_context
from markupsafe import Markup
from sqlalchemy.exc import DBAPIError
from werkzeug.exceptions import ServiceUnavailable
from werkzeug.serving import WSGIRequestHandler

from .. import clock, geo, params, search
from ..errors import NotFound, PermissionDenied
from ..extensions import db, limiter
from ..forms import BaseForm

# Seconds a client is asked to wait while the database takes no writes (maintenance, a standby).
READ_ONLY_RETRY_AFTER = 300
# ... and while the search index is built (issue #16)
SEARCH_BUILD_RETRY_AFTER = 120


def install(app):
    """Attach headers, template helpers and error pages to an app."""
    app.after_request(_security_headers)
    app.after_request(_retry_after)
    app.context_processor(_template_context)
    app.add_template_filter(format_km, "km")
    app.add_template_filter(format_day, "day")
    app.add_template_filter(phone_href, "tel")
    app.add_template_global(shows_form_errors)
    app.register_error_handler(403, _forbidden)
    app.register_error_handler(PermissionDenied, _permission_denied)
    app.register_error_handler(NotFound, _not_found)
    app.register_error_handler(404, _not_found)
    app.register_error_handler(405, _not_found)
    app.register_error_handler(429, _too_many)
    app.register_error_handler(CSRFError, _csrf_failed)
    app.register_error_handler(500, _server_error)
    app.register_error_handler(503, _unavailable)
    app.register_error_handler(DBAPIError, _database_error)
    app.register_error_handler(search.IndexNotBuilt, _search_not_built)
    _hide_server_version()
    _install_template_gettext(app)


def _csp(app_config):
    tiles = app_config.get("MAP_TILE_ORIGIN", "")
    img = " ".join(filter(None, ["'self'", "data:", tiles]))
    return (
        "default-src 'self'; script-src 'self'; style-src 'self'; "
        f"img-src {img}; connect-src 'self'; font-src 'self'; object-src 'none'; "
        "base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
    )


def _security_headers(response):
    response.headers.setdefault("Content-Security-Policy", _csp(current_app.config))
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("X-Frame-Options", "DENY")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    response.headers.setdefault("Permissions-Policy", "geolocation=(), camera=(), microphone=()")
    if current_app.config.get("HSTS"):
        response.headers.setdefault("Strict-Transport-Security", current_app.config["HSTS"])
    return response


def _retry_after(response):
    """Tell anyone refused with a 429 when to try again (Retry-After, in seconds), the API and the pages alike.

    Flask-Limiter's own headers (RATELIMIT_HEADERS_ENABLED: X-RateLimit-Limit, -Remaining, -Reset and this one)
    went on every answer, each two more reads of the store (Redis): a third of the rate limit's cost of a
    results page, for headers no browser reads and the API's description never promised (issue #17)."""
    limit = limiter.current_limit
    if response.status_code != 429 or limit is None:
        return response
    try:
        reset_at = limit.reset_at
    except Exception as error:  # noqa: BLE001  (the store unreachable: the answer goes out without it)
        current_app.logger.warning(
            "Retry-After left out: the rate limit store did not answer (%s)", type(error).__name__
        )
        return response
    response.headers["Retry-After"] = str(max(1, math.ceil(reset_at - clock.store_seconds())))
    return response


def _translations():
    """Return Flask-Babel's translations for the current locale, looked up once per request and locale.

    Flask-Babel finds them again for every `_()` in a template, through its context, domain and locale:
    13 µs a call, of which a page has 50-60 (issue #17). Kept in Flask-Babel's own context object, next to
    the locale they are for, so force_locale (an e-mail in the recipient's language) gets its own."""
    context = g.get("_flask_babel")
    if context is not None:
        kept = getattr(context, "kept_translations", None)
        if kept is not None and kept[0] is getattr(context, "babel_locale", None):
            return kept[1]
    translations = get_translations()
    context = g.get("_flask_babel")
    if context is not None:  # Flask-Babel made it while choosing the locale
        context.kept_translations = (getattr(context, "babel_locale", None), translations)
    return translations


@pass_context
def _template_gettext(context, string, **variables):
    """A template's `_()` and `gettext()`: Jinja's newstyle gettext, each text without variables translated and
    formatted once per language (kept with the translations; a page has 50-60 of them, issue #17)."""
    translations = _translations()
    autoescape = context.eval_ctx.autoescape
    if variables:
        text = translations.ugettext(string)
        return (Markup(text) if autoescape else text) % variables
    plain = getattr(translations, _PLAIN, None)
    if plain is None:
        plain = {}
        setattr(translations, _PLAIN, plain)
    found = plain.get((string, autoescape))
    if found is None:
        text = translations.ugettext(string)
        # always formatted, as Jinja's newstyle gettext does ("%%" is "%")
        found = plain[(string, autoescape)] = (Markup(text) if autoescape else text) % {}
    return found


_PLAIN = "_sociale_kaart_plain"  # an attribute of a Translations object: (text, autoescape) -> its translation


def _install_template_gettext(app):
    """Let templates translate through _translations(), as Flask-Babel installs them otherwise."""
    app.jinja_env.install_gettext_callables(
        gettext=lambda string: _translations().ugettext(string),
        ngettext=lambda singular, plural, number: _translations().ungettext(singular, plural, number),
        pgettext=lambda context, string: _translations().upgettext(context, string),
        npgettext=lambda context, singular, plural, number: _translations().unpgettext(
            context, singular, plural, number
        ),
        newstyle=True,
    )
    app.jinja_env.globals["gettext"] = app.jinja_env.globals["_"] = _template_gettext


def _server_name(handler):
    return "Werkzeug"


def _hide_server_version():
    """Let the Werkzeug server (`make run`, the tests) send `Server: Werkzeug`, without its and Python's
    versions (issue #12). It adds the header itself, so only its handler class can change it; gunicorn
    sends `Server: gunicorn` without a version already."""
    WSGIRequestHandler.version_string = _server_name  # type: ignore[method-assign]  # a deliberate patch


def _template_context():
    language = str(get_locale() or "nl")
    return {
        "language": language,
        "other_language": "en" if language == "nl" else "nl",
        "attribution": geo.ATTRIBUTION_EN if language == "en" else geo.ATTRIBUTION_NL,
        "attribution_url": geo.ATTRIBUTION_URL,
        "license_url": geo.LICENSE_URL,
        "today": clock.today(),
    }


@pass_context
def shows_form_errors(context) -> bool:
    """Return True when a form of the page has errors to show: its title then starts with "Fout:", so a screen
    reader says at once that sending went wrong (the error summary takes the focus too, templates/_errors.html).
    Every form of the page counts, whatever its name in the template (a detail page's second form)."""
    return any(
        isinstance(value, BaseForm) and (value.form_errors or any(field.errors for field in value))
        for value in context.get_all().values()
    )


def format_km(value, language: str | None = None):
    """Format a distance for people: '850 m', '2,1 km', '12 km' (Dutch or English decimal mark); `language`:
    the page's, when the caller has it (a results page formats twenty), else the user's."""
    if value is None:
        return ""
    if value < 1:
        return f"{int(round(value * 1000, -1))} m"
    text = f"{value:.1f}" if value < 10 else f"{value:.0f}"
    if (language or str(get_locale() or "nl")) == "nl":
        text = text.replace(".", ",")
    return f"{text} km"


def format_day(value):
    """Format a date as '3 maart 2026'."""
    return format_date(value, "d MMMM y") if value else ""


def phone_href(number):
    """Return a tel: link for a Dutch phone number ('0343 000 101' -> 'tel:+31343000101').

    The number is read by params.parse_phone; a short number (14 0343) is dialled as it is, and so
    is anything else (112, 113), with its ASCII digits only.
    """
    national = params.parse_phone(number)
    if national is None or national.startswith("14"):
        digits = national or "".join(ch for ch in number or "" if ch in "+0123456789")
    else:
        digits = "+31" + national[1:]
    return Markup(f"tel:{digits}")


def _not_found(error):
    return render_template("errors/404.html"), 404


def _forbidden(error):
    return render_template("errors/403.html"), 403


def _permission_denied(error):
    """A service refused: anonymous people go to the login page, others get a 403 page."""
    if not current_user.is_authenticated:
        return redirect(url_for("accounts.login", next=request.full_path.rstrip("?")))
    return _forbidden(error)


def _too_many(error):
    return render_template("errors/429.html"), 429


def _csrf_failed(error):
    return render_template("errors/400.html", reason=_("Het formulier is verlopen. Probeer het opnieuw.")), 400


def _server_error(error):
    return render_template("errors/500.html"), 500


def _unavailable(error):
    page = render_template(
        "errors/503.html",
        read_only=isinstance(error, ReadOnlyDatabase),
        search_building=isinstance(error, SearchNotBuilt),
    )
    response = current_app.make_response((page, 503))
    retry_after = getattr(error, "retry_after", None)
    if isinstance(retry_after, int):
        response.headers["Retry-After"] = str(retry_after)
    return response


class SearchNotBuilt(ServiceUnavailable):
    """The search index is being built (`flask search reindex`); searching works again after it (#16)."""

    description = "The search index is not built yet: searching works again in a few minutes."


def _search_not_built(error):
    """A search before `flask search reindex` built the index: 503 (the app already logged it)."""
    return current_app.handle_http_exception(SearchNotBuilt(retry_after=SEARCH_BUILD_RETRY_AFTER))


class ReadOnlyDatabase(ServiceUnavailable):
    """The database refused a write because it is read-only for now."""

    description = "The database is read-only for a while (maintenance): reading works, saving does not."


def read_only_database(error):
    """Return True for a database error that says it takes no writes (SQLite, PostgreSQL SQLSTATE 25006)."""
    original = getattr(error, "orig", None)
    if "25006" in (getattr(original, "sqlstate", None), getattr(original, "pgcode", None)):
        return True  # read_only_sql_transaction: a standby, or default_transaction_read_only
    code = getattr(original, "sqlite_errorcode", None)
    if code is not None:
        return code & 0xFF == 8  # SQLITE_READONLY and its extended codes
    return "readonly database" in str(original)


def _database_error(error):
    """A write the read-only database refused: 503 "Tijdelijk alleen lezen" (JSON under the API).

    Any other database error is raised again, so Flask logs it and answers 500 as before."""
    if not read_only_database(error):
        raise error
    db.session.rollback()
    current_app.logger.warning("a write was refused: the database is read-only (%s)", type(error.orig).__name__)
    # handled as an HTTP error, so each blueprint answers in its own way (the API in JSON)
    return current_app.handle_http_exception(ReadOnlyDatabase(retry_after=READ_ONLY_RETRY_AFTER))
