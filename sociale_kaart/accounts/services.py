"""Account use cases: registration, login, password reset, profile, roles (issue #3)."""

import hashlib
import secrets
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any, NamedTuple, cast

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import CursorResult, and_, delete, func, or_, select, update
from sqlalchemy.exc import DBAPIError

from .. import clock, transactions
from ..errors import NotFound, PermissionDenied, ValidationError
from ..extensions import db
from ..notify import services as notify
from ..notify.models import STATUSES as OUTBOX_STATUSES
from ..notify.models import OutboxMessage
from ..notify.services import Draft, external_url, queue_deferred, queue_message
from . import events, permissions, tokens
from .models import ROLES, STAFF_ROLES, LoginSession, Membership, User, UserRole, new_session_token
from .passwords import check_password_policy, hash_password, verify_password

# Roles people may choose themselves; broker and admin are given by an admin.
SELF_SERVICE_ROLES = ("resident", "volunteer", "editor")
LANGUAGES = ("nl", "en")
USERS_PER_PAGE = 50


_naive = clock.naive_utc


def normalize_email(email: str | None) -> str:
    """Return an e-mail address as stored: trimmed and lower-case."""
    return (email or "").strip().lower()


def find_user_by_email(email: str | None) -> User | None:
    """Return the user with this e-mail address (any case), or None."""
    return db.session.scalars(select(User).where(User.email == normalize_email(email))).first()


def language_code(language: object) -> str:
    """Return a language this site speaks: the code given, or Dutch for anything else."""
    return language if isinstance(language, str) and language in LANGUAGES else "nl"


def _check_password(password, email, name, field="password"):
    problems = check_password_policy(password, email, name)
    if problems:
        raise ValidationError(field, " ".join(problems))


def _set_password(user, password, now):
    user.password_hash = hash_password(password)
    user.password_changed_at = now
    user.session_token = new_session_token()


@lru_cache(maxsize=1)
def _dummy_hash():
    """Return a hash to verify against when an account is unknown, so both take as long."""
    return hash_password(secrets.token_urlsafe(16))


# --- registration and confirmation ---------------------------------------------------------


def _queue_confirmation(user):
    token = tokens.make_token("confirm-email", {"u": user.uuid, "e": user.email})
    queue_message(
        user.email,
        "confirm_email",
        language=user.language,
        name=user.name,
        confirm_url=external_url("accounts.confirm", token=token),
        hours=current_app.config["CONFIRM_TOKEN_MAX_AGE"] // 3600,
    )


def register_user(
    email: str, name: str, password: str, language: str = "nl", role: str = "resident", now: datetime | None = None
) -> User | None:
    """Create an account and queue the confirmation e-mail.

    An address that already has an account gets an e-mail instead, and the caller shows the
    same page either way, so nobody can find out which addresses have an account. Returns the
    new user, or None when the address was taken.
    """
    email = normalize_email(email)
    name = (name or "").strip()
    if role not in SELF_SERVICE_ROLES:
        raise ValidationError("role", _("Kies wat u wilt doen."))
    _check_password(password, email, name)
    password_hash = hash_password(password)  # also for a taken address: same time either way
    existing = find_user_by_email(email)
    if existing is not None:
        queue_message(
            existing.email,
            "register_existing",
            language=existing.language,
            name=existing.name,
            login_url=external_url("accounts.login"),
            reset_url=external_url("accounts.forgot_password"),
        )
        transactions.commit()
        return None
    now = _naive(now)
    user = User(
        email=email,
        name=name,
        password_hash=password_hash,
        language=language_code(language),
        password_changed_at=now,
        created_at=now,
    )
    user.role_rows = [UserRole(role=role)]
    db.session.add(user)
    db.session.flush()
    _queue_confirmation(user)
    transactions.commit()
    return user


