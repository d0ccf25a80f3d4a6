"""HSDS 3.0 shapes of the directory: stable identifiers, taxonomies and flat records (issue #5).

The API nests these records and the tabular export writes them as CSV rows, so both speak the
same HSDS. Identifiers are the rows' own uuids; objects HSDS has but we store as columns
(addresses, phones, cost options, service areas, languages, accessibility, attributes) get a
uuid5 from a fixed namespace and what they describe, so they are the same on every export. What an
import kept of another system's objects (a phone's id, cost options, terms of its taxonomies,
accessibility and a service area in words, issue #18) is written back as it came.
"""

import uuid
from dataclasses import dataclass, field
from datetime import date, datetime, time

from flask_babel import force_locale

from . import vocabularies
from .models import IMPORTED_TAXONOMY_PREFIX

HSDS_VERSION = "3.0"

# Never change: every published identifier below is derived from it.
NAMESPACE = uuid.UUID("1f6f4c1e-5b0a-4d8e-9c3a-7e2d5b8a9f10")

# The Dutch vocabularies published as HSDS taxonomies: code -> (name, description, link entity).
# Categories and target groups are taxonomies in the database and come from there.
VOCABULARY_TAXONOMIES = {
    "pyramid_level": (
        "Piramideniveau",
        "Waar een voorziening staat in de Wmo-piramide: gewone leven, vrij toegankelijk of met indicatie.",
        "service",
    ),
    "access_route": ("Toegang", "Hoe een inwoner de voorziening krijgt.", "service"),
    "cost": ("Kosten", "Wie de voorziening betaalt.", "service"),
    "mode": ("Vorm", "Waar of hoe de hulp wordt gegeven.", "service"),
    "respite_type": ("Soort respijtzorg", "Welke vorm van respijtzorg (de zorg even overnemen).", "service"),
    "accessibility": ("Toegankelijkheid", "Voorzieningen voor mensen met een beperking op een locatie.", "location"),
}

# Fields of ours that HSDS 3.0 has no place for: published as attributes with a value.
FIELD_TAXONOMY = "veld"
FIELD_TERMS = (
    ("samenvatting", "Samenvatting", "Eén zin over de voorziening (service.summary)."),
    ("trefwoord", "Trefwoord", "Een woord waarop inwoners de voorziening vinden."),
    ("respijt_voor", "Respijtzorg voor", "Voor wie de respijtzorg bedoeld is."),
    (
        "respijt_aanmeldtermijn",
        "Aanmeldtermijn respijtzorg (dagen)",
        "Hoeveel dagen van tevoren respijtzorg aangevraagd moet worden.",
    ),
)
FIELD_TAXONOMY_NAME = "Extra velden"
FIELD_TAXONOMY_DESCRIPTION = (
    "Velden van de sociale kaart zonder eigen plek in HSDS 3.0; de waarde staat in attribute.value."
)

DB_TAXONOMIES = ("category", "target_group")
WEEKDAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")


def derived_id(kind, *parts):
    """Return the stable uuid of an HSDS object we derive from columns."""
    return str(uuid.uuid5(NAMESPACE, ":".join((kind, *map(str, parts)))))


def taxonomy_id(code):
    """Return the stable uuid of a taxonomy by its code."""
    return derived_id("taxonomy", code)


def term_id(taxonomy_code, code):
    """Return the stable uuid of a taxonomy term by its taxonomy's code and its own."""
    return derived_id("taxonomy_term", taxonomy_code, code)


@dataclass(frozen=True)
class HsdsTerm:
    id: str
    code: str
    name: str
    description: str
    taxonomy_code: str
    taxonomy_id: str
    taxonomy_name: str
    parent_id: str | None = None
    last_modified: datetime | None = None  # naive UTC; for modified_after (HSDS has no field for it)
    language: str | None = None  # of an imported term; ours are Dutch
    term_uri: str | None = None

    @property
    def filterable(self):
        """Return True when services can be filtered on this term: every term but the field names of
        FIELD_TAXONOMY (an imported taxonomy's terms through the services' attributes, issue #18)."""
        return self.taxonomy_code != FIELD_TAXONOMY

    @property
    def imported(self):
        """Return True for a term of a taxonomy another system's package brought (issue #18)."""
        return self.taxonomy_code.startswith(IMPORTED_TAXONOMY_PREFIX)


