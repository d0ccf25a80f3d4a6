"""Broker pages of the matching module under /werkplek/hulp (issue #4).

Thin views: each parses its form, calls one service of matching.requests, volunteers, pool,
workload, booking or lifecycle (which check permissions and commit), and renders or redirects.
"""

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from flask_login import current_user

from .. import clock, params
from ..accounts import permissions
from ..errors import NotFound, ValidationError
from . import booking, lifecycle, pool, queries, reasons, timeslots, vocabularies
from . import requests as help_requests
from . import volunteers as volunteer_service
from . import workload as workload_service
from .broker_forms import (
    CancelMatchForm,
    ConfirmForm,
    PhoneFeedbackForm,
    ProposeForm,
    RejectRequestForm,
    SuggestForm,
    VogForm,
)
from .forms import RequestForm

bp = Blueprint("broker", __name__, url_prefix="/werkplek/hulp")

EVENT_LABELS = {
    "submitted": _l("Ingediend"),
    "confirmed": _l("E-mailadres bevestigd"),
    "published": _l("Gepubliceerd"),
    "edited": _l("Bewerkt"),
    "rejected": _l("Afgewezen"),
    "cancelled": _l("Geannuleerd"),
    "status": _l("Status gewijzigd"),
    "batch_proposal": _l("Voorstel bij ‘stel koppelingen voor’"),
    "match_suggested": _l("Vrijwilliger voorgesteld"),
    "match_approved": _l("Vrijwilliger gevraagd (goedgekeurd)"),
    "match_accepted": _l("Vrijwilliger zei ja"),
    "match_declined": _l("Vrijwilliger zei nee"),
    "match_rejected": _l("Vrijwilliger niet gekozen"),
    "match_cancelled": _l("Koppeling geannuleerd"),
    "match_done": _l("Gedaan"),
    "no_show": _l("Vrijwilliger niet gekomen"),
    "feedback": _l("Terugkoppeling"),
    "reopened": _l("Heropend"),
    "escalated": _l("Sociaal makelaars gemaild: nog geen vrijwilliger"),
    "list_emailed": _l("Lijstje met voorzieningen gemaild"),  # matching.handouts (issue #19)
    "list_printed": _l("Lijstje met voorzieningen afgedrukt"),
}
ROLE_LABELS = {
    "requester": _l("aanvrager"),
    "broker": _l("sociaal makelaar"),
    "volunteer": _l("vrijwilliger"),
    "system": _l("systeem"),
    "admin": _l("beheerder"),
}


def local_moment(value, pattern="EEEE d MMMM y, HH:mm"):
    """Format a naive-UTC moment in local time, as 'dinsdag 3 maart 2026, 13:00' (clock formats it)."""
    return clock.format_local(value, pattern)


