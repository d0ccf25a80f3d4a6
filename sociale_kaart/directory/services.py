"""Directory use cases: public search, listings, organisations, categories."""

import functools
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time

from flask import current_app
from flask_babel import get_locale
from flask_babel import gettext as _
from sqlalchemy import bindparam, func, select
from sqlalchemy.orm import joinedload, selectinload

from .. import clock, geo, search, transactions
from ..errors import NotFound, ValidationError
from ..extensions import db
from . import areas, cache, freshness, hours, hsds, indexing, municipalities, vocabularies
from .models import (
    Area,
    Location,
    Organization,
    Schedule,
    Service,
    ServiceAtLocation,
    Taxonomy,
    TaxonomyTerm,
    service_categories,
)

RADIUS_CHOICES = (1, 2, 5, 10, 25)
SORTS = ("relevance", "distance")
FILTER_FACETS = (
    "category",
    "target_group",
    "pyramid_level",
    "cost",
    "mode",
    "accessibility",
    "area",
    "respite_type",
    "access_route",
    "language",
)
MAX_TEXT = 200
MAX_WHERE = 100


class LocationNotFound(ValidationError):
    """The 'waar' field names no postcode or place we know; carries suggestions."""

    def __init__(self, message: str, suggestions: Iterable[str] = ()):
        super().__init__("waar", message)
        self.suggestions = tuple(suggestions)


@dataclass
class SearchCriteria:
    """What a resident asked for, as plain values."""

    text: str = ""
    where: str = ""
    radius_km: float | None = None  # the web offers RADIUS_CHOICES; the API any radius (issue #5)
    sort: str | None = None  # None: best match (weighed by distance with a place); "distance": nearest first
    filters: dict = field(default_factory=dict)
    open_now: bool = False
    page: int = 1
    per_page: int | None = None  # None: the SEARCH_PER_PAGE setting of the web pages
    # The web's rule in a region (issue #20): a search without a radius stays within the resident's
    # municipality (the place's, else `municipality`); the API and the benchmarks ask for what they filter
    stay_in_municipality: bool = False
    # CBS code of the municipality whose entry page (/<slug>/) the search came from
    municipality: str | None = None


@dataclass
class Listing:
    """One result: a service at a location, with distance and whether it is open."""

    link: ServiceAtLocation
    distance_km: float | None
    open_now: bool
    freshness: str = "fresh"  # freshness.STAGES; "stale" shows "mogelijk verouderd"

    @property
    def service(self) -> Service:
        return self.link.service

    @property
    def location(self) -> Location:
        return self.link.location


@dataclass(frozen=True)
class TermRow:
    """A taxonomy term as plain values, kept per process (cache.py): what the pages show of a category."""

    id: int
    code: str
    name: str
    description: str
    position: int
    taxonomy_code: str


@dataclass(frozen=True)
class ServiceCard:
    """What a result shows of a service, as plain values: a results page renders no ORM object (issue #17)."""

    id: int
    slug: str
    name: str
    summary: str
    organization_name: str
    pyramid_level: str
    status: str
    cost: tuple[str, ...]
    schedules: tuple[tuple[int, time, time], ...]  # (weekday, opens_at, closes_at), by day and time
    categories: tuple[TermRow, ...]

    @property
    def is_free(self) -> bool:
        """Return True when the resident pays nothing (as Service.is_free)."""
        return self.cost == ("gratis",)


@dataclass(frozen=True)
class LocationCard:
    """Where a result is, as plain values."""

    lat: float | None
    lon: float | None
    address_1: str
    city: str


@dataclass
class ListingCard:
    """One result on a results page: a service at a location, with distance and whether it is open."""

    service: ServiceCard
    location: LocationCard
    distance_km: float | None
    open_now: bool
    freshness: str = "fresh"
    # In a region: the names of the municipalities the listing serves, when the resident's is not
    # among them ("Gemeente Rhenen" on the card, issue #20); empty otherwise
    elsewhere: tuple[str, ...] = ()


@dataclass
class FacetValue:
    code: str
    label: str
    count: int
    selected: bool