@dataclass(frozen=True)
class HsdsTaxonomy:
    id: str
    code: str
    name: str
    description: str
    terms: tuple = ()
    last_modified: datetime | None = None  # the latest change of the taxonomy or any of its terms
    uri: str | None = None
    version: str | None = None

    @property
    def filterable(self):
        return self.code != FIELD_TAXONOMY


@dataclass
class Catalogue:
    """Every published taxonomy and term, looked up by id or by codes."""

    taxonomies: list
    terms_by_id: dict = field(default_factory=dict)
    terms_by_code: dict = field(default_factory=dict)
    taxonomies_by_id: dict = field(default_factory=dict)

    def __post_init__(self):
        for taxonomy in self.taxonomies:
            self.taxonomies_by_id[taxonomy.id] = taxonomy
            for term in taxonomy.terms:
                self.terms_by_id[term.id] = term
                self.terms_by_code[(taxonomy.code, term.code)] = term

    def term(self, taxonomy_code, code):
        """Return a term by its taxonomy's code and its own, or None."""
        return self.terms_by_code.get((taxonomy_code, code))

    @property
    def terms(self):
        return [term for taxonomy in self.taxonomies for term in taxonomy.terms]


def build_catalogue(db_taxonomies):
    """Return the catalogue: the database's taxonomies, then the fixed Dutch vocabularies."""
    taxonomies = []
    for row in db_taxonomies:
        terms = tuple(
            HsdsTerm(
                term.uuid,
                term.code,
                term.name,
                term.description or "",
                row.code,
                row.uuid,
                row.name,
                next((t.uuid for t in row.terms if t.id == term.parent_id), None),
                term.last_modified,
                term.language,
                term.term_uri,
            )
            for term in row.terms
        )
        changed = max([row.last_modified, *(term.last_modified for term in row.terms)])
        taxonomies.append(
            HsdsTaxonomy(row.uuid, row.code, row.name, row.description or "", terms, changed, row.uri, row.version)
        )
    with force_locale("nl"):
        for code, (name, description, _entity) in VOCABULARY_TAXONOMIES.items():
            tid = taxonomy_id(code)
            terms = tuple(
                HsdsTerm(
                    term_id(code, term.code),
                    term.code,
                    str(term.label),
                    str(term.description or ""),
                    code,
                    tid,
                    name,
                    None,
                    vocabularies.CHANGED,
                )
                for term in vocabularies.VOCABULARIES[code]
            )
            taxonomies.append(HsdsTaxonomy(tid, code, name, description, terms, vocabularies.CHANGED))
    tid = taxonomy_id(FIELD_TAXONOMY)
    taxonomies.append(
        HsdsTaxonomy(
            tid,
            FIELD_TAXONOMY,
            FIELD_TAXONOMY_NAME,
            FIELD_TAXONOMY_DESCRIPTION,
            tuple(
                HsdsTerm(
                    term_id(FIELD_TAXONOMY, code),
                    code,
                    name,
                    description,
                    FIELD_TAXONOMY,
                    tid,
                    FIELD_TAXONOMY_NAME,
                    None,
                    vocabularies.CHANGED,
                )
                for code, name, description in FIELD_TERMS
            ),
            vocabularies.CHANGED,
        )
    )
    return Catalogue(taxonomies)


# formatting


def timestamp(value):
    """Return an RFC 3339 UTC timestamp of a naive UTC datetime."""
    return value.replace(microsecond=0).isoformat() + "Z" if value else None


def day(value):
    return value.isoformat() if isinstance(value, date) else None


def clock(value):
    return value.strftime("%H:%M:%S") if isinstance(value, time) else None


def _text(value):
    return value or None


def number(value):
    """Return a whole float as an int, so 35.0 is written 35 (as the package had it)."""
    return int(value) if isinstance(value, float) and value.is_integer() else value


# flat records: HSDS field names, None where we have nothing


def taxonomy_record(taxonomy):
    # HSDS requires a description; an imported taxonomy may have come without one
    return {
        "id": taxonomy.id,
        "name": taxonomy.name,
        "description": taxonomy.description or taxonomy.name,
        "version": taxonomy.version,
        "uri": taxonomy.uri,
    }


