"""HSDS 3.0 conformance in the manner of the Open Referral UK validator (issue #18).

Every route of the official openapi.json (tests/api/hsds_schema/3.0/schema/openapi.json), optional
ones included, is called on a seeded app with each parameter the official document gives it, and
with the Open Referral UK profile's own (day, start_time, end_time, minimum_age, maximum_age) where the
profile has them. Each answer must be a 200 whose body has 0 errors against the schema the official
document names for the route (format checks on). Lists are walked at their first, middle and last page;
each id route is called with ids taken from its list route, as the UK validator does. The routes and
their parameters are read from the official document, so a route or parameter added to it that we do
not serve fails here.
"""

import json
import math
import tempfile
from urllib.parse import urlencode

import pytest

from sociale_kaart import transactions
from sociale_kaart.directory import services
from sociale_kaart.directory.models import TaxonomyTerm
from sociale_kaart.extensions import db

from ..conftest import _seed, make_app
from . import hsds_schemas

API = "/api/hsds"
OPENAPI = hsds_schemas.OFFICIAL + "openapi.json"
SPEC = hsds_schemas.load("openapi.json")
# The official document names compiled/service.json for this route, yet describes it as "fully nested
# service_at_location" (so does the UK validator's own example answer): a service_at_location is checked.
CORRECTED = {"/service_at_locations/{id}": hsds_schemas.OFFICIAL + "service_at_location.json"}
# The Open Referral UK profile's parameters of these routes (its openapi.json, uk-profile 3.0), besides HSDS's.
UK_PARAMETERS = {
    "/services": ("day", "start_time", "end_time", "minimum_age", "maximum_age"),
    "/service_at_locations": ("day", "start_time", "end_time", "minimum_age", "maximum_age"),
}
IDS_PER_ROUTE = 10  # as the UK validator: at most ten ids of each list


def _pointer(*parts):
    return "/".join(str(part).replace("~", "~0").replace("/", "~1") for part in parts)


def _routes():
    """Return (path, [parameter names]) of every GET of the official document, optional routes included."""
    routes = []
    for path, item in SPEC["paths"].items():
        declared = [*item.get("parameters", []), *item["get"].get("parameters", [])]
        names = []
        for parameter in declared:
            if "$ref" in parameter:
                parameter = SPEC["components"]["parameters"][parameter["$ref"].rsplit("/", 1)[1]]
            if parameter["in"] == "query":
                names.append(parameter["name"])
        routes.append((path, names + list(UK_PARAMETERS.get(path, ()))))
    return routes


ROUTES = _routes()


def _response_schema(path):
    """Return the official address of the schema a route's 200 answer must match."""
    return CORRECTED.get(path) or (
        OPENAPI + "#/" + _pointer("paths", path, "get", "responses", "200", "content", "application/json", "schema")
    )


@pytest.fixture(scope="module")
def world():
    """The demo municipality, plus a term below another so that parent_id and top_only select something."""
    app = make_app(tempfile.mkdtemp(prefix="conformance-"), name="conformance")
    with app.app_context():
        db.create_all()
        _seed(app)
        respite = next(term for term in services.taxonomy_terms("category") if term.code == "respijtzorg")
        for code, name in (("logeeropvang", "Logeeropvang"), ("dagopvang", "Dagopvang")):
            db.session.add(TaxonomyTerm(taxonomy=respite.taxonomy, parent_id=respite.id, code=code, name=name))
        transactions.commit()
        db.session.remove()
    yield app
    with app.app_context():
        db.engine.dispose()


