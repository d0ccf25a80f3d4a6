"""Open data use cases: the published directory as lists and details for the HSDS API (issue #5).

Only what the web shows is here: published services that are not defunct, the organisations
that have one, and the locations where one is given. Filters are checked against what exists
and raise ValidationError naming the query parameter, so the API can answer 400.
"""

import functools
import math
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, time

from flask import current_app
from sqlalchemy import String, and_, bindparam, cast, false, func, or_, select, true
from sqlalchemy.orm import joinedload, load_only, selectinload

from .. import clock, search
from ..errors import NotFound, ValidationError
from ..extensions import db
from . import cache, hsds, municipalities, services
from .models import (
    IMPORTED_TAXONOMY_PREFIX,
    Area,
    Location,
    Organization,
    Schedule,
    Service,
    ServiceAtLocation,
    ServiceAttribute,
    Taxonomy,
    TaxonomyTerm,
)

# Results fetched at once when they must be filtered after the search engine has ranked them.
ALL_RESULTS = 100_000
# Facets the API takes as their own query parameters, besides taxonomy_term_id.
API_FACETS = ("pyramid_level", "cost", "area")
# How much of a service a list loads: its id, name, status and last change; its one-to-one fields and
# organisation; or everything HSDS nests in it.
MINIMAL, LISTED, FULL = "minimal", "listed", "full"
_JSON_LISTS = {
    "cost": Service.cost,
    "mode": Service.modes,
    "respite_type": Service.respite_types,
    "language": Service.languages,
}


class SearchUnavailable(Exception):
    """The search engine could not answer (not the caller's fault)."""


class UnknownPostcode(NotFound):
    """A well-formed postcode that the gazetteer does not know."""

    def __init__(self, message):
        super().__init__(message)
        self.message = message


@dataclass
class Page:
    """One page of a list."""

    items: list
    total: int
    page: int
    per_page: int

    @property
    def pages(self):
        return math.ceil(self.total / self.per_page) if self.total else 0


@dataclass
class ServiceQuery:
    """Filters of a service list, as plain values (ids are HSDS uuids)."""

    text: str = ""
    term_ids: tuple = ()
    taxonomy_ids: tuple = ()
    organization_id: str | None = None
    modified_after: datetime | None = None  # naive UTC
    minimum_age: int | None = None
    maximum_age: int | None = None
    filters: dict = field(default_factory=dict)  # facet in API_FACETS -> codes, all must match
    # Opening times (Open Referral UK's day, start_time, end_time): one opening must fit all given.
    day: int | None = None  # 0 = Monday, as Schedule.weekday
    opens_from: time | None = None  # local time
    closes_by: time | None = None
    municipality: str | None = None  # CBS code: only services that serve it (issue #20)


def catalogue():
    """Return every published taxonomy and term (kept per process until the directory changes: cache.py, #17)."""
    return cache.kept("hsds_catalogue", _build_catalogue)


def _build_catalogue():
    rows = db.session.scalars(select(Taxonomy).options(selectinload(Taxonomy.terms)).order_by(Taxonomy.id)).all()
    return hsds.build_catalogue(rows)


@functools.cache
def public_condition():
    """Return the SQL condition of a service the public may see: published and not defunct (as the web); made
    once (a SQL expression is never changed once made; making it took the HSDS list 30 µs a page, #17)."""
    return and_(Service.publication_status == "published", Service.status != "defunct")


