"""Public and volunteer pages of the matching module (issue #4).

Thin views: each parses its form, calls one service of matching.requests, volunteers, booking,
privacy or lifecycle (which check permissions and commit), and renders or redirects. A
ValidationError goes back to its form field; PermissionDenied and NotFound are handled app-wide.
"""

import json

from flask import Blueprint, Response, current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required, logout_user
from werkzeug.datastructures import MultiDict

from .. import clock
from ..accounts import privacy as account_privacy
from ..accounts import sessions as account_sessions
from ..directory import areas
from ..errors import NotFound, ValidationError
from ..extensions import limiter
from . import booking, drafts, lifecycle, privacy, queries, reasons, vocabularies, volunteers
from . import requests as help_requests
from .forms import (
    STEP_COUNT,
    STEP_NAMES,
    STEPS,
    AbsenceForm,
    CancelForm,
    ConfirmForm,
    DeclineForm,
    DeleteAccountForm,
    FeedbackForm,
    InterestForm,
    RequestForm,
    VolunteerProfileForm,
    duration_label,
    step_fields,
    step_named,
    step_of_field,
)

bp = Blueprint("matching", __name__)

EVENT_LABELS = {
    "submitted": _l("Hulpvraag ingediend"),
    "confirmed": _l("E-mailadres bevestigd"),
    "published": _l("Beoordeeld door de sociaal makelaar"),
    "edited": _l("Aangepast door de sociaal makelaar"),
    "rejected": _l("Afgewezen"),
    "cancelled": _l("Geannuleerd"),
    "status": _l("Status veranderd"),
    "match_approved": _l("Vrijwilliger gevraagd"),
    "match_accepted": _l("Vrijwilliger heeft ja gezegd"),
    "match_declined": _l("Vrijwilliger kan niet"),
    "match_cancelled": _l("Koppeling geannuleerd"),
    "match_done": _l("Hulp gegeven"),
}
# The requester's history leaves out the broker's internal steps (suggestions, batch runs) and
# no-shows, which only brokers see (issue #4, item 8).
REQUESTER_EVENTS = tuple(EVENT_LABELS)
ROLE_LABELS = {
    "requester": _l("u (aanvrager)"),
    "broker": _l("sociaal makelaar"),
    "volunteer": _l("vrijwilliger"),
    "system": _l("automatisch"),
    "admin": _l("beheerder"),
}
VIEW_LABELS = {
    "request": _l("uw hulpvraag"),
    "contact": _l("uw contactgegevens"),
    "address": _l("uw adres en telefoonnummer"),
    "edit": _l("uw hulpvraag (om die aan te passen)"),
    "export": _l("uw gegevens (download)"),
}


def _language():
    return str(get_locale() or "nl")


def _user():
    return current_user._get_current_object() if current_user.is_authenticated else None


def _status():
    return 400 if request.method == "POST" else 200


# --- template helpers ---------------------------------------------------------------------------

# Local time is formatted by clock (issue #13); these names stay for the templates that use them.
bp.add_app_template_filter(clock.format_local, "matching_moment")
# A ranking's reasons (codes, or a match's stored records) in the page's or the e-mail's language.
bp.add_app_template_filter(reasons.explain, "ranking_reasons")


@bp.app_template_filter("matching_when")
def local_when(occurrence):
    """Format a date's window in local time: 'dinsdag 3 maart 2026, 13:00–17:00'."""
    return clock.format_local_window(occurrence.starts_at, occurrence.ends_at)


@bp.app_template_global()
def request_period(help_request):
    """Return a period request's "een dag naar keuze tussen ..." while nobody is booked, else None (issue #14)."""
    if help_request.is_period and not volunteers.request_is_booked(help_request):
        return volunteers.period_text(help_request)
    return None


@bp.app_template_filter("matching_duration")
def format_duration(minutes):
    """Format a number of minutes as '1,5 uur'."""
    return duration_label(int(minutes or 0))


@bp.app_context_processor
def _vocabularies():
    return {"matching_vocab": vocabularies}


@bp.app_template_global()
def volunteer_task_for(text="", services=(), categories=()):
    """Return the volunteer task type a search text, services or category codes point to, or None (issue #11)."""
    codes = [*categories, *(term.code for service in services for term in service.categories)]
    return vocabularies.task_type_for(text, codes)


@bp.app_template_global()
def dorpsteam_of(place):
    """Return the area of a searched place when it has a dorpsteam contact, or None (issue #11)."""
    area = areas.area_of_place(place)
    return area if area is not None and area.has_contact else None


