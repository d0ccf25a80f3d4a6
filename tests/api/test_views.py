"""The HSDS API over the demo data: every response against the official HSDS 3.0 schemas, errors, privacy."""

import json
import re
import uuid
from datetime import datetime, timedelta

import pytest
from jsonschema import Draft202012Validator
from sqlalchemy import func, select

from sociale_kaart import clock, transactions
from sociale_kaart.directory import freshness, services
from sociale_kaart.directory.models import Organization, Service, ServiceAtLocation
from sociale_kaart.extensions import db

from ..builders import make_location, make_organization, make_service
from ..conftest import make_app
from . import hsds_schemas

API = "/api/hsds"
PRIVATE_KEYS = {
    "is_demo",
    "publication_status",
    "slug",
    "kind",
    "created_at",
    "keywords",
    "respite_types",
    "pyramid_level",
    "access_route",
    "area_id",
}
# A list route -> (schema files each item must match, parameters of a full walk)
LISTS = {
    "services": ("compiled/service_list.json", "service.json"),
    "service_at_locations": ("compiled/service_at_location_list.json", "service_at_location.json"),
    "organizations": ("compiled/organization_list.json", "organization.json"),
    "taxonomies": ("taxonomy.json",),
    "taxonomy_terms": ("taxonomy_term.json",),
}
DETAILS = {
    "services": ("service.json", "compiled/service_with_definitions.json"),
    "service_at_locations": ("service_at_location.json",),
    "organizations": ("organization.json",),
    "taxonomies": ("taxonomy.json",),
    "taxonomy_terms": ("taxonomy_term.json",),
}


def _keys(value):
    if isinstance(value, dict):
        for key, item in value.items():
            yield key
            yield from _keys(item)
    elif isinstance(value, list):
        for item in value:
            yield from _keys(item)


class Walk:
    """Fetch responses and validate each against the HSDS schemas; count what was checked."""

    def __init__(self, client):
        self.client, self.responses, self.objects, self.problems = client, 0, 0, []
        self.list_pages = 0

    def get(self, url, schemas=(), item_schemas=()):
        response = self.client.get(url)
        assert response.status_code == 200, (url, response.get_data(as_text=True))
        assert response.headers["Access-Control-Allow-Origin"] == "*"
        body = response.get_json()
        self.responses += 1
        for name in schemas:
            self.problems += [f"{url}: {e}" for e in hsds_schemas.errors(name, body)]
        if item_schemas:
            self.list_pages += 1
            page = hsds_schemas.openapi_validator("components", "schemas", "Page")
            self.problems += [f"{url}: Page {e.message}" for e in page.iter_errors(body)]
            for item in body["contents"]:
                self.objects += 1
                for name in item_schemas:
                    self.problems += [f"{url}: {e}" for e in hsds_schemas.errors(name, item)]
        private = PRIVATE_KEYS & set(_keys(body))
        assert not private, (url, private)
        return body

    def pages(self, route, query=""):
        """Walk every page of a list; return all its items."""
        items, page = [], 1
        while True:
            body = self.get(f"{API}/{route}?per_page=100&page={page}{query}", item_schemas=LISTS[route])
            assert body["page_number"] == page and body["size"] == len(body["contents"])
            items += body["contents"]
            if body["last_page"]:
                break
            page += 1
        assert body["total_items"] == len(items) and body["total_pages"] == page
        return items


def test_every_response_of_every_route_matches_the_hsds_schemas(demo_client, demo_db):
    walk = Walk(demo_client)
    root = walk.get(f"{API}/")
    assert not list(
        hsds_schemas.openapi_validator(
            "paths", "/", "get", "responses", "200", "content", "application/json", "schema"
        ).iter_errors(root)
    )
    assert root["version"] == "3.0"
    found = {route: walk.pages(route) for route in LISTS}
    found["near 3941"] = walk.pages("service_at_locations", "&postcode=3941&proximity=25000")
    for route, schemas in DETAILS.items():
        for item in found[route]:
            body = walk.get(f"{API}/{route}/{item['id']}", schemas=schemas)
            assert body["id"] == item["id"]
            if route == "organizations":
                for service in body["services"]:
                    walk.problems += hsds_schemas.errors("service.json", service)
                for location in body["locations"]:
                    walk.problems += hsds_schemas.errors("location.json", location)

    assert walk.problems == []
    public = select(func.count(Service.id)).where(
        Service.publication_status == "published", Service.status != "defunct"
    )
    assert len(found["services"]) == demo_db.scalar(public) == 174
    assert len({s["id"] for s in found["services"]}) == 174
    # service_at_locations is the web search: it leaves out listings unchecked for over
    # 12 months (issue #3), which /services still lists with their assured_date
    assert (
        len(found["service_at_locations"])
        == demo_db.scalar(
            select(func.count(ServiceAtLocation.id))
            .join(ServiceAtLocation.service)
            .where(Service.publication_status == "published", Service.status != "defunct")
        )
        - len(freshness.hidden_listing_ids())
        == 176
    )
    assert len(found["organizations"]) == 66
    assert len(found["taxonomies"]) == 9 and len(found["taxonomy_terms"]) == 17 + 12 + 3 + 5 + 6 + 4 + 4 + 7 + 4
    details = sum(len(found[route]) for route in DETAILS)
    assert walk.responses == 1 + walk.list_pages + details
    print(
        f"validated {walk.responses} responses: {walk.list_pages} list pages with {walk.objects} items, "
        f"{details} details"
    )


