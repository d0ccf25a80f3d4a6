"""Editor use cases: join or register an organisation, and propose listings for review (issue #3).

An editor never changes what the public sees directly. Editing a published service (or an
organisation or location that published services show) stores one pending ChangeRequest
with the proposed snapshot; the live row stays as it is until a broker approves it
(moderation.py). A new service is a live row with publication_status "pending", which
public pages and search leave out, plus a ChangeRequest(action="create").
"""

import itertools
from dataclasses import dataclass, field
from typing import cast

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from .. import clock, geo, transactions
from ..accounts import permissions
from ..accounts.models import Membership
from ..accounts.queries import brokers_of_areas
from ..errors import NotFound, PermissionDenied, ValidationError
from ..extensions import db
from ..geo import normal_postcode
from ..notify import services as notify
from ..params import valid_email, valid_phone
from . import hours, vocabularies
from .areas import area_of_postcode4
from .formats import slugify, valid_url  # also used as editing.slugify, editing.valid_url
from .models import Area, ChangeRequest, HistoryEntry, Location, Organization, Schedule, Service, ServiceAtLocation

MAX_NAME = 200
MAX_SUMMARY = 300
MAX_TEXT = 5000
MAX_MESSAGE = 1000
PERIODS_PER_DAY = 3  # morning, afternoon, evening: the form shows this many per weekday

ORGANIZATION_FIELDS = ("name", "description", "email", "website", "phone")
SERVICE_FIELDS = (
    "name",
    "summary",
    "description",
    "for_whom",
    "how_to_apply",
    "categories",
    "target_groups",
    "pyramid_level",
    "access_route",
    "cost",
    "cost_note",
    "modes",
    "languages",
    "service_areas",
    "locations",
    "schedules",
    "phone",
    "email",
    "url",
    "minimum_age",
    "maximum_age",
)
LOCATION_FIELDS = (
    "name",
    "description",
    "address_1",
    "postal_code",
    "city",
    "transportation",
    "accessibility",
    "area",
    "lat",
    "lon",
)
FIELDS = {"organization": ORGANIZATION_FIELDS, "service": SERVICE_FIELDS, "location": LOCATION_FIELDS}

FIELD_LABELS = {
    "name": _l("Naam"),
    "description": _l("Beschrijving"),
    "email": _l("E-mailadres"),
    "website": _l("Website"),
    "phone": _l("Telefoonnummer"),
    "summary": _l("Korte omschrijving"),
    "for_whom": _l("Voor wie"),
    "how_to_apply": _l("Hoe meldt u zich aan"),
    "categories": _l("Categorieën"),
    "target_groups": _l("Doelgroepen"),
    "pyramid_level": _l("Soort voorziening"),
    "access_route": _l("Toegang"),
    "cost": _l("Kosten"),
    "cost_note": _l("Toelichting kosten"),
    "modes": _l("Waar of hoe"),
    "languages": _l("Talen"),
    "service_areas": _l("Werkgebied"),
    "locations": _l("Locaties"),
    "schedules": _l("Openingstijden"),
    "url": _l("Website"),
    "minimum_age": _l("Minimumleeftijd"),
    "maximum_age": _l("Maximumleeftijd"),
    "address_1": _l("Adres"),
    "postal_code": _l("Postcode"),
    "city": _l("Plaats"),
    "transportation": _l("Bereikbaarheid"),
    "accessibility": _l("Toegankelijkheid"),
    "area": _l("Dorp of wijk"),
    "lat": _l("Breedtegraad"),
    "lon": _l("Lengtegraad"),
}

KIND_LABELS = {
    "organization": _l("Organisatie"),
    "service": _l("Aanbod"),
    "location": _l("Locatie"),
}

ACTION_LABELS = {
    "created": _l("Aangemaakt"),
    "proposed": _l("Voorgesteld"),
    "edited": _l("Gewijzigd"),
    "edited_by_broker": _l("Aangepast door sociaal makelaar"),
    "approved": _l("Goedgekeurd en gepubliceerd"),
    "returned": _l("Teruggestuurd"),
    "withdrawn": _l("Ingetrokken"),
    "checked": _l("Gecontroleerd"),
}


# --- names -----------------------------------------------------------------------------------


# --- snapshots: the field values of a listing as plain JSON ------------------------------------


def _text(value):
    return (value or "").strip() if isinstance(value, str) or value is None else value


def snapshot_organization(organization):
    """Return the editable values of an organisation."""
    return {name: getattr(organization, name) or "" for name in ORGANIZATION_FIELDS}


def snapshot_location(location):
    """Return the editable (and derived) values of a location."""
    values = {name: getattr(location, name) for name in LOCATION_FIELDS if name != "area"}
    values["accessibility"] = list(location.accessibility or [])
    values["area"] = location.area.code if location.area is not None else None
    return values


def _time_text(value):
    return value.strftime("%H:%M")


