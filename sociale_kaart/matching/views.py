"""Public and volunteer pages of the matching module (issue #4)."""
from flask import Blueprint

bp = Blueprint("matching", __name__)
