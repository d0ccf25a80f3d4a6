"""Admin pages under /beheer: invite users, assign roles, organisations and areas; outbox; area contacts;
the region's municipalities (issue #20)."""

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from .. import params
from ..accounts import permissions
from ..accounts import services as accounts
from ..accounts.forms import ConfirmForm
from ..directory import areas as directory_areas
from ..directory import municipalities
from ..directory.models import BRAND_COLOURS
from ..errors import NotFound, ValidationError
from .forms import (
    ROLE_LABELS,
    AccessForm,
    AreaContactForm,
    InviteForm,
    MunicipalityAddForm,
    MunicipalityAreaForm,
    MunicipalityForm,
    UserSearchForm,
)

bp = Blueprint("admin", __name__, url_prefix="/beheer")


@bp.app_template_filter("role_label")
def role_label(role):
    """Return the Dutch (translated) name of a role."""
    return str(ROLE_LABELS.get(role, role))


@bp.app_template_global()
def may_see_outbox(user):
    """Return accounts.may_see_outbox, for the admin's menu."""
    return accounts.may_see_outbox(user)


def _page_number():
    return params.parse_page(request.args.get("pagina", ""))


def _access_form(form_class, person=None, **kwargs):
    """The invite or access form with the choices the admin may give (and the account's own, shown as they are)."""
    form = form_class(**kwargs)
    own_organizations = person.organization_ids if person is not None else ()
    own_areas = person.area_ids if person is not None else ()
    # raises PermissionDenied for all but admins
    organizations = accounts.organization_choices(by=current_user, keep=own_organizations)
    own = current_user.municipality_code
    in_region = [
        (row.code, row.name)
        for row in (municipalities.municipality_rows() if municipalities.is_region() else ())
        if not own or row.code == own
    ]
    return form.set_choices(organizations, accounts.area_choices(by=current_user, keep=own_areas), in_region, own)


@bp.route("/")
def index():
    return redirect(url_for("admin.users"))


@bp.route("/gebruikers")
def users():
    form = UserSearchForm(request.args)
    criteria = form.criteria() if form.validate() else {}  # refused values filter nothing (issue #12)
    page = _page_number()
    rows, total = accounts.list_users(current_user, page=page, **criteria)
    return render_template(
        "admin/users.html", form=form, users=rows, total=total, page=page, per_page=accounts.USERS_PER_PAGE
    )


@bp.route("/gebruikers/uitnodigen", methods=["GET", "POST"])
def invite():
    form = _access_form(InviteForm)
    if form.validate_on_submit():
        try:
            user = accounts.invite_user(
                form.email.data,
                form.name.data,
                form.roles.data,
                form.organizations.data,
                form.areas.data,
                by=current_user,
                language=form.language.data,
                municipality_code=form.municipality_code(),
            )
        except ValidationError as error:
            form.add_error(error.field, error.message)
        else:
            flash(_("Uitnodiging verstuurd naar %(email)s.", email=user.email), "success")
            return redirect(url_for("admin.user", user_id=user.id))
    return render_template("admin/invite.html", form=form), (400 if request.method == "POST" else 200)


@bp.route("/gebruikers/<int:user_id>", methods=["GET", "POST"])
def user(user_id):
    person = accounts.get_user(user_id, by=current_user)
    form = _access_form(
        AccessForm,
        person,
        data=None
        if request.method == "POST"
        else {
            "roles": sorted(person.roles),
            "organizations": sorted(person.organization_ids),
            "areas": sorted(person.area_ids),
            "municipality": person.municipality_code or "",
        },
    )
    if form.validate_on_submit():
        try:
            accounts.update_user_access(
                person.id,
                form.roles.data,
                form.organizations.data,
                form.areas.data,
                by=current_user,
                municipality_code=form.municipality_code(),
            )
        except ValidationError as error:
            form.add_error(error.field, error.message)
        else:
            flash(_("De rollen, organisaties en gebieden zijn opgeslagen."), "success")
            return redirect(url_for("admin.user", user_id=person.id))
    return render_template("admin/user.html", person=person, form=form), (400 if request.method == "POST" else 200)


@bp.route("/gebruikers/<int:user_id>/status", methods=["POST"])
def user_status(user_id):
    active = request.form.get("active") == "1"
    form = ConfirmForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        person = accounts.set_user_active(user_id, active, by=current_user)
    except ValidationError as error:
        flash(error.message, "error")
    else:
        flash(
            _("Het account is weer actief.")
            if person.active
            else _("Het account is uitgezet. Deze persoon is overal uitgelogd."),
            "success",
        )
    return redirect(url_for("admin.user", user_id=user_id))


@bp.route("/e-mail")
def outbox():
    """The e-mail outbox: for the admins of the whole installation (accounts.may_see_outbox, issue #20)."""
    status = request.args.get("status", "")
    messages, counts = accounts.list_outbox(current_user, status=status)
    return render_template("admin/outbox.html", messages=messages, counts=counts, status=status)


@bp.route("/e-mail/<int:message_id>/opnieuw", methods=["POST"])
def retry(message_id):
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        accounts.retry_outbox_message(message_id, by=current_user)
    except NotFound:
        flash(_("Dit bericht kan niet opnieuw worden verstuurd."), "error")
    else:
        flash(_("Het bericht staat weer in de wachtrij."), "success")
    return redirect(url_for("admin.outbox"))