class Validator:
    """Call routes and check each answer against the official schema of its route; count what was checked."""

    def __init__(self, client):
        self.client, self.problems, self.responses, self.objects = client, [], 0, 0

    def get(self, path, query):
        """Return the body of a 200 answer; its errors against the route's official schema go to problems."""
        url = API + path.replace("{id}", query.pop("id", "")) + ("?" + urlencode(query) if query else "")
        response = self.client.get(url)
        assert response.status_code == 200, (url, response.get_data(as_text=True)[:300])
        assert response.headers["Access-Control-Allow-Origin"] == "*"
        self.responses += 1
        if query.get("format") == "ndjson":
            # each line is an item of a page's contents
            assert response.mimetype == "application/x-ndjson", url
            items = [json.loads(line) for line in response.get_data(as_text=True).splitlines()]
            item = hsds_schemas.official_validator(_response_schema(path) + "/properties/contents/items")
            for body in items:
                self.objects += 1
                self.problems += [f"{url} line: {error.message}" for error in item.iter_errors(body)]
            return {"contents": items, "ndjson": True}
        assert response.mimetype == "application/json", url
        body = response.get_json()
        validator = hsds_schemas.official_validator(_response_schema(path))
        self.problems += [
            f"{url}: {'/'.join(map(str, e.absolute_path))} {e.message}" for e in validator.iter_errors(body)
        ]
        self.objects += len(body.get("contents", [])) if "contents" in body else 1
        return body

    def pages(self, path, query):
        """Walk a list at its first, middle and last page, as the UK validator does; return the items seen."""
        first = self.get(path, dict(query))
        if first.get("ndjson"):
            return first["contents"]
        self._check_page(first, int(query.get("page", 1)), query)
        if "page" in query:
            return first["contents"]
        items = list(first["contents"])
        last = first["total_pages"]
        for number in sorted({(last + 1) // 2, last} - {0, 1}):
            body = self.get(path, {**query, "page": str(number)})
            self._check_page(body, number, query)
            items += body["contents"]
        return items

    def _check_page(self, body, number, query):
        assert body["page_number"] == number and body["size"] == len(body["contents"])
        assert body["first_page"] == (number == 1) and body["last_page"] == (number >= body["total_pages"])
        assert body["empty"] == (not body["contents"])
        if "per_page" in query and body["total_items"]:
            assert body["total_pages"] == math.ceil(body["total_items"] / int(query["per_page"]))


def _values(client):
    """Return, per official (and UK) parameter, the queries to try: ids are taken from the API's own lists."""
    terms = client.get(f"{API}/taxonomy_terms?per_page=100").get_json()["contents"]
    taxonomies = client.get(f"{API}/taxonomies?per_page=100").get_json()["contents"]
    organizations = client.get(f"{API}/organizations?per_page=100").get_json()["contents"]
    category = next(t for t in terms if t["code"] == "respijtzorg")
    parent = next(t["parent_id"] for t in terms if t.get("parent_id"))
    both = ("true", "false")
    return {
        "search": [{"search": "respijtzorg"}, {"search": "hulp bij boodschappen"}],
        "page": [{"page": "1"}, {"page": "2"}],
        "per_page": [{"per_page": "7"}, {"per_page": "100"}],
        "format": [{"format": "json"}, {"format": "ndjson"}],
        "taxonomy_term_id": [{"taxonomy_term_id": category["id"]}],
        "taxonomy_id": [{"taxonomy_id": category["taxonomy_id"]}, {"taxonomy_id": taxonomies[-2]["id"]}],
        "organization_id": [{"organization_id": organizations[0]["id"]}],
        "modified_after": [{"modified_after": "2000-01-01T00:00:00Z"}],
        "minimal": [{"minimal": value} for value in both],
        "full": [{"full": value} for value in both],
        "full_service": [{"full_service": value} for value in both],
        "postcode": [{"postcode": "3941"}, {"postcode": "3941 AB"}],
        "proximity": [{"postcode": "3941", "proximity": "5000"}],  # proximity is measured from the postcode
        "top_only": [{"top_only": value} for value in both],
        "parent_id": [{"parent_id": parent}],
        "day": [{"day": "Monday"}, {"day": "Saturday"}],
        "start_time": [{"start_time": "08:00"}],
        "end_time": [{"end_time": "18:00"}],
        "minimum_age": [{"minimum_age": "18"}],
        "maximum_age": [{"maximum_age": "12"}],
    }


def _spread(ids, count):
    """Return at most count ids, spread evenly over the list (the UK validator picks them at random)."""
    ids = list(dict.fromkeys(ids))
    if len(ids) <= count:
        return ids
    return [ids[round(index * (len(ids) - 1) / (count - 1))] for index in range(count)]


def test_every_official_route_answers_with_every_parameter_as_the_official_schemas_say(world):
    official = SPEC["paths"]["/service_at_locations/{id}"]["get"]["responses"]["200"]["content"]["application/json"]
    assert official["schema"]["$ref"] == hsds_schemas.OFFICIAL + "compiled/service.json"  # else drop CORRECTED
    client = world.test_client()
    values = _values(client)
    check = Validator(client)
    lists = {path for path, _names in ROUTES if "{" not in path and path != "/"}
    ids = {}
    for path, names in ROUTES:
        if "{" in path:
            continue
        assert set(names) <= set(values), f"no value to try for {set(names) - set(values)} of {path}"
        if path == "/":
            check.get(path, {})
            continue
        ids[path] = [item["id"] for item in check.pages(path, {})]
        assert ids[path], path
        for name in names:
            found = [check.pages(path, dict(query)) for query in values[name]]
            assert any(found), (path, name)  # a filter that selects nothing would prove little
    tested = {}
    for path, names in ROUTES:
        if "{" not in path:
            continue
        listed = path.removesuffix("/{id}")
        assert listed in lists, f"{path}: no list route to take ids from"
        chosen = _spread(ids[listed], IDS_PER_ROUTE)
        for identifier in chosen:
            body = check.get(path, {"id": identifier})
            assert body["id"] == identifier
            for name in names:
                for query in values[name]:
                    check.get(path, {"id": identifier, **query})
        tested[path] = len(chosen)
        assert len(chosen) == min(IDS_PER_ROUTE, len(set(ids[listed])))
    assert check.problems == [], check.problems[:20]
    assert set(tested) == {path for path, _names in ROUTES if "{" in path}
    print(
        f"HSDS 3.0 conformance: {len(ROUTES)} official routes, {check.responses} responses with "
        f"{check.objects} objects validated, 0 errors; ids per detail route {tested}"
    )


def test_our_spec_describes_every_official_route_and_parameter(world):
    ours = world.test_client().get(f"{API}/openapi.json").get_json()["paths"]
    for path, names in ROUTES:
        served = API + path
        assert served in ours, served
        documented = {
            parameter["name"] for parameter in ours[served]["get"]["parameters"] if parameter["in"] == "query"
        }
        assert set(names) <= documented, (path, set(names) - documented)
