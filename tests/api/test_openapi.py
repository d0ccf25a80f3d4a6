"""schemathesis against the served OpenAPI spec, in-process (WSGI, no network), over the demo data.

It generates valid and invalid requests for every operation and checks: no server errors, every
status code, content type and body as the spec says, invalid input rejected, valid input accepted.
"""

import json
import tempfile
from collections import Counter

import schemathesis
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from schemathesis.specs.openapi.checks import positive_data_acceptance

from sociale_kaart.api import openapi
from sociale_kaart.directory import services
from sociale_kaart.extensions import db

from ..conftest import _seed, make_app
from . import hsds_schemas

CASES = Counter()
MODES = Counter()

# The spec's "nl-postcode" format: the fuzzing phase draws from the demo municipality's postcodes,
# so most generated searches find something (the coverage phase also sends unknown ones: a 404).
POSTCODES = ["3941", "3941 AB", "3941ab", "3945", "3958", "3931", "3956 ZX", "3953", "3959", "3940", "3971"]
schemathesis.openapi.format("nl-postcode", st.sampled_from(POSTCODES))


def _demo_app():
    """The demo municipality in its own app: the spec is loaded when this module is collected.

    (schemathesis' lazy from_fixture() does not work with pytest 9, so the session's demo_app
    fixture cannot be used here.)
    """
    app = make_app(tempfile.mkdtemp(prefix="schemathesis-"), name="schemathesis")
    with app.app_context():
        db.create_all()
        _seed(app)
        db.session.remove()
    return app


APP = _demo_app()
# schemathesis' WSGI transport asks for compressed answers as a browser does but reads the raw body, so it
# asks for none: the API compresses what a client accepts (issue #17), which tests/web/test_caching.py checks.
IDENTITY = {"Accept-Encoding": "identity"}
schema = schemathesis.openapi.from_wsgi("/api/hsds/openapi.json", APP)


@schema.parametrize()
@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.filter_too_much],
)
def test_the_api_keeps_its_spec(case):
    CASES[case.operation.label] += 1
    MODES[str(case.meta.generation.mode.value) if case.meta else "explicit"] += 1
    query = case.query or {}
    if "proximity" in query and "postcode" not in query:
        # proximity needs postcode: a dependency between parameters OpenAPI cannot state, so
        # schemathesis takes it for valid input. The API must reject it; every other check still runs.
        response = case.call(headers=IDENTITY)
        assert response.status_code == 400
        assert response.json()["parameter"] in ("proximity", *query)
        case.validate_response(response, excluded_checks=[positive_data_acceptance])
        return
    case.call_and_validate(headers=IDENTITY)


def test_schemathesis_ran_many_cases():
    """Runs after the generated tests (file order): report how many requests were checked."""
    print(f"schemathesis cases per operation: {dict(CASES)}; total {sum(CASES.values())}; by mode {dict(MODES)}")
    operations = len(APP.test_client().get("/api/hsds/openapi.json", headers=IDENTITY).get_json()["paths"])
    assert len(CASES) == operations == 12 and min(CASES.values()) >= 10
    assert MODES["negative"] >= 100 and MODES["positive"] >= 100


def test_the_spec_describes_every_route(demo_app):
    rules = {
        rule.rule.replace("<", "{")
        .replace(">", "}")
        .replace("{service_id}", "{id}")
        .replace("{organization_id}", "{id}")
        .replace("{taxonomy_id}", "{id}")
        .replace("{term_id}", "{id}")
        .replace("{link_id}", "{id}")
        for rule in demo_app.url_map.iter_rules()
        if rule.endpoint.startswith("api.")
    }
    described = set(demo_app.test_client().get("/api/hsds/openapi.json").get_json()["paths"])
    assert rules - {"/api/hsds/openapi.json"} == described


def test_the_spec_is_valid_openapi_3_1():
    """The served document against the OpenAPI 3.1 meta-schema (schemathesis checks it; it raises when invalid)."""
    schema.validate()
    assert schema.raw_schema["openapi"] == "3.1.0"


def test_the_spec_uses_the_official_hsds_object_schemas():
    """The package's copy of the HSDS schemas is the official one the tests validate with."""
    for path in sorted(openapi.SCHEMA_FOLDER.glob("*.json")):
        assert json.loads(path.read_text()) == hsds_schemas.load(path.name), path.name
    assert json.loads((openapi.SCHEMA_FOLDER.parent / "datapackage.json").read_text()) == hsds_schemas.datapackage()


def test_the_spec_lists_the_current_taxonomy_terms_and_areas(demo_app, demo_client):
    spec = demo_client.get("/api/hsds/openapi.json").get_json()
    parameters = {p["name"]: p for p in spec["paths"]["/api/hsds/services"]["get"]["parameters"]}
    terms = demo_client.get("/api/hsds/taxonomy_terms?per_page=100").get_json()["contents"]
    filterable = [t["id"] for t in terms if t["taxonomy"] != "Extra velden"]
    assert parameters["taxonomy_term_id"]["schema"]["items"]["enum"] == filterable
    with demo_app.app_context():
        areas = [area.code for area in services.list_areas()]
    assert parameters["area"]["schema"]["items"]["enum"] == areas and len(areas) == 9
    assert parameters["per_page"]["schema"] == {"type": "integer", "minimum": 1, "maximum": 100}