def confirm_email(token: str, now: datetime | None = None) -> User | None:
    """Mark the address in a confirmation link as confirmed; return the user, or None when the link is invalid."""
    payload = tokens.read_token("confirm-email", token, current_app.config["CONFIRM_TOKEN_MAX_AGE"], now=now)
    if payload is None:
        return None
    user = db.session.scalars(select(User).where(User.uuid == payload.get("u"))).first()
    if user is None or not user.is_active or user.email != payload.get("e"):
        return None
    if user.email_confirmed_at is None:
        user.email_confirmed_at = _naive(now)
        transactions.commit()
    return user


def resend_confirmation(email: str) -> None:
    """Queue a new confirmation e-mail when the address has an unconfirmed, active account."""
    user = find_user_by_email(email)
    if user is not None and user.is_active and not user.email_confirmed and user.password_hash:
        _queue_confirmation(user)
        transactions.commit()


# --- logging in ----------------------------------------------------------------------------


def authenticate(email: str, password: str, now: datetime | None = None) -> User | None:
    """Return the active user with this address and password, else None (the same for every reason)."""
    user = find_user_by_email(email)
    if user is None or not user.password_hash:
        verify_password(_dummy_hash(), password or "")
        return None
    if not verify_password(user.password_hash, password or "") or not user.is_active:
        return None
    user.last_login_at = _naive(now)
    transactions.commit()
    return user


def logout_everywhere(by: User) -> None:
    """End every login session (and so every remember-me cookie) of the acting user."""
    permissions.require_login(by)
    by.session_token = new_session_token()
    _end_sessions(by)
    transactions.commit()


# --- login sessions (issue #12) ------------------------------------------------------------
# One row per logged-in browser. The cookies carry a random token, the table its SHA-256 only.
# Logging out deletes the row, so a copied session or remember-me cookie stops working; staff
# (brokers and admins, who see residents' data and manage accounts) are also logged out after
# STAFF_IDLE_MINUTES without a request and STAFF_SESSION_HOURS after logging in; anyone else
# after REMEMBER_COOKIE_DURATION. Editors count as others: they keep public listings, and a
# broker reviews every change they make.

# last_seen_at is written at most this often, not on every request.
SEEN_EVERY = timedelta(minutes=1)


class SessionCheck(NamedTuple):
    """The user of a login session token (or None), and why the session just ended: "idle", "lifetime" or None."""

    user: User | None
    expired: str | None = None


def _token_hash(token):
    return hashlib.sha256(token.encode()).hexdigest()


def session_lifetime(user: User) -> timedelta:
    """Return the longest a login session of this user lasts: short for staff."""
    if user.is_staff:
        return timedelta(hours=current_app.config["STAFF_SESSION_HOURS"])
    return timedelta(seconds=current_app.config["REMEMBER_COOKIE_DURATION"])


def _staff_session():
    return LoginSession.user_id.in_(select(UserRole.user_id).where(UserRole.role.in_(STAFF_ROLES)))


def _past_lifetime(now):
    """SQL: the session is older than its user's lifetime (the rule of session_lifetime)."""
    staff = _staff_session()
    return or_(
        and_(staff, LoginSession.created_at < now - timedelta(hours=current_app.config["STAFF_SESSION_HOURS"])),
        and_(~staff, LoginSession.created_at < now - timedelta(seconds=current_app.config["REMEMBER_COOKIE_DURATION"])),
    )


def _idle_too_long(now):
    """SQL: a staff session without a request for longer than STAFF_IDLE_MINUTES."""
    idle = timedelta(minutes=current_app.config["STAFF_IDLE_MINUTES"])
    return and_(_staff_session(), LoginSession.last_seen_at < now - idle)


def _end_sessions(user):
    db.session.execute(delete(LoginSession).where(LoginSession.user_id == user.id))


def start_session(user: User, now: datetime | None = None, language: str | None = None) -> str:
    """Start a login session for a user who has just logged in; return its token for the cookies.

    `language`: the one they chose on this browser just before; it becomes their account's (e-mails follow)."""
    now = _naive(now)
    if language in LANGUAGES:
        user.language = language
    token = secrets.token_urlsafe(32)
    db.session.add(LoginSession(token_hash=_token_hash(token), user_id=user.id, created_at=now, last_seen_at=now))
    transactions.commit()
    user.login_token = token
    return token


