"""Municipalities of the installation (issue #20): one, the simple default, or a region of several.

A municipality is a row (`Municipality`): CBS code, name shown, slug for its URL, brand colour, its
own desk's contact and whether its volunteers may help across its border. Its areas (kernen,
dorpen, wijken) are the areas with its code. An installation for one municipality needs no set-up:
`ensure_default` makes the row of SOCIALE_KAART_MUNICIPALITY_CODE when the demo, the areas or an
admin first need it, and every question here has an answer before that (the settings stand in).

A region adds a municipality with `flask region add-municipality CODE` or the admin's page: its
name and its kernen (one area per place of its four-digit postcodes) come from the bundled
gazetteer. Which municipality a postcode belongs to is decided here, from the areas first (an
installation may draw its own borders) and the gazetteer after.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import ColumnElement, and_, false, func, not_, or_, select

from .. import params, transactions
from ..accounts import permissions
from ..errors import NotFound, PermissionDenied, ValidationError
from ..extensions import db
from ..geo.gazetteer import parse_postcode, shared_gazetteer
from . import cache
from .areas import AreaRow, area_rows, clean_contact_values
from .formats import slugify
from .models import (
    AREA_CONTACT_FIELDS,
    BRAND_COLOURS,
    DEFAULT_BRAND,
    Area,
    Location,
    Municipality,
    Service,
    ServiceAtLocation,
    service_areas,
)

BRAND_LABELS = {
    "blauw": _l("Blauw"),
    "groen": _l("Groen"),
    "paars": _l("Paars"),
    "rood": _l("Rood"),
    "petrol": _l("Petrol"),
    "bruin": _l("Bruin"),
}
# Path segments a municipality's slug may not take: the site's own first segments, so /<slug>/ never
# shadows a page (tests/web/test_municipality_pages.py checks them against the URL map).
RESERVED_SLUGS = frozenset(
    {
        "aanbod",
        "account",
        "admin",
        "api",
        "beheer",
        "bevestigen",
        "bevestiging-opnieuw",
        "gemeente",
        "gemeenten",
        "healthz",
        "hulp",
        "hulp-vragen",
        "inloggen",
        "kaart",
        "koppeling",
        "l",
        "lijstje",
        "mijn-gegevens",
        "mijn-gegevens.json",
        "mijn-hulpvraag",
        "mijn-hulpvragen",
        "onderwerpen",
        "organisatie",
        "over-deze-kaart",
        "registreren",
        "static",
        "taal",
        "terugkoppeling",
        "uitloggen",
        "vrijwilliger",
        "wachtwoord-herstellen",
        "wachtwoord-vergeten",
        "wegwijzer",
        "welkom",
        "werkplek",
        "zoeken",
        "zorgen-over-iemand",
    }
)


# PostNL adds a province to a woonplaats whose name is used twice ("Elst Ut", "Elst Gld"): a kern's
# name in its own municipality does without it.
_PROVINCE_SUFFIX = re.compile(r" (?:Gn|Fr|Dr|Ov|Fl|Gld|Ut|Nh|NH|Zh|ZH|Zl|Nb|NB|Lb|L)$")


@dataclass(frozen=True)
class MunicipalityRow:
    """A municipality as plain values, kept per process (cache.py): what pages and searches need."""

    code: str
    slug: str
    name: str
    brand: str
    cross_border_matching: bool
    contact_name: str | None = None
    contact_phone: str | None = None
    contact_email: str | None = None
    contact_address: str | None = None
    contact_hours: str | None = None

    @property
    def colour(self) -> str:
        return BRAND_COLOURS.get(self.brand, BRAND_COLOURS[DEFAULT_BRAND])

    @property
    def has_contact(self) -> bool:
        return any(getattr(self, name) for name in AREA_CONTACT_FIELDS)


def default_code() -> str:
    """Return the CBS code of the installation's own municipality (SOCIALE_KAART_MUNICIPALITY_CODE)."""
    return str(current_app.config["MUNICIPALITY_CODE"])


