"""Whose is it (issue #20): the one rule for a staff member's municipality and a row's, in a region.

A broker, policy officer or admin with `User.municipality_code` works for that municipality only. A
broker without it works for the municipality of their areas (the installation's own when they have
none); an admin or policy officer without it works for the whole region. A row (a help request, a
volunteer, a signal, a listing) belongs to the municipality of its area; without an area to that of
its postcode (municipalities.code_of_postcode4, when the installation serves it); without either to
the installation's own. So a row without an area belongs to the brokers of its municipality, no
longer to every broker of the region.

An installation for one municipality keeps the area rule of accounts.permissions.may_moderate
unchanged: every question here answers as before when municipalities.is_region() is False.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import ColumnElement, SQLColumnExpression, and_, func, not_, or_, select

from ..accounts import events, permissions
from ..accounts.models import Membership, User, UserRole, broker_areas
from ..accounts.queries import brokers_of_areas
from ..errors import PermissionDenied
from ..extensions import db
from ..geo.gazetteer import shared_gazetteer
from . import cache, municipalities
from .areas import area_rows
from .models import Organization, Service


def staff_codes(user: object) -> frozenset[str] | None:
    """Return the CBS codes of the municipalities a staff member works for; None: the whole region."""
    if not permissions.is_authenticated(user):
        return frozenset()
    assert isinstance(user, User)
    if user.municipality_code:
        return frozenset({user.municipality_code})
    if user.has_role("admin", "policy"):
        return None
    return frozenset(area.municipality_code for area in user.areas) or frozenset({municipalities.default_code()})


def regional_codes(user: object) -> frozenset[str] | None:
    """Return staff_codes in a region, None (everything) in an installation for one municipality."""
    return staff_codes(user) if municipalities.is_region() else None


def is_regional(user: object) -> bool:
    """Return True for a staff member who sees every municipality (everyone in a one-municipality installation)."""
    return regional_codes(user) is None


def row_code(area_id: int | None, postcode: str | None = None, code: str | None = None) -> str:
    """Return the CBS code of the municipality a row belongs to: its area's, its own (`code`, a municipality
    the row names), its postcode's, or the installation's own."""
    if area_id is not None:
        area = municipalities.municipality_of_area(area_id)
        if area is not None:
            return area.code
    if code is not None and municipalities.by_code(code) is not None:
        return code
    code = municipalities.code_of_postcode4((postcode or "").strip()[:4] or None)
    if code is not None and municipalities.by_code(code) is not None:
        return code
    return municipalities.default_code()


def codes_of_rows(area_ids: Iterable[int], code: str | None = None) -> set[str]:
    """Return the municipalities of something in these areas; with none, of `code` (the own one when None)."""
    codes = {row_code(area_id) for area_id in area_ids}
    return codes or {code or municipalities.default_code()}


def in_scope(user: object, code: str) -> bool:
    """Return True when a staff member works for the municipality with this code."""
    codes = regional_codes(user)
    return codes is None or code in codes


def may_moderate(user: object, area_ids: Iterable[int], code: str | None = None) -> bool:
    """Return accounts.permissions.may_moderate, within the user's municipality.

    `code`: the municipality of a row without an area (row_code); ignored when there are areas.
    """
    area_ids = set(area_ids)
    if not permissions.may_moderate(user, area_ids):
        return False
    codes = regional_codes(user)
    return codes is None or bool(codes_of_rows(area_ids, code) & codes)


def require_moderator(user: object, area_ids: Iterable[int], code: str | None = None) -> None:
    """Raise PermissionDenied unless may_moderate."""
    permissions.require_login(user)
    if not may_moderate(user, area_ids, code):
        raise PermissionDenied("not a broker for these areas")


def scope_area_ids(user: object) -> set[int] | None:
    """Return the ids of the areas of the user's municipalities; None: every area."""
    codes = regional_codes(user)
    if codes is None:
        return None
    return area_ids_in(codes)


def area_ids_in(codes: Iterable[str]) -> set[int]:
    """Return the ids of the areas of these municipalities."""
    return set().union(*(municipalities.area_ids_of(code) for code in codes))


def brokers_of(area_ids: Iterable[int | None] | int | None, code: str | None = None) -> list[User]:
    """Return the brokers who get news by e-mail (accounts.queries.brokers_of_areas, within municipalities).

    Something without an area goes to the brokers of its municipality (`code`; the own one when None),
    among them the regional ones.
    """
    if area_ids is None or isinstance(area_ids, int):
        area_ids = [area_ids]
    wanted = {area_id for area_id in area_ids if area_id is not None}
    brokers = brokers_of_areas(wanted)
    if wanted or not municipalities.is_region():
        return brokers
    code = code or municipalities.default_code()
    return [broker for broker in brokers if (codes := staff_codes(broker)) is None or code in codes]


def may_help_across(volunteer_code: str, request_code: str) -> bool:
    """Return True when a volunteer of one municipality may help a resident of another (issue #20).

    Within a municipality always; across a border only when both municipalities allow it
    (Municipality.cross_border_matching). The travel distance is the ranking's rule.
    """
    if volunteer_code == request_code:
        return True
    volunteer_side, request_side = municipalities.by_code(volunteer_code), municipalities.by_code(request_code)
    return bool(
        volunteer_side and request_side and volunteer_side.cross_border_matching and request_side.cross_border_matching
    )


