"""Loading help requests and matches, and who may see them (issue #4, #13): the reads every matching module shares.

Nothing here writes; the access log of personal data is privacy.log_view.
"""

from collections.abc import Sequence

from flask_babel import gettext as _
from sqlalchemy import ColumnElement, SQLColumnExpression, and_, or_, select
from sqlalchemy.orm import selectinload
from sqlalchemy.sql.base import ExecutableOption

from ..accounts import permissions
from ..accounts.models import User
from ..directory import scopes
from ..directory.models import Area
from ..errors import NotFound, PermissionDenied
from ..extensions import db
from .models import HelpRequest, Match, VolunteerProfile

# --- requests -----------------------------------------------------------------------------------------


def load_options() -> tuple[ExecutableOption, ...]:
    """Return the loader options of a request page: dates, area, matches with volunteers, history."""
    return (
        selectinload(HelpRequest.occurrences),
        selectinload(HelpRequest.area),
        selectinload(HelpRequest.matches).selectinload(Match.volunteer),
        selectinload(HelpRequest.events),
    )


def get_request(request_id: int) -> HelpRequest:
    """Return a request by id with its dates and matches, or raise NotFound (no permission check)."""
    request = db.session.scalar(select(HelpRequest).options(*load_options()).where(HelpRequest.id == request_id))
    if request is None:
        raise NotFound(_("Deze hulpvraag bestaat niet."))
    return request


def load_request(request_id: int) -> HelpRequest:
    """Return a request by id (nothing eager-loaded), or raise NotFound."""
    request = db.session.get(HelpRequest, request_id)
    if request is None:
        raise NotFound(f"request {request_id}")
    return request


# --- matches ------------------------------------------------------------------------------------------


def load_match(match_id: int | None, populate: bool = False) -> Match:
    """Return a match with its request and volunteer, or raise NotFound (also for no id)."""
    statement = (
        select(Match)
        .where(Match.id == match_id)
        .options(
            selectinload(Match.request),
            selectinload(Match.volunteer).selectinload(VolunteerProfile.user),
        )
    )
    if populate:
        statement = statement.execution_options(populate_existing=True)
    match = db.session.scalars(statement).first()
    if match is None:
        raise NotFound(f"match {match_id}")
    return match


# --- who may ------------------------------------------------------------------------------------------


def request_area_ids(request: HelpRequest) -> list[int]:
    """Return the area ids a request belongs to ([] for none: the brokers of its municipality handle it)."""
    return [request.area_id] if request.area_id is not None else []


def request_code(request: HelpRequest) -> str:
    """Return the CBS code of the municipality a request belongs to (scopes.row_code, issue #20)."""
    return scopes.row_code(request.area_id, request.postcode)


def profile_code(profile: VolunteerProfile) -> str:
    """Return the CBS code of the municipality a volunteer belongs to (scopes.row_code, issue #20)."""
    return scopes.row_code(profile.area_id, profile.postcode)


def may_broker_request(request: HelpRequest, by: User | None) -> bool:
    """Return True for an admin or a broker of the request's area, within their municipality."""
    return scopes.may_moderate(by, request_area_ids(request), request_code(request))


def require_request_broker(request: HelpRequest, by: User | None) -> None:
    """Raise PermissionDenied unless by is an admin or a broker of the request's area, within their municipality."""
    scopes.require_moderator(by, request_area_ids(request), request_code(request))


def require_profile_broker(profile: VolunteerProfile, by: User | None) -> None:
    """Raise PermissionDenied unless by is an admin or a broker of the volunteer's area, within their municipality."""
    area_ids = [profile.area_id] if profile.area_id is not None else []
    scopes.require_moderator(by, area_ids, profile_code(profile))


def is_volunteer_of(by: User, match: Match) -> bool:
    """Return True when `by` is the volunteer of a match."""
    return permissions.is_authenticated(by) and match.volunteer is not None and match.volunteer.user_id == by.id


def require_volunteer(by: User, match: Match) -> None:
    """Raise PermissionDenied unless `by` is the volunteer of a match."""
    permissions.require_login(by)
    if not is_volunteer_of(by, match):
        raise PermissionDenied(f"not the volunteer of match {match.id}")


def staff_role(user: User) -> str:
    """Return "admin" or "broker" for the access log."""
    return "admin" if user.is_admin else "broker"


def broker_areas(by: User) -> Sequence[Area]:
    """Return the areas a broker works in (all areas of their municipality for an admin)."""
    permissions.require_role(by, "broker")
    if by.is_admin:
        statement = select(Area).order_by(Area.name)
        in_scope = scopes.scope_area_ids(by)
        if in_scope is not None:
            statement = statement.where(Area.id.in_(sorted(in_scope)))
        return db.session.scalars(statement).all()
    return sorted(by.areas, key=lambda area: area.name)


def area_filter(
    column: SQLColumnExpression[int | None],
    by: User,
    area_id: int | None = None,
    postcode: SQLColumnExpression[str] | None = None,
) -> tuple[ColumnElement[bool], Sequence[Area]]:
    """Return a WHERE clause: rows in the broker's areas (or one of them), plus rows without an area.

    Rows without an area are those of the broker's municipality, by `postcode` (scopes, issue #20).
    """
    areas = broker_areas(by)
    ids = {area.id for area in areas}
    if area_id is not None:
        if area_id not in ids:
            raise PermissionDenied("not a broker for this area")
        return column == area_id, areas
    if by.is_admin and scopes.is_regional(by):
        return db.true(), areas
    return or_(column.in_(ids), and_(column.is_(None), scopes.without_area_in_scope(by, postcode))), areas
