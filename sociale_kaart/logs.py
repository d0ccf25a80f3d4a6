"""Logs without secrets (issue #12, item 4): one filter masks tokens in every log line we write.

Links in e-mail carry secrets in their path (/mijn-hulpvraag/<token>, confirmation, reset and
match links): whoever reads an access log could open them. `TokenMask` masks
- the path segment of every URL rule whose variable is named `token` (or ends in `_token`),
  read from the app's URL map: `/mijn-hulpvraag/***/annuleren`;
- query values named like a secret (token, secret, password, key, signature), values shaped
  like a token (20 or more URL-safe characters with a letter and a digit; uuids, the API's
  public ids, stay), and a value that is itself a path or URL (`?next=/mijn-hulpvraag/***`);
- in exception text, PostgreSQL's DETAIL lines, which repeat the row's values
  (`Key (email)=(***)`).
SQL parameters never reach a log at all: every engine has hide_parameters (config.py).

`install(app)` puts the one filter on the app's loggers, the Werkzeug server's (`make run`, the
tests' live servers) and gunicorn's access and error logs (gunicorn.conf.py puts it there too).

Issue #16: every request gets an id (`RequestIds`: the trusted proxy's valid X-Request-ID, else
a new one), echoed in the response's X-Request-ID. With SOCIALE_KAART_LOG_FORMAT=json every log
line on standard output is one JSON object (`JsonFormatter`): time, level, logger, message, and
in a request its id and path (tokens masked, no query string); gunicorn's access lines too
(`access_entry`), without the client's address, user agent or referrer.
"""

import json
import logging
import re
import sys
import traceback
import uuid
from datetime import UTC, datetime
from urllib.parse import quote, unquote_plus

MASK = "***"
# Loggers that write request lines or our own messages (the app's own logger is added by install).
LOGGERS = ("werkzeug", "gunicorn.access", "gunicorn.error")

# A path or URL inside free text: from a scheme or a slash up to white space, a quote or a control character.
_URL = re.compile(r"""(?:\b[A-Za-z][A-Za-z0-9+.-]*://[^/\s"'<>\x00-\x1f\x7f]*)?/[^\s"'<>\x00-\x1f\x7f]*""")
_URL_PARTS = re.compile(
    r"(?P<origin>[A-Za-z][A-Za-z0-9+.-]*://[^/]*)?(?P<path>[^?#]*)(?P<query>\?[^#]*)?(?P<rest>.*)", re.DOTALL
)


def _url_parts(url: str) -> re.Match[str]:
    """Split a URL or path into origin, path, query and the rest (every group is optional: it always matches)."""
    parts = _URL_PARTS.fullmatch(url)
    assert parts is not None
    return parts


_VARIABLE = re.compile(r"<(?:[^<>:]+:)?(\w+)>")
_SECRET_NAME = re.compile(r"token|secret|passw|signature|(?:^|_)(?:api_?)?key$|^sig$", re.IGNORECASE)
_TOKEN_SHAPE = re.compile(r"[A-Za-z0-9_.~-]{20,}")
_UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
# PostgreSQL repeats a failing row's values in the error's DETAIL line (unique, foreign key, not null).
_DB_DETAIL = re.compile(r"(DETAIL:\s*)(?:(Key \([^)\n]*\)=)\(.*|.*)")


def is_token_variable(name):
    """Return True for a URL variable that holds a secret: `token` or a name ending in `_token`."""
    return name == "token" or name.endswith("_token")


def token_pattern(rule):
    """Return a regex matching a path of this rule up to its last token segment (groups: the tokens), or None."""
    parts, position, last_token = [], 0, None
    for variable in _VARIABLE.finditer(rule):
        parts.append(re.escape(rule[position : variable.start()]))
        if is_token_variable(variable.group(1)):
            parts.append(r"([^/?#]+)")
            last_token = len(parts)
        else:
            parts.append(r"[^/?#]+")
        position = variable.end()
    if last_token is None:
        return None
    return re.compile("".join(parts[:last_token]))


def looks_like_token(value):
    """Return True for a query value shaped like a secret: long, URL-safe, letters and digits, not a uuid."""
    return (
        bool(_TOKEN_SHAPE.fullmatch(value))
        and any(c.isdigit() for c in value)
        and any(c.isalpha() for c in value)
        and not _UUID.fullmatch(value)
    )


