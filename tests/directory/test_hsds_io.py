"""HSDS 3.0 packages: the export validates against HSDS's datapackage.json; export + import round-trips;
the import checks a package against HSDS 3.0's table schemas and reports every row and field it does not
keep (issue #18)."""

import csv
import json
import re
import uuid
from datetime import date, datetime, time
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from rfc3986_validator import validate_rfc3986
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from sociale_kaart import clock, transactions
from sociale_kaart.directory import hsds, hsds_io, moderation, municipalities, seed, services
from sociale_kaart.directory.cli import DEMO_FOLDER
from sociale_kaart.directory.models import (
    Area,
    Location,
    Organization,
    Service,
    ServiceAtLocation,
    Taxonomy,
    TaxonomyTerm,
)
from sociale_kaart.extensions import db
from tests.builders import make_user
from tests.conftest import fresh_app, make_app
from tests.matching.factories import load_region

from ..api import hsds_schemas

_DATETIME = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)")


def _valid(kind, fmt, value):
    """Check one non-empty cell against a Table Schema field type and format."""
    if fmt == "uuid":
        return str(uuid.UUID(value)) == value.lower()
    if fmt == "email":
        return re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", value) is not None
    if fmt == "uri":
        return validate_rfc3986(value, rule="URI")
    if kind == "number":
        return float(value) == float(value)
    if kind == "date":
        return date.fromisoformat(value).isoformat() == value
    if kind == "time":
        return time.fromisoformat(value).strftime("%H:%M:%S") == value
    if kind == "datetime":
        return _DATETIME.fullmatch(value) is not None
    return kind == "string"


def validate_package(folder):
    """Return every way a package breaks HSDS 3.0's datapackage.json (Table Schema rules it uses)."""
    official = hsds_schemas.datapackage()
    ours = json.loads((folder / "datapackage.json").read_text(encoding="utf-8"))
    problems = []
    if ours["profile"] != official["profile"] or ours["resources"] != official["resources"]:
        problems.append("datapackage.json does not describe HSDS 3.0's resources")
    tables = {}
    for resource in official["resources"]:
        path = folder / resource["path"]
        if not path.exists():
            problems.append(f"{resource['path']} is missing")
            continue
        with path.open(encoding="utf-8", newline="") as handle:
            reader = csv.reader(handle)
            header = next(reader)
            rows = [dict(zip(header, row, strict=True)) for row in reader]
        fields = resource["schema"]["fields"]
        if header != [f["name"] for f in fields]:
            problems.append(f"{resource['path']}: header {header}")
        tables[resource["name"]] = rows
        for f in fields:
            values = [row[f["name"]] for row in rows]
            constraints = f.get("constraints", {})
            for line, value in enumerate(values, start=2):
                where = f"{resource['path']}:{line} {f['name']}"
                if not value:
                    if constraints.get("required"):
                        problems.append(f"{where} is required")
                    continue
                if "enum" in constraints and value not in constraints["enum"]:
                    problems.append(f"{where}: {value!r} not in enum")
                try:
                    ok = _valid(f["type"], f.get("format"), value)
                except ValueError:
                    ok = False
                if not ok:
                    problems.append(f"{where}: {value!r} is not a {f['type']} {f.get('format') or ''}")
            filled = [v for v in values if v]
            if constraints.get("unique") and len(filled) != len(set(filled)):
                problems.append(f"{resource['path']} {f['name']} is not unique")
    for resource in official["resources"]:
        for key in resource["schema"].get("foreignKeys", []):
            target = {row[key["reference"]["fields"]] for row in tables.get(key["reference"]["resource"], [])}
            for line, row in enumerate(tables.get(resource["name"], []), start=2):
                value = row[key["fields"]]
                if value and value not in target:
                    problems.append(
                        f"{resource['path']}:{line} {key['fields']} {value} has no {key['reference']['resource']}"
                    )
    return problems, {name: len(rows) for name, rows in tables.items()}


@pytest.fixture(scope="module")
def demo_package(demo_app, tmp_path_factory):
    folder = tmp_path_factory.mktemp("hsds-export")
    with demo_app.app_context():
        hsds_io.export_package(folder)
    return folder


def test_the_export_validates_against_the_hsds_datapackage(demo_package):
    problems, counts = validate_package(demo_package)
    assert problems == []
    assert counts["service"] == 174 and counts["organization"] == 66 and counts["location"] == 70
    assert counts["service_at_location"] == 181 and counts["taxonomy"] == 9 and counts["attribute"] > 1000
    assert counts["contact"] == counts["program"] == 0


def test_the_export_validates_as_json_objects_too(demo_package):
    """Each CSV row, typed, is a valid HSDS object (the JSON schemas' view of the same data)."""
    for name in ("organization", "service", "location", "schedule", "attribute", "taxonomy_term", "address"):
        with (demo_package / hsds_io.resources()[name][0]).open(encoding="utf-8", newline="") as handle:
            for row in csv.DictReader(handle):
                record = {key: value for key, value in row.items() if value}
                for key in ("minimum_age", "maximum_age", "latitude", "longitude", "interval"):
                    if key in record:
                        record[key] = float(record[key])
                assert hsds_schemas.errors(f"{name}.json", record) == []


def _load(model, *options):
    return {row.uuid: row for row in db.session.scalars(select(model).options(*options))}


def _service_values(service):
    return {
        **{name: getattr(service, name) for name in hsds_io.SERVICE_FIELDS},
        "organization": service.organization.uuid,
        "categories": [term.code for term in service.categories],
        "target_groups": [term.code for term in service.target_groups],
        "service_areas": [area.code for area in service.service_areas],
        "links": sorted((link.uuid, link.location.uuid, link.description) for link in service.location_links),
        "schedules": sorted((s.uuid, s.weekday, s.opens_at, s.closes_at, s.description) for s in service.schedules),
    }


LOCATION_FIELDS = (
    "location_type",
    "name",
    "description",
    "address_1",
    "postal_code",
    "city",
    "state_province",
    "country",
    "lat",
    "lon",
    "transportation",
    "accessibility",
)
ORGANIZATION_FIELDS = ("name", "alternate_name", "description", "email", "website", "phone")


def _snapshot():
    service_options = (
        selectinload(Service.categories),
        selectinload(Service.target_groups),
        selectinload(Service.service_areas),
        selectinload(Service.schedules),
        selectinload(Service.location_links).selectinload(ServiceAtLocation.location),
        selectinload(Service.organization),
    )
    return {
        "services": {key: _service_values(s) for key, s in _load(Service, *service_options).items()},
        "locations": {
            key: {
                **{f: getattr(loc, f) for f in LOCATION_FIELDS},
                "area": loc.area.code if loc.area else None,
                "organization": loc.organization.uuid if loc.organization else None,
            }
            for key, loc in _load(Location, selectinload(Location.area)).items()
        },
        "organizations": {
            key: {f: getattr(o, f) for f in ORGANIZATION_FIELDS} for key, o in _load(Organization).items()
        },
    }


def _only_last_modified_not_kept(report, services_count):
    """Check that an import of our own export kept everything but each service's last_modified."""
    assert {(p.file, p.field, p.reason) for p in report.problems} == {
        ("services.csv", "last_modified", "not kept: the service's last change is the time of this import")
    }
    assert len(report.problems) == services_count


def test_export_then_import_into_an_empty_database_reproduces_the_published_listings(demo_app, demo_package, app):
    with demo_app.app_context():
        original = _snapshot()
    seed.load_areas(DEMO_FOLDER, services.geocoder(), app.config["MUNICIPALITY_CODE"])

    report = hsds_io.import_package(demo_package, services.search_backend())
    _only_last_modified_not_kept(report, 174)
    assert report.notes == []
    assert dict(report.created) == {"organization": 66, "location": 70, "service": 174}
    drafts = db.session.scalars(select(Service)).all()
    assert {s.publication_status for s in drafts} == {"pending"}
    assert services.search_listings(services.SearchCriteria()).total == 0  # nothing public yet

    # the broker publishes them from the queue, where each waits as a new listing
    admin = make_user(roles=("admin",))
    queue = moderation.moderation_queue(admin)
    assert len(queue.new) == 174
    for item in queue.new:
        assert moderation.approve_change(item.change.id, by=admin)
    imported = _snapshot()
    assert imported == original
    assert (len(imported["services"]), len(imported["locations"]), len(imported["organizations"])) == (174, 70, 66)
    # the same five listings unchecked for over 12 months stay out of search (issue #3)
    assert services.search_listings(services.SearchCriteria()).total == 181 - 5


