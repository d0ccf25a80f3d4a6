"""The HSDS API per municipality of the region (issue #20): ?municipality=<CBS code> on the list routes."""

import pytest
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from sociale_kaart.directory import municipalities
from sociale_kaart.directory.models import Service, ServiceAtLocation

API = "/api/hsds"
RHENEN, HEUVELRUG = "0340", "1581"


@pytest.fixture(scope="module")
def serving(demo_app):
    """{CBS code: names of the demo's published services that serve it}, by the Python rule."""
    with demo_app.test_request_context():
        from sociale_kaart.extensions import db

        rows = db.session.scalars(
            select(Service)
            .where(Service.publication_status == "published", Service.status != "defunct")
            .options(
                selectinload(Service.service_areas),
                selectinload(Service.location_links).selectinload(ServiceAtLocation.location),
            )
        ).all()
        found = {RHENEN: set(), HEUVELRUG: set()}
        for service in rows:
            for code in municipalities.codes_of_service(service):
                found[code].add(service.name)
        db.session.remove()
    return found


def _names(client, route, query):
    body = client.get(f"{API}/{route}?{query}").get_json()
    assert body["total_items"] == len(body["contents"]), body["total_items"]
    return body["contents"]


def test_the_demo_region_serves_rhenen_and_heuvelrug_with_one_service_in_both(serving):
    assert len(serving[RHENEN]) == 10
    assert serving[RHENEN] & serving[HEUVELRUG] == {"Vrijwillige vervoersdienst Rijn en Heuvel"}
    assert len(serving[HEUVELRUG]) == 165


@pytest.mark.parametrize("code", [RHENEN, HEUVELRUG])
def test_services_of_a_municipality_are_the_ones_that_serve_it(demo_client, serving, code):
    listed = _names(demo_client, "services", f"municipality={code}&minimal=true")
    assert {item["name"] for item in listed} == serving[code]


def test_a_municipality_combines_with_the_other_filters_and_the_search(demo_client, serving):
    listed = _names(demo_client, "services", f"municipality={RHENEN}&search=vervoer&per_page=100")
    assert {item["name"] for item in listed} == {"Vrijwillige vervoersdienst Rijn en Heuvel"}
    listed = _names(demo_client, "services", f"municipality={RHENEN}&pyramid_level=met_indicatie&per_page=100")
    assert {item["name"] for item in listed} == {"Logeeropvang Grebbeberg in Elst"}


def test_listings_of_a_municipality_are_the_web_searchs_of_its_services(demo_client, serving):
    near = _names(demo_client, "service_at_locations", f"municipality={RHENEN}&postcode=3958&per_page=100")
    assert {item["service"]["name"] for item in near} == serving[RHENEN]
    # nearest first from Amerongen: Elst 3922 (about 2 km) before the town of Rhenen
    assert near[0]["location"]["addresses"][0]["postal_code"].startswith("3922")
    everything = demo_client.get(f"{API}/service_at_locations?postcode=3958").get_json()["total_items"]
    assert everything == 176 and len(near) == 10


def test_organisations_of_a_municipality_have_a_service_that_serves_it_and_nest_only_those(demo_client, serving):
    organisations = _names(demo_client, "organizations", f"municipality={RHENEN}&full=true&per_page=100")
    assert len(organisations) == 7
    nested = {service["name"] for item in organisations for service in item["services"]}
    assert nested == serving[RHENEN]
    whole_region = demo_client.get(f"{API}/organizations?per_page=1").get_json()["total_items"]
    assert whole_region == 66


@pytest.mark.parametrize(
    "value, detail",
    [
        ("abc", "is not a CBS municipality code"),
        ("340", "is not a CBS municipality code"),
        ("٠٣٤٠", "is not a CBS municipality code"),
        ("0344", "unknown municipality '0344'"),  # Utrecht: a municipality, but not this installation's
        ("9999", "unknown municipality '9999'"),
    ],
)
@pytest.mark.parametrize("route", ["services", "service_at_locations", "organizations"])
def test_an_invalid_or_unknown_municipality_is_a_400_naming_the_parameter(demo_client, route, value, detail):
    response = demo_client.get(f"{API}/{route}", query_string={"municipality": value})
    body = response.get_json()
    assert response.status_code == 400
    assert body["parameter"] == "municipality" and detail in body["detail"]


def test_the_municipality_is_given_once(demo_client):
    response = demo_client.get(f"{API}/services?municipality=0340&municipality=1581")
    assert response.status_code == 400 and response.get_json()["parameter"] == "municipality"


def test_the_spec_documents_the_municipality_with_the_regions_codes(demo_client):
    spec = demo_client.get(f"{API}/openapi.json").get_json()
    for route in ("services", "service_at_locations", "organizations"):
        operation = spec["paths"][f"{API}/{route}"]["get"]
        parameter = next(p for p in operation["parameters"] if p["name"] == "municipality")
        assert parameter["schema"] == {"type": "string", "enum": [RHENEN, HEUVELRUG]}
        assert "CBS code" in parameter["description"] and "whole region" in parameter["description"]
        assert "unknown_municipality" in operation["responses"]["400"]["content"]["application/json"]["examples"]
