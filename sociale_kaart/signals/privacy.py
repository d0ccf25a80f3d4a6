"""Privacy of signals (issue #15; AVG).

- Six months after closing, a signal's personal fields and the team's notes are erased
  (`run_retention`, run daily by `flask signals retention`); what stays is the area, themes,
  dates, status and outcome, for the aggregates.
- A reporter with an account finds their signals in their data download (what they reported
  and its status, not the team's work) and, when they delete their account, their contact
  details leave the signals they made; the concern itself stays with the village team.
  Both hook into accounts.privacy through the account events (accounts/events.py).
"""

from datetime import timedelta
from typing import Any, cast

from sqlalchemy import CursorResult, delete, select, update

from .. import clock
from ..accounts import events
from ..directory.freshness import add_months
from ..extensions import db
from ..notify.models import OutboxMessage
from .models import PERSONAL_FIELDS, Signal, SignalEvent

RETENTION_MONTHS = 6


# The e-mails a reporter gets: their address stays in the outbox after sending.
REPORTER_TEMPLATES = ("signal_received", "signal_picked_up")


def _forget_mail(address, queued_too=False):
    """Delete the receipts to a reporter's address: those sent (or failed), or every one (no commit)."""
    if not address:
        return
    condition = [OutboxMessage.to_address == address, OutboxMessage.template.in_(REPORTER_TEMPLATES)]
    if not queued_too:  # a receipt of a newer signal from the same address still goes out
        condition.append(OutboxMessage.status != "queued")
    db.session.execute(delete(OutboxMessage).where(*condition).execution_options(synchronize_session=False))


def erase_signal(signal: Signal, now=None) -> Signal:
    """Blank a signal's personal fields and notes, and its receipts in the outbox; keep area, themes, dates,
    status and outcome. No commit."""
    if signal.erased_at is not None:
        return signal
    _forget_mail(signal.reporter_email)
    for name in PERSONAL_FIELDS:
        setattr(signal, name, "")
    signal.reporter_id = None
    signal.erased_at = now or clock.naive_utcnow()
    db.session.execute(
        update(SignalEvent)
        .where(SignalEvent.signal_id == signal.id)
        .values(note="")
        .execution_options(synchronize_session=False)
    )
    return signal


def run_retention(months: int = RETENTION_MONTHS) -> int:
    """Erase the signals closed `months` months ago or longer, by the app clock; return how many. Idempotent."""
    last_day = add_months(clock.today(), -months)  # closed on this local day or before
    signals = db.session.scalars(
        select(Signal)
        .where(
            Signal.status == "closed",
            Signal.erased_at.is_(None),
            Signal.closed_at < clock.start_of_day(last_day + timedelta(days=1)),
        )
        .order_by(Signal.id)
    ).all()
    now = clock.naive_utcnow()
    for signal in signals:
        erase_signal(signal, now)
    db.session.commit()
    return len(signals)


# --- the reporter's own data ------------------------------------------------------------------------


def _iso(value):
    return value.isoformat() if value is not None else None


def export_for_reporter(user) -> dict:
    """Return the signals a user reported: what they wrote and the status; not the team's notes or outcome."""
    signals = db.session.scalars(select(Signal).where(Signal.reporter_id == user.id).order_by(Signal.id)).all()
    return {
        "signals_reported": [
            {
                "number": signal.id,
                "received_on": _iso(clock.local_date(signal.received_at)),
                "area": signal.area.name if signal.area else None,
                "themes": list(signal.themes or []),
                "description": signal.description,
                "about_whom": signal.subject_name,
                "where": signal.subject_address,
                "your_name": signal.reporter_name,
                "your_email": signal.reporter_email,
                "your_phone": signal.reporter_phone,
                "status": signal.status,
            }
            for signal in signals
        ]
    }


def forget_reporter(user, **_extra) -> int:
    """Take a deleted account's link and contact details off the signals it reported, and their receipts. No commit."""
    for address in set(db.session.scalars(select(Signal.reporter_email).where(Signal.reporter_id == user.id))):
        _forget_mail(address, queued_too=True)
    result = db.session.execute(
        update(Signal)
        .where(Signal.reporter_id == user.id)
        .values(reporter_id=None, reporter_name="", reporter_email="", reporter_phone="")
        .execution_options(synchronize_session=False)
    )
    return cast(CursorResult[Any], result).rowcount or 0


def _export(user, **_extra):
    return export_for_reporter(user)


def connect_account_events():
    """Take part in the account's data download and deletion (called once by create_app)."""
    events.personal_data_export.connect(_export)
    events.account_deleting.connect(forget_reporter)
