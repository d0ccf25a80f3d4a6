"""Matching (issue #4): help requests, their dates, volunteer profiles, matches and bookings.

Personal data of requesters (names, street, phone, e-mail, the broker's description) lives
only on HelpRequest; volunteers see it only after broker approval and their own acceptance,
and every view of it by staff or volunteers is a PersonalDataView row.

No double booking is guaranteed by the database (issue #4, item 6):
- `bookings` has a partial unique index: at most one active booking per occurrence;
- a volunteer's active bookings may not overlap in time: an exclusion constraint on
  PostgreSQL (btree_gist), triggers on SQLite (see the migration 0004_matching).
"""

import secrets
import uuid
from datetime import timedelta

from .. import clock
from ..extensions import Model, db, one_of

JSON = db.JSON

# Status flow of a help request: ingediend → beoordeeld (open) → voorgesteld → gekoppeld →
# afgerond, or geannuleerd / verlopen / afgewezen.
REQUEST_STATUSES = ("submitted", "open", "proposed", "matched", "done", "cancelled", "expired", "rejected")
CLOSED_REQUEST_STATUSES = ("done", "cancelled", "expired", "rejected")
# Waiting for review or for a volunteer (no one accepted yet).
WAITING_REQUEST_STATUSES = ("submitted", "open", "proposed")

# A match links one volunteer to one request (all its dates, or the dates the volunteer covers).
# suggested: proposed by "stel koppelingen voor" or picked by the broker, not yet approved;
# interested: the volunteer said "Ik wil helpen"; approved: the broker approved and the dates
# are booked, waiting for the volunteer; accepted: the volunteer accepted (address visible);
# declined / withdrawn / rejected / cancelled end it; done and no_show after the date.
MATCH_STATUSES = (
    "suggested",
    "interested",
    "approved",
    "accepted",
    "declined",
    "withdrawn",
    "rejected",
    "cancelled",
    "done",
    "no_show",
)
PENDING_MATCH_STATUSES = ("suggested", "interested")
HOLDING_MATCH_STATUSES = ("approved", "accepted")

OCCURRENCE_STATUSES = ("open", "booked", "cancelled", "done")
SCHEDULE_KINDS = ("once", "series")
URGENCIES = ("high", "normal", "low")
RELATIONS = ("self", "carer", "other")
TRAVEL_MODES = ("walk", "bike", "car")
VOLUNTEER_STATUSES = ("pending", "active", "stopped")
FEEDBACK_ROLES = ("requester", "volunteer", "broker")
CANCELLERS = ("requester", "volunteer", "broker", "system")


def _uuid():
    return str(uuid.uuid4())


def new_token():
    """Return a random token for a link that gives access without an account."""
    return secrets.token_urlsafe(24)


