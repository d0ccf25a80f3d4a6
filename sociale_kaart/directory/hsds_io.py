"""HSDS 3.0 tabular data packages: export the published directory, import another system's (issue #5).

Export writes datapackage.json (HSDS's own resource descriptions, the data's licence and sources)
and one CSV per HSDS table. Import reads such a package into the database as drafts for a broker to
review: rows are matched by their HSDS id, so importing twice updates instead of duplicating. It
checks the package first (issue #18): an HSDS 1.x/2.x package is refused whole, a row that breaks
HSDS 3.0's table schemas is not imported; every row, field and file not kept is reported with its
file, line and reason, and the rest is kept.

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
import unicodedata
import uuid
import zipfile
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from pathlib import Path

from flask import current_app
from flask_babel import force_locale
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from .. import clock, geo, transactions
from ..config import open_data_license
from ..extensions import db
from ..params import without_control_characters
from . import editing, hours, hsds, municipalities, open_data, services, vocabularies
from .areas import area_containing
from .editing import PERIODS_PER_DAY
from .models import (
    IMPORTED_TAXONOMY_PREFIX,
    Area,
    ChangeRequest,
    CostOption,
    HistoryEntry,
    Location,
    Organization,
    Schedule,
    Service,
    ServiceAtLocation,
    ServiceAttribute,
    Taxonomy,
    TaxonomyTerm,
)

DATAPACKAGE = Path(__file__).resolve().parent / "hsds_schema" / "3.0" / "datapackage.json"


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


def export_tables(municipality=None):
    """Return {resource name: [row dicts]} of every published listing and the taxonomies.

    municipality (a CBS code of the installation's, issue #20): only the services that serve it, and
    their organisations and locations."""
    catalogue = open_data.catalogue()
    conditions = [open_data.public_condition()]
    if municipality is not None:
        conditions.append(municipalities.serves_municipality(municipality))
    rows = db.session.scalars(
        select(Service)
        .where(*conditions)
        .options(
            *open_data.full_service_options(),
            selectinload(Service.cost_options),
            selectinload(Service.attributes).joinedload(ServiceAttribute.term),
        )
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


def _package_descriptor(municipality=None):
    """Return datapackage.json: HSDS 3.0's resources, and the licence and sources of our data (issue #18).

    `licenses` is the data's licence (OPEN_DATA_LICENSE); HSDS's own `license` (CC BY-SA 4.0) covers the
    table descriptions taken from it, which the second source credits. A package of one municipality of a
    region (issue #20) is named after it."""
    config = current_app.config
    package = {key: value for key, value in descriptor().items() if key not in ("resources", "license", "homepage")}
    row = municipalities.by_code(municipality) if municipality is not None else None
    description = "The published services of the social map, in the Human Services Data Specification 3.0."
    if row is not None:
        description = (
            f"The published services of the social map that serve the municipality of {row.name} "
            f"(CBS {row.code}), in the Human Services Data Specification 3.0."
        )
    package.update(
        name=f"sociale-kaart-{row.code if row else config['MUNICIPALITY_CODE']}",
        title=f"Sociale kaart {row.name if row else config['MUNICIPALITY_NAME']}",
        description=description,
        created=clock.utcnow().replace(microsecond=0).isoformat().replace("+00:00", "Z"),
        licenses=[open_data_license(config)],
        sources=[
            {"title": f"Sociale kaart {config['MUNICIPALITY_NAME']}", "path": config["PUBLIC_URL"]},
            {
                "title": "Human Services Data Specification 3.0: an Open Referral resource (table descriptions, "
                "CC BY-SA 4.0)",
                "path": "https://openreferral.org/",
            },
        ],
    )
    package["resources"] = descriptor()["resources"]
    return package


def package_files(municipality=None):
    """Return {file name: bytes} of the HSDS package of the published directory (of one municipality's services)."""
    tables = export_tables(municipality)
    files = {
        "datapackage.json": json.dumps(_package_descriptor(municipality), indent=2, ensure_ascii=False).encode("utf-8")
    }
    for name, (path, fields) in resources().items():
        files[path] = _csv(fields, tables.get(name, []))
    return files, {name: len(tables.get(name, [])) for name in resources()}


def export_package(folder, municipality=None):
    """Write the HSDS package into a folder; return {resource name: rows written}.

    municipality: a CBS code of the installation's (check it with municipalities.by_code): only the
    services that serve it, with their organisations and locations (issue #20)."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    files, counts = package_files(municipality)
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


# import: the package is checked first (issue #18)
#
# 1. The declared HSDS version: 3.x is read; 1.x and 2.x (declared, or shown by their tables) are refused
#    whole, since their columns mean other things.
# 2. Every table against HSDS 3.0's own table schema (datapackage.json: types, formats such as uuid,
#    required fields, enums, unique ids), by frictionless, the reference implementation of Table Schema.
#    A row that breaks it is reported (file, line, field, reason) and not imported; the others are.
# 3. The importer keeps what our model has a place for and reports every other field, row and file.


@dataclass
class Problem:
    """A row, field or file an import did not use, and why.

    Lines are a table's rows as a spreadsheet numbers them: 1 is the header, a cell with line breaks
    counts once; 0 is the file as a whole."""

    file: str
    line: int
    reason: str
    field: str | None = None

    def __str__(self):
        where = f"{self.file}:{self.line}" if self.line else self.file
        return f"{where}: field `{self.field}` {self.reason}" if self.field else f"{where}: {self.reason}"


@dataclass
class ImportReport:
    """What an import did, and every row, field and file it did not keep."""

    created: Counter = field(default_factory=Counter)
    updated: Counter = field(default_factory=Counter)
    unchanged: Counter = field(default_factory=Counter)
    problems: list = field(default_factory=list)
    notes: list = field(default_factory=list)
    back_to_draft: list = field(default_factory=list)
    public_updates: list = field(default_factory=list)
    refused: str | None = None  # why nothing was imported (another HSDS version)


class _RowError(Exception):
    pass


# Tables of HSDS 1.x and 2.x that 3.0 renamed or dropped (their 3.0 home in brackets).
OLD_TABLES = {
    "physical_addresses.csv": "addresses.csv",
    "postal_addresses.csv": "addresses.csv",
    "regular_schedules.csv": "schedules.csv",
    "holiday_schedules.csv": "schedules.csv",
    "services_at_location.csv": "service_at_location.csv",
    "services_taxonomy.csv": "attributes.csv",
    "service_attributes.csv": "attributes.csv",
    "other_attributes.csv": "attributes.csv",
    "taxonomy.csv": "taxonomies.csv and taxonomy_terms.csv",
    "eligibility.csv": "services.csv's eligibility_description",
    "fees.csv": "cost_options.csv",
    "payments_accepted.csv": "no table",
    "interpretation_services.csv": "services.csv's interpretation_services",
    "accessibility_for_disabilities.csv": "accessibility.csv",
}
_VERSION = re.compile(r"\s*v?(\d+)(?:\.(\d+))?")
TYPE_WORDS = {
    ("string", "uuid"): "a uuid",
    ("string", "email"): "an e-mail address",
    ("string", "uri"): "a URI",
    ("number", None): "a number",
    ("date", None): "a date (YYYY-MM-DD)",
    ("time", None): "a time (HH:MM:SS)",
    ("datetime", None): "a date and time (YYYY-MM-DDTHH:MM:SSZ)",
}


def _own_descriptor(folder, report):
    """Return the package's own datapackage.json as a dict ({} when it has none or it cannot be read)."""
    path = folder / "datapackage.json"
    if not path.is_file():
        return {}
    try:
        own = json.loads(path.read_text(encoding="utf-8-sig"))
    except (ValueError, UnicodeDecodeError) as error:
        report.problems.append(Problem("datapackage.json", 0, f"not read: it is no JSON ({error})"))
        return {}
    return own if isinstance(own, dict) else {}


def _refusal(folder, own, report):
    """Return why a package is not HSDS 3.x and so is refused whole, or None (noting a version we do not know)."""
    version = own.get("version")
    match = _VERSION.match(str(version)) if isinstance(version, str | int | float) else None
    old = sorted(name for name in OLD_TABLES if (folder / name).is_file())
    if match and int(match.group(1)) == 3:
        if int(match.group(2) or 0) > 1:
            report.notes.append(
                f"datapackage.json declares HSDS {version}: read as HSDS 3.0, fields it does not have are reported"
            )
        return None
    if match and int(match.group(1)) in (1, 2):
        return (
            f"the package declares HSDS version {version}; this import reads HSDS 3.0 and 3.1 packages "
            "only, whose tables and columns differ. Nothing was imported: convert the package to HSDS 3.0 first."
        )
    if old:
        renamed = "; ".join(f"{name} (3.0: {OLD_TABLES[name]})" for name in old)
        return (
            f"the package declares no HSDS 3.x version and has tables of HSDS 1.x/2.x: {renamed}. This import "
            "reads HSDS 3.0 and 3.1 packages only. Nothing was imported: convert the package to HSDS 3.0 first."
        )
    if version is not None:
        report.notes.append(f"datapackage.json version {version!r} is no HSDS version: read as HSDS 3.0")
    return None


def _inside(folder, path):
    """Return True when a package's resource path names a file inside the package folder."""
    if not isinstance(path, str) or not path or "\\" in path or path.startswith("/") or ".." in path.split("/"):
        return False
    return (folder / path).resolve().is_relative_to(folder.resolve())


def _paths(folder, own, report):
    """Return {resource name: file}: HSDS's file names, or the package's own paths when they stay inside it."""
    paths = {name: path for name, (path, _fields) in resources().items()}
    declared = own.get("resources")
    for resource in declared if isinstance(declared, list) else []:
        name = resource.get("name") if isinstance(resource, dict) else None
        path = resource.get("path") if name in paths else None
        if path is None or path == paths[name]:
            continue
        if _inside(folder, path):
            paths[name] = path
        else:
            report.problems.append(
                Problem(
                    "datapackage.json",
                    0,
                    f"resource {name}: path {path!r} is not a file of the package; {paths[name]} read instead",
                )
            )
    return paths


def _official_schema(name):
    """Return HSDS 3.0's table schema of a resource, as the importer checks rows against it.

    Foreign keys are left to the importer: a package may point at rows already in the database (an
    update of part of a directory), and it reports references it cannot follow. Columns a package
    leaves out are allowed (fieldsMatch "partial"); _read_table refuses rows of a table without a
    required column.
    """
    resource = next(item for item in descriptor()["resources"] if item["name"] == name)
    schema = {key: value for key, value in resource["schema"].items() if key != "foreignKeys"}
    schema["fieldsMatch"] = "partial"
    return schema


def _row_reasons(row, fields):
    """Return (field or None, reason) for each way a frictionless row breaks its table schema."""
    reasons: list[tuple[str | None, str]] = []
    for error in row.errors:
        kind, name = error.type, getattr(error, "field_name", None) or None
        cell = getattr(error, "cell", "")
        constraints = fields.get(name, {}).get("constraints", {})
        if kind == "primary-key" and len(row.errors) > 1:
            continue  # the id's own error says why
        if kind == "blank-row":
            reason = (None, "the row is empty")
        elif kind in ("extra-cell", "missing-cell"):
            reason = (None, f"the row has {'more' if kind == 'extra-cell' else 'fewer'} cells than the header")
        elif kind == "type-error":
            what = TYPE_WORDS.get((fields[name]["type"], fields[name].get("format")), f"a {fields[name]['type']}")
            reason = (name, f"{cell!r} is not {what}")
        elif kind == "constraint-error" and not cell and constraints.get("required"):
            reason = (name, "is empty, and HSDS 3.0 requires it")
        elif kind == "constraint-error" and "enum" in constraints:
            reason = (name, f"{cell!r} is not one of {', '.join(constraints['enum'])}")
        elif kind == "unique-error":
            first = re.search(r"position (\d+)", error.note or "")
            reason = (name, f"{cell!r} is on line {first.group(1) if first else '?'} already, and must be unique")
        else:
            reason = (name, without_control_characters(error.note or error.title))
        if reason not in reasons:
            reasons.append(reason)
    return reasons


def _read_table(folder, name, path, problems):
    """Return the rows of one table that HSDS 3.0's table schema accepts, as [(line, {column: text})];
    report each row it refuses, with line, field and reason."""
    # Imported here, not at the top: every web process imports this module, only an import needs it.
    from frictionless import Dialect, FrictionlessException, Resource, Schema, formats

    schema = _official_schema(name)
    fields = {item["name"]: item for item in schema["fields"]}
    required = [key for key, item in fields.items() if item.get("constraints", {}).get("required")]
    dialect = Dialect(controls=[formats.CsvControl(delimiter=",")])
    rows = []
    try:
        with Resource(
            path=path,
            basepath=str(folder),
            schema=Schema.from_descriptor(schema),
            format="csv",
            encoding="utf-8-sig",
            dialect=dialect,
        ) as resource:
            labels = [str(label).strip() for label in resource.labels]
            broken = [error for error in resource.header.errors if error.type != "missing-label"]
            if broken:
                message = without_control_characters(broken[0].message)
                problems.append(Problem(path, 1, f"table not read: its header is wrong ({message})"))
                return []
            missing = [key for key in required if key not in labels]
            for row in resource.row_stream:
                reasons = _row_reasons(row, fields)
                reasons += [
                    (key, "is missing: the table has no such column, and HSDS 3.0 requires it") for key in missing
                ]
                for key, reason in reasons:
                    if key:
                        problems.append(Problem(path, row.row_number, f"is invalid: {reason}; row not imported", key))
                    else:
                        problems.append(Problem(path, row.row_number, f"row not imported: {reason}"))
                if not reasons:
                    rows.append(
                        (
                            row.row_number,
                            {label: _cell_text(value) for label, value in zip(labels, row.cells, strict=True)},
                        )
                    )
    except FrictionlessException as error:
        message = without_control_characters(error.error.note or error.error.title)
        problems.append(Problem(path, 0, f"table not read: {message}"))
        return []
    return rows


def _read_tables(folder, own, report):
    """Return {resource name: (file name, [(line, row)])} of the rows that pass HSDS 3.0's table schemas."""
    paths = _paths(folder, own, report)
    tables: dict[str, tuple[str, list[tuple[int, dict[str, str | None]]]]] = {}
    for name, path in paths.items():
        found = (folder / path).is_file()
        tables[name] = (path, _read_table(folder, name, path, report.problems) if found else [])
    for file in sorted(folder.iterdir()):
        if file.is_file() and file.suffix.lower() == ".csv" and file.name not in paths.values():
            home = f"; HSDS 1.x/2.x's table, 3.0 has {OLD_TABLES[file.name]}" if file.name in OLD_TABLES else ""
            report.problems.append(Problem(file.name, 0, f"table not read: not a table of HSDS 3.0{home}"))
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


def _length(model, name):
    """Return the most characters a text column holds (None: no limit)."""
    return getattr(model.__table__.c[name].type, "length", None)


def _fits(model, name, value):
    length = _length(model, name)
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


def _safe_uuid(value):
    try:
        return str(uuid.UUID(value)) if value else None
    except ValueError:
        return None


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
    "area_note",
    "area_note_details",
    "area_note_uuid",
    "phone",
    "email",
    "url",
    "minimum_age",
    "maximum_age",
    "status",
    "alert",
    "assured_date",
)
PHONE_FIELDS = ("phone", "phone_uuid", "phone_extension", "phone_type", "phone_description")
SCHEDULE_FIELDS = (
    "weekday",
    "opens_at",
    "closes_at",
    "description",
    "valid_from",
    "valid_to",
    "dtstart",
    "until",
    "occurrences",
    "interval_weeks",
    "wkst",
    "byweekno",
    "bymonthday",
    "byyearday",
    "utc_offset",
    "schedule_link",
    "attending_type",
    "notes",
)
COST_OPTION_FIELDS = ("option", "amount", "currency", "amount_description", "valid_from", "valid_to")


def _snapshot(service):
    """Return what the public sees of a service, to tell whether an import changed it."""
    return (
        tuple(getattr(service, name) for name in (*SERVICE_FIELDS, *PHONE_FIELDS[1:])),
        tuple(term.uuid for term in service.categories),
        tuple(term.uuid for term in service.target_groups),
        tuple(area.code for area in service.service_areas),
        tuple(sorted((link.uuid, link.location.uuid, link.description) for link in service.location_links)),
        tuple(sorted((s.uuid, *(getattr(s, name) for name in SCHEDULE_FIELDS)) for s in service.schedules)),
        tuple((o.uuid, *(getattr(o, name) for name in COST_OPTION_FIELDS)) for o in service.cost_options),
        tuple((a.uuid, a.term.uuid, a.link_type, a.value) for a in service.attributes),
        service.organization.uuid,
    )


# The columns of each table the importer keeps when it keeps the row; any other filled-in cell of a
# kept row is reported as not kept. Columns kept only in some cases are reported where they are read.
KEPT = {
    "organization": {"id", "name", "alternate_name", "description", "email", "website"},
    "service": {
        "id",
        "organization_id",
        "name",
        "description",
        "url",
        "email",
        "status",
        "application_process",
        "fees_description",
        "eligibility_description",
        "minimum_age",
        "maximum_age",
        "assured_date",
        "alert",
    },
    "location": {
        "id",
        "location_type",
        "organization_id",
        "name",
        "description",
        "transportation",
        "latitude",
        "longitude",
    },
    "service_at_location": {"id", "service_id", "location_id", "description"},
    "address": {"id", "location_id", "address_1", "city", "state_province", "postal_code", "country", "address_type"},
    "phone": {"id", "service_id", "organization_id", "number", "extension", "type", "description"},
    "schedule": {
        "id",
        "service_id",
        "service_at_location_id",
        "valid_from",
        "valid_to",
        "dtstart",
        "timezone",
        "until",
        "count",
        "wkst",
        "freq",
        "interval",
        "byday",
        "byweekno",
        "bymonthday",
        "byyearday",
        "description",
        "opens_at",
        "closes_at",
        "schedule_link",
        "attending_type",
        "notes",
    },
    "service_area": {"id", "service_id", "name", "description"},
    "language": {"id", "service_id", "name", "code"},
    "accessibility": {"id", "location_id", "description", "details"},
    "cost_option": {"id", "service_id", "valid_from", "valid_to", "option", "currency", "amount", "amount_description"},
    "attribute": {"id", "link_id", "taxonomy_term_id", "link_type", "link_entity", "value"},
    "taxonomy": {"id", "name", "description", "uri", "version"},
    "taxonomy_term": {
        "id",
        "code",
        "name",
        "description",
        "parent_id",
        "taxonomy",
        "language",
        "taxonomy_id",
        "term_uri",
    },
}
# Why some columns are not kept; any other: "no place for it".
NOT_KEPT = {
    ("service", "program_id"): "programs are not imported",
    ("service", "last_modified"): "the service's last change is the time of this import",
    ("service", "assurer_email"): "no place for it (the assurer is a broker of ours)",
    ("organization", "parent_organization_id"): "no place for it (organisations have no parent here)",
    ("phone", "contact_id"): "contacts are not imported",
    ("phone", "location_id"): "phones are kept per service or organisation",
    ("phone", "service_at_location_id"): "phones are kept per service or organisation",
    ("schedule", "location_id"): "opening hours are kept per service",
    ("language", "location_id"): "languages are kept per service",
    ("language", "phone_id"): "languages are kept per service",
    ("language", "note"): "no place for it (a service's languages are codes)",
    ("accessibility", "url"): "no place for it (a location's accessibility is our checklist and a description)",
}
UNSUPPORTED = {
    "program": "programs are not imported",
    "contact": "contacts are not imported (no place for named people)",
    "funding": "funding is not imported",
    "required_document": "required documents are not imported",
    "metadata": "change metadata is not imported",
    "meta_table_description": "table descriptions are not imported",
    "organization_identifier": "organisation identifiers are not imported",
}
# The tables whose objects we store as columns of their owner: the export derives their ids.
DERIVED_IDS = ("address", "accessibility", "language", "service_area", "attribute", "cost_option")
# The columns that name the owner a row is kept with.
OWNER_KEYS = {
    "phone": ("service_id", "organization_id"),
    "schedule": ("service_id", "service_at_location_id"),
    "language": ("service_id",),
    "cost_option": ("service_id",),
    "service_area": ("service_id",),
    "service_at_location": ("service_id",),
    "address": ("location_id",),
    "accessibility": ("location_id",),
}
PHONE_OWNERS = {"service": "service", "organisation": "organization"}  # as hsds.phone_records names them
DEFAULT_PYRAMID_LEVEL = "vrij_toegankelijk"
DEFAULT_ACCESS_ROUTE = "aanmelden"


class _Importer:
    """One import of one package: reads rows, applies the good ones, reports the rest."""

    def __init__(self, tables, report):
        self.tables, self.report = tables, report
        services.ensure_taxonomies()
        self.catalogue = open_data.catalogue()
        terms = db.session.scalars(
            select(TaxonomyTerm).join(TaxonomyTerm.taxonomy).options(selectinload(TaxonomyTerm.taxonomy))
        ).all()
        self.db_terms = {(term.taxonomy.code, term.code): term for term in terms}
        # taxonomies imported from other systems (issue #18), by HSDS id; their terms likewise
        self.imported_taxonomies = {
            taxonomy.uuid: taxonomy for taxonomy in db.session.scalars(select(Taxonomy)) if taxonomy.is_imported
        }
        self.imported_terms = {term.uuid: term for term in terms if term.taxonomy.is_imported}
        self.term_codes = {(term.taxonomy.uuid, term.code): term for term in self.imported_terms.values()}
        self.ours_by_alias = {}  # a package taxonomy id -> our taxonomy it names
        self.package_terms = {_safe_uuid(row.get("id")): row for _f, _l, row in self.rows("taxonomy_term")}
        self.areas = list(db.session.scalars(select(Area)))
        self.organizations, self.locations, self.services = {}, {}, {}
        self.to_review = []  # new or changed services, for the brokers' queue
        self.links = {}  # service_at_location id -> service
        self._children = {}
        self.used = set()  # (file, line) of rows kept, whole or in part
        self.reported = set()  # (file, line) of rows refused with a reason
        self.dropped = set()  # (file, line, field) of fields reported as not kept
        self._journal = []  # (set name, key) in the order added, to undo what a refused row's handler did

    def rows(self, name):
        file, rows = self.tables[name]
        for line, row in rows:
            yield file, line, row

    def problem(self, file, line, reason, field=None):
        self.report.problems.append(Problem(file, line, reason, field))

    def _note(self, kind, key):
        getattr(self, kind).add(key)
        self._journal.append((kind, key))

    def reject(self, file, line, reason):
        """Report a row that is not imported."""
        if (file, line) not in self.reported:
            self._note("reported", (file, line))
            self.problem(file, line, f"row not imported: {reason}")

    def use(self, file, line):
        self._note("used", (file, line))

    def drop(self, file, line, name, why):
        """Report a field of a kept row that is not kept."""
        if (file, line, name) not in self.dropped:
            self._note("dropped", (file, line, name))
            self.problem(file, line, f"not kept: {why}", name)

    def each(self, name, handle):
        """Call handle(file, line, row) for each row of a table, reporting the rows it rejects.

        When a row is refused, what its handler said of the rows it read with it (an address, a phone)
        is taken back: those rows point at nothing imported, and finish() reports them so."""
        for file, line, row in self.rows(name):
            problems, journal = len(self.report.problems), len(self._journal)
            try:
                handle(file, line, row)
            except _RowError as error:
                del self.report.problems[problems:]
                for kind, key in self._journal[journal:]:
                    getattr(self, kind).discard(key)
                del self._journal[journal:]
                self.reject(file, line, str(error))

    def children(self, name, key, parent_id):
        """Return the rows of a table whose column `key` holds parent_id (indexed on first use)."""
        if (name, key) not in self._children:
            index = defaultdict(list)
            for item in self.rows(name):
                index[_safe_uuid(item[2].get(key))].append(item)
            self._children[(name, key)] = index
        return list(self._children[(name, key)].get(parent_id, ()))

    def _count(self, kind, created, changed):
        target = self.report.created if created else self.report.updated if changed else self.report.unchanged
        target[kind] += 1

    @staticmethod
    def _unique_slug(model, name, key):
        return f"{editing.slugify(name)}-{key[:8]}"

    # taxonomies: ours are matched, another system's are imported as taxonomies of their own

    def _ours(self, taxonomy_id=None, name=None):
        """Return our taxonomy (an HsdsTaxonomy) with this id, or named so, or None."""
        taxonomy = self.catalogue.taxonomies_by_id.get(taxonomy_id) or self.ours_by_alias.get(taxonomy_id)
        if taxonomy is not None and not taxonomy.code.startswith(IMPORTED_TAXONOMY_PREFIX):
            return taxonomy
        folded = (name or "").casefold()
        for taxonomy in self.catalogue.taxonomies if folded else ():
            if folded in (taxonomy.name.casefold(), taxonomy.code) and not taxonomy.code.startswith(
                IMPORTED_TAXONOMY_PREFIX
            ):
                return taxonomy
        return None

    def taxonomy(self, file, line, row):
        taxonomy_id = _uuid(_required(row, "id"))
        ours = self._ours(taxonomy_id, row.get("name"))
        if ours is not None:
            self.ours_by_alias[taxonomy_id] = ours
            self.use(file, line)
            return
        self._save_taxonomy(
            taxonomy_id,
            {
                "name": _fits(Taxonomy, "name", _required(row, "name")),
                "description": row.get("description") or "",
                "uri": _fits(Taxonomy, "uri", row.get("uri")),
                "version": _fits(Taxonomy, "version", row.get("version")),
            },
        )
        self.use(file, line)

    def _save_taxonomy(self, taxonomy_id, values):
        taxonomy = self.imported_taxonomies.get(taxonomy_id)
        created = taxonomy is None
        if taxonomy is None:
            if db.session.scalars(select(Taxonomy.id).where(Taxonomy.uuid == taxonomy_id)).first() is not None:
                raise _RowError(f"id {taxonomy_id} is a taxonomy of ours under another name")
            taxonomy = Taxonomy(uuid=taxonomy_id, code=IMPORTED_TAXONOMY_PREFIX + taxonomy_id)
            db.session.add(taxonomy)
        before = {key: getattr(taxonomy, key) for key in values}
        for key, value in values.items():
            setattr(taxonomy, key, value)
        self._count("taxonomy", created, before != values)
        self.imported_taxonomies[taxonomy_id] = taxonomy
        return taxonomy

    def taxonomy_term(self, file, line, row):
        term_id = _uuid(_required(row, "id"))
        known = self.catalogue.terms_by_id.get(term_id)
        if known is not None and not known.taxonomy_code.startswith(IMPORTED_TAXONOMY_PREFIX):
            self.use(file, line)  # one of ours
            return
        taxonomy = self._term_taxonomy(file, line, row)
        if not isinstance(taxonomy, Taxonomy):
            if self.catalogue.term(taxonomy.code, row.get("code") or ""):
                self.use(file, line)  # another system's copy of one of our terms: matched by code
                return
            raise _RowError(
                f"term {row.get('name') or row.get('code')!r} of our taxonomy {taxonomy.name!r} is not one of "
                "its terms: map it to one of ours before importing"
            )
        code = _fits(TaxonomyTerm, "code", row.get("code") or term_id)
        term = self.imported_terms.get(term_id)
        clash = self.term_codes.get((taxonomy.uuid, code))
        if clash is not None and clash is not term:
            raise _RowError(f"code {code!r} is the code of term {clash.uuid} of the same taxonomy already")
        values = {
            "taxonomy": taxonomy,
            "code": code,
            "name": _fits(TaxonomyTerm, "name", _required(row, "name")),
            "description": row.get("description") or "",
            "language": _fits(TaxonomyTerm, "language", row.get("language")),
            "term_uri": _fits(TaxonomyTerm, "term_uri", row.get("term_uri")),
            "position": line,
        }
        created = term is None
        if term is None:
            if db.session.scalars(select(TaxonomyTerm.id).where(TaxonomyTerm.uuid == term_id)).first() is not None:
                raise _RowError(f"id {term_id} is a term of ours under another name")
            term = TaxonomyTerm(uuid=term_id)
            db.session.add(term)
        before = {key: getattr(term, key) for key in values}
        self.term_codes.pop((term.taxonomy.uuid if term.taxonomy else None, term.code), None)
        for key, value in values.items():
            setattr(term, key, value)
        self.imported_terms[term_id] = term
        self.term_codes[(taxonomy.uuid, code)] = term
        self._count("taxonomy_term", created, before != values)
        self.use(file, line)

    def _term_taxonomy(self, file, line, row):
        """Return the taxonomy of a package's term: an imported Taxonomy, or ours (an HsdsTaxonomy)."""
        taxonomy_id = _uuid(row.get("taxonomy_id"), "taxonomy_id")
        name = row.get("taxonomy")
        if taxonomy_id in self.imported_taxonomies:
            return self.imported_taxonomies[taxonomy_id]
        ours = self._ours(taxonomy_id, name)
        if ours is not None:
            return ours
        if not name:
            raise _RowError(
                f"taxonomy_id {taxonomy_id} is not in the package or the database"
                if taxonomy_id
                else "the term names no taxonomy (taxonomy_id and taxonomy are empty)"
            )
        by_name = next((t for t in self.imported_taxonomies.values() if t.name == name), None)
        if by_name is not None and taxonomy_id is None:
            return by_name
        key = taxonomy_id or hsds.derived_id("imported_taxonomy", name)
        where = f"taxonomies.csv has no taxonomy {taxonomy_id}" if taxonomy_id else "the term has no taxonomy_id"
        self.report.notes.append(f"{file}:{line}: {where}; taxonomy {name!r} ({key}) made from its `taxonomy` field")
        return self._save_taxonomy(key, {"name": _fits(Taxonomy, "name", name), "description": ""})

    def link_parents(self):
        """Set each imported term's parent once every term is read (a parent may come after its child)."""
        for file, line, row in self.rows("taxonomy_term"):
            term = self.imported_terms.get(_safe_uuid(row.get("id")))
            if term is None or (file, line) not in self.used:
                continue
            parent_id = _safe_uuid(row.get("parent_id"))
            parent = self.imported_terms.get(parent_id)
            if parent_id and (parent is None or parent.taxonomy is not term.taxonomy or parent is term):
                self.drop(
                    file,
                    line,
                    "parent_id",
                    f"term {parent_id} is not a term of the same taxonomy in the package or the database",
                )
                parent = None
            if parent is not None and parent.id is None:
                db.session.flush()
            term.parent_id = parent.id if parent is not None else None

    def resolve_term(self, term_id):
        """Return (taxonomy code, term code, None) of a term of ours, or (None, None, term) of an imported
        one; raise _RowError for a term that is neither."""
        if term_id in self.imported_terms:
            return None, None, self.imported_terms[term_id]
        term = self.catalogue.terms_by_id.get(term_id)
        if term is not None:
            return term.taxonomy_code, term.code, None
        row = self.package_terms.get(term_id)
        if row is not None:
            ours = self._ours(_safe_uuid(row.get("taxonomy_id")), row.get("taxonomy"))
            if ours is not None and self.catalogue.term(ours.code, row.get("code") or ""):
                return ours.code, row["code"], None
            raise _RowError(f"its taxonomy term {row.get('name') or row.get('code')!r} ({term_id}) was not imported")
        raise _RowError(f"unknown taxonomy term {term_id}")

    # organisations

    def organization(self, file, line, row):
        org_id = _uuid(_required(row, "id"))
        name = _fits(Organization, "name", _required(row, "name"))
        values = {
            "name": name,
            "alternate_name": _fits(Organization, "alternate_name", row.get("alternate_name")),
            "description": row.get("description") or "",
            "email": _fits(Organization, "email", row.get("email")),
            "website": _fits(Organization, "website", row.get("website")),
        }
        phones = [item for item in self.children("phone", "organization_id", org_id) if not item[2].get("service_id")]
        values.update(self._phone(phones, "organisation", org_id))
        organization = db.session.scalars(select(Organization).where(Organization.uuid == org_id)).first()
        created = organization is None
        if organization is None:
            organization = Organization(uuid=org_id, slug=self._unique_slug(Organization, name, org_id))
            db.session.add(organization)
        before = {key: getattr(organization, key) for key in values}
        for key, value in values.items():
            setattr(organization, key, value)
        changed = before != values
        self._count("organization", created, changed)
        if not created and changed and any(s.is_published for s in organization.services):
            self.report.public_updates.append(f"organisation {name}")
        self.organizations[org_id] = organization
        self.use(file, line)

    def _phone(self, rows, owner, owner_id):
        """Return the phone columns of a service or organisation (owner) from its phone rows: the first usable one.

        A phone id our export derived is not stored: the export derives it again."""
        values: dict = dict.fromkeys(PHONE_FIELDS)
        values["phone_description"] = ""
        kept = None
        for file, line, row in rows:
            if kept is not None:
                self.reject(file, line, f"the {owner} keeps one phone number, the one on line {kept}")
                continue
            if not row.get("number") or len(row["number"]) > 40:
                self.reject(file, line, "number is empty or longer than 40 characters")
                continue
            phone_id = _uuid(row.get("id"))
            extension = _number(row, "extension")
            if extension is not None and not (extension.is_integer() and 0 <= extension < 2**31):
                self.drop(file, line, "extension", f"{row['extension']!r} is not a whole number")
                extension = None
            kind = row.get("type")
            if kind is not None and len(kind) > 16:
                self.drop(file, line, "type", "longer than 16 characters")
                kind = None
            values.update(
                phone=row["number"],
                phone_uuid=None if phone_id == hsds.derived_id("phone", PHONE_OWNERS[owner], owner_id) else phone_id,
                phone_extension=None if extension is None else int(extension),
                phone_type=kind,
                phone_description=row.get("description") or "",
            )
            kept = line
            if owner == "service" and row.get("organization_id"):
                self.drop(file, line, "organization_id", "the phone is kept with the service")
            self.use(file, line)
        return values

    def find_organization(self, org_id):
        if org_id in self.organizations:
            return self.organizations[org_id]
        return db.session.scalars(select(Organization).where(Organization.uuid == org_id)).first()

    # locations

    def location(self, file, line, row):
        location_id = _uuid(_required(row, "id"))
        location_type = row.get("location_type") or "physical"
        organization = None
        if row.get("organization_id"):
            organization = self.find_organization(_uuid(row["organization_id"], "organization_id"))
            if organization is None:
                self.drop(
                    file,
                    line,
                    "organization_id",
                    f"organisation {row['organization_id']} is not in the package or the database",
                )
        address = self._address(location_id)
        name = row.get("name") or (address or {}).get("address_1") or (address or {}).get("city")
        if not name:
            raise _RowError("the location has no name and no address")
        lat, lon = _number(row, "latitude"), _number(row, "longitude")
        if (lat is not None and not -90 <= lat <= 90) or (lon is not None and not -180 <= lon <= 180):
            why = f"latitude {row.get('latitude')} and longitude {row.get('longitude')} are not a point on earth"
            for key in ("latitude", "longitude"):
                if row.get(key):
                    self.drop(file, line, key, why)
            lat = lon = None
        values = {
            "location_type": location_type,
            "organization": organization,
            "name": _fits(Location, "name", name),
            "description": row.get("description") or "",
            "transportation": row.get("transportation") or "",
            "lat": lat,
            "lon": lon,
        }
        if address:
            values.update(address)
            values["area"] = self._area_of(address["postal_code"]) if address["country"] == "NL" else None
        location = db.session.scalars(select(Location).where(Location.uuid == location_id)).first()
        created = location is None
        if location is None:
            location = Location(uuid=location_id)
            db.session.add(location)
        accessibility, note = self._accessibility(location_id)
        before = self._location_state(location)
        for key, value in {**values, **note}.items():
            setattr(location, key, value)
        location.accessibility = accessibility
        changed = before != self._location_state(location)
        self._count("location", created, changed)
        if not created and changed and any(link.service.is_published for link in location.service_links):
            self.report.public_updates.append(f"location {location.name}")
        self.locations[location_id] = location
        self.use(file, line)

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
                "accessibility_note",
                "accessibility_details",
                "accessibility_note_uuid",
            )
        )

    def _address(self, location_id):
        """Return the location's address columns from addresses.csv: the first usable one."""
        found = None
        for file, line, row in self.children("address", "location_id", location_id):
            if found is not None:
                self.reject(file, line, "a location keeps one address")
                continue
            try:
                country = _required(row, "country").upper()
                if len(country) != 2:
                    raise _RowError(f"country {row['country']!r} is not a two-letter code such as NL")
                postcode = _required(row, "postal_code")
                if country == "NL":  # four digits alone still place it (the gazetteer is by PC4); no other text
                    parsed = geo.parse_postcode(postcode)
                    if parsed is None:
                        raise _RowError(f"postal_code {row['postal_code']!r} is not a Dutch postcode such as 3941 AB")
                    postcode = " ".join(part for part in parsed if part)
                found = {
                    "address_1": _fits(Location, "address_1", _required(row, "address_1")),
                    "city": _fits(Location, "city", _required(row, "city")),
                    "postal_code": _fits(Location, "postal_code", postcode),
                    "state_province": _fits(Location, "state_province", row.get("state_province") or ""),
                    "country": country,
                }
            except _RowError as error:
                self.reject(file, line, str(error))
                continue
            if (row.get("address_type") or "physical") != "physical":
                self.drop(file, line, "address_type", "a location's address is its physical address here")
            self.use(file, line)
        return found

    def _area_of(self, postcode):
        return area_containing(self.areas, postcode[:4])

    def _accessibility(self, location_id):
        """Return a location's checklist codes, and its accessibility in words: the first row that is
        none of our checklist's items (issue #18)."""
        codes = []
        for file, line, row in self.children("attribute", "link_id", location_id):
            if row.get("link_entity") != "location":
                continue
            try:
                taxonomy, code, imported = self.resolve_term(
                    _uuid(_required(row, "taxonomy_term_id"), "taxonomy_term_id")
                )
                if imported is not None:
                    raise _RowError("terms of another system's taxonomy are kept for services only")
                if taxonomy != "accessibility":
                    raise _RowError(f"a location cannot have a {taxonomy} term")
                codes.append(code)
                self._our_attribute_fields(file, line, row, taxonomy)
                self.use(file, line)
            except _RowError as error:
                self.reject(file, line, str(error))
        labels = {
            term.name.casefold(): term.code
            for term in self.catalogue.taxonomies_by_id[hsds.taxonomy_id("accessibility")].terms
        }
        note: dict = {"accessibility_note": "", "accessibility_details": "", "accessibility_note_uuid": None}
        kept = None
        for file, line, row in self.children("accessibility", "location_id", location_id):
            text = (row.get("description") or "").casefold()
            code = labels.get(text) or (text if text in labels.values() else None)
            if code is not None:
                codes.append(code)
                if row.get("details"):
                    self.drop(file, line, "details", "no place for it (the description is an item of our checklist)")
            elif not row.get("description") and not row.get("details"):
                self.reject(file, line, "the row has no description and no details")
                continue
            elif kept is not None:
                self.reject(file, line, f"a location keeps one accessibility description, the one on line {kept}")
                continue
            else:
                note = {
                    "accessibility_note": row.get("description") or "",
                    "accessibility_details": row.get("details") or "",
                    "accessibility_note_uuid": _safe_uuid(row.get("id")),
                }
                kept = line
            self.use(file, line)
        return list(dict.fromkeys(codes)), note

    def _our_attribute_fields(self, file, line, row, taxonomy):
        """Report what a link to one of our terms cannot keep: another link_type, or a value."""
        if row.get("link_type") and row["link_type"] != taxonomy:
            self.drop(file, line, "link_type", f"a link to one of our terms has its taxonomy's code ({taxonomy})")
        if row.get("value") and taxonomy != hsds.FIELD_TAXONOMY:
            self.drop(file, line, "value", "a term of ours has no value")

    # services

    def service(self, file, line, row):
        service_id = _uuid(_required(row, "id"))
        name = _fits(Service, "name", _required(row, "name"))
        status = _required(row, "status")
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
        service = db.session.scalars(
            select(Service)
            .where(Service.uuid == service_id)
            .options(
                selectinload(Service.location_links).selectinload(ServiceAtLocation.location),
                selectinload(Service.schedules),
                selectinload(Service.categories),
                selectinload(Service.target_groups),
                selectinload(Service.service_areas),
                selectinload(Service.cost_options),
                selectinload(Service.attributes).selectinload(ServiceAttribute.term),
            )
        ).first()
        details = self._service_details(service_id)
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
        self.use(file, line)

    def _service_details(self, service_id):
        """Collect the values of a service from the package's other tables."""
        found = defaultdict(list)
        for file, line, row in self.children("attribute", "link_id", service_id):
            if row.get("link_entity") != "service":
                continue
            try:
                taxonomy, code, imported = self.resolve_term(
                    _uuid(_required(row, "taxonomy_term_id"), "taxonomy_term_id")
                )
                if imported is not None:
                    found["attributes"].append((_uuid(row["id"]), imported, row))
                elif taxonomy == "accessibility":
                    raise _RowError("accessibility belongs to a location, not a service")
                elif taxonomy == hsds.FIELD_TAXONOMY:
                    value = _required(row, "value")
                    if code == "samenvatting":
                        _fits(Service, "summary", value)
                    if code == "respijt_aanmeldtermijn" and not (value.isdigit() and int(value) <= 365):
                        raise _RowError(f"value {value!r} is not a number of days")
                    found[code].append(value)
                else:
                    found[taxonomy].append(code)
                if imported is None:
                    self._our_attribute_fields(file, line, row, taxonomy)
                self.use(file, line)
            except _RowError as error:
                self.reject(file, line, str(error))
        found["phone"] = self._phone(self.children("phone", "service_id", service_id), "service", service_id)
        for file, line, row in self.children("language", "service_id", service_id):
            code = vocabularies.language_code(row.get("code"))
            if code is None:
                self.reject(file, line, f"language {row.get('code') or row.get('name')!r} is no language code we know")
            else:
                found["language"].append(code)
                self.use(file, line)
        found["area"], found["area_note"] = self._service_areas(service_id)
        found["cost_options"] = self._cost_options(service_id)
        if "cost" not in found:
            found["cost"] = self._costs_from_options(found["cost_options"])
        found["schedules"] = self._schedules(service_id)
        found["links"] = self.children("service_at_location", "service_id", service_id)
        return found

    def _service_areas(self, service_id):
        """Return a service's areas, and its service area in words: the first row that names none (issue #18)."""
        areas = []
        note: dict = {"area_note": "", "area_note_details": "", "area_note_uuid": None}
        kept = None
        for file, line, row in self.children("service_area", "service_id", service_id):
            area = self._service_area(file, line, row, service_id)
            if area is not None:
                areas.append(area)
            elif not row.get("name") and not row.get("description"):
                self.reject(file, line, "the service area has no name and no description")
                continue
            elif kept is not None:
                self.reject(file, line, f"the service keeps one service area in words, the one on line {kept}")
                continue
            else:
                note = {
                    "area_note": row.get("name") or "",
                    "area_note_details": row.get("description") or "",
                    "area_note_uuid": _safe_uuid(row.get("id")),
                }
                kept = line
            self.use(file, line)
        return areas, note

    def _service_area(self, file, line, row, service_id):
        """Return the area a service area names: one of ours, or a new one when the package says its kind;
        None for any other, which the service keeps in words (issue #18)."""
        name = row.get("name") or ""
        wanted = name.casefold()
        area = next((a for a in self.areas if wanted and wanted in (a.name.casefold(), a.code)), None)
        if area is not None:
            return area
        kind = self._area_kind(row.get("description"))
        if kind is None or not name or len(name) > _length(Area, "name"):
            return None
        area = Area(
            code=self._area_code(row, name, service_id),
            name=name,
            kind=kind,
            municipality_code=municipalities.code_of_place_name(name),  # in a region: its place's (issue #20)
            postcodes=[],
        )
        db.session.add(area)
        self.areas.append(area)
        self._count("area", True, True)
        self.report.notes.append(
            f"{file}:{line}: area {name!r} ({kind}) made from the package; it has no postcodes yet"
        )
        return area

    @staticmethod
    def _area_kind(description):
        """Return the area kind a service area's description names (as our export writes it), or None."""
        wanted = (description or "").casefold()
        for locale in current_app.config["LANGUAGES"]:
            with force_locale(locale):
                for term in vocabularies.AREA_KINDS:
                    if wanted in (term.code, str(term.label).casefold()):
                        return term.code
        return None

    def _area_code(self, row, name, service_id):
        """Return a new area's code: the one our export derived the service area's id from, else one made
        from the name (so an export, imported into an empty database, keeps its service area ids)."""
        folded = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().lower()
        candidates = [re.sub(r"[^a-z0-9]+", sep, folded).strip(sep)[:64] or "gebied" for sep in ("_", "-")]
        code = next(
            (c for c in candidates if hsds.derived_id("service_area", service_id, c) == _safe_uuid(row.get("id"))),
            candidates[1],
        )
        taken = {area.code for area in self.areas}
        base, number = code, 2
        while code in taken:
            code, number = f"{base[:60]}-{number}", number + 1
        return code

    def _cost_options(self, service_id):
        """Return the cost options of a service as (id, {column: value})."""
        options = []
        for file, line, row in self.children("cost_option", "service_id", service_id):
            values = {
                "option": row.get("option") or "",
                "amount": _number(row, "amount"),
                "currency": row.get("currency"),
                "amount_description": row.get("amount_description") or "",
                "valid_from": _date(row, "valid_from"),
                "valid_to": _date(row, "valid_to"),
            }
            if values["currency"] is not None and len(values["currency"]) != 3:
                self.drop(file, line, "currency", f"{values['currency']!r} is not a three-letter code such as EUR")
                values["currency"] = None
            options.append((_uuid(row["id"]), values))
            self.use(file, line)
        return options

    def _costs_from_options(self, options):
        """Return our cost codes that a package without cost terms gives by its cost options' names or amounts."""
        labels = {
            term.name.casefold(): term.code for term in self.catalogue.taxonomies_by_id[hsds.taxonomy_id("cost")].terms
        }
        codes = []
        for _id, values in options:
            amount = values["amount"]
            code = labels.get(values["option"].casefold()) or (
                "gratis" if amount == 0 else "betaald" if amount else None
            )
            if code is not None:
                codes.append(code)
        return codes

    def _schedules(self, service_id):
        rows: list[tuple[str, int, dict, str | None]] = [
            (file, line, row, None) for file, line, row in self.children("schedule", "service_id", service_id)
        ]
        for _file, _line, link in self.children("service_at_location", "service_id", service_id):
            link_id = _safe_uuid(link.get("id"))
            rows += [
                (file, line, row, "service_at_location_id")
                for file, line, row in self.children("schedule", "service_at_location_id", link_id)
                if link_id and not row.get("service_id")
            ]
        wanted = []
        for file, line, row, via in rows:
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
                values = {
                    "opens_at": opens,
                    "closes_at": closes,
                    "description": _fits(Schedule, "description", row.get("description") or ""),
                    **self._recurrence(file, line, row),
                }
            except _RowError as error:
                self.reject(file, line, str(error))
                continue
            if via:
                self.drop(file, line, via, "opening hours are kept per service, for all its locations")
            elif row.get("service_at_location_id"):
                self.drop(file, line, "service_at_location_id", "opening hours are kept per service")
            if len(days) > 1:
                self.report.notes.append(
                    f"{file}:{line}: one opening time per day: {days[0]} keeps id {schedule_id}, "
                    f"{', '.join(days[1:])} get ids of their own"
                )
            for index, day in enumerate(days):
                key = schedule_id if index == 0 else hsds.derived_id("schedule", schedule_id, day)
                wanted.append((file, line, key, {"weekday": hsds.WEEKDAYS.index(day), **values}))
            self.use(file, line)
        return wanted

    def _recurrence(self, file, line, row):
        """Return a schedule's HSDS fields besides day and hours, reporting those that cannot be kept."""
        values = {
            "valid_from": _date(row, "valid_from"),
            "valid_to": _date(row, "valid_to"),
            "dtstart": _date(row, "dtstart"),
            "until": _date(row, "until"),
            # RFC 5545's defaults, which the export writes for none, are stored as none
            "wkst": None if row.get("wkst") == "MO" else row.get("wkst"),
            "attending_type": row.get("attending_type") or "",
            "notes": row.get("notes") or "",
        }
        for key, column in (("count", "occurrences"), ("interval", "interval_weeks")):
            number = _number(row, key)
            if number is not None and not (number.is_integer() and 1 <= number < 2**31):
                self.drop(file, line, key, f"{row[key]!r} is not a whole number of at least 1")
                number = None
            values[column] = None if number is None or (key == "interval" and number == 1) else int(number)
        offset = _number(row, "timezone")
        if offset is not None and not -14 <= offset <= 14:
            self.drop(file, line, "timezone", f"{row['timezone']!r} is not an offset from UTC in hours")
            offset = None
        values["utc_offset"] = offset
        for key in ("byweekno", "bymonthday", "byyearday", "schedule_link"):
            text = row.get(key)
            if text is not None and len(text) > _length(Schedule, key):
                self.drop(file, line, key, f"longer than {_length(Schedule, key)} characters")
                text = None
            values[key] = text
        return values

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
        for key, value in found["phone"].items():
            setattr(service, key, value)
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
        for key, value in found["area_note"].items():
            setattr(service, key, value)
        self._apply_cost_options(service, found["cost_options"])
        self._apply_attributes(service, found.get("attributes", []))
        self._apply_schedules(service, self._editable_schedules(found["schedules"]))
        self._apply_links(service, found["links"])

    def _apply_cost_options(self, service, options):
        """Keep the package's cost options, unless they are just what our cost codes stand for."""
        derived = {
            (record["id"], *(record.get(key) for key in COST_OPTION_FIELDS))
            for record in hsds.derived_cost_option_records(service, self.catalogue)
        }
        given = {
            (
                key,
                values["option"] or None,
                hsds.number(values["amount"]),
                values["currency"],
                values["amount_description"] or None,
                values["valid_from"],
                values["valid_to"],
            )
            for key, values in options
        }
        if given == derived:
            options = []
        current = {option.uuid: option for option in service.cost_options}
        result = []
        for position, (key, values) in enumerate(options):
            option = current.get(key) or CostOption(uuid=key)
            for name, value in values.items():
                setattr(option, name, value)
            option.position = position
            result.append(option)
        service.cost_options = result

    @staticmethod
    def _apply_attributes(service, wanted):
        current = {attribute.uuid: attribute for attribute in service.attributes}
        result = []
        for key, term, row in wanted:
            attribute = current.get(key) or ServiceAttribute(uuid=key)
            attribute.term, attribute.link_type, attribute.value = term, row.get("link_type"), row.get("value")
            result.append(attribute)
        service.attributes = result

    def _editable_schedules(self, wanted):
        """Keep at most the periods per weekday that the editor's form can show, and report the others."""
        kept: list = []
        per_day: dict[int, int] = {}
        for file, line, key, values in sorted(wanted, key=lambda item: (item[3]["weekday"], item[3]["opens_at"])):
            weekday = values["weekday"]
            per_day[weekday] = per_day.get(weekday, 0) + 1
            if per_day[weekday] <= PERIODS_PER_DAY:
                kept.append((key, values))
            else:
                self.problem(
                    file,
                    line,
                    f"not kept: more than {PERIODS_PER_DAY} opening periods on {hsds.WEEKDAYS[weekday]}; "
                    f"{values['opens_at']:%H:%M}-{values['closes_at']:%H:%M} not imported",
                    "byday",
                )
        return kept

    @staticmethod
    def _apply_schedules(service, wanted):
        current = {schedule.uuid: schedule for schedule in service.schedules}
        result = []
        for key, values in wanted:
            schedule = current.get(key) or Schedule(uuid=key)
            for name, value in values.items():
                setattr(schedule, name, value)
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
                self.use(file, line)
            except _RowError as error:
                self.reject(file, line, str(error))
        service.location_links = result

    # the rest: every row and field not kept gets a line

    def finish(self):
        """Report the ids the export will not give back, the fields of kept rows that have no place, and
        every row that was neither kept nor reported (one that points at nothing imported)."""
        self._check_ids()
        for name in resources():
            for file, line, row in self.rows(name):
                if name in UNSUPPORTED:
                    self.reject(file, line, UNSUPPORTED[name])
                elif (file, line) in self.used:
                    for key, value in row.items():
                        if value and key not in KEPT[name]:
                            known = key in resources()[name][1]
                            why = NOT_KEPT.get((name, key)) or (
                                "no place for it" if known else f"not a field of HSDS 3.0's {name} table"
                            )
                            self.drop(file, line, key, why)
                elif (file, line) not in self.reported:
                    self.reject(file, line, self._orphan_reason(name, row))

    def _check_ids(self):
        """Report the ids of kept rows that our export gives another id: those we derive from their owner."""
        catalogue = self.catalogue
        exported = set()
        for service in self.services.values():
            for records in (
                hsds.language_records(service),
                hsds.service_area_records(service),
                hsds.cost_option_records(service, catalogue),
                hsds.service_attribute_records(service, catalogue),
            ):
                exported |= {record["id"] for record in records}
            exported |= {attribute.uuid for attribute in service.attributes}
        for location in self.locations.values():
            for records in (
                hsds.address_records(location),
                hsds.accessibility_records(location, catalogue),
                hsds.location_attribute_records(location, catalogue),
            ):
                exported |= {record["id"] for record in records}
        for name in DERIVED_IDS:
            for file, line, row in self.rows(name):
                if (file, line) in self.used and _safe_uuid(row.get("id")) not in exported:
                    self.drop(file, line, "id", "the export gives it an id derived from what it describes")

    def _orphan_reason(self, name, row):
        if name == "attribute":
            entity = row.get("link_entity")
            if entity not in ("service", "location"):
                return f"attributes of {entity} are not imported"
            return f"link_id {row.get('link_id')} is not an imported {entity}"
        known = {
            "service_id": set(self.services),
            "location_id": set(self.locations),
            "organization_id": set(self.organizations),
            "service_at_location_id": set(self.links),
        }
        keys = [key for key in (*known, "contact_id", "phone_id") if row.get(key)]
        owners = [key for key in keys if key in OWNER_KEYS.get(name, ())]
        if not keys:
            return "the row points at no service, location or organisation"
        if owners:
            return "it points at " + ", ".join(f"{key} {row[key]}" for key in owners) + ", which was not imported"
        whose = " and ".join(key.removesuffix("_id").replace("_", " ") + "s" for key in OWNER_KEYS.get(name, ()))
        return f"{name.replace('_', ' ')} rows are kept for {whose} only, not for {', '.join(keys)}"