def test_importing_the_same_package_twice_updates_instead_of_duplicating(demo_package, app):
    seed.load_areas(DEMO_FOLDER, services.geocoder(), app.config["MUNICIPALITY_CODE"])
    hsds_io.import_package(demo_package, services.search_backend())
    first = _snapshot()
    again = hsds_io.import_package(demo_package, services.search_backend())
    assert dict(again.created) == {} and dict(again.updated) == {}
    assert dict(again.unchanged) == {"organization": 66, "location": 70, "service": 174}
    assert _snapshot() == first


def _rewrite(folder, path, change):
    file = folder / path
    with file.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
        header = list(rows[0])
    rows = change(rows)
    with file.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, header)
        writer.writeheader()
        writer.writerows(rows)


def test_a_changed_published_service_goes_back_to_draft_and_unchanged_ones_stay_public(seeded_app, tmp_path):
    hsds_io.export_package(tmp_path)
    target = db.session.scalars(select(Service).where(Service.slug == "respijt-aan-huis-doorn")).one()

    def rename(rows):
        for row in rows:
            if row["id"] == target.uuid:
                row["name"] = "Respijt aan huis (nieuw)"
        return rows

    _rewrite(tmp_path, "services.csv", rename)
    report = hsds_io.import_package(tmp_path, services.search_backend())
    assert report.back_to_draft == ["Respijt aan huis (nieuw)"]
    assert dict(report.updated) == {"service": 1} and report.unchanged["service"] == 173
    db.session.expire_all()
    statuses = dict(db.session.execute(select(Service.uuid, Service.publication_status)).all())
    assert statuses.pop(target.uuid) == "pending"
    assert set(statuses.values()) == {"published"}
    names = {
        listing.service.name
        for listing in services.search_listings(services.SearchCriteria(text="respijt", per_page=100)).listings
    }
    assert "Respijt aan huis" not in names and "Respijt aan huis (nieuw)" not in names


def test_control_characters_in_an_imported_package_never_reach_the_database(seeded_app, tmp_path):
    """An operator's file is outside input too (issue #12): NUL (which PostgreSQL refuses), a form
    feed or an escape are taken out; the line breaks of a description stay."""
    hsds_io.export_package(tmp_path)
    target = db.session.scalars(select(Service).where(Service.slug == "respijt-aan-huis-doorn")).one()

    def poison(rows):
        for row in rows:
            if row["id"] == target.uuid:
                row["name"] = "Respijt\x00 aan\x0c huis\x1b (nieuw)"
                row["description"] = "Eerste alinea.\n\nTweede\x00 alinea."
        return rows

    _rewrite(tmp_path, "services.csv", poison)
    report = hsds_io.import_package(tmp_path, services.search_backend())
    assert report.back_to_draft == ["Respijt aan huis (nieuw)"]
    db.session.expire_all()
    service = db.session.get(Service, target.id)
    assert service.name == "Respijt aan huis (nieuw)"
    assert service.description == "Eerste alinea.\n\nTweede alinea."


# --- formula injection (issue #12) --------------------------------------------------------------------


@pytest.mark.parametrize(
    "value, cell",
    [
        ('=HYPERLINK("https://example.org","klik")', '\'=HYPERLINK("https://example.org","klik")'),
        ("+cmd|' /C calc'!A0", "'+cmd|' /C calc'!A0"),
        ("-2+3+cmd|' /C calc'!A0", "'-2+3+cmd|' /C calc'!A0"),
        ("@SUM(1+1)*cmd|' /C calc'!A0", "'@SUM(1+1)*cmd|' /C calc'!A0"),
        ("\t=1+1", "'\t=1+1"),
        ("\r=1+1", "'\r=1+1"),
        ("'=1+1", "''=1+1"),  # a quote of its own stays after the round trip
        ("+31 343 000 101", "+31 343 000 101"),  # phone numbers and numbers keep their sign
        ("-0.5", "-0.5"),
        ("0343-000101", "0343-000101"),
        ("Koffie & een praatje", "Koffie & een praatje"),
        ("'t Hof", "'t Hof"),
        ("", ""),
    ],
)
def test_a_cell_that_starts_like_a_formula_gets_a_quote(value, cell):
    assert hsds_io.formula_safe(value) == cell
    assert hsds_io.unquote_formula(cell) == value


@given(st.text())
def test_formula_safe_cells_never_start_a_formula_and_come_back_unchanged(text):
    cell = hsds_io.formula_safe(text)
    assert cell[:1] not in hsds_io.FORMULA_STARTS or re.fullmatch(r"[+-]?[0-9][0-9 ().+-]*", cell)
    assert hsds_io.unquote_formula(cell) == text


def test_the_import_takes_the_quote_off_that_another_system_put_before_a_formula_character():
    assert hsds_io.unquote_formula("'+31 343 000 101") == "+31 343 000 101"
    assert hsds_io.unquote_formula("'=SUM(1)") == "=SUM(1)"
    assert hsds_io.unquote_formula("'t Hof") == "'t Hof"


def test_the_export_neutralises_formulas_and_our_import_gives_the_values_back(seeded_app, tmp_path):
    service = db.session.scalars(select(Service).where(Service.slug == "respijt-aan-huis-doorn")).one()
    service.name = '=HYPERLINK("https://example.org/?"&A1,"Respijt")'
    service.description = "+cmd|' /C calc'!A0"
    service.summary = "@SUM(1+1)"
    service.organization.phone = "+31 343 000 101"
    db.session.commit()
    hsds_io.export_package(tmp_path)

    cells = []
    for path in tmp_path.glob("*.csv"):
        with path.open(encoding="utf-8", newline="") as handle:
            cells += [cell for row in csv.reader(handle) for cell in row]
    assert '\'=HYPERLINK("https://example.org/?"&A1,"Respijt")' in cells
    assert "'+cmd|' /C calc'!A0" in cells and "'@SUM(1+1)" in cells and "+31 343 000 101" in cells
    formulas = [
        cell
        for cell in cells
        if cell[:1] in hsds_io.FORMULA_STARTS and not re.fullmatch(r"[+-]?[0-9][0-9 ().+-]*", cell)
    ]
    assert formulas == []

    report = hsds_io.import_package(tmp_path, services.search_backend())
    _only_last_modified_not_kept(report, 174)
    assert dict(report.updated) == {}
    assert dict(report.unchanged) == {"organization": 66, "location": 70, "service": 174}