def _from_settings() -> MunicipalityRow:
    config = current_app.config
    name = str(config.get("MUNICIPALITY_NAME") or "")
    return MunicipalityRow(default_code(), slugify(name), name, DEFAULT_BRAND, False)


def municipality_rows() -> tuple[MunicipalityRow, ...]:
    """Return the municipalities by name, kept per process; the settings' one when no row exists yet."""
    return cache.kept("municipalities", _municipality_rows)


def _municipality_rows() -> tuple[MunicipalityRow, ...]:
    columns = (
        Municipality.code,
        Municipality.slug,
        Municipality.name,
        Municipality.brand,
        Municipality.cross_border_matching,
        *(getattr(Municipality, name) for name in AREA_CONTACT_FIELDS),
    )
    rows = tuple(MunicipalityRow(*row) for row in db.session.execute(select(*columns).order_by(Municipality.name)))
    return rows or (_from_settings(),)


def is_region() -> bool:
    """Return True when the installation serves more than one municipality."""
    return len(municipality_rows()) > 1


def region_name() -> str:
    """Return the installation's municipalities' names for a sentence or the header: "Rhenen, Utrechtse Heuvelrug"."""
    return ", ".join(row.name for row in municipality_rows())


def by_code(code: object) -> MunicipalityRow | None:
    """Return the municipality with a CBS code, or None."""
    return next((row for row in municipality_rows() if row.code == code), None)


def by_slug(slug: object) -> MunicipalityRow | None:
    """Return the municipality with a slug (from a URL), or None."""
    if not isinstance(slug, str):
        return None
    return next((row for row in municipality_rows() if row.slug == slug.lower()), None)


def default_municipality() -> MunicipalityRow:
    """Return the installation's own municipality (the settings'), or the first when it is not among them."""
    rows = municipality_rows()
    return by_code(default_code()) or rows[0]


def code_of_place_name(name: str) -> str:
    """Return the CBS code of the one municipality of the installation with a place of this name (the
    bundled gazetteer's places), else the installation's own: where a new area by name belongs (issue #20)."""
    if not is_region():
        return default_code()
    wanted = name.strip().casefold()
    gazetteer = shared_gazetteer()
    codes = {
        row.code
        for row in municipality_rows()
        if any(
            (place.place or place.label).casefold() == wanted for place in gazetteer.places_of_municipality(row.code)
        )
    }
    return codes.pop() if len(codes) == 1 else default_code()


def code_of_postcode4(postcode4: str | None) -> str | None:
    """Return the CBS code of the municipality of a four-digit postcode: its area's, else the gazetteer's."""
    if not postcode4:
        return None
    area_codes = _area_municipalities()
    for area in area_rows():
        if postcode4 in area.postcodes:
            return area_codes.get(area.id)
    return shared_gazetteer().postcode_municipality(postcode4)


def _area_municipalities() -> dict[int, str]:
    return cache.kept(
        "area_municipalities",
        lambda: {row[0]: row[1] for row in db.session.execute(select(Area.id, Area.municipality_code))},
    )


def municipality_of_area(area_id: int | None) -> MunicipalityRow | None:
    """Return the municipality of an area (by id), or None."""
    if area_id is None:
        return None
    return by_code(_area_municipalities().get(area_id))


def area_ids_of(code: str) -> set[int]:
    """Return the ids of a municipality's areas."""
    return {area_id for area_id, municipality in _area_municipalities().items() if municipality == code}


def areas_of(code: str) -> list[AreaRow]:
    """Return a municipality's areas (its villages) by name, as plain values kept per process."""
    ids = area_ids_of(code)
    return [area for area in area_rows() if area.id in ids]


def place_example(code: str | None = None) -> tuple[str, str] | None:
    """Return (a postcode's four digits, a village) of a municipality (the installation's by default), to show a
    resident what "waar" takes: its village of the same name, else the one with the most postcodes; None when
    it has no villages with postcodes yet."""
    row = by_code(code) if code else default_municipality()
    return cache.kept("place_examples", _place_examples).get(row.code) if row is not None else None


