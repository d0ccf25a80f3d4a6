"""HSDS 3.0 tabular data packages: export the published directory, import another system's (issue #5).

Export writes datapackage.json (HSDS's own resource descriptions) and one CSV per HSDS table.
Import reads such a package into the database as drafts for a broker to review: rows are
matched by their HSDS id, so importing twice updates instead of duplicating; every row that
cannot be used is reported with its file, line and reason, and the rest is kept.

Review (issue #3): every new or changed service goes "ter controle": it is hidden from the
public and waits in the brokers' queue as a new listing, which a broker approves to publish.
Re-import policy: a published service whose imported values differ from the current ones is
updated and taken back to review (the import rewrites the row, so the public cannot keep the old
version meanwhile); the command lists these. A service whose values are the same stays as it is.
Organisations and locations have no review state of their own: they are updated in place and
listed.
"""

import csv
import io
import json
import re
import uuid
import zipfile
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from pathlib import Path

from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from .. import clock, geo, transactions
from ..extensions import db
from ..params import without_control_characters
from . import editing, hours, hsds, open_data, services, vocabularies
from .areas import area_containing
from .editing import PERIODS_PER_DAY
from .models import (
    Area,
    ChangeRequest,
    HistoryEntry,
    Location,
    Organization,
    Schedule,
    Service,
    ServiceAtLocation,
    TaxonomyTerm,
)

DATAPACKAGE = Path(__file__).resolve().parent / "hsds_schema" / "3.0" / "datapackage.json"
UNSUPPORTED = {
    "program": "programs are not imported",
    "contact": "contacts are not imported (no place for named people)",
    "funding": "funding is not imported",
    "required_document": "required documents are not imported",
    "metadata": "change metadata is not imported",
    "meta_table_description": "table descriptions are not imported",
    "organization_identifier": "organisation identifiers are not imported",
}
DEFAULT_PYRAMID_LEVEL = "vrij_toegankelijk"
DEFAULT_ACCESS_ROUTE = "aanmelden"


@lru_cache(maxsize=1)
def descriptor():
    """Return HSDS 3.0's datapackage.json."""
    return json.loads(DATAPACKAGE.read_text(encoding="utf-8"))


def resources():
    """Return {resource name: (path, [field names])} in HSDS's order."""
    return {
        resource["name"]: (resource["path"], [f["name"] for f in resource["schema"]["fields"]])
        for resource in descriptor()["resources"]
    }


# export


def export_tables():
    """Return {resource name: [row dicts]} of every published listing and the taxonomies."""
    catalogue = open_data.catalogue()
    rows = db.session.scalars(
        select(Service)
        .where(open_data.public_condition())
        .options(*open_data.full_service_options())
        .order_by(Service.uuid)
    ).all()
    tables = defaultdict(list)
    organizations, locations = {}, {}
    for service in rows:
        organizations[service.organization.uuid] = service.organization
        tables["service"].append(hsds.service_record(service))
        tables["phone"] += hsds.phone_records(service, "service")
        tables["schedule"] += hsds.schedule_records(service)
        tables["service_area"] += hsds.service_area_records(service)
        tables["language"] += hsds.language_records(service)
        tables["cost_option"] += hsds.cost_option_records(service, catalogue)
        tables["attribute"] += hsds.service_attribute_records(service, catalogue)
        for link in service.location_links:
            tables["service_at_location"].append(hsds.service_at_location_record(link))
            locations[link.location.uuid] = link.location
    for organization in sorted(organizations.values(), key=lambda o: o.uuid):
        tables["organization"].append(hsds.organization_record(organization))
        tables["phone"] += hsds.phone_records(organization, "organization")
    for location in sorted(locations.values(), key=lambda loc: loc.uuid):
        record = hsds.location_record(location)
        if record["organization_id"] not in organizations:
            record["organization_id"] = None  # its organisation has nothing published
        tables["location"].append(record)
        tables["address"] += hsds.address_records(location)
        tables["accessibility"] += hsds.accessibility_records(location, catalogue)
        tables["attribute"] += hsds.location_attribute_records(location, catalogue)
    for taxonomy in catalogue.taxonomies:
        tables["taxonomy"].append(hsds.taxonomy_record(taxonomy))
        tables["taxonomy_term"] += [hsds.term_record(term) for term in taxonomy.terms]
    return tables