class TokenMask(logging.Filter):
    """A logging filter that masks tokens in a record's message and exception text (never drops a record)."""

    def __init__(self):
        super().__init__()
        self._patterns = {}

    def add_rules(self, url_map):
        """Learn the token routes of an app's URL map (every app adds its own; they add up)."""
        for rule in url_map.iter_rules():
            pattern = token_pattern(rule.rule)
            if pattern is not None:
                self._patterns.setdefault(pattern.pattern, pattern)

    def find_tokens(self, text):
        """Return the tokens in the paths and URLs of a text (say, an e-mail with links), as the mask finds them."""
        found = []
        for url in _URL.findall(text):
            path = _url_parts(url)["path"]
            for pattern in self._patterns.values():
                match = pattern.match(path)
                if match:
                    found += match.groups()
                    break
        return found

    def mask_path(self, path):
        for pattern in self._patterns.values():
            found = pattern.match(path)
            if found:
                for group in range(found.re.groups, 0, -1):
                    path = path[: found.start(group)] + MASK + path[found.end(group) :]
                return path
        return path

    def _mask_value(self, name, value):
        text = unquote_plus(value)
        if _SECRET_NAME.search(unquote_plus(name)):
            return MASK
        if text.startswith("/") or "://" in text:
            masked = self.mask_url(text)
            return value if masked == text else quote(masked, safe="/:*")
        return MASK if looks_like_token(text) else value

    def mask_query(self, query):
        pairs = []
        for pair in query.split("&"):
            name, equals, value = pair.partition("=")
            pairs.append(name + equals + (self._mask_value(name, value) if value else value))
        return "&".join(pairs)

    def mask_url(self, url):
        """Return a path or URL with its token segments and token-like query values masked."""
        parts = _url_parts(url)
        query = parts["query"]
        return "".join(
            (
                parts["origin"] or "",
                self.mask_path(parts["path"]),
                "?" + self.mask_query(query[1:]) if query else "",
                parts["rest"],
            )
        )

    def mask_text(self, text):
        """Return free text (a log message, a traceback) with its paths, URLs and database details masked."""
        text = _DB_DETAIL.sub(_detail_masked, text)
        return _URL.sub(lambda found: self.mask_url(found.group(0)), text)

    def filter(self, record):
        try:
            message = record.getMessage()
        except Exception:  # a broken format string must not put its arguments in the log either
            message = f"log message could not be formatted: {record.msg!r}"[:200]
        record.msg, record.args = self.mask_text(message), ()
        if record.exc_info and not record.exc_text:
            record.exc_text = "".join(traceback.format_exception(*record.exc_info)).rstrip("\n")
        if record.exc_text:
            record.exc_text = self.mask_text(record.exc_text)
        if record.stack_info:
            record.stack_info = self.mask_text(record.stack_info)
        return True


def _detail_masked(found):
    return found.group(1) + (f"{found.group(2)}({MASK})" if found.group(2) else MASK)


# One filter for the process: gunicorn.conf.py puts it on gunicorn's loggers before the app exists,
# and each app adds its token routes to it when it is created.
MASKER = TokenMask()


def mask(*loggers):
    """Put the token mask on these loggers (names or Logger objects); adding it twice changes nothing."""
    for logger in loggers:
        logger = logging.getLogger(logger) if isinstance(logger, str) else logger
        logger.addFilter(MASKER)


def install(app):
    """Mask tokens in the app's logs, the Werkzeug server's and gunicorn's, with the app's token routes;
    give every request an id."""
    MASKER.add_rules(app.url_map)
    own = [name for name in logging.root.manager.loggerDict if name.startswith(app.logger.name + ".")]
    mask(app.logger, *own, *LOGGERS)
    app.wsgi_app = RequestIds(app.wsgi_app, trust_header=app.config["TRUSTED_PROXIES"] > 0)


def choose_output(app):
    """Write JSON lines to standard output when LOG_FORMAT is "json" (called first: warnings at start too)."""
    if app.config["LOG_FORMAT"] == "json":
        log_json_lines(app.logger)


# --- request ids and JSON lines (issue #16) ----------------------------------------------------------

FORMATS = ("plain", "json")
REQUEST_ID_HEADER = "X-Request-ID"
ENVIRON_KEY = "sociale_kaart.request_id"
# What a proxy may hand us: nginx's $request_id (32 hex), a uuid, a trace id; nothing that could
# break a log line or smuggle text into it.
_REQUEST_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{7,127}")


