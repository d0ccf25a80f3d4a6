"""Base form: WTForms with CSRF (Flask-WTF) and a way to add a service error to a field; shared fields."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectMultipleField, widgets
from wtforms.validators import StopValidation
from wtforms.validators import ValidationError as FieldError


class BaseForm(FlaskForm):
    """A form whose errors a service can add to after validation."""

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
        pairs = [(None, message) for message in self.form_errors]
        for field in self:
            pairs.extend((field.id, message) for message in field.errors)
        return pairs


class SearchBaseForm(BaseForm):
    """A GET form: no CSRF token, values read from the query string."""

    class Meta:
        csrf = False


class CheckboxesField(SelectMultipleField):
    """A group of checkboxes; an unknown value gets a Dutch message."""

    widget = widgets.ListWidget(prefix_label=False)
    option_widget = widgets.CheckboxInput()

    def pre_validate(self, form):
        known = {str(value) for value, _label in self.choices or ()}
        if any(str(value) not in known for value in self.data or ()):
            raise StopValidation(str(_l("Kies alleen uit de lijst.")))


def format_check(check, message):
    """Return a WTForms validator: a filled-in value must pass check(value), else the message."""
    def validator(form, field):
        if field.data and field.data.strip() and not check(field.data.strip()):
            raise FieldError(str(message))
    return validator
