"""Account pages: log in and out, register, confirm, reset password, profile."""

import hashlib

from flask import Blueprint, current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_babel import refresh
from flask_login import current_user, login_required, login_user, logout_user

from ..errors import ValidationError
from ..extensions import limiter
from ..urls import safe_next
from . import services, sessions
from .forms import (
    ChangeEmailForm,
    ChangePasswordForm,
    ConfirmForm,
    EmailOnlyForm,
    LoginForm,
    NewPasswordForm,
    ProfileForm,
    RegisterForm,
)

bp = Blueprint("accounts", __name__)


def _login_limit():
    return current_app.config["LOGIN_RATE_LIMIT"]


def _form_limit():
    return current_app.config["FORM_RATE_LIMIT"]


def _submitted_email():
    # hashed: the rate-limit store (Redis) never holds the address, nor what else was typed
    email = services.normalize_email(request.form.get("email", ""))
    return "login-email:" + hashlib.sha256(email.encode("utf-8", "replace")).hexdigest()[:32]


def _failed(response):
    """Count a login attempt against the limits unless it logged someone in (a redirect)."""
    return response.status_code != 302


def _start_session(user, remember=False):
    """Log a user in on a fresh session and login session (no session fixation), in their language.

    A language the visitor chose in the header just before becomes the account's; else the account's is used."""
    chosen = sessions.chosen_language()
    services.end_session(current_user.get_id())  # this browser's earlier login, if any
    session.clear()
    services.start_session(user, language=chosen)
    login_user(user, remember=remember, duration=services.session_lifetime(user))
    sessions.keep_language(user.language)


def _end_session():
    """Log out on this browser: its login session ends, so a copy of its cookies stops working too."""
    services.end_session(current_user.get_id())
    logout_user()


def _remembered():
    return current_app.config.get("REMEMBER_COOKIE_NAME", "remember_token") in request.cookies


@bp.after_app_request
def _time_out_notice(response):
    return sessions.add_time_out_notice(response, url_for("accounts.login"))


@bp.app_template_global()
def has_endpoint(name):
    """Return True when the app has this endpoint (a page of another capability may be absent)."""
    return name in current_app.view_functions


# Where each role starts after logging in (issue #14), most responsible role first: a broker who also
# volunteers starts at the help queue. Endpoints by name: accounts imports no capability above it.
LANDINGS = (
    ("admin", "admin.users"),
    ("broker", "broker.queue"),
    ("policy", "insights.analysis"),
    ("editor", "workspace.home"),
    ("volunteer", "matching.my_tasks"),
    ("resident", "matching.my_requests"),
)


@bp.app_template_global()
def landing_url(user) -> str:
    """Return the start page of a user's main role (the account page when no capability has one)."""
    for role, endpoint in LANDINGS:
        if user.has_role(role) and has_endpoint(endpoint):
            return url_for(endpoint)
    return url_for("accounts.profile")


def _home():
    return landing_url(current_user)


@bp.route("/inloggen", methods=["GET", "POST"])
@limiter.limit(_login_limit, methods=["POST"], deduct_when=_failed)
@limiter.limit(_login_limit, methods=["POST"], key_func=_submitted_email, deduct_when=_failed)
def login():
    form = LoginForm()
    if form.validate_on_submit():
        user = services.authenticate(form.email.data, form.password.data)
        if user is not None:
            _start_session(user, remember=form.remember.data)
            return redirect(safe_next(request.args.get("next")) or _home())
        form.add_error(None, _("E-mailadres of wachtwoord klopt niet."))
    return render_template("accounts/login.html", form=form), (400 if form.errors or form.form_errors else 200)


@bp.route("/uitloggen", methods=["POST"])
def logout():
    if ConfirmForm().validate_on_submit():
        language = sessions.request_language()
        _end_session()
        session.clear()
        sessions.keep_language(language)
        flash(_("U bent uitgelogd."), "info")
    return redirect(url_for("web.home"))


@bp.route("/registreren", methods=["GET", "POST"])
@limiter.limit(_form_limit, methods=["POST"])
def register():
    form = RegisterForm()
    if request.method == "GET":
        form.language.data = sessions.request_language()  # the language this visitor reads the site in
    if request.method == "GET" and request.args.get("rol") == "vrijwilliger":  # from matching's way in (issue #14)
        form.role.data = "volunteer"
    if form.validate_on_submit():
        try:
            services.register_user(
                form.email.data, form.name.data, form.password.data, language=form.language.data, role=form.role.data
            )
        except ValidationError as error:
            form.add_error(error.field, error.message)
        else:
            return redirect(url_for("accounts.registered"))
    return render_template("accounts/register.html", form=form), (400 if request.method == "POST" else 200)


@bp.route("/registreren/verstuurd")
def registered():
    return render_template("accounts/registered.html")


@bp.route("/bevestigen/<token>")
def confirm(token):
    user = services.confirm_email(token)
    if user is None:
        return render_template("accounts/link_invalid.html", resend=True), 400
    flash(_("Uw e-mailadres is bevestigd."), "success")
    return redirect(_home() if current_user.is_authenticated else url_for("accounts.login"))