# --- help requests (no account needed) ----------------------------------------------------------


def _request_limit():
    return current_app.config["MATCHING_REQUEST_RATE_LIMIT"]


def _step_limit():
    return current_app.config["MATCHING_STEP_RATE_LIMIT"]


# The help request form in steps (issue #14): what · when · where · contact · check, each its own
# page that works without JavaScript. Every step saves what was typed in a draft (drafts.py) before
# it checks anything, so nothing typed is lost; "Vorige" saves without checking.
DRAFT = "hulpvraag_concept"
ALL_FIELDS = frozenset(name for step in STEPS for name in step_fields(step.name, {"relation": ["other"]})) | {
    "first_date",
    "window_start",
    "window_end",
    "weeks",
    "period_weeks",
    "day_part",
}


def _answers():
    return drafts.load(session.get(DRAFT))


def _step_form(answers):
    """Return a RequestForm filled from the answers (field checks only; CSRF is checked app-wide)."""
    data = MultiDict([(name, value) for name, values in answers.items() for value in values])
    form = RequestForm(formdata=data, check_past=True, meta={"csrf": False})
    if current_user.is_authenticated and "contact_name" not in answers:
        form.contact_name.data = current_user.name
        form.contact_email.data = current_user.email
    return form


def _step_errors(form, step, answers):
    """Validate the whole form; keep only the errors of this step's fields. Return True when it has none."""
    form.validate()
    asked = set(step_fields(step.name, answers))
    for field in form:
        if field.name not in asked:
            field.errors = []
    form.form_errors = []
    return not any(form[name].errors for name in asked)


def _neighbour(step, offset):
    index = STEP_NAMES.index(step.name) + offset
    return STEPS[index] if 0 <= index < len(STEPS) else None


def _step_url(step, **args):
    if step.name == "wat":
        return url_for("matching.request_form", **args)
    return url_for("matching.request_step", step=step.name, **args)


def _render_step(step, form, answers, status=200):
    return (
        render_template(
            "matching/request_step.html",
            form=form,
            step=step,
            step_count=STEP_COUNT,
            fields=step_fields(step.name, answers),
            previous=_neighbour(step, -1),
            back_to_check=request.values.get("terug") == "controleren",
            action=_step_url(step),
        ),
        status,
    )


def _step(step):
    """Show one step of the form (GET) or save it and go on (POST)."""
    answers = _answers()
    if request.method == "GET":
        if step.name != "wat" and not answers:
            if session.pop(DRAFT, None):
                flash(_("Uw antwoorden waren langer dan een dag niet gebruikt en zijn gewist. Begin opnieuw."))
            return redirect(url_for("matching.request_form"), code=303)
        form = _step_form(answers)
        if step.name == "wat" and "task_type" not in answers:
            form.preselect_task_type(request.args.get("taak"))
        if request.args.get("fouten"):  # sent here by the check page: show what is missing
            _step_errors(form, step, answers)
        return _render_step(step, form, answers)
    fields = step_fields(step.name, answers)
    kind_changed = (
        step.name == "wanneer"
        and "schedule_kind" in answers
        and (request.form.get("schedule_kind") != answers["schedule_kind"][0])
    )
    if kind_changed:  # another kind of "when" asks other fields on the next page: drop the old ones
        fields = (*fields, "first_date", "window_start", "window_end", "weeks", "period_weeks", "day_part")
    posted = {name: request.form.getlist(name) for name in fields}
    # Checked as typed (a control character is refused with a message), saved without control characters.
    answers = {**{name: values for name, values in answers.items() if name not in fields}, **posted}
    form = _step_form(answers)
    valid = _step_errors(form, step, answers)
    session[DRAFT] = drafts.save(session.get(DRAFT), fields, posted, allowed=ALL_FIELDS)
    back_to_check = request.form.get("terug") == "controleren"
    if request.form.get("actie") == "vorige":
        previous = _neighbour(step, -1) or step
        return redirect(_step_url(previous), code=303)
    if not valid:
        return _render_step(step, form, answers, status=400)
    if back_to_check and not kind_changed:
        return redirect(url_for("matching.request_step", step="controleren"), code=303)
    following = _neighbour(step, 1)
    assert following is not None, "the check page has its own view"
    return redirect(_step_url(following, **({"terug": "controleren"} if back_to_check else {})), code=303)


@bp.route("/hulp-vragen", methods=["GET", "POST"])
@limiter.limit(_step_limit, methods=["POST"])
def request_form():
    """The public help request form, first step (what and for whom): no JavaScript, no account needed."""
    return _step(STEPS[0])