def test_a_full_service_nests_organisation_locations_phones_schedules_costs_areas_and_terms(demo_client):
    items = demo_client.get(f"{API}/services?search=respijt aan huis&per_page=1").get_json()["contents"]
    body = demo_client.get(f"{API}/services/{items[0]['id']}").get_json()
    assert body["name"] == "Respijt aan huis"
    assert body["organization"]["name"]
    assert body["service_at_locations"][0]["location"]["addresses"][0]["postal_code"]
    assert body["phones"][0]["number"] and body["schedules"] and body["cost_options"]
    taxonomies = {attribute["link_type"] for attribute in body["attributes"]}
    assert {"category", "target_group", "pyramid_level", "access_route", "cost", "respite_type"} <= taxonomies
    assert body["assured_date"] and re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", body["last_modified"])


def test_vocabulary_terms_have_stable_ids(demo_client):
    terms = demo_client.get(f"{API}/taxonomy_terms?per_page=100").get_json()["contents"]
    free = next(t for t in terms if t["code"] == "gratis")
    namespace = uuid.UUID("1f6f4c1e-5b0a-4d8e-9c3a-7e2d5b8a9f10")
    assert free["id"] == str(uuid.uuid5(namespace, "taxonomy_term:cost:gratis"))
    assert free["taxonomy_id"] == str(uuid.uuid5(namespace, "taxonomy:cost"))


def _web_service_ids(client, query):
    html = client.get("/zoeken", query_string=query).get_data(as_text=True)
    return list(dict.fromkeys(int(i) for i in re.findall(r'href="/aanbod/(\d+)', html.split('id="resultaten"')[-1])))


def test_proximity_search_gives_the_web_search_order(demo_client, demo_db):
    body = demo_client.get(
        f"{API}/service_at_locations?postcode=3941&proximity=5000&search=respijtzorg&per_page=100"
    ).get_json()
    api_ids = [
        demo_db.scalar(select(Service.id).where(Service.uuid == item["service"]["id"])) for item in body["contents"]
    ]
    page = services.search_listings(
        services.SearchCriteria(text="respijtzorg", where="3941", radius_km=5, per_page=100)
    )
    assert [listing.service.id for listing in page.listings] == api_ids
    assert len(api_ids) == body["total_items"] == page.total >= 3
    # and the page a resident sees: the same services in the same order
    assert (
        _web_service_ids(demo_client, {"q": "respijtzorg", "waar": "3941", "straal": "5"})
        == list(dict.fromkeys(api_ids))[:20]
    )


@pytest.mark.parametrize("proximity", [1, 26, 300, 100000])
def test_any_proximity_is_a_search_not_an_error(demo_client, proximity):
    """Radii narrower than the index's grid cell once made the engine fail (found by schemathesis)."""
    body = demo_client.get(f"{API}/service_at_locations?postcode=3956+ZX&proximity={proximity}").get_json()
    assert body["total_items"] >= 0 and (proximity < 100000 or body["total_items"] == 176)