def snapshot_service(service):
    """Return the editable values of a service, with codes for terms and ids for locations."""
    return {
        "name": service.name,
        "summary": service.summary or "",
        "description": service.description or "",
        "for_whom": service.for_whom or "",
        "how_to_apply": service.how_to_apply or "",
        "categories": [term.code for term in service.categories],
        "target_groups": [term.code for term in service.target_groups],
        "pyramid_level": service.pyramid_level,
        "access_route": service.access_route,
        "cost": list(service.cost or []),
        "cost_note": service.cost_note or "",
        "modes": list(service.modes or []),
        "languages": list(service.languages or []),
        "service_areas": sorted(area.code for area in service.service_areas),
        "locations": sorted(link.location_id for link in service.location_links),
        "schedules": sorted([s.weekday, _time_text(s.opens_at), _time_text(s.closes_at)] for s in service.schedules),
        "phone": service.phone or "",
        "email": service.email or "",
        "url": service.url or "",
        "minimum_age": service.minimum_age,
        "maximum_age": service.maximum_age,
    }


def snapshot(kind, target):
    """Return the snapshot of a live organisation, service or location."""
    return {"organization": snapshot_organization, "service": snapshot_service, "location": snapshot_location}[kind](
        target
    )


def changed_fields(old, new, kind):
    """Return {field: [old, new]} for the fields whose values differ."""
    return {
        name: [old.get(name), new.get(name)]
        for name in FIELDS[kind]
        if name in new and comparable(old.get(name)) != comparable(new.get(name))
    }


def comparable(value):
    return None if value in ("", [], None) else value


def apply_organization(organization, values, names=ORGANIZATION_FIELDS):
    """Copy snapshot values onto an organisation row."""
    for name in names:
        setattr(organization, name, values[name] or (None if name in ("email", "website", "phone") else ""))


def apply_location(location, values, names=LOCATION_FIELDS):
    """Copy snapshot values onto a location row (the area by code)."""
    for name in names:
        if name == "area":
            code = values["area"]
            location.area = db.session.scalars(select(Area).where(Area.code == code)).first() if code else None
        else:
            setattr(location, name, values[name])


def apply_service(service, values, names=SERVICE_FIELDS):
    """Copy snapshot values onto a service row, its terms, areas, locations and schedules."""
    for name in names:
        value = values[name]
        if name in ("categories", "target_groups"):
            terms = _terms_by_code("category" if name == "categories" else "target_group")
            setattr(service, name, [terms[code] for code in value if code in terms])
        elif name == "service_areas":
            areas = db.session.scalars(select(Area).where(Area.code.in_(value or []))).all()
            service.service_areas = sorted(areas, key=lambda area: area.name)
        elif name == "locations":
            keep = {link.location_id: link for link in service.location_links}
            service.location_links = [
                keep.get(location_id) or ServiceAtLocation(location_id=location_id) for location_id in value
            ]
        elif name == "schedules":
            # keep the rows (and their HSDS ids) of opening times that did not change
            keep = {(s.weekday, s.opens_at, s.closes_at): s for s in service.schedules}
            wanted = [(weekday, hours.parse_time(opens), hours.parse_time(closes)) for weekday, opens, closes in value]
            service.schedules = [
                keep.pop(key, None) or Schedule(weekday=key[0], opens_at=key[1], closes_at=key[2]) for key in wanted
            ]
        elif name in ("phone", "email", "url"):
            setattr(service, name, value or None)
        else:
            setattr(service, name, value)


def apply(kind, target, values, names=None):
    """Copy snapshot values onto a live row of a kind."""
    function = {"organization": apply_organization, "service": apply_service, "location": apply_location}[kind]
    function(target, values, *(() if names is None else (names,)))


def _terms_by_code(taxonomy_code):
    from .services import taxonomy_terms

    return {term.code: term for term in taxonomy_terms(taxonomy_code)}


# --- cleaning: turn submitted values into a valid snapshot ------------------------------------


def _check_length(values, name, limit, required=False):
    value = _text(values.get(name))
    if required and not value:
        raise ValidationError(name, _("Vul %(field)s in.", field=str(FIELD_LABELS[name]).lower()))
    if len(value) > limit:
        raise ValidationError(
            name, _("Typ bij %(field)s hoogstens %(max)d tekens.", field=str(FIELD_LABELS[name]).lower(), max=limit)
        )
    return value


def _check_contact(values, prefix=""):
    clean = {}
    for name, check, message in (
        ("phone", valid_phone, _l("Typ een telefoonnummer van 10 cijfers, zoals 0343 123 456, of met +31.")),
        ("email", valid_email, _l("Typ een e-mailadres zoals naam@voorbeeld.nl.")),
        ("url", valid_url, _l("Typ een webadres dat begint met https:// of http://.")),
        ("website", valid_url, _l("Typ een webadres dat begint met https:// of http://.")),
    ):
        if name not in values:
            continue
        value = _text(values.get(name))
        if value and not check(value):
            raise ValidationError(prefix + name, str(message))
        clean[name] = value
    return clean