@dataclass
class SearchPage:
    """A page of search results with everything the results page shows."""

    criteria: SearchCriteria
    listings: list[Listing] | list[ListingCard]  # cards on the web's results pages (search_cards)
    total: int
    pages: int
    place: geo.Place | None
    facets: dict[str, list[FacetValue]]
    open_count: int | None
    suggestion: str | None
    fuzzy: bool
    partial: bool = False  # no result has every word of the query: said on the page (#11)
    outside_region: bool = False  # the place lies in none of the installation's municipalities (#20)
    # CBS code of the resident's municipality: the place's, else the entry page's; None: not known
    home_code: str | None = None

    @property
    def filters_on(self) -> int:
        """Return how many filter values are chosen (the open filter apart)."""
        return sum(value.selected for values in self.facets.values() for value in values)

    @property
    def free(self) -> FacetValue | None:
        """Return the filter value "kost mij niets" (cost: gratis), None when no listing has it and it is not chosen."""
        return next((value for value in self.facets.get("cost", ()) if value.code == "gratis"), None)


def search_backend() -> search.SearchBackend:
    """Return the app's search backend."""
    return current_app.extensions["sociale_kaart.search"]


def geocoder() -> geo.Geocoder:
    """Return the app's geocoder."""
    return current_app.extensions["sociale_kaart.geocoder"]


def local_now() -> datetime:
    """Return the current local time of the municipality (naive)."""
    return clock.local_now()


def resolve_place(where: str) -> geo.Place:
    """Return the place a resident typed, or raise LocationNotFound with suggestions."""
    # in a region a place of any of its municipalities wins a tie: "Elst" is Elst in Rhenen (issue #20)
    prefer = [row.code for row in municipalities.municipality_rows()] if municipalities.is_region() else None
    try:
        return geocoder().resolve(where, prefer=prefer)
    except geo.UnknownLocation as error:
        raise LocationNotFound(_location_message(error), error.suggestions) from None


def _location_message(error):
    if error.reason == "too_long":
        return _("Typ bij ‘waar’ een postcode of plaatsnaam van hoogstens %(max)d tekens.", max=MAX_WHERE)
    if error.reason == "unknown_postcode":
        return _(
            "We kennen postcode ‘%(query)s’ niet. Kijk of de postcode klopt, of typ een plaatsnaam.", query=error.query
        )
    return _(
        "We kennen de plaats ‘%(query)s’ niet. Kijk of de naam goed is geschreven, of typ een postcode.",
        query=error.query,
    )


def search_listings(criteria: SearchCriteria, now: datetime | None = None) -> SearchPage:
    """Search published listings; raise ValidationError for a place we cannot find."""
    return _search(criteria, now or local_now(), _load_listings)


def search_cards(criteria: SearchCriteria, now: datetime | None = None) -> SearchPage:
    """Search published listings for a results page: each one a card of plain values, loaded in two queries.

    In a region, a card of a listing that does not serve the resident's municipality names the
    municipalities it serves (one query more).
    """
    page = _search(criteria, now or local_now(), _load_cards)
    if municipalities.is_region():
        _mark_elsewhere(page.listings, page.home_code)
    return page


def _mark_elsewhere(cards, home_code: str | None) -> None:
    """Set `elsewhere` on the cards of listings that do not serve the municipality `home_code`."""
    served = municipalities.codes_of_services(card.service.id for card in cards)
    for card in cards:
        codes = served.get(card.service.id, set())
        if home_code not in codes:
            rows = sorted(filter(None, map(municipalities.by_code, codes)), key=lambda row: row.name)
            card.elsewhere = tuple(row.name for row in rows)


def home_code_of(criteria: SearchCriteria, place: geo.Place | None) -> str | None:
    """Return the CBS code of the resident's municipality: the place's (its area's first), else the entry page's."""
    if place is None:
        return criteria.municipality
    if place.kind != "municipality":
        code = municipalities.code_of_postcode4(place.postcode4)
        if code is not None:
            return code
    return place.municipality_code