def load_session(token: object, now: datetime | None = None) -> SessionCheck:
    """Return the active user of a login session token; a session that has timed out ends here.

    Its own small writes (last seen, ending a timed-out session) go over a separate connection,
    so they never commit or expire anything of the request's session.
    """
    if not isinstance(token, str) or not token:
        return SessionCheck(None)
    now = _naive(now)
    row = db.session.execute(
        select(
            LoginSession.id,
            LoginSession.last_seen_at,
            User,
            _past_lifetime(now).label("old"),
            _idle_too_long(now).label("idle"),
        )
        .join(User, User.id == LoginSession.user_id)
        .where(LoginSession.token_hash == _token_hash(token))
    ).first()
    if row is None or not row.User.is_active:
        return SessionCheck(None)
    if row.old or row.idle:
        _write_aside(delete(LoginSession).where(LoginSession.id == row.id))
        return SessionCheck(None, "idle" if row.idle else "lifetime")
    if now - row.last_seen_at >= SEEN_EVERY:
        _write_aside(update(LoginSession).where(LoginSession.id == row.id).values(last_seen_at=now))
    row.User.login_token = token
    return SessionCheck(row.User)


def _write_aside(statement):
    """Run a bookkeeping write in its own transaction; when the database is busy, the next request does it."""
    try:
        with db.engine.begin() as connection:
            connection.execute(statement)
    except DBAPIError as error:
        # e.g. SQLite's writer lock held by this very request (matching's BEGIN IMMEDIATE), or a
        # read-only database (maintenance, a standby): reading pages must go on. A timed-out
        # session stays refused by the check above, and prune-sessions deletes it later.
        current_app.logger.warning(
            "login session bookkeeping skipped: the database took no write (%s)",
            type(getattr(error, "orig", error)).__name__,
        )


def end_session(token: object) -> None:
    """End one login session (logging out on this browser); other browsers stay logged in."""
    if isinstance(token, str) and token:
        db.session.execute(delete(LoginSession).where(LoginSession.token_hash == _token_hash(token)))
        transactions.commit()


def prune_sessions(now: datetime | None = None) -> int:
    """Delete login sessions that have timed out or belong to deactivated accounts; return how many."""
    now = _naive(now)
    inactive = LoginSession.user_id.in_(select(User.id).where(User.active.is_(False)))
    result = db.session.execute(
        delete(LoginSession)
        .where(or_(_past_lifetime(now), _idle_too_long(now), inactive))
        .execution_options(synchronize_session=False)
    )
    transactions.commit()
    return cast(CursorResult[Any], result).rowcount


# --- password reset and invitations --------------------------------------------------------

# The outbox job of a reset request; the sender turns it into the e-mail (password_reset_draft).
RESET_REQUEST = "password_reset_request"


def request_password_reset(email: str) -> None:
    """Queue a reset request for an address, known or not: the same work either way (issue #12).

    Whether the address has an account is decided later, by the sender (password_reset_draft),
    so the time this takes tells nobody which addresses have an account.
    """
    queue_deferred(normalize_email(email), RESET_REQUEST)
    transactions.commit()


def password_reset_draft(email: str) -> Draft | None:
    """Return the reset e-mail for a queued request, or None when the address has no active account."""
    user = find_user_by_email(email)
    if user is None or not user.is_active:
        return None
    token = tokens.make_token("reset-password", {"u": user.uuid, "f": tokens.fingerprint(user)})
    return Draft(
        user.email,
        "reset_password",
        user.language,
        {
            "name": user.name,
            "reset_url": external_url("accounts.reset_password", token=token),
            "minutes": current_app.config["RESET_TOKEN_MAX_AGE"] // 60,
        },
    )


def _user_for_password_token(purpose, token, max_age, now):
    payload = tokens.read_token(purpose, token, max_age, now=now)
    if payload is None:
        return None
    user = db.session.scalars(select(User).where(User.uuid == payload.get("u"))).first()
    if user is None or not user.is_active or payload.get("f") != tokens.fingerprint(user):
        return None
    return user