def _codes(values, name, vocabulary, allowed=None):
    chosen = list(dict.fromkeys(values.get(name) or []))
    known = allowed if allowed is not None else set(vocabularies.codes(vocabulary))
    unknown = [code for code in chosen if code not in known]
    if unknown:
        raise ValidationError(name, _("Kies bij %(field)s alleen uit de lijst.", field=str(FIELD_LABELS[name]).lower()))
    order = list(allowed) if allowed is not None else vocabularies.codes(vocabulary)
    return sorted(chosen, key=order.index)


def clean_schedules(periods):
    """Return sorted [weekday, 'HH:MM', 'HH:MM'] periods, or raise ValidationError for a bad one."""
    clean = []
    for weekday, opens, closes in periods:
        opens_at, closes_at = hours.parse_time(opens), hours.parse_time(closes)
        if not (isinstance(weekday, int) and 0 <= weekday <= 6) or opens_at is None or closes_at is None:
            raise ValidationError("schedules", _("Typ openingstijden als uu:mm, bijvoorbeeld 09:00."))
        if closes_at <= opens_at:
            raise ValidationError("schedules", _("Een sluitingstijd moet na de openingstijd liggen."))
        clean.append([weekday, _time_text(opens_at), _time_text(closes_at)])
    clean.sort()
    for weekday in range(7):
        if sum(1 for period in clean if period[0] == weekday) > PERIODS_PER_DAY:
            raise ValidationError(
                "schedules", _("Geef per dag hoogstens %(count)d openingstijden op.", count=PERIODS_PER_DAY)
            )
    for first, second in itertools.pairwise(clean):
        if first[0] == second[0] and second[1] < first[2]:
            raise ValidationError("schedules", _("Twee openingstijden op dezelfde dag mogen niet overlappen."))
    return clean


def clean_service_values(values, organization_id, current_location_ids=()):
    """Return a complete, valid service snapshot from submitted values, or raise ValidationError.

    Locations must be the organisation's own, or ones the service is already given at (a
    community centre of another organisation, say), so an edit never has to drop those.
    """
    clean = {
        "name": _check_length(values, "name", MAX_NAME, required=True),
        "summary": _check_length(values, "summary", MAX_SUMMARY),
        "description": _check_length(values, "description", MAX_TEXT),
        "for_whom": _check_length(values, "for_whom", MAX_TEXT),
        "how_to_apply": _check_length(values, "how_to_apply", MAX_TEXT),
        "cost_note": _check_length(values, "cost_note", MAX_TEXT),
    }
    categories = [term.code for term in _terms_by_code("category").values()]
    clean["categories"] = _codes(values, "categories", None, categories)
    if not clean["categories"]:
        raise ValidationError("categories", _("Kies minstens één categorie."))
    clean["target_groups"] = _codes(
        values, "target_groups", None, [term.code for term in _terms_by_code("target_group").values()]
    )
    for name, vocabulary in (
        ("pyramid_level", vocabularies.PYRAMID_LEVELS),
        ("access_route", vocabularies.ACCESS_ROUTES),
    ):
        value = values.get(name)
        if value not in vocabularies.codes(vocabulary):
            raise ValidationError(
                name, _("Kies bij %(field)s een van de mogelijkheden.", field=str(FIELD_LABELS[name]).lower())
            )
        clean[name] = value
    clean["cost"] = _codes(values, "cost", vocabularies.COSTS)
    clean["modes"] = _codes(values, "modes", vocabularies.MODES)
    clean["languages"] = _codes(
        values, "languages", None, [code for code, _label in language_choices(values.get("languages"))]
    )
    areas = [area.code for area in db.session.scalars(select(Area).order_by(Area.name))]
    clean["service_areas"] = sorted(_codes(values, "service_areas", None, areas))
    own = set(db.session.scalars(select(Location.id).where(Location.organization_id == organization_id)))
    own |= set(current_location_ids)
    chosen = sorted({int(value) for value in values.get("locations") or []})
    if any(location_id not in own for location_id in chosen):
        raise ValidationError("locations", _("Kies alleen locaties van uw eigen organisatie."))
    clean["locations"] = chosen
    clean["schedules"] = clean_schedules(values.get("schedules") or [])
    clean.update(_check_contact({name: values.get(name) for name in ("phone", "email", "url")}))
    for name in ("minimum_age", "maximum_age"):
        value = values.get(name)
        if value not in (None, "") and not (isinstance(value, int) and 0 <= value <= 120):
            raise ValidationError(name, _("Typ een leeftijd van 0 tot en met 120."))
        clean[name] = value if value not in (None, "") else None
    if (
        clean["minimum_age"] is not None
        and clean["maximum_age"] is not None
        and clean["maximum_age"] < clean["minimum_age"]
    ):
        raise ValidationError("maximum_age", _("De maximumleeftijd mag niet lager zijn dan de minimumleeftijd."))
    return clean