class HelpRequest(Model):
    """A hulpvraag: who asks, for whom, what, where and when. Holds the requester's personal data."""

    __tablename__ = "help_requests"
    __table_args__ = (
        db.CheckConstraint(one_of("status", REQUEST_STATUSES), name="status"),
        db.CheckConstraint(one_of("schedule_kind", SCHEDULE_KINDS), name="schedule_kind"),
        db.CheckConstraint(one_of("urgency", URGENCIES), name="urgency"),
        db.CheckConstraint(one_of("relation", RELATIONS), name="relation"),
        db.CheckConstraint("duration_minutes > 0", name="duration"),
        db.CheckConstraint("weeks >= 1 AND weeks <= 52", name="weeks"),
    )
    id = db.Column(db.Integer, primary_key=True)
    uuid = db.Column(db.String(36), nullable=False, unique=True, default=_uuid)
    status = db.Column(db.String(16), nullable=False, default="submitted", index=True)
    task_type = db.Column(db.String(32), nullable=False)
    urgency = db.Column(db.String(8), nullable=False, default="normal")

    # The contact person (who asks) and, separately, the person who receives help.
    relation = db.Column(db.String(8), nullable=False, default="self")
    contact_name = db.Column(db.String(120), nullable=False, default="")
    contact_email = db.Column(db.String(254), nullable=False, default="")
    contact_phone = db.Column(db.String(32), nullable=False, default="")
    recipient_name = db.Column(db.String(120), nullable=False, default="")  # full name, private
    recipient_first_name = db.Column(db.String(60), nullable=False, default="")  # shown to volunteers
    requester_id = db.Column(db.ForeignKey("users.id", ondelete="SET NULL"), index=True)
    entered_by_id = db.Column(db.ForeignKey("users.id", ondelete="SET NULL"))  # a broker, for a phone call
    language = db.Column(db.String(2), nullable=False, default="nl")  # language of the e-mails

    description = db.Column(db.Text, nullable=False, default="")  # for the broker only (may hold health data)
    summary = db.Column(db.Text, nullable=False, default="")  # need-to-know, for the volunteer

    # Address: private. Postcode digits (PC4) and village: public.
    street = db.Column(db.String(120), nullable=False, default="")
    house_number = db.Column(db.String(16), nullable=False, default="")
    postcode = db.Column(db.String(7), nullable=False, default="")  # "3941 AB", private
    pc4 = db.Column(db.String(4), nullable=False, default="")
    place_name = db.Column(db.String(120), nullable=False, default="")
    area_id = db.Column(db.ForeignKey("areas.id", ondelete="SET NULL"), index=True)
    lat = db.Column(db.Float)
    lon = db.Column(db.Float)
    max_km = db.Column(db.Float)  # the requester's own travel limit, optional

    # When: one date with a time window and duration, or a weekly series. A one-off request may
    # name a period instead of a date ("geen haast", issue #14): any one day of period_weeks x 7
    # days from first_date, in the window; its one date stands on the period's last day until a
    # volunteer is booked for the day that suits them (booking.py).
    schedule_kind = db.Column(db.String(8), nullable=False, default="once")
    first_date = db.Column(db.Date, nullable=False)  # local date (Europe/Amsterdam)
    window_start = db.Column(db.Time, nullable=False)  # local time
    window_end = db.Column(db.Time, nullable=False)
    duration_minutes = db.Column(db.Integer, nullable=False)
    weeks = db.Column(db.Integer, nullable=False, default=1)  # number of weekly dates of a series
    period_weeks = db.Column(db.Integer)  # None: a fixed date; 1-4: any day in that many weeks

    preferred_language = db.Column(db.String(2), nullable=False, default="nl")
    language_required = db.Column(db.Boolean, nullable=False, default=False)
    skills_wanted = db.Column(JSON, nullable=False, default=list)
    same_volunteer = db.Column(db.Boolean, nullable=False, default=False)  # "same volunteer as last time"

    access_token = db.Column(db.String(64), nullable=False, unique=True, default=new_token)
    created_at = db.Column(db.DateTime, nullable=False, default=clock.naive_utcnow)
    confirmed_at = db.Column(db.DateTime)  # e-mail confirmed, or entered by a broker / by phone
    reviewed_at = db.Column(db.DateTime)
    reviewed_by_id = db.Column(db.ForeignKey("users.id", ondelete="SET NULL"))
    rejection_reason = db.Column(db.Text, nullable=False, default="")
    closed_at = db.Column(db.DateTime, index=True)
    anonymised_at = db.Column(db.DateTime)
    updated_at = db.Column(db.DateTime, nullable=False, default=clock.naive_utcnow, onupdate=clock.naive_utcnow)

    requester = db.relationship("User", foreign_keys=[requester_id])
    entered_by = db.relationship("User", foreign_keys=[entered_by_id])
    reviewed_by = db.relationship("User", foreign_keys=[reviewed_by_id])
    area = db.relationship("Area")
    occurrences = db.relationship(
        "Occurrence", back_populates="request", order_by="Occurrence.starts_at", cascade="all, delete-orphan"
    )
    matches = db.relationship("Match", back_populates="request", cascade="all, delete-orphan")
    events = db.relationship(
        "RequestEvent", back_populates="request", order_by="RequestEvent.id", cascade="all, delete-orphan"
    )

    @property
    def is_period(self):
        """Return True when the request names a period ("geen haast") instead of a date."""
        return bool(self.period_weeks)

    @property
    def period_last_day(self):
        """Return the last local date of a period request, or None."""
        return self.first_date + timedelta(days=self.period_weeks * 7 - 1) if self.period_weeks else None

    @property
    def is_closed(self):
        return self.status in CLOSED_REQUEST_STATUSES

    @property
    def waiting_since(self):
        """When the request started waiting for the broker: confirmed by the requester, or else handed in."""
        return self.confirmed_at or self.created_at