def _region_filter(criteria: SearchCriteria, origin, home_code: str | None) -> dict[str, list[str]]:
    """Return the municipality filter of a search (issue #20).

    A search of a whole municipality (no radius: a municipality's name, a postcode or place with
    "Hele gemeente", or nothing from its entry page) stays within the resident's municipality; a
    search within a radius of a postcode or place crosses the border. One municipality: no filter;
    nor for a search that does not ask for it (criteria.stay_in_municipality: the API's).
    """
    radius = criteria.radius_km if origin else None
    if not criteria.stay_in_municipality or radius is not None:
        return {}
    scope = _municipality_scope(home_code)
    return {"municipality": [scope]} if scope is not None else {}


def _municipality_scope(home_code: str | None) -> str | None:
    """Return the municipality a whole-municipality search stays in: `home_code` in a region, else None."""
    if home_code is not None and municipalities.is_region() and municipalities.by_code(home_code):
        return home_code
    return None


def _search(criteria: SearchCriteria, now: datetime, load: Callable[[list, datetime], list]) -> SearchPage:
    if len(criteria.text) > MAX_TEXT:
        raise ValidationError("q", _("Typ hoogstens %(max)d tekens bij ‘wat zoekt u’.", max=MAX_TEXT))
    place = resolve_place(criteria.where) if criteria.where.strip() else None
    origin = (place.lat, place.lon) if place else None
    home_code = home_code_of(criteria, place)
    query = search.SearchQuery(
        text=criteria.text,
        filters={
            **{facet: list(codes) for facet, codes in criteria.filters.items() if codes},
            **_region_filter(criteria, origin, home_code),
        },
        origin=origin,
        radius_km=criteria.radius_km if origin else None,
        distance=geo.distance_km if origin else None,
        open_slot=hours.slot_of(now) if criteria.open_now else None,
        sort=(criteria.sort or "relevance") if origin else "relevance",
        page=max(1, criteria.page),
        per_page=criteria.per_page or current_app.config["SEARCH_PER_PAGE"],
        exclude_ids=freshness.hidden_listing_ids(now.date()),
    )
    try:
        result = search_backend().search(query, count_open_slot=hours.slot_of(now))
    except search.IndexNotBuilt:
        raise  # not built yet: the page answers 503 (web/pages.py; issue #16)
    except search.SearchError:
        current_app.logger.exception("search failed")
        raise ValidationError(None, _("Zoeken lukt nu even niet. Probeer het over een paar minuten opnieuw.")) from None
    listings = load(result.hits, now)
    return SearchPage(
        criteria=criteria,
        listings=listings,
        total=result.total,
        pages=result.pages,
        place=place,
        facets=_facet_values(result.facets, criteria.filters),
        open_count=result.open_count,
        suggestion=result.suggestion,
        fuzzy=result.fuzzy,
        partial=result.partial,
        outside_region=bool(place and municipalities.by_code(home_code) is None),
        home_code=home_code,
    )


def _listing_options():
    return (
        joinedload(ServiceAtLocation.location),
        joinedload(ServiceAtLocation.service).options(
            joinedload(Service.organization),
            selectinload(Service.categories),
            selectinload(Service.schedules),
        ),
    )


def _load_listings(hits, now):
    """Load the listings of search hits in hit order, skipping any no longer public."""
    ids = [int(hit.id) for hit in hits if hit.id.isdigit()]
    if not ids:
        return []
    links = db.session.scalars(
        select(ServiceAtLocation).where(ServiceAtLocation.id.in_(ids)).options(*_listing_options())
    ).all()
    by_id = {str(link.id): link for link in links}
    listings = []
    for hit in hits:
        link = by_id.get(hit.id)
        if link is None or not indexing.is_searchable(link.service):
            continue
        listings.append(
            Listing(
                link,
                hit.distance_km,
                is_open_now(link.service, now),
                freshness.freshness_state(link.service, now.date()),
            )
        )
    return listings


