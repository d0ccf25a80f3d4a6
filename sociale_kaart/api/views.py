"""The HSDS 3.0 JSON API under /api/hsds/ (open, no key, CORS *) and the /api page for people."""

import io
import json

from flask import (
    Blueprint,
    Response,
    current_app,
    jsonify,
    render_template,
    request,
    send_file,
    stream_with_context,
    url_for,
)
from flask_babel import get_locale
from werkzeug.exceptions import HTTPException

from ..directory import cache, hsds, hsds_io, open_data, search_log
from ..errors import NotFound, ValidationError
from ..extensions import limiter
from . import openapi, params, serializers

PREFIX = openapi.PREFIX
# Seconds a client is asked to wait when the search engine cannot answer.
SEARCH_RETRY_AFTER = 60
# Items fetched at a time while format=ndjson streams a whole list.
NDJSON_CHUNK = 250
NDJSON = "application/x-ndjson"
bp = Blueprint("api", __name__, url_prefix=PREFIX)
# The /api documentation page is HTML with the site's error pages, so it has its own blueprint.
docs_bp = Blueprint("api_docs", __name__)


def _limit():
    return current_app.config["SEARCH_RATE_LIMIT"]


def _error(status, error, detail, parameter=None, headers=None):
    response = jsonify(error=error, detail=detail, parameter=parameter)
    response.status_code = status
    for name, value in (headers or {}).items():
        response.headers[name] = value
    response.headers["Access-Control-Allow-Origin"] = "*"
    return response


@bp.errorhandler(params.ParameterError)
def _bad_parameter(error):
    return _error(400, error.error, error.detail, error.parameter)


@bp.errorhandler(ValidationError)
def _invalid(error):
    return _error(400, "invalid parameter", error.message, error.field)


@bp.errorhandler(open_data.UnknownPostcode)
def _unknown_postcode(error):
    return _error(404, "unknown postcode", error.message, "postcode")


@bp.errorhandler(open_data.SearchUnavailable)
def _search_unavailable(error):
    return _error(503, "search unavailable", str(error), headers={"Retry-After": str(SEARCH_RETRY_AFTER)})


@bp.errorhandler(NotFound)
def _not_found(error):
    return _error(404, "not found", "no published object has this id", "id")


def _http_error(error):
    headers = {name: value for name, value in error.get_headers() if name in ("Allow", "Retry-After")}
    return _error(error.code or 500, error.name.lower(), error.description or error.name, headers=headers)


# The site's HTML pages are registered for these codes on the app, and Flask prefers a handler
# registered for the code over one for the class, so the API registers the codes too.
bp.register_error_handler(HTTPException, _http_error)
for _code in (400, 404, 405, 429, 500, 503):
    bp.register_error_handler(_code, _http_error)


@bp.before_app_request
def _routing_errors():
    """Answer unknown URLs and methods under /api/hsds/ in JSON (routing fails before any view)."""
    error = request.routing_exception
    if error is not None and request.path.startswith(PREFIX + "/") and isinstance(error, HTTPException):
        return _http_error(error)
    return None


@bp.after_request
def _open_to_all(response):
    response.headers["Access-Control-Allow-Origin"] = "*"
    return response


def _listing(values, fetch, shape, everything=False):
    """Answer a list route: one HSDS Page, or with format=ndjson every result, one item per line.

    fetch(page, per_page) returns an open_data.Page and shape(items) their JSON objects. The first
    chunk of a stream is fetched and shaped before anything is sent, so a bad filter or an unreadable
    search index still gets its 400, 404 or 503 (and the database session, which ends with the view,
    is not needed for it); page and per_page do not apply to a stream.
    """
    if values["format"] == "ndjson":
        first = fetch(1, NDJSON_CHUNK)
        lines = _lines(shape(first.items), first, fetch, shape)
        return first, Response(stream_with_context(lines), mimetype=NDJSON)
    result = fetch(values["page"], params.per_page(values, everything))
    return result, _page_response(result, shape(result.items))


class JsonText(str):
    """An item of a list already written as JSON by json_text (the services' list keeps its items so, #17)."""