def user_for_reset_token(token: str, now: datetime | None = None) -> User | None:
    """Return the user a password reset link is for, or None when it is invalid, used or expired."""
    return _user_for_password_token("reset-password", token, current_app.config["RESET_TOKEN_MAX_AGE"], now)


def user_for_invitation_token(token: str, now: datetime | None = None) -> User | None:
    """Return the invited user a welcome link is for, or None when it is invalid, used or expired."""
    return _user_for_password_token("set-password", token, current_app.config["CONFIRM_TOKEN_MAX_AGE"], now)


def _complete_password_link(user, password, now):
    if user is None:
        raise ValidationError(None, _("Deze link is verlopen of al gebruikt. Vraag een nieuwe link aan."))
    _check_password(password, user.email, user.name)
    now = _naive(now)
    _set_password(user, password, now)
    _end_sessions(user)
    if user.email_confirmed_at is None:
        user.email_confirmed_at = now  # the link reached this address
    transactions.commit()
    return user


def reset_password(token: str, password: str, now: datetime | None = None) -> User:
    """Set a new password through a reset link (works once, expires); return the user."""
    return _complete_password_link(user_for_reset_token(token, now), password, now)


def accept_invitation(token: str, password: str, now: datetime | None = None) -> User:
    """Set the first password of an invited user through the welcome link; return the user."""
    return _complete_password_link(user_for_invitation_token(token, now), password, now)


# --- profile -------------------------------------------------------------------------------


def update_profile(user: User, name: str, language: str, by: User) -> User:
    """Change a user's name and language (only their own)."""
    permissions.require_login(by)
    if by.id != user.id:
        raise PermissionDenied("only your own profile")
    user.name = (name or "").strip()
    user.language = language_code(language)
    transactions.commit()
    return user


def change_language(user: User, language: str, by: User) -> User:
    """Change a user's language (only their own): the site's and their e-mails'."""
    permissions.require_login(by)
    if by.id != user.id:
        raise PermissionDenied("only your own language")
    if user.language != language_code(language):
        user.language = language_code(language)
        transactions.commit()
    return user


def change_password(
    user: User, current_password: str, new_password: str, by: User, now: datetime | None = None
) -> User:
    """Change a user's own password; ends all their login sessions (the page starts a new one for itself)."""
    permissions.require_login(by)
    if by.id != user.id:
        raise PermissionDenied("only your own password")
    if not verify_password(user.password_hash, current_password or ""):
        raise ValidationError("current_password", _("Uw huidige wachtwoord klopt niet."))
    _check_password(new_password, user.email, user.name, field="new_password")
    _set_password(user, new_password, _naive(now))
    _end_sessions(user)
    queue_message(
        user.email,
        "password_changed",
        language=user.language,
        name=user.name,
        reset_url=external_url("accounts.forgot_password"),
    )
    transactions.commit()
    return user


def request_email_change(user: User, new_email: str, current_password: str, by: User) -> None:
    """Send a confirmation link to a new address; the address changes when it is followed."""
    permissions.require_login(by)
    if by.id != user.id:
        raise PermissionDenied("only your own address")
    if not verify_password(user.password_hash, current_password or ""):
        raise ValidationError("current_password", _("Uw huidige wachtwoord klopt niet."))
    new_email = normalize_email(new_email)
    if new_email == user.email:
        raise ValidationError("email", _("Dit is al uw e-mailadres."))
    owner = find_user_by_email(new_email)
    if owner is not None:
        # Tell the owner, not the requester, so this does not reveal which addresses exist.
        queue_message(
            owner.email,
            "email_taken",
            language=owner.language,
            name=owner.name,
            reset_url=external_url("accounts.forgot_password"),
        )
    else:
        token = tokens.make_token("change-email", {"u": user.uuid, "o": user.email, "e": new_email})
        queue_message(
            new_email,
            "change_email",
            language=user.language,
            name=user.name,
            confirm_url=external_url("accounts.confirm_email_change", token=token),
            hours=current_app.config["CONFIRM_TOKEN_MAX_AGE"] // 3600,
        )
    transactions.commit()


