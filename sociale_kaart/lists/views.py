"""Pages of the lists (issue #19): "Mijn lijstje", its short link, the broker's list for a caller,
and the wegwijzer per village. Everything works without JavaScript: every change is a form.

Thin views: services check permissions and commit. Without an account the list lives in the
session (service ids only); the typed e-mail address is never put in the session, a flash or a log.
"""

from flask import (
    Blueprint,
    current_app,
    flash,
    has_request_context,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user
from markupsafe import Markup, escape
from sqlalchemy.exc import SQLAlchemyError

from .. import params
from ..directory import vocabularies
from ..errors import NotFound, ValidationError
from ..extensions import limiter
from ..urls import safe_next
from . import booklet, services
from .forms import ACTIONS, CallerForm, ConfirmForm, MailForm, ServiceForm

bp = Blueprint("lists", __name__)


def _user():
    return current_user._get_current_object() if current_user.is_authenticated else None


def _language():
    return str(get_locale() or "nl")


def _back_to_list(anchor=None):
    return redirect(url_for("lists.show", _anchor=anchor), code=303)


# --- what every page may ask: is a service on my list? ----------------------------------------------


LIST_IDS = "sociale_kaart.list_ids"  # where a request keeps the ids it read


def _my_ids() -> list[int]:
    """Return the ids on the visitor's list, read once per request (a database error reads as none)."""
    if not has_request_context():
        return []
    if LIST_IDS not in request.environ:
        try:
            request.environ[LIST_IDS] = services.list_ids(_user(), session)
        except SQLAlchemyError:  # an error page must still render
            request.environ[LIST_IDS] = []
    return request.environ[LIST_IDS]


@bp.app_template_global()
def on_my_list(service_id) -> bool:
    """Return True when a service is on the visitor's list (the "Zet op mijn lijstje" button)."""
    return service_id in _my_ids()


@bp.app_template_global()
def list_return() -> Markup:
    """Return the `terug=…` of a "Zet op mijn lijstje" link on this page (escaped for HTML): back here after it."""
    url = url_for("lists.add", terug=request.full_path.rstrip("?"))
    return escape(url[url.index("?") + 1 :])


@bp.app_template_global()
def my_list_count() -> int:
    """Return how many services are on the visitor's list (the menu's "Mijn lijstje")."""
    return len(_my_ids())


# --- Mijn lijstje -------------------------------------------------------------------------------------


def _list_page(mail_form, status=200):
    page = services.list_page(_user(), session)
    return render_template(
        "lists/show.html",
        page=page,
        mail_form=mail_form,
        confirm=ConfirmForm(formdata=None),
        vocab=vocabularies,
        share_days=services.SHARE_DAYS,
    ), status


@bp.route("/lijstje")
def show():
    """The list in large print: reorder, remove, and hand it over (print, e-mail, short link)."""
    return _list_page(MailForm(formdata=None))


@bp.route("/lijstje/toevoegen", methods=["GET", "POST"])
def add():
    """Put a service on the list and go back to the page the button was on (GET: the page with the button)."""
    if request.method == "GET":
        service = services.public_service(params.parse_id(request.args.get("aanbod", "")))
        back = safe_next(request.args.get("terug")) or url_for("lists.show")
        return render_template("lists/add.html", service=service, back=back)
    form = ServiceForm()
    back = safe_next(form.next.data) or url_for("lists.show")
    if not form.validate():
        flash(_("Dat lukte niet. Probeer het opnieuw."), "error")
        return redirect(back, code=303)
    try:
        service = services.add_service(form.service(), _user(), session)
    except NotFound:
        flash(_("Deze voorziening is niet (meer) te vinden."), "error")
        return redirect(back, code=303)
    except ValidationError as error:
        flash(error.message, "error")
        return redirect(back, code=303)
    flash(_("‘%(name)s’ staat op uw lijstje.", name=service.name), "success")
    return redirect(f"{back.partition('#')[0]}#lijstje-{service.id}", code=303)


@bp.route("/lijstje/wijzigen", methods=["POST"])
def change():
    """Move a service up or down the list, or take it off."""
    form = ServiceForm()
    action = ACTIONS.get(form.actie.data or "")
    service_id = form.service()
    if not form.validate() or action is None or service_id is None:
        flash(_("Dat lukte niet. Probeer het opnieuw."), "error")
        return _back_to_list()
    try:
        if action == "remove":
            services.remove_service(service_id, _user(), session)
        else:
            services.move_service(service_id, action, _user(), session)
    except ValidationError as error:
        flash(error.message, "error")
        return _back_to_list()
    if action == "remove":
        flash(_("De voorziening is van uw lijstje gehaald."), "success")
        return _back_to_list()
    return _back_to_list(f"item-{service_id}")


@bp.route("/lijstje/leegmaken", methods=["POST"])
def clear():
    """Empty the list and start again."""
    if ConfirmForm().validate():
        services.clear_list(_user(), session)
        flash(_("Uw lijstje is leeg. U kunt opnieuw beginnen."), "success")
    return _back_to_list()


def _form_limit():
    return current_app.config["FORM_RATE_LIMIT"]


@bp.route("/lijstje/mailen", methods=["POST"])
@limiter.limit(_form_limit, methods=["POST"])
def mail():
    """E-mail the list to a typed address; the address is used for this e-mail only."""
    form = MailForm()
    if form.validate():
        try:
            services.send_list(form.email.data, _user(), session, _language())
        except ValidationError as error:
            form.add_error(error.field, error.message)
        else:
            flash(_("Het lijstje is verstuurd. Het e-mailadres bewaren we niet."), "success")
            return _back_to_list()
    return _list_page(form, 400)


@bp.errorhandler(429)
def _too_many(error):
    if request.endpoint != "lists.mail":
        return render_template("errors/429.html"), 429
    form = MailForm()
    form.form_errors.append(
        _("U heeft net al een paar keer een lijstje gemaild. Wacht een paar minuten en probeer het dan opnieuw.")
    )
    return _list_page(form, 429)


@bp.route("/lijstje/delen", methods=["POST"])
def share():
    """Make a short link to a read-only copy of the list and open it."""
    if not ConfirmForm().validate():
        flash(_("Dat lukte niet. Probeer het opnieuw."), "error")
        return _back_to_list()
    try:
        shared = services.share_list(_user(), session)
    except ValidationError as error:
        flash(error.message, "error")
        return _back_to_list()
    flash(_("De korte link is gemaakt. Stuur het adres van deze pagina door, of kopieer het hieronder."), "success")
    return redirect(url_for("lists.shared", token=shared.token), code=303)


@bp.route("/l/<token>")
def shared(token):
    """A shared list, read-only, until its short link expires."""
    try:
        page = services.get_shared_list(token)
    except NotFound:
        return render_template("lists/link_invalid.html", share_days=services.SHARE_DAYS), 404
    link = url_for("lists.shared", token=token, _external=True)
    return render_template("lists/shared.html", page=page, link=link, vocab=vocabularies)


# --- a broker's list for a caller -------------------------------------------------------------------


@bp.route("/lijstje/beller")
def caller():
    """A broker starts a list for someone on the phone (from the intake or a help request)."""
    page = services.caller_page(params.parse_id(request.args.get("hulpvraag", "")), by=_user())
    form = CallerForm(formdata=None, data={"request_id": str(page.request_id or "")})
    return render_template("lists/caller.html", page=page, form=form)


@bp.route("/lijstje/beller/beginnen", methods=["POST"])
def start_caller():
    """Start (or keep) the broker's list for the caller and go and search."""
    form = CallerForm()
    if not form.validate() or form.has_odd_request():
        flash(_("Dat lukte niet. Probeer het opnieuw."), "error")
        return redirect(url_for("lists.caller"), code=303)
    keep = request.form.get("houden") == "ja"
    services.start_for_caller(form.request(), keep, by=_user())
    flash(_("Zoek nu voor de beller en kies bij elke voorziening ‘Zet op mijn lijstje’."), "success")
    return redirect(url_for("lists.show") if keep else url_for("directory.search"), code=303)


@bp.route("/lijstje/afgedrukt", methods=["POST"])
def printed():
    """Note in the caller's help request that the list was printed (a broker)."""
    if ConfirmForm().validate():
        try:
            services.note_printed(_user(), session)
        except ValidationError as error:
            flash(error.message, "error")
        else:
            flash(_("In de geschiedenis van de hulpvraag staat nu dat het lijstje is afgedrukt."), "success")
    return _back_to_list()


# --- the wegwijzer per village ------------------------------------------------------------------------


@bp.route("/wegwijzer")
def booklets():
    """The villages, each with its printable wegwijzer."""
    return render_template("lists/booklets.html", areas=booklet.booklet_areas())


@bp.route("/wegwijzer/<village>")
def booklet_page(village):
    """A village's free and low-threshold services by life situation, to print and hand out."""
    return render_template("lists/booklet.html", booklet=booklet.wegwijzer(village), vocab=vocabularies)