def clean_organization_values(values):
    """Return a valid organisation snapshot, or raise ValidationError."""
    clean = {
        "name": _check_length(values, "name", MAX_NAME, required=True),
        "description": _check_length(values, "description", MAX_TEXT),
    }
    clean.update(_check_contact({name: values.get(name) for name in ("email", "website", "phone")}))
    return clean


def clean_location_values(values, geocoder):
    """Return a valid location snapshot with coordinates and area from the postcode."""
    clean = {
        "name": _check_length(values, "name", MAX_NAME, required=True),
        "description": _check_length(values, "description", MAX_TEXT),
        "address_1": _check_length(values, "address_1", MAX_NAME, required=True),
        "city": _check_length(values, "city", 120),
        "transportation": _check_length(values, "transportation", MAX_TEXT),
    }
    clean["accessibility"] = _codes(values, "accessibility", vocabularies.ACCESSIBILITY)
    typed = _text(values.get("postal_code"))
    postcode = normal_postcode(typed)
    if postcode is None:
        raise ValidationError("postal_code", _("Typ een postcode van 4 cijfers en 2 letters, zoals 3941 AB."))
    try:
        place = geocoder.resolve(postcode)
    except geo.UnknownLocation:
        raise ValidationError(
            "postal_code", _("We kennen postcode ‘%(query)s’ niet. Kijk of de postcode klopt.", query=typed)
        ) from None
    clean["postal_code"] = postcode
    clean["city"] = clean["city"] or (place.place or "")
    clean["lat"], clean["lon"] = round(place.lat, 6), round(place.lon, 6)
    clean["area"] = area_code_of_postcode(postcode[:4])
    return clean


def area_code_of_postcode(postcode4):
    """Return the code of the area whose postcodes include a four-digit postcode, or None."""
    area = area_of_postcode4(postcode4)
    return area.code if area is not None else None


# --- permission helpers -----------------------------------------------------------------------


def require_editor(user, organization_id):
    """Raise PermissionDenied unless a confirmed user may edit the organisation's listings."""
    permissions.require_organization_editor(user, organization_id)
    if not user.email_confirmed:
        raise PermissionDenied("e-mail address not confirmed")


def require_confirmed(user):
    """Raise PermissionDenied unless a logged-in user has confirmed their e-mail address."""
    permissions.require_login(user)
    if not user.email_confirmed:
        raise PermissionDenied("e-mail address not confirmed")


def _registration_of(organization_id):
    """Return the latest create request of an organisation that was registered here, if any."""
    return db.session.scalars(
        select(ChangeRequest)
        .where(
            ChangeRequest.kind == "organization",
            ChangeRequest.action == "create",
            ChangeRequest.target_id == organization_id,
        )
        .order_by(ChangeRequest.id.desc())
    ).first()


def _is_unapproved_registrant(user, organization_id):
    """Return True when the user registered this organisation and no broker approved it yet."""
    if not permissions.is_authenticated(user) or not user.email_confirmed:
        return False
    registration = _registration_of(organization_id)
    return (
        registration is not None
        and registration.status in ("pending", "returned")
        and registration.submitted_by_id == user.id
    )


def may_view_organization(user, organization_id):
    """Return True for editors of the organisation, its unapproved registrant and admins."""
    return permissions.may_edit_organization(user, organization_id) or _is_unapproved_registrant(user, organization_id)


# --- loading ------------------------------------------------------------------------------------


def get_organization(organization_id):
    """Return an organisation, or raise NotFound."""
    organization = db.session.get(Organization, organization_id)
    if organization is None:
        raise NotFound(organization_id)
    return organization


def get_service(service_id):
    """Return a service with everything its edit form shows, or raise NotFound."""
    service = db.session.scalars(
        select(Service)
        .where(Service.id == service_id)
        .options(
            selectinload(Service.organization),
            selectinload(Service.categories),
            selectinload(Service.target_groups),
            selectinload(Service.service_areas),
            selectinload(Service.schedules),
            selectinload(Service.location_links).selectinload(ServiceAtLocation.location).selectinload(Location.area),
        )
    ).first()
    if service is None:
        raise NotFound(service_id)
    return service


def get_location(location_id):
    """Return a location, or raise NotFound."""
    location = db.session.get(Location, location_id)
    if location is None or location.organization_id is None:
        raise NotFound(location_id)
    return location


def load_target(kind, target_id):
    """Return the live row of a kind, or raise NotFound."""
    return {"organization": get_organization, "service": get_service, "location": get_location}[kind](target_id)


def pending_change(kind, target_id):
    """Return the pending change request of a listing, or None."""
    return db.session.scalars(
        select(ChangeRequest).where(
            ChangeRequest.kind == kind, ChangeRequest.target_id == target_id, ChangeRequest.status == "pending"
        )
    ).first()