@bp.route("/gebieden")
def areas():
    """The areas (dorpen, kernen, wijken) with their dorpsteam contact (issue #11)."""
    return render_template("admin/areas.html", areas=directory_areas.list_areas(by=current_user))


@bp.route("/gebieden/<int:area_id>", methods=["GET", "POST"])
def area(area_id):
    """Edit the contact of one area's dorpsteam."""
    place = directory_areas.get_area(area_id, by=current_user)
    form = AreaContactForm(obj=place)
    if form.validate_on_submit():
        try:
            directory_areas.update_area_contact(place.id, form.values(), by=current_user)
        except ValidationError as error:
            form.add_error(error.field, error.message)
        else:
            flash(_("Het contact van %(name)s is opgeslagen.", name=place.name), "success")
            return redirect(url_for("admin.areas"), code=303)
    return render_template("admin/area.html", area=place, form=form), (400 if request.method == "POST" else 200)


# --- the region's municipalities (issue #20) -------------------------------------------------


@bp.route("/gemeenten")
def municipalities_list():
    """The municipalities of the installation with their address and number of areas."""
    rows = municipalities.list_municipalities(by=current_user)
    area_counts = {row.code: len(municipalities.area_ids_of(row.code)) for row in rows}
    return render_template("admin/municipalities.html", municipalities=rows, area_counts=area_counts)


@bp.route("/gemeenten/toevoegen", methods=["GET", "POST"])
def municipality_add():
    """Add a municipality by its CBS code; its kernen come from the gazetteer. Then its settings page."""
    permissions.require_admin(current_user)  # admins only, also for the empty form
    form = MunicipalityAddForm()
    if form.validate_on_submit():
        try:
            municipality, areas = municipalities.add_municipality(form.code.data, by=current_user)
        except ValidationError as error:
            form.add_error(error.field, error.message)
        else:
            flash(_added_message(municipality.name, areas), "success")
            return redirect(url_for("admin.municipality", code=municipality.code), code=303)
    return render_template("admin/municipality_add.html", form=form), (400 if request.method == "POST" else 200)


def _added_message(name, areas):
    kernen = ", ".join(
        f"{area.name} ({', '.join(area.postcodes or [])})" for area in sorted(areas, key=lambda area: area.name)
    )
    if kernen:
        return _("%(name)s is toegevoegd. Deze kernen zijn gemaakt: %(kernen)s.", name=name, kernen=kernen)
    return _(
        "%(name)s is toegevoegd. Er zijn geen kernen gemaakt: de postcodes van deze gemeente horen al bij een gebied.",
        name=name,
    )


@bp.route("/gemeenten/<code>", methods=["GET", "POST"])
def municipality(code):
    """Edit a municipality's name shown, colour, cross-border matching and contact."""
    place = municipalities.get_municipality(params.parse_municipality_code(code), by=current_user)
    form = MunicipalityForm(obj=place)
    if form.validate_on_submit():
        try:
            municipalities.update_municipality(place.code, form.values(), by=current_user)
        except ValidationError as error:
            form.add_error(error.field, error.message)
        else:
            flash(_("De instellingen van %(name)s zijn opgeslagen.", name=place.name), "success")
            return redirect(url_for("admin.municipalities_list"), code=303)
    return render_template(
        "admin/municipality.html",
        municipality=place,
        form=form,
        labels=municipalities.BRAND_LABELS,
        brand_colours=BRAND_COLOURS,
    ), (400 if request.method == "POST" else 200)


# --- which villages a municipality covers (issue #20) ----------------------------------------


@bp.route("/gemeenten/<code>/gebieden", methods=["GET", "POST"])
def municipality_areas(code):
    """A municipality's areas (kernen, dorpen, wijken) with their postcodes; add one."""
    place, rows = municipalities.municipality_areas(params.parse_municipality_code(code), by=current_user)
    form = MunicipalityAreaForm()
    if form.validate_on_submit():
        try:
            area = municipalities.add_area(place.code, form.values(), by=current_user)
        except ValidationError as error:
            form.add_error(error.field, error.message)
        else:
            flash(_("Het gebied %(name)s is toegevoegd.", name=area.name), "success")
            return redirect(url_for("admin.municipality_areas", code=place.code), code=303)
    return render_template(
        "admin/municipality_areas.html", municipality=place, rows=rows, form=form, kinds=municipalities.AREA_KINDS
    ), (400 if request.method == "POST" else 200)


@bp.route("/gemeenten/<code>/gebieden/<int:area_id>", methods=["GET", "POST"])
def municipality_area(code, area_id):
    """Edit an area's name, kind and postcodes."""
    place, area = municipalities.get_municipality_area(params.parse_municipality_code(code), area_id, by=current_user)
    form = MunicipalityAreaForm(
        data=None
        if request.method == "POST"
        else {"name": area.name, "kind": area.kind, "postcodes": ", ".join(area.postcodes or ())}
    )
    if form.validate_on_submit():
        try:
            municipalities.update_area(place.code, area.id, form.values(), by=current_user)
        except ValidationError as error:
            form.add_error(error.field, error.message)
        else:
            flash(_("Het gebied %(name)s is opgeslagen.", name=area.name), "success")
            return redirect(url_for("admin.municipality_areas", code=place.code), code=303)
    return render_template("admin/municipality_area.html", municipality=place, area=area, form=form), (
        400 if request.method == "POST" else 200
    )