FOREIGN = {
    "organizations.csv": [
        "id,name,description,email,website",
        "0a4a5e5e-1111-4c1c-9d0d-000000000001,Buurtzorg Voorbeeld,Zorg in de wijk,info@buurtzorg.example.org,"
        "https://buurtzorg.example.org",
        "not-a-uuid,Kapotte organisatie,Zonder id,,",
        "0a4a5e5e-1111-4c1c-9d0d-000000000003,,zonder naam,,",
    ],
    "services.csv": [
        "id,organization_id,name,description,status,minimum_age,assured_date,colour",
        "0b4a5e5e-2222-4c1c-9d0d-000000000001,0a4a5e5e-1111-4c1c-9d0d-000000000001,Wijkverpleging,"
        "Verpleging thuis,active,18,2026-09-01,blauw",
        "0b4a5e5e-2222-4c1c-9d0d-000000000002,0a4a5e5e-1111-4c1c-9d0d-000000000001,Kapotte status,,open,,,",
        "0b4a5e5e-2222-4c1c-9d0d-000000000003,0a4a5e5e-1111-4c1c-9d0d-00000000dead,Zonder organisatie,,active,,,",
        "0b4a5e5e-2222-4c1c-9d0d-000000000004,0a4a5e5e-1111-4c1c-9d0d-000000000001,Te oud,,active,twaalf,,",
    ],
    "locations.csv": [
        "id,location_type,organization_id,name,latitude,longitude",
        "0c4a5e5e-3333-4c1c-9d0d-000000000001,physical,0a4a5e5e-1111-4c1c-9d0d-000000000001,Wijkpost,52.04,5.34",
        "0c4a5e5e-3333-4c1c-9d0d-000000000002,physical,,Nergens,95.0,5.3",
    ],
    "addresses.csv": [
        "id,location_id,address_1,city,state_province,postal_code,country,address_type",
        "0d4a5e5e-4444-4c1c-9d0d-000000000001,0c4a5e5e-3333-4c1c-9d0d-000000000001,Dorpsstraat 3,Doorn,Utrecht,"
        "3941ab,NL,physical",
    ],
    "service_at_location.csv": [
        "id,service_id,location_id,description",
        "0e4a5e5e-5555-4c1c-9d0d-000000000001,0b4a5e5e-2222-4c1c-9d0d-000000000001,"
        "0c4a5e5e-3333-4c1c-9d0d-000000000001,",
        "0e4a5e5e-5555-4c1c-9d0d-000000000002,0b4a5e5e-2222-4c1c-9d0d-000000000001,"
        "0c4a5e5e-3333-4c1c-9d0d-000000000099,",
    ],
    "schedules.csv": [
        "id,service_id,freq,byday,opens_at,closes_at",
        '0f4a5e5e-6666-4c1c-9d0d-000000000001,0b4a5e5e-2222-4c1c-9d0d-000000000001,WEEKLY,"MO,WE",09:00:00,17:00:00',
        "0f4a5e5e-6666-4c1c-9d0d-000000000002,0b4a5e5e-2222-4c1c-9d0d-000000000001,MONTHLY,MO,09:00:00,12:00:00",
        "0f4a5e5e-6666-4c1c-9d0d-000000000003,0b4a5e5e-2222-4c1c-9d0d-000000000001,WEEKLY,FR,17:00:00,09:00:00",
        "0f4a5e5e-6666-4c1c-9d0d-000000000004,0b4a5e5e-2222-4c1c-9d0d-000000000001,WEEKLY,SA,09:00,12:00:00",
    ],
    "taxonomies.csv": ["id,name,description", "1a4a5e5e-7777-4c1c-9d0d-000000000001,Open Eligibility,Categories"],
    "taxonomy_terms.csv": [
        "id,code,name,description,taxonomy_id",
        "1b4a5e5e-8888-4c1c-9d0d-000000000001,101,Home care,Care at home,1a4a5e5e-7777-4c1c-9d0d-000000000001",
    ],
    "attributes.csv": [
        "id,link_id,taxonomy_term_id,link_type,link_entity,value",
        "1c4a5e5e-9999-4c1c-9d0d-000000000001,0b4a5e5e-2222-4c1c-9d0d-000000000001,"
        "1b4a5e5e-8888-4c1c-9d0d-000000000001,service_type,service,",
        f"1c4a5e5e-9999-4c1c-9d0d-000000000002,0b4a5e5e-2222-4c1c-9d0d-000000000001,"
        f"{uuid.uuid5(uuid.UUID('1f6f4c1e-5b0a-4d8e-9c3a-7e2d5b8a9f10'), 'taxonomy_term:cost:zorgverzekering')},"
        ",service,",
    ],
    "contacts.csv": [
        "id,service_id,name",
        "1d4a5e5e-aaaa-4c1c-9d0d-000000000001,0b4a5e5e-2222-4c1c-9d0d-000000000001,Jan Jansen",
    ],
}


def _write(folder, package):
    for name, lines in package.items():
        (folder / name).write_text("\n".join(lines) + "\n", encoding="utf-8")


def _problems(report):
    """Return {(file, line, field): reason} of a report (field None for a row or a file)."""
    found = {}
    for problem in report.problems:
        key = (problem.file, problem.line, problem.field)
        assert key not in found, f"reported twice: {problem}"
        found[key] = problem.reason
    return found


def test_a_package_with_broken_rows_imports_the_good_rows_and_reports_each_bad_one(app, tmp_path):
    seed.load_areas(DEMO_FOLDER, services.geocoder(), app.config["MUNICIPALITY_CODE"])
    _write(tmp_path, FOREIGN)

    report = hsds_io.import_package(tmp_path, services.search_backend())

    problems = _problems(report)
    assert problems == {
        # HSDS 3.0's table schemas: type, format, required, enum; the row is not imported
        ("organizations.csv", 3, "id"): "is invalid: 'not-a-uuid' is not a uuid; row not imported",
        ("organizations.csv", 4, "name"): "is invalid: is empty, and HSDS 3.0 requires it; row not imported",
        ("services.csv", 3, "status"): (
            "is invalid: 'open' is not one of active, inactive, defunct, temporarily closed; row not imported"
        ),
        ("services.csv", 5, "minimum_age"): "is invalid: 'twaalf' is not a number; row not imported",
        ("schedules.csv", 5, "opens_at"): "is invalid: '09:00' is not a time (HH:MM:SS); row not imported",
        # rows the importer cannot use
        ("services.csv", 4, None): (
            "row not imported: organization_id 0a4a5e5e-1111-4c1c-9d0d-00000000dead is not in the package or "
            "the database"
        ),
        ("service_at_location.csv", 3, None): (
            "row not imported: location_id 0c4a5e5e-3333-4c1c-9d0d-000000000099 is not in the package or the database"
        ),
        ("schedules.csv", 3, None): "row not imported: freq 'MONTHLY': only weekly opening hours are imported",
        ("schedules.csv", 4, None): "row not imported: opens_at is not before closes_at",
        ("contacts.csv", 2, None): "row not imported: contacts are not imported (no place for named people)",
        # fields of kept rows that are not kept
        ("services.csv", 2, "colour"): "not kept: not a field of HSDS 3.0's service table",
        ("locations.csv", 3, "latitude"): "not kept: latitude 95.0 and longitude 5.3 are not a point on earth",
        ("locations.csv", 3, "longitude"): "not kept: latitude 95.0 and longitude 5.3 are not a point on earth",
        ("addresses.csv", 2, "id"): "not kept: the export gives it an id derived from what it describes",
        ("attributes.csv", 3, "id"): "not kept: the export gives it an id derived from what it describes",
    }

    service = db.session.scalars(select(Service)).one()
    assert (service.name, service.publication_status, service.minimum_age) == ("Wijkverpleging", "pending", 18)
    assert service.cost == ["zorgverzekering"] and service.pyramid_level == "vrij_toegankelijk"
    assert [(s.weekday, s.opens_at) for s in service.schedules] == [(0, time(9)), (2, time(9))]
    location = service.location_links[0].location
    assert (location.postal_code, location.area.code, location.address_1) == ("3941 AB", "doorn", "Dorpsstraat 3")
    assert service.organization.name == "Buurtzorg Voorbeeld" and not service.organization.is_demo
    nowhere = db.session.scalars(select(Location).where(Location.name == "Nergens")).one()
    assert (nowhere.lat, nowhere.lon) == (None, None)
    # another system's taxonomy is imported as one of its own, and the service keeps its term
    [attribute] = service.attributes
    assert (attribute.uuid, attribute.link_type) == ("1c4a5e5e-9999-4c1c-9d0d-000000000001", "service_type")
    assert (attribute.term.code, attribute.term.name, attribute.term.taxonomy.name) == (
        "101",
        "Home care",
        "Open Eligibility",
    )
    assert any("pyramid_level" in note for note in report.notes)
    assert "schedules.csv:2: one opening time per day: MO keeps id 0f4a5e5e-6666-4c1c-9d0d-000000000001" in (
        " ".join(report.notes)
    )


def test_the_commands_export_and_import(seeded_app, tmp_path):
    runner = seeded_app.test_cli_runner()
    exported = runner.invoke(args=["hsds", "export", str(tmp_path / "pakket")])
    assert exported.exit_code == 0 and "174 service" in exported.output
    assert (tmp_path / "pakket" / "datapackage.json").exists()
    imported = runner.invoke(args=["hsds", "import", str(tmp_path / "pakket")])
    assert imported.exit_code == 0, imported.output
    assert "Unchanged: 70 location, 66 organization, 174 service." in imported.output
    assert "Created: none." in imported.output


def test_the_import_command_lists_what_it_could_not_use(app, tmp_path):
    (tmp_path / "organizations.csv").write_text("id,name,description\nnot-a-uuid,X,\n", encoding="utf-8")
    result = app.test_cli_runner().invoke(args=["hsds", "import", str(tmp_path)])
    assert result.exit_code == 0
    assert "organizations.csv:2: field `id` is invalid: 'not-a-uuid' is not a uuid; row not imported" in result.output
    assert "organizations.csv:2: field `description` is invalid: is empty, and HSDS 3.0 requires it" in result.output