def latest_change(kind, target_id):
    """Return the most recent change request of a listing, or None."""
    return db.session.scalars(
        select(ChangeRequest)
        .where(ChangeRequest.kind == kind, ChangeRequest.target_id == target_id)
        .order_by(ChangeRequest.id.desc())
    ).first()


# --- the editor's workspace ------------------------------------------------------------------


@dataclass
class OrganizationOverview:
    """An organisation with its services and locations and their review status."""

    organization: Organization
    status: str  # published / pending / returned / draft
    change: ChangeRequest | None  # the latest request about the organisation itself
    services: list = field(default_factory=list)  # [(service, status, change)]
    locations: list = field(default_factory=list)  # [(location, status, change)]
    may_edit: bool = False


def listing_status(kind, target, change):
    """Return the badge of a listing: published, pending, returned or draft."""
    if change is not None and change.status == "pending":
        return "pending"
    if change is not None and change.status == "returned":
        return "returned"
    if kind == "service":
        return {"published": "published", "pending": "pending"}.get(target.publication_status, "draft")
    return "published" if change is None or change.status == "approved" else "draft"


STATUS_LABELS = {
    "published": _l("Gepubliceerd"),
    "pending": _l("Ter controle"),
    "returned": _l("Teruggestuurd"),
    "draft": _l("Concept"),
}


def list_my_organizations(by):
    """Return the organisations a user edits (active memberships), by name."""
    permissions.require_login(by)
    if not by.organization_ids:
        return []
    return db.session.scalars(
        select(Organization).where(Organization.id.in_(by.organization_ids)).order_by(Organization.name)
    ).all()


def my_changes(by):
    """Return the user's pending and returned change requests, newest first."""
    permissions.require_login(by)
    return db.session.scalars(
        select(ChangeRequest)
        .where(ChangeRequest.submitted_by_id == by.id, ChangeRequest.status.in_(("pending", "returned")))
        .options(selectinload(ChangeRequest.organization))
        .order_by(ChangeRequest.updated_at.desc(), ChangeRequest.id.desc())
    ).all()


def my_memberships(by):
    """Return the user's membership requests that are not active (requested or refused)."""
    permissions.require_login(by)
    return [m for m in by.memberships if m.status in ("requested", "refused")]


def change_title(change):
    """Return the name a change request is about (the proposal's name when it has one)."""
    name = (change.data or {}).get("name")
    if name:
        return name
    target = {"organization": Organization, "service": Service, "location": Location}[change.kind]
    row = cast(Organization | Service | Location | None, db.session.get(target, change.target_id))
    return row.name if row is not None else f"#{change.target_id}"


def organization_overview(organization_id, by):
    """Return an organisation with its listings and their status, for its editors."""
    organization = get_organization(organization_id)
    permissions.require_login(by)
    if not may_view_organization(by, organization_id):
        raise PermissionDenied(f"not an editor of organisation {organization_id}")
    requests = db.session.scalars(
        select(ChangeRequest).where(ChangeRequest.organization_id == organization_id).order_by(ChangeRequest.id)
    ).all()
    latest = {(change.kind, change.target_id): change for change in requests}
    services = db.session.scalars(
        select(Service).where(Service.organization_id == organization_id).order_by(Service.name)
    ).all()
    locations = db.session.scalars(
        select(Location).where(Location.organization_id == organization_id).order_by(Location.name)
    ).all()
    own_change = latest.get(("organization", organization_id))
    return OrganizationOverview(
        organization=organization,
        status=listing_status("organization", organization, own_change),
        change=own_change,
        services=[
            (s, listing_status("service", s, latest.get(("service", s.id))), latest.get(("service", s.id)))
            for s in services
        ],
        locations=[
            (loc, listing_status("location", loc, latest.get(("location", loc.id))), latest.get(("location", loc.id)))
            for loc in locations
        ],
        may_edit=permissions.may_edit_organization(by, organization_id),
    )


def draft_values(kind, target):
    """Return the values an edit form starts from: a pending or returned proposal, else the live row."""
    change = latest_change(kind, target.id)
    if change is not None and change.status in ("pending", "returned"):
        return {**snapshot(kind, target), **change.data}, change
    return snapshot(kind, target), change


def organization_for_editing(organization_id, by):
    """Return (organisation, form values, latest change) for its editor's form."""
    organization = get_organization(organization_id)
    if not _is_unapproved_registrant(by, organization_id):
        require_editor(by, organization_id)
    values, change = draft_values("organization", organization)
    return organization, values, change


def organization_for_new_listing(organization_id, by):
    """Return an organisation its editor may add a service or location to."""
    organization = get_organization(organization_id)
    require_editor(by, organization_id)
    return organization


def service_for_editing(service_id, by):
    """Return (service, form values, latest change) for its editor's form."""
    service = get_service(service_id)
    require_editor(by, service.organization_id)
    values, change = draft_values("service", service)
    return service, values, change