@pytest.mark.parametrize(
    "query, parameter",
    [
        ("services?page=abc", "page"),
        ("services?page=0", "page"),
        ("services?page=", "page"),
        ("services?page=1&page=2", "page"),
        ("services?page=%C2%B2", "page"),  # '²' passes str.isdigit() (issue #12)
        ("services?page=%D9%A3", "page"),  # Arabic-Indic 3: int() takes it
        ("services?per_page=%2B5", "per_page"),
        ("services?search=a%00b", "search"),  # NUL: PostgreSQL refuses it in text
        ("organizations?search=a%1Bb", "search"),
        ("services?modified_after=%D9%A2%D9%A0%D9%A2%D9%A6-01-31T12:00:00Z", "modified_after"),
        ("services?per_page=10000", "per_page"),
        ("services?per_page=1.5", "per_page"),
        ("services?taxonomy_term_id=not-a-uuid", "taxonomy_term_id"),
        (f"services?taxonomy_term_id={uuid.UUID(int=1)}", "taxonomy_term_id"),
        (f"services?taxonomy_id={uuid.UUID(int=2)}", "taxonomy_id"),
        ("services?cost=duur", "cost"),
        ("services?area=atlantis", "area"),
        ("services?pyramid_level=top", "pyramid_level"),
        ("services?minimum_age=-1", "minimum_age"),
        ("services?modified_after=gisteren", "modified_after"),
        ("services?modified_after=2026-02-30T00:00:00Z", "modified_after"),
        ("services?search=" + "x" * 201, "search"),
        ("services?sort=name", "sort"),
        ("service_at_locations?postcode=39411", "postcode"),
        ("service_at_locations?postcode=abc", "postcode"),
        ("service_at_locations?proximity=5000", "proximity"),
        ("service_at_locations?postcode=3941&proximity=0", "proximity"),
        ("service_at_locations?postcode=3941&proximity=5km", "proximity"),
        ("organizations?per_page=101", "per_page"),
        ("taxonomy_terms?taxonomy_id=" + str(uuid.UUID(int=3)), "taxonomy_id"),
        ("services/not-a-uuid", "id"),
        ("openapi.json?x=1", "x"),
        ("services?full=yes", "full"),
        ("services?minimal=1", "minimal"),
        ("services?minimal=True", "minimal"),
        ("services?format=xml", "format"),
        ("services?format=json&format=ndjson", "format"),
        ("services?day=monday", "day"),
        ("services?day=MO", "day"),
        ("services?start_time=9:00", "start_time"),
        ("services?start_time=09:00:00", "start_time"),
        ("services?end_time=24:00", "end_time"),
        ("services?end_time=%D9%A1%D9%A2:00", "end_time"),  # Arabic-Indic digits
        ("service_at_locations?full_service=ja", "full_service"),
        ("service_at_locations?day=Funday", "day"),
        ("service_at_locations?proximity=5000&format=ndjson", "proximity"),
        ("organizations?full=1", "full"),
        ("organizations?full_service=", "full_service"),
        (f"organizations/{uuid.UUID(int=4)}?full_service=yes", "full_service"),
        (f"organizations/{uuid.UUID(int=4)}?full=true", "full"),
        ("taxonomies?full=true", "full"),
        ("taxonomy_terms?top_only=TRUE", "top_only"),
        ("taxonomy_terms?parent_id=abc", "parent_id"),
        (f"taxonomy_terms?parent_id={uuid.UUID(int=5)}", "parent_id"),
        ("service_at_locations/not-a-uuid", "id"),
        (f"service_at_locations/{uuid.UUID(int=4)}?full=true", "full"),
    ],
)
def test_invalid_parameters_get_a_400_with_a_json_error(demo_client, query, parameter):
    response = demo_client.get(f"{API}/{query}")
    assert response.status_code == 400
    body = response.get_json()
    assert body["parameter"] == parameter and body["error"] and body["detail"]
    assert response.headers["Access-Control-Allow-Origin"] == "*"


@pytest.mark.parametrize(
    "method, url, status",
    [
        ("get", f"{API}/services/{uuid.UUID(int=4)}", 404),
        ("get", f"{API}/organizations/{uuid.UUID(int=4)}", 404),
        ("get", f"{API}/service_at_locations/{uuid.UUID(int=4)}", 404),
        ("get", f"{API}/service_at_locations?postcode=1000&format=ndjson", 404),
        ("get", f"{API}/no-such-route", 404),
        ("get", f"{API}/service_at_locations?postcode=1000", 404),
        ("post", f"{API}/services", 405),
        ("delete", f"{API}/services/{uuid.UUID(int=4)}", 405),
    ],
)
def test_errors_under_the_api_are_json(demo_client, method, url, status):
    response = getattr(demo_client, method)(url)
    assert response.status_code == status
    assert response.is_json and response.get_json()["error"]
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert "Content-Security-Policy" in response.headers
    if status == 405:
        assert "GET" in response.headers["Allow"]


