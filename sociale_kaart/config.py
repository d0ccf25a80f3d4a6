"""Configuration: defaults, then SOCIALE_KAART_* environment variables, then the test mapping."""

import os
import secrets
from collections.abc import Callable
from pathlib import Path
from typing import Any

from .logs import log_format
from .search import default_backend

WEIGHT_NAMES = ("distance", "availability", "continuity", "fairness", "skills", "language")


def weights(text):
    """Parse matching weights such as "distance=40,availability=20" (missing names count 0)."""
    parsed = dict.fromkeys(WEIGHT_NAMES, 0)
    for part in text.split(","):
        name, _, value = part.partition("=")
        name = name.strip()
        if name not in WEIGHT_NAMES or not value.strip().isdigit():
            raise ValueError(f"SOCIALE_KAART_MATCHING_WEIGHTS: expected name=points with names {WEIGHT_NAMES}")
        parsed[name] = int(value)
    if not sum(parsed.values()):
        raise ValueError("SOCIALE_KAART_MATCHING_WEIGHTS: the weights add up to 0")
    return parsed


# name -> (environment variable, type); the default comes from defaults(instance_path)
ENVIRONMENT: dict[str, tuple[str, Callable[[str], Any]]] = {
    "ENV": ("SOCIALE_KAART_ENV", str),
    "SECRET_KEY": ("SOCIALE_KAART_SECRET_KEY", str),
    "SQLALCHEMY_DATABASE_URI": ("SOCIALE_KAART_DATABASE_URL", str),
    "SEARCH_BACKEND": ("SOCIALE_KAART_SEARCH_BACKEND", str),
    "SEARCH_DIR": ("SOCIALE_KAART_SEARCH_DIR", str),
    "GEOCODER": ("SOCIALE_KAART_GEOCODER", str),
    "GEOCODER_USER_AGENT": ("SOCIALE_KAART_GEOCODER_USER_AGENT", str),
    "MUNICIPALITY_CODE": ("SOCIALE_KAART_MUNICIPALITY_CODE", str),
    "MUNICIPALITY_NAME": ("SOCIALE_KAART_MUNICIPALITY_NAME", str),
    "TIMEZONE": ("SOCIALE_KAART_TIMEZONE", str),  # the municipality's; Babel's is derived from it
    "RATELIMIT_STORAGE_URI": ("SOCIALE_KAART_RATELIMIT_STORAGE_URI", str),
    "SEARCH_RATE_LIMIT": ("SOCIALE_KAART_SEARCH_RATE_LIMIT", str),
    "PREFERRED_URL_SCHEME": ("SOCIALE_KAART_URL_SCHEME", str),
    "MAP_TILE_URL": ("SOCIALE_KAART_MAP_TILE_URL", str),
    "MAP_TILE_ORIGIN": ("SOCIALE_KAART_MAP_TILE_ORIGIN", str),
    "MAP_ATTRIBUTION": ("SOCIALE_KAART_MAP_ATTRIBUTION", str),
    "PUBLIC_URL": ("SOCIALE_KAART_PUBLIC_URL", str),
    "MAIL_FROM": ("SOCIALE_KAART_MAIL_FROM", str),
    "SMTP_HOST": ("SOCIALE_KAART_SMTP_HOST", str),
    "SMTP_PORT": ("SOCIALE_KAART_SMTP_PORT", int),
    "SMTP_USERNAME": ("SOCIALE_KAART_SMTP_USERNAME", str),
    "SMTP_PASSWORD": ("SOCIALE_KAART_SMTP_PASSWORD", str),
    "SMTP_SECURITY": ("SOCIALE_KAART_SMTP_SECURITY", str),
    "SMTP_TIMEOUT": ("SOCIALE_KAART_SMTP_TIMEOUT", float),
    "MAIL_DIR": ("SOCIALE_KAART_MAIL_DIR", str),
    "MAIL_MAX_ATTEMPTS": ("SOCIALE_KAART_MAIL_MAX_ATTEMPTS", int),
    "LOGIN_RATE_LIMIT": ("SOCIALE_KAART_LOGIN_RATE_LIMIT", str),
    "FORM_RATE_LIMIT": ("SOCIALE_KAART_FORM_RATE_LIMIT", str),
    "STAFF_IDLE_MINUTES": ("SOCIALE_KAART_STAFF_IDLE_MINUTES", int),
    "STAFF_SESSION_HOURS": ("SOCIALE_KAART_STAFF_SESSION_HOURS", int),
    "TRUSTED_PROXIES": ("SOCIALE_KAART_TRUSTED_PROXIES", int),
    "FRESHNESS_REMINDER_MONTHS": ("SOCIALE_KAART_FRESHNESS_REMINDER_MONTHS", int),
    "FRESHNESS_STALE_MONTHS": ("SOCIALE_KAART_FRESHNESS_STALE_MONTHS", int),
    "FRESHNESS_HIDE_MONTHS": ("SOCIALE_KAART_FRESHNESS_HIDE_MONTHS", int),
    "MATCHING_WEIGHTS": ("SOCIALE_KAART_MATCHING_WEIGHTS", weights),
    "MATCHING_RETENTION_DAYS": ("SOCIALE_KAART_MATCHING_RETENTION_DAYS", int),
    "MATCHING_MIN_SERIES_COVERAGE": ("SOCIALE_KAART_MATCHING_MIN_SERIES_COVERAGE", float),
    "MATCHING_LATE_CANCEL_HOURS": ("SOCIALE_KAART_MATCHING_LATE_CANCEL_HOURS", int),
    "MATCHING_REQUEST_RATE_LIMIT": ("SOCIALE_KAART_MATCHING_REQUEST_RATE_LIMIT", str),
    "MATCHING_STEP_RATE_LIMIT": ("SOCIALE_KAART_MATCHING_STEP_RATE_LIMIT", str),
    "MATCHING_INTAKE_WORKING_DAYS": ("SOCIALE_KAART_MATCHING_INTAKE_WORKING_DAYS", int),
    "SEARCH_LOG_MONTHS": ("SOCIALE_KAART_SEARCH_LOG_MONTHS", int),
    "SEARCH_LOG_QUEUE_URI": ("SOCIALE_KAART_SEARCH_LOG_QUEUE_URI", str),
    "LOG_FORMAT": ("SOCIALE_KAART_LOG_FORMAT", log_format),
    "OPEN_DATA_LICENSE": ("SOCIALE_KAART_OPEN_DATA_LICENSE", str),
    "OPEN_DATA_LICENSE_URL": ("SOCIALE_KAART_OPEN_DATA_LICENSE_URL", str),
}