def location_for_editing(location_id, by):
    """Return (location, form values, latest change) for its editor's form."""
    location = get_location(location_id)
    require_editor(by, location.organization_id)
    values, change = draft_values("location", location)
    return location, values, change


# --- memberships and registration --------------------------------------------------------------


def find_organizations(text, limit=50):
    """Return organisations whose name contains the text (all when empty), by name."""
    query = select(Organization).order_by(Organization.name)
    text = (text or "").strip()[:100]
    if text:
        pattern = f"%{text.replace('%', '').replace('_', '')}%"
        query = query.where(or_(Organization.name.ilike(pattern), Organization.alternate_name.ilike(pattern)))
    return db.session.scalars(query.limit(limit)).all()


def organization_area_ids(organization_id):
    """Return the area ids of an organisation: its services' areas and its locations' areas."""
    from sqlalchemy import union

    from .models import service_areas

    located = select(Location.area_id).where(Location.organization_id == organization_id, Location.area_id.is_not(None))
    served = (
        select(service_areas.c.area_id)
        .join(Service, Service.id == service_areas.c.service_id)
        .where(Service.organization_id == organization_id)
    )
    return set(db.session.scalars(union(located, served)))


def _notify_brokers(area_ids, template, **context):
    for broker in brokers_of_areas(area_ids):
        notify.queue_message(broker.email, template, broker.language, recipient=broker, **context)


def request_membership(organization_id, message, by):
    """Ask to become an editor of an organisation; brokers of its areas get an e-mail."""
    require_confirmed(by)
    organization = get_organization(organization_id)
    message = (message or "").strip()
    if len(message) > MAX_MESSAGE:
        raise ValidationError("message", _("Typ hoogstens %(max)d tekens.", max=MAX_MESSAGE))
    membership = next((m for m in by.memberships if m.organization_id == organization_id), None)
    if membership is not None and membership.status == "active":
        raise ValidationError(None, _("U bent al redacteur van deze organisatie."))
    if membership is not None and membership.status == "requested":
        raise ValidationError(None, _("U heeft al gevraagd om lid te worden. Een sociaal makelaar bekijkt dat."))
    if membership is None:
        membership = Membership(user=by, organization=organization)
        db.session.add(membership)
    membership.status, membership.message = "requested", message
    membership.requested_at, membership.decided_at, membership.decided_by_id = clock.naive_utcnow(), None, None
    db.session.flush()
    _notify_brokers(
        organization_area_ids(organization_id),
        "membership_requested",
        membership=membership,
        organization=organization,
        requester=by,
        url=notify.external_url("workspace.membership", membership_id=membership.id),
    )
    transactions.commit()
    return membership


def _unique_slug(model, name):
    base = slugify(name)
    slug, number = base, 1
    while db.session.scalars(select(model.id).where(model.slug == slug)).first() is not None:
        number += 1
        slug = f"{base}-{number}"
    return slug


def _add_creation(kind, target_id, organization_id, clean, by):
    """Add the change request that holds a new listing until a broker approves it; return it."""
    change = ChangeRequest(
        kind=kind,
        target_id=target_id,
        organization_id=organization_id,
        action="create",
        data=clean,
        base={},
        submitted_by_id=by.id,
    )
    db.session.add(change)
    return change


def register_organization(values, by):
    """Register a new organisation: it waits for a broker, who also approves the user as its editor."""
    require_confirmed(by)
    clean = clean_organization_values(values)
    message = _text(values.get("message"))[:MAX_MESSAGE]
    existing = db.session.scalars(
        select(Organization).where(Organization.name.ilike(clean["name"].replace("%", "")))
    ).first()
    if existing is not None:
        raise ValidationError("name", _("Er is al een organisatie met deze naam. Vraag dan of u lid mag worden."))
    organization = Organization(slug=_unique_slug(Organization, clean["name"]))
    apply_organization(organization, clean)
    db.session.add(organization)
    db.session.flush()
    change = _add_creation("organization", organization.id, organization.id, clean, by)
    db.session.add(Membership(user=by, organization=organization, status="requested", message=message))
    db.session.flush()
    record_history(
        "organization",
        organization.id,
        organization.id,
        "proposed",
        changed_fields({}, clean, "organization"),
        by,
        change,
    )
    _notify_brokers(
        set(),
        "organization_registered",
        organization=organization,
        requester=by,
        message=message,
        url=notify.external_url("workspace.change", change_id=change.id),
    )
    transactions.commit()
    return organization


# --- proposing changes ---------------------------------------------------------------------------


def record_history(kind, target_id, organization_id, action, changes, by, change=None, comment=""):
    entry = HistoryEntry(
        kind=kind,
        target_id=target_id,
        organization_id=organization_id,
        action=action,
        changes=changes,
        comment=comment,
        actor_id=by.id if by is not None else None,
        change_request=change,
        at=clock.naive_utcnow(),
    )
    db.session.add(entry)
    return entry


