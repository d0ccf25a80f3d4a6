"""The OpenAPI 3.1 description of the HSDS API, built from the same Params the views parse with.

Response schemas are the official HSDS 3.0 object schemas (bundled in directory/hsds_schema),
with their file references turned into component references and their non-standard keys
dropped; the enumerations of taxonomy ids and areas are the current ones from the database.
"""

import json
from functools import lru_cache
from pathlib import Path

from ..directory import hsds
from . import params

SCHEMA_FOLDER = Path(__file__).resolve().parent.parent / "directory" / "hsds_schema" / "3.0" / "schema"
# HSDS annotation keys that are not JSON Schema (see the schema folder's README).
_NOT_JSON_SCHEMA = {"name", "path", "core", "constraints", "datapackage_metadata", "tabular_required", "example"}
PREFIX = "/api/hsds"


def _component(schema):
    out = {}
    for key, value in schema.items():
        if key in _NOT_JSON_SCHEMA:
            continue
        if key == "properties":
            out[key] = {name: _component(sub) for name, sub in value.items()}
        elif key == "items":
            out[key] = _component(value)
        elif key == "$ref":
            out[key] = "#/components/schemas/" + value.removesuffix(".json")
        else:
            out[key] = value
    return out


@lru_cache(maxsize=1)
def hsds_components():
    """Return the HSDS 3.0 object schemas as OpenAPI components."""
    return {
        path.stem: _component(json.loads(path.read_text(encoding="utf-8")))
        for path in sorted(SCHEMA_FOLDER.glob("*.json"))
    }


def _ref(name):
    return {"$ref": f"#/components/schemas/{name}"}


def _json(schema, description):
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _parameter(param, context):
    schema = param.schema(context)
    if param.multiple:
        schema = {"type": "array", "items": schema, "maxItems": params.MAX_VALUES}
    return {
        "name": param.name,
        "in": "query",
        "required": False,
        "description": param.description,
        "schema": schema,
        "style": "form",
        "explode": True,
    }


def _error(description, examples):
    response = _json(_ref("Error"), description)
    response["content"]["application/json"]["examples"] = {
        name: {"value": {"error": error, "detail": detail, "parameter": parameter}}
        for name, (error, detail, parameter) in examples.items()
    }
    return response


_UNKNOWN = ("unknown parameter", "this route takes page, per_page, search, …", "sort")
_MALFORMED = ("invalid parameter", "'abc' is not a whole number", "page")


def _bad_request(*causes, **examples):
    """Return the documented 400 of a route: what makes one, and examples of its body."""
    return {
        "400": _error(
            "A query or path parameter the API cannot use: unknown, repeated, malformed or out of range"
            + "".join(f"; {cause}" for cause in causes)
            + ". `parameter` names it, `detail` says why.",
            {"malformed": _MALFORMED, "unknown": _UNKNOWN, **examples},
        )
    }


_ERRORS = _bad_request()
_NOT_FOUND = {
    "404": _error(
        "No published object has this id.",
        {"not found": ("not found", "no published object has this id", "id")},
    )
}
_ID_ERRORS = _bad_request("an id that is not a uuid", not_a_uuid=("invalid parameter", "'12' is not a uuid", "id"))
_RETRY_AFTER = {
    "Retry-After": {"description": "Seconds to wait before trying again.", "schema": {"type": "integer", "minimum": 0}}
}
# Routes with a rate limit per IP address (SOCIALE_KAART_SEARCH_RATE_LIMIT) and routes that search.
_TOO_MANY = {
    "429": {
        **_json(_ref("Error"), "Too many requests from this address: wait Retry-After seconds."),
        "headers": _RETRY_AFTER,
    }
}
_UNAVAILABLE = {
    "503": {
        **_json(
            _ref("Error"),
            "The search or the database cannot answer for a while (not the "
            "caller's fault): try again after Retry-After seconds.",
        ),
        "headers": _RETRY_AFTER,
    }
}
_ID = {
    "name": "id",
    "in": "path",
    "required": True,
    "description": "The object's HSDS id (a uuid).",
    "schema": {"type": "string", "format": "uuid"},
}


def _list(summary, description, param_list, item, context, errors=_ERRORS, extra=None):
    page = _json(
        {
            "allOf": [
                _ref("Page"),
                {
                    "type": "object",
                    "required": ["contents"],
                    "properties": {"contents": {"type": "array", "items": _ref(item)}},
                },
            ]
        },
        summary + " (format=json, the default: one page).",
    )
    # OpenAPI 3.1 has no item schema for a stream (3.2's itemSchema): x-item-schema says what each line is.
    page["content"]["application/x-ndjson"] = {
        "schema": {"type": "string", "description": "format=ndjson: one JSON object per line, each a page item."},
        "x-item-schema": _ref(item),
    }
    return {
        "get": {
            "summary": summary,
            "description": description,
            "parameters": [_parameter(param, context) for param in param_list],
            "responses": {"200": page, **errors, **(extra or {})},
        }
    }