@functools.cache
def _card_queries():
    """Return the two statements of the cards, made once: SQLAlchemy keeps a statement's compiled form by its key,
    which it works out again for every new statement object."""
    category_codes = (
        select(func.aggregate_strings(TaxonomyTerm.code, " "))
        .join(service_categories, service_categories.c.term_id == TaxonomyTerm.id)
        .where(service_categories.c.service_id == Service.id)
        .scalar_subquery()
    )
    cards = (
        select(
            ServiceAtLocation.id.label("link_id"),
            Service.id,
            Service.slug,
            Service.name,
            Service.summary,
            Service.pyramid_level,
            Service.status,
            Service.cost,
            Service.publication_status,
            Service.assured_date,
            Service.created_at,
            Organization.name.label("organization_name"),
            Location.lat,
            Location.lon,
            Location.address_1,
            Location.city,
            category_codes.label("category_codes"),
        )
        .join(Service, ServiceAtLocation.service_id == Service.id)
        .join(Organization, Service.organization_id == Organization.id)
        .join(Location, ServiceAtLocation.location_id == Location.id)
        .where(ServiceAtLocation.id.in_(bindparam("ids", expanding=True)))
    )
    schedules = (
        select(Schedule.service_id, Schedule.weekday, Schedule.opens_at, Schedule.closes_at)
        .where(Schedule.service_id.in_(bindparam("service_ids", expanding=True)))
        .order_by(Schedule.weekday, Schedule.opens_at)
    )
    return cards, schedules


MAX_KEPT_CARD_ROWS = 20_000  # listings whose card data a process keeps (about 1.5 KB each)


def _card_rows(ids: list[int]) -> dict[str, tuple[ServiceCard, LocationCard, date]]:
    """Return {link id: (service card, location card, the date it was last checked)} of the public listings among
    `ids`.

    Kept per process for the directory's version stamp (issue #17): the same listings turn up for many
    searches, and a change to any directory row makes a new stamp, so nothing kept is older than the
    stamp this request read. Only the listings not kept yet are read: two queries.
    """
    kept: dict[str, tuple[ServiceCard, LocationCard, date] | None] = cache.kept("card_rows", dict)
    missing = [number for number in ids if str(number) not in kept]
    if missing:
        if len(kept) + len(missing) > MAX_KEPT_CARD_ROWS:
            kept.clear()
        cards_query, schedules_query = _card_queries()
        rows = db.session.execute(cards_query, {"ids": missing}).all()
        public = [row for row in rows if indexing.is_searchable(row)]
        periods: dict[int, list[tuple[int, time, time]]] = {}
        if public:
            service_ids = sorted({row.id for row in public})
            for service_id, weekday, opens_at, closes_at in db.session.execute(
                schedules_query, {"service_ids": service_ids}
            ):
                periods.setdefault(service_id, []).append((weekday, opens_at, closes_at))
        terms = {term.code: term for term in vocabulary_terms("category")}
        for number in missing:
            kept[str(number)] = None  # not public (or gone): no card
        for row in public:
            categories = sorted(
                (terms[code] for code in (row.category_codes or "").split() if code in terms),
                key=lambda term: (term.position, term.id),
            )
            service = ServiceCard(
                row.id,
                row.slug,
                row.name,
                row.summary,
                row.organization_name,
                row.pyramid_level,
                row.status,
                tuple(row.cost or ()),
                tuple(periods.get(row.id, ())),
                tuple(categories),
            )
            location = LocationCard(row.lat, row.lon, row.address_1, row.city)
            kept[str(row.link_id)] = (service, location, freshness.checked_on(row))
    return {str(number): found for number in ids if (found := kept.get(str(number))) is not None}


def _load_cards(hits, now: datetime) -> list[ListingCard]:
    """Load the cards of search hits in hit order, skipping any no longer public: at most two queries (issue #17)."""
    ids = [int(hit.id) for hit in hits if hit.id.isdigit()]
    if not ids:
        return []
    public = _card_rows(ids)
    stage = freshness.stage_on(now.date())
    cards = []
    for hit in hits:
        found = public.get(hit.id)
        if found is not None:
            service, location, checked = found
            cards.append(
                ListingCard(service, location, hit.distance_km, hours.is_open(service.schedules, now), stage(checked))
            )
    return cards