def listing_area_ids(kind, target, values=None):
    """Return the area ids a listing belongs to (live and, when given, proposed values)."""
    ids = set()
    if kind == "service":
        ids |= {area.id for area in target.service_areas}
        ids |= {link.location.area_id for link in target.location_links if link.location.area_id}
        if values:
            codes = values.get("service_areas") or []
            ids |= set(db.session.scalars(select(Area.id).where(Area.code.in_(codes)))) if codes else set()
            locations = values.get("locations") or []
            ids |= (
                set(
                    db.session.scalars(
                        select(Location.area_id).where(Location.id.in_(locations), Location.area_id.is_not(None))
                    )
                )
                if locations
                else set()
            )
    elif kind == "location":
        if target.area_id:
            ids.add(target.area_id)
        if values and values.get("area"):
            ids |= set(db.session.scalars(select(Area.id).where(Area.code == values["area"])))
    else:
        ids |= organization_area_ids(target.id)
    return ids


def _announce_change(kind, target, change, by, values=None):
    """E-mail the brokers of a listing's areas (live and, when given, proposed) that a change waits for review."""
    _notify_brokers(
        listing_area_ids(kind, target, values),
        "change_submitted",
        change=change,
        title=(values or {}).get("name") or target.name,
        editor=by,
        url=notify.external_url("workspace.change", change_id=change.id),
    )


def _submit(kind, target, organization_id, clean, by, action="update"):
    """Store a proposal as the listing's one pending change request; return it."""
    live = snapshot(kind, target)
    change = pending_change(kind, target.id)
    first = change is None
    if first:
        if action == "update" and not changed_fields(live, clean, kind):
            raise ValidationError(None, _("U heeft niets gewijzigd."))
        change = ChangeRequest(
            kind=kind,
            target_id=target.id,
            organization_id=organization_id,
            action=action,
            base=live if action == "update" else {},
            data=clean,
        )
        db.session.add(change)
    else:
        change.data = clean
    change.submitted_by_id, change.submitted_at = by.id, clock.naive_utcnow()
    db.session.flush()
    record_history(
        kind,
        target.id,
        organization_id,
        "proposed",
        changed_fields(live if action == "update" else {}, clean, kind),
        by,
        change,
    )
    if first:
        _announce_change(kind, target, change, by, clean)
    return change


def commit_edit():
    try:
        transactions.commit()
    except IntegrityError:
        db.session.rollback()
        raise ValidationError(
            None, _("Iemand anders heeft net een wijziging ingediend. Probeer het opnieuw.")
        ) from None


def propose_service_change(service_id, values, by):
    """Propose new values for a service: published ones wait for review, unpublished ones are updated."""
    service = get_service(service_id)
    require_editor(by, service.organization_id)
    clean = clean_service_values(values, service.organization_id, current_location_ids(service))
    if service.publication_status == "published":
        change = _submit("service", service, service.organization_id, clean, by)
    else:
        # not public yet: the row itself holds the proposal; a broker publishes it
        old = snapshot_service(service)
        apply_service(service, clean)
        service.publication_status = "pending"
        change = pending_change("service", service.id)
        if change is None:
            change = _add_creation("service", service.id, service.organization_id, clean, by)
            first = True
        else:
            change.data, change.submitted_by_id, first = clean, by.id, False
        change.submitted_at = clock.naive_utcnow()
        db.session.flush()
        record_history(
            "service",
            service.id,
            service.organization_id,
            "proposed",
            changed_fields(old, clean, "service"),
            by,
            change,
        )
        if first:
            _announce_change("service", service, change, by)
    commit_edit()
    return change


def create_service(organization_id, values, by):
    """Add a service to an organisation; it is hidden until a broker approves it."""
    organization = get_organization(organization_id)
    require_editor(by, organization_id)
    clean = clean_service_values(values, organization_id)
    service = Service(
        organization=organization,
        slug=_unique_slug(Service, clean["name"]),
        publication_status="pending",
        pyramid_level=clean["pyramid_level"],
        access_route=clean["access_route"],
        name=clean["name"],
    )
    db.session.add(service)
    apply_service(service, clean)
    db.session.flush()
    change = _add_creation("service", service.id, organization_id, clean, by)
    db.session.flush()
    record_history("service", service.id, organization_id, "proposed", changed_fields({}, clean, "service"), by, change)
    _announce_change("service", service, change, by)
    commit_edit()
    return service


def _is_public_organization(organization_id):
    return (
        db.session.scalars(
            select(Service.id).where(
                Service.organization_id == organization_id, Service.publication_status == "published"
            )
        ).first()
        is not None
    )