def test_the_export_is_the_same_twice(demo_app, tmp_path):
    with demo_app.app_context():
        first, _ = hsds_io.package_files()
        second, _ = hsds_io.package_files()
    assert {k: v for k, v in first.items() if k != "datapackage.json"} == {
        k: v for k, v in second.items() if k != "datapackage.json"
    }
    assert datetime.fromisoformat(json.loads(first["datapackage.json"])["created"].replace("Z", "+00:00"))


def test_more_opening_periods_a_day_than_the_form_shows_are_reported_not_silently_kept(app, tmp_path):
    seed.load_areas(DEMO_FOLDER, services.geocoder(), app.config["MUNICIPALITY_CODE"])
    package = {
        name: list(lines)
        for name, lines in FOREIGN.items()
        if name in ("organizations.csv", "services.csv", "locations.csv", "addresses.csv", "service_at_location.csv")
    }
    package["schedules.csv"] = ["id,service_id,freq,byday,opens_at,closes_at"] + [
        f"0f4a5e5e-6666-4c1c-9d0d-00000000010{n},0b4a5e5e-2222-4c1c-9d0d-000000000001,WEEKLY,TU,{start},{end}"
        for n, (start, end) in enumerate(
            [("08:00:00", "09:00:00"), ("10:00:00", "11:00:00"), ("13:00:00", "14:00:00"), ("19:00:00", "20:00:00")]
        )
    ]
    _write(tmp_path, package)

    report = hsds_io.import_package(tmp_path, services.search_backend())

    service = db.session.scalars(select(Service).where(Service.name == "Wijkverpleging")).one()
    assert [(s.weekday, s.opens_at) for s in service.schedules] == [(1, time(8)), (1, time(10)), (1, time(13))]
    assert _problems(report)[("schedules.csv", 5, "byday")] == (
        "not kept: more than 3 opening periods on TU; 19:00-20:00 not imported"
    )


# --- Open Referral's own example package (issue #18) -----------------------------------------------------

EXAMPLE = Path(__file__).resolve().parent / "hsds_example_3_0"
EXAMPLE_SERVICE = "ac148810-d857-441c-9679-408f346de14b"
# every row of these files of the example is valid HSDS and comes in (issue #18's acceptance)
KEPT_EXAMPLE_FILES = (
    "organizations.csv",
    "services.csv",
    "locations.csv",
    "addresses.csv",
    "phones.csv",
    "schedules.csv",
    "service_at_location.csv",
    "languages.csv",
    "accessibility.csv",
    "service_areas.csv",
    "cost_options.csv",
    "taxonomies.csv",
    "taxonomy_terms.csv",
)


def test_the_official_example_imports_into_an_empty_database_field_by_field(app):
    report = hsds_io.import_package(EXAMPLE, services.search_backend())

    assert report.refused is None
    assert dict(report.created) == {
        "taxonomy": 2,
        "taxonomy_term": 1,
        "organization": 1,
        "location": 1,
        "service": 1,
    }
    organization = db.session.scalars(select(Organization)).one()
    assert (organization.uuid, organization.name, organization.alternate_name) == (
        "d9d5e0f5-d3ce-4f73-9a2f-4dd0ecc6c610",
        "Example Organization Inc.",
        "Example Org",
    )
    assert organization.description.startswith("Example Org is a non-profit organization")
    assert (organization.email, organization.website) == ("email@example.com", "http://example.com")

    service = db.session.scalars(select(Service)).one()
    assert (service.uuid, service.name, service.status, service.organization) == (
        EXAMPLE_SERVICE,
        "Community Counselling",
        "active",
        organization,
    )
    assert service.description.startswith("Counselling Services provided by trained professionals.")
    assert (service.url, service.email) == ("http://example.com/counselling", "email@example.com")
    assert service.how_to_apply.startswith("If you are an NHS patient please ask your GP")
    assert service.cost_note.startswith("Non-NHS patients are expected to pay")
    assert service.for_whom.startswith("This service is intended for all people aged 12 and over")
    assert (service.minimum_age, service.maximum_age, service.assured_date) == (12, 100, date(2005, 1, 1))
    assert service.alert.startswith("Following COVID-19")
    assert service.publication_status == "pending"

    # the phone keeps its id, extension, type and description (the number as given, quotes and all)
    assert (service.phone, service.phone_uuid, service.phone_extension, service.phone_type) == (
        '"+44 1234 234567"',
        "1554f2e2-a373-45db-a3fa-9fc48a61c15e",
        100,
        "voice",
    )
    assert service.phone_description.startswith("Our main reception phone number.")

    # the schedule keeps its dates and recurrence; TH keeps the id, FR gets one of its own
    thursday, friday = service.schedules
    assert (thursday.uuid, thursday.weekday, friday.weekday) == ("48102e86-bb50-41c4-8f1e-e269368c41d1", 3, 4)
    assert friday.uuid == hsds.derived_id("schedule", thursday.uuid, "FR")
    for schedule in (thursday, friday):
        assert (schedule.opens_at, schedule.closes_at) == (time(10), time(18))
        assert (schedule.valid_from, schedule.valid_to, schedule.dtstart, schedule.until) == (date(2005, 1, 1),) * 4
        assert (schedule.occurrences, schedule.interval_weeks, schedule.wkst, schedule.utc_offset) == (3, None, "TU", 3)
        assert (schedule.byweekno, schedule.bymonthday, schedule.byyearday) == ("41,42", "2,3,4", "2,3,4")
        assert schedule.description.startswith("The service is available from 10 am to 6pm weekdays.")
        assert (schedule.schedule_link, schedule.attending_type.split(" ")[:3]) == (
            "http://example.com",
            ["You", "can", "attend"],
        )
        assert schedule.notes.startswith("Some of our staff will be unavailable")

    # the cost option keeps its amount, currency, option and dates
    [option] = service.cost_options
    assert (option.uuid, option.amount, option.currency, option.option, option.amount_description) == (
        "1fdf4d39-3d80-484d-9f92-a8ffa08621e7",
        35,
        "gbp",
        "Under 18s and Over 60s",
        "per 1 hour session",
    )
    assert (option.valid_from, option.valid_to) == (date(2020, 1, 1), date(2022, 12, 31))
    assert service.cost == ["betaald"]

    # the package's taxonomies and term are taxonomies of their own; the term's missing taxonomy is made
    # from its `taxonomy` field
    imported = {t.uuid: t for t in db.session.scalars(select(Taxonomy)) if t.is_imported}
    assert {(t.name, t.description, t.uri, t.version) for t in imported.values()} == {
        ("name", "description", "http://example.com", "version"),
        ("taxonomy", "", None, None),
    }
    term = db.session.scalars(
        select(TaxonomyTerm).where(TaxonomyTerm.uuid == "3f7b145d-84af-42d7-8fae-eaca714b02b2")
    ).one()
    assert (term.code, term.name, term.description, term.language, term.term_uri) == (
        "code",
        "name",
        "description",
        "eng",
        "http://example.com",
    )
    assert term.taxonomy is imported["07ff6aee-a219-438c-b694-d2fcb6c5373b"] and term.parent_id is None

    location = db.session.scalars(select(Location)).one()
    assert (location.uuid, location.name, location.organization, location.lat, location.lon) == (
        "3a19ff88-4620-4d17-9830-ac1d859eb5d5",
        "MyCity Civic Center",
        None,
        None,
        None,
    )
    assert location.transportation.startswith("MyCity Civic Center is serviced by the number 1 Bus")
    assert [link.uuid for link in service.location_links] == ["e94c9f38-1e8f-4564-91d4-d53501ab1765"]

    # the last valid rows: another country's postcode, a language beyond our list, accessibility and a
    # service area in words
    assert (location.address_1, location.postal_code, location.city, location.state_province, location.country) == (
        "1-30 Main Street",
        "ABC 1234",
        "MyCity",
        "MyState",
        "US",
    )
    assert location.area is None
    assert service.languages == ["ur"]
    assert (location.accessibility, location.accessibility_note_uuid) == ([], "afcf296e-1cb2-4139-9c88-33d587d1a50b")
    assert location.accessibility_note == (
        "The building is equipped with induction loops for hearing aids. Wheelchair access is possible on all levels."
    )
    assert location.accessibility_details == "Switch hearing aid to T-coil to access the induction loop facility."
    assert service.area_note_uuid == "381c64f1-a724-4884-9c21-ac96c21cca3e"
    assert service.area_note.startswith("The service is available to all residents of the MyCity area. We provide")
    assert service.area_note_details == (
        "The service is available to all residents of the MyCity area, including all postcodes starting with AB1, "
        "AB2, and AB3"
    )
    assert db.session.scalars(select(Area)).all() == [] and service.service_areas == []

    # every loss is in the report, with file, line and reason
    problems = _problems(report)
    no_place = "not kept: no place for it"
    expected = {
        ("organizations.csv", 2, name): no_place
        for name in ("tax_status", "tax_id", "year_incorporated", "legal_status", "logo", "uri")
    }
    expected |= {
        ("services.csv", 2, name): no_place
        for name in ("alternate_name", "interpretation_services", "wait_time", "fees", "accreditations", "licenses")
    }
    expected |= {
        ("locations.csv", 2, name): no_place
        for name in ("url", "alternate_name", "external_identifier", "external_identifier_type")
    }
    expected |= {("addresses.csv", 2, name): no_place for name in ("attention", "address_2", "region")}
    expected |= {("service_areas.csv", 2, name): no_place for name in ("extent", "extent_type", "uri")}
    expected |= {
        (
            "organizations.csv",
            2,
            "parent_organization_id",
        ): "not kept: no place for it (organisations have no parent here)",
        ("services.csv", 2, "program_id"): "not kept: programs are not imported",
        ("services.csv", 2, "assurer_email"): "not kept: no place for it (the assurer is a broker of ours)",
        ("services.csv", 2, "last_modified"): "not kept: the service's last change is the time of this import",
        ("locations.csv", 2, "organization_id"): (
            "not kept: organisation 985e4a42-bd9f-4edc-911d-0243a4640aca is not in the package or the database"
        ),
        ("locations.csv", 2, "latitude"): "not kept: latitude 100 and longitude 101 are not a point on earth",
        ("locations.csv", 2, "longitude"): "not kept: latitude 100 and longitude 101 are not a point on earth",
        ("addresses.csv", 2, "id"): "not kept: the export gives it an id derived from what it describes",
        ("addresses.csv", 2, "address_type"): "not kept: a location's address is its physical address here",
        ("accessibility.csv", 2, "url"): (
            "not kept: no place for it (a location's accessibility is our checklist and a description)"
        ),
        ("phones.csv", 2, "organization_id"): "not kept: the phone is kept with the service",
        ("phones.csv", 2, "location_id"): "not kept: phones are kept per service or organisation",
        ("phones.csv", 2, "service_at_location_id"): "not kept: phones are kept per service or organisation",
        ("phones.csv", 2, "contact_id"): "not kept: contacts are not imported",
        ("languages.csv", 2, "id"): "not kept: the export gives it an id derived from what it describes",
        ("languages.csv", 2, "location_id"): "not kept: languages are kept per service",
        ("languages.csv", 2, "phone_id"): "not kept: languages are kept per service",
        ("languages.csv", 2, "note"): "not kept: no place for it (a service's languages are codes)",
        ("schedules.csv", 2, "location_id"): "not kept: opening hours are kept per service",
        ("schedules.csv", 2, "service_at_location_id"): "not kept: opening hours are kept per service",
        ("taxonomy_terms.csv", 2, "parent_id"): (
            "not kept: term 0bc248fa-dc27-4650-9ba4-8f1a24ef16a2 is not a term of the same taxonomy in the package "
            "or the database"
        ),
        ("attributes.csv", 2, None): "row not imported: attributes of link_entity are not imported",
        ("programs.csv", 2, None): "row not imported: programs are not imported",
        ("contacts.csv", 2, None): "row not imported: contacts are not imported (no place for named people)",
        ("funding.csv", 2, None): "row not imported: funding is not imported",
        ("required_documents.csv", 2, None): "row not imported: required documents are not imported",
        ("metadata.csv", 2, None): "row not imported: change metadata is not imported",
        ("meta_table_descriptions.csv", 2, None): "row not imported: table descriptions are not imported",
        ("organization_identifiers.csv", 2, None): "row not imported: organisation identifiers are not imported",
    }
    assert problems == expected
    assert (
        "taxonomy_terms.csv:2: taxonomies.csv has no taxonomy 07ff6aee-a219-438c-b694-d2fcb6c5373b; taxonomy "
        "'taxonomy' (07ff6aee-a219-438c-b694-d2fcb6c5373b) made from its `taxonomy` field"
    ) in report.notes
    assert [p.file for p in report.problems[:3]] == ["accessibility.csv", "addresses.csv", "addresses.csv"]
    assert str(report.problems[0]) == (
        "accessibility.csv:2: field `url` not kept: no place for it (a location's accessibility is our checklist "
        "and a description)"
    )
    assert not [p for p in report.problems if p.field is None and p.file in KEPT_EXAMPLE_FILES]