def term_record(term):
    imported = term.taxonomy_code.startswith(IMPORTED_TAXONOMY_PREFIX)
    return {
        "id": term.id,
        # an imported term without a code got its id as code (codes are unique in a taxonomy)
        "code": None if term.code == term.id else term.code,
        "name": term.name,
        "description": term.description or term.name,
        "parent_id": term.parent_id,
        "taxonomy": term.taxonomy_name,
        "language": term.language if imported else "nl",
        "taxonomy_id": term.taxonomy_id,
        "term_uri": term.term_uri,
    }


def organization_record(organization):
    return {
        "id": organization.uuid,
        "name": organization.name,
        "alternate_name": _text(organization.alternate_name),
        # HSDS requires a description and an import refuses a row without one (issue #18)
        "description": organization.description or organization.name,
        "email": _text(organization.email),
        "website": _text(organization.website),
    }


def service_record(service):
    return {
        "id": service.uuid,
        "organization_id": service.organization.uuid,
        "name": service.name,
        "description": _text(service.description),
        "url": _text(service.url),
        "email": _text(service.email),
        "status": service.status,
        "application_process": _text(service.how_to_apply),
        "fees_description": _text(service.cost_note),
        "eligibility_description": _text(service.for_whom),
        "minimum_age": service.minimum_age,
        "maximum_age": service.maximum_age,
        "assured_date": day(service.assured_date),
        "alert": _text(service.alert),
        "last_modified": timestamp(service.last_modified),
    }


def location_record(location):
    return {
        "id": location.uuid,
        "location_type": location.location_type,
        "organization_id": location.organization.uuid if location.organization else None,
        "name": _text(location.name),
        "description": _text(location.description),
        "transportation": _text(location.transportation),
        "latitude": location.lat,
        "longitude": location.lon,
    }


def address_records(location):
    if not location.address_1:
        return []
    return [
        {
            "id": derived_id("address", location.uuid),
            "location_id": location.uuid,
            "address_1": location.address_1,
            "city": location.city,
            "state_province": location.state_province,
            "postal_code": location.postal_code,
            "country": location.country,
            "address_type": "physical",
        }
    ]


def accessibility_records(location, catalogue):
    """Return a location's checklist items, then its accessibility in words with the id it was imported with."""
    records = []
    for code in location.accessibility or []:
        term = catalogue.term("accessibility", code)
        if term is not None:
            records.append(
                {
                    "id": derived_id("accessibility", location.uuid, code),
                    "location_id": location.uuid,
                    "description": term.name,
                }
            )
    if location.accessibility_note or location.accessibility_details:
        records.append(
            {
                "id": location.accessibility_note_uuid or derived_id("accessibility_note", location.uuid),
                "location_id": location.uuid,
                "description": _text(location.accessibility_note),
                "details": _text(location.accessibility_details),
            }
        )
    return records


def service_at_location_record(link):
    return {
        "id": link.uuid,
        "service_id": link.service.uuid,
        "location_id": link.location.uuid,
        "description": _text(link.description),
    }


def phone_records(owner, kind):
    """Return the phone of a service or organisation (kind) as HSDS phones, with the id it was imported with."""
    if not owner.phone:
        return []
    return [
        {
            "id": owner.phone_uuid or derived_id("phone", kind, owner.uuid),
            f"{kind}_id": owner.uuid,
            "number": owner.phone,
            "extension": owner.phone_extension,
            "type": owner.phone_type,
            "description": _text(owner.phone_description),
        }
    ]


def schedule_records(service):
    return [
        {
            "id": schedule.uuid,
            "service_id": service.uuid,
            "valid_from": day(schedule.valid_from),
            "valid_to": day(schedule.valid_to),
            "dtstart": day(schedule.dtstart),
            "timezone": number(schedule.utc_offset),
            "until": day(schedule.until),
            "count": schedule.occurrences,
            "freq": "WEEKLY",
            "wkst": schedule.wkst or "MO",
            "interval": schedule.interval_weeks or 1,
            "byday": WEEKDAYS[schedule.weekday],
            "byweekno": schedule.byweekno,
            "bymonthday": schedule.bymonthday,
            "byyearday": schedule.byyearday,
            "opens_at": clock(schedule.opens_at),
            "closes_at": clock(schedule.closes_at),
            "description": _text(schedule.description),
            "schedule_link": schedule.schedule_link,
            "attending_type": _text(schedule.attending_type),
            "notes": _text(schedule.notes),
        }
        for schedule in service.schedules
    ]


