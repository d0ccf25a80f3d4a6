"""Pages of early signalling (issue #15).

`bp`: "Zorgen over iemand?" at /zorgen-over-iemand (no account needed) and a reporter's own
signals. Nothing typed is lost: a form with an error, an expired form (CSRF) and a form over
the rate limit all come back filled in. `team_bp`: the village team's queue under
/werkplek/zorgen. Thin views: services check permissions, log views and commit.
"""

from flask import Blueprint, current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user, login_required
from flask_wtf.csrf import CSRFError

from ..errors import ValidationError
from ..extensions import limiter
from . import services, vocabularies
from .forms import MUNICIPALITY_CHOICE, NoteForm, SignalForm, StatusForm

bp = Blueprint("signals", __name__)
team_bp = Blueprint("signal_team", __name__, url_prefix="/werkplek/zorgen")


def _user():
    return current_user._get_current_object() if current_user.is_authenticated else None


def _language():
    return str(get_locale() or "nl")


@bp.app_context_processor
def _labels():
    return {"signal_vocab": vocabularies}


# --- "Zorgen over iemand?" ---------------------------------------------------------------------------


def _form_limit():
    return current_app.config["FORM_RATE_LIMIT"]


def _report_page(form, status=200):
    return render_template("signals/report.html", form=form), status


@bp.route("/zorgen-over-iemand", methods=["GET", "POST"])
@limiter.limit(_form_limit, methods=["POST"])
def report():
    """The public form: what you noticed, about whom, how to reach you; no account, anonymous allowed."""
    form = SignalForm(areas=services.area_choices(), municipalities=services.municipality_choices())
    if request.method == "GET":
        area = services.area_by_code(request.args.get("dorp"))
        code = services.municipality_of_slug(request.args.get("gemeente"))
        if area is not None:
            form.area_id.data = str(area.id)
        elif code is not None:
            form.area_id.data = MUNICIPALITY_CHOICE + code  # from a municipality's pages (issue #20)
        if current_user.is_authenticated:
            form.reporter_name.data = current_user.name
            form.reporter_email.data = current_user.email
        return _report_page(form)
    if form.validate():
        if form.is_spam():  # a bot filled the hidden field: pretend all went well
            return redirect(url_for("signals.sent"), code=303)
        try:
            signal = services.submit_signal(form.values(), by=_user(), language=_language())
        except ValidationError as error:
            form.add_error(error.field, error.message)
        else:
            session["signal_sent"] = {"receipt": bool(signal.reporter_email)}
            return redirect(url_for("signals.sent"), code=303)
    return _report_page(form, 400)


def _form_again(message, status):
    """Show the form again with what was typed and a message on top (expired form, too many at once)."""
    form = SignalForm(request.form, areas=services.area_choices(), municipalities=services.municipality_choices())
    form.form_errors.append(message)
    return _report_page(form, status)


@bp.errorhandler(CSRFError)
def _expired(error):
    if request.endpoint != "signals.report":
        return render_template("errors/400.html", reason=_("Het formulier is verlopen. Probeer het opnieuw.")), 400
    return _form_again(
        _("Het formulier is verlopen. Wat u typte staat er nog. Kijk het na en verstuur het opnieuw."), 400
    )


@bp.errorhandler(429)
def _too_many(error):
    if request.endpoint != "signals.report" or request.method != "POST":
        return render_template("errors/429.html"), 429
    return _form_again(
        _(
            "U heeft net al een paar meldingen verstuurd. Wacht een paar minuten en verstuur dan "
            "opnieuw. Wat u typte staat er nog."
        ),
        429,
    )


@bp.route("/zorgen-over-iemand/verstuurd")
def sent():
    """What happens next, after a signal."""
    sent_info = session.get("signal_sent") or {}
    return render_template("signals/sent.html", receipt=bool(sent_info.get("receipt")))


@bp.route("/zorgen-over-iemand/mijn-meldingen")
@login_required
def mine():
    """The signals a logged-in user reported, with their status."""
    return render_template("signals/mine.html", signals=services.signals_of_reporter(_user()))


# --- the village team -------------------------------------------------------------------------------


@team_bp.route("/")
def queue():
    """The brokers' signals: waiting for contact (earliest due first), contact made, recently closed."""
    return render_template("signals/queue.html", queue=services.signal_queue(_user()))


def _detail_page(signal_id, status_form=None, note_form=None, status=200):
    signal = services.get_signal_for_broker(signal_id, by=_user())  # checks the broker, logs the view
    statuses = services.next_statuses(signal)
    return render_template(
        "signals/detail.html",
        signal=signal,
        status_form=status_form or StatusForm(formdata=None, statuses=statuses),
        note_form=note_form or NoteForm(formdata=None),
    ), status


@team_bp.route("/<int:signal_id>")
def detail(signal_id):
    """One signal with its personal fields (the view is logged), history and next step."""
    return _detail_page(signal_id)


@team_bp.route("/<int:signal_id>/status", methods=["POST"])
def change_status(signal_id):
    """Move a signal to its next step; closing asks for the outcome."""
    signal = services.get_signal_status(signal_id, by=_user())
    form = StatusForm(statuses=services.next_statuses(signal))
    if form.validate():
        try:
            services.change_status(
                signal_id, form.status.data, by=_user(), outcome=form.outcome.data or None, note=form.note.data or ""
            )
        except ValidationError as error:
            form.add_error(error.field, error.message)
        else:
            flash(_("De status is nu: %(status)s.", status=vocabularies.STATUS_LABELS[form.status.data]), "success")
            return redirect(url_for("signal_team.detail", signal_id=signal_id), code=303)
    return _detail_page(signal_id, status_form=form, status=400)


@team_bp.route("/<int:signal_id>/notitie", methods=["POST"])
def add_note(signal_id):
    """Add a note to the history."""
    services.get_signal_status(signal_id, by=_user())
    form = NoteForm()
    if form.validate():
        try:
            services.add_note(signal_id, form.note.data, by=_user())
        except ValidationError as error:
            form.add_error(error.field, error.message)
        else:
            flash(_("De notitie is opgeslagen."), "success")
            return redirect(url_for("signal_team.detail", signal_id=signal_id, _anchor="geschiedenis"), code=303)
    return _detail_page(signal_id, note_form=form, status=400)