def _publish_all():
    admin = make_user(roles=("admin",))
    for item in moderation.moderation_queue(admin).new:
        assert moderation.approve_change(item.change.id, by=admin)


def test_the_api_and_the_export_write_back_what_the_import_kept(seeded_app, tmp_path):
    hsds_io.import_package(EXAMPLE, services.search_backend())
    _publish_all()

    body = seeded_app.test_client().get(f"/api/hsds/services/{EXAMPLE_SERVICE}").get_json()
    assert hsds_schemas.errors("service.json", body) == []
    assert body["phones"] == [
        {
            "id": "1554f2e2-a373-45db-a3fa-9fc48a61c15e",
            "service_id": EXAMPLE_SERVICE,
            "number": '"+44 1234 234567"',
            "extension": 100,
            "type": "voice",
            "description": body["phones"][0]["description"],
        }
    ]
    thursday = body["schedules"][0]
    assert {
        key: thursday[key] for key in ("valid_from", "valid_to", "dtstart", "until", "count", "wkst", "interval")
    } == {
        "valid_from": "2005-01-01",
        "valid_to": "2005-01-01",
        "dtstart": "2005-01-01",
        "until": "2005-01-01",
        "count": 3,
        "wkst": "TU",
        "interval": 1,
    }
    assert (thursday["byday"], thursday["bymonthday"], thursday["timezone"]) == ("TH", "2,3,4", 3)
    assert [(o["id"], o["amount"], o["currency"]) for o in body["cost_options"]] == [
        ("1fdf4d39-3d80-484d-9f92-a8ffa08621e7", 35, "gbp")
    ]
    assert body["languages"] == [
        {
            "id": hsds.derived_id("language", EXAMPLE_SERVICE, "ur"),
            "service_id": EXAMPLE_SERVICE,
            "name": "Urdu",
            "code": "ur",
        }
    ]
    assert body["service_areas"] == [
        {
            "id": "381c64f1-a724-4884-9c21-ac96c21cca3e",
            "service_id": EXAMPLE_SERVICE,
            "name": body["service_areas"][0]["name"],
            "description": "The service is available to all residents of the MyCity area, including all postcodes "
            "starting with AB1, AB2, and AB3",
        }
    ]
    location = body["service_at_locations"][0]["location"]
    assert [(a["postal_code"], a["country"]) for a in location["addresses"]] == [("ABC 1234", "US")]
    assert [(a["id"], a["details"]) for a in location["accessibility"]] == [
        ("afcf296e-1cb2-4139-9c88-33d587d1a50b", "Switch hearing aid to T-coil to access the induction loop facility.")
    ]
    terms = seeded_app.test_client().get("/api/hsds/taxonomy_terms?per_page=100&search=name").get_json()["contents"]
    assert {(t["id"], t["language"], t["term_uri"]) for t in terms if t["code"] == "code"} == {
        ("3f7b145d-84af-42d7-8fae-eaca714b02b2", "eng", "http://example.com")
    }

    hsds_io.export_package(tmp_path)
    with (tmp_path / "cost_options.csv").open(encoding="utf-8", newline="") as handle:
        rows = [row for row in csv.DictReader(handle) if row["service_id"] == EXAMPLE_SERVICE]
    assert rows == [
        {
            "id": "1fdf4d39-3d80-484d-9f92-a8ffa08621e7",
            "service_id": EXAMPLE_SERVICE,
            "valid_from": "2020-01-01",
            "valid_to": "2022-12-31",
            "option": "Under 18s and Over 60s",
            "currency": "gbp",
            "amount": "35",
            "amount_description": "per 1 hour session",
        }
    ]
    example = {}
    for name in ("addresses.csv", "accessibility.csv", "service_areas.csv", "languages.csv"):
        with (EXAMPLE / name).open(encoding="utf-8", newline="") as handle:
            [example[name]] = list(csv.DictReader(handle))
        with (tmp_path / name).open(encoding="utf-8", newline="") as handle:
            owner = "service_id" if "service_id" in example[name] else "location_id"
            [exported] = [row for row in csv.DictReader(handle) if row[owner] == example[name][owner]]
        kept = {
            "addresses.csv": ("location_id", "address_1", "city", "state_province", "postal_code", "country"),
            "accessibility.csv": ("id", "location_id", "description", "details"),
            "service_areas.csv": ("id", "service_id", "name", "description"),
            "languages.csv": ("service_id", "code"),
        }[name]
        assert {key: exported[key] for key in kept} == {key: example[name][key] for key in kept}, name