def json_text(item) -> JsonText:
    """Return an item of a list as JSON: compact, keys sorted, in UTF-8 (as a page of the list and each line of
    its NDJSON write it); an item kept as text already is returned as it is."""
    if isinstance(item, JsonText):
        return item
    return JsonText(json.dumps(item, ensure_ascii=False, separators=(",", ":"), sort_keys=True))


def _page_response(result, items: list) -> Response:
    """Return an HSDS Page of items (objects, or JsonText kept as written) with its keys sorted, so `contents`
    first: kept texts go into it as they are (jsonify encoded them again, 0.1 ms of a page of 20 services)."""
    envelope = serializers.page(result, items)
    texts = ",".join(map(json_text, envelope.pop("contents")))
    body = f'{{"contents":[{texts}],{json_text(envelope)[1:]}\n'
    return current_app.response_class(body, mimetype="application/json")


def _lines(items, result, fetch, shape):
    while True:
        for item in items:
            yield json_text(item) + "\n"
        if result.page >= result.pages:
            return
        result = fetch(result.page + 1, NDJSON_CHUNK)
        items = shape(result.items)


@bp.get("/")
def root():
    """Version information."""
    params.parse(request.args, params.NONE)
    return jsonify(
        version=hsds.HSDS_VERSION,
        profile=url_for("api_docs.docs", _external=True),
        openapi_url=url_for(".spec", _external=True),
    )


@bp.get("/openapi.json")
def spec():
    """The OpenAPI description of this API."""
    params.parse(request.args, params.NONE)
    return jsonify(openapi.spec(params.spec_context(), url_for("api_docs.docs", _external=True)))


@bp.get("/services")
@limiter.limit(_limit)
def services():
    """Published services, paged and filtered: minimal, list form or fully nested."""
    values = params.parse(request.args, params.SERVICES)
    query = params.service_query(values)
    detail = open_data.MINIMAL if values["minimal"] else open_data.FULL if values["full"] else open_data.LISTED
    result, response = _listing(
        values,
        lambda page, per_page: open_data.public_service_ids(query, page, per_page),
        lambda ids: service_items(ids, detail),
        everything=values["minimal"],
    )
    search_log.record_api_search(query, result, str(get_locale() or "nl"))
    return response


# services kept a shape and process, as JSON text: measured 0.7 KB a listed service, 7.4 KB a fully nested one
# (about 15 MB each)
MAX_KEPT_ITEMS = {open_data.MINIMAL: 20_000, open_data.LISTED: 20_000, open_data.FULL: 2_000}


def service_items(ids: list[int], detail: str) -> list[JsonText]:
    """Return the JSON texts of some services in the shape `detail` says, each made once per directory version
    and kept in this process (issue #17): a list page loads and shapes only the services not kept yet. An object
    is the same for every caller (no language, no URL of the request), so its text is too."""
    kept: dict[int, JsonText] = cache.kept(f"hsds-services:{detail}", dict)
    missing = [service_id for service_id in ids if service_id not in kept]
    if missing:
        if len(kept) + len(missing) > MAX_KEPT_ITEMS[detail]:
            kept.clear()
        loaded = open_data.public_services_by_id(missing, detail)
        shaped = serializers.services(loaded, detail, open_data.catalogue())
        kept.update(zip((item.id for item in loaded), map(json_text, shaped), strict=True))
    return [kept[service_id] for service_id in ids if service_id in kept]


@bp.get("/services/<service_id>")
def service(service_id):
    """One service, fully nested."""
    params.parse(request.args, params.NONE)
    item = open_data.get_public_service(params.parse_id(service_id))
    return jsonify(serializers.service(item, open_data.catalogue()))