# Licences an open data export can name by their SPDX id alone (issue #18): id -> (title, address).
# Any other licence needs its address in SOCIALE_KAART_OPEN_DATA_LICENSE_URL.
OPEN_DATA_LICENSES = {
    "CC0-1.0": ("Creative Commons Zero v1.0 Universal", "https://creativecommons.org/publicdomain/zero/1.0/"),
    "CC-BY-4.0": ("Creative Commons Attribution 4.0 International", "https://creativecommons.org/licenses/by/4.0/"),
    "CC-BY-SA-4.0": (
        "Creative Commons Attribution Share Alike 4.0 International",
        "https://creativecommons.org/licenses/by-sa/4.0/",
    ),
    "ODbL-1.0": ("Open Data Commons Open Database License v1.0", "https://opendatacommons.org/licenses/odbl/1-0/"),
    "PDDL-1.0": (
        "Open Data Commons Public Domain Dedication & License 1.0",
        "https://opendatacommons.org/licenses/pddl/1-0/",
    ),
}


def open_data_license(settings):
    """Return the Frictionless `licenses` entry of the open data export: name (SPDX id), path and title."""
    name = settings["OPEN_DATA_LICENSE"]
    title, path = OPEN_DATA_LICENSES.get(name, (name, ""))
    return {"name": name, "path": settings["OPEN_DATA_LICENSE_URL"] or path, "title": title}


