"""Workspace pages under /werkplek: my organisations, edit forms, moderation queue, history, dashboard."""
from flask import Blueprint

bp = Blueprint("workspace", __name__, url_prefix="/werkplek")