@bp.route("/hulp-vragen/stap/<step>", methods=["GET", "POST"])
@limiter.limit(_step_limit, methods=["POST"])
def request_step(step):
    """A later step of the help request form (the check page has its own view)."""
    found = step_named(step)
    if found is None or found.name == "wat":  # (controleren has its own route, which comes first)
        raise NotFound(_("Deze stap bestaat niet."))
    return _step(found)


@bp.route("/hulp-vragen/stap/controleren", methods=["GET", "POST"])
@limiter.limit(_request_limit, methods=["POST"])
def request_check():
    """The last step: every answer with a link to change it, then send."""
    answers = _answers()
    if not answers:
        if session.pop(DRAFT, None):
            flash(_("Uw antwoorden waren langer dan een dag niet gebruikt en zijn gewist. Begin opnieuw."))
        return redirect(url_for("matching.request_form"), code=303)
    form = _step_form(answers)
    if not form.validate():
        failing = next(step for step in STEPS if any(form[name].errors for name in step_fields(step.name, answers)))
        return redirect(_step_url(failing, fouten=1, terug="controleren"), code=303)
    if request.method == "POST":
        if form.is_spam():  # a bot filled the hidden field: pretend all went well
            drafts.discard(session.pop(DRAFT, None))
            return redirect(url_for("matching.request_sent"), code=303)
        try:
            created = help_requests.submit_request({**form.values(), "language": _language()}, by=_user())
        except ValidationError as error:
            step = step_of_field(error.field, answers)
            form = _step_form(answers)
            form.add_error(error.field if error.field in step_fields(step.name, answers) else None, error.message)
            return _render_step(step, form, answers, status=400)
        drafts.discard(session.pop(DRAFT, None))
        session["matching_sent"] = {"token": created.access_token, "confirm": created.confirmed_at is None}
        return redirect(url_for("matching.request_sent"), code=303)
    return render_template(
        "matching/request_check.html",
        form=form,
        step=STEPS[-1],
        step_count=STEP_COUNT,
        answers=answers,
        steps=[(step, step_fields(step.name, answers)) for step in STEPS[:-1]],
        previous=_neighbour(STEPS[-1], -1),
    )


@bp.route("/hulp-vragen/verstuurd")
def request_sent():
    """What happens next, after sending a request."""
    sent = session.get("matching_sent") or {}
    page_url = url_for("matching.my_request", token=sent["token"]) if sent.get("token") else None
    return render_template(
        "matching/request_sent.html", page_url=page_url, needs_confirmation=bool(sent.get("confirm"))
    )


@bp.route("/hulp-vragen/bevestigen/<token>")
def confirm_request(token):
    """The link in the confirmation e-mail."""
    try:
        confirmed = help_requests.confirm_request(token)
    except (NotFound, ValidationError):
        return render_template("matching/link_invalid.html"), 400
    flash(_("Dank u wel. Uw hulpvraag is bevestigd."), "success")
    return redirect(url_for("matching.my_request", token=confirmed.access_token))


def _requester_request(token):
    return help_requests.get_request_for_requester(token)


def _feedback_due(help_request, now):
    """Return the requester's matches that may get feedback now (after their first date, none given yet)."""
    due = []
    for match in help_request.matches:
        if match.status not in ("accepted", "done"):
            continue
        started = [b.starts_at for b in match.bookings if b.starts_at <= now]
        given = any(feedback.author_role == "requester" for feedback in match.feedback)
        if (started or match.status == "done") and not given:
            due.append(match)
    return due


@bp.route("/mijn-hulpvraag/<token>")
def my_request(token):
    """The requester's own page: status and its history, dates, volunteer, who viewed the data."""

    help_request = _requester_request(token)
    return render_template(
        "matching/my_request.html",
        help_request=help_request,
        token=token,
        events=[event for event in help_request.events if event.action in REQUESTER_EVENTS],
        access_log=privacy.access_log(help_request),
        cancel_form=CancelForm(formdata=None),
        feedback_due=_feedback_due(help_request, clock.naive_utcnow()),
        event_labels=EVENT_LABELS,
        role_labels=ROLE_LABELS,
        view_labels=VIEW_LABELS,
    )


