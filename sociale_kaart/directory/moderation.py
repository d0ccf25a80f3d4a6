"""Broker use cases: the review queue, a change's diff, approve, edit-then-approve, return, history (issue #3).

Approve and return are conditional updates (`... WHERE status = 'pending'`), so a second
click, or two brokers at once, changes nothing and writes no second history entry.
"""

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, cast

from flask_babel import gettext as _
from sqlalchemy import CursorResult, select, update
from sqlalchemy.orm import selectinload

from .. import clock, transactions
from ..accounts import permissions
from ..accounts.models import Membership, UserRole
from ..errors import NotFound, PermissionDenied, ValidationError
from ..extensions import db
from ..notify import services as notify
from . import editing, scopes, vocabularies
from .models import Area, ChangeRequest, HistoryEntry, Location, Service

MAX_COMMENT = 2000
WEEKDAYS = ("ma", "di", "wo", "do", "vr", "za", "zo")


# --- labels for values -------------------------------------------------------------------------


def display_value(name, value):
    """Return a value of a snapshot field as people read it (labels for codes, names for ids)."""
    if value in (None, "", []):
        return "–"
    if name in ("categories", "target_groups"):
        labels = dict(editing.term_choices("category" if name == "categories" else "target_group"))
        return ", ".join(str(labels.get(code, code)) for code in value)
    vocabulary = {
        "pyramid_level": vocabularies.PYRAMID_LEVELS,
        "access_route": vocabularies.ACCESS_ROUTES,
        "cost": vocabularies.COSTS,
        "modes": vocabularies.MODES,
        "languages": vocabularies.LANGUAGES,
        "accessibility": vocabularies.ACCESSIBILITY,
    }.get(name)
    if vocabulary is not None:
        codes = value if isinstance(value, list) else [value]
        return ", ".join(str(vocabularies.label(vocabulary, code)) for code in codes)
    if name in ("service_areas", "area"):
        codes = value if isinstance(value, list) else [value]
        names: dict[str, str] = dict(db.session.execute(select(Area.code, Area.name).where(Area.code.in_(codes))).all())
        return ", ".join(names.get(code, code) or "" for code in codes)
    if name == "locations":
        rows = {row.id: row for row in db.session.scalars(select(Location).where(Location.id.in_(value)))}
        return "; ".join(
            f"{rows[i].name}, {rows[i].address_1}, {rows[i].city}" if i in rows else f"#{i}" for i in value
        )
    if name == "schedules":
        days = [_("maandag"), _("dinsdag"), _("woensdag"), _("donderdag"), _("vrijdag"), _("zaterdag"), _("zondag")]
        return "; ".join(f"{days[weekday]} {opens}–{closes}" for weekday, opens, closes in value)
    return str(value)


def field_label(name):
    return str(editing.FIELD_LABELS.get(name, name))


# --- which area a listing is in ------------------------------------------------------------------


def change_area_ids(change):
    """Return the area ids of the listing a change request is about (live and proposed)."""
    try:
        target = editing.load_target(change.kind, change.target_id)
    except NotFound:
        return set()
    return editing.listing_area_ids(change.kind, target, change.data)


def require_change_moderator(change, by):
    """Raise PermissionDenied unless the user may moderate the listing the change is about."""
    scopes.require_moderator(by, change_area_ids(change))


# --- the queue ---------------------------------------------------------------------------------------


@dataclass
class QueueItem:
    """A pending change request in the broker's queue."""

    change: ChangeRequest
    title: str
    area_ids: set
    area_names: list
    changed: list  # labels of the changed fields


@dataclass
class MembershipItem:
    membership: Membership
    area_ids: set
    area_names: list


@dataclass
class Queue:
    """What waits for a broker: new listings, changed listings, join requests and reports."""

    new: list = field(default_factory=list)
    changed: list = field(default_factory=list)
    memberships: list = field(default_factory=list)
    reports: list = field(default_factory=list)
    areas: list = field(default_factory=list)  # the areas the broker may filter on

    @property
    def total(self):
        return len(self.new) + len(self.changed) + len(self.memberships) + len(self.reports)


def _area_names(area_ids, names):
    return sorted(names[i] for i in area_ids if i in names) or [_("Hele gemeente")]


