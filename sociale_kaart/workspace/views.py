"""Workspace pages under /werkplek: my organisations, edit forms, moderation queue, history, dashboard."""

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from ..accounts import permissions
from ..directory import editing, moderation, search_log, vocabularies
from ..errors import NotFound, ValidationError
from .forms import (
    ConfirmForm,
    DecisionForm,
    FindOrganizationForm,
    LocationForm,
    MembershipRequestForm,
    OrganizationForm,
    RegisterOrganizationForm,
    ResolveReportForm,
    ReturnForm,
    ServiceForm,
)

bp = Blueprint("workspace", __name__, url_prefix="/werkplek")


def _labels():
    return {"status_labels": editing.STATUS_LABELS, "kind_labels": editing.KIND_LABELS}


def _submitted_message(change):
    if change is None:
        return _("De wijziging is opgeslagen.")
    return _(
        "Uw wijziging staat ter controle. Een sociaal makelaar bekijkt haar; tot dan ziet iedereen de "
        "gepubliceerde versie."
    )


@bp.route("/")
def home():
    """The start of the workspace: my organisations and changes; for brokers the queue."""
    permissions.require_login(current_user)
    board = moderation.dashboard(current_user) if current_user.has_role("broker", "admin") else None
    return render_template(
        "workspace/home.html",
        organizations=editing.list_my_organizations(current_user),
        changes=editing.my_changes(current_user),
        memberships=editing.my_memberships(current_user),
        board=board,
        **_labels(),
    )


# --- joining and registering -----------------------------------------------------------------------


@bp.route("/organisaties/aanmelden", methods=["GET", "POST"])
def register_organization():
    """Register a new organisation; a broker approves it and its registrant as editor."""
    editing.require_confirmed(current_user)
    form = RegisterOrganizationForm()
    if form.validate_on_submit():
        try:
            organization = editing.register_organization(form.values(), by=current_user)
        except ValidationError as error:
            form.add_error(error.field, error.message)
        else:
            flash(_("Bedankt. Een sociaal makelaar bekijkt de aanmelding van %(name)s.", name=organization.name))
            return redirect(url_for("workspace.home"))
    return render_template("workspace/organization_form.html", form=form, organization=None, change=None)


@bp.route("/organisaties/lid-worden")
def find_organization():
    """Pick the organisation to join from a searchable list."""
    editing.require_confirmed(current_user)
    form = FindOrganizationForm(request.args)
    found = editing.find_organizations(form.q.data if form.validate() else "")
    return render_template("workspace/find_organization.html", form=form, organizations=found)


@bp.route("/organisaties/<int:organization_id>/lid-worden", methods=["GET", "POST"])
def join_organization(organization_id):
    """Ask to become an editor of an organisation."""
    editing.require_confirmed(current_user)
    organization = editing.get_organization(organization_id)
    form = MembershipRequestForm()
    if form.validate_on_submit():
        try:
            editing.request_membership(organization_id, form.message.data, by=current_user)
        except ValidationError as error:
            form.add_error(error.field, error.message)
        else:
            flash(_("Uw vraag is verstuurd. U krijgt een e-mail als een sociaal makelaar heeft beslist."))
            return redirect(url_for("workspace.home"))
    return render_template("workspace/join.html", form=form, organization=organization)


# --- organisations, services, locations ------------------------------------------------------------


@bp.route("/organisaties/<int:organization_id>")
def organization(organization_id):
    """An organisation with its services and locations and their review status."""
    overview = editing.organization_overview(organization_id, by=current_user)
    return render_template("workspace/organization.html", overview=overview, confirm=ConfirmForm(), **_labels())


@bp.route("/organisaties/<int:organization_id>/bewerken", methods=["GET", "POST"])
def edit_organization(organization_id):
    """Edit an organisation's public details."""
    organization, values, change = editing.organization_for_editing(organization_id, by=current_user)
    form = OrganizationForm(data=values)
    if form.validate_on_submit():
        try:
            change = editing.propose_organization_change(organization_id, form.values(), by=current_user)
        except ValidationError as error:
            form.add_error(error.field, error.message)
        else:
            flash(_submitted_message(change))
            return redirect(url_for("workspace.organization", organization_id=organization_id))
    return render_template("workspace/organization_form.html", form=form, organization=organization, change=change)


def _service_form(organization_id, values=None, service=None):
    return ServiceForm(
        data=ServiceForm.initial(values) if values else None,
        organization_id=organization_id,
        location_ids=editing.current_location_ids(service),
    )


