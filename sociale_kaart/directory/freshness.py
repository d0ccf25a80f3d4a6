"""Verified freshness (issue #3): when a listing was last checked, and what follows from that.

A published listing unchecked for FRESHNESS_REMINDER_MONTHS gets a reminder to its editors,
after FRESHNESS_STALE_MONTHS the public page says "mogelijk verouderd", and after
FRESHNESS_HIDE_MONTHS it leaves search results (its page stays reachable, with a warning)
until someone marks it "gecontroleerd" again.
"""

import calendar
import functools
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from flask import current_app
from sqlalchemy import or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from .. import clock, transactions
from ..accounts import permissions
from ..accounts.models import Membership, User
from ..errors import NotFound, PermissionDenied
from ..extensions import db
from ..notify import services as mail
from . import cache, scopes
from .models import FreshnessNotice, HistoryEntry, Location, Service, ServiceAtLocation

STAGES = ("fresh", "reminder", "stale", "hidden")
NOTICE_STAGES = ("reminder", "stale", "hidden")


def add_months(day, months):
    """Return the same day `months` later (or earlier), clamped to the month's last day."""
    month_index = day.year * 12 + day.month - 1 + months
    year, month = divmod(month_index, 12)
    month += 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def _months(stage):
    config = current_app.config
    return {
        "reminder": config["FRESHNESS_REMINDER_MONTHS"],
        "stale": config["FRESHNESS_STALE_MONTHS"],
        "hidden": config["FRESHNESS_HIDE_MONTHS"],
    }[stage]


def checked_on(service):
    """Return the date a listing was last checked (its creation date when never checked)."""
    if service.assured_date is not None:
        return service.assured_date
    return (service.created_at or clock.naive_utcnow()).date()


def stage_of(checked, today):
    """Return the freshness stage of a listing checked on `checked`, as seen on `today`."""
    return stage_on(today)(checked)


def stage_on(today) -> Callable[[date], str]:
    """Return a function giving the freshness stage of a listing by the date it was checked, as seen on `today`
    (a results page asks it of each card: the cutoffs are worked out once)."""
    return _stage_on(today, _months("hidden"), _months("stale"), _months("reminder"))


@functools.lru_cache(maxsize=8)
def _stage_on(today, hidden: int, stale: int, reminder: int) -> Callable[[date], str]:
    # the same rule as the SQL of checked_by(cutoff(...)), so pages and queries agree
    cutoffs = tuple(
        (stage, add_months(today, -months))
        for stage, months in (("hidden", hidden), ("stale", stale), ("reminder", reminder))
    )

    def stage(checked: date) -> str:
        for name, last in cutoffs:
            if checked <= last:
                return name
        return "fresh"

    return stage


def freshness_state(service, today=None):
    """Return "fresh", "reminder", "stale" or "hidden" for a listing."""
    return stage_of(checked_on(service), today or clock.today())


def cutoff(stage, today=None):
    """Return the last check date at which a listing has reached `stage` by `today`."""
    return add_months(today or clock.today(), -_months(stage))


def checked_by(day):
    """SQL condition: the service was last checked on or before `day`."""
    return or_(
        Service.assured_date <= day,
        Service.assured_date.is_(None) & (Service.created_at < datetime.combine(day + timedelta(days=1), time.min)),
    )


def hidden_listing_ids(today=None):
    """Return the search ids of listings unchecked for so long that search leaves them out.

    Every search needs them, so each process keeps them for the day and the data's version stamp
    (cache.py, issue #17); unpublished listings are not in the index anyway.
    """
    day = cutoff("hidden", today)
    return cache.kept("hidden_listing_ids", lambda: _hidden_listing_ids(day), day)


def _hidden_listing_ids(day):
    rows = db.session.scalars(select(ServiceAtLocation.id).join(ServiceAtLocation.service).where(checked_by(day)))
    return frozenset(str(row) for row in rows)


def service_area_ids(service):
    """Return the ids of the areas a listing belongs to: its service areas and its locations' areas."""
    ids = {area.id for area in service.service_areas}
    ids |= {link.location.area_id for link in service.location_links if link.location.area_id}
    return ids


def load_service(service_id):
    """Return a service with what its areas and permissions need, or raise NotFound."""
    service = db.session.scalars(
        select(Service)
        .where(Service.id == service_id)
        .options(
            selectinload(Service.service_areas),
            selectinload(Service.location_links).selectinload(ServiceAtLocation.location),
            selectinload(Service.organization),
        )
    ).first()
    if service is None:
        raise NotFound(service_id)
    return service


