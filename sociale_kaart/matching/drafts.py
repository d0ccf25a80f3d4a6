"""What a resident typed on the help request form in steps, kept until sent (issue #14).

The browser holds a random key in its (signed) session cookie; the answers live in the
request_drafts table, so any app server can show the next step and nothing personal sits in a
cookie. A draft keeps only the form's own field names, as text without control characters;
sending deletes it and the daily retention job deletes drafts untouched for DRAFT_HOURS.
"""

import hashlib
import secrets
from collections.abc import Collection, Mapping
from datetime import datetime, timedelta

from sqlalchemy import delete, select

from .. import clock, transactions
from ..extensions import db
from ..params import without_control_characters
from .models import RequestDraft

DRAFT_HOURS = 24
MAX_VALUE = 4000  # longer than any field allows: the form says so when it is sent
MAX_VALUES = 40  # per field (the experience checkboxes are the longest list)

Answers = dict[str, list[str]]


def _hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def _row(key: object) -> RequestDraft | None:
    if not isinstance(key, str) or not 20 <= len(key) <= 64:
        return None
    row = db.session.scalar(select(RequestDraft).where(RequestDraft.key_hash == _hash(key)))
    if row is None or row.updated_at < clock.naive_utcnow() - timedelta(hours=DRAFT_HOURS):
        return None
    return row


def load(key: object) -> Answers:
    """Return the answers of a draft ({field: [values]}); empty when there is none or it expired."""
    row = _row(key)
    if row is None or not isinstance(row.data, dict):
        return {}
    return {
        name: [str(value) for value in values]
        for name, values in row.data.items()
        if isinstance(name, str) and isinstance(values, list)
    }


def _clean(values: Collection[object]) -> list[str]:
    return [without_control_characters(str(value), True)[:MAX_VALUE] for value in list(values)[:MAX_VALUES]]


@transactions.write
def save(
    key: object, fields: Collection[str], answers: Mapping[str, Collection[object]], allowed: Collection[str]
) -> str:
    """Replace the answers of `fields` in a draft (a field left out of `answers` is emptied); return its key.

    Only names in `allowed` (the form's fields) are kept. A missing or expired draft is started
    anew under a new key.
    """
    now = clock.naive_utcnow()
    row = _row(key)
    if row is None:
        key = secrets.token_urlsafe(32)
        row = RequestDraft(key_hash=_hash(key), data={}, created_at=now)
        db.session.add(row)
    assert isinstance(key, str)
    data = {name: values for name, values in load(key).items() if name not in fields} if row.id else {}
    for name in fields:
        if name in allowed and name in answers:
            data[name] = _clean(answers[name])
    row.data = data
    row.updated_at = now
    transactions.commit()
    return key


@transactions.write
def discard(key: object) -> None:
    """Delete a draft (after sending it)."""
    if isinstance(key, str):
        db.session.execute(delete(RequestDraft).where(RequestDraft.key_hash == _hash(key)))
        transactions.commit()


@transactions.write
def purge(now: datetime | None = None) -> int:
    """Delete drafts untouched for DRAFT_HOURS; return how many. Idempotent."""
    cutoff = clock.naive_utc(now) - timedelta(hours=DRAFT_HOURS)
    count = len(db.session.scalars(select(RequestDraft.id).where(RequestDraft.updated_at < cutoff)).all())
    db.session.execute(delete(RequestDraft).where(RequestDraft.updated_at < cutoff))
    transactions.commit()
    return count