def _detail(summary, item, param_list=(), context=None, description=None):
    operation = {
        "summary": summary,
        "parameters": [_ID, *(_parameter(param, context) for param in param_list)],
        "responses": {"200": _json(_ref(item), summary), **_ID_ERRORS, **_NOT_FOUND},
    }
    if description:
        operation["description"] = description
    return {"get": operation}


# operationId of each route: HSDS 3.0's own (its openapi.json swaps the two of taxonomy_terms; not here).
OPERATIONS = {
    "/": "getAPIMetaInformation",
    "/services": "getPaginatedListOfServices",
    "/services/{id}": "getFullyNestedServiceById",
    "/service_at_locations": "getPaginatedListOfServiceAtLocation",
    "/service_at_locations/{id}": "getServiceAtLocationWithNestedDataById",
    "/organizations": "getPaginatedListOfOrganizations",
    "/organizations/{id}": "getOrganizationById",
    "/taxonomies": "getPaginatedListOfTaxonomies",
    "/taxonomies/{id}": "getTaxonomyById",
    "/taxonomy_terms": "getPaginatedListOfTaxonomyTerms",
    "/taxonomy_terms/{id}": "getTaxonomyTermById",
    "/export.zip": "getTabularDataPackage",
}


def _named(paths):
    """Give each operation its operationId, and each list a link to its items' own route (for clients and tools)."""
    for path, item in paths.items():
        route = path.removeprefix(PREFIX)
        item["get"]["operationId"] = OPERATIONS[route]
        if route + "/{id}" in OPERATIONS:
            item["get"]["responses"]["200"]["links"] = {
                "item": {
                    "operationId": OPERATIONS[route + "/{id}"],
                    "parameters": {"id": "$response.body#/contents/0/id"},
                    "description": "The first item of the page on its own route.",
                }
            }
    return paths


def _page_schema():
    integer = {"type": "integer", "minimum": 0}
    boolean = {"type": "boolean"}
    return {
        "type": "object",
        "required": ["total_items", "total_pages", "page_number", "size", "first_page", "last_page", "empty"],
        "properties": {
            "total_items": integer,
            "total_pages": integer,
            "page_number": integer,
            "size": integer,
            "first_page": boolean,
            "last_page": boolean,
            "empty": boolean,
        },
    }


def _error_schema():
    return {
        "type": "object",
        "description": "The body of every error answer (4xx, 5xx).",
        "required": ["error", "detail", "parameter"],
        "properties": {
            "error": {"type": "string", "description": "What went wrong, e.g. 'invalid parameter', 'not found'."},
            "detail": {"type": "string", "description": "Why, in English."},
            "parameter": {
                "type": ["string", "null"],
                "description": "The query or path parameter at fault, when there is one.",
            },
        },
    }