def service_area_records(service):
    """Return a service's areas, then its service area in words with the id it was imported with."""
    with force_locale("nl"):
        records = [
            {
                "id": derived_id("service_area", service.uuid, area.code),
                "service_id": service.uuid,
                "name": area.name,
                "description": str(vocabularies.label(vocabularies.AREA_KINDS, area.kind)),
            }
            for area in service.service_areas
        ]
    if service.area_note or service.area_note_details:
        records.append(
            {
                "id": service.area_note_uuid or derived_id("service_area_note", service.uuid),
                "service_id": service.uuid,
                "name": _text(service.area_note),
                "description": _text(service.area_note_details),
            }
        )
    return records


def language_records(service):
    with force_locale("nl"):
        return [
            {
                "id": derived_id("language", service.uuid, code),
                "service_id": service.uuid,
                "name": str(vocabularies.label(vocabularies.LANGUAGES, code)),
                "code": code,
            }
            for code in service.languages or []
        ]


def cost_option_records(service, catalogue):
    """Return the cost options an import kept, or else those our cost codes stand for."""
    if service.cost_options:
        return [
            {
                "id": option.uuid,
                "service_id": service.uuid,
                "valid_from": day(option.valid_from),
                "valid_to": day(option.valid_to),
                "option": _text(option.option),
                "currency": option.currency,
                "amount": number(option.amount),
                "amount_description": _text(option.amount_description),
            }
            for option in service.cost_options
        ]
    return derived_cost_option_records(service, catalogue)


def derived_cost_option_records(service, catalogue):
    """Return a cost option for each of a service's cost codes (an import stores none that equal these)."""
    records = []
    for code in service.cost or []:
        term = catalogue.term("cost", code)
        if term is None:
            continue
        record = {
            "id": derived_id("cost_option", service.uuid, code),
            "service_id": service.uuid,
            "option": term.name,
            "amount_description": _text(service.cost_note),
        }
        if code == "gratis":
            record.update(amount=0, currency="EUR")
        records.append(record)
    return records


def _attribute(entity, link_id, term, index=0, value=None):
    return {
        "id": derived_id("attribute", entity, link_id, term.id, index),
        "link_id": link_id,
        "taxonomy_term_id": term.id,
        "link_type": term.taxonomy_code,
        "link_entity": entity,
        "value": value,
    }


def service_attribute_records(service, catalogue):
    """Return a service's categories, target groups, Dutch vocabulary values and extra fields."""
    pairs = [("category", term.code) for term in service.categories]
    pairs += [("target_group", term.code) for term in service.target_groups]
    pairs += [("pyramid_level", service.pyramid_level), ("access_route", service.access_route)]
    pairs += [("cost", code) for code in service.cost or []]
    pairs += [("mode", code) for code in service.modes or []]
    pairs += [("respite_type", code) for code in service.respite_types or []]
    records = []
    for taxonomy_code, code in pairs:
        term = catalogue.term(taxonomy_code, code)
        if term is not None:
            records.append(_attribute("service", service.uuid, term))
    values = [("samenvatting", service.summary)] + [("trefwoord", word) for word in service.keywords or []]
    values += [("respijt_voor", service.respite_for)]
    if service.respite_lead_time_days is not None:
        values.append(("respijt_aanmeldtermijn", str(service.respite_lead_time_days)))
    for index, (code, value) in enumerate(values):
        if value:
            records.append(_attribute("service", service.uuid, catalogue.term(FIELD_TAXONOMY, code), index, value))
    for attribute in service.attributes:
        term = catalogue.terms_by_id.get(attribute.term.uuid)
        if term is not None:
            records.append(
                {
                    "id": attribute.uuid,
                    "link_id": service.uuid,
                    "taxonomy_term_id": term.id,
                    "link_type": attribute.link_type,
                    "link_entity": "service",
                    "value": attribute.value,
                }
            )
    return records


def location_attribute_records(location, catalogue):
    records = []
    for code in location.accessibility or []:
        term = catalogue.term("accessibility", code)
        if term is not None:
            records.append(_attribute("location", location.uuid, term))
    return records