# Formula injection (issue #12; OWASP "CSV Injection"): Excel and LibreOffice run a cell that starts
# with one of these as a formula ("=HYPERLINK(…)", "+cmd|' /C calc'!A0"), so such a cell gets a
# single quote in front, which spreadsheets show as text.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
# Numbers and phone numbers ("+31 343 000 101", "-0.5") keep their sign: without letters or "|" a
# spreadsheet can only do sums with them (no function, link or command), while a quote would spoil
# them for every program that reads the open data.
_NUMBER_LIKE = re.compile(r"[+-]?[0-9][0-9 ().+-]*")


def _formula_like(text):
    return text.lstrip("'")[:1] in FORMULA_STARTS


def formula_safe(text: str) -> str:
    """Return a CSV cell that no spreadsheet runs as a formula: a single quote before a formula character.

    A cell that already starts with quotes before one gets one more, so unquote_formula gives it back."""
    return "'" + text if _formula_like(text) and not _NUMBER_LIKE.fullmatch(text) else text


def unquote_formula(text: str) -> str:
    """Return an imported cell without the quote formula_safe (or another system) put before a formula character."""
    return text[1:] if text[:1] == "'" and _formula_like(text[1:]) else text


def _cell(value):
    if value is None:
        return ""
    return formula_safe(str(value))


def _csv(fields, rows):
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(fields)
    for row in rows:
        writer.writerow([_cell(row.get(name)) for name in fields])
    return out.getvalue().encode("utf-8")


def _package_descriptor():
    package = {key: value for key, value in descriptor().items() if key not in ("resources", "license", "homepage")}
    package.update(
        name=f"sociale-kaart-{current_app.config['MUNICIPALITY_CODE']}",
        title=f"Sociale kaart {current_app.config['MUNICIPALITY_NAME']}",
        description="The published services of the social map, in the Human Services Data Specification 3.0.",
        created=clock.utcnow().replace(microsecond=0).isoformat().replace("+00:00", "Z"),
        sources=[
            {
                "title": "Human Services Data Specification 3.0: an Open Referral resource, CC BY-SA 4.0",
                "path": "https://openreferral.org/",
            }
        ],
    )
    package["resources"] = descriptor()["resources"]
    return package


def package_files():
    """Return {file name: bytes} of the HSDS package of the published directory."""
    tables = export_tables()
    files = {"datapackage.json": json.dumps(_package_descriptor(), indent=2, ensure_ascii=False).encode("utf-8")}
    for name, (path, fields) in resources().items():
        files[path] = _csv(fields, tables.get(name, []))
    return files, {name: len(tables.get(name, [])) for name in resources()}


def export_package(folder):
    """Write the HSDS package into a folder; return {resource name: rows written}."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    files, counts = package_files()
    for name, content in files.items():
        (folder / name).write_bytes(content)
    return counts


def package_zip():
    """Return the HSDS package as the bytes of a zip file."""
    files, _counts = package_files()
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in files.items():
            archive.writestr(name, content)
    return buffer.getvalue()


# import


@dataclass
class Problem:
    file: str
    line: int
    reason: str

    def __str__(self):
        return f"{self.file}:{self.line}: {self.reason}"


@dataclass
class ImportReport:
    """What an import did, and every row it could not use."""

    created: Counter = field(default_factory=Counter)
    updated: Counter = field(default_factory=Counter)
    unchanged: Counter = field(default_factory=Counter)
    problems: list = field(default_factory=list)
    notes: list = field(default_factory=list)
    back_to_draft: list = field(default_factory=list)
    public_updates: list = field(default_factory=list)


class _RowError(Exception):
    pass


def _read_tables(folder):
    """Return {resource name: (file name, [(line, row)])}, using the package's own paths when it has them."""
    folder = Path(folder)
    paths = {name: path for name, (path, _fields) in resources().items()}
    own = folder / "datapackage.json"
    if own.exists():
        try:
            for resource in json.loads(own.read_text(encoding="utf-8-sig")).get("resources", []):
                if resource.get("name") in paths and isinstance(resource.get("path"), str):
                    paths[resource["name"]] = resource["path"]
        except (ValueError, AttributeError):
            pass
    tables: dict[str, tuple[str, list[tuple[int, dict[str, str]]]]] = {}
    for name, path in paths.items():
        file = folder / path
        if not file.is_file():
            tables[name] = (path, [])
            continue
        with file.open(encoding="utf-8-sig", newline="") as handle:
            reader = csv.DictReader(handle)
            rows = [
                (reader.line_num, {key.strip(): _cell_text(value) for key, value in row.items() if key})
                for row in reader
            ]
        tables[name] = (path, rows)
    return tables