@bp.route("/bevestiging-opnieuw", methods=["GET", "POST"])
@limiter.limit(_form_limit, methods=["POST"])
def resend_confirmation():
    form = EmailOnlyForm()
    if request.method == "GET" and current_user.is_authenticated:
        form.email.data = current_user.email
    if form.validate_on_submit():
        services.resend_confirmation(form.email.data)
        return render_template("accounts/check_mail.html", email=form.email.data)
    return render_template("accounts/resend.html", form=form), (400 if request.method == "POST" else 200)


@bp.route("/wachtwoord-vergeten", methods=["GET", "POST"])
@limiter.limit(_form_limit, methods=["POST"])
def forgot_password():
    form = EmailOnlyForm()
    if form.validate_on_submit():
        services.request_password_reset(form.email.data)
        return render_template("accounts/check_mail.html", email=form.email.data, reset=True)
    return render_template("accounts/forgot.html", form=form), (400 if request.method == "POST" else 200)


@bp.route("/wachtwoord-herstellen/<token>", methods=["GET", "POST"])
def reset_password(token):
    if services.user_for_reset_token(token) is None:
        return render_template("accounts/link_invalid.html", reset=True), 400
    form = NewPasswordForm()
    if form.validate_on_submit():
        try:
            services.reset_password(token, form.password.data)
        except ValidationError as error:
            form.add_error(error.field, error.message)
        else:
            _end_session()
            flash(_("Uw wachtwoord is veranderd. Log in met uw nieuwe wachtwoord."), "success")
            return redirect(url_for("accounts.login"))
    return render_template("accounts/reset.html", form=form), (400 if request.method == "POST" else 200)


@bp.route("/account", methods=["GET", "POST"])
@login_required
def profile():
    form = ProfileForm(obj=current_user)
    if form.validate_on_submit():
        services.update_profile(current_user, form.name.data, form.language.data, by=current_user)
        sessions.keep_language(current_user.language)
        refresh()  # the notice below in the language just saved
        flash(_("Uw gegevens zijn opgeslagen."), "success")
        return redirect(url_for("accounts.profile"))
    return render_template("accounts/profile.html", form=form), (400 if request.method == "POST" else 200)


@bp.route("/account/wachtwoord", methods=["GET", "POST"])
@login_required
def change_password():
    form = ChangePasswordForm()
    if form.validate_on_submit():
        try:
            services.change_password(current_user, form.current_password.data, form.new_password.data, by=current_user)
        except ValidationError as error:
            form.add_error(error.field, error.message)
        else:
            # every login session ended; this browser goes on in a new one
            _start_session(current_user._get_current_object(), remember=_remembered())
            flash(_("Uw wachtwoord is veranderd. U bent op andere apparaten uitgelogd."), "success")
            return redirect(url_for("accounts.profile"))
    return render_template("accounts/change_password.html", form=form), (400 if request.method == "POST" else 200)


@bp.route("/account/e-mail", methods=["GET", "POST"])
@login_required
def change_email():
    form = ChangeEmailForm()
    if form.validate_on_submit():
        try:
            services.request_email_change(current_user, form.email.data, form.current_password.data, by=current_user)
        except ValidationError as error:
            form.add_error(error.field, error.message)
        else:
            return render_template(
                "accounts/check_mail.html", email=services.normalize_email(form.email.data), change=True
            )
    return render_template("accounts/change_email.html", form=form), (400 if request.method == "POST" else 200)


@bp.route("/account/e-mail/<token>")
def confirm_email_change(token):
    user = services.confirm_email_change(token)
    if user is None:
        return render_template("accounts/link_invalid.html"), 400
    flash(_("Uw nieuwe e-mailadres is bevestigd."), "success")
    return redirect(url_for("accounts.profile") if current_user.is_authenticated else url_for("accounts.login"))


@bp.route("/account/overal-uitloggen", methods=["POST"])
@login_required
def logout_everywhere():
    if ConfirmForm().validate_on_submit():
        services.logout_everywhere(by=current_user)
        logout_user()
        flash(_("U bent op alle apparaten uitgelogd."), "info")
    return redirect(url_for("accounts.login"))


@bp.route("/welkom/<token>", methods=["GET", "POST"])
def welcome(token):
    """Set the first password after an admin's invitation."""
    person = services.user_for_invitation_token(token)
    if person is None:
        return render_template("accounts/link_invalid.html", reset=True), 400
    form = NewPasswordForm()
    if form.validate_on_submit():
        try:
            services.accept_invitation(token, form.password.data)
        except ValidationError as error:
            form.add_error(error.field, error.message)
        else:
            _end_session()
            flash(_("Uw wachtwoord is ingesteld. Log nu in."), "success")
            return redirect(url_for("accounts.login"))
    return render_template("accounts/welcome.html", form=form, person=person), (
        400 if request.method == "POST" else 200
    )