def test_errors_elsewhere_are_still_html_pages(demo_client):
    response = demo_client.get("/bestaat-niet")
    assert response.status_code == 404 and response.mimetype == "text/html"


def test_filters_narrow_the_services(demo_client, demo_db):
    everything = demo_client.get(f"{API}/services?per_page=100").get_json()["total_items"]
    free = demo_client.get(f"{API}/services?cost=gratis&per_page=100").get_json()
    expected = demo_db.scalar(
        select(func.count(Service.id)).where(
            Service.publication_status == "published",
            Service.status != "defunct",
            func.cast(Service.cost, db.String).contains('"gratis"'),
        )
    )
    assert 0 < free["total_items"] == expected < everything
    for item in free["contents"]:
        detail = demo_client.get(f"{API}/services/{item['id']}").get_json()
        assert "gratis" in {a["taxonomy_term"]["code"] for a in detail["attributes"] if a["link_type"] == "cost"}
    terms = demo_client.get(f"{API}/taxonomy_terms?search=respijtzorg").get_json()["contents"]
    respite = next(t for t in terms if t["code"] == "respijtzorg")
    by_term = demo_client.get(f"{API}/services?taxonomy_term_id={respite['id']}&per_page=100").get_json()
    assert 0 < by_term["total_items"] < everything
    young = demo_client.get(f"{API}/services?maximum_age=12&per_page=100").get_json()["contents"]
    assert all(demo_client.get(f"{API}/services/{s['id']}").get_json().get("minimum_age", 0) <= 12 for s in young)