def _place_examples() -> dict[str, tuple[str, str]]:
    examples = {}
    for row in municipality_rows():
        villages = [area for area in areas_of(row.code) if area.postcodes]
        if villages:
            village = next((area for area in villages if area.name == row.name), None) or max(
                villages, key=lambda area: len(area.postcodes)
            )
            examples[row.code] = (min(village.postcodes), village.name)
    return examples


def codes_of_service(service: object) -> set[str]:
    """Return the CBS codes of the municipalities a service serves (HSDS service_area, issue #20).

    The municipalities of its service areas and of its locations (the location's area, else its
    postcode's), as far as they belong to the installation; a service with none of these serves
    the installation's own municipality (one located in a city beyond the region, too). The one rule
    for search documents, the API's ?municipality= and the export.
    """
    places = []
    for link in getattr(service, "location_links", ()):
        location = link.location
        if location is not None:
            area = location.area
            places.append((area.municipality_code if area is not None else None, location.postcode4))
    return _serving((area.municipality_code for area in getattr(service, "service_areas", ())), places)


def codes_of_services(service_ids: Iterable[int]) -> dict[int, set[str]]:
    """Return {service id: codes_of_service} for many services (a results page's cards), as this process keeps them."""
    kept = cache.kept("service_municipalities", _codes_of_all_services)
    return {service_id: set(kept.get(service_id, (default_code(),))) for service_id in set(service_ids)}


def _codes_of_all_services() -> dict[int, frozenset[str]]:
    """Return {service id: codes_of_service} of every service in two queries, kept per directory version stamp."""
    area_codes: dict[int, list[str]] = {}
    places: dict[int, list[tuple[str | None, str | None]]] = {}
    for service_id, code in db.session.execute(
        select(service_areas.c.service_id, Area.municipality_code).join(Area, Area.id == service_areas.c.area_id)
    ):
        area_codes.setdefault(service_id, []).append(code)
    for service_id, code, postal_code in db.session.execute(
        select(ServiceAtLocation.service_id, Area.municipality_code, Location.postal_code)
        .join(Location, Location.id == ServiceAtLocation.location_id)
        .outerjoin(Area, Area.id == Location.area_id)
    ):
        places.setdefault(service_id, []).append((code, (postal_code or "")[:4]))  # as Location.postcode4
    return {
        service_id: frozenset(_serving(area_codes.get(service_id, ()), places.get(service_id, ())))
        for service_id in area_codes.keys() | places.keys()
    }


def _serving(area_codes: Iterable[str], places: Iterable[tuple[str | None, str | None]]) -> set[str]:
    """Apply the rule of codes_of_service to its service areas' codes and its locations' (area code, PC4)."""
    codes = set(area_codes)
    for area_code, postcode4 in places:
        code = area_code if area_code is not None else code_of_postcode4(postcode4)
        if code is not None:
            codes.add(code)
    codes &= {row.code for row in municipality_rows()}
    return codes or {default_code()}


def serves_municipality(code: str) -> ColumnElement[bool]:
    """Return the SQL condition on Service of `code in codes_of_service(service)`: the same rule in SQL.

    For the API's ?municipality= and the export per municipality (issue #20). A location without an
    area counts by its four-digit postcode, so the postcodes that `code_of_postcode4` gives to the
    municipality are listed here (its areas' first, then the gazetteer's); the installation's own
    municipality also takes every service that serves none of the installation's municipalities.
    """
    codes = {row.code for row in municipality_rows()}
    if code not in codes:
        return false()
    condition = _serves_any({code})
    return or_(condition, not_(_serves_any(codes))) if code == default_code() else condition


def _serves_any(codes: set[str]) -> ColumnElement[bool]:
    postcodes = _postcodes_of(codes)
    location = or_(
        Location.area.has(Area.municipality_code.in_(codes)),
        and_(Location.area_id.is_(None), func.substr(Location.postal_code, 1, 4).in_(postcodes)),
    )
    return or_(
        Service.service_areas.any(Area.municipality_code.in_(codes)),
        Service.location_links.any(ServiceAtLocation.location.has(location)),
    )


