"""What `/healthz` reports (issue #16): the database, the search index, the e-mail backlog and, with
SEARCH_LOG_QUEUE_URI, the searches waiting in Redis for the scheduler (#17).

No personal data: only "ok"/"down" and counts. The server is healthy when the database
answers and the search index can be read; the outbox is reported, never a reason for a 503
(a stuck e-mail worker does not make this server unfit for requests; alert on the age instead).
"""

import logging
from typing import Any

import redis
from flask import current_app
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from .. import clock
from ..directory import search_log
from ..directory.services import search_backend
from ..extensions import db
from ..notify import services as notify

log = logging.getLogger(__name__)


def _database_ok() -> bool:
    try:
        db.session.execute(text("SELECT 1"))
        return True
    except SQLAlchemyError as error:
        log.warning("health check: the database does not answer (%s)", type(error).__name__)
        db.session.rollback()
        return False


def _search_ok() -> bool:
    try:
        healthy = search_backend().check()
    except Exception as error:  # check() answers False itself; anything else counts as down too
        log.warning("health check: the search index fails (%s)", type(error).__name__)
        return False
    if not healthy:
        log.warning("health check: the search index is missing, outdated or unreadable; run `flask search reindex`")
    return healthy


def _outbox() -> dict:
    now = clock.naive_utcnow()
    count, oldest = notify.backlog(now)
    return {"backlog": count, "oldest_age_seconds": int((now - oldest).total_seconds()) if oldest else 0}


def report() -> tuple[bool, dict]:
    """Return (healthy, the report): status, database, search, outbox {backlog, oldest_age_seconds} and, with a
    search log queue, search_log_waiting (a count, or None when Redis does not answer; never unhealthy)."""
    database = _database_ok()
    search = _search_ok()
    outbox = None
    if database:
        try:
            outbox = _outbox()
        except SQLAlchemyError as error:
            log.warning("health check: the outbox cannot be read (%s)", type(error).__name__)
            db.session.rollback()
    healthy = database and search
    answer: dict[str, Any] = {
        "status": "ok" if healthy else "unavailable",
        "database": "ok" if database else "down",
        "search": "ok" if search else "down",
        "outbox": outbox,
    }
    if current_app.config.get("SEARCH_LOG_QUEUE_URI"):
        answer["search_log_waiting"] = _search_log_waiting()
    return healthy, answer


def _search_log_waiting() -> int | None:
    """Return how many searches wait in Redis for the scheduler (None when Redis does not answer)."""
    try:
        return search_log.waiting()
    except redis.RedisError as error:
        log.warning("health check: the search log's queue in Redis does not answer (%s)", type(error).__name__)
        return None
