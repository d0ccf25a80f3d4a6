"""Signals (issue #15): "zorgen over iemand" reported to the village team, with its follow-up.

Personal fields (what was noticed, about whom, the reporter's contact details, the team's
notes) are read only by the brokers of the signal's area; every time one of them opens a
signal a SignalView row is written. Six months after closing those fields are erased
(`privacy.run_retention`); area, themes, dates, status and outcome stay for the aggregates
that insights reads (`services.counts`).
"""

from .. import clock
from ..extensions import Model, db, one_of

# nieuw → in behandeling → contact gelegd → afgesloten (with an outcome). Steps may be skipped,
# never taken back: a closed signal stays closed.
STATUSES = ("new", "in_progress", "contact_made", "closed")
# Not yet followed up: these are overdue after the due date.
WAITING_STATUSES = ("new", "in_progress")
OUTCOMES = ("help_arranged", "referred", "no_concern", "not_reached")
THEMES = ("loneliness", "neglect", "money", "confusion", "carer", "other")
EVENT_ACTIONS = ("received", "status", "note")

# The columns that hold personal data: erased by retention, shown only to the area's brokers.
PERSONAL_FIELDS = (
    "description",
    "subject_name",
    "subject_address",
    "reporter_name",
    "reporter_email",
    "reporter_phone",
)


class Signal(Model):
    """One report of concern about someone: what was noticed, about whom, by whom (optional)."""

    __tablename__ = "signals"
    __table_args__ = (
        db.CheckConstraint(one_of("status", STATUSES), name="status"),
        db.CheckConstraint(f"outcome IS NULL OR {one_of('outcome', OUTCOMES)}", name="outcome"),
        db.CheckConstraint("status <> 'closed' OR outcome IS NOT NULL", name="closed_outcome"),
    )
    id = db.Column(db.Integer, primary_key=True)
    status = db.Column(db.String(16), nullable=False, default="new", index=True)
    outcome = db.Column(db.String(16))
    themes = db.Column(db.JSON, nullable=False, default=list)  # codes of THEMES, at least one
    area_id = db.Column(db.ForeignKey("areas.id", ondelete="SET NULL"), index=True)  # None: every broker
    # In a region, a signal without an area may name its municipality (its brokers get it); None: the
    # municipality of the area, or the installation's own (directory.scopes.row_code, issue #20).
    municipality_code = db.Column(db.String(8))

    # Personal: for the area's brokers only, erased six months after closing.
    description = db.Column(db.Text, nullable=False, default="")  # what the reporter noticed
    subject_name = db.Column(db.String(120), nullable=False, default="")  # first name or a description
    subject_address = db.Column(db.String(200), nullable=False, default="")  # street or neighbourhood
    reporter_name = db.Column(db.String(120), nullable=False, default="")
    reporter_email = db.Column(db.String(254), nullable=False, default="")
    reporter_phone = db.Column(db.String(32), nullable=False, default="")
    reporter_id = db.Column(db.ForeignKey("users.id", ondelete="SET NULL"), index=True)  # a logged-in reporter
    language = db.Column(db.String(2), nullable=False, default="nl")  # of the reporter's e-mail

    received_at = db.Column(db.DateTime, nullable=False, default=clock.naive_utcnow, index=True)
    due_on = db.Column(db.Date, nullable=False)  # local date: 5 working days after receipt
    picked_up_at = db.Column(db.DateTime)  # first step past "new"
    followed_up_at = db.Column(db.DateTime)  # contact made or closed, whichever came first
    closed_at = db.Column(db.DateTime, index=True)
    reminded_at = db.Column(db.DateTime)  # the overdue reminder went to the brokers
    erased_at = db.Column(db.DateTime)  # the personal fields were erased
    updated_at = db.Column(db.DateTime, nullable=False, default=clock.naive_utcnow, onupdate=clock.naive_utcnow)

    area = db.relationship("Area")
    reporter = db.relationship("User")
    events = db.relationship(
        "SignalEvent", back_populates="signal", order_by="SignalEvent.id", cascade="all, delete-orphan"
    )
    views = db.relationship(
        "SignalView",
        back_populates="signal",
        order_by="[SignalView.created_at.desc(), SignalView.id.desc()]",
        cascade="all, delete-orphan",
    )

    @property
    def is_closed(self):
        return self.status == "closed"

    @property
    def is_waiting(self):
        """Return True while nobody has made contact yet (new or in behandeling)."""
        return self.status in WAITING_STATUSES

    def is_overdue(self, today):
        """Return True when it still waits for contact after its due date."""
        return self.is_waiting and today > self.due_on


class SignalEvent(Model):
    """One step in a signal's history: received, a status change (with its outcome), or a note."""

    __tablename__ = "signal_events"
    __table_args__ = (db.CheckConstraint(one_of("action", EVENT_ACTIONS), name="action"),)
    id = db.Column(db.Integer, primary_key=True)
    signal_id = db.Column(db.ForeignKey("signals.id", ondelete="CASCADE"), nullable=False, index=True)
    action = db.Column(db.String(16), nullable=False)
    from_status = db.Column(db.String(16))
    to_status = db.Column(db.String(16))
    outcome = db.Column(db.String(16))
    note = db.Column(db.Text, nullable=False, default="")  # personal: erased with the signal
    actor_id = db.Column(db.ForeignKey("users.id", ondelete="SET NULL"))
    actor_name = db.Column(db.String(120), nullable=False, default="")  # kept when the account goes
    created_at = db.Column(db.DateTime, nullable=False, default=clock.naive_utcnow)

    signal = db.relationship("Signal", back_populates="events")


class SignalView(Model):
    """Who opened a signal's personal fields, and when (the access log)."""

    __tablename__ = "signal_views"
    id = db.Column(db.Integer, primary_key=True)
    signal_id = db.Column(db.ForeignKey("signals.id", ondelete="CASCADE"), nullable=False, index=True)
    viewer_id = db.Column(db.ForeignKey("users.id", ondelete="SET NULL"))
    viewer_name = db.Column(db.String(120), nullable=False, default="")  # kept when the account goes
    viewer_role = db.Column(db.String(16), nullable=False)
    what = db.Column(db.String(16), nullable=False, default="signal")
    created_at = db.Column(db.DateTime, nullable=False, default=clock.naive_utcnow, index=True)

    signal = db.relationship("Signal", back_populates="views")