def waited(since):
    """Say how long ago a naive-UTC moment was, in days or hours ('3 dagen', '5 uur')."""
    if since is None:
        return ""
    hours = int((clock.naive_utcnow() - since).total_seconds() // 3600)
    if hours >= 48:
        return _("%(num)d dagen", num=hours // 24)
    return _("%(num)d uur", num=max(hours, 0))


@bp.context_processor
def _template_helpers():
    return {
        "vocab": vocabularies,
        "local_moment": local_moment,
        "local_window": clock.format_local_window,
        "waited": waited,
        "confirm": ConfirmForm(),
        "event_labels": EVENT_LABELS,
        "role_labels": ROLE_LABELS,
    }


def _back_to_request(request_id):
    return redirect(url_for("broker.request", request_id=request_id))


def _id_arg(name):
    return params.parse_id(request.args.get(name, ""))


# --- queue, phone intake, proposals ------------------------------------------------------------------


@bp.route("/")
def queue():
    """Per area: requests to review, open, proposed and matched; new volunteers; "Ik wil helpen"."""
    area_id = _id_arg("gebied")
    board = help_requests.broker_queue(current_user, area_id=area_id)
    return render_template("matching/broker/queue.html", board=board, area_id=area_id, propose_form=ProposeForm())


@bp.route("/stel-koppelingen-voor", methods=["POST"])
def propose_all():
    """Propose volunteers for every open request of one area at once (a global assignment)."""
    form = ProposeForm()
    if form.validate_on_submit():
        try:
            result = booking.run_batch_proposals(form.area(), by=current_user)
        except ValidationError as error:
            flash(error.message, "error")
        else:
            flash(batch_summary(result))
    else:
        flash(_("Kies een gebied."), "error")
    return redirect(url_for("broker.queue", gebied=form.area()))


def batch_summary(result) -> str:
    """Say in one sentence what a batch run did, with the nouns in the singular for one (#14)."""
    looked = ngettext("%(num)d open hulpvraag bekeken", "%(num)d open hulpvragen bekeken", result.requests)
    proposed = ngettext("%(num)d nieuw voorstel", "%(num)d nieuwe voorstellen", result.proposed)
    unmatched = ngettext(
        "%(num)d hulpvraag zonder passende vrijwilliger",
        "%(num)d hulpvragen zonder passende vrijwilliger",
        result.unmatched,
    )
    return _(
        "Klaar. %(looked)s, %(proposed)s; %(unmatched)s. Keur de voorstellen goed bij elke hulpvraag.",
        looked=looked,
        proposed=proposed,
        unmatched=unmatched,
    )


@bp.route("/nieuw", methods=["GET", "POST"])
def new_request():
    """Enter a help request for someone who phoned."""
    _require_broker()
    form = RequestForm()
    if form.validate_on_submit():
        try:
            item = help_requests.submit_request(form.values(), by=current_user)
        except ValidationError as error:
            form.add_error(error.field, error.message)
        else:
            flash(_("De hulpvraag is opgeslagen. Controleer haar en publiceer haar als ze klopt."))
            return _back_to_request(item.id)
    return render_template(
        "matching/broker/request_form.html", form=form, item=None, action=url_for("broker.new_request")
    )


def _require_broker():
    permissions.require_role(current_user, "broker")


# --- one request ----------------------------------------------------------------------------------


def _request_page(item, reject_form=None):
    now = clock.naive_utcnow()
    return render_template(
        "matching/broker/request.html",
        item=item,
        reject_form=reject_form or RejectRequestForm(),
        feedback_form=PhoneFeedbackForm(),
        closable={match.id for match in item.matches if booking.closing_refusal(match, now) is None},
        may_reopen=help_requests.reopen_refusal(item, now) is None,
    )


@bp.route("/vraag/<int:request_id>", endpoint="request")
def request_detail(request_id):
    """A request with its personal data (the view is logged), history, dates and matches."""
    item = help_requests.get_request_for_broker(request_id, by=current_user)
    return _request_page(item)


@bp.route("/vraag/<int:request_id>/publiceren", methods=["POST"])
def publish(request_id):
    """Publish a reviewed request: volunteers nearby can see it (without personal data)."""
    if ConfirmForm().validate_on_submit():
        try:
            help_requests.publish_request(request_id, by=current_user)
        except ValidationError as error:
            flash(error.message, "error")
        else:
            flash(_("De hulpvraag is gepubliceerd. Vrijwilligers in de buurt zien haar nu, zonder naam en adres."))
    return _back_to_request(request_id)


@bp.route("/vraag/<int:request_id>/afwijzen", methods=["POST"])
def reject(request_id):
    """Reject a request; the requester gets the reason by e-mail."""
    form = RejectRequestForm()
    if form.validate_on_submit():
        try:
            help_requests.reject_request(request_id, form.reason.data.strip(), by=current_user)
        except ValidationError as error:
            form.add_error("reason" if error.field in (None, "reason") else error.field, error.message)
        else:
            flash(_("De hulpvraag is afgewezen. De aanvrager krijgt de reden per e-mail."))
            return _back_to_request(request_id)
    item = help_requests.get_request_for_broker(request_id, by=current_user)
    return _request_page(item, reject_form=form)


@bp.route("/vraag/<int:request_id>/bewerken", methods=["GET", "POST"])
def edit_request(request_id):
    """Edit a request (typing errors, a better summary for the volunteer)."""
    item = help_requests.get_request_for_broker(request_id, by=current_user, what="edit")
    form = RequestForm(data=None if request.method == "POST" else RequestForm.initial(item))
    form.period_start = item.first_date if item.is_period else None  # a period keeps its start
    if form.validate_on_submit():
        try:
            help_requests.update_request(request_id, form.values(), by=current_user)
        except ValidationError as error:
            form.add_error(error.field, error.message)
        else:
            flash(_("De hulpvraag is bijgewerkt."))
            return _back_to_request(request_id)
    return render_template(
        "matching/broker/request_form.html",
        form=form,
        item=item,
        action=url_for("broker.edit_request", request_id=request_id),
    )


# --- candidates and matches -------------------------------------------------------------------------


@bp.route("/vraag/<int:request_id>/kandidaten")
def candidates(request_id):
    """Ranked volunteers with their reasons, and why the others were left out (counted)."""
    result, profiles = pool.candidates(request_id, by=current_user)  # checks the broker
    item = queries.get_request(request_id)  # no personal data on this page: not logged
    rows = [
        {
            "candidate": candidate,
            "profile": profiles.get(candidate.volunteer_id),
            "reasons": reasons.explain(candidate.reasons),
        }
        for candidate in result.candidates
    ]
    exclusions = reasons.explain_exclusions(result.excluded)
    return render_template(
        "matching/broker/candidates.html",
        item=item,
        ranking=result,
        rows=rows,
        exclusions=exclusions,
        suggest_form=SuggestForm(),
    )


@bp.route("/vraag/<int:request_id>/voorstellen", methods=["POST"])
def suggest(request_id):
    """Put a volunteer on the request's list, or ask them at once (approve: book the dates, mail them)."""
    form = SuggestForm()
    if not form.validate_on_submit():
        flash(_("Kies een vrijwilliger."), "error")
        return redirect(url_for("broker.candidates", request_id=request_id))
    try:
        match = booking.suggest_match(request_id, form.volunteer(), by=current_user)
        if form.ask:
            match = booking.approve_match(match.id, by=current_user)
    except ValidationError as error:
        flash(error.message, "error")
        return redirect(url_for("broker.candidates", request_id=request_id))
    if form.ask:
        flash(
            _(
                "%(name)s is gevraagd. De data zijn voor deze vrijwilliger gereserveerd tot die antwoordt.",
                name=match.volunteer.first_name,
            )
        )
    else:
        flash(_("%(name)s staat op de lijst van voorstellen.", name=match.volunteer.first_name))
    return _back_to_request(request_id)


def _match_action(match_id, action, message):
    """Run one booking action on a match behind a CSRF button; return the match (None when it failed)."""
    form = ConfirmForm()
    if not form.validate_on_submit():
        return None
    try:
        match = action(match_id, by=current_user)
    except ValidationError as error:
        flash(error.message, "error")
        match = None
    else:
        flash(message)
    return match


def _redirect_after(match_id, match=None):
    """Go back to the match's request (the forms send its id along for when the action failed)."""
    request_id = match.request_id if match is not None else params.parse_id(request.form.get("request_id", ""))
    if request_id is not None:
        return _back_to_request(request_id)
    return redirect(url_for("broker.queue"))


@bp.route("/koppeling/<int:match_id>/goedkeuren", methods=["POST"])
def approve(match_id):
    """Approve a suggested or offered match: book the dates and ask the volunteer."""
    match = _match_action(
        match_id, booking.approve_match, _("Goedgekeurd. De vrijwilliger krijgt een e-mail met de vraag of die kan.")
    )
    return _redirect_after(match_id, match)


@bp.route("/koppeling/<int:match_id>/niet-kiezen", methods=["POST"])
def reject_match(match_id):
    """Pass over a suggested or offered volunteer."""
    match = _match_action(match_id, booking.reject_match, _("Deze vrijwilliger is niet gekozen."))
    return _redirect_after(match_id, match)


# Closing actions ask "Weet u het zeker?" on a page of their own, without JavaScript (issue #14):
# GET shows what will happen and who gets an e-mail, POST (with CSRF) does it.
CLOSING_PAGES = {
    "done": {
        "title": _l("Markeren als gedaan"),
        "what": _l(
            "De koppeling krijgt de status ‘gedaan’. Als er geen datums meer open zijn, wordt de hulpvraag afgerond."
        ),
        "mail": _l("Niemand krijgt hierover een e-mail."),
        "button": _l("Ja, markeer als gedaan"),
    },
    "no_show": {
        "title": _l("Vrijwilliger niet gekomen"),
        "what": _l(
            "U legt vast dat de vrijwilliger niet kwam. Latere datums komen weer open. Alleen makelaars zien dit."
        ),
        "mail": _l("Niemand krijgt hierover een e-mail."),
        "button": _l("Ja, leg vast: niet gekomen"),
    },
    "cancel": {
        "title": _l("Koppeling annuleren"),
        "what": _l("De koppeling wordt geannuleerd. De datums komen weer vrij voor een andere vrijwilliger."),
        "mail": _l("De vrijwilliger en de aanvrager krijgen een e-mail."),
        "button": _l("Ja, annuleer de koppeling"),
    },
    "reopen": {
        "title": _l("Hulpvraag heropenen"),
        "what": _l("De hulpvraag staat weer open. Toekomstige datums komen weer open. Dit komt in de geschiedenis."),
        "mail": _l("De aanvrager krijgt een e-mail, en de vrijwilliger als die de taak als gedaan had."),
        "button": _l("Ja, heropen de hulpvraag"),
    },
}


def _confirm_page(kind, item, form, action, match=None):
    """Render the "Weet u het zeker?" page of a closing action."""
    return render_template(
        "matching/broker/confirm.html", page=CLOSING_PAGES[kind], item=item, match=match, form=form, action=action
    )


def _closing_match(match_id, check):
    """Return (match, allowed) for a closing page of a broker of its request; flash the reason when not allowed."""
    match = booking.match_for_broker(match_id, by=current_user)
    refusal = check(match)
    if refusal is not None:
        flash(refusal, "error")
        return match, False
    return match, True


def _closing_action(match_id, kind, action, message, refusal):
    """GET: confirmation page; POST: run the booking action behind CSRF (refused actions flash why)."""
    if request.method == "POST":
        return _redirect_after(match_id, _match_action(match_id, action, message))
    match, allowed = _closing_match(match_id, refusal)
    if not allowed:
        return _back_to_request(match.request_id)
    url = url_for(request.endpoint or "broker.queue", match_id=match_id)
    return _confirm_page(kind, match.request, ConfirmForm(), url, match)


@bp.route("/koppeling/<int:match_id>/annuleren", methods=["GET", "POST"])
def cancel_match(match_id):
    """Cancel an approved or accepted match after confirmation; the volunteer and the requester hear it."""
    form = CancelMatchForm()
    match = None
    if request.method == "GET":
        match, allowed = _closing_match(match_id, booking.cancel_refusal)
        if not allowed:
            return _back_to_request(match.request_id)
        return _confirm_page("cancel", match.request, form, url_for("broker.cancel_match", match_id=match_id), match)
    if form.validate_on_submit():
        try:
            match = booking.cancel_match(
                match_id, by=current_user, reason=(form.reason.data or "").strip(), by_role="broker"
            )
        except ValidationError as error:
            flash(error.message, "error")
        else:
            flash(_("De koppeling is geannuleerd. De data zijn weer vrij."))
    else:
        flash(" ".join(message for _field, message in form.error_list), "error")
    return _redirect_after(match_id, match)


@bp.route("/koppeling/<int:match_id>/gedaan", methods=["GET", "POST"])
def done(match_id):
    """Mark an accepted match as done after its date (after confirmation)."""
    return _closing_action(
        match_id, "done", booking.mark_done, _("Gemarkeerd als gedaan."), booking.closing_refusal_now
    )


@bp.route("/koppeling/<int:match_id>/niet-gekomen", methods=["GET", "POST"])
def no_show(match_id):
    """Record that the volunteer did not come (only brokers see this; after confirmation)."""
    return _closing_action(
        match_id,
        "no_show",
        booking.record_no_show,
        _("Vastgelegd: de vrijwilliger is niet gekomen."),
        booking.closing_refusal_now,
    )


@bp.route("/vraag/<int:request_id>/heropenen", methods=["GET", "POST"])
def reopen(request_id):
    """Reopen a request closed by mistake, within 14 days (after confirmation)."""
    item, refusal = help_requests.request_to_reopen(request_id, by=current_user)
    form = ConfirmForm()
    if request.method == "POST":
        if form.validate_on_submit():
            try:
                help_requests.reopen_request(request_id, by=current_user)
            except ValidationError as error:
                flash(error.message, "error")
            else:
                flash(_("De hulpvraag staat weer open. De aanvrager krijgt een e-mail."))
        return _back_to_request(request_id)
    if refusal is not None:
        flash(refusal, "error")
        return _back_to_request(request_id)
    return _confirm_page("reopen", item, form, url_for("broker.reopen", request_id=request_id))


@bp.route("/koppeling/<int:match_id>/terugkoppeling", methods=["POST"])
def feedback(match_id):
    """Record feedback the broker heard by phone."""
    form = PhoneFeedbackForm()
    match = None
    if form.validate_on_submit():
        values = form.values()
        try:
            saved = lifecycle.save_feedback(
                match_id, values["role"], values["happened"], values["rating"], values["comment"], by=current_user
            )
        except ValidationError as error:
            flash(error.message, "error")
        else:
            match = saved.match
            flash(_("De terugkoppeling is opgeslagen."))
    else:
        flash(" ".join(message for _field, message in form.error_list), "error")
    return _redirect_after(match_id, match)


# --- volunteers -----------------------------------------------------------------------------------


@bp.route("/vrijwilligers")
def volunteers():
    """The volunteers of my areas, by status and first name; optionally one status."""
    status = request.args.get("status", "")
    if status and status not in vocabularies.VOLUNTEER_STATUS_LABELS:
        raise NotFound(status)
    rows = volunteer_service.volunteer_list(current_user, status=status or None)
    return render_template("matching/broker/volunteers.html", rows=rows, status=status)


@bp.route("/vrijwilligers/<int:profile_id>")
def volunteer(profile_id):
    """One volunteer: what they offer, VOG, tasks and no-shows (brokers only)."""
    return _volunteer_page(profile_id, VogForm())


def _volunteer_page(profile_id, vog_form):
    profile, matches = volunteer_service.volunteer_with_matches(profile_id, by=current_user)  # checks the broker
    no_shows = sum(match.status == "no_show" for match in matches)
    return render_template(
        "matching/broker/volunteer.html",
        profile=profile,
        matches=matches,
        no_shows=no_shows,
        vog_form=vog_form,
        grid=_grid(profile.availability),
    )


def _grid(mask):
    """Return [(weekday label, [True/False per day part])] of an availability mask."""
    cells = set(timeslots.cells_of(mask or 0))
    return [(vocabularies.WEEKDAYS[day], [(day, part) in cells for part in range(3)]) for day in range(7)]


@bp.route("/vrijwilligers/<int:profile_id>/goedkeuren", methods=["POST"])
def approve_volunteer(profile_id):
    """Approve a volunteer after the intake talk (kennismaking)."""
    if ConfirmForm().validate_on_submit():
        try:
            volunteer_service.approve_volunteer(profile_id, by=current_user)
        except ValidationError as error:
            flash(error.message, "error")
        else:
            flash(_("De vrijwilliger is goedgekeurd en krijgt een e-mail."))
    return redirect(url_for("broker.volunteer", profile_id=profile_id))


@bp.route("/vrijwilligers/<int:profile_id>/vog", methods=["POST"])
def vog(profile_id):
    """Record the VOG the broker has seen: checked on, valid until."""
    form = VogForm()
    if form.validate_on_submit():
        try:
            volunteer_service.record_vog(profile_id, form.checked_on.data, form.valid_until.data, by=current_user)
        except ValidationError as error:
            form.add_error(error.field, error.message)
        else:
            flash(_("De VOG is vastgelegd."))
            return redirect(url_for("broker.volunteer", profile_id=profile_id))
    return _volunteer_page(profile_id, form)


# --- workload -------------------------------------------------------------------------------------


@bp.route("/werkdruk")
def workload():
    """Requests waiting and how long; unfilled by task type and village; volunteers without a task."""
    area_id = _id_arg("gebied")
    board = workload_service.workload(current_user, area_id=area_id)
    return render_template("matching/broker/workload.html", board=board, area_id=area_id)
