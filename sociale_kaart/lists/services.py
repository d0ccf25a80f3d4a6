"""Lists of services to hand over (issue #19): pick, reorder, print, e-mail, share by a short link.

Where a list lives:
- without an account in the session (`store`, a mapping such as Flask's session): service ids only;
- with an account in the database (ServiceList) until its owner removes it; a broker's list may be
  made for the caller of a help request, and handing it over is then noted in that request's history.

Handing over: an e-mail to a typed address goes through the outbox, whose row is deleted once it is
sent (notify.FORGET_AFTER_SENDING): the address is never kept. A short link opens a read-only copy
(SharedList) for SHARE_DAYS days by the app clock; it holds services and an area, nothing of a person.
"""

import secrets
from collections import Counter
from collections.abc import Callable, MutableMapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, TypeGuard

from flask_babel import gettext as _
from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload, selectinload

from .. import clock, params, transactions
from ..accounts import permissions
from ..accounts.models import User
from ..directory import indexing, vocabularies
from ..directory.models import Area, Service, ServiceAtLocation
from ..errors import NotFound, PermissionDenied, ValidationError
from ..extensions import db
from ..matching import handouts
from ..notify import services as notify
from .models import ServiceList, ServiceListItem, SharedList, SharedListItem

MAX_ITEMS = 30  # a list to hand over, not a directory; also keeps the session cookie small
SESSION_KEY = "lijstje"  # service ids of a list without an account
SHARE_DAYS = 90  # a short link works this many days
TOKEN_BYTES = 16  # 22 URL-safe characters: short, and not to be guessed
MAX_TOKEN = 64
MAIL_TEMPLATE = "lists_list"
MOVES = ("up", "down")

Store = MutableMapping[str, Any]


def _is_account(by: User | None) -> TypeGuard[User]:
    return permissions.is_authenticated(by)


# --- loading the services of a list -----------------------------------------------------------------


def load_services(ids: Sequence[int]) -> list[Service]:
    """Return the public services among ids, in that order, with everything a handout shows."""
    if not ids:
        return []
    rows = db.session.scalars(
        select(Service)
        .where(Service.id.in_(list(ids)))
        .options(
            joinedload(Service.organization),
            selectinload(Service.schedules),
            selectinload(Service.service_areas),
            selectinload(Service.location_links).joinedload(ServiceAtLocation.location),
        )
    ).all()
    by_id = {service.id: service for service in rows if indexing.is_searchable(service)}
    return [by_id[service_id] for service_id in ids if service_id in by_id]


def public_service(service_id: int | None) -> Service:
    """Return a public service with what a handout shows, or raise NotFound."""
    found = load_services([service_id]) if service_id is not None else []
    if not found:
        raise NotFound(f"service {service_id}")
    return found[0]


def handout_area(services: Sequence[Service], request_area: Area | None = None) -> Area | None:
    """Return the area whose dorpsteam a handout names: the caller's, else where most of its services are.

    Only an area with a contact counts; among equals the first by name.
    """
    if request_area is not None and request_area.has_contact:
        return request_area
    counts: Counter[int] = Counter()
    areas: dict[int, Area] = {}
    for service in services:
        here = {link.location.area for link in service.location_links if link.location.area is not None}
        if not here and len(service.service_areas) == 1:
            here = set(service.service_areas)
        for area in here:
            if area.has_contact:
                counts[area.id] += 1
                areas[area.id] = area
    if not counts:
        return None
    return min(areas.values(), key=lambda area: (-counts[area.id], area.name))


# --- where a list lives ----------------------------------------------------------------------------


def _session_ids(store: Store) -> list[int]:
    """Return the service ids a session holds (anything odd in it is dropped)."""
    raw = store.get(SESSION_KEY)
    if not isinstance(raw, list):
        return []
    return list(dict.fromkeys(params.parse_ids(raw)))[:MAX_ITEMS]


def _account_list(user: User) -> ServiceList | None:
    return db.session.scalar(
        select(ServiceList).where(ServiceList.owner_id == user.id).options(selectinload(ServiceList.items))
    )


def _locked_list(user: User) -> ServiceList:
    """Return the account's list for a change, made when missing, holding the write lock (no commit)."""
    transactions.begin_write()
    statement = (
        select(ServiceList)
        .where(ServiceList.owner_id == user.id)
        .options(selectinload(ServiceList.items))
        .with_for_update()
    )
    found = db.session.scalar(statement)
    if found is not None:
        return found
    found = ServiceList(owner_id=user.id, updated_at=clock.naive_utcnow())
    db.session.add(found)
    try:
        db.session.flush()
    except IntegrityError:  # the same account made it at the same moment (a second click)
        db.session.rollback()
        transactions.begin_write()
        return db.session.scalars(statement).one()
    return found


