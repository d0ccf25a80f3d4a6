"""Workspace pages under /werkplek: my organisations, edit forms, moderation queue, history, dashboard."""
from flask import Blueprint, render_template
from flask_login import current_user

from ..accounts import permissions
from ..directory import editing

bp = Blueprint("workspace", __name__, url_prefix="/werkplek")


@bp.route("/")
def home():
    """The start of the workspace: my organisations and changes; for brokers the queue."""
    permissions.require_login(current_user)
    return render_template(
        "workspace/home.html",
        organizations=editing.list_my_organizations(current_user),
        changes=editing.my_changes(current_user),
        memberships=editing.my_memberships(current_user),
        status_labels=editing.STATUS_LABELS,
        kind_labels=editing.KIND_LABELS,
    )


@bp.route("/organisaties/<int:organization_id>")
def organization(organization_id):
    """An organisation with its services and locations and their review status."""
    overview = editing.organization_overview(organization_id, by=current_user)
    return render_template("workspace/organization.html", overview=overview,
                           status_labels=editing.STATUS_LABELS)