def test_terms_of_another_taxonomy_keep_their_parent_and_come_back_without_a_code_they_lacked(app, tmp_path):
    package = {name: FOREIGN[name] for name in ("organizations.csv", "services.csv")}
    package["taxonomies.csv"] = ["id,name,description,uri,version", f"{uuid.UUID(int=1)},Buurtthema's,Thema's,,2"]
    package["taxonomy_terms.csv"] = [
        "id,code,name,description,parent_id,taxonomy_id,language",
        f"{uuid.UUID(int=3)},,Ontmoeten,Elkaar treffen,{uuid.UUID(int=2)},{uuid.UUID(int=1)},",
        f"{uuid.UUID(int=2)},sociaal,Sociaal,Alles sociaals,,{uuid.UUID(int=1)},nl",
    ]
    package["attributes.csv"] = [
        "id,link_id,taxonomy_term_id,link_type,link_entity,value",
        f"{uuid.UUID(int=4)},0b4a5e5e-2222-4c1c-9d0d-000000000001,{uuid.UUID(int=3)},thema,service,wekelijks",
    ]
    _write(tmp_path, package)

    report = hsds_io.import_package(tmp_path, services.search_backend())
    _publish_all()
    hsds_io.export_package(tmp_path / "export")

    assert report.created["taxonomy"] == 1 and report.created["taxonomy_term"] == 2
    child = db.session.scalars(select(TaxonomyTerm).where(TaxonomyTerm.uuid == str(uuid.UUID(int=3)))).one()
    assert (child.code, child.parent_id is not None, child.taxonomy.version) == (str(uuid.UUID(int=3)), True, "2")
    with (tmp_path / "export" / "taxonomy_terms.csv").open(encoding="utf-8", newline="") as handle:
        terms = {row["id"]: row for row in csv.DictReader(handle)}
    assert {key: terms[str(uuid.UUID(int=3))][key] for key in ("code", "parent_id", "language", "taxonomy")} == {
        "code": "",
        "parent_id": str(uuid.UUID(int=2)),
        "language": "",
        "taxonomy": "Buurtthema's",
    }
    with (tmp_path / "export" / "attributes.csv").open(encoding="utf-8", newline="") as handle:
        [attribute] = [row for row in csv.DictReader(handle) if row["id"] == str(uuid.UUID(int=4))]
    assert (attribute["taxonomy_term_id"], attribute["link_type"], attribute["value"]) == (
        str(uuid.UUID(int=3)),
        "thema",
        "wekelijks",
    )


def test_an_imported_taxonomy_filters_the_api_like_our_own(seeded_app, tmp_path):
    """A client lists /taxonomies and /taxonomy_terms, then filters on what it found: also another system's terms."""
    package = {
        name: FOREIGN[name]
        for name in ("organizations.csv", "services.csv", "locations.csv", "addresses.csv", "service_at_location.csv")
    }
    package["taxonomies.csv"] = ["id,name,description", f"{uuid.UUID(int=1)},Buurtthema's,Thema's"]
    package["taxonomy_terms.csv"] = [
        "id,code,name,description,parent_id,taxonomy_id",
        f"{uuid.UUID(int=2)},sociaal,Sociaal,Alles sociaals,,{uuid.UUID(int=1)}",
        f"{uuid.UUID(int=3)},ontmoeten,Ontmoeten,Elkaar treffen,{uuid.UUID(int=2)},{uuid.UUID(int=1)}",
    ]
    package["attributes.csv"] = [
        "id,link_id,taxonomy_term_id,link_type,link_entity,value",
        f"{uuid.UUID(int=4)},0b4a5e5e-2222-4c1c-9d0d-000000000001,{uuid.UUID(int=3)},thema,service,",
    ]
    _write(tmp_path, package)
    hsds_io.import_package(tmp_path, services.search_backend())
    _publish_all()
    imported = db.session.scalars(select(Service).where(Service.uuid == "0b4a5e5e-2222-4c1c-9d0d-000000000001")).one()
    imported.assured_date = clock.today()  # checked today: the search leaves out listings unchecked for a year
    transactions.commit()
    client = seeded_app.test_client()
    api = "/api/hsds"

    def ids(url):
        response = client.get(f"{api}/{url}")
        assert response.status_code == 200, (url, response.get_json())
        return [item["id"] for item in response.get_json()["contents"]]

    service = "0b4a5e5e-2222-4c1c-9d0d-000000000001"
    assert str(uuid.UUID(int=1)) in ids("taxonomies?per_page=100")
    assert sorted(ids(f"taxonomy_terms?taxonomy_id={uuid.UUID(int=1)}")) == [
        str(uuid.UUID(int=2)),
        str(uuid.UUID(int=3)),
    ]
    assert ids(f"taxonomy_terms?parent_id={uuid.UUID(int=2)}") == [str(uuid.UUID(int=3))]
    assert ids(f"services?taxonomy_term_id={uuid.UUID(int=3)}") == [service]
    assert ids(f"services?taxonomy_term_id={uuid.UUID(int=2)}") == []  # only the term itself is linked
    assert ids(f"services?taxonomy_id={uuid.UUID(int=1)}") == [service]
    listed = client.get(f"{api}/service_at_locations?taxonomy_term_id={uuid.UUID(int=3)}").get_json()["contents"]
    assert [item["service"]["id"] for item in listed] == [service]
    assert client.get(f"{api}/services?taxonomy_term_id={uuid.UUID(int=99)}").status_code == 400  # unknown: 400


def _tables(folder):
    """Return {file: [rows]} of a package without the last_modified column, and its descriptor without `created`."""
    tables = {}
    for path in sorted(folder.glob("*.csv")):
        with path.open(encoding="utf-8", newline="") as handle:
            tables[path.name] = [
                {k: v for k, v in row.items() if k != "last_modified"} for row in csv.DictReader(handle)
            ]
    descriptor = json.loads((folder / "datapackage.json").read_text(encoding="utf-8"))
    descriptor.pop("created")
    return tables, descriptor


def test_our_export_imported_into_a_fresh_database_exports_the_same(seeded_app, tmp_path):
    """Export, import into an empty database (no demo areas), publish, export: the same package but for
    last_modified, also with another system's phone, schedule, cost option and taxonomies in it."""
    hsds_io.import_package(EXAMPLE, services.search_backend())
    _publish_all()
    hsds_io.export_package(tmp_path / "first")
    first = _tables(tmp_path / "first")
    assert len(first[0]["services.csv"]) == 175 and len(first[0]["taxonomies.csv"]) == 11

    fresh = make_app(tmp_path, name="round_trip")  # a database of its own, beside the seeded one
    with fresh.app_context():
        db.create_all()
        report = hsds_io.import_package(tmp_path / "first", services.search_backend())
        _only_last_modified_not_kept(report, 175)
        assert report.created["area"] == 9 and report.created["service"] == 175
        assert {(a.code, a.name, a.kind) for a in db.session.scalars(select(Area))} >= {
            ("driebergen_rijsenburg", "Driebergen-Rijsenburg", "dorp"),
            ("doorn", "Doorn", "dorp"),
        }
        _publish_all()
        hsds_io.export_package(tmp_path / "second")
        db.session.remove()
        db.engine.dispose()
    second = _tables(tmp_path / "second")

    assert second == first