def _facet_condition(facet, code):
    """Return the SQL condition 'the service has this code' with the web search's meaning."""
    if facet == "category":
        return Service.categories.any(TaxonomyTerm.code == code)
    if facet == "target_group":
        return Service.target_groups.any(TaxonomyTerm.code == code)
    if facet in ("pyramid_level", "access_route"):
        return getattr(Service, facet) == code
    if facet in _JSON_LISTS:
        # codes are fixed words, so the JSON text holds '"code"' exactly when the list has it
        return cast(_JSON_LISTS[facet], String).contains(f'"{code}"', autoescape=True)
    if facet == "accessibility":
        return Service.location_links.any(
            ServiceAtLocation.location.has(cast(Location.accessibility, String).contains(f'"{code}"', autoescape=True))
        )
    if facet == "area":
        return or_(
            Service.service_areas.any(Area.code == code),
            Service.location_links.any(ServiceAtLocation.location.has(Location.area.has(Area.code == code))),
        )
    if facet.startswith(IMPORTED_TAXONOMY_PREFIX):  # another system's taxonomy: its links are attributes (#18)
        return Service.attributes.any(
            ServiceAttribute.term.has(
                and_(TaxonomyTerm.code == code, TaxonomyTerm.taxonomy.has(Taxonomy.code == facet))
            )
        )
    return false()


def _checked_filters(query):
    for facet, codes in query.filters.items():
        known = services.facet_labels(facet)
        for code in codes:
            if code not in known:
                raise ValidationError(facet, f"unknown value {code!r}")


def _terms(query, cat):
    terms = []
    for term_id in query.term_ids:
        term = cat.terms_by_id.get(term_id)
        if term is None or not term.filterable:
            raise ValidationError("taxonomy_term_id", f"unknown taxonomy term {term_id!r}")
        terms.append(term)
    return terms


def _taxonomies(query, cat):
    found = []
    for taxonomy_id in query.taxonomy_ids:
        taxonomy = cat.taxonomies_by_id.get(taxonomy_id)
        if taxonomy is None or not taxonomy.filterable:
            raise ValidationError("taxonomy_id", f"unknown taxonomy {taxonomy_id!r}")
        found.append(taxonomy)
    return found


def _other_conditions(query, cat):
    """Return the conditions the search engine does not know: taxonomy, organisation, dates, ages."""
    conditions = []
    for taxonomy in _taxonomies(query, cat):
        conditions.append(or_(false(), *(_facet_condition(taxonomy.code, term.code) for term in taxonomy.terms)))
    if query.organization_id:
        conditions.append(Service.organization.has(Organization.uuid == query.organization_id))
    if query.municipality:
        conditions.append(municipalities.serves_municipality(query.municipality))
    if query.modified_after:
        conditions.append(Service.last_modified >= query.modified_after)
    if query.minimum_age is not None:
        conditions.append(or_(Service.maximum_age.is_(None), Service.maximum_age >= query.minimum_age))
    if query.maximum_age is not None:
        conditions.append(or_(Service.minimum_age.is_(None), Service.minimum_age <= query.maximum_age))
    opening = []
    if query.day is not None:
        opening.append(Schedule.weekday == query.day)
    if query.opens_from is not None:
        opening.append(Schedule.opens_at >= query.opens_from)
    if query.closes_by is not None:
        opening.append(Schedule.closes_at <= query.closes_by)
    if opening:  # hours that ended (valid_to, issue #18) are no opening any more
        opening.append(or_(Schedule.valid_to.is_(None), Schedule.valid_to >= clock.today()))
        conditions.append(Service.schedules.any(and_(true(), *opening)))
    return conditions


def _conditions(query, cat):
    _checked_filters(query)
    conditions = [public_condition()]
    conditions += [_facet_condition(term.taxonomy_code, term.code) for term in _terms(query, cat)]
    conditions += [_facet_condition(facet, code) for facet, codes in query.filters.items() for code in codes]
    return conditions + _other_conditions(query, cat)


def _ranked_service_ids(text):
    """Return the ids of services whose listings match a text, best match first."""
    try:
        result = services.search_backend().search(search.SearchQuery(text=text, per_page=ALL_RESULTS))
    except search.SearchError:
        current_app.logger.exception("API search failed")
        raise SearchUnavailable("the search index cannot be read now; try again in a few minutes") from None
    link_ids = [int(hit.id) for hit in result.hits if hit.id.isdigit()]
    owner: dict[int, int] = (
        dict(
            db.session.execute(
                select(ServiceAtLocation.id, ServiceAtLocation.service_id).where(ServiceAtLocation.id.in_(link_ids))
            ).all()
        )
        if link_ids
        else {}
    )
    return list(dict.fromkeys(owner[i] for i in link_ids if i in owner))