@bp.get("/service_at_locations")
@limiter.limit(_limit)
def service_at_locations():
    """The web search's listings: near a postcode, within a proximity in metres."""
    values = params.parse(request.args, params.SERVICE_AT_LOCATIONS)
    radius_km = params.proximity_km(values)
    query = params.service_query(values)
    full = values["full"] or values["full_service"]

    def shape(listings):
        catalogue = open_data.catalogue()
        loaded = open_data.full_services([listing.service.id for listing in listings]) if full else {}
        return [
            serializers.service_at_location(listing.link, catalogue, loaded.get(listing.service.id))
            for listing in listings
        ]

    result, response = _listing(
        values,
        lambda page, per_page: open_data.search_public_listings(
            query, postcode=values["postcode"] or "", radius_km=radius_km, page=page, per_page=per_page
        ),
        shape,
    )
    search_log.record_api_search(
        query, result, str(get_locale() or "nl"), postcode=values["postcode"] or "", radius_km=radius_km
    )
    return response


@bp.get("/service_at_locations/<link_id>")
def service_at_location(link_id):
    """One service at a location: its location and its service, fully nested."""
    params.parse(request.args, params.NONE)
    link, service = open_data.get_public_listing(params.parse_id(link_id))
    return jsonify(serializers.service_at_location(link, open_data.catalogue(), service))


@bp.get("/organizations")
@limiter.limit(_limit)
def organizations():
    """Organisations with at least one published service: their own fields, or fully nested."""
    values = params.parse(request.args, params.ORGANIZATIONS)
    full_services = values["full_service"]
    nested = open_data.FULL if full_services else open_data.LISTED if values["full"] else None

    def shape(items):
        if nested is None:
            return [serializers.organization(item) for item in items]
        catalogue = open_data.catalogue()
        return [serializers.organization_full(item, catalogue, full_services) for item in items]

    _result, response = _listing(
        values,
        lambda page, per_page: open_data.list_public_organizations(
            values["search"], values["modified_after"], page, per_page, nested, values["municipality"]
        ),
        shape,
    )
    return response


@bp.get("/organizations/<organization_id>")
def organization(organization_id):
    """One organisation with its locations and published services (fully nested with full_service)."""
    values = params.parse(request.args, params.ORGANIZATION)
    detail = open_data.FULL if values["full_service"] else open_data.LISTED
    public = open_data.get_public_organization(params.parse_id(organization_id), detail)
    return jsonify(serializers.organization_full(public, open_data.catalogue(), values["full_service"]))


@bp.get("/taxonomies")
def taxonomies():
    """The published taxonomies."""
    values = params.parse(request.args, params.TAXONOMIES)
    _result, response = _listing(
        values,
        lambda page, per_page: open_data.list_taxonomies(values["search"], page, per_page, values["modified_after"]),
        lambda items: [serializers.taxonomy(item) for item in items],
    )
    return response


@bp.get("/taxonomies/<taxonomy_id>")
def taxonomy(taxonomy_id):
    """One taxonomy."""
    params.parse(request.args, params.NONE)
    return jsonify(serializers.taxonomy(open_data.get_taxonomy(params.parse_id(taxonomy_id))))


@bp.get("/taxonomy_terms")
def taxonomy_terms():
    """The published taxonomy terms."""
    values = params.parse(request.args, params.TAXONOMY_TERMS)
    _result, response = _listing(
        values,
        lambda page, per_page: open_data.list_taxonomy_terms(
            values["search"],
            values["taxonomy_id"],
            page,
            per_page,
            values["modified_after"],
            parent_id=values["parent_id"],
            top_only=values["top_only"],
        ),
        lambda items: [serializers.taxonomy_term(item, open_data.catalogue()) for item in items],
    )
    return response


@bp.get("/taxonomy_terms/<term_id>")
def taxonomy_term(term_id):
    """One taxonomy term."""
    params.parse(request.args, params.NONE)
    term = open_data.get_taxonomy_term(params.parse_id(term_id))
    return jsonify(serializers.taxonomy_term(term, open_data.catalogue()))


@bp.get("/export.zip")
@limiter.limit(_limit)
def export_zip():
    """The published directory as an HSDS tabular data package."""
    params.parse(request.args, params.NONE)
    data = hsds_io.package_zip()
    return send_file(
        io.BytesIO(data), mimetype="application/zip", as_attachment=True, download_name="sociale-kaart-hsds.zip"
    )


@docs_bp.route("/api")
def docs():
    """The API explained for people, with examples."""
    return render_template("api/index.html", base=url_for("api.root", _external=True).rstrip("/"))