def without_area_in_scope(user: object, postcode: SQLColumnExpression[str] | None) -> ColumnElement[bool]:
    """Return a WHERE clause for rows without an area: those whose postcode lies in the user's municipalities.

    `postcode`: the row's postcode column ("3941 AB"); None for rows without one (they are the own
    municipality's).
    """
    return without_area_in(regional_codes(user), postcode)


def without_area_in(codes: Iterable[str] | None, postcode: SQLColumnExpression[str] | None) -> ColumnElement[bool]:
    """Return a WHERE clause for rows without an area whose postcode lies in these municipalities (None: all)."""
    if codes is None:
        return db.true()
    codes = frozenset(codes)
    own = municipalities.default_code()
    if postcode is None:
        return db.true() if own in codes else db.false()
    by_code = municipality_postcodes()
    digits = func.substr(postcode, 1, 4)
    if own in codes:
        others = set().union(*(postcodes for code, postcodes in by_code.items() if code not in codes))
        return not_(digits.in_(sorted(others))) if others else db.true()
    mine = set().union(*(by_code.get(code, frozenset()) for code in codes))
    return digits.in_(sorted(mine)) if mine else db.false()


def municipality_postcodes() -> dict[str, frozenset[str]]:
    """Return per municipality of the installation the four-digit postcodes that belong to it, kept per process."""
    return cache.kept("municipality_postcodes", _municipality_postcodes)


def _municipality_postcodes() -> dict[str, frozenset[str]]:
    in_areas: dict[str, set[str]] = {}
    for area in area_rows():
        row = municipalities.municipality_of_area(area.id)
        if row is not None:
            in_areas.setdefault(row.code, set()).update(area.postcodes)
    taken = set().union(*in_areas.values()) if in_areas else set()
    result = {}
    for row in municipalities.municipality_rows():
        from_gazetteer = {p["postcode4"] for p in shared_gazetteer().postcodes_of_municipality(row.code)}
        result[row.code] = frozenset(in_areas.get(row.code, set()) | (from_gazetteer - taken))
    return result


# --- whose account is it (issue #20) ----------------------------------------------------------


def account_in_scope(admin: object, account: User) -> bool:
    """Return True when an admin sees and acts on this account: always, but for an admin of one municipality.

    An admin of one municipality (regional_codes) gets the accounts of it (accounts_in).
    """
    clause = accounts_in_scope(admin)
    return clause is None or db.session.scalar(select(User.id).where(User.id == account.id, clause)) is not None


def accounts_in_scope(admin: object) -> ColumnElement[bool] | None:
    """Return account_in_scope as a WHERE clause on User; None: every account."""
    codes = regional_codes(admin)
    return None if codes is None else accounts_in(codes)


def accounts_in(codes: Iterable[str]) -> ColumnElement[bool]:
    """Return a WHERE clause on User: the accounts that belong to these municipalities.

    A staff member with a municipality belongs to it; a regional admin or policy officer to none (only
    a regional admin manages them). Anyone else belongs to the municipalities of their broker areas,
    of the listings of the organisations they are an active member of, and of their own data elsewhere
    (events.account_homes: a volunteer profile, a help request); an account with none of these to the
    installation's own municipality.
    """
    codes = frozenset(codes)
    every = frozenset(row.code for row in municipalities.municipality_rows())
    condition = _belongs_to(codes)
    if municipalities.default_code() in codes:
        condition = or_(condition, not_(_belongs_to(every | codes)))
    regional = and_(
        User.municipality_code.is_(None),
        User.id.in_(select(UserRole.user_id).where(UserRole.role.in_(("admin", "policy")))),
    )
    return and_(condition, not_(regional)) if codes else db.false()


def _belongs_to(codes: frozenset[str]) -> ColumnElement[bool]:
    """Return the accounts that have a municipality among these, or a place in them (accounts_in)."""
    if not codes:
        return db.false()
    area_ids = sorted(area_ids_in(codes))
    listings = or_(*(municipalities.serves_municipality(code) for code in sorted(codes)))
    places = [
        User.id.in_(select(broker_areas.c.user_id).where(broker_areas.c.area_id.in_(area_ids))),
        User.id.in_(
            select(Membership.user_id).where(
                Membership.status == "active",
                Membership.organization_id.in_(select(Service.organization_id).where(listings)),
            )
        ),
        *(clause for _receiver, clause in events.account_homes.send(codes) if clause is not None),
    ]
    with_code = and_(User.municipality_code.is_not(None), User.municipality_code.in_(sorted(codes)))  # never NULL
    return or_(with_code, and_(User.municipality_code.is_(None), or_(*places)))


def _admin_scope(admin: object, **_extra: object) -> ColumnElement[bool] | None:
    return accounts_in_scope(admin)


def _admin_organizations(admin: object, **_extra: object) -> ColumnElement[bool] | None:
    """The organisations an admin of one municipality may give members: those with a service that serves it
    (municipalities.serves_municipality) and those without any service yet."""
    codes = regional_codes(admin)
    if codes is None:
        return None
    serving = or_(*(municipalities.serves_municipality(code) for code in sorted(codes)))
    return or_(Organization.services.any(serving), ~Organization.services.any())


def connect_account_events() -> None:
    """Limit the admin's account pages, and the organisations they give, to the admin's municipality
    (called once by create_app)."""
    events.admin_scope.connect(_admin_scope)
    events.admin_organizations.connect(_admin_organizations)