def confirm_email_change(token: str, now: datetime | None = None) -> User | None:
    """Switch to the new address in a change link (works once); return the user or None."""
    payload = tokens.read_token("change-email", token, current_app.config["CONFIRM_TOKEN_MAX_AGE"], now=now)
    if payload is None:
        return None
    user = db.session.scalars(select(User).where(User.uuid == payload.get("u"))).first()
    if user is None or not user.is_active or user.email != payload.get("o"):
        return None
    new_email = payload.get("e")
    if find_user_by_email(new_email) is not None:
        return None
    old_email = user.email
    user.email = new_email
    user.email_confirmed_at = _naive(now)
    queue_message(old_email, "email_changed", language=user.language, name=user.name, new_email=new_email)
    transactions.commit()
    return user


# --- administration ------------------------------------------------------------------------


def organization_class() -> type[Any]:
    return Membership.organization.property.mapper.class_


def area_class() -> type[Any]:
    return User.areas.property.mapper.class_


def organization_choices(by: User, keep: Iterable[int] = ()) -> list[tuple[int, str]]:
    """Return (id, name) of the organisations an admin may give members, for the admin forms.

    An admin of one municipality gets those of it (events.admin_organizations, issue #20) and those in
    `keep` (the account's own memberships, which the form shows as they are).
    """
    permissions.require_admin(by)
    organization = organization_class()
    statement = select(organization).where(*_organizations_of(by, keep)).order_by(organization.name)
    return [(row.id, row.name) for row in db.session.scalars(statement)]


def _organizations_of(by: User, keep: Iterable[int]) -> list:
    """Return the WHERE clauses on Organization of organization_choices (none: every organisation).

    Only an admin's choice is limited; the demo's seed gives accounts their own organisations.
    """
    clauses = events.admin_organization_clauses(by) if by.has_role("admin") else []
    return [or_(and_(*clauses), organization_class().id.in_(list(keep)))] if clauses else []


def area_choices(by: User, keep: Iterable[int] = ()) -> list[tuple[int, str]]:
    """Return (id, name) of the areas an admin may give, for the admin forms: an admin of one municipality
    gets its areas (and those in `keep`, the account's own), as apply_access allows (issue #20)."""
    permissions.require_admin(by)
    area = area_class()
    statement = select(area).order_by(area.name)
    if by.municipality_code:
        statement = statement.where(or_(area.municipality_code == by.municipality_code, area.id.in_(list(keep))))
    return [(row.id, row.name) for row in db.session.scalars(statement)]


def list_users(
    by: User, query: str = "", role: str = "", status: str = "", page: int = 1
) -> tuple[Sequence[User], int]:
    """Return (users, total) matching a search on name or address, a role and a status.

    An admin of one municipality gets only its accounts (events.admin_scope, issue #20).
    """
    permissions.require_admin(by)
    statement = select(User).where(*events.admin_scope_clauses(by))
    if query.strip():
        pattern = f"%{query.strip().lower()}%"
        statement = statement.where(or_(User.email.like(pattern), func.lower(User.name).like(pattern)))
    if role in ROLES:
        statement = statement.where(User.id.in_(select(UserRole.user_id).where(UserRole.role == role)))
    if status == "active":
        statement = statement.where(User.active.is_(True))
    elif status == "inactive":
        statement = statement.where(User.active.is_(False))
    total = db.session.scalar(select(func.count()).select_from(statement.subquery())) or 0
    page = max(1, page)
    users = db.session.scalars(
        statement.order_by(User.email).offset((page - 1) * USERS_PER_PAGE).limit(USERS_PER_PAGE)
    ).all()
    return users, total


def get_user(user_id: int, by: User) -> User:
    """Return a user for the admin pages; NotFound for one outside an admin's municipality (issue #20)."""
    permissions.require_admin(by)
    user = db.session.get(User, user_id)
    if user is None:
        raise NotFound(f"user {user_id}")
    clauses = events.admin_scope_clauses(by)
    if clauses and db.session.scalar(select(User.id).where(User.id == user.id, *clauses)) is None:
        raise NotFound(f"user {user_id}")
    return user


