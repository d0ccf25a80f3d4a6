"""The outbox: one row per e-mail, queued with the change that caused it."""

from .. import clock
from ..extensions import Model, db

STATUSES = ("queued", "sent", "failed")


class OutboxMessage(Model):
    """An e-mail waiting to be sent, sent, or given up on after its retries."""

    __tablename__ = "outbox"
    __table_args__ = (
        db.CheckConstraint("status IN ('queued', 'sent', 'failed')", name="status"),
        db.Index("ix_outbox_due", "status", "next_attempt_at"),
    )
    id = db.Column(db.Integer, primary_key=True)
    to_address = db.Column(db.String(254), nullable=False)
    subject = db.Column(db.String(300), nullable=False)
    body_text = db.Column(db.Text, nullable=False)
    body_html = db.Column(db.Text, nullable=False, default="")
    template = db.Column(db.String(80), nullable=False)
    language = db.Column(db.String(2), nullable=False, default="nl")
    status = db.Column(db.String(8), nullable=False, default="queued")
    attempts = db.Column(db.Integer, nullable=False, default=0)
    created_at = db.Column(db.DateTime, nullable=False, default=clock.naive_utcnow)
    next_attempt_at = db.Column(db.DateTime, nullable=False, default=clock.naive_utcnow)
    sent_at = db.Column(db.DateTime)
    last_error = db.Column(db.Text, nullable=False, default="")
