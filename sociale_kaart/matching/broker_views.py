"""Broker pages of the matching module under /werkplek/hulp (issue #4)."""
from flask import Blueprint

bp = Blueprint("broker", __name__, url_prefix="/werkplek/hulp")