def list_ids(by: User | None, store: Store) -> list[int]:
    """Return the service ids on the list of an account, or of the session without one."""
    if not _is_account(by):
        return _session_ids(store)
    return list(
        db.session.scalars(
            select(ServiceListItem.service_id)
            .join(ServiceList, ServiceList.id == ServiceListItem.list_id)
            .where(ServiceList.owner_id == by.id)
            .order_by(ServiceListItem.position)
        )
    )  # one statement: every page asks it for the menu's "Mijn lijstje (3)"


@transactions.write
def _change(by: User | None, store: Store, change: Callable[[list[int]], list[int]]) -> list[int]:
    """Apply change(ids) to the list and keep the result; `change` raises ValidationError to refuse."""
    if not _is_account(by):
        ids = change(_session_ids(store))
        store[SESSION_KEY] = ids
        return ids
    found = _locked_list(by)
    ids = change([item.service_id for item in found.items])
    kept = {item.service_id: item for item in found.items}
    found.items = [kept.get(service_id) or ServiceListItem(service_id=service_id) for service_id in ids]
    for position, item in enumerate(found.items, start=1):
        item.position = position
    if not ids:
        found.request_id = None  # an empty list is for nobody in particular
    found.updated_at = clock.naive_utcnow()
    transactions.commit()
    return ids


def _not_on_list() -> ValidationError:
    return ValidationError(None, _("Deze voorziening staat niet op uw lijstje."))


def add_service(service_id: int | None, by: User | None, store: Store) -> Service:
    """Put a public service at the end of the list (once); raise NotFound or ValidationError (list full)."""
    service = public_service(service_id)

    def append(ids):
        if service.id in ids:
            return ids
        if len(ids) >= MAX_ITEMS:
            raise ValidationError(
                None,
                _("Uw lijstje is vol: er passen %(max)d voorzieningen op. Haal er eerst een af.", max=MAX_ITEMS),
            )
        return [*ids, service.id]

    _change(by, store, append)
    return service


def move_service(service_id: int | None, direction: str, by: User | None, store: Store) -> list[int]:
    """Move a service one place up or down the list; return the new order."""
    if direction not in MOVES:
        raise ValidationError(None, _("Kies omhoog, omlaag of weghalen."))

    def move(ids):
        if service_id not in ids:
            raise _not_on_list()
        here = ids.index(service_id)
        there = here - 1 if direction == "up" else here + 1
        if 0 <= there < len(ids):
            ids[here], ids[there] = ids[there], ids[here]
        return ids

    return _change(by, store, move)


def remove_service(service_id: int | None, by: User | None, store: Store) -> list[int]:
    """Take a service off the list; return what is left."""

    def remove(ids):
        if service_id not in ids:
            raise _not_on_list()
        return [other for other in ids if other != service_id]

    return _change(by, store, remove)


def clear_list(by: User | None, store: Store) -> None:
    """Empty the list (a broker's is then for no caller any more)."""
    _change(by, store, lambda ids: [])


# --- a broker's list for a caller -------------------------------------------------------------------


@transactions.write
def start_for_caller(request_id: int | None, keep: bool, by: User) -> ServiceList:
    """Make a broker's list the one for a caller (of a help request, or not yet entered); empty unless keep."""
    permissions.require_role(by, "broker")
    if request_id is not None:
        handouts.request_for_handout(request_id, by)  # NotFound, or PermissionDenied outside the broker's areas
    found = _locked_list(by)
    if not keep:
        found.items = []
    found.request_id = request_id
    found.updated_at = clock.naive_utcnow()
    transactions.commit()
    return found


def caller_request_id(by: User | None) -> int | None:
    """Return the help request a broker's list is for, or None."""
    if not _is_account(by):
        return None
    found = _account_list(by)
    return found.request_id if found is not None else None


@dataclass
class CallerPage:
    """The start of a broker's list for a caller: the help request (if any) and the list as it is."""

    request_id: int | None
    area: Area | None
    current: "ListPage"


def caller_page(request_id: int | None, by: User | None) -> CallerPage:
    """Return what a broker sees before starting a list for a caller; raise PermissionDenied or NotFound."""
    permissions.require_role(by, "broker")
    area = handouts.request_for_handout(request_id, by).area if request_id is not None else None
    return CallerPage(request_id, area, list_page(by, {}))


# --- the list page ---------------------------------------------------------------------------------


@dataclass
class ListPage:
    """What the list page, its print and its e-mail show."""

    services: list[Service]
    missing: int  # services on the list that are no longer public
    request_id: int | None  # the caller's help request (a broker's list)
    area: Area | None  # whose dorpsteam contact goes at the bottom
    made_on: date


def list_page(by: User | None, store: Store) -> ListPage:
    """Return the list of an account or session with its services loaded."""
    ids = list_ids(by, store)
    services = load_services(ids)
    request_id = caller_request_id(by) if ids else None
    request_area = None
    if request_id is not None:
        try:
            request_area = handouts.request_for_handout(request_id, by).area
        except (NotFound, PermissionDenied):  # no longer this broker's: the list is for nobody in particular
            request_id = None
    return ListPage(services, len(ids) - len(services), request_id, handout_area(services, request_area), clock.today())