class RequestEvent(Model):
    """One step of a request's life: who did what and when (status changes, edits, views are elsewhere)."""

    __tablename__ = "request_events"
    id = db.Column(db.Integer, primary_key=True)
    request_id = db.Column(db.ForeignKey("help_requests.id", ondelete="CASCADE"), nullable=False, index=True)
    action = db.Column(db.String(32), nullable=False)  # submitted, confirmed, published, status, edited, ...
    from_status = db.Column(db.String(16))
    to_status = db.Column(db.String(16))
    actor_id = db.Column(db.ForeignKey("users.id", ondelete="SET NULL"))
    actor_role = db.Column(db.String(16), nullable=False, default="system")  # requester/broker/volunteer/system
    note = db.Column(db.Text, nullable=False, default="")
    created_at = db.Column(db.DateTime, nullable=False, default=clock.naive_utcnow)

    request = db.relationship("HelpRequest", back_populates="events")
    actor = db.relationship("User")


class Occurrence(Model):
    """One date of a request: its time window in UTC (converted from Europe/Amsterdam)."""

    __tablename__ = "occurrences"
    __table_args__ = (
        db.UniqueConstraint("request_id", "sequence", name="uq_occurrences_request_sequence"),
        db.CheckConstraint(one_of("status", OCCURRENCE_STATUSES), name="status"),
        db.CheckConstraint("ends_at > starts_at", name="window"),
    )
    id = db.Column(db.Integer, primary_key=True)
    request_id = db.Column(db.ForeignKey("help_requests.id", ondelete="CASCADE"), nullable=False, index=True)
    sequence = db.Column(db.Integer, nullable=False)  # 1, 2, ... within the request
    starts_at = db.Column(db.DateTime, nullable=False, index=True)  # naive UTC
    ends_at = db.Column(db.DateTime, nullable=False)  # naive UTC
    status = db.Column(db.String(16), nullable=False, default="open")

    request = db.relationship("HelpRequest", back_populates="occurrences")