@bp.route("/mijn-hulpvraag/<token>/annuleren", methods=["POST"])
def cancel_request(token):
    """The requester cancels the request (and with it any volunteer's dates)."""
    help_request = _requester_request(token)
    form = CancelForm()
    if form.validate():
        try:
            help_requests.cancel_request(help_request.id, by=_user(), access_token=token, reason=form.reason.data or "")
        except ValidationError as error:
            flash(error.message, "error")
        else:
            flash(_("Uw hulpvraag is geannuleerd."), "success")
    else:
        flash(" ".join(message for _field, message in form.error_list), "error")
    return redirect(url_for("matching.my_request", token=token), code=303)


def _feedback_page(form, match, save, done_url, heading_for):
    """Show and save a feedback form; `save(values)` calls the service."""
    if request.method == "POST" and form.validate():
        try:
            save(form.values())
        except ValidationError as error:
            form.add_error(error.field, error.message)
        else:
            flash(_("Dank u wel voor uw antwoord."), "success")
            return redirect(done_url, code=303)
    return render_template("matching/feedback.html", form=form, match=match, heading_for=heading_for), _status()


@bp.route("/mijn-hulpvraag/<token>/terugkoppeling/<int:match_id>", methods=["GET", "POST"])
def request_feedback(token, match_id):
    """ "Is het doorgegaan?" for the requester, from their page."""
    help_request = _requester_request(token)
    match = next((m for m in help_request.matches if m.id == match_id), None)
    if match is None:
        raise NotFound(f"match {match_id}")
    return _feedback_page(
        FeedbackForm(),
        match,
        lambda values: lifecycle.save_feedback(
            match.id,
            "requester",
            values["happened"],
            values["rating"],
            values["comment"],
            by=_user(),
            access_token=token,
        ),
        url_for("matching.my_request", token=token),
        "requester",
    )


@bp.route("/mijn-hulpvraag/<token>/gegevens.json")
def request_data(token):
    """Download everything stored about this request (AVG: right of access)."""
    help_request = _requester_request(token)
    return _json_download(privacy.export_request(help_request), f"hulpvraag-{help_request.id}.json")


def _json_download(data, filename):
    body = json.dumps(data, ensure_ascii=False, indent=2, default=str)
    return Response(
        body, mimetype="application/json", headers={"Content-Disposition": f'attachment; filename="{filename}"'}
    )


@bp.route("/mijn-hulpvragen")
@login_required
def my_requests():
    """The logged-in resident's requests."""
    return render_template("matching/my_requests.html", requests=help_requests.requests_of_user(current_user))


@bp.route("/mijn-gegevens")
@login_required
def my_data():
    """Download my data, delete my account."""
    return render_template("matching/my_data.html", form=DeleteAccountForm(formdata=None))


@bp.route("/mijn-gegevens.json")
@login_required
def my_data_json():
    return _json_download(account_privacy.export_data(_user()), "mijn-gegevens.json")


@bp.route("/mijn-gegevens/verwijderen", methods=["POST"])
@login_required
def delete_account():
    """Delete the account: requests anonymised, matches cancelled, profile removed."""
    form = DeleteAccountForm()
    if form.validate():
        language = account_sessions.request_language()  # read before the account (and its language) is gone
        try:
            account_privacy.delete_account(_user(), form.password.data, by=_user())
        except ValidationError as error:
            form.add_error(error.field, error.message)
        else:
            logout_user()
            session.clear()
            account_sessions.keep_language(language)
            flash(_("Uw account en uw gegevens zijn verwijderd."), "success")
            return redirect(url_for("web.home"), code=303)
    return render_template("matching/my_data.html", form=form), 400


# --- volunteers ---------------------------------------------------------------------------------


def _profile_page(form=None, absence_form=None, status=200):
    profile = volunteers.get_profile(current_user)
    if form is None:
        if profile is not None:
            form = VolunteerProfileForm(formdata=None, data=VolunteerProfileForm.initial(profile))
        else:
            form = VolunteerProfileForm(formdata=None, first_name=(current_user.name or "").split(" ")[0])
    return render_template(
        "matching/volunteer_profile.html",
        form=form,
        profile=profile,
        absence_form=absence_form or AbsenceForm(formdata=None),
        remove_form=ConfirmForm(formdata=None),
    ), status


@bp.route("/vrijwilliger/profiel", methods=["GET", "POST"])
@login_required
def volunteer_profile():
    """Where, how far, what and when a volunteer helps; absences; VOG status."""
    if request.method == "GET":
        return _profile_page()
    form = VolunteerProfileForm()
    if form.validate():
        try:
            saved = volunteers.save_profile(current_user, form.values(), by=_user())
        except ValidationError as error:
            form.add_error(error.field, error.message)
        else:
            flash(_("Uw vrijwilligersprofiel is opgeslagen."), "success")
            if saved.status == "pending":  # what happens next: the intake (issue #14)
                return redirect(url_for("matching.volunteer_next_steps"), code=303)
            return redirect(url_for("matching.volunteer_profile"), code=303)
    return _profile_page(form=form, status=400)


