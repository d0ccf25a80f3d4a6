"""Admin pages under /beheer: invite users, assign roles, organisations and areas; outbox."""
from flask import Blueprint

bp = Blueprint("admin", __name__, url_prefix="/beheer")
