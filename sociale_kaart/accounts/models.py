"""Accounts: users, their roles, organisation memberships and broker areas."""

import secrets
import uuid

from flask_login import UserMixin

from .. import clock
from ..extensions import Model, db, one_of

# "policy": a beleidsmedewerker, who reads the area analysis's aggregated figures only (issue #15)
ROLES = ("resident", "volunteer", "editor", "broker", "admin", "policy")
STAFF_ROLES = ("broker", "admin")


def _uuid():
    return str(uuid.uuid4())


def new_session_token():
    """Return a fresh random token; rotating it logs the user out everywhere."""
    return secrets.token_urlsafe(32)


broker_areas = db.Table(
    "broker_areas",
    db.Column("user_id", db.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    db.Column("area_id", db.ForeignKey("areas.id", ondelete="CASCADE"), primary_key=True),
)


class User(UserMixin, Model):
    """A person with an account. The e-mail address is stored lower-case."""

    __tablename__ = "users"
    id = db.Column(db.Integer, primary_key=True)
    uuid = db.Column(db.String(36), nullable=False, unique=True, default=_uuid)
    email = db.Column(db.String(254), nullable=False, unique=True)
    name = db.Column(db.String(120), nullable=False, default="")
    password_hash = db.Column(db.String(255))  # None: invited, no password set yet
    language = db.Column(db.String(2), nullable=False, default="nl")
    email_confirmed_at = db.Column(db.DateTime)
    active = db.Column(db.Boolean, nullable=False, default=True)
    # Rotated when the password is set, on "log out everywhere" and on deactivation; part of the
    # fingerprint that makes reset and welcome links work once. The cookies carry a LoginSession's
    # token instead (issue #12).
    session_token = db.Column(db.String(64), nullable=False, unique=True, default=new_session_token)
    created_at = db.Column(db.DateTime, nullable=False, default=clock.naive_utcnow)
    last_login_at = db.Column(db.DateTime)
    password_changed_at = db.Column(db.DateTime)
    invited_by_id = db.Column(db.ForeignKey("users.id"))
    # The municipality a broker, policy officer or admin works for (issue #20), by CBS code; None: the
    # whole region (a regional admin or policy officer), and for everyone in a one-municipality installation.
    municipality_code = db.Column(db.String(8), index=True)

    role_rows = db.relationship("UserRole", cascade="all, delete-orphan", lazy="selectin")
    memberships = db.relationship(
        "Membership",
        back_populates="user",
        cascade="all, delete-orphan",
        foreign_keys="Membership.user_id",
        lazy="selectin",
    )
    areas = db.relationship("Area", secondary=broker_areas, order_by="Area.name", lazy="selectin")

    # The token of the login session this user was loaded or logged in with (not a column);
    # Flask-Login keeps it in the session and remember-me cookies. `__allow_unmapped__`: SQLAlchemy
    # leaves this annotated plain attribute alone (it would take a non-Mapped[] annotation for a column).
    __allow_unmapped__ = True
    login_token: str | None = None

    def get_id(self):
        return self.login_token

    # UserMixin compares users by get_id(); the login token is per browser, so compare rows.
    __hash__ = object.__hash__

    def __eq__(self, other):
        if isinstance(other, User):
            return self is other or (self.id is not None and self.id == other.id)
        return NotImplemented

    def __ne__(self, other):
        equal = self.__eq__(other)
        return equal if equal is NotImplemented else not equal

    @property
    def is_active(self):
        return bool(self.active)

    @property
    def roles(self):
        """Return the set of role names."""
        return {row.role for row in self.role_rows}

    def has_role(self, *roles):
        """Return True when the user has any of the roles."""
        return bool(self.roles & set(roles))

    @property
    def is_admin(self):
        return "admin" in self.roles

    @property
    def is_broker(self):
        return "broker" in self.roles

    @property
    def is_staff(self):
        """Return True for brokers and admins."""
        return self.has_role(*STAFF_ROLES)

    @property
    def email_confirmed(self):
        return self.email_confirmed_at is not None

    @property
    def organization_ids(self):
        """Return the ids of organisations this user may edit (active memberships)."""
        return {m.organization_id for m in self.memberships if m.status == "active"}

    @property
    def area_ids(self):
        return {area.id for area in self.areas}


class UserRole(Model):
    """One role of a user."""

    __tablename__ = "user_roles"
    __table_args__ = (db.CheckConstraint(one_of("role", ROLES), name="role"),)
    user_id = db.Column(db.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    role = db.Column(db.String(16), primary_key=True)


class Membership(Model):
    """A user's membership of an organisation: requested by the user, approved by staff."""

    __tablename__ = "memberships"
    __table_args__ = (
        db.UniqueConstraint("user_id", "organization_id", name="uq_memberships_user_organization"),
        db.CheckConstraint("status IN ('requested', 'active', 'refused', 'ended')", name="status"),
    )
    id = db.Column(db.Integer, primary_key=True)
    user_id = db.Column(db.ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True)
    organization_id = db.Column(db.ForeignKey("organizations.id", ondelete="CASCADE"), nullable=False, index=True)
    status = db.Column(db.String(16), nullable=False, default="requested")
    message = db.Column(db.Text, nullable=False, default="")  # why the user asks to join
    requested_at = db.Column(db.DateTime, nullable=False, default=clock.naive_utcnow)
    decided_at = db.Column(db.DateTime)
    decided_by_id = db.Column(db.ForeignKey("users.id"))
    decision_note = db.Column(db.Text, nullable=False, default="")

    user = db.relationship("User", back_populates="memberships", foreign_keys=[user_id])
    decided_by = db.relationship("User", foreign_keys=[decided_by_id])
    organization = db.relationship("Organization")


class LoginSession(Model):
    """One logged-in browser (issue #12): logging out deletes the row, so a copied cookie stops working.

    Only the SHA-256 of the cookie's token is stored, and no IP address or browser.
    """

    __tablename__ = "login_sessions"
    id = db.Column(db.Integer, primary_key=True)
    token_hash = db.Column(db.String(64), nullable=False, unique=True)
    user_id = db.Column(db.ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True)
    created_at = db.Column(db.DateTime, nullable=False, default=clock.naive_utcnow)
    last_seen_at = db.Column(db.DateTime, nullable=False, default=clock.naive_utcnow)  # written at most once a minute