def _facet_values(facets, selected_filters):
    """Return labelled facet values, selected ones first-class even without results."""
    values = {}
    every_label = all_facet_labels()
    orders = _facet_orders()
    for facet in FILTER_FACETS:
        counts = dict(facets.get(facet, {}))
        selected = set(selected_filters.get(facet, ()))
        for code in selected:
            counts.setdefault(code, 0)
        labels, order = every_label[facet], orders[facet]
        values[facet] = [
            FacetValue(code, labels[code], counts[code], code in selected)
            for code in sorted(counts, key=lambda c: (order.get(c, len(order)), c))
            if code in labels
        ]
    return values


def _facet_orders() -> dict[str, dict[str, int]]:
    """Return {facet: {code: its place in the display order}} (kept per process with the labels, #17)."""
    language = str(get_locale() or "nl")
    return cache.kept(
        f"facet_orders:{language}",
        lambda: {facet: {code: n for n, code in enumerate(labels)} for facet, labels in all_facet_labels().items()},
    )


def facet_labels(facet: str) -> dict[str, str]:
    """Return {code: label} for a facet in the user's language, in display order (kept per process, #17)."""
    return all_facet_labels().get(facet, {})


def all_facet_labels() -> dict[str, dict[str, str]]:
    """Return {facet: {code: label}} in the user's language (kept per process: do not change it)."""
    language = str(get_locale() or "nl")
    return cache.kept(f"facet_labels:{language}", _all_facet_labels)


def _all_facet_labels() -> dict[str, dict[str, str]]:
    """Return the labels of every facet, translated once (the labels of a language never change)."""
    labels = {}
    for facet in FILTER_FACETS:
        if facet in ("category", "target_group"):
            labels[facet] = {term.code: str(term_label(term)) for term in vocabulary_terms(facet)}
        elif facet == "area":
            labels[facet] = {area.code: area.name for area in areas.area_rows()}
        elif facet == "language":
            labels[facet] = vocabularies.language_labels()  # any language an import brought (issue #18)
        else:
            labels[facet] = {term.code: str(term.label) for term in vocabularies.VOCABULARIES[facet]}
    return labels


def _known_term(term):
    vocabulary = vocabularies.VOCABULARIES.get(term.taxonomy_code, ())
    return next((known for known in vocabulary if known.code == term.code), None)


def term_label(term: TaxonomyTerm | TermRow) -> str:
    """Return the label of a taxonomy term in the user's language when we know it."""
    known = _known_term(term)
    return known.label if known else term.name


def term_description(term: TaxonomyTerm | TermRow) -> str:
    """Return the description of a taxonomy term in the user's language when we know it."""
    known = _known_term(term)
    return known.description if known and known.description else term.description


def taxonomy_terms(taxonomy_code: str) -> Sequence[TaxonomyTerm]:
    """Return the terms of a taxonomy in display order, as rows of the session (to change or link them)."""
    return db.session.scalars(
        select(TaxonomyTerm)
        .join(TaxonomyTerm.taxonomy)
        .where(Taxonomy.code == taxonomy_code)
        .order_by(TaxonomyTerm.position)
        .options(selectinload(TaxonomyTerm.taxonomy))
    ).all()


def vocabulary_terms(taxonomy_code: str) -> tuple[TermRow, ...]:
    """Return the terms of a taxonomy in display order, as plain values kept per process (cache.py)."""
    return cache.kept("terms", _all_terms).get(taxonomy_code, ())


def _all_terms() -> dict[str, tuple[TermRow, ...]]:
    rows = db.session.execute(
        select(
            TaxonomyTerm.id,
            TaxonomyTerm.code,
            TaxonomyTerm.name,
            TaxonomyTerm.description,
            TaxonomyTerm.position,
            Taxonomy.code.label("taxonomy_code"),
        )
        .join(TaxonomyTerm.taxonomy)
        .order_by(TaxonomyTerm.position, TaxonomyTerm.id)
    )
    terms: dict[str, list[TermRow]] = {}
    for row in rows:
        terms.setdefault(row.taxonomy_code, []).append(TermRow(*row))
    return {code: tuple(rows) for code, rows in terms.items()}