def _cell_text(value):
    """Return an imported cell as stored: trimmed, the export's formula quote taken off, and without
    control characters (a NUL or a stray form feed in an operator's file never reaches the database,
    issue #12); tab and line breaks stay, since descriptions have paragraphs."""
    text = without_control_characters(value or "", multiline=True) if isinstance(value, str) else ""
    return unquote_formula(text.strip()).strip() or None


def _uuid(value, what="id"):
    try:
        return str(uuid.UUID(value)) if value else None
    except ValueError:
        raise _RowError(f"{what} {value!r} is not a uuid") from None


def _required(row, name):
    if not row.get(name):
        raise _RowError(f"{name} is empty")
    return row[name]


def _fits(model, name, value):
    length = getattr(model.__table__.c[name].type, "length", None)
    if value is not None and length and len(value) > length:
        raise _RowError(f"{name} is longer than {length} characters")
    return value


def _number(row, name):
    """Return a cell as a float (None when empty), or raise _RowError for text that is no number."""
    value = row.get(name)
    if value is None:
        return None
    try:
        return float(value)
    except ValueError:
        raise _RowError(f"{name} {value!r} is not a number") from None


def _integer(row, name):
    number = _number(row, name)
    if number is not None and (not number.is_integer() or not 0 <= number <= 150):
        raise _RowError(f"{name} {row.get(name)!r} is not a whole number of years")
    return None if number is None else int(number)


def _float(row, name, low, high):
    number = _number(row, name)
    if number is not None and not low <= number <= high:
        raise _RowError(f"{name} {row.get(name)!r} is out of range")
    return number


def _date(row, name):
    value = row.get(name)
    if value is None:
        return None
    try:
        return date.fromisoformat(value[:10])
    except ValueError:
        raise _RowError(f"{name} {value!r} is not a date (YYYY-MM-DD)") from None


def _time(value, name):
    text = (value or "")[:5]
    parsed = hours.parse_time(text) if value and re.fullmatch(r"\d{2}:\d{2}(:\d{2})?", value) else None
    if parsed is None:
        raise _RowError(f"{name} {value!r} is not a time (HH:MM)")
    return parsed


def _snapshot(service):
    """Return what the public sees of a service, to tell whether an import changed it."""
    return (
        tuple(getattr(service, name) for name in SERVICE_FIELDS),
        tuple(term.uuid for term in service.categories),
        tuple(term.uuid for term in service.target_groups),
        tuple(area.code for area in service.service_areas),
        tuple(sorted((link.uuid, link.location.uuid, link.description) for link in service.location_links)),
        tuple(sorted((s.uuid, s.weekday, s.opens_at, s.closes_at, s.description) for s in service.schedules)),
        service.organization.uuid,
    )


SERVICE_FIELDS = (
    "name",
    "summary",
    "description",
    "for_whom",
    "how_to_apply",
    "pyramid_level",
    "access_route",
    "cost",
    "cost_note",
    "modes",
    "languages",
    "keywords",
    "respite_types",
    "respite_for",
    "respite_lead_time_days",
    "phone",
    "email",
    "url",
    "minimum_age",
    "maximum_age",
    "status",
    "alert",
    "assured_date",
)


