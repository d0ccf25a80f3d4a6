"""Directory data kept in each process (issue #17): vocabularies, facet labels, areas, the freshness exclusion.

A results page used to ask the database for the taxonomy terms, the areas and the long-unchecked
listings on every request. Each process now keeps them, marked with the version stamp of the data
they were made from. Every commit that changes a directory row (an area, taxonomy, organisation,
location, service, its links or opening hours) writes a new random stamp in the same transaction
(the row 'directory' of cache_versions), and a request reads the stamp once, with one primary-key
lookup, before it uses anything kept. Several servers share one database: a change made through
one is seen by every other on its next request, so nothing kept is older than that check.
"""

import uuid
from collections.abc import Callable, Hashable, Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any, TypeVar

from flask import current_app, g, has_app_context, has_request_context, request
from flask_babel import get_locale
from sqlalchemy import event, select
from sqlalchemy.dialects import postgresql, sqlite

from .. import clock, transactions
from .models import (
    Area,
    CacheVersion,
    CostOption,
    Location,
    Municipality,
    Organization,
    Schedule,
    Service,
    ServiceAtLocation,
    ServiceAttribute,
    Taxonomy,
    TaxonomyTerm,
)

NAME = "directory"
WATCHED = (
    Municipality,
    Area,
    Taxonomy,
    TaxonomyTerm,
    Organization,
    Location,
    Service,
    ServiceAtLocation,
    Schedule,
    CostOption,
    ServiceAttribute,
)
# The stamp of a database in which nothing has changed since its tables were made (no row yet).
UNCHANGED = "-"

_CHANGED = "sociale_kaart.directory_changed"  # session.info: this transaction changed a directory row
_WROTE = "sociale_kaart.directory_stamp_written"  # session.info: this transaction wrote a new stamp
_STAMP = "sociale_kaart.directory_stamp"  # request.environ: (stamp, changed_at) as read in this request
_KEPT = "sociale_kaart.directory_cache"  # app.extensions: name -> (key, value)
_PINNED = "sociale_kaart_directory_stamp"  # flask.g outside a request: the stamp read once (one_version)

T = TypeVar("T")


# --- writing the stamp ------------------------------------------------------------------------------


def _note_changes(session, flush_context):
    """after_flush: note that the transaction changed a directory row (nothing is loaded inside a flush)."""
    if not session.info.get(_CHANGED) and any(
        isinstance(obj, WATCHED) for obj in (*session.new, *session.dirty, *session.deleted)
    ):
        session.info[_CHANGED] = True


def _write_stamp(session):
    """before_commit: a transaction that changed a directory row writes a new stamp, as its last statement."""
    session.flush()  # changes still pending are noted by the flush
    if not session.info.pop(_CHANGED, False):
        return
    connection = session.connection()
    insert = postgresql.insert if connection.dialect.name == "postgresql" else sqlite.insert
    values = {"stamp": uuid.uuid4().hex, "changed_at": clock.naive_utcnow()}
    connection.execute(
        insert(CacheVersion)
        .values(name=NAME, **values)
        .on_conflict_do_update(index_elements=[CacheVersion.name], set_=values)
    )
    session.info[_WROTE] = True


def _forget_read_stamp(session):
    """after_commit: a request that wrote a new stamp reads it again before it uses anything kept."""
    if session.info.pop(_WROTE, False) and has_request_context():
        request.environ.pop(_STAMP, None)


def _forget_changes(session, *args):
    session.info.pop(_CHANGED, None)
    session.info.pop(_WROTE, None)


def install(session_class) -> None:
    """Listen to the flushes and commits of a session class (done once by create_app)."""
    if not event.contains(session_class, "after_flush", _note_changes):
        event.listen(session_class, "after_flush", _note_changes)
        event.listen(session_class, "before_commit", _write_stamp)
        event.listen(session_class, "after_commit", _forget_read_stamp)
        event.listen(session_class, "after_rollback", _forget_changes)


# --- reading it -------------------------------------------------------------------------------------


# One Core statement object for every read: SQLAlchemy works out the cache key of its compiled form once.
_TABLE = CacheVersion.__table__
_READ = select(_TABLE.c.stamp, _TABLE.c.changed_at).where(_TABLE.c.name == NAME)


def _read() -> tuple[str, datetime | None]:
    # Every request reads the stamp (#17): with Core (the ORM's execute() costs 4 times as much, 87 against 22 µs),
    # apart from the session's transaction: on PostgreSQL one round trip, where the session's connection took three
    # (BEGIN, the read, and the ROLLBACK that ends a request that reads nothing else). What is kept is read after
    # it, so never older than the stamp it is kept under (see kept).
    with transactions.connection_apart() as connection:
        row = connection.execute(_READ).first()
    return (row.stamp, row.changed_at) if row else (UNCHANGED, None)


def version() -> tuple[str, datetime | None]:
    """Return the directory's (stamp, naive UTC time of the last change): read once per request."""
    if not has_request_context():
        pinned = g.get(_PINNED) if has_app_context() else None
        # a command or a test between requests: nothing tells when another process wrote
        return pinned if pinned is not None else _read()
    read = request.environ.get(_STAMP)
    if read is None:
        read = request.environ[_STAMP] = _read()
    return read


@contextmanager
def one_version() -> Iterator[None]:
    """Outside a request, read the stamp once for what runs inside: a rebuild of the search index.

    Every document asks for the kept municipalities and areas (issue #20); reading the stamp for each
    of 100,000 documents would add a statement to each. Inside a request the stamp is read once anyway.
    """
    if has_request_context() or g.get(_PINNED) is not None:
        yield
        return
    setattr(g, _PINNED, _read())
    try:
        yield
    finally:
        g.pop(_PINNED, None)


def kept(name: str, build: Callable[[], T], *key: Hashable) -> T:
    """Return what build() made in this process for the current stamp and key; build it again after a change."""
    store: dict[str, tuple[Any, Any]] = current_app.extensions.setdefault(_KEPT, {})
    full_key = (version()[0], *key)
    entry = store.get(name)
    if entry is not None and entry[0] == full_key:
        return entry[1]
    value = build()  # read after the stamp: at least as new as it, so never kept under a newer stamp
    store[name] = (full_key, value)
    return value


def kept_page(name: str, render: Callable[[], str]) -> str:
    """Return a page that is the same for every visitor without a cookie, rendered once per stamp, language and day.

    A visitor with a cookie may be logged in, have a list or a message waiting: their page is rendered for them.
    The day is part of the key because what a page counts leaves out long-unchecked listings by date. Only for
    pages whose every part comes from the directory, the settings and the date: nothing of the request itself.
    """
    if request.cookies:
        return render()
    return kept(f"page:{name}:{get_locale() or 'nl'}", render, clock.today())