def _postcodes_of(codes: set[str]) -> list[str]:
    """Return the four-digit postcodes `code_of_postcode4` places in these municipalities."""
    candidates = {postcode for area in area_rows() for postcode in area.postcodes}
    gazetteer = shared_gazetteer()
    for code in codes:
        candidates.update(postcode["postcode4"] for postcode in gazetteer.postcodes_of_municipality(code))
    return sorted(postcode for postcode in candidates if code_of_postcode4(postcode) in codes)


# --- the region's admin adds and keeps municipalities ---------------------------------------------


def ensure_default() -> Municipality:
    """Return the row of the installation's own municipality, making it from the settings when missing."""
    code = default_code()
    row = db.session.scalar(select(Municipality).where(Municipality.code == code))
    if row is None:
        settings = _from_settings()
        row = Municipality(code=code, slug=_free_slug(settings.name, code), name=settings.name, brand=DEFAULT_BRAND)
        db.session.add(row)
        db.session.flush()
    return row


def ensure_municipality(code: str) -> Municipality:
    """Return the row of a municipality, making it with the gazetteer's name (no kernen) when missing.

    For data that brings its own areas (the demo's second municipality, issue #20); an admin adds
    one with `add_municipality`, which also makes its kernen.
    """
    if code == default_code():
        return ensure_default()
    row = db.session.scalar(select(Municipality).where(Municipality.code == code))
    if row is None:
        known = shared_gazetteer().municipality(code)
        if known is None:
            raise ValidationError(
                "code", _("Er is geen gemeente met code %(code)s (of ze is samengevoegd).", code=code)
            )
        row = Municipality(code=code, slug=_free_slug(known["name"], code), name=known["name"], brand=DEFAULT_BRAND)
        db.session.add(row)
        db.session.flush()
    return row


def _free_slug(name: str, code: str) -> str:
    slug = slugify(name)[:60]
    if slug in RESERVED_SLUGS or slug.isdigit():
        slug = f"gemeente-{slug}"
    taken = set(db.session.scalars(select(Municipality.slug)))
    return slug if slug not in taken else f"{slug}-{code}"


def clean_code(code: object) -> str:
    """Return a CBS municipality code as four digits; raise ValidationError unless the gazetteer knows it."""
    text = "".join(str(code or "").split())
    text = text[2:] if text.upper().startswith("GM") else text
    if not (text.isdigit() and 1 <= len(text) <= 4):
        raise ValidationError("code", _("Typ de CBS-code van de gemeente: vier cijfers, zoals 0340."))
    text = text.zfill(4)
    if shared_gazetteer().municipality(text) is None:
        raise ValidationError("code", _("Er is geen gemeente met code %(code)s (of ze is samengevoegd).", code=text))
    return text


def add_municipality(code: object, by: object = None, name: str | None = None) -> tuple[Municipality, list[Area]]:
    """Add a municipality and its kernen from the gazetteer; return it and the areas made.

    `by` is the admin who acts (None: the command line). Areas: one per place of the
    municipality's four-digit postcodes, with those postcodes; a postcode already in an area of the
    installation stays where it is. Raises ValidationError for an unknown code or one already there.
    """
    if by is not None:
        permissions.require_admin(by)
    ensure_default()
    code = clean_code(code)
    if db.session.scalar(select(Municipality.id).where(Municipality.code == code)) is not None:
        raise ValidationError("code", _("Gemeente %(code)s hoort al bij deze installatie.", code=code))
    known = shared_gazetteer().municipality(code)
    assert known is not None  # clean_code checked it
    shown = " ".join(str(name or "").split())[:120] or known["name"]
    municipality = Municipality(code=code, slug=_free_slug(shown, code), name=shown, brand=DEFAULT_BRAND)
    db.session.add(municipality)
    areas = _add_kernen(code)
    transactions.commit()
    # Then, in a transaction of its own, so the index is written with the kept municipalities and areas
    # that include the new ones (a transactional index is written before its commit: cache.py)
    _place_locations(areas)
    transactions.commit()  # re-indexes the listings at the placed locations: they now serve this municipality
    return municipality, areas