def list_areas() -> Sequence[Area]:
    """Return the areas of the municipality by name."""
    return db.session.scalars(select(Area).order_by(Area.name)).all()


def is_open_now(service: Service, now: datetime) -> bool:
    """Return True when a service is open at a local moment."""
    return hours.is_open(hours.periods_of(service.schedules), now)


def valid_filters(raw: Mapping[str, Iterable[str]]) -> dict[str, list[str]]:
    """Keep only known codes per facet, so unknown values in a URL do nothing."""
    clean = {}
    every_label = all_facet_labels()
    for facet in FILTER_FACETS:
        labels = every_label[facet]
        codes = [code for code in raw.get(facet, ()) if code in labels]
        if codes:
            clean[facet] = list(dict.fromkeys(codes))
    return clean


@functools.cache
def _service_page_query():
    """Return the statement of a service page's service, made once (SQLAlchemy works out a new statement's
    cache key, with its six loader options, again for every object)."""
    return (
        select(Service)
        .where(Service.id == bindparam("service_id"))
        .options(
            joinedload(Service.organization),
            selectinload(Service.categories),
            selectinload(Service.target_groups),
            selectinload(Service.service_areas),
            selectinload(Service.schedules),
            selectinload(Service.location_links).joinedload(ServiceAtLocation.location),
        )
    )


def get_public_service(service_id: int) -> Service:
    """Return a published service with everything its page shows, or raise NotFound."""
    service = db.session.scalars(_service_page_query(), {"service_id": service_id}).first()
    if service is None or not indexing.is_searchable(service):
        raise NotFound(service_id)
    return service


@dataclass
class ServicePage:
    """Everything a service's public page shows."""

    service: Service
    others: Sequence  # rows with the id, slug and name of the organisation's other services
    nearby: list[ListingCard]
    open_now: bool
    now: datetime
    freshness: str = "fresh"  # "stale": "mogelijk verouderd"; "hidden": also left out of search


def service_page(service_id: int, now: datetime | None = None) -> ServicePage:
    """Return a published service with its organisation's other services and similar ones nearby."""
    service = get_public_service(service_id)
    now = now or local_now()
    return ServicePage(
        service,
        other_services_of(service),
        similar_nearby(service),
        is_open_now(service, now),
        now,
        freshness.freshness_state(service, now.date()),
    )


def page_valid_until(service: Service, now: datetime) -> datetime:
    """Return the local moment a service page shown at `now` may change by itself: when the service opens or
    closes ("Nu open", the opening hours), or at midnight (today's hours, the freshness notice)."""
    return hours.next_change(hours.periods_of(service.schedules), now)


def other_services_of(service: Service) -> Sequence:
    """Return the id, slug and name of the organisation's other published services, by name."""
    return db.session.execute(
        select(Service.id, Service.slug, Service.name)
        .where(
            Service.organization_id == service.organization_id,
            Service.id != service.id,
            Service.publication_status == "published",
            Service.status != "defunct",
        )
        .order_by(Service.name)
    ).all()


def public_services_of(organization: Organization) -> Sequence[Service]:
    """Return the published services of an organisation by name."""
    return db.session.scalars(
        select(Service)
        .where(
            Service.organization_id == organization.id,
            Service.publication_status == "published",
            Service.status != "defunct",
        )
        .options(selectinload(Service.categories), selectinload(Service.schedules))
        .order_by(Service.name)
    ).all()