def _list_options():
    return (joinedload(Service.organization),)


def _service_options(detail):
    if detail == MINIMAL:
        return (load_only(Service.uuid, Service.name, Service.status, Service.last_modified),)
    return full_service_options() if detail == FULL else _list_options()


def list_public_services(query, page, per_page, detail=LISTED):
    """Return a page of published services: best match first with a text, else by name.

    detail (MINIMAL, LISTED or FULL) is how much of each service is loaded."""
    found = public_service_ids(query, page, per_page)
    return Page(public_services_by_id(found.items, detail), found.total, page, per_page)


def public_service_ids(query, page, per_page) -> Page:
    """Return a page of the ids of published services: best match first with a text, else by name (the HSDS
    list, whose items api/views.py shapes from what it keeps per service, issue #17)."""
    conditions = _conditions(query, catalogue())
    if query.text:
        if len(query.text) > services.MAX_TEXT:
            raise ValidationError("search", f"at most {services.MAX_TEXT} characters")
        ranked = _ranked_service_ids(query.text)
        allowed = (
            set(db.session.scalars(select(Service.id).where(Service.id.in_(ranked), *conditions))) if ranked else set()
        )
        ids = [service_id for service_id in ranked if service_id in allowed]
        return Page(ids[(page - 1) * per_page : page * per_page], len(ids), page, per_page)
    total = _count(conditions)
    window = {"offset": (page - 1) * per_page, "limit": per_page}
    if len(conditions) == 1:  # the plain list: one statement made once
        return Page(list(db.session.scalars(_plain_page_query(), window)), total, page, per_page)
    statement = select(Service.id).where(*conditions).order_by(Service.name, Service.uuid)
    return Page(list(db.session.scalars(statement.offset(window["offset"]).limit(per_page))), total, page, per_page)


@functools.cache
def _plain_page_query():
    """Return the statement of a page of the plain list's ids (SQLAlchemy works out a new statement's cache key
    again for every request)."""
    return (
        select(Service.id)
        .where(public_condition())
        .order_by(Service.name, Service.uuid)
        .offset(bindparam("offset"))
        .limit(bindparam("limit"))
    )


def public_services_by_id(ids: list[int], detail=LISTED) -> list[Service]:
    """Return the services of some ids in that order, loaded as `detail` says (ids of no service are left out)."""
    if not ids:
        return []
    by_id = {
        row.id: row
        for row in db.session.scalars(select(Service).where(Service.id.in_(ids)).options(*_service_options(detail)))
    }
    return [by_id[i] for i in ids if i in by_id]


def _count(conditions):
    """Return how many services meet the conditions; the plain list's count (published, not defunct) is kept per
    process until the directory changes (cache.py): it asked SQLite to visit every published service each page."""

    def count() -> int:
        return db.session.scalar(select(func.count(Service.id)).where(*conditions)) or 0

    return cache.kept("hsds_public_count", count) if len(conditions) == 1 else count()


def full_service_options():
    """Return the loader options of a fully nested service (no queries while shaping it)."""
    return (
        joinedload(Service.organization),
        selectinload(Service.categories),
        selectinload(Service.target_groups),
        selectinload(Service.service_areas),
        selectinload(Service.schedules),
        selectinload(Service.location_links).joinedload(ServiceAtLocation.location).joinedload(Location.organization),
        # what an HSDS import kept (issue #18): its cost options and the terms of its own taxonomies
        selectinload(Service.cost_options),
        selectinload(Service.attributes).joinedload(ServiceAttribute.term),
    )