class VolunteerProfile(Model):
    """What a volunteer offers: where, how far, what, when; VOG status; approved by a broker."""

    __tablename__ = "volunteer_profiles"
    __table_args__ = (
        db.CheckConstraint(one_of("status", VOLUNTEER_STATUSES), name="status"),
        db.CheckConstraint(one_of("travel_mode", TRAVEL_MODES), name="travel_mode"),
        db.CheckConstraint("max_km > 0 AND max_km <= 100", name="max_km"),
        db.CheckConstraint("max_tasks_per_week >= 1 AND max_tasks_per_week <= 21", name="max_tasks"),
    )
    id = db.Column(db.Integer, primary_key=True)
    user_id = db.Column(db.ForeignKey("users.id", ondelete="CASCADE"), nullable=False, unique=True)
    status = db.Column(db.String(16), nullable=False, default="pending", index=True)
    first_name = db.Column(db.String(60), nullable=False, default="")
    phone = db.Column(db.String(32), nullable=False, default="")

    postcode = db.Column(db.String(7), nullable=False, default="")
    street = db.Column(db.String(120), nullable=False, default="")  # optional, private
    house_number = db.Column(db.String(16), nullable=False, default="")
    pc4 = db.Column(db.String(4), nullable=False, default="")
    place_name = db.Column(db.String(120), nullable=False, default="")
    area_id = db.Column(db.ForeignKey("areas.id", ondelete="SET NULL"), index=True)
    lat = db.Column(db.Float, nullable=False)
    lon = db.Column(db.Float, nullable=False)
    travel_mode = db.Column(db.String(8), nullable=False, default="bike")
    max_km = db.Column(db.Float, nullable=False, default=5.0)

    task_types = db.Column(JSON, nullable=False, default=list)
    skills = db.Column(JSON, nullable=False, default=list)
    languages = db.Column(JSON, nullable=False, default=lambda: ["nl"])
    # Weekly day-part grid: bit (weekday * 3 + part), weekday 0 = Monday, part 0 morning,
    # 1 afternoon, 2 evening, in local time (see matching.timeslots).
    availability = db.Column(db.Integer, nullable=False, default=0)
    max_tasks_per_week = db.Column(db.Integer, nullable=False, default=2)
    paused = db.Column(db.Boolean, nullable=False, default=False)
    paused_until = db.Column(db.Date)  # optional: the pause ends by itself after this date
    motivation = db.Column(db.Text, nullable=False, default="")  # for the broker's intake

    vog_checked_on = db.Column(db.Date)
    vog_checked_by_id = db.Column(db.ForeignKey("users.id", ondelete="SET NULL"))
    vog_valid_until = db.Column(db.Date)

    created_at = db.Column(db.DateTime, nullable=False, default=clock.naive_utcnow)
    updated_at = db.Column(db.DateTime, nullable=False, default=clock.naive_utcnow, onupdate=clock.naive_utcnow)
    approved_at = db.Column(db.DateTime)
    approved_by_id = db.Column(db.ForeignKey("users.id", ondelete="SET NULL"))
    last_task_at = db.Column(db.DateTime)  # end of the last done task, for the workload view

    user = db.relationship("User", foreign_keys=[user_id])
    approved_by = db.relationship("User", foreign_keys=[approved_by_id])
    vog_checked_by = db.relationship("User", foreign_keys=[vog_checked_by_id])
    area = db.relationship("Area")
    absences = db.relationship(
        "Absence", back_populates="volunteer", order_by="Absence.starts_on", cascade="all, delete-orphan"
    )


class Absence(Model):
    """A period in which a volunteer is not available ("niet beschikbaar van … tot …"), local dates inclusive."""

    __tablename__ = "absences"
    __table_args__ = (db.CheckConstraint("ends_on >= starts_on", name="period"),)
    id = db.Column(db.Integer, primary_key=True)
    volunteer_id = db.Column(db.ForeignKey("volunteer_profiles.id", ondelete="CASCADE"), nullable=False, index=True)
    starts_on = db.Column(db.Date, nullable=False)
    ends_on = db.Column(db.Date, nullable=False)
    note = db.Column(db.String(200), nullable=False, default="")

    volunteer = db.relationship("VolunteerProfile", back_populates="absences")


