"""`/healthz` for the load balancer and the container's HEALTHCHECK (issue #16)."""

from flask import Blueprint, jsonify

from ..extensions import limiter
from . import health

bp = Blueprint("ops", __name__)


@bp.route("/healthz")
@limiter.exempt
def healthz():
    """200 with the report when the database and search work, else 503; never cached, no cookie."""
    healthy, report = health.report()
    response = jsonify(report)
    response.status_code = 200 if healthy else 503
    response.headers["Cache-Control"] = "no-store"
    return response