def log_format(value):
    """Parse SOCIALE_KAART_LOG_FORMAT: "plain" (the default) or "json"."""
    value = value.strip().lower()
    if value not in FORMATS:
        raise ValueError(f"SOCIALE_KAART_LOG_FORMAT: expected one of {', '.join(FORMATS)}, not {value!r}")
    return value


class RequestIds:
    """WSGI middleware: a request id in the environ and the response's X-Request-ID header.

    The id a client sends is taken only behind a trusted proxy (SOCIALE_KAART_TRUSTED_PROXIES > 0;
    the proxy sets or replaces it) and only when it looks like an id; else a new one is made.
    """

    def __init__(self, wsgi_app, trust_header):
        self.wsgi_app = wsgi_app
        self.trust_header = trust_header

    def __call__(self, environ, start_response):
        given = environ.get("HTTP_X_REQUEST_ID", "") if self.trust_header else ""
        request_id = given if _REQUEST_ID.fullmatch(given) else uuid.uuid4().hex
        environ[ENVIRON_KEY] = request_id

        def start_with_id(status, headers, exc_info=None):
            headers = [(name, value) for name, value in headers if name.lower() != "x-request-id"]
            headers.append((REQUEST_ID_HEADER, request_id))
            return start_response(status, headers, exc_info)

        return self.wsgi_app(environ, start_with_id)


def _request_fields():
    """Return the current request's id and masked path (no query string), or {} outside a request."""
    from flask import has_request_context, request

    if not has_request_context():
        return {}
    return {"request_id": request.environ.get(ENVIRON_KEY), "path": MASKER.mask_path(request.path)}


# Attributes a record may carry (gunicorn's access lines set them through `extra`).
_EXTRA_FIELDS = ("request_id", "path", "method", "status", "duration_ms", "bytes")


class JsonFormatter(logging.Formatter):
    """One JSON object a line: time (UTC), level, logger, message, request_id and path in a request."""

    def format(self, record):
        entry = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "pid": record.process,  # which worker: several write to the same output
        }
        entry.update(_request_fields())
        for name in _EXTRA_FIELDS:
            if getattr(record, name, None) is not None:
                entry[name] = getattr(record, name)
        if record.exc_info and not record.exc_text:
            record.exc_text = MASKER.mask_text(self.formatException(record.exc_info))
        if record.exc_text:
            entry["exception"] = record.exc_text
        if record.stack_info:
            entry["stack"] = record.stack_info
        return json.dumps(entry, ensure_ascii=False, default=str)


class _JsonHandler(logging.StreamHandler):
    sociale_kaart_json = True  # how the app's own handler is told from others on the root logger


def json_handler(stream=None):
    """Return a handler writing masked JSON lines to a stream (standard output by default)."""
    handler = _JsonHandler(stream or sys.stdout)
    handler.setFormatter(JsonFormatter())
    handler.addFilter(MASKER)  # whatever logger a record comes from, tokens are masked
    return handler


def log_json_lines(app_logger):
    """Send every log record to standard output as JSON lines: one handler on the root logger (once a process)."""
    from flask.logging import default_handler

    root = logging.getLogger()
    if not any(getattr(handler, "sociale_kaart_json", False) for handler in root.handlers):
        root.addHandler(json_handler())
    app_logger.removeHandler(default_handler)  # Flask's plain handler would write each line twice
    if app_logger.getEffectiveLevel() > logging.INFO:
        app_logger.setLevel(logging.INFO)


def command_summary(logger: logging.Logger, message: str, *args: object) -> None:
    """Print a command's summary line; with LOG_FORMAT=json log it (INFO) instead: stdout stays JSON lines."""
    import click
    from flask import current_app

    if current_app.config["LOG_FORMAT"] == "json":
        logger.info(message, *args)
    else:
        click.echo(message % args if args else message)


def access_entry(environ, status, size, seconds):
    """Return (message, extra) of a JSON access line: method, masked path, status, size, time, request id.

    Leaves out the client's address, user agent and referrer (personal data), and the query string."""
    method = environ.get("REQUEST_METHOD", "-")
    raw = environ.get("RAW_URI") or environ.get("PATH_INFO") or "/"
    path = MASKER.mask_path(raw.split("?", 1)[0])
    extra = {
        "request_id": environ.get(ENVIRON_KEY),
        "path": path,
        "method": method,
        "status": status,
        "bytes": size,
        "duration_ms": round(seconds * 1000, 1),
    }
    return f"{method} {path} {status}", extra