def propose_organization_change(organization_id, values, by):
    """Change an organisation: reviewed when published services show it, else applied at once.

    Returns the change request, or None when the change was applied directly.
    """
    organization = get_organization(organization_id)
    if not _is_unapproved_registrant(by, organization_id):
        require_editor(by, organization_id)
    clean = clean_organization_values(values)
    registration = _registration_of(organization_id)
    if registration is not None and registration.status in ("pending", "returned"):
        # a registration not yet approved: the row is not public, the request holds the proposal
        apply_organization(organization, clean)
        change = _submit("organization", organization, organization_id, clean, by, action="create")
    elif _is_public_organization(organization_id):
        change = _submit("organization", organization, organization_id, clean, by)
    else:
        changes = changed_fields(snapshot_organization(organization), clean, "organization")
        if not changes:
            raise ValidationError(None, _("U heeft niets gewijzigd."))
        apply_organization(organization, clean)
        record_history("organization", organization_id, organization_id, "edited", changes, by)
        change = None
    commit_edit()
    return change


def _is_public_location(location_id):
    return (
        db.session.scalars(
            select(ServiceAtLocation.id)
            .join(ServiceAtLocation.service)
            .where(ServiceAtLocation.location_id == location_id, Service.publication_status == "published")
        ).first()
        is not None
    )


def create_location(organization_id, values, by, geocoder=None):
    """Add a location to an organisation (public only once a published service uses it)."""
    from .services import geocoder as app_geocoder

    organization = get_organization(organization_id)
    require_editor(by, organization_id)
    clean = clean_location_values(values, geocoder or app_geocoder())
    location = Location(organization=organization)
    db.session.add(location)
    apply_location(location, clean)
    db.session.flush()
    record_history("location", location.id, organization_id, "created", changed_fields({}, clean, "location"), by)
    commit_edit()
    return location


def propose_location_change(location_id, values, by, geocoder=None):
    """Change a location: reviewed when a published service is given there, else applied at once.

    Returns the change request, or None when the change was applied directly.
    """
    from .services import geocoder as app_geocoder

    location = get_location(location_id)
    require_editor(by, location.organization_id)
    clean = clean_location_values(values, geocoder or app_geocoder())
    if _is_public_location(location_id):
        change = _submit("location", location, location.organization_id, clean, by)
    else:
        changes = changed_fields(snapshot_location(location), clean, "location")
        if not changes:
            raise ValidationError(None, _("U heeft niets gewijzigd."))
        apply_location(location, clean)
        record_history("location", location_id, location.organization_id, "edited", changes, by)
        change = None
    commit_edit()
    return change


def withdraw_change(change_id, by):
    """Withdraw one's pending proposal; a withdrawn new service goes back to draft."""
    change = db.session.get(ChangeRequest, change_id)
    if change is None:
        raise NotFound(change_id)
    permissions.require_login(by)
    if change.submitted_by_id != by.id and not permissions.may_edit_organization(by, change.organization_id):
        raise PermissionDenied("not the editor of this change")
    if change.status != "pending":
        raise ValidationError(None, _("Deze wijziging is al afgehandeld."))
    change.status, change.decided_at = "withdrawn", clock.naive_utcnow()
    if change.kind == "service" and change.action == "create":
        service = db.session.get(Service, change.target_id)
        if service is not None and service.publication_status == "pending":
            service.publication_status = "draft"
    record_history(change.kind, change.target_id, change.organization_id, "withdrawn", {}, by, change)
    commit_edit()
    return change


def term_choices(taxonomy_code):
    """Return (code, label) pairs of a taxonomy for a form."""
    from .services import taxonomy_terms, term_label

    return [(term.code, term_label(term)) for term in taxonomy_terms(taxonomy_code)]


def vocabulary_choices(vocabulary):
    """Return (code, label) pairs of a fixed vocabulary for a form."""
    return [(term.code, term.label) for term in vocabulary]


def language_choices(chosen=()):
    """Return (code, label) pairs of the languages for a form: our list, then those of `chosen` beyond it
    that are language codes (an import's, issue #18), so editing a listing keeps them."""
    choices = vocabulary_choices(vocabularies.LANGUAGES)
    known = {code for code, _label in choices}
    for code in dict.fromkeys(chosen or ()):
        if isinstance(code, str) and code not in known and vocabularies.language_code(code) == code:
            choices.append((code, vocabularies.label(vocabularies.LANGUAGES, code)))
    return choices


def area_choices():
    """Return (code, name) pairs of the areas for a form."""
    return [(area.code, area.name) for area in db.session.scalars(select(Area).order_by(Area.name))]


def current_location_ids(service):
    """Return the ids of the locations a service is given at now."""
    return {link.location_id for link in service.location_links} if service is not None else set()


def location_choices(organization_id, extra_ids=()):
    """Return (id, label) pairs of an organisation's locations, plus others a service already uses."""
    condition = Location.organization_id == organization_id
    if extra_ids:
        condition = or_(condition, Location.id.in_(list(extra_ids)))
    return [
        (str(loc.id), f"{loc.name}, {loc.address_1}, {loc.city}")
        for loc in db.session.scalars(select(Location).where(condition).order_by(Location.name))
    ]