@bp.route("/vrijwilliger")
def volunteer_start():
    """The one way in for volunteering (issue #14): explain and register, fill in the profile, or the tasks."""
    if not current_user.is_authenticated:
        return render_template("matching/volunteer_start.html")
    profile = volunteers.get_profile(current_user)
    if profile is None:
        return redirect(url_for("matching.volunteer_profile"))
    if profile.status == "pending":
        return redirect(url_for("matching.volunteer_next_steps"))
    return redirect(url_for("matching.my_tasks"))


@bp.route("/vrijwilliger/aangemeld")
@login_required
def volunteer_next_steps():
    """What happens after signing up as a volunteer: the intake, when, whom to ask, the VOG (issue #14)."""
    profile = volunteers.get_profile(current_user)
    if profile is None:
        return redirect(url_for("matching.volunteer_profile"))
    return render_template(
        "matching/volunteer_next_steps.html",
        profile=profile,
        intake_days=volunteers.intake_working_days(),
        kinds=volunteers.nearby_task_kinds(_user()) if profile.status == "pending" else [],
    )


@bp.route("/vrijwilliger/profiel/afwezig", methods=["POST"])
@login_required
def add_absence():
    form = AbsenceForm()
    if form.validate():
        try:
            volunteers.add_absence(current_user, form.starts_on.data, form.ends_on.data, form.note.data or "")
        except ValidationError as error:
            form.add_error(error.field, error.message)
        else:
            flash(_("De periode is toegevoegd."), "success")
            return redirect(url_for("matching.volunteer_profile", _anchor="afwezig"), code=303)
    return _profile_page(absence_form=form, status=400)


@bp.route("/vrijwilliger/profiel/afwezig/<int:absence_id>/verwijderen", methods=["POST"])
@login_required
def remove_absence(absence_id):
    if ConfirmForm().validate():
        volunteers.remove_absence(current_user, absence_id)
        flash(_("De periode is verwijderd."), "success")
    return redirect(url_for("matching.volunteer_profile", _anchor="afwezig"), code=303)


@bp.route("/vrijwilliger/klussen")
@login_required
def tasks():
    """ "Klussen bij mij in de buurt": open requests that fit my grid and distance (no names, no addresses)."""
    profile = volunteers.get_profile(current_user)
    active = profile is not None and profile.status == "active"
    task_list = volunteers.tasks_near_me(current_user) if active else []
    # before approval: the kinds of tasks nearby and how many, nothing more (issue #14)
    kinds = volunteers.nearby_task_kinds(_user()) if profile is not None and profile.status == "pending" else []
    return render_template(
        "matching/tasks.html",
        tasks=task_list,
        profile=profile,
        kinds=kinds,
        intake_days=volunteers.intake_working_days(),
    )


@bp.route("/vrijwilliger/klussen/<int:request_id>")
@login_required
def task(request_id):
    """One task; the address and phone only after the volunteer's match is accepted."""
    view = volunteers.task_for_volunteer(request_id, current_user)
    return render_template(
        "matching/task.html",
        task=view,
        form=InterestForm(formdata=None),
        confirm=ConfirmForm(formdata=None),
        cancel_form=CancelForm(formdata=None),
    )


@bp.route("/vrijwilliger/klussen/<int:request_id>/helpen", methods=["POST"])
@login_required
def offer_help(request_id):
    """ "Ik wil helpen": tell the broker."""
    form = InterestForm()
    if form.validate():
        try:
            volunteers.register_interest(request_id, current_user, form.message.data or "")
        except ValidationError as error:
            flash(error.message, "error")
        else:
            flash(_("Dank u wel. De sociaal makelaar weet nu dat u wilt helpen en neemt contact met u op."), "success")
    else:
        flash(" ".join(message for _field, message in form.error_list), "error")
    return redirect(url_for("matching.task", request_id=request_id), code=303)


@bp.route("/vrijwilliger/mijn-taken")
@login_required
def my_tasks():
    """Offers to answer, accepted tasks, and feedback after the date."""
    profile, groups = volunteers.my_tasks(_user())
    return render_template(
        "matching/my_tasks.html", profile=profile, groups=groups, cancel_form=CancelForm(formdata=None)
    )