def get_public_service(service_uuid):
    """Return a published service with everything HSDS nests in it, or raise NotFound."""
    service = db.session.scalars(
        select(Service).where(Service.uuid == service_uuid, public_condition()).options(*full_service_options())
    ).first()
    if service is None:
        raise NotFound(service_uuid)
    return service


def full_services(service_ids):
    """Return {id: service} with everything HSDS nests in a service, loaded at once (a page of full items)."""
    if not service_ids:
        return {}
    rows = db.session.scalars(
        select(Service).where(Service.id.in_(set(service_ids))).options(*full_service_options())
    ).all()
    return {row.id: row for row in rows}


def get_public_listing(link_uuid):
    """Return a service at a location of a published service, and that service fully loaded; or raise NotFound.

    Any link of a published service is served, also one the search leaves out as long unchecked:
    /services/{id} nests it too."""
    link = db.session.scalars(
        select(ServiceAtLocation)
        .where(ServiceAtLocation.uuid == link_uuid, ServiceAtLocation.service.has(public_condition()))
        .options(joinedload(ServiceAtLocation.location).joinedload(Location.organization))
    ).first()
    if link is None:
        raise NotFound(link_uuid)
    return link, full_services([link.service_id])[link.service_id]


def search_public_listings(query, postcode="", radius_km=None, page=1, per_page=20):
    """Return a page of listings from the web's search, in its order (near a postcode: best match weighed by
    distance)."""
    cat = catalogue()
    _checked_filters(query)
    filters = {facet: list(codes) for facet, codes in query.filters.items()}
    others = _other_conditions(query, cat)
    for term in _terms(query, cat):
        if term.imported:  # the search engine knows our vocabularies only: these are checked in SQL
            others.append(_facet_condition(term.taxonomy_code, term.code))
        else:
            filters.setdefault(term.taxonomy_code, []).append(term.code)
    criteria = services.SearchCriteria(
        text=query.text,
        where=postcode,
        radius_km=radius_km if postcode else None,
        filters=filters,
        page=1 if others else page,
        per_page=ALL_RESULTS if others else per_page,
    )
    try:
        result = services.search_listings(criteria)
    except services.LocationNotFound as error:
        raise UnknownPostcode(error.message) from None
    except search.IndexNotBuilt:
        raise SearchUnavailable("the search index is being built; try again in a few minutes") from None
    except ValidationError as error:
        if error.field != "q":
            raise SearchUnavailable(error.message) from None
        raise ValidationError("search", error.message) from None
    if not others:
        return Page(result.listings, result.total, page, per_page)
    allowed = set(db.session.scalars(select(Service.id).where(public_condition(), *others)))
    listings = [listing for listing in result.listings if listing.service.id in allowed]
    return Page(listings[(page - 1) * per_page : page * per_page], len(listings), page, per_page)


def _public_services(municipality=None):
    """Return the SQL condition of a service the public may see, and that serves a municipality when one is given."""
    if municipality is None:
        return public_condition()
    return and_(public_condition(), municipalities.serves_municipality(municipality))


def _public_organization(municipality=None):
    return Organization.services.any(_public_services(municipality))


def list_public_organizations(text, modified_after, page, per_page, nested=None, municipality=None):
    """Return a page of organisations that have a published service, by name.

    nested (LISTED or FULL): each item a PublicOrganization with its services loaded that far.
    municipality (a CBS code, issue #20): only organisations with a service that serves it, with only those."""
    conditions = [_public_organization(municipality)]
    if text:
        conditions.append(
            or_(
                *(
                    column.icontains(text, autoescape=True)
                    for column in (Organization.name, Organization.alternate_name, Organization.description)
                )
            )
        )
    if modified_after:
        conditions.append(Organization.last_modified >= modified_after)
    total = db.session.scalar(select(func.count(Organization.id)).where(*conditions)) or 0
    rows = db.session.scalars(
        select(Organization)
        .where(*conditions)
        .order_by(Organization.name, Organization.uuid)
        .offset((page - 1) * per_page)
        .limit(per_page)
    ).all()
    return Page(_with_public_services(rows, nested, municipality) if nested else list(rows), total, page, per_page)