def _place_locations(areas: list[Area], released: Iterable[str] = ()) -> None:
    """Give the locations at the areas' postcodes their area, as editing does (editing.area_code_of_postcode).

    A location at these postcodes in another area (or none) moves into it; `released`: postcodes an
    area no longer has (and no other area has), whose locations lose their area. The commit after it
    re-indexes the listings at the moved locations (indexing.reindex_on_commit).
    """
    by_postcode: dict[str, Area | None] = {postcode: None for postcode in released}
    by_postcode.update({postcode: area for area in areas for postcode in area.postcodes})
    if not by_postcode:
        return
    for location in db.session.scalars(
        select(Location).where(func.substr(Location.postal_code, 1, 4).in_(sorted(by_postcode)))
    ):
        area = by_postcode[location.postcode4]
        if location.area is not area:
            location.area = area


def _free_area_code(name: str, code: str, taken_codes: set[str]) -> str:
    """Return an area code made from its name ("Elst" -> "elst"), unique among taken_codes (which it joins)."""
    base = slugify(name).replace("-", "_")[:54] or "gebied"  # with "_0340_2" within Area.code's 64
    area_code = base if base not in taken_codes else f"{base}_{code}"
    number = 2
    while area_code in taken_codes:
        area_code = f"{base}_{code}_{number}"
        number += 1
    taken_codes.add(area_code)
    return area_code


def _add_kernen(code: str) -> list[Area]:
    taken_postcodes = {postcode for area in area_rows() for postcode in area.postcodes}
    taken_codes = set(db.session.scalars(select(Area.code)))
    by_place: dict[str, list[dict]] = {}
    for postcode in shared_gazetteer().postcodes_of_municipality(code):
        if postcode["postcode4"] not in taken_postcodes:
            by_place.setdefault(_PROVINCE_SUFFIX.sub("", postcode["place"]), []).append(postcode)
    areas = []
    for place, postcodes in sorted(by_place.items()):
        area_code = _free_area_code(place, code, taken_codes)
        lat = sum(p["lat"] for p in postcodes) / len(postcodes)
        lon = sum(p["lon"] for p in postcodes) / len(postcodes)
        area = Area(
            code=area_code,
            name=place,
            kind="kern",
            municipality_code=code,
            postcodes=[p["postcode4"] for p in postcodes],
            lat=round(lat, 5),
            lon=round(lon, 5),
        )
        db.session.add(area)
        areas.append(area)
    return areas


def list_municipalities(by: object) -> list[Municipality]:
    """Return every municipality by name, for the admin's list (the default one made when missing)."""
    permissions.require_admin(by)
    ensure_default()
    transactions.commit()
    return list(db.session.scalars(select(Municipality).order_by(Municipality.name)))


def get_municipality(code: object, by: object) -> Municipality:
    """Return a municipality for the admin's pages (the default one made when missing), or raise NotFound."""
    permissions.require_admin(by)
    if code and code == default_code():
        return ensure_default()
    municipality = db.session.scalar(select(Municipality).where(Municipality.code == code)) if code else None
    if municipality is None:
        raise NotFound(f"municipality {code}")
    return municipality


def update_municipality(code: object, values: Mapping[str, object], by: object) -> Municipality:
    """Set a municipality's name shown, colour, cross-border matching and contact (admins only)."""
    municipality = get_municipality(code, by)
    name = " ".join(str(values.get("name") or "").split())
    if not name:
        raise ValidationError("name", _("Typ de naam van de gemeente."))
    if len(name) > 120:
        raise ValidationError("name", _("Typ bij naam hoogstens %(max)d tekens.", max=120))
    brand = values.get("brand") or DEFAULT_BRAND
    if brand not in BRAND_COLOURS:
        raise ValidationError("brand", _("Kies een van de kleuren."))
    contact = clean_contact_values(values)
    municipality.name, municipality.brand = name, brand
    municipality.cross_border_matching = bool(values.get("cross_border_matching"))
    for field, value in contact.items():
        setattr(municipality, field, value or None)
    transactions.commit()
    return municipality


