"""Writes, one home for every capability (docs/STYLE.md): the write transaction, retry, commit and after it.

- `write` (a decorator) rolls the session back when a service fails halfway;
- `begin_write()` takes the write lock before anything is read (SQLite: BEGIN IMMEDIATE);
- `retrying(work)` runs a transaction again after a deadlock or serialization failure (PostgreSQL);
- `commit()` commits once, then runs the app's commit hooks: the search index of the listings the
  transaction changed (directory/indexing.py registers it at app start; issue #2, #16).

E-mail goes to the outbox (notify.queue_message) inside the transaction, so `commit()` queues it
together with the change: a rolled-back change sends nothing, a committed one is never without its mail.
"""

import functools
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

from flask import current_app
from sqlalchemy.engine import Connection
from sqlalchemy.exc import OperationalError

from .extensions import db

T = TypeVar("T")

# A commit hook: called with the session just before the commit; it may return a function that
# runs after the commit succeeded (e.g. a search index that is not part of the transaction).
CommitHook = Callable[[Any], Callable[[], None] | None]
HOOKS = "sociale_kaart.commit_hooks"

# PostgreSQL: a deadlock (40P01) or serialization failure (40001) ends one transaction; trying again is safe.
RETRY_SQLSTATES = ("40P01", "40001")
ATTEMPTS = 3


def write(function: Callable[..., T]) -> Callable[..., T]:
    """Roll the session back when a service fails halfway, so no lock or half a change stays behind."""

    @functools.wraps(function)
    def wrapper(*args, **kwargs):
        try:
            return function(*args, **kwargs)
        except Exception:
            db.session.rollback()
            raise

    return wrapper


def begin_write():
    """Start the write transaction now, holding the write lock before anything is read; return the connection.

    SQLite (pysqlite's legacy transaction mode) would begin only before the first INSERT or
    UPDATE, so the reads before it would see no lock; BEGIN IMMEDIATE takes the single writer
    lock at once (waiting up to busy_timeout). When the connection is already in a transaction
    it has written, so it holds that lock already. PostgreSQL locks rows instead (FOR UPDATE).
    """
    connection = db.session.connection()
    if connection.dialect.name == "sqlite":
        raw = connection.connection.dbapi_connection
        assert raw is not None, "a connection in use has its DB-API connection"
        if not raw.in_transaction:
            connection.exec_driver_sql("BEGIN IMMEDIATE")
    return connection


def is_retryable(error: BaseException) -> bool:
    """Return True for a deadlock or serialization failure: the same transaction may simply run again."""
    return getattr(getattr(error, "orig", None), "sqlstate", None) in RETRY_SQLSTATES


def retrying(work: Callable[[], T], attempts: int = ATTEMPTS) -> T:
    """Run work() (one whole transaction); after a deadlock or serialization failure roll back and run it again.

    Any error rolls the session back and is raised; an OperationalError is raised when the last
    attempt failed too, or when it was not a conflict (e.g. SQLite waited busy_timeout in vain).
    """
    for attempt in range(1, attempts + 1):
        try:
            return work()
        except OperationalError as error:
            db.session.rollback()
            if is_retryable(error) and attempt < attempts:
                continue
            raise
        except Exception:
            db.session.rollback()
            raise
    raise AssertionError("attempts must be at least 1")  # pragma: no cover


@contextmanager
def connection_apart() -> Iterator[Connection]:
    """Lend a pooled connection of its own in autocommit, outside the session's transaction: each statement on it is
    one round trip on PostgreSQL (no BEGIN before it, no COMMIT or ROLLBACK after it; #17)."""
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        yield connection


def write_apart(statement, parameters: dict[str, Any]) -> None:
    """Run one write statement apart from the session's transaction, committed at once: for a row that must not
    commit, wait for or roll back with what the request itself does (the search log, issue #11).

    On a pooled connection of its own in autocommit: on PostgreSQL one round trip, where the session's
    connection took three (BEGIN, the statement, COMMIT; #17). Where the session already holds SQLite's single
    write lock (it wrote and has not committed), a connection of its own would wait for that lock in vain: the
    statement then runs on the session's connection and is committed or rolled back with its transaction.
    """
    session = db.session()
    if session.in_transaction():
        connection = session.connection()
        raw = connection.connection.dbapi_connection
        if connection.dialect.name == "sqlite" and getattr(raw, "in_transaction", False):
            connection.execute(statement, parameters)
            return
    with connection_apart() as connection:
        connection.execute(statement, parameters)


def add_commit_hook(app, hook: CommitHook) -> None:
    """Run `hook(session)` before every `commit()` of this app (done once at app start)."""
    hooks = app.extensions.setdefault(HOOKS, [])
    if hook not in hooks:
        hooks.append(hook)


def commit() -> None:
    """Commit the session, then do what the commit hooks left for after it (the search index)."""
    session = db.session
    session.flush()
    after = [hook(session) for hook in current_app.extensions.get(HOOKS, ())]
    session.commit()
    for follow_up in after:
        if follow_up is not None:
            follow_up()
