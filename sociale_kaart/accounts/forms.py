"""Account forms: shape checks only; the password policy and database rules live in services."""

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, EmailField, PasswordField, RadioField, SelectChoice, SelectField, StringField
from wtforms.validators import EqualTo, InputRequired, Length

from ..forms import BaseForm, format_check
from ..params import valid_email

EMAIL_MESSAGE = _l("Dit e-mailadres klopt niet. Een e-mailadres ziet eruit als naam@voorbeeld.nl.")
LANGUAGE_CHOICES = [SelectChoice("nl", "Nederlands"), SelectChoice("en", "English")]


def _email_field(label=None):
    return EmailField(
        label or _l("E-mailadres"),
        validators=[
            InputRequired(message=_l("Vul uw e-mailadres in.")),
            Length(max=254, message=_l("Een e-mailadres heeft hoogstens %(max)d tekens.")),
            format_check(valid_email, EMAIL_MESSAGE),
        ],
    )


def _new_password_fields(label):
    password = PasswordField(
        label,
        validators=[
            InputRequired(message=_l("Kies een wachtwoord.")),
            Length(max=200, message=_l("Een wachtwoord heeft hoogstens %(max)d tekens.")),
        ],
    )
    again = PasswordField(
        _l("Wachtwoord nog een keer"),
        validators=[
            InputRequired(message=_l("Typ het wachtwoord nog een keer.")),
            EqualTo("password", message=_l("De twee wachtwoorden zijn niet hetzelfde.")),
        ],
    )
    return password, again


class LoginForm(BaseForm):
    email = _email_field()
    password = PasswordField(
        _l("Wachtwoord"), validators=[InputRequired(message=_l("Vul uw wachtwoord in.")), Length(max=200)]
    )
    remember = BooleanField(_l("Ingelogd blijven op dit apparaat"))


class RegisterForm(BaseForm):
    email = _email_field()
    name = StringField(
        _l("Uw naam"),
        validators=[
            InputRequired(message=_l("Vul uw naam in.")),
            Length(max=120, message=_l("Een naam heeft hoogstens %(max)d tekens.")),
        ],
    )
    password, password_again = _new_password_fields(_l("Wachtwoord"))
    role = RadioField(
        _l("Wat wilt u doen?"),
        choices=[
            SelectChoice("resident", _l("Hulp zoeken of vragen voor mijzelf of iemand anders")),
            SelectChoice("volunteer", _l("Vrijwilliger worden en anderen helpen")),
            SelectChoice("editor", _l("Ik wil de gegevens van mijn organisatie bijhouden")),
        ],
        default="resident",
        validators=[InputRequired(message=_l("Kies wat u wilt doen."))],
    )
    language = SelectField(_l("Taal van de website en e-mails"), choices=LANGUAGE_CHOICES, default="nl")


class EmailOnlyForm(BaseForm):
    """Forgot password, resend confirmation: one e-mail address."""

    email = _email_field()


class NewPasswordForm(BaseForm):
    """Set a password through a reset or welcome link."""

    password, password_again = _new_password_fields(_l("Nieuw wachtwoord"))


class ProfileForm(BaseForm):
    name = StringField(
        _l("Uw naam"),
        validators=[
            InputRequired(message=_l("Vul uw naam in.")),
            Length(max=120, message=_l("Een naam heeft hoogstens %(max)d tekens.")),
        ],
    )
    language = SelectField(_l("Taal van de website en e-mails"), choices=LANGUAGE_CHOICES)


class ChangePasswordForm(BaseForm):
    current_password = PasswordField(
        _l("Huidig wachtwoord"),
        validators=[InputRequired(message=_l("Vul uw huidige wachtwoord in.")), Length(max=200)],
    )
    new_password = PasswordField(
        _l("Nieuw wachtwoord"),
        validators=[
            InputRequired(message=_l("Kies een nieuw wachtwoord.")),
            Length(max=200, message=_l("Een wachtwoord heeft hoogstens %(max)d tekens.")),
        ],
    )
    new_password_again = PasswordField(
        _l("Nieuw wachtwoord nog een keer"),
        validators=[
            InputRequired(message=_l("Typ het nieuwe wachtwoord nog een keer.")),
            EqualTo("new_password", message=_l("De twee wachtwoorden zijn niet hetzelfde.")),
        ],
    )


class ChangeEmailForm(BaseForm):
    email = _email_field(_l("Nieuw e-mailadres"))
    current_password = PasswordField(
        _l("Huidig wachtwoord"),
        validators=[InputRequired(message=_l("Vul uw huidige wachtwoord in.")), Length(max=200)],
    )


class ConfirmForm(BaseForm):
    """A form with only a button and the CSRF token (log out, log out everywhere)."""