class Match(Model):
    """A volunteer for a request: suggested or asked for, approved by a broker, accepted by the volunteer."""

    __tablename__ = "matches"
    __table_args__ = (
        db.UniqueConstraint("request_id", "volunteer_id", name="uq_matches_request_volunteer"),
        db.CheckConstraint(one_of("status", MATCH_STATUSES), name="status"),
    )
    id = db.Column(db.Integer, primary_key=True)
    request_id = db.Column(db.ForeignKey("help_requests.id", ondelete="CASCADE"), nullable=False, index=True)
    volunteer_id = db.Column(db.ForeignKey("volunteer_profiles.id", ondelete="CASCADE"), nullable=False, index=True)
    status = db.Column(db.String(16), nullable=False, index=True)
    source = db.Column(db.String(16), nullable=False, default="broker")  # broker, interest, batch
    score = db.Column(db.Integer)
    explanation = db.Column(JSON, nullable=False, default=dict)  # the ranking's breakdown and reasons
    message = db.Column(db.Text, nullable=False, default="")  # the volunteer's note with "Ik wil helpen"

    created_at = db.Column(db.DateTime, nullable=False, default=clock.naive_utcnow)
    created_by_id = db.Column(db.ForeignKey("users.id", ondelete="SET NULL"))
    approved_at = db.Column(db.DateTime)
    approved_by_id = db.Column(db.ForeignKey("users.id", ondelete="SET NULL"))
    accepted_at = db.Column(db.DateTime)
    declined_at = db.Column(db.DateTime)
    cancelled_at = db.Column(db.DateTime)
    cancelled_by = db.Column(db.String(16))  # requester, volunteer, broker, system
    cancel_reason = db.Column(db.Text, nullable=False, default="")
    cancelled_late = db.Column(db.Boolean, nullable=False, default=False)  # less than 24 h before
    done_at = db.Column(db.DateTime)
    no_show_at = db.Column(db.DateTime)  # visible to brokers only
    updated_at = db.Column(db.DateTime, nullable=False, default=clock.naive_utcnow, onupdate=clock.naive_utcnow)

    request = db.relationship("HelpRequest", back_populates="matches")
    volunteer = db.relationship("VolunteerProfile")
    bookings = db.relationship("Booking", back_populates="match", order_by="Booking.starts_at")
    feedback = db.relationship("Feedback", back_populates="match", cascade="all, delete-orphan")


class Booking(Model):
    """An approved volunteer on one occurrence. Active rows may not collide (see the module docstring)."""

    __tablename__ = "bookings"
    __table_args__ = (
        db.Index(
            "uq_bookings_active_occurrence",
            "occurrence_id",
            unique=True,
            sqlite_where=db.text("active"),
            postgresql_where=db.text("active"),
        ),
        db.CheckConstraint("ends_at > starts_at", name="window"),
    )
    id = db.Column(db.Integer, primary_key=True)
    match_id = db.Column(db.ForeignKey("matches.id", ondelete="CASCADE"), nullable=False, index=True)
    occurrence_id = db.Column(db.ForeignKey("occurrences.id", ondelete="CASCADE"), nullable=False, index=True)
    volunteer_id = db.Column(db.ForeignKey("volunteer_profiles.id", ondelete="CASCADE"), nullable=False)
    starts_at = db.Column(db.DateTime, nullable=False)  # naive UTC, copied from the occurrence
    ends_at = db.Column(db.DateTime, nullable=False)
    active = db.Column(db.Boolean, nullable=False, default=True)
    created_at = db.Column(db.DateTime, nullable=False, default=clock.naive_utcnow)
    released_at = db.Column(db.DateTime)

    match = db.relationship("Match", back_populates="bookings")
    occurrence = db.relationship("Occurrence")


db.Index("ix_bookings_volunteer_active", Booking.volunteer_id, Booking.starts_at)


class Feedback(Model):
    """Short private feedback after the date: did it happen, how did it go. Never public."""

    __tablename__ = "match_feedback"
    __table_args__ = (
        db.UniqueConstraint("match_id", "author_role", name="uq_match_feedback_match_author"),
        db.CheckConstraint(one_of("author_role", FEEDBACK_ROLES), name="author_role"),
        db.CheckConstraint("rating IS NULL OR (rating >= 1 AND rating <= 3)", name="rating"),
    )
    id = db.Column(db.Integer, primary_key=True)
    match_id = db.Column(db.ForeignKey("matches.id", ondelete="CASCADE"), nullable=False, index=True)
    author_role = db.Column(db.String(16), nullable=False)
    author_id = db.Column(db.ForeignKey("users.id", ondelete="SET NULL"))
    happened = db.Column(db.Boolean, nullable=False)
    rating = db.Column(db.Integer)  # 1 niet goed, 2 redelijk, 3 goed
    comment = db.Column(db.Text, nullable=False, default="")
    created_at = db.Column(db.DateTime, nullable=False, default=clock.naive_utcnow)

    match = db.relationship("Match", back_populates="feedback")