# --- versions (issue #18) --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "files, why",
    [
        (
            {"datapackage.json": json.dumps({"name": "human_services_data", "version": "1.0"})},
            "the package declares HSDS version 1.0",
        ),
        (
            {"datapackage.json": json.dumps({"profile": "tabular-data-package", "version": "2.0.1"})},
            "the package declares HSDS version 2.0.1",
        ),
        (
            {"physical_addresses.csv": "id,location_id,address_1\n", "services_taxonomy.csv": "id,service_id\n"},
            "has tables of HSDS 1.x/2.x: physical_addresses.csv (3.0: addresses.csv); services_taxonomy.csv "
            "(3.0: attributes.csv)",
        ),
    ],
)
def test_an_hsds_1_or_2_package_is_refused_whole(app, tmp_path, files, why):
    _write(tmp_path, {name: FOREIGN[name] for name in ("organizations.csv", "services.csv")})
    for name, text in files.items():
        (tmp_path / name).write_text(text, encoding="utf-8")

    report = hsds_io.import_package(tmp_path, services.search_backend())

    assert why in report.refused and "Nothing was imported" in report.refused
    assert [str(p) for p in report.problems] == [f"{report.problems[0].file}: {report.refused}"]
    assert db.session.scalars(select(Organization)).all() == [] and db.session.scalars(select(Service)).all() == []
    assert db.session.scalars(select(Taxonomy)).all() == []


def test_the_hsds_1_0_package_of_open_referral_is_refused(app, tmp_path):
    """A package described as HSDS 1.0's template describes it (version "1.0", physical_addresses.csv), through
    the command: nothing is imported."""
    descriptor = {
        "name": "human_services_data",
        "title": "Human Services Data Specification Template",
        "version": "1.0",
        "resources": [{"name": "physical_addresses", "path": "physical_addresses.csv"}],
    }
    (tmp_path / "datapackage.json").write_text(json.dumps(descriptor), encoding="utf-8")
    _write(tmp_path, {name: FOREIGN[name] for name in ("organizations.csv", "services.csv", "locations.csv")})
    (tmp_path / "physical_addresses.csv").write_text("id,location_id,address_1,city\n", encoding="utf-8")

    result = app.test_cli_runner().invoke(args=["hsds", "import", str(tmp_path)])

    assert result.exit_code == 1  # a script sees that nothing came in
    assert "Error: the package declares HSDS version 1.0; this import reads HSDS 3.0 and 3.1" in result.output
    assert "Nothing was imported" in result.output and db.session.scalars(select(Organization)).all() == []


@pytest.mark.parametrize("version", ["3.0.0", "3.1", "3.0"])
def test_hsds_3_0_and_3_1_packages_are_read(app, tmp_path, version):
    _write(tmp_path, {name: FOREIGN[name] for name in ("organizations.csv",)})
    (tmp_path / "datapackage.json").write_text(json.dumps({"version": version}), encoding="utf-8")

    report = hsds_io.import_package(tmp_path, services.search_backend())

    assert report.refused is None and report.created["organization"] == 1


def test_files_that_are_not_hsds_3_0_tables_are_reported(app, tmp_path):
    _write(tmp_path, {"organizations.csv": FOREIGN["organizations.csv"][:2]})
    (tmp_path / "datapackage.json").write_text(json.dumps({"version": "3.0.0"}), encoding="utf-8")
    (tmp_path / "regular_schedules.csv").write_text("id,service_id\n", encoding="utf-8")
    (tmp_path / "notes.csv").write_text("x\n1\n", encoding="utf-8")

    report = hsds_io.import_package(tmp_path, services.search_backend())

    assert _problems(report) == {
        ("notes.csv", 0, None): "table not read: not a table of HSDS 3.0",
        ("regular_schedules.csv", 0, None): (
            "table not read: not a table of HSDS 3.0; HSDS 1.x/2.x's table, 3.0 has schedules.csv"
        ),
    }
    assert report.created["organization"] == 1


def test_a_resource_path_outside_the_package_is_not_read(app, tmp_path):
    package = tmp_path / "pakket"
    package.mkdir()
    _write(package, {"organizations.csv": FOREIGN["organizations.csv"][:2]})
    _write(tmp_path, {"elders.csv": ["id,name,description", "0a4a5e5e-1111-4c1c-9d0d-000000000009,Elders,x"]})
    descriptor = {"version": "3.0.0", "resources": [{"name": "organization", "path": "../elders.csv"}]}
    (package / "datapackage.json").write_text(json.dumps(descriptor), encoding="utf-8")

    report = hsds_io.import_package(package, services.search_backend())

    assert [str(p) for p in report.problems] == [
        "datapackage.json: resource organization: path '../elders.csv' is not a file of the package; "
        "organizations.csv read instead"
    ]
    assert [o.name for o in db.session.scalars(select(Organization))] == ["Buurtzorg Voorbeeld"]


def test_a_service_area_the_database_lacks_is_made_when_the_package_says_its_kind(app, tmp_path):
    """An area of a named kind becomes an area; any other is the service's werkgebied in words (one)."""
    package = {name: FOREIGN[name] for name in ("organizations.csv", "services.csv")}
    package["service_areas.csv"] = [
        "id,service_id,name,description",
        "2a4a5e5e-bbbb-4c1c-9d0d-000000000001,0b4a5e5e-2222-4c1c-9d0d-000000000001,Maarn,Dorp",
        "2a4a5e5e-bbbb-4c1c-9d0d-000000000002,0b4a5e5e-2222-4c1c-9d0d-000000000001,Zuidwijk,wijk",
        "2a4a5e5e-bbbb-4c1c-9d0d-000000000003,0b4a5e5e-2222-4c1c-9d0d-000000000001,Heel Utrecht,Provincie",
        "2a4a5e5e-bbbb-4c1c-9d0d-000000000004,0b4a5e5e-2222-4c1c-9d0d-000000000001,Heel Nederland,Land",
    ]
    _write(tmp_path, package)

    report = hsds_io.import_package(tmp_path, services.search_backend())

    service = db.session.scalars(select(Service).where(Service.name == "Wijkverpleging")).one()
    assert [(a.code, a.name, a.kind, a.postcodes) for a in service.service_areas] == [
        ("maarn", "Maarn", "dorp", []),
        ("zuidwijk", "Zuidwijk", "wijk", []),
    ]
    assert (service.area_note, service.area_note_details, service.area_note_uuid) == (
        "Heel Utrecht",
        "Provincie",
        "2a4a5e5e-bbbb-4c1c-9d0d-000000000003",
    )
    assert {key: why for key, why in _problems(report).items() if key[0] == "service_areas.csv"} == {
        ("service_areas.csv", 2, "id"): "not kept: the export gives it an id derived from what it describes",
        ("service_areas.csv", 3, "id"): "not kept: the export gives it an id derived from what it describes",
        (
            "service_areas.csv",
            5,
            None,
        ): "row not imported: the service keeps one service area in words, the one on line 4",
    }
    assert "service_areas.csv:2: area 'Maarn' (dorp) made from the package; it has no postcodes yet" in report.notes


def test_in_a_region_a_new_area_belongs_to_the_municipality_with_a_place_of_its_name(app, tmp_path):
    """Issue #20: Remmerden is a place of Rhenen, so its area is Rhenen's; a name of no place is the own one's."""
    load_region()
    package = {name: FOREIGN[name] for name in ("organizations.csv", "services.csv")}
    package["service_areas.csv"] = [
        "id,service_id,name,description",
        "2a4a5e5e-bbbb-4c1c-9d0d-000000000001,0b4a5e5e-2222-4c1c-9d0d-000000000001,Remmerden,Dorp",
        "2a4a5e5e-bbbb-4c1c-9d0d-000000000002,0b4a5e5e-2222-4c1c-9d0d-000000000001,Zuidwijk,wijk",
    ]
    _write(tmp_path, package)

    hsds_io.import_package(tmp_path, services.search_backend())

    service = db.session.scalars(select(Service).where(Service.name == "Wijkverpleging")).one()
    assert [(a.name, a.municipality_code) for a in service.service_areas] == [
        ("Remmerden", "0340"),
        ("Zuidwijk", "1581"),
    ]