def similar_nearby(service: Service, limit: int = 4, radius_km: float = 10) -> list[ListingCard]:
    """Return public listings of the same main category near this service, nearest first."""
    links = [link for link in service.location_links if link.location.lat is not None]
    if not service.categories or not links:
        return []
    origin = (links[0].location.lat, links[0].location.lon)
    query = search.SearchQuery(
        filters={"category": [service.categories[0].code]},
        origin=origin,
        radius_km=radius_km,
        distance=geo.distance_km,
        sort="distance",
        per_page=limit + len(service.location_links),
        exclude_ids=frozenset(str(link.id) for link in service.location_links) | freshness.hidden_listing_ids(),
    )
    try:
        result = search_backend().search(query)
    except search.SearchError:
        current_app.logger.exception("search for similar services failed")
        return []
    listings = _load_cards(result.hits, local_now())
    seen, unique = {service.id}, []
    for listing in listings:
        if listing.service.id not in seen:
            seen.add(listing.service.id)
            unique.append(listing)
    return unique[:limit]


def get_organization(slug: str) -> tuple[Organization, Sequence[Service]]:
    """Return an organisation that has published services, or raise NotFound."""
    organization = db.session.scalars(
        select(Organization).where(Organization.slug == slug).options(selectinload(Organization.locations))
    ).first()
    if organization is None:
        raise NotFound(slug)
    services = public_services_of(organization)
    if not services:
        raise NotFound(slug)
    return organization, services


def category_counts(municipality_code: str | None = None) -> tuple[tuple[TermRow, int], ...]:
    """Return (term, number of results of its topic page) for every category: the one count of a topic.

    A topic page lists search results: a listing per location of a service, none unchecked so long that
    search leaves it out, and from a municipality's entry page in a region only what serves that
    municipality (`_region_filter`). Its count follows the same rules in SQL, so a tile never promises
    more or fewer results than its page shows. Kept per process, data version and day (cache.py).
    """
    scope = _municipality_scope(municipality_code)
    day = freshness.cutoff("hidden")
    return cache.kept(f"category_counts:{scope}", lambda: _category_counts(day, scope), day)


def _category_counts(hidden_from: date, code: str | None) -> tuple[tuple[TermRow, int], ...]:
    statement = (
        select(TaxonomyTerm.id, func.count(ServiceAtLocation.id))
        .select_from(ServiceAtLocation)
        .join(ServiceAtLocation.service)
        .join(Service.categories)
        .where(
            # indexing.is_searchable and freshness.hidden_listing_ids, as the search applies them
            Service.publication_status == "published",
            Service.status != "defunct",
            ~freshness.checked_by(hidden_from),
        )
        .group_by(TaxonomyTerm.id)
    )
    if code is not None:
        statement = statement.where(municipalities.serves_municipality(code))
    counts: dict[int, int] = dict(db.session.execute(statement).all())
    return tuple((term, counts.get(term.id, 0)) for term in vocabulary_terms("category"))


def get_category(code: str) -> TermRow:
    """Return a category term, or raise NotFound."""
    for term in vocabulary_terms("category"):
        if term.code == code:
            return term
    raise NotFound(code)


def reindex_all() -> int:
    """Rebuild the search index from the database; return the number of documents."""
    return search_backend().rebuild(indexing.documents())


def ensure_taxonomies() -> None:
    """Create the category and target-group taxonomies and their terms (idempotent)."""
    specs = (
        ("category", "Categorieën", "Soorten hulp en activiteiten", vocabularies.CATEGORIES),
        ("target_group", "Doelgroepen", "Voor wie een voorziening bedoeld is", vocabularies.TARGET_GROUPS),
    )
    for code, name, description, terms in specs:
        taxonomy = db.session.scalars(select(Taxonomy).where(Taxonomy.code == code)).first()
        if taxonomy is None:
            taxonomy = Taxonomy(code=code, name=name, description=description, uuid=hsds.taxonomy_id(code))
            db.session.add(taxonomy)
            db.session.flush()
        existing = {term.code for term in taxonomy.terms}
        for position, term in enumerate(terms):
            if term.code not in existing:
                db.session.add(
                    TaxonomyTerm(
                        taxonomy=taxonomy,
                        code=term.code,
                        position=position,
                        uuid=hsds.term_id(code, term.code),
                        name=str(term.label),
                        description=str(term.description),
                    )
                )
    transactions.commit()