def _answer(action, match_id, done_message, after=None):
    """Run a volunteer's answer to a match (accept, decline, cancel); then the task list (or `after(match)`)."""
    form = CancelForm()
    done_url = None
    if form.validate():
        try:
            match = action(match_id, form.reason.data or "")
        except ValidationError as error:
            flash(error.message, "error")
        else:
            flash(done_message, "success")
            done_url = after(match) if after else None
    else:
        flash(" ".join(message for _field, message in form.error_list), "error")
    return redirect(done_url or url_for("matching.my_tasks"), code=303)


@bp.route("/vrijwilliger/koppeling/<int:match_id>/accepteren", methods=["POST"])
@login_required
def accept(match_id):
    return _answer(
        lambda mid, _reason: booking.accept_match(mid, _user()),
        match_id,
        _("U heeft de taak aangenomen. U ziet nu het adres en hoe u de contactpersoon bereikt."),
        after=lambda match: url_for("matching.task", request_id=match.request_id),
    )


@bp.route("/vrijwilliger/koppeling/<int:match_id>/weigeren", methods=["POST"])
@login_required
def decline(match_id):
    return _answer(
        lambda mid, reason: booking.decline_match(mid, _user(), reason),
        match_id,
        _("U heeft de taak geweigerd. De sociaal makelaar zoekt iemand anders."),
    )


@bp.route("/vrijwilliger/koppeling/<int:match_id>/annuleren", methods=["POST"])
@login_required
def volunteer_cancel(match_id):
    return _answer(
        lambda mid, reason: booking.cancel_match(mid, _user(), reason, by_role="volunteer"),
        match_id,
        _("U heeft afgezegd. De aanvrager en de sociaal makelaar horen het."),
    )


@bp.route("/vrijwilliger/koppeling/<int:match_id>/terugkoppeling", methods=["GET", "POST"])
@login_required
def volunteer_feedback(match_id):
    """ "Is het doorgegaan?" for the volunteer, in the app."""
    match = queries.load_match(match_id)
    if match.volunteer is None or match.volunteer.user_id != current_user.id:
        raise NotFound(f"match {match_id}")
    return _feedback_page(
        FeedbackForm(),
        match,
        lambda values: lifecycle.save_feedback(
            match.id, "volunteer", values["happened"], values["rating"], values["comment"], by=_user()
        ),
        url_for("matching.my_tasks"),
        "volunteer",
    )


# --- links from e-mails (no login needed: the signed token stands for the person) ---------------


@bp.route("/koppeling/<token>", methods=["GET", "POST"])
def match_link(token):
    """Accept or decline an offered task from the e-mail."""
    try:
        match = booking.match_for_token(token)
    except NotFound:
        return render_template("matching/link_invalid.html"), 400
    form = DeclineForm()
    if request.method == "POST" and form.validate():
        decision = request.form.get("decision")
        try:
            if decision == "accept":
                booking.accept_match_by_token(token)
                flash(_("U heeft de taak aangenomen. U krijgt een e-mail met het adres."), "success")
            elif decision == "decline":
                booking.decline_match_by_token(token, form.reason.data or "")
                flash(_("U heeft de taak geweigerd. De sociaal makelaar zoekt iemand anders."), "success")
        except ValidationError as error:
            form.add_error(error.field, error.message)
        else:
            return redirect(url_for("matching.match_link", token=token), code=303)
    return render_template(
        "matching/match_link.html", match=match, task=volunteers.task_of_match(match), form=form, token=token
    ), (400 if form.error_list else 200)


@bp.route("/terugkoppeling/<token>", methods=["GET", "POST"])
def feedback_link(token):
    """One-click "Is het doorgegaan?" from the e-mail (the link may carry ?doorgegaan=ja)."""
    try:
        match, role = lifecycle.feedback_for_token(token)
    except NotFound:
        return render_template("matching/link_invalid.html"), 400
    form = FeedbackForm()
    if request.method == "GET" and request.args.get("doorgegaan") in ("ja", "nee"):
        form.happened.data = "yes" if request.args["doorgegaan"] == "ja" else "no"
    return _feedback_page(
        form,
        match,
        lambda values: lifecycle.save_feedback(
            match.id, role, values["happened"], values["rating"], values["comment"], token=token
        ),
        url_for("matching.feedback_thanks"),
        role,
    )


@bp.route("/terugkoppeling/bedankt")
def feedback_thanks():
    return render_template("matching/feedback_thanks.html")