def moderation_queue(by, area_id=None):
    """Return the pending changes and join requests a broker may decide, optionally of one area."""
    permissions.require_role(by, "broker")
    areas = db.session.scalars(select(Area).order_by(Area.name)).all()
    names = {area.id: area.name for area in areas}
    in_scope = scopes.scope_area_ids(by)
    queue = Queue(
        areas=[
            area
            for area in areas
            if (area.id in by.area_ids if not by.is_admin else in_scope is None or area.id in in_scope)
        ]
    )
    changes = db.session.scalars(
        select(ChangeRequest)
        .where(ChangeRequest.status == "pending")
        .options(selectinload(ChangeRequest.organization), selectinload(ChangeRequest.submitted_by))
        .order_by(ChangeRequest.submitted_at, ChangeRequest.id)
    ).all()
    for change in changes:
        area_ids = change_area_ids(change)
        if not scopes.may_moderate(by, area_ids) or (area_id is not None and area_id not in area_ids):
            continue
        item = QueueItem(
            change,
            editing.change_title(change),
            area_ids,
            _area_names(area_ids, names),
            [field_label(name) for name in editing.changed_fields(change.base, change.data, change.kind)],
        )
        (queue.new if change.action == "create" else queue.changed).append(item)
    memberships = db.session.scalars(
        select(Membership)
        .where(Membership.status == "requested")
        .options(selectinload(Membership.user), selectinload(Membership.organization))
        .order_by(Membership.requested_at, Membership.id)
    ).all()
    for membership in memberships:
        area_ids = editing.organization_area_ids(membership.organization_id)
        if not scopes.may_moderate(by, area_ids) or (area_id is not None and area_id not in area_ids):
            continue
        queue.memberships.append(MembershipItem(membership, area_ids, _area_names(area_ids, names)))
    queue.reports = _open_reports(by, area_id)
    return queue


def _open_reports(by, area_id):
    """Return the open reports (reports.OpenReport) about listings the broker moderates."""
    from . import reports

    return list(reports.open_reports(by, area_id=area_id))


@dataclass
class AreaCounts:
    """What waits in one area (area None: listings for the whole municipality)."""

    area: Area | None
    changes: int = 0
    memberships: int = 0
    reports: int = 0
    overdue: int = 0


@dataclass
class Dashboard:
    rows: list
    queue: Queue
    overdue: list  # freshness.OverdueListing rows, oldest check first


def dashboard(by, today=None):
    """Return per area the pending changes, join requests, open reports and overdue listings."""
    from . import freshness

    queue = moderation_queue(by)
    overdue = freshness.overdue_listings(by, today=today)
    rows = [AreaCounts(area) for area in queue.areas] + [AreaCounts(None)]
    by_id = {row.area.id: row for row in rows if row.area is not None}

    def count(area_ids, attribute):
        targets = [by_id[i] for i in area_ids if i in by_id] or ([rows[-1]] if not area_ids else [])
        for row in targets:
            setattr(row, attribute, getattr(row, attribute) + 1)

    for item in queue.new + queue.changed:
        count(item.area_ids, "changes")
    for item in queue.memberships:
        count(item.area_ids, "memberships")
    for report in queue.reports:
        count(report.area_ids, "reports")
    for listing in overdue:
        count(listing.area_ids, "overdue")
    return Dashboard(rows, queue, overdue)


# --- one change: the diff ---------------------------------------------------------------------------


@dataclass
class DiffRow:
    name: str
    label: str
    live: str
    proposed: str
    changed: bool
    conflict: bool  # the live value changed since the editor made the proposal


@dataclass
class ChangeView:
    change: ChangeRequest
    title: str
    target: object
    rows: list[DiffRow]
    area_names: list[str]
    history: Sequence[HistoryEntry]

    @property
    def conflicts(self):
        return [row for row in self.rows if row.conflict]


HIDDEN_FIELDS = ("lat", "lon")


def get_change(change_id, by):
    """Return a change request with a field-by-field diff against the live listing, for its brokers."""
    change = db.session.scalars(
        select(ChangeRequest)
        .where(ChangeRequest.id == change_id)
        .options(
            selectinload(ChangeRequest.organization),
            selectinload(ChangeRequest.submitted_by),
            selectinload(ChangeRequest.decided_by),
        )
    ).first()
    if change is None:
        raise NotFound(change_id)
    area_ids = change_area_ids(change)
    scopes.require_moderator(by, area_ids)
    target = editing.load_target(change.kind, change.target_id)
    # a new listing's row already holds the proposal: compare it with nothing
    live = {} if change.action == "create" else editing.snapshot(change.kind, target)
    rows = []
    for name in editing.FIELDS[change.kind]:
        if name in HIDDEN_FIELDS or name not in change.data:
            continue
        old, new = live.get(name), change.data.get(name)
        base = change.base.get(name) if change.base else None
        changed = editing.comparable(old) != editing.comparable(new)
        conflict = (
            change.action == "update"
            and change.status == "pending"
            and editing.comparable(base) != editing.comparable(old)
            and editing.comparable(base) != editing.comparable(new)
        )
        rows.append(
            DiffRow(name, field_label(name), display_value(name, old), display_value(name, new), changed, conflict)
        )
    names: dict[int, str] = dict(db.session.execute(select(Area.id, Area.name)).all())
    history = db.session.scalars(
        select(HistoryEntry)
        .where(HistoryEntry.change_request_id == change.id)
        .options(selectinload(HistoryEntry.actor))
        .order_by(HistoryEntry.at.desc(), HistoryEntry.id.desc())
    ).all()
    return ChangeView(change, editing.change_title(change), target, rows, _area_names(area_ids, names), history)