@pytest.mark.parametrize(
    "postcode, country, kept",
    [
        ("3941ab", "NL", "3941 AB"),
        ("ABC 1234", "US", "ABC 1234"),
        ("SW1A 1AA", "gb", "SW1A 1AA"),
        ("3941", "NL", "3941"),  # four digits alone still place it by the gazetteer's PC4
        ("ABC 1234", "NL", None),
        ("1234567890ABCDEFG", "US", None),  # longer than 16 characters
    ],
)
def test_a_dutch_postcode_must_be_one_and_another_countrys_is_kept_as_given(app, tmp_path, postcode, country, kept):
    package = {name: FOREIGN[name] for name in ("organizations.csv", "services.csv", "locations.csv")}
    package["addresses.csv"] = [
        FOREIGN["addresses.csv"][0],
        f"0d4a5e5e-4444-4c1c-9d0d-000000000001,0c4a5e5e-3333-4c1c-9d0d-000000000001,Main Street 1,MyCity,MyState,"
        f"{postcode},{country},physical",
    ]
    _write(tmp_path, package)

    report = hsds_io.import_package(tmp_path, services.search_backend())

    location = db.session.scalars(select(Location).where(Location.name == "Wijkpost")).one()
    refused = _problems(report).get(("addresses.csv", 2, None))
    if kept:
        assert (location.postal_code, location.country, refused) == (kept, country.upper(), None)
    else:
        assert (location.postal_code, location.address_1) == ("", "")
        assert refused in (
            f"row not imported: postal_code {postcode!r} is not a Dutch postcode such as 3941 AB",
            "row not imported: postal_code is longer than 16 characters",
        )


def test_accessibility_in_words_is_one_description_per_location_beside_the_checklist(app, tmp_path):
    package = {name: FOREIGN[name] for name in ("organizations.csv", "services.csv", "locations.csv")}
    location_id = "0c4a5e5e-3333-4c1c-9d0d-000000000001"
    package["accessibility.csv"] = [
        "id,location_id,description,details,url",
        f"3a4a5e5e-cccc-4c1c-9d0d-000000000001,{location_id},Ringleiding,In de grote zaal,",
        f"3a4a5e5e-cccc-4c1c-9d0d-000000000002,{location_id},Drempelvrij tot aan de balie,,https://example.org",
        f"3a4a5e5e-cccc-4c1c-9d0d-000000000003,{location_id},Brede deuren,,",
    ]
    package["languages.csv"] = [
        "id,service_id,name,code",
        "3b4a5e5e-dddd-4c1c-9d0d-000000000001,0b4a5e5e-2222-4c1c-9d0d-000000000001,Somali,SO",
        "3b4a5e5e-dddd-4c1c-9d0d-000000000002,0b4a5e5e-2222-4c1c-9d0d-000000000001,Klingon,xx",
    ]
    _write(tmp_path, package)

    report = hsds_io.import_package(tmp_path, services.search_backend())

    location = db.session.scalars(select(Location).where(Location.name == "Wijkpost")).one()
    assert location.accessibility == ["ringleiding"]
    assert (location.accessibility_note, location.accessibility_details, location.accessibility_note_uuid) == (
        "Drempelvrij tot aan de balie",
        "",
        "3a4a5e5e-cccc-4c1c-9d0d-000000000002",
    )
    service = db.session.scalars(select(Service).where(Service.name == "Wijkverpleging")).one()
    assert service.languages == ["so"]
    problems = {key: why for key, why in _problems(report).items() if key[0] in ("accessibility.csv", "languages.csv")}
    assert problems == {
        ("accessibility.csv", 2, "details"): "not kept: no place for it (the description is an item of our checklist)",
        ("accessibility.csv", 2, "id"): "not kept: the export gives it an id derived from what it describes",
        ("accessibility.csv", 3, "url"): (
            "not kept: no place for it (a location's accessibility is our checklist and a description)"
        ),
        ("accessibility.csv", 4, None): (
            "row not imported: a location keeps one accessibility description, the one on line 3"
        ),
        ("languages.csv", 2, "id"): "not kept: the export gives it an id derived from what it describes",
        ("languages.csv", 3, None): "row not imported: language 'xx' is no language code we know",
    }


# --- the licence of the open data (issue #18) ------------------------------------------------------------


def test_the_export_declares_its_licence_and_sources(demo_app):
    with demo_app.app_context():
        files, _counts = hsds_io.package_files()
    package = json.loads(files["datapackage.json"])
    assert package["licenses"] == [
        {
            "name": "CC0-1.0",
            "path": "https://creativecommons.org/publicdomain/zero/1.0/",
            "title": "Creative Commons Zero v1.0 Universal",
        }
    ]
    assert package["sources"][0] == {"title": "Sociale kaart Utrechtse Heuvelrug", "path": "http://127.0.0.1:5000"}
    assert "Open Referral" in package["sources"][1]["title"] and "license" not in package


def test_the_licence_comes_from_the_settings(tmp_path, request):
    app = fresh_app(tmp_path, request, OPEN_DATA_LICENSE="CC-BY-4.0", PUBLIC_URL="https://kaart.example.org")
    with app.app_context():
        db.create_all()
        package = json.loads(hsds_io.package_files()[0]["datapackage.json"])
        db.session.remove()
        db.engine.dispose()
    assert package["licenses"] == [
        {
            "name": "CC-BY-4.0",
            "path": "https://creativecommons.org/licenses/by/4.0/",
            "title": "Creative Commons Attribution 4.0 International",
        }
    ]
    assert package["sources"][0]["path"] == "https://kaart.example.org"


def test_a_licence_we_do_not_know_needs_its_address(tmp_path, request):
    with pytest.raises(RuntimeError, match="SOCIALE_KAART_OPEN_DATA_LICENSE_URL"):
        fresh_app(tmp_path, request, OPEN_DATA_LICENSE="NLOD-2.0")
    app = fresh_app(
        tmp_path, request, OPEN_DATA_LICENSE="NLOD-2.0", OPEN_DATA_LICENSE_URL="https://data.norge.no/nlod/en/2.0"
    )
    assert app.config["OPEN_DATA_LICENSE_URL"] == "https://data.norge.no/nlod/en/2.0"


# --- one municipality of the region (issue #20) ------------------------------------------------


def _names_in(folder, resource, column="name"):
    with (folder / hsds_io.resources()[resource][0]).open(encoding="utf-8", newline="") as handle:
        return {row[column] for row in csv.DictReader(handle)}


@pytest.mark.parametrize(
    "code, services_count, organizations_count, locations_count",
    [("0340", 10, 7, 8), ("1581", 165, 60, 63)],
)
def test_the_export_of_one_municipality_holds_its_services_and_stays_valid(
    demo_app, tmp_path, code, services_count, organizations_count, locations_count
):
    with demo_app.test_request_context():
        counts = hsds_io.export_package(tmp_path, municipality=code)
        serving = {
            service.name
            for service in db.session.scalars(select(Service).where(Service.publication_status == "published"))
            if code in municipalities.codes_of_service(service)
        }
    problems, found = validate_package(tmp_path)
    assert problems == []
    assert _names_in(tmp_path, "service") == serving
    assert (found["service"], found["organization"], found["location"]) == (
        services_count,
        organizations_count,
        locations_count,
    )
    assert counts["service"] == services_count and found["taxonomy"] == 9
    package = json.loads((tmp_path / "datapackage.json").read_text(encoding="utf-8"))
    assert package["name"] == f"sociale-kaart-{code}"


def test_the_rhenen_export_has_the_service_of_both_municipalities_with_all_its_areas(demo_app, tmp_path):
    with demo_app.app_context():
        hsds_io.export_package(tmp_path, municipality="0340")
    assert "Vrijwillige vervoersdienst Rijn en Heuvel" in _names_in(tmp_path, "service")
    assert {"Elst", "Rhenen", "Amerongen", "Overberg", "Leersum"} <= _names_in(tmp_path, "service_area")
    package = json.loads((tmp_path / "datapackage.json").read_text(encoding="utf-8"))
    assert package["title"] == "Sociale kaart Rhenen" and "CBS 0340" in package["description"]


def test_the_export_command_takes_a_municipality(seeded_app, tmp_path):
    runner = seeded_app.test_cli_runner()
    exported = runner.invoke(args=["hsds", "export", "--municipality", "0340", str(tmp_path / "rhenen")])
    assert exported.exit_code == 0, exported.output
    assert "10 service" in exported.output and "7 organization" in exported.output
    for wrong in ("0344", "340", "abcd"):
        refused = runner.invoke(args=["hsds", "export", "--municipality", wrong, str(tmp_path / wrong)])
        assert refused.exit_code == 2 and "none of this installation's municipalities" in refused.output
        assert "0340 (Rhenen)" in refused.output and not (tmp_path / wrong).exists()
