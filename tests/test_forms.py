"""sociale_kaart.forms: the shared form base (issue #12: control characters are refused in every field)."""

import pytest
from flask_babel import lazy_gettext as _l
from werkzeug.datastructures import MultiDict
from wtforms import HiddenField, PasswordField, SelectChoice, StringField, TextAreaField
from wtforms.validators import InputRequired

from sociale_kaart.forms import BaseForm, ChoiceSelectField, SearchBaseForm


class NoteForm(SearchBaseForm):
    name = StringField()
    note = TextAreaField()
    secret = PasswordField()
    kind = HiddenField()
    size = ChoiceSelectField(choices=[SelectChoice("", "Geen"), SelectChoice("s", "Klein")], default="")


@pytest.mark.parametrize(
    "field, value",
    [
        ("name", "Anna\x00"),
        ("name", "Anna\tde Vries"),
        ("name", "Anna\nde Vries"),
        ("name", "\x85Anna"),
        ("note", "regel\x00"),
        ("note", "regel\x1b[31m"),
        ("note", "regel\x7f"),
        ("secret", "geheim\x00"),
        ("kind", "\x01"),
        ("size", "s\x00"),
    ],
)
def test_a_control_character_is_a_field_error(app, field, value):
    with app.test_request_context():
        form = NoteForm(MultiDict({field: value}))
        assert not form.validate()
        assert form[field].errors == [
            "Hier stond een teken dat niet mag, misschien een onzichtbaar teken. "
            "We hebben het weggehaald. Kijk of de tekst klopt."
        ]


def test_lines_and_tabs_are_fine_in_a_text_area(app):
    with app.test_request_context():
        form = NoteForm(MultiDict({"name": "Anna de Vries\u2028", "note": "regel 1\r\n\tregel 2\n"}))
        assert form.validate(), form.errors


def test_a_value_that_did_not_come_from_outside_is_not_checked(app):
    with app.test_request_context():
        form = NoteForm(formdata=None, data={"name": "oud\x00"})
        assert form.validate()


class RequiredForm(BaseForm):
    class Meta:
        csrf = False

    name = StringField(validators=[InputRequired(message=_l("Vul uw naam in."))])


def test_the_error_list_holds_plain_strings(app):
    """A lazy message in " ".join() gave the broker's phone feedback a 500 (issue #12)."""
    with app.test_request_context():
        form = RequiredForm(MultiDict())
        assert not form.validate()
        assert form.error_list == [("name", "Vul uw naam in.")]
        assert all(type(message) is str for _field, message in form.error_list)


def test_a_refused_value_is_shown_again_without_its_control_characters(app):
    with app.test_request_context():
        form = NoteForm(MultiDict({"name": "Anna\x00 de Vries", "note": "regel\x1b 1\r\nregel 2"}))
        assert not form.validate()
        assert form.name.data == "Anna de Vries" and 'value="Anna de Vries"' in form.name()
        assert form.note.data == "regel 1\r\nregel 2"