# --- deciding -----------------------------------------------------------------------------------------


def _claim(change_id, status, by, comment=""):
    """Set a pending change's decision; return False when it was already decided."""
    result = db.session.execute(
        update(ChangeRequest)
        .where(ChangeRequest.id == change_id, ChangeRequest.status == "pending")
        .values(
            status=status,
            decided_by_id=by.id,
            decided_at=clock.naive_utcnow(),
            comment=comment,
            updated_at=clock.naive_utcnow(),
        )
        .execution_options(synchronize_session=False)
    )
    return cast(CursorResult[Any], result).rowcount == 1


def _load_pending(change_id, by):
    change = db.session.get(ChangeRequest, change_id)
    if change is None:
        raise NotFound(change_id)
    require_change_moderator(change, by)
    return change


def _clean(kind, values, organization_id, keep_location_ids=()):
    if kind == "service":
        return editing.clean_service_values(values, organization_id, keep_location_ids)
    if kind == "organization":
        return editing.clean_organization_values(values)
    from .services import geocoder

    return editing.clean_location_values(values, geocoder())


def approve_change(change_id, by, edited_values=None):
    """Apply a pending proposal (optionally as the broker edited it) to the live listing and publish it.

    Returns True when this call approved it, False when it was already decided (a no-op).
    """
    change = _load_pending(change_id, by)
    if change.status != "pending":
        return False
    target = editing.load_target(change.kind, change.target_id)
    proposal = dict(change.data)
    final = proposal
    if edited_values is not None:
        keep = set(proposal.get("locations") or [])
        if change.kind == "service":
            keep |= editing.current_location_ids(target)
        final = _clean(change.kind, edited_values, change.organization_id, keep)
    if not _claim(change.id, "approved", by):
        db.session.rollback()
        return False
    db.session.refresh(change)
    live = editing.snapshot(change.kind, target)
    if change.action == "create":
        names = [name for name in editing.FIELDS[change.kind] if name in final]
    else:
        # apply what the editor changed (and what the broker edited), keep other live values
        names = [
            name
            for name in editing.FIELDS[change.kind]
            if name in final
            and (
                editing.comparable(final.get(name)) != editing.comparable(change.base.get(name))
                or editing.comparable(final.get(name)) != editing.comparable(proposal.get(name))
            )
        ]
    if edited_values is not None:
        broker_edits = editing.changed_fields(proposal, final, change.kind)
        if broker_edits:
            editing.record_history(
                change.kind, change.target_id, change.organization_id, "edited_by_broker", broker_edits, by, change
            )
    before = {} if change.action == "create" else live
    editing.apply(change.kind, target, final, names)
    if change.kind == "service" and change.action == "create":
        target.publication_status = "published"
    if change.kind == "organization" and change.action == "create":
        _activate_registrant(change, by)
    change.data = final
    editing.record_history(
        change.kind,
        change.target_id,
        change.organization_id,
        "approved",
        editing.changed_fields(before, {name: final[name] for name in names}, change.kind),
        by,
        change,
    )
    _mail_editor(change, "change_approved")
    editing.commit_edit()
    return True


def _activate_registrant(change, by):
    """Approving a registered organisation makes its registrant an editor of it."""
    membership = db.session.scalars(
        select(Membership).where(
            Membership.organization_id == change.target_id,
            Membership.user_id == change.submitted_by_id,
            Membership.status == "requested",
        )
    ).first()
    if membership is not None:
        _activate(membership, by)


def _activate(membership, by, note=""):
    membership.status, membership.decided_by_id = "active", by.id
    membership.decided_at, membership.decision_note = clock.naive_utcnow(), note
    user = membership.user
    if "editor" not in user.roles:
        user.role_rows.append(UserRole(role="editor"))