# --- the admin draws a municipality's areas (issue #20) --------------------------------------

AREA_KINDS = {"kern": _l("Kern"), "dorp": _l("Dorp"), "wijk": _l("Wijk")}
AREA_NAME_MAX = 120
MAX_ID = params.MAX_ID
_POSTCODE_SEPARATORS = re.compile(r"[\s,;]+")


@dataclass(frozen=True)
class AreaCount:
    """An area of a municipality for the admin's list, with how many locations and listings lie in it."""

    area: Area
    locations: int
    listings: int


def _require_admin_of(code: str, by: object) -> None:
    """Raise PermissionDenied unless `by` is an admin who works for this municipality (scopes.staff_codes)."""
    permissions.require_admin(by)
    own = getattr(by, "municipality_code", None)
    if own and own != code:
        raise PermissionDenied("an admin of another municipality")


def municipality_areas(code: object, by: object) -> tuple[Municipality, list[AreaCount]]:
    """Return a municipality and its areas by name with their numbers of locations and listings (admins only)."""
    municipality = get_municipality(code, by)
    _require_admin_of(municipality.code, by)
    areas = list(
        db.session.scalars(select(Area).where(Area.municipality_code == municipality.code).order_by(Area.name))
    )
    ids = [area.id for area in areas]
    locations: dict[int, int] = dict(
        db.session.execute(
            select(Location.area_id, func.count(Location.id))
            .where(Location.area_id.in_(ids))
            .group_by(Location.area_id)
        ).all()
    )
    listings: dict[int, int] = dict(
        db.session.execute(
            select(Location.area_id, func.count(ServiceAtLocation.id))
            .join(ServiceAtLocation, ServiceAtLocation.location_id == Location.id)
            .where(Location.area_id.in_(ids))
            .group_by(Location.area_id)
        ).all()
    )
    transactions.commit()  # get_municipality may have made the default row
    return municipality, [AreaCount(area, locations.get(area.id, 0), listings.get(area.id, 0)) for area in areas]


def get_municipality_area(code: object, area_id: object, by: object) -> tuple[Municipality, Area]:
    """Return a municipality and one of its areas for the admin's edit page, or raise NotFound."""
    municipality = get_municipality(code, by)
    _require_admin_of(municipality.code, by)
    known_id = isinstance(area_id, int) and not isinstance(area_id, bool) and 0 < area_id <= MAX_ID
    area = db.session.get(Area, area_id) if known_id else None
    if area is None or area.municipality_code != municipality.code:
        raise NotFound(f"area {area_id} of municipality {municipality.code}")
    return municipality, area


def add_area(code: object, values: Mapping[str, object], by: object) -> Area:
    """Add an area (name, kind, four-digit postcodes) to a municipality; its locations move into it."""
    municipality = get_municipality(code, by)
    _require_admin_of(municipality.code, by)
    name, kind, postcodes = _clean_area(municipality.code, values, None)
    area = Area(
        code=_free_area_code(name, municipality.code, set(db.session.scalars(select(Area.code)))),
        name=name,
        kind=kind,
        municipality_code=municipality.code,
        postcodes=postcodes,
    )
    area.lat, area.lon = _centre(municipality.code, postcodes)
    db.session.add(area)
    transactions.commit()
    _place_after_change(area, ())
    return area