class PersonalDataView(Model):
    """Who looked at a requester's personal data, and when (AVG access log, shown to the requester)."""

    __tablename__ = "personal_data_views"
    id = db.Column(db.Integer, primary_key=True)
    request_id = db.Column(db.ForeignKey("help_requests.id", ondelete="CASCADE"), nullable=False, index=True)
    viewer_id = db.Column(db.ForeignKey("users.id", ondelete="SET NULL"))
    viewer_name = db.Column(db.String(120), nullable=False, default="")  # kept when the account goes
    viewer_role = db.Column(db.String(16), nullable=False)  # broker, volunteer, admin
    what = db.Column(db.String(32), nullable=False)  # request, contact, address, export, ...
    created_at = db.Column(db.DateTime, nullable=False, default=clock.naive_utcnow, index=True)


class MatchNotice(Model):
    """A lifecycle e-mail that went out once (reminder, feedback question), so commands are idempotent."""

    __tablename__ = "match_notices"
    __table_args__ = (
        db.UniqueConstraint("match_id", "occurrence_id", "kind", name="uq_match_notices_match_occurrence_kind"),
    )
    id = db.Column(db.Integer, primary_key=True)
    match_id = db.Column(db.ForeignKey("matches.id", ondelete="CASCADE"), nullable=False)
    occurrence_id = db.Column(db.ForeignKey("occurrences.id", ondelete="CASCADE"), nullable=False)
    kind = db.Column(db.String(16), nullable=False)  # reminder, feedback
    created_at = db.Column(db.DateTime, nullable=False, default=clock.naive_utcnow)


class RequestDraft(Model):
    """What a resident typed so far on the help request form in steps (issue #14), until sent.

    The browser holds only a random key (in its session cookie); the row holds the answers, so
    every app server sees them. Sending deletes it; an unsent draft is deleted by the daily
    retention job REQUEST_DRAFT_HOURS after its last change.
    """

    __tablename__ = "request_drafts"
    id = db.Column(db.Integer, primary_key=True)
    key_hash = db.Column(db.String(64), nullable=False, unique=True)  # sha256 of the browser's key
    data = db.Column(JSON, nullable=False, default=dict)  # field name -> text, as typed
    created_at = db.Column(db.DateTime, nullable=False, default=clock.naive_utcnow)
    updated_at = db.Column(db.DateTime, nullable=False, default=clock.naive_utcnow, index=True)


# --- database guards against double booking (also created by the migration 0004_matching) ---------

# PostgreSQL: no two active bookings of one volunteer may overlap in time.
PG_BTREE_GIST = "CREATE EXTENSION IF NOT EXISTS btree_gist WITH SCHEMA public"
PG_NO_OVERLAP = (
    "ALTER TABLE bookings ADD CONSTRAINT ex_bookings_volunteer_overlap "
    "EXCLUDE USING gist (volunteer_id WITH =, tsrange(starts_at, ends_at) WITH &&) WHERE (active)"
)
# SQLite has no exclusion constraints; these triggers refuse the same rows.
SQLITE_NO_OVERLAP = tuple(
    f"""CREATE TRIGGER tr_bookings_no_overlap_{event}
BEFORE {"INSERT" if event == "insert" else "UPDATE OF active, starts_at, ends_at, volunteer_id"} ON bookings
WHEN NEW.active AND EXISTS (
    SELECT 1 FROM bookings AS other
    WHERE other.volunteer_id = NEW.volunteer_id AND other.active AND other.id IS NOT NEW.id
      AND other.starts_at < NEW.ends_at AND NEW.starts_at < other.ends_at)
BEGIN
    SELECT RAISE(ABORT, 'ex_bookings_volunteer_overlap: overlapping booking');
END"""
    for event in ("insert", "update")
)

db.event.listen(Booking.__table__, "before_create", db.DDL(PG_BTREE_GIST).execute_if(dialect="postgresql"))
db.event.listen(Booking.__table__, "after_create", db.DDL(PG_NO_OVERLAP).execute_if(dialect="postgresql"))
for _statement in SQLITE_NO_OVERLAP:
    db.event.listen(Booking.__table__, "after_create", db.DDL(_statement).execute_if(dialect="sqlite"))
