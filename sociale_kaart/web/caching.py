"""HTTP caching of the public pages, the HSDS API and the static files; compression (issue #17).

- Public pages and the API answer with an ETag (a hash of the body) and `Cache-Control: no-cache`: a
  browser or proxy may keep a copy but asks again each time, and gets 304 Not Modified while the page is
  the same, so a change is seen at once. A visitor with a cookie (a language, a login, a form's token) or a
  response that sets one gets `private`: no shared cache keeps a page that belongs to one person. The API
  also sends Last-Modified: the latest of the directory's last change (the version stamp of
  directory/cache.py), the start of the day (search leaves out long-unchecked listings by date) and the
  start of this process (a new version of the app).
- Static files: url_for('static', ...) adds a hash of the file's content (`?v=…`); with the current hash a
  file is kept a year (`immutable`), and a changed file has a new URL.
- Compression: Flask-Compress (zstd, br or gzip, as the client accepts) of HTML, JSON, CSS and JS; its hook
  runs after the one here, so the ETag is the uncompressed body's, with the encoding added to it.
"""

import hashlib
import os
from datetime import UTC, datetime

from flask import current_app, request, session
from werkzeug.security import safe_join

from .. import clock
from ..directory import cache
from ..extensions import compress

# Pages that are the same for every visitor without a cookie; their responses may be kept and revalidated.
PUBLIC_ENDPOINTS = frozenset(
    {
        "web.home",
        "web.about",
        "directory.search",
        "directory.map_view",
        "directory.service_detail",
        "directory.organization_detail",
        "directory.categories",
        "directory.category_detail",
        "api_docs.docs",
    }
)
API_BLUEPRINT = "api"
NOT_CACHED = frozenset({"api.export_zip"})  # a file built on request, sent as it is made
# What is compressed: the types this site sends, the API's streamed lists (format=ndjson, issue #18) among them
COMPRESSED_TYPES = (
    "text/html",
    "text/css",
    "text/plain",
    "text/xml",
    "text/javascript",
    "application/javascript",
    "application/json",
    "application/x-ndjson",
    "application/xml",
    "image/svg+xml",
)
STATIC_MAX_AGE = 365 * 24 * 3600
FINGERPRINT = "v"  # the query parameter of a static file's content hash
_FINGERPRINTS = "sociale_kaart.static_fingerprints"
_STARTED = "sociale_kaart.started"  # when this app was made: Last-Modified is never older (a new version)


def install(app) -> None:
    """Add the validators, Cache-Control, static fingerprints and compression to an app."""
    # static files are streamed: let gzip-only clients have them compressed too (the default leaves gzip out)
    app.config.setdefault("COMPRESS_ALGORITHM_STREAMING", ["zstd", "br", "gzip", "deflate"])
    app.config.setdefault("COMPRESS_MIMETYPES", list(COMPRESSED_TYPES))
    compress.init_app(app)
    app.extensions[_STARTED] = clock.utcnow().replace(microsecond=0)
    app.after_request(_validators)  # registered after Flask-Compress's, so it runs before it
    app.url_defaults(_add_fingerprint)


def _validators(response):
    if request.method not in ("GET", "HEAD") or response.status_code != 200:
        return response
    if request.endpoint == "static":
        return _static_cache_control(response)
    api = request.blueprint == API_BLUEPRINT
    if (
        not (api or request.endpoint in PUBLIC_ENDPOINTS)
        or request.endpoint in NOT_CACHED
        or response.direct_passthrough
        or response.is_streamed
    ):
        return response
    response.add_etag()
    response.cache_control.no_cache = True
    if request.cookies or session.modified or "Set-Cookie" in response.headers:
        response.cache_control.private = True  # a session or login: this copy is one person's
    else:
        response.cache_control.public = True
    if api:
        response.last_modified = _api_last_modified()
    return response.make_conditional(request)


def _api_last_modified() -> datetime:
    changed = cache.version()[1]
    latest = max(filter(None, (changed, clock.start_of_day(clock.today()))))
    return max(latest.replace(tzinfo=UTC, microsecond=0), current_app.extensions[_STARTED])


def static_fingerprint(filename: str) -> str | None:
    """Return a short hash of a static file's content, or None when there is no such file.

    Outside debug mode a file's hash is worked out once per process: static files change only with a new
    version of the app, which starts new workers (a page asks for three or more, each a stat() of the file)."""
    known: dict[str, tuple[tuple[int, int], str]] = current_app.extensions.setdefault(_FINGERPRINTS, {})
    if not current_app.debug and filename in known:
        return known[filename][1]
    path = safe_join(str(current_app.static_folder), filename)
    if path is None:
        return None
    try:
        found = os.stat(path)
    except OSError:
        return None
    entry = known.get(filename)
    if entry is not None and entry[0] == (found.st_mtime_ns, found.st_size):
        return entry[1]
    with open(path, "rb") as content:
        digest = hashlib.sha256(content.read()).hexdigest()[:12]
    known[filename] = ((found.st_mtime_ns, found.st_size), digest)
    return digest


def _add_fingerprint(endpoint, values):
    if endpoint == "static" and "filename" in values and FINGERPRINT not in values:
        fingerprint = static_fingerprint(values["filename"])
        if fingerprint is not None:
            values[FINGERPRINT] = fingerprint


def _static_cache_control(response):
    filename = (request.view_args or {}).get("filename", "")
    if request.args.get(FINGERPRINT) and request.args.get(FINGERPRINT) == static_fingerprint(filename):
        response.cache_control.no_cache = None
        response.cache_control.public = True
        response.cache_control.max_age = STATIC_MAX_AGE
        response.cache_control.immutable = True
    return response