def defaults(instance_path):
    """Return the default settings for an instance folder."""
    instance = Path(instance_path)
    return {
        "ENV": "development",
        "SECRET_KEY": None,
        "SQLALCHEMY_DATABASE_URI": f"sqlite:///{instance / 'sociale_kaart.db'}",
        "SQLALCHEMY_ENGINE_OPTIONS": {},  # load() adds hide_parameters
        "SEARCH_BACKEND": "",  # empty: "postgres" with a PostgreSQL database, else "whoosh" (#16)
        "SEARCH_DIR": str(instance / "search-index"),
        "GEOCODER": "offline",
        "GEOCODER_USER_AGENT": "sociale_kaart",
        "MUNICIPALITY_CODE": "1581",
        "MUNICIPALITY_NAME": "Utrechtse Heuvelrug",
        "TIMEZONE": "Europe/Amsterdam",
        "LANGUAGES": ("nl", "en"),
        "BABEL_DEFAULT_LOCALE": "nl",
        "BABEL_TRANSLATION_DIRECTORIES": str(Path(__file__).parent / "translations"),
        "RATELIMIT_STORAGE_URI": "memory://",
        # Redis down: count in each worker's memory (logged) rather than fail the request (issue #12)
        "RATELIMIT_IN_MEMORY_FALLBACK_ENABLED": True,
        # Flask-Limiter's X-RateLimit-* headers on every answer cost two reads of the store each; web/pages.py
        # sends Retry-After on a 429 (#17)
        "RATELIMIT_HEADERS_ENABLED": False,
        "SEARCH_RATE_LIMIT": "120 per minute",
        "WTF_CSRF_TIME_LIMIT": 8 * 3600,
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": False,
        "HSTS": "",  # Strict-Transport-Security; production sets it (#12)
        "PREFERRED_URL_SCHEME": "http",
        "SEARCH_PER_PAGE": 20,
        # Background map tiles (PDOK BRT-Achtergrondkaart, open data of the Kadaster, no key);
        # empty MAP_TILE_URL shows markers on a plain background (tests, offline use).
        "MAP_TILE_URL": "https://service.pdok.nl/brt/achtergrondkaart/wmts/v2_0/standaard/EPSG:3857/{z}/{x}/{y}.png",
        "MAP_TILE_ORIGIN": "https://service.pdok.nl",
        "MAP_ATTRIBUTION": "© Kadaster (PDOK)",  # the map tiles' source; the pages say "Kaartgegevens:" before it
        "MAX_CONTENT_LENGTH": 2 * 1024 * 1024,
        # Accounts (issue #3)
        "PUBLIC_URL": "http://127.0.0.1:5000",  # base of links in e-mails sent outside a request
        "REMEMBER_COOKIE_DURATION": 30 * 24 * 3600,
        "REMEMBER_COOKIE_HTTPONLY": True,
        "REMEMBER_COOKIE_SAMESITE": "Lax",
        "REMEMBER_COOKIE_SECURE": False,
        "PASSWORD_MIN_LENGTH": 10,
        "CONFIRM_TOKEN_MAX_AGE": 3 * 24 * 3600,
        "RESET_TOKEN_MAX_AGE": 3600,
        "LOGIN_RATE_LIMIT": "10 per minute",  # wrong passwords, per account and per IP
        "FORM_RATE_LIMIT": "5 per minute;30 per hour",  # public forms (registration, reports, reset)
        # Login sessions (issue #12): brokers and admins are logged out after this long without a
        # request, and this long after logging in; anyone else after REMEMBER_COOKIE_DURATION.
        "STAFF_IDLE_MINUTES": 120,
        "STAFF_SESSION_HOURS": 12,
        # Reverse proxies in front of the app whose X-Forwarded-For/-Proto are trusted (issue #12);
        # 0: none, the connecting address is the client (rate limits key on it).
        "TRUSTED_PROXIES": 0,
        # E-mail (notify): without SMTP_HOST, development writes messages to MAIL_DIR
        "MAIL_FROM": "Sociale kaart <noreply@sociale-kaart.example.org>",
        "SMTP_HOST": "",
        "SMTP_PORT": 25,
        "SMTP_USERNAME": "",
        "SMTP_PASSWORD": "",
        "SMTP_SECURITY": "none",  # none | starttls | ssl
        "SMTP_TIMEOUT": 10.0,
        "MAIL_DIR": str(instance / "mail"),
        "MAIL_MAX_ATTEMPTS": 6,
        # Freshness (issue #3): months without a check before a reminder, a warning, hiding
        "FRESHNESS_REMINDER_MONTHS": 6,
        "FRESHNESS_STALE_MONTHS": 9,
        "FRESHNESS_HIDE_MONTHS": 12,
        # Matching (issue #4): score weights (points out of 100), retention, cancellation
        "MATCHING_WEIGHTS": {
            "distance": 30,
            "availability": 20,
            "continuity": 15,
            "fairness": 15,
            "skills": 10,
            "language": 10,
        },
        "MATCHING_RETENTION_DAYS": 180,  # closed requests are anonymised after this
        "MATCHING_MIN_SERIES_COVERAGE": 0.5,  # share of a series' dates a candidate must cover
        "MATCHING_LATE_CANCEL_HOURS": 24,  # a cancellation closer than this alerts the broker
        "MATCHING_REQUEST_RATE_LIMIT": "10 per hour",  # sending the public request form, per IP
        "MATCHING_STEP_RATE_LIMIT": "120 per hour",  # the form's steps (each saves a draft), per IP
        # A new volunteer hears from a broker for the intake within this many working days (issue #14)
        "MATCHING_INTAKE_WORKING_DAYS": 5,
        # The anonymous search log (issue #11): entries older than this are deleted
        "SEARCH_LOG_MONTHS": 12,
        # Redis (redis://host:6379/N) where searches wait to be written into the search log by the scheduler, in
        # batches; empty: each search is written at once (directory/search_log.py, #17)
        "SEARCH_LOG_QUEUE_URI": "",
        # Logs (issue #16): "plain" lines, or "json" (one JSON object a line on standard output)
        "LOG_FORMAT": "plain",
        # The licence the HSDS export (open data) declares (issue #18). CC0: the Dutch government's
        # default for open data (data.overheid.nl), so anyone may reuse the directory without conditions.
        # Another SPDX id of OPEN_DATA_LICENSES works as is; any other needs OPEN_DATA_LICENSE_URL.
        "OPEN_DATA_LICENSE": "CC0-1.0",
        "OPEN_DATA_LICENSE_URL": "",
    }