def _listing_form(kind, form, organization, save, action, listing=None, change=None, created_message=None):
    """Save a service or location form and go back to its organisation, or show the form with its errors.

    save(values) stores the form's values and returns the change request (None when applied at once).
    """
    if form.validate_on_submit():
        try:
            change = save(form.values())
        except ValidationError as error:
            form.add_error(error.field, error.message)
        else:
            flash(created_message or _submitted_message(change))
            return redirect(url_for("workspace.organization", organization_id=organization.id))
    return render_template(
        f"workspace/{kind}_form.html",
        form=form,
        organization=organization,
        change=change,
        action=action,
        **{kind: listing},
    )


def _new_listing(kind, organization_id, make_form, create, created_message):
    """The page that adds a service or location: create(organization_id, values, by) stores it."""
    organization = editing.organization_for_new_listing(organization_id, by=current_user)
    return _listing_form(
        kind,
        make_form(),
        organization,
        lambda values: create(organization_id, values, by=current_user),
        url_for(f"workspace.new_{kind}", organization_id=organization_id),
        created_message=created_message,
    )


@bp.route("/organisaties/<int:organization_id>/aanbod/nieuw", methods=["GET", "POST"])
def new_service(organization_id):
    """Add a service; it is published when a broker approves it."""
    message = _("Het nieuwe aanbod staat ter controle. Het is zichtbaar zodra een sociaal makelaar het goedkeurt.")
    return _new_listing(
        "service", organization_id, lambda: _service_form(organization_id), editing.create_service, message
    )


@bp.route("/aanbod/<int:service_id>/bewerken", methods=["GET", "POST"])
def edit_service(service_id):
    """Edit a service; a published one keeps its public version until a broker approves."""
    service, values, change = editing.service_for_editing(service_id, by=current_user)
    return _listing_form(
        "service",
        _service_form(service.organization_id, values, service),
        service.organization,
        lambda values: editing.propose_service_change(service_id, values, by=current_user),
        url_for("workspace.edit_service", service_id=service_id),
        listing=service,
        change=change,
    )


@bp.route("/organisaties/<int:organization_id>/locaties/nieuw", methods=["GET", "POST"])
def new_location(organization_id):
    """Add a location to an organisation."""
    message = _("De locatie is toegevoegd. Kies haar bij het aanbod dat er wordt gegeven.")
    return _new_listing("location", organization_id, LocationForm, editing.create_location, message)


@bp.route("/locaties/<int:location_id>/bewerken", methods=["GET", "POST"])
def edit_location(location_id):
    """Edit a location; one where published services are given is reviewed first."""
    location, values, change = editing.location_for_editing(location_id, by=current_user)
    return _listing_form(
        "location",
        LocationForm(data=values),
        location.organization,
        lambda values: editing.propose_location_change(location_id, values, by=current_user),
        url_for("workspace.edit_location", location_id=location_id),
        listing=location,
        change=change,
    )


@bp.route("/aanbod/<int:service_id>/gecontroleerd", methods=["POST"])
def mark_checked(service_id):
    """Mark a listing as checked today ("gecontroleerd")."""
    from ..directory import freshness

    permissions.require_login(current_user)
    if ConfirmForm().validate_on_submit():
        service = freshness.mark_checked(service_id, by=current_user)
        flash(_("%(name)s is gemarkeerd als gecontroleerd.", name=service.name))
    else:
        service = editing.get_service(service_id)
    back = url_for("workspace.organization", organization_id=service.organization_id)
    if not editing.may_edit_organization(current_user, service.organization_id):
        back = url_for("workspace.dashboard")
    return redirect(back)


@bp.route("/wijzigingen/<int:change_id>/intrekken", methods=["POST"])
def withdraw(change_id):
    """Withdraw one's own pending proposal."""
    permissions.require_login(current_user)
    if ConfirmForm().validate_on_submit():
        try:
            editing.withdraw_change(change_id, by=current_user)
        except ValidationError as error:
            flash(error.message, "error")
        else:
            flash(_("Uw voorstel is ingetrokken."))
    return redirect(url_for("workspace.home"))


# --- moderation --------------------------------------------------------------------------------------


def _area_id(areas, code):
    return next((area.id for area in areas if area.code == code), None)


@bp.route("/controle")
def queue():
    """The review queue, optionally of one area."""
    code = request.args.get("gebied", "")[:64]
    full = moderation.moderation_queue(current_user)
    area_id = _area_id(full.areas, code) if code else None
    if code and area_id is None:
        raise NotFound(code)
    items = full if area_id is None else moderation.moderation_queue(current_user, area_id=area_id)
    return render_template(
        "workspace/queue.html", queue=items, areas=full.areas, area_code=code, confirm=ConfirmForm(), **_labels()
    )


@bp.route("/controle/<int:change_id>")
def change(change_id):
    """A change's diff with approve, edit-then-approve and return."""
    view = moderation.get_change(change_id, by=current_user)
    return render_template(
        "workspace/change.html", view=view, confirm=ConfirmForm(), return_form=ReturnForm(), **_labels()
    )