def may_check(user, service):
    """Return True when the user may mark the listing as checked: its editors, its brokers, admins."""
    member = permissions.is_authenticated(user) and user.has_role("editor")
    # admins through may_moderate: within their municipality in a region (issue #20)
    return (member and service.organization_id in user.organization_ids) or scopes.may_moderate(
        user, service_area_ids(service)
    )


def mark_checked(service_id, by, today=None):
    """Mark a listing "gecontroleerd" today by `by`; it returns to search when it had left it."""
    permissions.require_login(by)
    service = load_service(service_id)
    if not may_check(by, service):
        raise PermissionDenied(f"may not check service {service_id}")
    if service.publication_status not in ("published", "pending"):
        raise NotFound(service_id)
    day = today or clock.today()
    old = service.assured_date
    service.assured_date = day
    service.assured_by_id = by.id
    service.assurer = by.name or by.email
    db.session.add(
        HistoryEntry(
            kind="service",
            target_id=service.id,
            organization_id=service.organization_id,
            action="checked",
            actor_id=by.id,
            changes={"assured_date": [old.isoformat() if old else None, day.isoformat()]},
        )
    )
    transactions.commit()
    return service


@dataclass
class OverdueListing:
    """A published listing whose last check is longer ago than the reminder period."""

    service: Service
    checked_on: date
    stage: str
    months: int  # whole months since the last check
    area_ids: set


def _whole_months(start, end):
    months = (end.year - start.year) * 12 + end.month - start.month
    return months - (1 if end.day < start.day else 0)


def overdue_listings(by, area_id=None, today=None):
    """Return the overdue listings a broker or admin moderates, oldest check first."""
    permissions.require_role(by, "broker")
    day = today or clock.today()
    services = db.session.scalars(
        select(Service)
        .where(Service.publication_status == "published", checked_by(cutoff("reminder", day)))
        .options(
            selectinload(Service.service_areas),
            selectinload(Service.location_links).selectinload(ServiceAtLocation.location).selectinload(Location.area),
            selectinload(Service.organization),
        )
    ).all()
    rows = []
    for service in services:
        areas = service_area_ids(service)
        if not scopes.may_moderate(by, areas):
            continue
        if area_id is not None and area_id not in areas:
            continue
        checked = checked_on(service)
        rows.append(OverdueListing(service, checked, stage_of(checked, day), _whole_months(checked, day), areas))
    rows.sort(key=lambda row: (row.checked_on, row.service.name))
    return rows


def editors_of(organization_id):
    """Return the active, confirmed editors of an organisation."""
    return db.session.scalars(
        select(User)
        .join(Membership, Membership.user_id == User.id)
        .where(
            Membership.organization_id == organization_id,
            Membership.status == "active",
            User.active.is_(True),
            User.email_confirmed_at.is_not(None),
        )
        .order_by(User.id)
    ).all()


def send_reminders(today=None):
    """Queue one e-mail per listing per stage reached since its last check; return counts per stage.

    Idempotent: a FreshnessNotice row (unique per listing, stage and check date) records each
    notice, so running it again the same day or the next sends nothing new.
    """
    day = today or clock.today()
    counts = {stage: 0 for stage in NOTICE_STAGES}
    counts["emails"] = 0
    services = db.session.scalars(
        select(Service)
        .where(Service.publication_status == "published", checked_by(cutoff("reminder", day)))
        .options(selectinload(Service.organization))
        .order_by(Service.id)
    ).all()
    for service in services:
        checked = checked_on(service)
        stage = stage_of(checked, day)
        if stage == "fresh":
            continue
        already = set(
            db.session.scalars(
                select(FreshnessNotice.stage).where(
                    FreshnessNotice.service_id == service.id, FreshnessNotice.checked_on == checked
                )
            )
        )
        if stage in already:
            continue
        editors = editors_of(service.organization_id)
        db.session.add(FreshnessNotice(service_id=service.id, stage=stage, checked_on=checked, recipients=len(editors)))
        for editor in editors:
            mail.queue_message(
                editor.email,
                f"freshness_{stage}",
                editor.language,
                name=editor.name,
                service=service,
                checked_on=checked,
                stale_on=add_months(checked, _months("stale")),
                hidden_on=add_months(checked, _months("hidden")),
                edit_url=mail.external_url("workspace.home"),
                page_url=mail.external_url("directory.service_detail", service_id=service.id, slug=service.slug),
            )
        try:
            transactions.commit()
        except IntegrityError:  # another run recorded this notice first: nothing to send twice
            db.session.rollback()
            continue
        counts[stage] += 1
        counts["emails"] += len(editors)
    return counts