class _Importer:
    """One import of one package: reads rows, applies the good ones, reports the rest."""

    def __init__(self, tables, report):
        self.tables, self.report = tables, report
        services.ensure_taxonomies()
        self.catalogue = open_data.catalogue()
        self.db_terms = {
            (term.taxonomy.code, term.code): term
            for term in db.session.scalars(
                select(TaxonomyTerm).join(TaxonomyTerm.taxonomy).options(selectinload(TaxonomyTerm.taxonomy))
            )
        }
        self.areas = db.session.scalars(select(Area)).all()
        self.organizations, self.locations, self.services = {}, {}, {}
        self.to_review = []  # new or changed services, for the brokers' queue
        self.links = {}  # service_at_location id -> service id
        self._children = {}

    def rows(self, name):
        file, rows = self.tables[name]
        for line, row in rows:
            yield file, line, row

    def problem(self, file, line, reason):
        self.report.problems.append(Problem(file, line, reason))

    def each(self, name, handle):
        """Call handle(row) for each row of a table, reporting the rows it rejects."""
        seen = set()
        for file, line, row in self.rows(name):
            try:
                key = row.get("id")
                if key is not None and key in seen:
                    raise _RowError(f"id {key} appears twice in {file}")
                seen.add(key)
                handle(row)
            except _RowError as error:
                self.problem(file, line, str(error))

    def children(self, name, key, parent_id):
        """Return the rows of a table whose column `key` holds parent_id (indexed on first use)."""
        if (name, key) not in self._children:
            index = defaultdict(list)
            for item in self.rows(name):
                index[_safe_uuid(item[2].get(key))].append(item)
            self._children[(name, key)] = index
        return list(self._children[(name, key)].get(parent_id, ()))

    # terms

    def resolve_term(self, term_id):
        """Return (taxonomy code, term code) of a term id of ours or of the package, or raise _RowError."""
        term = self.catalogue.terms_by_id.get(term_id)
        if term is not None:
            return term.taxonomy_code, term.code
        for _file, _line, row in self.rows("taxonomy_term"):
            if _safe_uuid(row.get("id")) == term_id:
                taxonomy = self._package_taxonomy(row)
                code = row.get("code") or ""
                if taxonomy and self.catalogue.term(taxonomy.code, code):
                    return taxonomy.code, code
                raise _RowError(
                    f"unknown taxonomy term {row.get('name') or code!r} ({term_id}): "
                    "map it to one of ours before importing"
                )
        raise _RowError(f"unknown taxonomy term {term_id}")

    def _package_taxonomy(self, term_row):
        taxonomy_id = _safe_uuid(term_row.get("taxonomy_id"))
        if taxonomy_id in self.catalogue.taxonomies_by_id:
            return self.catalogue.taxonomies_by_id[taxonomy_id]
        names = {term_row.get("taxonomy")}
        for _file, _line, row in self.rows("taxonomy"):
            if _safe_uuid(row.get("id")) == taxonomy_id:
                names.add(row.get("name"))
        for taxonomy in self.catalogue.taxonomies:
            if {taxonomy.name.casefold(), taxonomy.code} & {(n or "").casefold() for n in names}:
                return taxonomy
        return None

    # organisations

    def organization(self, row):
        org_id = _uuid(_required(row, "id"))
        name = _fits(Organization, "name", _required(row, "name"))
        values = {
            "name": name,
            "alternate_name": _fits(Organization, "alternate_name", row.get("alternate_name")),
            "description": row.get("description") or "",
            "email": _fits(Organization, "email", row.get("email")),
            "website": _fits(Organization, "website", row.get("website")),
        }
        phones = [row for _f, _l, row in self.children("phone", "organization_id", org_id)]
        phone = _fits(Organization, "phone", phones[0].get("number")) if phones else None
        organization = db.session.scalars(select(Organization).where(Organization.uuid == org_id)).first()
        created = organization is None
        if organization is None:
            organization = Organization(uuid=org_id, slug=self._unique_slug(Organization, name, org_id))
            db.session.add(organization)
        before = {key: getattr(organization, key) for key in (*values, "phone")}
        for key, value in values.items():
            setattr(organization, key, value)
        organization.phone = phone
        self._count("organization", created, before != {key: getattr(organization, key) for key in before})
        if (
            not created
            and before != {key: getattr(organization, key) for key in before}
            and any(s.is_published for s in organization.services)
        ):
            self.report.public_updates.append(f"organisation {name}")
        self.organizations[org_id] = organization

    def find_organization(self, org_id):
        if org_id in self.organizations:
            return self.organizations[org_id]
        return db.session.scalars(select(Organization).where(Organization.uuid == org_id)).first()

    # locations

    def location(self, row):
        location_id = _uuid(_required(row, "id"))
        location_type = row.get("location_type") or "physical"
        if location_type not in ("physical", "postal", "virtual"):
            raise _RowError(f"location_type {location_type!r} is not physical, postal or virtual")
        organization = None
        if row.get("organization_id"):
            organization = self.find_organization(_uuid(row["organization_id"], "organization_id"))
            if organization is None:
                raise _RowError(f"organization_id {row['organization_id']} is not in the package or the database")
        address = self._address(location_id)
        name = row.get("name") or (address or {}).get("address_1") or (address or {}).get("city")
        if not name:
            raise _RowError("the location has no name and no address")
        values = {
            "location_type": location_type,
            "organization": organization,
            "name": _fits(Location, "name", name),
            "description": row.get("description") or "",
            "transportation": row.get("transportation") or "",
            "lat": _float(row, "latitude", -90, 90),
            "lon": _float(row, "longitude", -180, 180),
        }
        if address:
            values.update(address)
            values["area"] = self._area_of(address["postal_code"])
        location = db.session.scalars(select(Location).where(Location.uuid == location_id)).first()
        created = location is None
        if location is None:
            location = Location(uuid=location_id)
            db.session.add(location)
        accessibility = self._accessibility(location_id)
        before = self._location_state(location)
        for key, value in values.items():
            setattr(location, key, value)
        location.accessibility = accessibility
        changed = before != self._location_state(location)
        self._count("location", created, changed)
        if not created and changed and any(link.service.is_published for link in location.service_links):
            self.report.public_updates.append(f"location {location.name}")
        self.locations[location_id] = location

    @staticmethod
    def _location_state(location):
        return tuple(
            getattr(location, key)
            for key in (
                "location_type",
                "organization",
                "name",
                "description",
                "transportation",
                "lat",
                "lon",
                "address_1",
                "postal_code",
                "city",
                "state_province",
                "country",
                "accessibility",
            )
        )

    def _address(self, location_id):
        """Return the location's address columns from addresses.csv (the first usable one)."""
        for file, line, row in self.children("address", "location_id", location_id):
            try:
                country = _required(row, "country").upper()
                if len(country) != 2:
                    raise _RowError(f"country {row['country']!r} is not a two-letter code such as NL")
                postcode = _required(row, "postal_code")
                parsed = geo.parse_postcode(postcode)
                if parsed:
                    postcode = " ".join(part for part in parsed if part)
                return {
                    "address_1": _fits(Location, "address_1", _required(row, "address_1")),
                    "city": _fits(Location, "city", _required(row, "city")),
                    "postal_code": _fits(Location, "postal_code", postcode),
                    "state_province": _fits(Location, "state_province", row.get("state_province") or ""),
                    "country": country,
                }
            except _RowError as error:
                self.problem(file, line, str(error))
        return None

    def _area_of(self, postcode):
        return area_containing(self.areas, postcode[:4])

    def _accessibility(self, location_id):
        codes = []
        for file, line, row in self.children("attribute", "link_id", location_id):
            if (row.get("link_entity") or "") != "location":
                continue
            try:
                taxonomy, code = self.resolve_term(_uuid(_required(row, "taxonomy_term_id"), "taxonomy_term_id"))
                if taxonomy != "accessibility":
                    raise _RowError(f"a location cannot have a {taxonomy} term")
                codes.append(code)
            except _RowError as error:
                self.problem(file, line, str(error))
        labels = {
            term.name.casefold(): term.code
            for term in self.catalogue.taxonomies_by_id[hsds.taxonomy_id("accessibility")].terms
        }
        for file, line, row in self.children("accessibility", "location_id", location_id):
            text = (row.get("description") or "").casefold()
            code = labels.get(text) or (text if text in labels.values() else None)
            if code is None:
                self.problem(file, line, f"accessibility {row.get('description')!r} is not on our checklist")
            else:
                codes.append(code)
        return list(dict.fromkeys(codes))

    # services

    def service(self, row):
        service_id = _uuid(_required(row, "id"))
        name = _fits(Service, "name", _required(row, "name"))
        status = _required(row, "status")
        if status not in vocabularies.codes(vocabularies.SERVICE_STATUSES):
            raise _RowError(f"status {status!r} is not active, inactive, defunct or temporarily closed")
        organization = self.find_organization(_uuid(_required(row, "organization_id"), "organization_id"))
        if organization is None:
            raise _RowError(f"organization_id {row['organization_id']} is not in the package or the database")
        values = {
            "organization": organization,
            "name": name,
            "description": row.get("description") or "",
            "url": _fits(Service, "url", row.get("url")),
            "email": _fits(Service, "email", row.get("email")),
            "status": status,
            "how_to_apply": row.get("application_process") or "",
            "cost_note": row.get("fees_description") or "",
            "for_whom": row.get("eligibility_description") or "",
            "minimum_age": _integer(row, "minimum_age"),
            "maximum_age": _integer(row, "maximum_age"),
            "assured_date": _date(row, "assured_date"),
            "alert": row.get("alert") or "",
        }
        details = self._service_details(service_id)
        service = db.session.scalars(
            select(Service)
            .where(Service.uuid == service_id)
            .options(
                selectinload(Service.location_links).selectinload(ServiceAtLocation.location),
                selectinload(Service.schedules),
                selectinload(Service.categories),
                selectinload(Service.target_groups),
                selectinload(Service.service_areas),
            )
        ).first()
        created = service is None
        if service is None:
            service = Service(
                uuid=service_id, slug=self._unique_slug(Service, name, service_id), publication_status="pending"
            )
            db.session.add(service)
            before = None
        else:
            before = _snapshot(service)
        for key, value in values.items():
            setattr(service, key, value)
        self._apply_details(service, details, created)
        changed = before != _snapshot(service)
        if not created and changed and service.publication_status != "pending":
            if service.is_published:
                self.report.back_to_draft.append(service.name)
            service.publication_status = "pending"
        if created or changed:
            self.to_review.append(service)
        self._count("service", created, changed)
        self.services[service_id] = service

    def _service_details(self, service_id):
        """Collect the values of a service from the package's other tables."""
        found = defaultdict(list)
        for file, line, row in self.children("attribute", "link_id", service_id):
            if (row.get("link_entity") or "service") != "service":
                continue
            try:
                taxonomy, code = self.resolve_term(_uuid(_required(row, "taxonomy_term_id"), "taxonomy_term_id"))
                if taxonomy == "accessibility":
                    raise _RowError("accessibility belongs to a location, not a service")
                if taxonomy == hsds.FIELD_TAXONOMY:
                    value = _required(row, "value")
                    if code == "samenvatting":
                        _fits(Service, "summary", value)
                    if code == "respijt_aanmeldtermijn" and not (value.isdigit() and int(value) <= 365):
                        raise _RowError(f"value {value!r} is not a number of days")
                    found[code].append(value)
                else:
                    found[taxonomy].append(code)
            except _RowError as error:
                self.problem(file, line, str(error))
        for file, line, row in self.children("phone", "service_id", service_id):
            if found["phone"]:
                self.problem(file, line, "a service keeps one phone number; this one is not imported")
            elif row.get("number") and len(row["number"]) <= 40:
                found["phone"].append(row["number"])
            else:
                self.problem(file, line, "number is empty or longer than 40 characters")
        language_codes = {code.casefold(): code for code in vocabularies.codes(vocabularies.LANGUAGES)}
        for file, line, row in self.children("language", "service_id", service_id):
            code = language_codes.get((row.get("code") or "").casefold())
            if code is None:
                self.problem(file, line, f"language {row.get('code') or row.get('name')!r} is not on our list")
            else:
                found["language"].append(code)
        for file, line, row in self.children("service_area", "service_id", service_id):
            wanted = (row.get("name") or "").casefold()
            area = next((a for a in self.areas if wanted in (a.name.casefold(), a.code)), None)
            if area is None:
                self.problem(file, line, f"service area {row.get('name')!r} is not an area of this municipality")
            else:
                found["area"].append(area)
        if "cost" not in found:
            found["cost"] = self._costs_from_options(service_id)
        found["schedules"] = self._schedules(service_id)
        found["links"] = [
            (file, line, row) for file, line, row in self.children("service_at_location", "service_id", service_id)
        ]
        return found

    def _costs_from_options(self, service_id):
        labels = {
            term.name.casefold(): term.code for term in self.catalogue.taxonomies_by_id[hsds.taxonomy_id("cost")].terms
        }
        codes = []
        for file, line, row in self.children("cost_option", "service_id", service_id):
            option = (row.get("option") or "").casefold()
            try:
                amount = float(row["amount"]) if row.get("amount") else None
            except ValueError:
                self.problem(file, line, f"amount {row['amount']!r} is not a number")
                continue
            code = labels.get(option) or ("gratis" if amount == 0 else "betaald" if amount else None)
            if code is None:
                self.problem(file, line, "cost option has no known option and no amount")
            else:
                codes.append(code)
        return codes

    def _schedules(self, service_id):
        rows = self.children("schedule", "service_id", service_id)
        link_ids = {
            _safe_uuid(r.get("id")) for _f, _l, r in self.children("service_at_location", "service_id", service_id)
        }
        rows += [
            item
            for item in self.rows("schedule")
            if not item[2].get("service_id") and _safe_uuid(item[2].get("service_at_location_id")) in link_ids - {None}
        ]
        wanted = []
        for file, line, row in rows:
            try:
                schedule_id = _uuid(_required(row, "id"))
                if (row.get("freq") or "WEEKLY") != "WEEKLY":
                    raise _RowError(f"freq {row['freq']!r}: only weekly opening hours are imported")
                days = [day.strip() for day in _required(row, "byday").split(",")]
                if any(day not in hsds.WEEKDAYS for day in days):
                    raise _RowError(f"byday {row['byday']!r} is not a list of MO, TU, WE, TH, FR, SA, SU")
                opens, closes = _time(row.get("opens_at"), "opens_at"), _time(row.get("closes_at"), "closes_at")
                if opens >= closes:
                    raise _RowError("opens_at is not before closes_at")
                description = _fits(Schedule, "description", row.get("description") or "")
                for index, day in enumerate(days):
                    key = schedule_id if index == 0 else hsds.derived_id("schedule", schedule_id, day)
                    wanted.append((key, hsds.WEEKDAYS.index(day), opens, closes, description))
            except _RowError as error:
                self.problem(file, line, str(error))
        return wanted

    def _apply_details(self, service, found, created):
        fields = {
            name: found.get(code, [])
            for code, name in (
                ("samenvatting", "summary"),
                ("trefwoord", "keywords"),
                ("respijt_voor", "respite_for"),
                ("respijt_aanmeldtermijn", "respite_lead_time_days"),
            )
        }
        service.summary = fields["summary"][0] if fields["summary"] else ""
        service.keywords = list(fields["keywords"])
        service.respite_for = fields["respite_for"][0] if fields["respite_for"] else ""
        lead = fields["respite_lead_time_days"]
        service.respite_lead_time_days = int(lead[0]) if lead else None
        for taxonomy, default in (("pyramid_level", DEFAULT_PYRAMID_LEVEL), ("access_route", DEFAULT_ACCESS_ROUTE)):
            codes = found.get(taxonomy, [])
            if codes:
                setattr(service, taxonomy, codes[-1])
            elif created or not getattr(service, taxonomy):
                setattr(service, taxonomy, default)
                self.report.notes.append(
                    f"{service.name}: no {taxonomy} in the package; set to {default}, check it before publishing"
                )
        service.cost = list(dict.fromkeys(found.get("cost", [])))
        service.modes = list(dict.fromkeys(found.get("mode", [])))
        service.respite_types = list(dict.fromkeys(found.get("respite_type", [])))
        service.languages = list(dict.fromkeys(found.get("language", [])))
        service.phone = found["phone"][0] if found.get("phone") else None
        service.categories = [
            self.db_terms[("category", code)]
            for code in dict.fromkeys(found.get("category", []))
            if ("category", code) in self.db_terms
        ]
        service.target_groups = [
            self.db_terms[("target_group", code)]
            for code in dict.fromkeys(found.get("target_group", []))
            if ("target_group", code) in self.db_terms
        ]
        service.service_areas = list(dict.fromkeys(found.get("area", [])))
        self._apply_schedules(service, self._editable_schedules(service, found["schedules"]))
        self._apply_links(service, found["links"])

    def _editable_schedules(self, service, wanted):
        """Keep at most the periods per weekday that the editor's form can show, and say so."""
        kept: list = []
        per_day: dict[int, int] = {}
        for item in sorted(wanted, key=lambda item: (item[1], item[2])):
            per_day[item[1]] = per_day.get(item[1], 0) + 1
            if per_day[item[1]] <= PERIODS_PER_DAY:
                kept.append(item)
            else:
                self.report.notes.append(
                    f"{service.name}: more than {PERIODS_PER_DAY} opening periods on weekday {item[1]}; "
                    f"{item[2]:%H:%M}-{item[3]:%H:%M} not imported"
                )
        return kept

    @staticmethod
    def _apply_schedules(service, wanted):
        current = {schedule.uuid: schedule for schedule in service.schedules}
        result = []
        for key, weekday, opens, closes, description in wanted:
            schedule = current.get(key) or Schedule(uuid=key)
            schedule.weekday, schedule.opens_at, schedule.closes_at = weekday, opens, closes
            schedule.description = description
            result.append(schedule)
        service.schedules = result

    def _apply_links(self, service, rows):
        current = {link.uuid: link for link in service.location_links}
        by_location = {link.location.uuid: link for link in service.location_links}
        result: list = []
        for file, line, row in rows:
            try:
                link_id = _uuid(_required(row, "id"))
                location_id = _uuid(_required(row, "location_id"), "location_id")
                location = (
                    self.locations.get(location_id)
                    or db.session.scalars(select(Location).where(Location.uuid == location_id)).first()
                )
                if location is None:
                    raise _RowError(f"location_id {location_id} is not in the package or the database")
                if any(item.location is location for item in result):
                    raise _RowError("the service is at this location twice")
                link = current.get(link_id) or by_location.get(location_id) or ServiceAtLocation(uuid=link_id)
                link.location, link.description = location, row.get("description") or ""
                result.append(link)
                self.links[link_id] = service
            except _RowError as error:
                self.problem(file, line, str(error))
        service.location_links = result

    # the rest

    def check_orphans(self):
        """Report rows that point at a service, location or organisation that was not imported."""
        known = {
            "service_id": set(self.services),
            "location_id": set(self.locations),
            "organization_id": set(self.organizations),
            "service_at_location_id": set(self.links),
        }
        for name in (
            "phone",
            "schedule",
            "service_area",
            "language",
            "cost_option",
            "service_at_location",
            "address",
            "accessibility",
            "attribute",
        ):
            for file, line, row in self.rows(name):
                if name == "attribute":
                    link = _safe_uuid(row.get("link_id"))
                    entity = row.get("link_entity") or "service"
                    if entity not in ("service", "location"):
                        self.problem(file, line, f"attributes of {entity} are not imported")
                    elif link not in known[f"{entity}_id"]:
                        self.problem(file, line, f"link_id {row.get('link_id')} is not an imported {entity}")
                    continue
                keys = [key for key in known if row.get(key)]
                if not keys:
                    self.problem(file, line, "the row points at no service, location or organisation")
                elif not any(_safe_uuid(row.get(key)) in known[key] for key in keys):
                    self.problem(
                        file,
                        line,
                        "it points at " + ", ".join(f"{key} {row[key]}" for key in keys) + ", which was not imported",
                    )
        for name, reason in UNSUPPORTED.items():
            for file, line, _row in self.rows(name):
                self.problem(file, line, reason)

    def _count(self, kind, created, changed):
        target = self.report.created if created else self.report.updated if changed else self.report.unchanged
        target[kind] += 1

    @staticmethod
    def _unique_slug(model, name, key):
        return f"{editing.slugify(name)}-{key[:8]}"