def spec(context, docs_url):
    """Return the OpenAPI document for the current taxonomies and areas."""
    root = {
        "type": "object",
        "required": ["version", "profile", "openapi_url"],
        "properties": {
            "version": {"type": "string"},
            "profile": {"type": "string", "format": "uri"},
            "openapi_url": {"type": "string", "format": "uri"},
        },
    }
    services_text = (
        "Published services, by name; best match first with `search`. Filters combine (all must "
        "match). Unknown taxonomy ids, areas or codes are a 400. `municipality` (a CBS code) gives only "
        "the services that serve one municipality of the region; without it, the whole region. `minimal`, "
        "`full` and `format` choose the shape: see each parameter."
    )
    unknown_codes = "an unknown taxonomy id, area, municipality or code"
    unknown_municipality = (
        "invalid parameter",
        "unknown municipality '0344': this installation serves …",
        "municipality",
    )
    return {
        "openapi": "3.1.0",
        "jsonSchemaDialect": "https://json-schema.org/draft/2020-12/schema",
        "info": {
            "title": "Sociale kaart: open data (HSDS 3.0)",
            "version": "1.0.0",
            "description": (
                "Read-only, open (no key) JSON API of the published directory in the shape of the Open "
                "Referral Human Services Data Specification 3.0. Dutch vocabularies (pyramid level, access "
                "route, cost, mode, respite type, accessibility) are HSDS taxonomies with stable ids, linked "
                f"to services and locations by attributes. Documentation: {docs_url}. "
                "Response schemas: Human Services Data Specification, an Open Referral resource "
                "(https://openreferral.org/), CC BY-SA 4.0."
            ),
        },
        "paths": _named(
            {
                f"{PREFIX}/": {
                    "get": {
                        "summary": "Version information",
                        "parameters": [],
                        "responses": {"200": _json(root, "HSDS version and links"), **_ERRORS},
                    }
                },
                f"{PREFIX}/services": _list(
                    "Services",
                    services_text,
                    params.SERVICES,
                    "service",
                    context,
                    _bad_request(
                        unknown_codes,
                        unknown_area=("invalid parameter", "unknown value 'atlantis'", "area"),
                        unknown_municipality=unknown_municipality,
                    ),
                    {**_TOO_MANY, **_UNAVAILABLE},
                ),
                f"{PREFIX}/services/{{id}}": _detail("A fully nested service", "service"),
                f"{PREFIX}/service_at_locations": _list(
                    "Services at locations",
                    "The web search's results, in its order: with `postcode` and `search` the best matches weighed by "
                    "distance, with `postcode` alone nearest first; with `proximity` (metres) "
                    "only within that distance. `proximity` needs `postcode` (OpenAPI cannot say that one parameter "
                    "needs another: without `postcode` it is a 400). A malformed postcode is a 400; a well-formed "
                    "one that does not exist (e.g. 1000) is a 404. Results are not limited to services whose "
                    "service_area holds the postcode, as HSDS suggests: our service areas are villages and "
                    "neighbourhoods, which `area` filters on. `full` and `full_service` give each item as "
                    "/service_at_locations/{id} does; `format` chooses the shape.",
                    params.SERVICE_AT_LOCATIONS,
                    "service_at_location",
                    context,
                    _bad_request(
                        unknown_codes,
                        "`proximity` without `postcode`",
                        proximity_without_postcode=("invalid parameter", "proximity needs a postcode", "proximity"),
                        unknown_municipality=unknown_municipality,
                    ),
                    {
                        "404": _error(
                            "The postcode is well formed but does not exist.",
                            {"unknown postcode": ("unknown postcode", "postcode 1000 not found", "postcode")},
                        ),
                        **_TOO_MANY,
                        **_UNAVAILABLE,
                    },
                ),
                f"{PREFIX}/service_at_locations/{{id}}": _detail(
                    "A fully nested service at a location",
                    "service_at_location",
                    description="The link of a published service and one of its locations: its location with address, "
                    "accessibility and attributes, and its service as /services/{id} gives it. (HSDS 3.0's "
                    "openapi.json names the service schema for this route, but describes a service_at_location.)",
                ),
                f"{PREFIX}/organizations": _list(
                    "Organisations",
                    "Organisations that have at least one published service, by name. `full` gives each as "
                    "/organizations/{id} does, `full_service` also with its services fully nested. With "
                    "`municipality`: only organisations with a service that serves it, and only those services "
                    "nested.",
                    params.ORGANIZATIONS,
                    "organization",
                    context,
                    _bad_request(
                        "an unknown municipality",
                        unknown_municipality=unknown_municipality,
                    ),
                    extra=_TOO_MANY,
                ),
                f"{PREFIX}/organizations/{{id}}": _detail(
                    "An organisation with its phones, locations and published services",
                    "organization",
                    params.ORGANIZATION,
                    context,
                ),
                f"{PREFIX}/taxonomies": _list(
                    "Taxonomies", "Every published taxonomy.", params.TAXONOMIES, "taxonomy", context
                ),
                f"{PREFIX}/taxonomies/{{id}}": _detail("A taxonomy", "taxonomy"),
                f"{PREFIX}/taxonomy_terms": _list(
                    "Taxonomy terms",
                    "Every published taxonomy term; `top_only` and `parent_id` follow the hierarchy (parent_id). "
                    "Only categories and target groups can have one: the other lists are flat.",
                    params.TAXONOMY_TERMS,
                    "taxonomy_term",
                    context,
                    _bad_request(
                        "an unknown `taxonomy_id` or `parent_id`",
                        unknown_parent=("invalid parameter", "unknown taxonomy term '…'", "parent_id"),
                    ),
                ),
                f"{PREFIX}/taxonomy_terms/{{id}}": _detail("A taxonomy term", "taxonomy_term"),
                f"{PREFIX}/export.zip": {
                    "get": {
                        "summary": "The published directory as an HSDS 3.0 tabular data package (zip of CSV files)",
                        "parameters": [],
                        "responses": {
                            "200": {
                                "description": "datapackage.json and one CSV file per HSDS table",
                                "content": {
                                    "application/zip": {
                                        "schema": {"type": "string", "contentMediaType": "application/zip"}
                                    }
                                },
                            },
                            **_ERRORS,
                            **_TOO_MANY,
                        },
                    }
                },
            }
        ),
        "components": {"schemas": {**hsds_components(), "Page": _page_schema(), "Error": _error_schema()}},
        "x-hsds-version": hsds.HSDS_VERSION,
    }