# Settings where an empty value means "off" rather than "use the default".
MAY_BE_EMPTY = {"MAP_TILE_URL", "MAP_TILE_ORIGIN"}


def from_environment(environ=None):
    """Return the settings given by SOCIALE_KAART_* environment variables."""
    environ = os.environ if environ is None else environ
    settings = {}
    for name, (variable, kind) in ENVIRONMENT.items():
        if environ.get(variable) or (name in MAY_BE_EMPTY and variable in environ):
            settings[name] = kind(environ[variable])
    return settings


def development_secret_key(instance_path):
    """Return the secret key kept in instance/, generating it on first use."""
    path = Path(instance_path) / "secret_key"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_hex(32))
        path.chmod(0o600)
    return path.read_text().strip()


def load(instance_path, overrides=None):
    """Return the complete settings for an app."""
    settings = defaults(instance_path)
    settings.update(from_environment())
    settings.update(overrides or {})
    # A failed statement never puts its values (names, addresses, password hashes) in a log or an
    # error page, whatever engine options a test or deployment passes (issue #12).
    settings["SQLALCHEMY_ENGINE_OPTIONS"] = {"hide_parameters": True, **settings["SQLALCHEMY_ENGINE_OPTIONS"]}
    # Search lives in the database when that is PostgreSQL, so every server sees a change (issue #16).
    settings["SEARCH_BACKEND"] = settings["SEARCH_BACKEND"] or default_backend(settings["SQLALCHEMY_DATABASE_URI"])
    if not open_data_license(settings)["path"]:
        raise RuntimeError(
            f"SOCIALE_KAART_OPEN_DATA_LICENSE={settings['OPEN_DATA_LICENSE']} is not one of "
            f"{', '.join(OPEN_DATA_LICENSES)}: give its address in SOCIALE_KAART_OPEN_DATA_LICENSE_URL."
        )
    queue = settings["SEARCH_LOG_QUEUE_URI"]
    if queue and not queue.startswith(("redis://", "rediss://", "unix://")):
        raise RuntimeError("SOCIALE_KAART_SEARCH_LOG_QUEUE_URI must be a Redis address (redis://host:6379/1) or empty.")
    if settings["ENV"] == "production":
        if not settings["SECRET_KEY"]:
            raise RuntimeError("SOCIALE_KAART_SECRET_KEY must be set when SOCIALE_KAART_ENV=production.")
        settings["SESSION_COOKIE_SECURE"] = True
        settings["REMEMBER_COOKIE_SECURE"] = True
        settings["PREFERRED_URL_SCHEME"] = "https"
        settings["HSTS"] = settings["HSTS"] or "max-age=31536000; includeSubDomains"  # a year
    elif not settings["SECRET_KEY"]:
        settings["SECRET_KEY"] = development_secret_key(instance_path)
    return settings