@dataclass
class PublicOrganization:
    organization: Organization
    services: list
    locations: list


def _with_public_services(organizations, detail, municipality=None):
    """Return each organisation with its published services (detail: LISTED or FULL) and their locations."""
    if not organizations:
        return []
    options = (
        full_service_options()
        if detail == FULL
        else (*_list_options(), selectinload(Service.location_links).joinedload(ServiceAtLocation.location))
    )
    rows = db.session.scalars(
        select(Service)
        .where(Service.organization_id.in_([item.id for item in organizations]), _public_services(municipality))
        .options(*options)
        .order_by(Service.name, Service.uuid)
    ).all()
    by_owner = defaultdict(list)
    for row in rows:
        by_owner[row.organization_id].append(row)
    found = []
    for organization in organizations:
        owned = by_owner[organization.id]
        locations = {link.location.uuid: link.location for row in owned for link in row.location_links}
        found.append(
            PublicOrganization(organization, owned, sorted(locations.values(), key=lambda loc: (loc.name, loc.uuid)))
        )
    return found


def get_public_organization(organization_uuid, detail=LISTED):
    """Return an organisation with its published services (detail: LISTED or FULL) and their locations,
    or raise NotFound."""
    organization = db.session.scalars(
        select(Organization).where(Organization.uuid == organization_uuid, _public_organization())
    ).first()
    if organization is None:
        raise NotFound(organization_uuid)
    return _with_public_services([organization], detail)[0]


def _matches(text, *values):
    folded = text.casefold()
    return any(folded in (value or "").casefold() for value in values)


def _slice(items, page, per_page):
    return Page(items[(page - 1) * per_page : page * per_page], len(items), page, per_page)


def _changed_since(item, modified_after):
    return modified_after is None or (item.last_modified is not None and item.last_modified >= modified_after)


def list_taxonomies(text, page, per_page, modified_after=None):
    """Return a page of the published taxonomies (changed at or after modified_after, when given)."""
    found = [
        t
        for t in catalogue().taxonomies
        if (not text or _matches(text, t.name, t.description, t.code)) and _changed_since(t, modified_after)
    ]
    return _slice(found, page, per_page)


def list_taxonomy_terms(text, taxonomy_id, page, per_page, modified_after=None, parent_id=None, top_only=False):
    """Return a page of taxonomy terms, optionally of one taxonomy, changed since a moment, directly below
    one term (parent_id) or at the top of their hierarchy (top_only)."""
    cat = catalogue()
    if taxonomy_id and taxonomy_id not in cat.taxonomies_by_id:
        raise ValidationError("taxonomy_id", f"unknown taxonomy {taxonomy_id!r}")
    if parent_id and parent_id not in cat.terms_by_id:
        raise ValidationError("parent_id", f"unknown taxonomy term {parent_id!r}")
    found = [
        term
        for term in cat.terms
        if (not taxonomy_id or term.taxonomy_id == taxonomy_id)
        and (not text or _matches(text, term.name, term.description, term.code))
        and _changed_since(term, modified_after)
        and (not parent_id or term.parent_id == parent_id)
        and not (top_only and term.parent_id)
    ]
    return _slice(found, page, per_page)


def get_taxonomy(taxonomy_uuid):
    """Return a published taxonomy, or raise NotFound."""
    taxonomy = catalogue().taxonomies_by_id.get(taxonomy_uuid)
    if taxonomy is None:
        raise NotFound(taxonomy_uuid)
    return taxonomy


def get_taxonomy_term(term_uuid):
    """Return a published taxonomy term, or raise NotFound."""
    term = catalogue().terms_by_id.get(term_uuid)
    if term is None:
        raise NotFound(term_uuid)
    return term