def _check_roles(roles):
    roles = list(dict.fromkeys(roles))
    if not roles:
        raise ValidationError("roles", _("Kies minstens één rol."))
    if any(role not in ROLES for role in roles):
        raise ValidationError("roles", _("Kies een rol uit de lijst."))
    return roles


def _rows(model_class, ids, field):
    ids = set(ids)
    rows = db.session.scalars(select(model_class).where(model_class.id.in_(ids))).all() if ids else []
    if len(rows) != len(ids):
        raise ValidationError(field, _("Kies uit de lijst."))
    return rows


def _municipality_code(code: str | None) -> str | None:
    """Return a staff member's municipality: None for the whole region; ValidationError unless it has areas."""
    if not code:
        return None
    area = area_class()
    if db.session.scalar(select(area.id).where(area.municipality_code == code).limit(1)) is None:
        raise ValidationError("municipality", _("Deze gemeente hoort niet bij deze installatie."))
    return code


def apply_access(
    user: User,
    roles: Iterable[str],
    organization_ids: Iterable[int],
    area_ids: Iterable[int],
    by: User,
    now: datetime,
    municipality_code: str | None = None,
) -> None:
    """Set roles, memberships and areas; municipality_code "" for the whole region, None: unchanged (issue #20)."""
    organizations = _rows(organization_class(), organization_ids, "organizations")
    areas = _rows(area_class(), area_ids, "areas")
    if by.municipality_code and municipality_code not in (None, by.municipality_code):
        # an admin of one municipality makes nobody regional or another's, themselves neither (issue #20)
        raise ValidationError("municipality", _("U kunt alleen uw eigen gemeente kiezen."))
    if by.municipality_code and any(
        area.municipality_code != by.municipality_code and area.id not in user.area_ids for area in areas
    ):
        # nor moves an account into another municipality by its broker areas (issue #20)
        raise ValidationError("areas", _("U kunt alleen gebieden van uw eigen gemeente kiezen."))
    member_of = {membership.organization_id for membership in user.memberships if membership.status == "active"}
    scope = _organizations_of(by, member_of)
    chosen = {organization.id for organization in organizations}
    model = organization_class()
    allowed = set(db.session.scalars(select(model.id).where(model.id.in_(chosen), *scope))) if scope else chosen
    if allowed != chosen:
        # nor makes anyone an editor of another municipality's organisation (issue #20)
        raise ValidationError("organizations", _("U kunt alleen organisaties van uw eigen gemeente kiezen."))
    if municipality_code is not None:
        user.municipality_code = _municipality_code(municipality_code)
    user.role_rows = [UserRole(role=role) for role in roles]
    wanted = {organization.id: organization for organization in organizations}
    for membership in user.memberships:
        if membership.organization_id in wanted:
            if membership.status != "active":
                membership.status, membership.decided_at, membership.decided_by_id = "active", now, by.id
            wanted.pop(membership.organization_id)
        elif membership.status == "active":
            membership.status, membership.decided_at, membership.decided_by_id = "ended", now, by.id
    for organization in wanted.values():
        user.memberships.append(
            Membership(
                organization=organization,
                status="active",
                requested_at=now,
                decided_at=now,
                decided_by_id=by.id,
            )
        )
    user.areas = areas