def _require_services(page: ListPage) -> None:
    if not page.services:
        raise ValidationError(None, _("Uw lijstje is leeg. Zet er eerst een voorziening op."))


# --- short links -----------------------------------------------------------------------------------


def _new_shared(page: ListPage, now: datetime) -> SharedList:
    """Add a read-only copy of a list with a fresh token; expired copies go (no commit)."""
    expired = select(SharedList.id).where(SharedList.expires_at <= now)
    # "fetch": the deleted rows leave the session too, so a new copy that gets a freed id is no conflict
    db.session.execute(
        delete(SharedListItem)
        .where(SharedListItem.shared_list_id.in_(expired))
        .execution_options(synchronize_session="fetch")
    )
    db.session.execute(
        delete(SharedList).where(SharedList.expires_at <= now).execution_options(synchronize_session="fetch")
    )
    shared = SharedList(
        token=secrets.token_urlsafe(TOKEN_BYTES),
        area_id=page.area.id if page.area is not None else None,
        created_at=now,
        expires_at=now + timedelta(days=SHARE_DAYS),
    )
    shared.items = [
        SharedListItem(service_id=service.id, position=position) for position, service in enumerate(page.services, 1)
    ]
    db.session.add(shared)
    return shared


@transactions.write
def share_list(by: User | None, store: Store) -> SharedList:
    """Make a short link to a read-only copy of the list, working SHARE_DAYS days."""
    page = list_page(by, store)
    _require_services(page)
    transactions.begin_write()
    shared = _new_shared(page, clock.naive_utcnow())
    transactions.commit()
    return shared


@dataclass
class SharedPage:
    """A shared copy as its page shows it."""

    services: list[Service]
    area: Area | None
    made_on: date
    expires_on: date


def get_shared_list(token: object) -> SharedPage:
    """Return the copy behind a short link, or raise NotFound (unknown, odd or expired)."""
    if not isinstance(token, str) or not 0 < len(token) <= MAX_TOKEN or params.has_control_characters(token):
        raise NotFound("short link")
    shared = db.session.scalar(
        select(SharedList)
        .where(SharedList.token == token)
        .options(selectinload(SharedList.items), selectinload(SharedList.area))
    )
    if shared is None or shared.expires_at <= clock.naive_utcnow():
        raise NotFound("short link")
    services = load_services([item.service_id for item in shared.items])
    return SharedPage(services, shared.area, clock.local_date(shared.created_at), clock.local_date(shared.expires_at))


# --- handing it over -------------------------------------------------------------------------------


def _note(page: ListPage, how: str, by: User | None) -> None:
    if page.request_id is not None and by is not None:
        handouts.note_list_handed_over(page.request_id, [service.name for service in page.services], how, by)


@transactions.write
def send_list(address: str, by: User | None, store: Store, language: str = "nl") -> None:
    """E-mail the list, with a short link, to a typed address; a broker's list for a caller is noted there.

    The address goes only into the outbox row, which is deleted once the e-mail is sent.
    """
    to_address = params.parse_email(address)
    if to_address is None:
        raise ValidationError("email", _("Typ een e-mailadres zoals naam@voorbeeld.nl."))
    page = list_page(by, store)
    _require_services(page)
    transactions.begin_write()
    shared = _new_shared(page, clock.naive_utcnow())
    notify.queue_message(
        to_address,
        MAIL_TEMPLATE,
        language,
        services=page.services,
        vocab=vocabularies,
        area=page.area,
        link=notify.external_url("lists.shared", token=shared.token),
        expires_on=clock.local_date(shared.expires_at),
    )
    _note(page, "email", by)
    transactions.commit()


@transactions.write
def note_printed(by: User, store: Store) -> None:
    """Note in the caller's help request that the broker printed the list."""
    permissions.require_role(by, "broker")
    page = list_page(by, store)
    _require_services(page)
    if page.request_id is None:
        raise ValidationError(None, _("Dit lijstje hoort bij geen hulpvraag."))
    _note(page, "print", by)
    transactions.commit()


# --- an account's data -----------------------------------------------------------------------------


def account_list_data(user: User) -> dict[str, Any]:
    """Return an account's list for its data download: the services' names in order."""
    found = _account_list(user)
    if found is None:
        return {}
    names: dict[int, str] = dict(
        db.session.execute(
            select(Service.id, Service.name).where(Service.id.in_([item.service_id for item in found.items]))
        ).all()
    )
    return {
        "service_list": {
            "services": [names.get(item.service_id, "") for item in found.items],
            "for_help_request": found.request_id,
            "updated_at": found.updated_at.isoformat(),
        }
    }


def forget_account_list(user: User) -> None:
    """Delete an account's list (inside the account's deletion; no commit)."""
    ids = select(ServiceList.id).where(ServiceList.owner_id == user.id)
    db.session.execute(
        delete(ServiceListItem).where(ServiceListItem.list_id.in_(ids)).execution_options(synchronize_session=False)
    )
    db.session.execute(
        delete(ServiceList).where(ServiceList.owner_id == user.id).execution_options(synchronize_session=False)
    )
