"""The HSDS 3.0 JSON API under /api/hsds/ (open, no key, CORS *) and the /api page for people."""

import io

from flask import Blueprint, current_app, jsonify, render_template, request, send_file, url_for
from flask_babel import get_locale
from werkzeug.exceptions import HTTPException

from ..directory import hsds, hsds_io, open_data, search_log
from ..errors import NotFound, ValidationError
from ..extensions import limiter
from . import openapi, params, serializers

PREFIX = openapi.PREFIX
# Seconds a client is asked to wait when the search engine cannot answer.
SEARCH_RETRY_AFTER = 60
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


def _page(result, items):
    return jsonify(serializers.page(result, items))


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
    """Published services, paged and filtered."""
    values = params.parse(request.args, params.SERVICES)
    query = params.service_query(values)
    result = open_data.list_public_services(query, values["page"], values["per_page"])
    response = _page(result, [serializers.service_item(item) for item in result.items])
    search_log.record_api_search(query, result, str(get_locale() or "nl"))
    return response


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
    result = open_data.search_public_listings(
        query, postcode=values["postcode"] or "", radius_km=radius_km, page=values["page"], per_page=values["per_page"]
    )
    catalogue = open_data.catalogue()
    response = _page(result, [serializers.service_at_location_item(item, catalogue) for item in result.items])
    search_log.record_api_search(
        query, result, str(get_locale() or "nl"), postcode=values["postcode"] or "", radius_km=radius_km
    )
    return response


@bp.get("/organizations")
@limiter.limit(_limit)
def organizations():
    """Organisations with at least one published service."""
    values = params.parse(request.args, params.ORGANIZATIONS)
    result = open_data.list_public_organizations(
        values["search"], values["modified_after"], values["page"], values["per_page"]
    )
    return _page(result, [serializers.organization(item) for item in result.items])


@bp.get("/organizations/<organization_id>")
def organization(organization_id):
    """One organisation with its locations and published services."""
    params.parse(request.args, params.NONE)
    public = open_data.get_public_organization(params.parse_id(organization_id))
    return jsonify(serializers.organization_full(public, open_data.catalogue()))


@bp.get("/taxonomies")
def taxonomies():
    """The published taxonomies."""
    values = params.parse(request.args, params.TAXONOMIES)
    result = open_data.list_taxonomies(values["search"], values["page"], values["per_page"], values["modified_after"])
    return _page(result, [serializers.taxonomy(item) for item in result.items])


@bp.get("/taxonomies/<taxonomy_id>")
def taxonomy(taxonomy_id):
    """One taxonomy."""
    params.parse(request.args, params.NONE)
    return jsonify(serializers.taxonomy(open_data.get_taxonomy(params.parse_id(taxonomy_id))))


@bp.get("/taxonomy_terms")
def taxonomy_terms():
    """The published taxonomy terms."""
    values = params.parse(request.args, params.TAXONOMY_TERMS)
    result = open_data.list_taxonomy_terms(
        values["search"], values["taxonomy_id"], values["page"], values["per_page"], values["modified_after"]
    )
    catalogue = open_data.catalogue()
    return _page(result, [serializers.taxonomy_term(item, catalogue) for item in result.items])


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