def invite_user(
    email: str,
    name: str,
    roles: Iterable[str],
    organization_ids: Iterable[int],
    area_ids: Iterable[int],
    by: User,
    language: str = "nl",
    now: datetime | None = None,
    municipality_code: str | None = None,
) -> User:
    """Create an account without a password and e-mail a welcome link to set one (municipality: as apply_access)."""
    permissions.require_admin(by)
    email = normalize_email(email)
    roles = _check_roles(roles)
    if find_user_by_email(email) is not None:
        raise ValidationError("email", _("Er is al een account met dit e-mailadres."))
    now = _naive(now)
    user = User(
        email=email, name=(name or "").strip(), language=language_code(language), invited_by_id=by.id, created_at=now
    )
    db.session.add(user)
    if municipality_code is None and by.municipality_code:
        municipality_code = by.municipality_code  # an admin of one municipality invites for it (issue #20)
    apply_access(user, roles, organization_ids, area_ids, by, now, municipality_code)
    db.session.flush()
    token = tokens.make_token("set-password", {"u": user.uuid, "f": tokens.fingerprint(user)})
    queue_message(
        user.email,
        "invitation",
        language=user.language,
        name=user.name,
        inviter=by.name or by.email,
        welcome_url=external_url("accounts.welcome", token=token),
        hours=current_app.config["CONFIRM_TOKEN_MAX_AGE"] // 3600,
    )
    transactions.commit()
    return user


def update_user_access(
    user_id: int,
    roles: Iterable[str],
    organization_ids: Iterable[int],
    area_ids: Iterable[int],
    by: User,
    now: datetime | None = None,
    municipality_code: str | None = None,
) -> User:
    """Set a user's roles, organisations (active memberships), broker areas and municipality (as apply_access)."""
    user = get_user(user_id, by)
    roles = _check_roles(roles)
    if user.id == by.id and "admin" not in roles:
        raise ValidationError("roles", _("U kunt uw eigen beheerdersrol niet afnemen."))
    apply_access(user, roles, organization_ids, area_ids, by, _naive(now), municipality_code)
    transactions.commit()
    return user


def set_user_active(user_id: int, active: bool, by: User) -> User:
    """Deactivate (ending all sessions) or reactivate an account."""
    user = get_user(user_id, by)
    if user.id == by.id and not active:
        raise ValidationError(None, _("U kunt uw eigen account niet uitzetten."))
    user.active = bool(active)
    if not active:
        user.session_token = new_session_token()
        _end_sessions(user)
    transactions.commit()
    return user


def create_admin(email: str, name: str, password: str, municipality_code: str | None = None) -> User:
    """Create a confirmed admin account (CLI), or give an existing account the admin role.

    municipality_code: the municipality of a region the admin works for; "": the whole region; None: unchanged
    (a new admin works for the whole region).
    """
    email = normalize_email(email)
    code = _municipality_code(municipality_code)
    user = find_user_by_email(email)
    if user is None:
        _check_password(password, email, name)
        now = clock.naive_utcnow()
        user = User(email=email, name=name.strip(), email_confirmed_at=now)
        _set_password(user, password, now)
        db.session.add(user)
    if "admin" not in user.roles:
        user.role_rows.append(UserRole(role="admin"))
    if municipality_code is not None:
        user.municipality_code = code
    transactions.commit()
    return user


# --- e-mail outbox (admin) -----------------------------------------------------------------


def may_see_outbox(user: object) -> bool:
    """Return True for an admin of the whole installation: the outbox holds the e-mail of every municipality,
    so an admin of one municipality (events.admin_scope, issue #20) does not see it."""
    if not permissions.is_authenticated(user):
        return False
    assert isinstance(user, User)
    return user.has_role("admin") and not events.admin_scope_clauses(user)


def _require_outbox(by: User) -> None:
    permissions.require_admin(by)
    if not may_see_outbox(by):
        raise PermissionDenied("the outbox is for the admins of the whole region")


def list_outbox(by: User, status: str = "") -> tuple[Sequence[OutboxMessage], dict[str, int]]:
    """Return (messages, counts per status) for the outbox page: failed and queued, or one status."""
    _require_outbox(by)
    statuses = [status] if status in OUTBOX_STATUSES else ["failed", "queued"]
    return notify.outbox_messages(statuses)


def retry_outbox_message(message_id: int, by: User, now: datetime | None = None) -> OutboxMessage:
    """Queue a failed or waiting e-mail again; the next `flask notify send` delivers it."""
    _require_outbox(by)
    message = notify.requeue(message_id, now=now)
    transactions.commit()
    return message