def _mail_editor(change, template):
    editor = change.submitted_by
    if editor is None or not editor.active:
        return
    notify.queue_message(
        editor.email,
        template,
        editor.language,
        recipient=editor,
        change=change,
        title=editing.change_title(change),
        url=notify.external_url("workspace.home"),
    )


def return_change(change_id, comment, by):
    """Send a proposal back to its editor with a comment; return False when already decided."""
    comment = (comment or "").strip()
    if not comment:
        raise ValidationError("comment", _("Schrijf erbij wat de redacteur moet aanpassen."))
    if len(comment) > MAX_COMMENT:
        raise ValidationError("comment", _("Typ hoogstens %(max)d tekens.", max=MAX_COMMENT))
    change = _load_pending(change_id, by)
    if change.status != "pending" or not _claim(change.id, "returned", by, comment):
        db.session.rollback()
        return False
    db.session.refresh(change)
    if change.kind == "service" and change.action == "create":
        service = db.session.get(Service, change.target_id)
        if service is not None and service.publication_status == "pending":
            service.publication_status = "draft"
    editing.record_history(
        change.kind, change.target_id, change.organization_id, "returned", {}, by, change, comment=comment
    )
    _mail_editor(change, "change_returned")
    editing.commit_edit()
    return True


# --- memberships ------------------------------------------------------------------------------------


def get_membership(membership_id, by):
    """Return a membership request for a broker of the organisation's areas."""
    membership = db.session.scalars(
        select(Membership)
        .where(Membership.id == membership_id)
        .options(selectinload(Membership.user), selectinload(Membership.organization))
    ).first()
    if membership is None:
        raise NotFound(membership_id)
    scopes.require_moderator(by, editing.organization_area_ids(membership.organization_id))
    return membership


def decide_membership(membership_id, approve, note, by):
    """Approve or refuse a request to join an organisation; the user gets an e-mail.

    Returns True when this call decided it, False when it was already decided.
    """
    note = (note or "").strip()
    if len(note) > MAX_COMMENT:
        raise ValidationError("note", _("Typ hoogstens %(max)d tekens.", max=MAX_COMMENT))
    membership = get_membership(membership_id, by)
    result = db.session.execute(
        update(Membership)
        .where(Membership.id == membership_id, Membership.status == "requested")
        .values(
            status="active" if approve else "refused",
            decided_by_id=by.id,
            decided_at=clock.naive_utcnow(),
            decision_note=note,
        )
        .execution_options(synchronize_session=False)
    )
    if cast(CursorResult[Any], result).rowcount != 1:
        db.session.rollback()
        return False
    db.session.refresh(membership)
    user = membership.user
    if approve and "editor" not in user.roles:
        user.role_rows.append(UserRole(role="editor"))
    notify.queue_message(
        user.email,
        "membership_decided",
        user.language,
        recipient=user,
        membership=membership,
        organization=membership.organization,
        approved=approve,
        note=note,
        url=notify.external_url("workspace.home"),
    )
    transactions.commit()
    return True


# --- history -----------------------------------------------------------------------------------------


@dataclass
class HistoryRow:
    entry: HistoryEntry
    at_local: object
    action_label: str
    fields: list  # [(label, old, new)]


@dataclass
class HistoryPage:
    kind: str
    target: object
    title: str
    rows: list


def may_see_history(user, kind, target):
    """Return True for brokers of the listing's area, admins and editors of its organisation."""
    organization_id = target.id if kind == "organization" else target.organization_id
    return scopes.may_moderate(user, editing.listing_area_ids(kind, target)) or editing.may_view_organization(
        user, organization_id
    )


def history(kind, target_id, by):
    """Return a listing's history, newest first, for staff and the organisation's editors."""
    if kind not in editing.FIELDS:
        raise NotFound(kind)
    target = editing.load_target(kind, target_id)
    permissions.require_login(by)
    if not may_see_history(by, kind, target):
        raise PermissionDenied(f"no access to the history of {kind} {target_id}")
    entries = db.session.scalars(
        select(HistoryEntry)
        .where(HistoryEntry.kind == kind, HistoryEntry.target_id == target_id)
        .options(selectinload(HistoryEntry.actor))
        .order_by(HistoryEntry.at.desc(), HistoryEntry.id.desc())
    ).all()
    rows = []
    for entry in entries:
        fields = [
            (field_label(name), display_value(name, old), display_value(name, new))
            for name, (old, new) in entry.changes.items()
            if name not in HIDDEN_FIELDS
        ]
        at_local = clock.to_local(entry.at)
        rows.append(HistoryRow(entry, at_local, str(editing.ACTION_LABELS.get(entry.action, entry.action)), fields))
    return HistoryPage(kind, target, target.name, rows)