def update_area(code: object, area_id: object, values: Mapping[str, object], by: object) -> Area:
    """Set an area's name, kind and postcodes; locations at postcodes it gains or loses follow (admins only)."""
    municipality, area = get_municipality_area(code, area_id, by)
    name, kind, postcodes = _clean_area(municipality.code, values, area.id)
    released = sorted(set(area.postcodes or ()) - set(postcodes))
    area.name, area.kind, area.postcodes = name, kind, postcodes
    area.lat, area.lon = _centre(municipality.code, postcodes)
    transactions.commit()
    _place_after_change(area, released)
    return area


def _place_after_change(area: Area, released: Iterable[str]) -> None:
    # In a transaction of its own, as add_municipality: the index is written with the kept areas that
    # include the change (a transactional index is written before its commit: cache.py)
    _place_locations([area], released)
    transactions.commit()


def _centre(code: str, postcodes: list[str]) -> tuple[float | None, float | None]:
    points = [p for p in shared_gazetteer().postcodes_of_municipality(code) if p["postcode4"] in postcodes]
    if not points:
        return None, None
    return (
        round(sum(p["lat"] for p in points) / len(points), 5),
        round(sum(p["lon"] for p in points) / len(points), 5),
    )


def _clean_area(code: str, values: Mapping[str, object], area_id: int | None) -> tuple[str, str, list[str]]:
    """Return an area's name, kind and postcodes; raise ValidationError with a Dutch message on the field.

    Each postcode: four digits, known to the gazetteer, of this municipality (a region draws its own
    borders only within a municipality) and in no other area.
    """
    name = " ".join(str(values.get("name") or "").split())
    if not name:
        raise ValidationError("name", _("Typ de naam van het gebied."))
    if len(name) > AREA_NAME_MAX:
        raise ValidationError("name", _("Typ bij naam hoogstens %(max)d tekens.", max=AREA_NAME_MAX))
    if db.session.scalar(
        select(Area.id).where(
            func.lower(Area.name) == name.lower(), Area.municipality_code == code, Area.id != (area_id or 0)
        )
    ):
        raise ValidationError("name", _("Deze gemeente heeft al een gebied %(name)s.", name=name))
    kind = values.get("kind")
    if kind not in AREA_KINDS:
        raise ValidationError("kind", _("Kies of het gebied een kern, dorp of wijk is."))
    postcodes = _clean_area_postcodes(code, values.get("postcodes"), area_id)
    return name, str(kind), postcodes


def _clean_area_postcodes(code: str, text: object, area_id: int | None) -> list[str]:
    tokens = [token for token in _POSTCODE_SEPARATORS.split(str(text or "")) if token]
    if not tokens:
        raise ValidationError("postcodes", _("Typ minstens één postcode van vier cijfers, zoals 3941."))
    gazetteer = shared_gazetteer()
    others = {postcode: area.name for area in area_rows() if area.id != area_id for postcode in area.postcodes}
    postcodes: list[str] = []
    for token in tokens:
        parsed = parse_postcode(token)
        if parsed is None or parsed[1] is not None or len(token) != 4:
            raise ValidationError(
                "postcodes",
                _(
                    "‘%(postcode)s’ is geen postcode van vier cijfers. Typ bijvoorbeeld 3941, 3945.",
                    postcode=token[:20],
                ),
            )
        postcode = parsed[0]
        owner = gazetteer.postcode_municipality(postcode)
        if owner is None:
            raise ValidationError("postcodes", _("Postcode %(postcode)s bestaat niet.", postcode=postcode))
        if owner != code:
            known = gazetteer.municipality(owner)
            raise ValidationError(
                "postcodes",
                _(
                    "Postcode %(postcode)s hoort bij de gemeente %(name)s. "
                    "Een gebied heeft alleen postcodes van zijn eigen gemeente.",
                    postcode=postcode,
                    name=known["name"] if known else owner,
                ),
            )
        if postcode in others:
            raise ValidationError(
                "postcodes",
                _("Postcode %(postcode)s hoort al bij het gebied %(name)s.", postcode=postcode, name=others[postcode]),
            )
        if postcode not in postcodes:
            postcodes.append(postcode)
    return sorted(postcodes)