@bp.route("/controle/<int:change_id>/goedkeuren", methods=["POST"])
def approve(change_id):
    """Approve a change and publish it."""
    moderation.get_change(change_id, by=current_user)
    if ConfirmForm().validate_on_submit():
        if moderation.approve_change(change_id, by=current_user):
            flash(_("Goedgekeurd en gepubliceerd."))
        else:
            flash(_("Deze wijziging was al afgehandeld."))
    return redirect(url_for("workspace.queue"))


@bp.route("/controle/<int:change_id>/terugsturen", methods=["POST"])
def return_change(change_id):
    """Send a change back to its editor with a comment."""
    view = moderation.get_change(change_id, by=current_user)
    form = ReturnForm()
    if form.validate_on_submit():
        try:
            decided = moderation.return_change(change_id, form.comment.data, by=current_user)
        except ValidationError as error:
            form.add_error(error.field, error.message)
        else:
            flash(_("Teruggestuurd naar de redacteur.") if decided else _("Deze wijziging was al afgehandeld."))
            return redirect(url_for("workspace.queue"))
    return render_template("workspace/change.html", view=view, confirm=ConfirmForm(), return_form=form, **_labels())


@bp.route("/controle/<int:change_id>/aanpassen", methods=["GET", "POST"])
def edit_change(change_id):
    """Edit a proposal and approve it in one step."""
    view = moderation.get_change(change_id, by=current_user)
    change = view.change
    if change.status != "pending":
        flash(_("Deze wijziging was al afgehandeld."))
        return redirect(url_for("workspace.change", change_id=change_id))
    values = {**editing.snapshot(change.kind, view.target), **change.data}
    if change.kind == "service":
        form = _service_form(change.organization_id, values, view.target)
    elif change.kind == "organization":
        form = OrganizationForm(data=values)
    else:
        form = LocationForm(data=values)
    if form.validate_on_submit():
        try:
            decided = moderation.approve_change(change_id, by=current_user, edited_values=form.values())
        except ValidationError as error:
            form.add_error(error.field, error.message)
        else:
            flash(_("Aangepast, goedgekeurd en gepubliceerd.") if decided else _("Deze wijziging was al afgehandeld."))
            return redirect(url_for("workspace.queue"))
    template = {
        "service": "workspace/service_form.html",
        "organization": "workspace/organization_form.html",
        "location": "workspace/location_form.html",
    }[change.kind]
    return render_template(
        template,
        form=form,
        organization=change.organization,
        service=view.target,
        location=view.target,
        change=change,
        broker_edit=True,
        action=url_for("workspace.edit_change", change_id=change_id),
    )


@bp.route("/lidmaatschappen/<int:membership_id>", methods=["GET", "POST"])
def membership(membership_id):
    """Approve or refuse a request to join an organisation."""
    item = moderation.get_membership(membership_id, by=current_user)
    form = DecisionForm()
    if form.validate_on_submit():
        approve = request.form.get("besluit") == "goedkeuren"
        try:
            decided = moderation.decide_membership(membership_id, approve, form.note.data, by=current_user)
        except ValidationError as error:
            form.add_error(error.field, error.message)
        else:
            if not decided:
                flash(_("Deze aanvraag was al afgehandeld."))
            else:
                flash(
                    _("Goedgekeurd: %(name)s is nu redacteur.", name=item.user.name)
                    if approve
                    else _("De aanvraag is afgewezen.")
                )
            return redirect(url_for("workspace.queue"))
    return render_template("workspace/membership.html", membership=item, form=form)


@bp.route("/meldingen/<int:report_id>/afhandelen", methods=["POST"])
def resolve_report(report_id):
    """Close a resident's report with a note."""
    from ..directory import reports

    permissions.require_login(current_user)
    form = ResolveReportForm()
    if form.validate_on_submit():
        reports.resolve_report(report_id, by=current_user, note=(form.note.data or "").strip())
        flash(_("De melding is afgehandeld."))
    elif form.error_list:
        flash(" ".join(message for _field, message in form.error_list), "error")
    return redirect(url_for("workspace.queue"))


@bp.route("/geschiedenis/<kind>/<int:target_id>")
def history(kind, target_id):
    """Every change of a listing: who, when, which fields, old and new value."""
    page = moderation.history(kind, target_id, by=current_user)
    return render_template("workspace/history.html", page=page, **_labels())


@bp.route("/overzicht")
def dashboard():
    """Per area: pending changes, join requests, open reports, overdue listings, searches without results."""
    board = moderation.dashboard(current_user)
    unanswered = search_log.unanswered_searches(current_user)
    return render_template("workspace/dashboard.html", board=board, unanswered=unanswered, vocab=vocabularies)
