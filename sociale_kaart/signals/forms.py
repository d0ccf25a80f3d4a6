"""Signal forms (issue #15): shape and format only; the rules live in services."""

from flask_babel import lazy_gettext as _l
from wtforms import RadioField, StringField, TextAreaField
from wtforms.validators import InputRequired, Length, StopValidation

from .. import params
from ..forms import EMAIL, PHONE, BaseForm, CheckboxesField, ChoiceSelectField
from .models import THEMES
from .services import LIMITS, MAX_NOTE, MAX_TEXT, missing_parts
from .vocabularies import OUTCOME_LABELS, STATUS_LABELS, THEME_LABELS


def _length(limit):
    return Length(max=limit, message=_l("Schrijf hoogstens %(max)d tekens.", max=limit))


def _text(value):
    return (value or "").strip()


class ChoiceRadioField(RadioField):
    """Radio buttons whose unknown value gets a Dutch message; empty is allowed unless the form says otherwise."""

    def __init__(self, label=None, validators=None, **kwargs):
        super().__init__(label, validators, validate_choice=False, **kwargs)

    def pre_validate(self, form):
        if self.data not in (None, "", "None") and self.data not in {value for value, _label in self.choices or ()}:
            raise StopValidation(str(_l("Kies alleen uit de lijst.")))


MUNICIPALITY_CHOICE = "gemeente:"  # the value of "somewhere else in municipality X" (issue #20)


class SignalForm(BaseForm):
    """ "Zorgen over iemand?": what you noticed, about whom, how to reach you (all but one part optional)."""

    themes = CheckboxesField(_l("Waar maakt u zich zorgen over?"), choices=[])
    description = TextAreaField(_l("Vertel wat u zag of hoorde (niet verplicht)"), validators=[_length(MAX_TEXT)])
    subject_name = StringField(_l("Voornaam of omschrijving"), validators=[_length(LIMITS["subject_name"])])
    subject_address = StringField(_l("Straat of buurt"), validators=[_length(LIMITS["subject_address"])])
    area_id = ChoiceSelectField(_l("Dorp"), choices=[])
    reporter_name = StringField(_l("Uw naam"), validators=[_length(LIMITS["reporter_name"])])
    reporter_email = StringField(_l("Uw e-mailadres"), validators=[_length(LIMITS["reporter_email"]), EMAIL])
    reporter_phone = StringField(_l("Uw telefoonnummer"), validators=[_length(LIMITS["reporter_phone"]), PHONE])
    # A honeypot: people never see or fill it; bots that fill every field are ignored.
    website = StringField(_l("Laat dit veld leeg"))

    def __init__(self, *args, areas=(), municipalities=(), **kwargs):
        """areas: the Area rows to choose from; municipalities: (code, name) of a region's municipalities, each
        offered as "somewhere else in ..." for a resident who does not know the village (issue #20)."""
        super().__init__(*args, **kwargs)
        self.themes.choices = [(code, str(THEME_LABELS[code])) for code in THEMES]
        names = dict(municipalities)
        self.area_id.choices = [
            ("", str(_l("Weet ik niet"))),
            *(
                (str(area.id), f"{area.name} ({names[area.municipality_code]})" if names else area.name)
                for area in areas
                if not names or area.municipality_code in names
            ),
            *(
                (MUNICIPALITY_CHOICE + code, str(_l("Ergens anders in gemeente %(name)s", name=name)))
                for code, name in municipalities
            ),
        ]

    def is_spam(self):
        """Return True when the hidden field was filled in (by a bot)."""
        return bool(_text(self.website.data))

    def validate(self, extra_validators=None):
        """Check the fields, then say at once every part that is missing (services.missing_parts)."""
        valid = super().validate(extra_validators)
        for name, message in missing_parts(self.values()):
            if not self[name].errors:
                self[name].errors = [*self[name].errors, message]
                valid = False
        return valid

    def values(self):
        """Return the values services.submit_signal takes."""
        values = {
            name: _text(self[name].data)
            for name in (
                "description",
                "subject_name",
                "subject_address",
                "reporter_name",
                "reporter_email",
                "reporter_phone",
            )
        }
        values["themes"] = list(self.themes.data or [])
        chosen = self.area_id.data or ""
        if chosen.startswith(MUNICIPALITY_CHOICE):
            values["area_id"], values["municipality_code"] = None, chosen.removeprefix(MUNICIPALITY_CHOICE)
        else:
            values["area_id"] = params.parse_id(chosen)
        return values


class StatusForm(BaseForm):
    """The next step of a signal; closing asks how it ended."""

    status = ChoiceRadioField(
        _l("Wat is de nieuwe status?"), choices=[], validators=[InputRequired(message=_l("Kies een volgende stap."))]
    )
    outcome = ChoiceRadioField(_l("Hoe is het afgelopen? (bij afsluiten)"), choices=[])
    note = TextAreaField(_l("Notitie (niet verplicht)"), validators=[_length(MAX_NOTE)])

    def __init__(self, *args, statuses=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.status.choices = [(code, str(STATUS_LABELS[code])) for code in statuses]
        self.outcome.choices = [(code, str(label)) for code, label in OUTCOME_LABELS.items()]

    def validate(self, extra_validators=None):
        valid = super().validate(extra_validators)
        if self.status.data == "closed" and not self.outcome.data and not self.outcome.errors:
            self.outcome.errors = [*self.outcome.errors, str(_l("Kies hoe het is afgelopen."))]
            valid = False
        return valid


class NoteForm(BaseForm):
    """A note in a signal's history."""

    note = TextAreaField(
        _l("Notitie"), validators=[InputRequired(message=_l("Schrijf een notitie.")), _length(MAX_NOTE)]
    )
