"""Base form: WTForms with CSRF (Flask-WTF) and a way to add a service error to a field; shared fields."""

from babel.support import NullTranslations, Translations
from flask import current_app, has_request_context, request
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.form import SUBMIT_METHODS as SENT_METHODS
from flask_wtf.form import _Auto as _AUTO  # the default of FlaskForm(formdata=...): read the request
from wtforms import SelectChoice, SelectField, SelectMultipleField, TextAreaField, widgets
from wtforms.i18n import messages_path
from wtforms.validators import StopValidation
from wtforms.validators import ValidationError as FieldError

from .geo import normal_postcode
from .params import has_control_characters, valid_email, valid_house_number, valid_phone, without_control_characters

CONTROL_CHARACTER_MESSAGE = _l(
    "Hier stond een teken dat niet mag, misschien een onzichtbaar teken. "
    "We hebben het weggehaald. Kijk of de tekst klopt."
)


_WTFORMS_TRANSLATIONS = "sociale_kaart.wtforms_translations"  # app.extensions: language -> Translations


def wtforms_translations() -> NullTranslations:
    """Return WTForms' own messages in the user's language, read from its catalogue once per process (#17).

    Flask-WTF reads and parses that catalogue again for every request that makes a form."""
    language = str(get_locale() or "nl")
    known: dict[str, NullTranslations] = current_app.extensions.setdefault(_WTFORMS_TRANSLATIONS, {})
    if language not in known:
        known[language] = Translations.load(messages_path(), [language], domain="wtforms")
    return known[language]


class BaseForm(FlaskForm):
    """A form whose errors a service can add to after validation; no field takes control characters."""

    class Meta:
        def get_translations(self, form):
            return wtforms_translations()

        def wrap_formdata(self, form, formdata):
            """Read a sent form from its fields only. No page of this site takes a file or a JSON body, and
            Flask-WTF would pass those on as the fields' values: a number, a list, a 5,000-deep array or an
            uploaded file where text is read gave a 500 (found by sending every route hostile bodies)."""
            if formdata is not _AUTO:
                return formdata
            # a post without form fields is an empty form, not "no form" (which fills the fields from the object: a
            # JSON body approved a listing's change as it stood)
            return request.form if has_request_context() and request.method in SENT_METHODS else None

    def validate(self, extra_validators=None):
        """Validate every field; a value with a control character is refused, on every database (issue #12)."""
        valid = super().validate(extra_validators)
        for field in self:
            multiline = isinstance(field, TextAreaField)
            if any(has_control_characters(value, multiline) for value in field.raw_data or ()):
                # refused, and shown again without them: the page never echoes a control character
                field.raw_data = [without_control_characters(value, multiline) for value in field.raw_data]
                if isinstance(field.data, str):
                    field.data = without_control_characters(field.data, multiline)
                field.errors = [str(CONTROL_CHARACTER_MESSAGE)]
                valid = False
        return valid

    def add_error(self, field_name, message):
        """Attach a message to a field, or to the form when the field is unknown."""
        field = self._fields.get(field_name)
        if field is None:
            self.form_errors.append(message)
        else:
            field.errors = [*field.errors, message]

    @property
    def error_list(self):
        """Return (field id or None, message) pairs for an error summary."""
        pairs = [(None, str(message)) for message in self.form_errors]
        for field in self:
            # str(): a validator's message may be a lazy string, which " ".join() refuses (issue #12)
            pairs.extend((field.id, str(message)) for message in field.errors)
        return pairs


class SearchBaseForm(BaseForm):
    """A GET form: no CSRF token, values read from the query string."""

    class Meta:
        csrf = False


def choice_values(choices):
    """Return the values of a field's choices, given as (value, label) pairs or SelectChoice objects."""
    return {choice.value if isinstance(choice, SelectChoice) else choice[0] for choice in choices or ()}


class ChoiceSelectField(SelectField):
    """A select whose unknown value (also an empty or blank one not in the list) gets a Dutch message."""

    def pre_validate(self, form):
        if self.data not in choice_values(self.choices):
            raise StopValidation(str(_l("Kies alleen uit de lijst.")))


class CheckboxesField(SelectMultipleField):
    """A group of checkboxes; an unknown value gets a Dutch message."""

    widget = widgets.ListWidget(prefix_label=False)
    option_widget = widgets.CheckboxInput()

    def pre_validate(self, form):
        known = {str(value) for value in choice_values(self.choices)}
        if any(str(value) not in known for value in self.data or ()):
            raise StopValidation(str(_l("Kies alleen uit de lijst.")))


def format_check(check, message):
    """Return a WTForms validator: a filled-in value must pass check(value), else the message."""

    def validator(form, field):
        if field.data and field.data.strip() and not check(field.data.strip()):
            raise FieldError(str(message))

    return validator


# The format checks of every form (issue #13): the rules live in params (phone, e-mail, house number) and geo
# (postcode).
PHONE = format_check(valid_phone, _l("Typ een telefoonnummer van 10 cijfers, zoals 0343 123 456, of met +31."))
EMAIL = format_check(valid_email, _l("Typ een e-mailadres zoals naam@voorbeeld.nl."))
POSTCODE = format_check(normal_postcode, _l("Typ een postcode als 1234 AB."))
HOUSE_NUMBER = format_check(valid_house_number, _l("Typ een huisnummer zoals 12 of 12a."))