def import_package(folder, backend):
    """Import an HSDS 3.x package as drafts; return an ImportReport. Commits once, then re-indexes.

    Refuses an HSDS 1.x/2.x package whole (report.refused); imports the rows that pass HSDS 3.0's
    table schemas and reports every row, field and file it does not keep."""
    folder = Path(folder)
    report = ImportReport()
    own = _own_descriptor(folder, report)
    report.refused = _refusal(folder, own, report)
    if report.refused:
        old = [name for name in sorted(OLD_TABLES) if (folder / name).is_file()]
        report.problems.append(Problem("datapackage.json" if "version" in own else old[0], 0, report.refused))
        return report
    tables = _read_tables(folder, own, report)
    if not tables["service"][1] and not tables["organization"][1]:
        report.problems.append(Problem("services.csv", 0, "the package has no services and no organisations to import"))
        return report
    importer = _Importer(tables, report)
    with db.session.no_autoflush:
        importer.each("taxonomy", importer.taxonomy)
        importer.each("taxonomy_term", importer.taxonomy_term)
        importer.link_parents()
        importer.each("organization", importer.organization)
        importer.each("location", importer.location)
        importer.each("service", importer.service)
        importer.finish()
    _queue_for_review(importer.to_review)
    transactions.commit()
    report.problems.sort(key=lambda problem: (problem.file, problem.line))  # per file, then line (stable)
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