def test_modified_after_returns_only_later_changes(demo_client, demo_db):
    stamps = sorted(
        demo_db.scalars(
            select(Service.last_modified).where(Service.publication_status == "published", Service.status != "defunct")
        )
    )
    future = (stamps[-1] + timedelta(seconds=2)).strftime("%Y-%m-%dT%H:%M:%SZ")
    past = (stamps[0] - timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%S+02:00")
    for route in ("services", "service_at_locations"):
        url = f"{API}/{route}"
        assert demo_client.get(url, query_string={"modified_after": future}).get_json()["total_items"] == 0
        assert demo_client.get(url, query_string={"modified_after": past}).get_json()["total_items"] > 0
    assert (
        demo_client.get(f"{API}/organizations", query_string={"modified_after": future}).get_json()["total_items"] == 0
    )


def test_only_published_services_and_their_organisations_appear(app, client):
    published = make_service(name="Zichtbaar")
    draft = make_service(name="Concept", publication_status="draft")
    lonely = make_organization(name="Zonder aanbod")
    make_service(location=make_location(organization=lonely), name="Ook concept", publication_status="pending")
    db.session.commit()
    names = [s["name"] for s in client.get(f"{API}/services").get_json()["contents"]]
    assert names == ["Zichtbaar"]
    assert client.get(f"{API}/services/{draft.uuid}").status_code == 404
    assert client.get(f"{API}/services/{published.uuid}").status_code == 200
    organizations = [o["name"] for o in client.get(f"{API}/organizations").get_json()["contents"]]
    assert organizations == [published.organization.name]
    assert client.get(f"{API}/organizations/{lonely.uuid}").status_code == 404
    listed = client.get(f"{API}/service_at_locations").get_json()["contents"]
    assert [item["service"]["name"] for item in listed] == ["Zichtbaar"]


def test_a_service_unpublished_after_publication_disappears(app, client):
    service = make_service(name="Even weg")
    service.publication_status = "archived"
    transactions.commit()
    assert client.get(f"{API}/services").get_json()["total_items"] == 0
    assert client.get(f"{API}/service_at_locations?postcode=3941").get_json()["total_items"] == 0
    assert client.get(f"{API}/services/{service.uuid}").status_code == 404


def test_the_kept_count_of_the_list_follows_every_change(app, client):
    """The plain list's count is kept per process (issue #17): publishing, unpublishing and another
    server's change (the directory stamp in the database) move it."""
    first = make_service(name="Eerste")
    assert client.get(f"{API}/services").get_json()["total_items"] == 1
    second = make_service(name="Tweede")
    assert client.get(f"{API}/services").get_json()["total_items"] == 2
    first.publication_status = "archived"
    transactions.commit()
    assert client.get(f"{API}/services").get_json()["total_items"] == 1
    other_server = make_app(app.config["SEARCH_DIR"], SQLALCHEMY_DATABASE_URI=app.config["SQLALCHEMY_DATABASE_URI"])
    with other_server.app_context():
        db.session.get(Service, second.id).status = "defunct"
        transactions.commit()
        db.session.remove()
        db.engine.dispose()
    assert client.get(f"{API}/services").get_json()["total_items"] == 0


def test_the_export_zip_holds_the_package(demo_client):
    import io
    import zipfile

    response = demo_client.get(f"{API}/export.zip")
    assert response.status_code == 200 and response.mimetype == "application/zip"
    names = zipfile.ZipFile(io.BytesIO(response.data)).namelist()
    assert "datapackage.json" in names and "services.csv" in names and len(names) == 22


@pytest.mark.parametrize("language, text", [("nl", "Open data: de API"), ("en", "Open data: the API")])
def test_the_api_page_explains_the_api_in_dutch_and_english(demo_client, language, text):
    demo_client.get(f"/taal/{language}")
    html = demo_client.get("/api").get_data(as_text=True)
    assert text in html and "/api/hsds/openapi.json" in html and "CC BY-SA 4.0" in html
    for name in ("/api/hsds/service_at_locations/{id}", "ndjson", "full_service", "minimal", "top_only", "start_time"):
        assert name in html
    assert 'href="/api"' in demo_client.get("/").get_data(as_text=True)


def test_organisation_detail_lists_only_published_services(app, client):
    organization = make_organization(name="Stichting Twee")
    location = make_location(organization=organization)
    make_service(location=location, name="Open")
    make_service(location=location, name="Dicht", publication_status="draft")
    body = client.get(f"{API}/organizations/{organization.uuid}").get_json()
    assert [s["name"] for s in body["services"]] == ["Open"]
    assert [loc["id"] for loc in body["locations"]] == [location.uuid]
    assert db.session.scalar(select(func.count(Organization.id))) == 1
    assert datetime.fromisoformat(body["services"][0]["last_modified"].replace("Z", "+00:00"))


def test_too_many_requests_is_a_json_429(tmp_path):
    app = make_app(tmp_path, name="api_rate_limit", RATELIMIT_ENABLED=True, SEARCH_RATE_LIMIT="2 per minute")
    with app.app_context():
        db.create_all()
        client = app.test_client()
        responses = [client.get(f"{API}/services") for _ in range(3)]
        assert [r.status_code for r in responses] == [200, 200, 429]
        assert responses[2].get_json()["error"] == "too many requests"
        assert responses[2].headers["Access-Control-Allow-Origin"] == "*"
        db.session.remove()
        db.engine.dispose()


def test_a_server_error_under_the_api_is_json(app, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("database on fire")

    monkeypatch.setattr("sociale_kaart.directory.open_data.public_service_ids", broken)
    app.config["PROPAGATE_EXCEPTIONS"] = False
    response = app.test_client().get(f"{API}/services")
    assert response.status_code == 500
    assert response.get_json()["error"] == "internal server error"
    assert "fire" not in response.get_data(as_text=True)


def test_modified_after_works_on_the_taxonomy_lists(demo_client):
    everything = demo_client.get(f"{API}/taxonomies?modified_after=2000-01-01T00:00:00Z").get_json()
    assert everything["total_items"] == 9
    future = demo_client.get(f"{API}/taxonomies?modified_after=2999-01-01T00:00:00Z").get_json()
    assert future["total_items"] == 0
    terms = demo_client.get(f"{API}/taxonomy_terms?modified_after=2000-01-01T00:00:00Z&per_page=100").get_json()
    assert terms["total_items"] == 17 + 12 + 3 + 5 + 6 + 4 + 4 + 7 + 4
    assert demo_client.get(f"{API}/taxonomy_terms?modified_after=gisteren").status_code == 400


def test_a_renamed_category_is_in_the_change_feed(app, client, app_clock):
    from flask import g

    services.ensure_taxonomies()
    db.session.commit()
    since = (clock.utcnow() + timedelta(seconds=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert client.get(f"{API}/taxonomy_terms?modified_after={since}").get_json()["total_items"] == 0
    app_clock.start(clock.utcnow() + timedelta(seconds=2))
    term = services.taxonomy_terms("category")[0]
    term.name = term.name + " (nieuw)"
    db.session.commit()
    g.pop("hsds_catalogue", None)  # this test shares one app context (and g) across requests
    changed = client.get(f"{API}/taxonomy_terms?modified_after={since}").get_json()
    assert [item["code"] for item in changed["contents"]] == [term.code]
    assert client.get(f"{API}/taxonomies?modified_after={since}").get_json()["total_items"] == 1


def test_changing_only_a_category_bumps_last_modified(app, app_clock):
    from tests.builders import make_service

    service = make_service(categories=("respijtzorg",))
    before = service.last_modified
    app_clock.start(clock.utcnow() + timedelta(seconds=1))
    terms = {term.code: term for term in services.taxonomy_terms("category")}
    service.categories = [terms["dementie"]]
    db.session.commit()
    assert service.last_modified > before


@pytest.mark.parametrize(
    "text", ["hulp bij boodschappen", "shopping", "dementie", "iemand die met mijn moeder wandelt"]
)
def test_the_api_text_search_gives_the_web_search_order(demo_client, demo_db, text):
    """One engine (#11): /services?search= lists the services in the order the web search finds them."""
    body = demo_client.get(f"{API}/services", query_string={"search": text, "per_page": 100}).get_json()
    api_ids = [demo_db.scalar(select(Service.id).where(Service.uuid == item["id"])) for item in body["contents"]]
    page = services.search_listings(services.SearchCriteria(text=text, per_page=500))
    web_ids = list(dict.fromkeys(listing.service.id for listing in page.listings))
    assert web_ids and [i for i in api_ids if i in web_ids] == web_ids


# --- 503 and 429 (issue #12) ------------------------------------------------------------------------


def test_a_search_without_a_usable_index_is_a_503_with_a_json_error(tmp_path, request):
    """The index folder holds something else, so the index can be neither opened nor rebuilt."""
    from ..conftest import fresh_app

    folder = tmp_path / "index"
    folder.mkdir()
    (folder / "notes.txt").write_text("not an index")
    app = fresh_app(tmp_path, request, SEARCH_BACKEND="whoosh", SEARCH_DIR=str(folder))
    with app.app_context():
        db.create_all()
        client = app.test_client()
        for route in ("services", "service_at_locations"):
            response = client.get(f"{API}/{route}", query_string={"search": "hulp"})
            assert response.status_code == 503, route
            assert response.get_json()["error"] == "search unavailable"
            assert int(response.headers["Retry-After"]) > 0
            assert response.headers["Access-Control-Allow-Origin"] == "*"
        assert client.get(f"{API}/services").status_code == 200  # without a text: no index needed
        assert (folder / "notes.txt").read_text() == "not an index"
        db.session.remove()
        db.engine.dispose()


def test_a_write_to_a_read_only_database_under_the_api_is_a_503_with_a_json_error(app, monkeypatch):
    from sqlalchemy import update

    from ..web.helpers import database_refusing_writes

    def writes(*args, **kwargs):
        db.session.execute(update(Service).values(name="x"))
        db.session.commit()

    monkeypatch.setattr("sociale_kaart.directory.open_data.public_service_ids", writes)
    with database_refusing_writes():
        response = app.test_client().get(f"{API}/services")
    assert response.status_code == 503 and response.is_json
    assert response.get_json()["error"] == "service unavailable"
    assert int(response.headers["Retry-After"]) > 0


def test_every_rate_limited_route_answers_429_in_json_as_the_spec_says(tmp_path):
    app = make_app(tmp_path, name="api_limits", RATELIMIT_ENABLED=True, SEARCH_RATE_LIMIT="1 per minute")
    with app.app_context():
        db.create_all()
        client = app.test_client()
        paths = client.get(f"{API}/openapi.json").get_json()["paths"]
        limited = set()
        for path in paths:
            url = path.replace("{id}", str(uuid.UUID(int=4)))
            first, second = client.get(url), client.get(url)
            if second.status_code == 429:
                limited.add(path)
                assert second.is_json and second.get_json()["error"] == "too many requests"
                assert int(second.headers["Retry-After"]) > 0
            assert str(first.status_code) in paths[path]["get"]["responses"], (path, first.status_code)
        documented = {path for path, item in paths.items() if "429" in item["get"]["responses"]}
        assert (
            limited
            == documented
            == {f"{API}/services", f"{API}/service_at_locations", f"{API}/organizations", f"{API}/export.zip"}
        )
        db.session.remove()
        db.engine.dispose()


# --- the HSDS 3.0 and Open Referral UK parameters (issue #18) -------------------------------------


def _ids(client, url):
    return [item["id"] for item in client.get(url).get_json()["contents"]]


def test_day_start_time_and_end_time_need_one_opening_that_fits_them_all(app, client):
    morning = make_service(name="Maandagochtend", schedule=((0, "09:00", "12:00"),))
    afternoon = make_service(name="Maandagmiddag", schedule=((0, "14:00", "17:00"), (3, "08:00", "10:00")))
    tuesday = make_service(name="Dinsdag", schedule=((1, "09:00", "17:00"),))
    make_service(name="Nooit open", schedule=())
    ended = make_service(name="Vroeger op maandag", schedule=((0, "09:00", "12:00"),))
    ended.schedules[0].valid_to = clock.today() - timedelta(days=1)  # hours that ended (an imported valid_to)
    transactions.commit()
    expected = {
        "day=Monday": [afternoon, morning],
        "day=Monday&start_time=13:00": [afternoon],
        "day=Monday&end_time=12:00": [morning],
        "start_time=09:00&end_time=12:00": [morning],
        "day=Thursday&start_time=09:00": [],  # Thursday opens at 8:00; Monday's 14:00 is another day
        "start_time=08:00&end_time=18:00": [tuesday, afternoon, morning],
        "day=Tuesday&end_time=12:00": [],
        "start_time=17:00&end_time=09:00": [],
    }
    for query, services_ in expected.items():
        names = [s.name for s in sorted(services_, key=lambda s: s.name)]
        found = client.get(f"{API}/services?{query}").get_json()["contents"]
        assert [item["name"] for item in found] == names, query
        listed = client.get(f"{API}/service_at_locations?{query}").get_json()["contents"]
        assert sorted(item["service"]["name"] for item in listed) == names, query


def test_minimal_gives_id_name_status_and_last_modified_of_every_service_on_one_page(demo_client):
    body = demo_client.get(f"{API}/services?minimal=true").get_json()
    assert body["total_items"] == body["size"] == 174 and body["total_pages"] == 1 and body["last_page"]
    assert {tuple(sorted(item)) for item in body["contents"]} == {("id", "last_modified", "name", "status")}
    listed = demo_client.get(f"{API}/services?per_page=100&page=2").get_json()["contents"]
    assert [item["id"] for item in body["contents"][100:]] == [item["id"] for item in listed]
    paged = demo_client.get(f"{API}/services?minimal=true&full=true&per_page=5&page=2").get_json()
    assert (
        paged["size"] == 5
        and paged["total_pages"] == 35
        and set(paged["contents"][0])
        == {
            "id",
            "last_modified",
            "name",
            "status",
        }
    )


def test_full_gives_each_item_as_its_own_route_does(demo_client):
    for route, query in (
        ("services", "search=respijt"),
        ("service_at_locations", "postcode=3941"),
        ("organizations", ""),
    ):
        items = demo_client.get(f"{API}/{route}?full=true&per_page=4&{query}").get_json()["contents"]
        assert len(items) == 4
        for item in items:
            assert item == demo_client.get(f"{API}/{route}/{item['id']}").get_json(), route
    listed = demo_client.get(f"{API}/service_at_locations?full_service=true&per_page=3").get_json()["contents"]
    assert listed == demo_client.get(f"{API}/service_at_locations?full=true&per_page=3").get_json()["contents"]


def test_full_service_nests_the_organisations_services_in_full(demo_client):
    organization = demo_client.get(f"{API}/organizations?per_page=1&full_service=true").get_json()["contents"][0]
    detail = demo_client.get(f"{API}/organizations/{organization['id']}?full_service=true").get_json()
    assert organization == detail and detail["services"]
    for service in detail["services"]:
        assert service == demo_client.get(f"{API}/services/{service['id']}").get_json()
    plain = demo_client.get(f"{API}/organizations/{organization['id']}").get_json()
    assert [s["id"] for s in plain["services"]] == [s["id"] for s in detail["services"]]
    assert "service_at_locations" not in plain["services"][0]


def test_a_service_at_location_nests_its_location_and_its_full_service(demo_client):
    listed = demo_client.get(f"{API}/service_at_locations?postcode=3941&per_page=1").get_json()["contents"][0]
    body = demo_client.get(f"{API}/service_at_locations/{listed['id']}").get_json()
    assert body["location"] == listed["location"] and body["location"]["addresses"][0]["postal_code"]
    assert body["service"] == demo_client.get(f"{API}/services/{listed['service']['id']}").get_json()
    assert (body["service_id"], body["location_id"]) == (body["service"]["id"], body["location"]["id"])
    assert listed["id"] in {link["id"] for link in body["service"]["service_at_locations"]}
    assert hsds_schemas.errors("service_at_location.json", body) == []


def test_a_service_at_location_of_an_unpublished_service_is_not_found(app, client):
    draft = make_service(publication_status="draft")
    published = make_service()
    assert client.get(f"{API}/service_at_locations/{draft.location_links[0].uuid}").status_code == 404
    assert client.get(f"{API}/service_at_locations/{published.location_links[0].uuid}").status_code == 200


@pytest.mark.parametrize(
    "route, query",
    [
        ("services", ""),
        ("services", "&search=hulp"),
        ("services", "&minimal=true"),
        ("services", "&full=true&cost=gratis"),
        ("service_at_locations", ""),
        ("service_at_locations", "&postcode=3941&proximity=8000&search=hulp"),
        ("service_at_locations", "&full=true&day=Monday"),
        ("organizations", "&full_service=true"),
        ("taxonomies", ""),
        ("taxonomy_terms", "&top_only=true"),
    ],
)
def test_ndjson_streams_every_result_in_page_order(demo_client, monkeypatch, route, query):
    from sociale_kaart.api import views

    monkeypatch.setattr(views, "NDJSON_CHUNK", 5)  # several chunks from the demo data
    pages, page = [], 1
    while True:
        body = demo_client.get(f"{API}/{route}?per_page=100&page={page}{query}").get_json()
        pages += body["contents"]
        if body["last_page"]:
            break
        page += 1
    response = demo_client.get(f"{API}/{route}?format=ndjson{query}")
    assert response.status_code == 200 and response.mimetype == "application/x-ndjson"
    assert response.headers["Access-Control-Allow-Origin"] == "*" and "ETag" not in response.headers
    lines = response.get_data(as_text=True).splitlines()
    assert [json.loads(line) for line in lines] == pages and len(pages) > 5


def test_top_only_and_parent_id_follow_the_term_hierarchy(app, client):
    from sociale_kaart.directory.models import TaxonomyTerm

    make_service()
    respite = next(t for t in services.taxonomy_terms("category") if t.code == "respijtzorg")
    child = TaxonomyTerm(taxonomy=respite.taxonomy, parent_id=respite.id, code="logeeropvang", name="Logeeropvang")
    db.session.add(child)
    transactions.commit()
    terms = client.get(f"{API}/taxonomy_terms?per_page=100").get_json()["contents"]
    assert client.get(f"{API}/taxonomy_terms?parent_id={respite.uuid}").get_json()["contents"] == [
        next(t for t in terms if t["id"] == child.uuid)
    ]
    assert next(t for t in terms if t["id"] == child.uuid)["parent_id"] == respite.uuid
    top = _ids(client, f"{API}/taxonomy_terms?top_only=true&per_page=100")
    assert top == [t["id"] for t in terms if t["id"] != child.uuid]
    assert _ids(client, f"{API}/taxonomy_terms?top_only=false&per_page=100") == [t["id"] for t in terms]
    assert client.get(f"{API}/taxonomy_terms?parent_id={child.uuid}").get_json()["total_items"] == 0


def test_the_spec_documents_every_error_each_route_gives(demo_client):
    """Each route's 400 (and 404 for an id) is in the spec with the Error schema; the error body matches it."""
    spec = demo_client.get(f"{API}/openapi.json").get_json()
    error = Draft202012Validator(spec["components"]["schemas"]["Error"])
    for path, item in spec["paths"].items():
        responses = item["get"]["responses"]
        url = path.replace("{id}", str(uuid.UUID(int=4)))
        cases = {"400": url + "?unknown_parameter=1"}
        if "{id}" in path:
            cases |= {"404": url, "400": path.replace("{id}", "not-a-uuid")}
        for status, case in cases.items():
            response = demo_client.get(case)
            assert str(response.status_code) == status, case
            assert response.get_json() and not list(error.iter_errors(response.get_json())), case
            documented = responses[status]["content"]["application/json"]
            assert documented["schema"] == {"$ref": "#/components/schemas/Error"}, (path, status)
            for example in documented["examples"].values():
                assert not list(error.iter_errors(example["value"])), (path, status)
    listings = spec["paths"][f"{API}/service_at_locations"]["get"]["responses"]
    assert "proximity" in listings["400"]["description"] and "404" in listings
    examples = listings["400"]["content"]["application/json"]["examples"]
    response = demo_client.get(f"{API}/service_at_locations?proximity=5000")
    assert response.get_json() == examples["proximity_without_postcode"]["value"]