def _safe_uuid(value):
    try:
        return str(uuid.UUID(value)) if value else None
    except ValueError:
        return None


def import_package(folder, backend):
    """Import an HSDS package as drafts; return an ImportReport. Commits once, then re-indexes."""
    tables = _read_tables(folder)
    report = ImportReport()
    if not tables["service"][1] and not tables["organization"][1]:
        report.problems.append(Problem("services.csv", 0, "the package has no services and no organisations"))
        return report
    importer = _Importer(tables, report)
    with db.session.no_autoflush:
        importer.each("organization", importer.organization)
        importer.each("location", importer.location)
        importer.each("service", importer.service)
    importer.check_orphans()
    _queue_for_review(importer.to_review)
    transactions.commit()
    return report


def _queue_for_review(imported):
    """Put each new or changed service in the brokers' queue as a listing to publish (issue #3)."""
    db.session.flush()
    for service in imported:
        values = editing.snapshot_service(service)
        change = db.session.scalars(
            select(ChangeRequest).where(
                ChangeRequest.kind == "service",
                ChangeRequest.target_id == service.id,
                ChangeRequest.status == "pending",
            )
        ).first()
        if change is None:
            change = ChangeRequest(
                kind="service", target_id=service.id, organization_id=service.organization_id, base={}
            )
            db.session.add(change)
        change.action, change.data = "create", values
        change.comment = ""
        db.session.add(
            HistoryEntry(
                kind="service",
                target_id=service.id,
                organization_id=service.organization_id,
                action="imported",
                changes={},
                comment="HSDS import",
            )
        )
