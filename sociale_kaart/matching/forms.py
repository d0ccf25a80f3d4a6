"""Matching forms (issue #4): shape and format checks only; rules that need the database live in services.

RequestForm is shared: residents use it on /hulp-vragen, brokers for a phone intake and for
editing (broker_views). Field names are the keys requests.submit_request takes; values()
returns that dict.
"""

from dataclasses import dataclass
from datetime import datetime

from flask_babel import format_date, format_decimal, ngettext
from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    DateField,
    PasswordField,
    RadioField,
    SelectField,
    StringField,
    TextAreaField,
    TimeField,
)
from wtforms.validators import InputRequired, Length, Optional, StopValidation
from wtforms.validators import ValidationError as FieldError

from .. import clock, params
from ..errors import ValidationError
from ..forms import EMAIL, HOUSE_NUMBER, PHONE, POSTCODE, BaseForm, CheckboxesField, ChoiceSelectField
from ..geo import normal_postcode
from . import requests, timeslots, vocabularies, volunteers

MAX_TEXT = 2000
MAX_SUMMARY = 500
DURATIONS = (30, 45, 60, 90, 120, 150, 180, 240, 300, 360, 480)
MIN_WEEKS, MAX_WEEKS = 2, 26
MIN_KM, MAX_KM = 0.5, 50


# --- fields ---------------------------------------------------------------------------------------


class RadiosField(RadioField):
    """A group of radio buttons that must have a choice (or may stay empty when optional)."""

    def __init__(self, label=None, required_message=None, optional=False, **kwargs):
        super().__init__(label, **kwargs)
        self.required_message = required_message
        self.optional = optional

    def process_formdata(self, valuelist):
        if valuelist and valuelist[0] == "" and self.optional:
            self.data = None
            return
        super().process_formdata(valuelist)

    def pre_validate(self, form):
        if self.optional and self.data in (None, ""):
            return
        if self.data not in {value for value, _label in self.choices or ()}:
            raise StopValidation(str(self.required_message or _l("Maak een keuze.")))


class NumberSelectField(SelectField):
    """A select of whole numbers whose unknown value gets a Dutch message."""

    def __init__(self, label=None, validators=None, **kwargs):
        super().__init__(label, validators, coerce=params.whole_number, **kwargs)  # ASCII digits only (#12)

    def process_formdata(self, valuelist):
        try:
            super().process_formdata(valuelist)
        except ValueError:
            self.data = None
            raise ValueError(str(_l("Kies alleen uit de lijst."))) from None

    def pre_validate(self, form):
        if self.errors:
            raise StopValidation()
        if self.data not in {value for value, _label in self.choices or ()}:
            raise StopValidation(str(_l("Kies alleen uit de lijst.")))


class _TypedMoment:
    """A date or time field (mixed in before DateField or TimeField) that accepts any of `formats`,
    ignores spaces around what was typed and reads an empty answer as None, not an error."""

    formats: tuple[str, ...] = ()
    invalid_message: object = None

    def __init__(self, label=None, validators=None, **kwargs):
        super().__init__(  # type: ignore[call-arg]
            label, validators, format=list(self.formats), invalid_value_message=self.invalid_message, **kwargs
        )

    def process_formdata(self, valuelist):
        if valuelist and not "".join(valuelist).strip():
            self.data = None
            return
        super().process_formdata([value.strip() for value in valuelist or ()])  # type: ignore[misc]


class LocalDateField(_TypedMoment, DateField):
    """A date as 2026-03-17 (what a date input sends) or 17-03-2026; empty is None, not an error."""

    formats = ("%Y-%m-%d", "%d-%m-%Y", "%d/%m/%Y")
    invalid_message = _l("Typ een datum als dd-mm-jjjj, bijvoorbeeld 17-03-2027.")


class LocalTimeField(_TypedMoment, TimeField):
    """A time as 13:00 (what a time input sends) or 13.00; empty is None, not an error."""

    formats = ("%H:%M", "%H.%M", "%H:%M:%S")
    invalid_message = _l("Typ een tijd als uu:mm, bijvoorbeeld 13:30.")


def _required(message):
    """Like InputRequired, for fields whose empty value is None (dates, times); a period needs neither."""

    def validator(form, field):
        if field.errors:  # typed but not a date or time: that message says enough
            raise StopValidation()
        if getattr(form, "is_period", lambda: False)():
            raise StopValidation()  # no date or time asked: no error either
        if field.data is None:
            raise StopValidation(str(message))

    return validator


def _length(limit, name):
    return Length(max=limit, message=_l("Typ bij %(field)s hoogstens %(max)d tekens.", field=name, max=limit))


def _text(value):
    return (value or "").strip()


def _number(text):
    """Return a float of '2,5' or '2.5', or None."""
    return params.parse_decimal((text or "").strip(), float("-inf"), float("inf"))


def _km_field(label, required):
    def validator(form, field):
        text = _text(field.data)
        if not text:
            if required:
                raise StopValidation(str(_l("Kies een afstand van 0,5 tot 50 km.")))
            return
        value = _number(text)
        if value is None or not (MIN_KM <= value <= MAX_KM):
            raise StopValidation(str(_l("Kies een afstand van 0,5 tot 50 km.")))

    return StringField(label, validators=[validator])


def _choices(mapping):
    return [(code, str(label)) for code, label in mapping.items()]


def duration_label(minutes):
    """Return '1,5 uur' or '45 minuten'."""
    if minutes < 60:
        return str(_l("%(count)d minuten", count=minutes))
    # "1,5 uur" in Dutch, "1.5 hours" in English: the number in the page's language
    hours = round(minutes / 60, 2)
    return str(ngettext("%(hours)s uur", "%(hours)s uur", 1 if hours == 1 else 2, hours=format_decimal(hours)))


# --- help request ---------------------------------------------------------------------------------

# The fields of requests.FIELDS whose form answer is the column's value as it is (a date, time, number, yes/no),
# and those the form converts both ways (or, like the page's language, does not ask); the rest are text.
_TYPED = ("first_date", "window_start", "window_end", "duration_minutes", "language_required", "same_volunteer")
_CONVERTED = ("weeks", "period_weeks", "skills_wanted", "max_km", "language")


class RequestForm(BaseForm):
    """A help request: what, for whom, when, where, contact. Residents, and brokers for a phone call."""

    task_type = RadiosField(
        _l("Waar heeft u hulp bij nodig?"), choices=[], required_message=_l("Kies waar u hulp bij nodig heeft.")
    )
    relation = RadiosField(
        _l("Voor wie is de hulp?"), choices=[], default="self", required_message=_l("Kies voor wie de hulp is.")
    )
    recipient_name = StringField(_l("Naam van wie de hulp krijgt"), validators=[_length(120, _l("naam"))])

    schedule_kind = RadiosField(
        _l("Op welke dag?"),
        choices=[],
        default="once",
        required_message=_l("Kies een vaste dag, geen vaste dag of elke week."),
    )
    first_date = LocalDateField(_l("Datum"), validators=[_required(_l("Vul de datum in."))])
    window_start = LocalTimeField(_l("Vanaf (tijd)"), validators=[_required(_l("Vul in vanaf hoe laat."))])
    window_end = LocalTimeField(_l("Tot (tijd)"), validators=[_required(_l("Vul in tot hoe laat."))])
    duration_minutes = NumberSelectField(_l("Hoe lang duurt de hulp?"), choices=[], default=60)
    weeks = StringField(_l("Hoeveel weken?"))
    # "Geen haast" (issue #14): a period and a time of day instead of a date and times
    period_weeks = RadiosField(
        _l("Binnen welke tijd?"), choices=[], default="2", required_message=_l("Kies binnen welke tijd.")
    )
    day_part = RadiosField(
        _l("Hoe laat het liefst?"), choices=[], default="any", required_message=_l("Kies hoe laat het liefst.")
    )

    street = StringField(
        _l("Straat"), validators=[InputRequired(message=_l("Vul de straat in.")), _length(120, _l("straat"))]
    )
    house_number = StringField(
        _l("Huisnummer"),
        validators=[InputRequired(message=_l("Vul het huisnummer in.")), _length(16, _l("huisnummer")), HOUSE_NUMBER],
    )
    postcode = StringField(_l("Postcode"), validators=[InputRequired(message=_l("Vul de postcode in.")), POSTCODE])

    contact_name = StringField(
        _l("Uw naam"), validators=[InputRequired(message=_l("Vul uw naam in.")), _length(120, _l("naam"))]
    )
    contact_email = StringField(_l("E-mailadres"), validators=[EMAIL, Length(max=254)])
    contact_phone = StringField(_l("Telefoonnummer"), validators=[PHONE, Length(max=32)])

    summary = TextAreaField(
        _l("Korte omschrijving voor de vrijwilliger"),
        validators=[
            InputRequired(message=_l("Schrijf kort wat de vrijwilliger gaat doen.")),
            _length(MAX_SUMMARY, _l("korte omschrijving")),
        ],
    )
    description = TextAreaField(
        _l("Toelichting voor de sociaal makelaar (niet verplicht)"), validators=[_length(MAX_TEXT, _l("toelichting"))]
    )

    urgency = RadiosField(
        _l("Hoe snel is de hulp nodig?"),
        choices=[],
        default="normal",
        required_message=_l("Kies hoe snel de hulp nodig is."),
    )
    preferred_language = ChoiceSelectField(_l("In welke taal praat u het liefst?"), choices=[], default="nl")
    language_required = BooleanField(_l("De vrijwilliger moet deze taal echt spreken"))
    skills_wanted = CheckboxesField(_l("Wat is fijn als de vrijwilliger kan? (niet verplicht)"), choices=[])
    same_volunteer = BooleanField(_l("Graag dezelfde vrijwilliger als de vorige keer"))
    max_km = _km_field(_l("Hoe ver mag de vrijwilliger hoogstens reizen? (km, niet verplicht)"), required=False)

    # A honeypot: people never see or fill it; bots that fill every field are ignored.
    website = StringField(_l("Laat dit veld leeg"))

    def __init__(self, *args, check_past=False, **kwargs):
        """check_past: refuse a first date before today (the public form; an edit may keep a past date)."""
        super().__init__(*args, **kwargs)
        self.check_past = check_past
        self.period_start = None  # a period starts today; an edit keeps the request's own start
        self.task_type.choices = [(code, str(task.label)) for code, task in vocabularies.TASK_TYPES.items()]
        self.relation.choices = _choices(vocabularies.RELATIONS)
        self.schedule_kind.choices = [
            ("once", str(_l("Eén keer, op een vaste dag"))),
            ("period", str(_l("Eén keer, geen vaste dag: ergens in de komende weken"))),
            ("series", str(_l("Elke week op dezelfde dag en tijd"))),
        ]
        self.period_weeks.choices = [(str(weeks), str(label)) for weeks, label in vocabularies.PERIOD_WEEKS.items()]
        self.day_part.choices = _choices(vocabularies.PERIOD_PARTS)
        self.urgency.choices = _choices(vocabularies.URGENCIES)
        self.preferred_language.choices = _choices(vocabularies.LANGUAGES)
        self.skills_wanted.choices = _choices(vocabularies.SKILLS)
        durations = list(DURATIONS)
        if isinstance(self.duration_minutes.data, int) and self.duration_minutes.data not in durations:
            durations = sorted({*durations, self.duration_minutes.data})
        self.duration_minutes.choices = [(minutes, duration_label(minutes)) for minutes in durations]
        if self.weeks.data is not None and not isinstance(self.weeks.data, str):
            self.weeks.data = str(self.weeks.data)

    def is_period(self):
        """Return True when the requester chose a period instead of a date ("geen haast")."""
        return self.schedule_kind.data == "period"

    def shown(self, name):
        """Return a field's answer as a person reads it on the check page: a choice's label, "Ja", a date."""
        field = self[name]
        data = field.data
        if isinstance(field, (RadioField, SelectField)) and not isinstance(field, CheckboxesField):
            labels = {str(value): label for value, label in field.choices or ()}
            return labels.get(str(data), "") if data not in (None, "") else ""
        if isinstance(field, CheckboxesField):
            labels = {str(value): label for value, label in field.choices or ()}
            return ", ".join(labels.get(str(value), str(value)) for value in data or ())
        if isinstance(field, BooleanField):
            return str(_l("Ja")) if data else str(_l("Nee"))
        if isinstance(field, DateField):
            return format_date(data, "EEEE d MMMM y") if data else ""
        if isinstance(field, TimeField):
            return data.strftime("%H:%M") if data else ""
        return _text(data)

    def task_types(self):
        """Return the task types (label, VOG, does, does not) in the order of the radio buttons."""
        return vocabularies.TASK_TYPES

    def preselect_task_type(self, code):
        """Tick the task type a link asks for (?taak=boodschappen, issue #11); an unknown code is ignored."""
        if isinstance(code, str) and code in vocabularies.TASK_TYPES:
            self.task_type.data = code

    def is_spam(self):
        """Return True when the hidden field was filled in (by a bot)."""
        return bool(_text(self.website.data))

    def validate(self, extra_validators=None):
        valid = super().validate(extra_validators)
        if (
            self.relation.data in ("carer", "other")
            and not _text(self.recipient_name.data)
            and not self.recipient_name.errors
        ):
            self.recipient_name.errors.append(str(_l("Vul de naam in van wie de hulp krijgt.")))
            valid = False
        if (
            not _text(self.contact_email.data)
            and not _text(self.contact_phone.data)
            and not self.contact_email.errors
            and not self.contact_phone.errors
        ):
            self.contact_email.errors.append(str(_l("Vul een e-mailadres of een telefoonnummer in.")))
            valid = False
        if (
            self.check_past
            and self.first_date.data
            and not self.first_date.errors
            and self.first_date.data < clock.today()
        ):
            self.first_date.errors.append(str(_l("Kies een datum vanaf vandaag.")))
            valid = False
        start, end = self.window_start.data, self.window_end.data
        if self.is_period():
            start, end = timeslots.PERIOD_PARTS.get(self.day_part.data or "", (None, None))
        if start and end and not self.window_end.errors:
            if end <= start:
                self.window_end.errors.append(str(_l("De eindtijd moet na de begintijd liggen.")))
                valid = False
            elif isinstance(self.duration_minutes.data, int) and not self.duration_minutes.errors:
                window = datetime.combine(datetime.min, end) - datetime.combine(datetime.min, start)
                if self.duration_minutes.data * 60 > window.total_seconds() and self.is_period():
                    self.duration_minutes.errors.append(
                        str(_l("Zo lang past niet in dit deel van de dag. Kies een kortere duur of 'maakt niet uit'."))
                    )
                    valid = False
                elif self.duration_minutes.data * 60 > window.total_seconds():
                    self.duration_minutes.errors.append(
                        str(
                            _l(
                                "De duur past niet tussen %(start)s en %(end)s. "
                                "Kies een kortere duur of een ruimere tijd.",
                                start=start.strftime("%H:%M"),
                                end=end.strftime("%H:%M"),
                            )
                        )
                    )
                    valid = False
        if self.schedule_kind.data == "series":
            if self.series_weeks() is None:
                self.weeks.errors = [*self.weeks.errors, str(_l("Kies 2 tot %(max)s weken.", max=MAX_WEEKS))]
                valid = False
        postcode = normal_postcode(_text(self.postcode.data))
        if postcode is not None and not self.postcode.errors:
            try:  # a postcode we do not know or do not serve is told at the "where" step, not after the last one
                requests.served_place(postcode)
            except ValidationError as error:
                self.postcode.errors = [*self.postcode.errors, error.message]
                valid = False
        return valid

    def series_weeks(self):
        """Return the number of weeks typed for a series (2 to 26), or None."""
        return params.parse_int(_text(self.weeks.data), MIN_WEEKS, MAX_WEEKS)

    def values(self):
        """Return the values requests.submit_request and update_request take."""
        values = {name: _text(self[name].data) for name in requests.FIELDS if name not in _CONVERTED + _TYPED}
        if values["relation"] == "self" and not values["recipient_name"]:
            values["recipient_name"] = values["contact_name"]
        values["postcode"] = normal_postcode(values["postcode"]) or values["postcode"]
        values["first_date"] = self.first_date.data
        values["window_start"] = self.window_start.data
        values["window_end"] = self.window_end.data
        values["period_weeks"] = None
        if self.is_period():  # one date, chosen in a period from today: requests.clean_schedule
            values["schedule_kind"] = "once"
            values["period_weeks"] = params.parse_int(self.period_weeks.data or "", 1, timeslots.MAX_PERIOD_WEEKS)
            values["first_date"] = self.period_start
            values["window_start"], values["window_end"] = timeslots.PERIOD_PARTS.get(
                self.day_part.data or "", (None, None)
            )
        values["duration_minutes"] = self.duration_minutes.data
        values["weeks"] = (self.series_weeks() or 1) if values["schedule_kind"] == "series" else 1
        values["language_required"] = bool(self.language_required.data)
        values["same_volunteer"] = bool(self.same_volunteer.data)
        values["skills_wanted"] = list(self.skills_wanted.data or [])
        values["max_km"] = _number(self.max_km.data) if _text(self.max_km.data) else None
        return values

    @staticmethod
    def initial(help_request):
        """Return form data for an existing request (for editing)."""
        data = {name: getattr(help_request, name) for name in requests.FIELDS if name not in _CONVERTED}
        if help_request.is_period:
            data["schedule_kind"] = "period"
            data["period_weeks"] = str(help_request.period_weeks)
            data["day_part"] = timeslots.period_part(help_request.window_start, help_request.window_end) or "any"
        data["skills_wanted"] = list(help_request.skills_wanted or [])
        data["weeks"] = str(help_request.weeks) if help_request.schedule_kind == "series" else ""
        data["max_km"] = f"{help_request.max_km:g}".replace(".", ",") if help_request.max_km else ""
        return data


# --- the public form in steps (issue #14) -------------------------------------------------------------


@dataclass(frozen=True)
class Step:
    """One page of the help request form: its URL name, number (of STEP_COUNT) and heading."""

    name: str
    number: int
    heading: object


STEPS = (
    Step("wat", 1, _l("Wat voor hulp zoekt u?")),
    Step("wanneer", 2, _l("Wanneer is de hulp nodig?")),
    Step("tijd", 2, _l("Welke dag en tijd?")),
    Step("waar", 3, _l("Waar is de hulp?")),
    Step("contact", 4, _l("Hoe bereiken we u?")),
    Step("controleren", 5, _l("Klopt alles?")),
)
STEP_COUNT = 5
STEP_NAMES = tuple(step.name for step in STEPS)


def step_named(name):
    """Return the Step of a URL name, or None."""
    return next((step for step in STEPS if step.name == name), None)


def step_fields(name, answers):
    """Return the field names one step asks, given the answers so far ({name: [values]}).

    Fields show only when they apply: a date and times for one fixed day, the weeks too for a
    weekly series, a period and time of day for "geen haast"; the recipient's name only when
    the help is for someone else.
    """
    first = (answers.get("schedule_kind") or ["once"])[0]
    relation = (answers.get("relation") or ["self"])[0]
    if name == "wat":
        return ("task_type", "relation", "summary", "description", "skills_wanted", "website")
    if name == "wanneer":
        return ("urgency", "schedule_kind")
    if name == "tijd":
        if first == "period":
            return ("period_weeks", "day_part", "duration_minutes")
        dated = ("first_date", "window_start", "window_end", "duration_minutes")
        return (*dated, "weeks") if first == "series" else dated
    if name == "waar":
        return ("street", "house_number", "postcode")
    if name == "contact":
        recipient = ("recipient_name",) if relation != "self" else ()
        return (
            "contact_name",
            *recipient,
            "contact_email",
            "contact_phone",
            "preferred_language",
            "language_required",
            "same_volunteer",
        )
    return ()


def step_of_field(name, answers):
    """Return the step that asks a field (for a service's error), or the first step."""
    return next((step for step in STEPS if name in step_fields(step.name, answers)), STEPS[0])


# --- volunteer ------------------------------------------------------------------------------------

# The fields of volunteers.PROFILE_FIELDS whose form answer is the column's value as it is (lists, a number,
# yes/no, a date), and those the form converts both ways (the km as typed, the grid of checkboxes); the rest are text.
_PROFILE_TYPED = ("task_types", "skills", "languages", "max_tasks_per_week", "paused", "paused_until")
_PROFILE_CONVERTED = ("max_km", "availability")


def grid_field_name(weekday, part):
    """Return the name of one checkbox of the availability grid: avail-tue-afternoon."""
    return f"avail-{timeslots.WEEKDAY_CODES[weekday]}-{timeslots.PART_CODES[part]}"


class VolunteerProfileForm(BaseForm):
    """What a volunteer offers: where, how far, what, when, how often; pause."""

    first_name = StringField(
        _l("Uw voornaam"), validators=[InputRequired(message=_l("Vul uw voornaam in.")), _length(60, _l("voornaam"))]
    )
    phone = StringField(_l("Telefoonnummer (niet verplicht)"), validators=[PHONE, Length(max=32)])
    postcode = StringField(_l("Postcode"), validators=[InputRequired(message=_l("Vul uw postcode in.")), POSTCODE])
    street = StringField(_l("Straat (niet verplicht)"), validators=[_length(120, _l("straat"))])
    house_number = StringField(
        _l("Huisnummer (niet verplicht)"), validators=[_length(16, _l("huisnummer")), HOUSE_NUMBER]
    )
    travel_mode = RadiosField(_l("Hoe reist u?"), choices=[], default="bike", required_message=_l("Kies hoe u reist."))
    max_km = _km_field(_l("Hoe ver wilt u hoogstens reizen? (km)"), required=True)
    task_types = CheckboxesField(_l("Waar wilt u bij helpen?"), choices=[])
    skills = CheckboxesField(_l("Wat kunt u goed? (niet verplicht)"), choices=[])
    languages = CheckboxesField(_l("Welke talen spreekt u?"), choices=[], default=["nl"])
    max_tasks_per_week = NumberSelectField(_l("Hoeveel taken per week hoogstens?"), choices=[], default=2)
    paused = BooleanField(_l("Ik neem even pauze (ik krijg dan geen nieuwe taken)"))
    paused_until = LocalDateField(_l("Pauze tot en met (niet verplicht)"), validators=[Optional()])
    motivation = TextAreaField(
        _l("Waarom wilt u helpen? (voor het kennismakingsgesprek, niet verplicht)"),
        validators=[_length(MAX_TEXT, _l("motivatie"))],
    )

    GRID_ID = "beschikbaarheid"

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.availability_errors = []
        self.travel_mode.choices = _choices(vocabularies.TRAVEL_MODES)
        self.task_types.choices = [(code, str(task.label)) for code, task in vocabularies.TASK_TYPES.items()]
        self.skills.choices = _choices(vocabularies.SKILLS)
        self.languages.choices = _choices(vocabularies.LANGUAGES)
        caps = list(range(1, 8))
        if isinstance(self.max_tasks_per_week.data, int) and self.max_tasks_per_week.data not in caps:
            caps = sorted({*caps, self.max_tasks_per_week.data})
        self.max_tasks_per_week.choices = [(n, str(n)) for n in caps]

    def add_error(self, field_name, message):
        if field_name == "availability":
            self.availability_errors.append(message)
        else:
            super().add_error(field_name, message)

    @property
    def error_list(self):
        pairs = super().error_list
        pairs.extend((self.GRID_ID, message) for message in self.availability_errors)
        return pairs

    def grid(self):
        """Return [(weekday label, its short name, [(part label, field)])] for the availability table."""
        return [
            (
                vocabularies.WEEKDAYS[day],
                vocabularies.WEEKDAY_SHORT[day],
                [(vocabularies.DAY_PARTS[part], self[grid_field_name(day, part)]) for part in range(3)],
            )
            for day in range(7)
        ]

    def availability(self):
        """Return the grid mask of the ticked day parts."""
        return timeslots.mask_from_cells(
            (day, part) for day in range(7) for part in range(3) if self[grid_field_name(day, part)].data
        )

    def validate_task_types(self, field):
        if not field.data:
            raise FieldError(str(_l("Kies minstens één soort hulp.")))

    def validate_languages(self, field):
        if not field.data:
            raise FieldError(str(_l("Kies minstens één taal.")))

    def validate(self, extra_validators=None):
        valid = super().validate(extra_validators)
        if not self.availability():
            self.availability_errors.append(str(_l("Kies minstens één dagdeel.")))
            valid = False
        return valid

    def values(self):
        """Return the values volunteers.save_profile takes."""
        values = {
            name: _text(self[name].data)
            for name in volunteers.PROFILE_FIELDS
            if name not in _PROFILE_CONVERTED + _PROFILE_TYPED
        }
        values["postcode"] = normal_postcode(values["postcode"]) or values["postcode"]
        values["max_km"] = _number(self.max_km.data)
        for name in ("task_types", "skills", "languages"):
            values[name] = list(self[name].data or [])
        values["availability"] = self.availability()
        values["max_tasks_per_week"] = self.max_tasks_per_week.data
        values["paused"] = bool(self.paused.data)
        values["paused_until"] = self.paused_until.data if values["paused"] else None
        return values

    @staticmethod
    def initial(profile):
        """Return form data for a saved profile (the grid spread over its checkboxes)."""
        data = {name: getattr(profile, name) for name in volunteers.PROFILE_FIELDS if name not in _PROFILE_CONVERTED}
        data["max_km"] = f"{profile.max_km:g}".replace(".", ",")
        for day, part in timeslots.cells_of(profile.availability or 0):
            data[grid_field_name(day, part)] = True
        return data


for _day in range(7):
    for _part in range(3):
        setattr(
            VolunteerProfileForm,
            grid_field_name(_day, _part),
            BooleanField(_l("%(day)s %(part)s", day=vocabularies.WEEKDAYS[_day], part=vocabularies.DAY_PARTS[_part])),
        )


class AbsenceForm(BaseForm):
    """A period in which a volunteer cannot help."""

    starts_on = LocalDateField(_l("Niet beschikbaar van"), validators=[_required(_l("Vul de eerste dag in."))])
    ends_on = LocalDateField(_l("Tot en met"), validators=[_required(_l("Vul de laatste dag in."))])
    note = StringField(
        _l("Reden (niet verplicht, alleen voor uzelf en de sociaal makelaar)"), validators=[_length(200, _l("reden"))]
    )

    def validate(self, extra_validators=None):
        valid = super().validate(extra_validators)
        if self.starts_on.data and self.ends_on.data and self.ends_on.data < self.starts_on.data:
            self.ends_on.errors.append(str(_l("De laatste dag moet na de eerste dag liggen.")))
            valid = False
        return valid


class InterestForm(BaseForm):
    """ "Ik wil helpen", with an optional note for the broker."""

    message = TextAreaField(
        _l("Bericht voor de sociaal makelaar (niet verplicht)"), validators=[_length(1000, _l("bericht"))]
    )


class FeedbackForm(BaseForm):
    """After the date: did it happen, how did it go (private, never public)."""

    happened = RadiosField(
        _l("Is de hulp doorgegaan?"), choices=[], required_message=_l("Kies of de hulp is doorgegaan.")
    )
    rating = RadiosField(_l("Hoe ging het? (niet verplicht)"), choices=[], optional=True)
    comment = TextAreaField(
        _l("Wilt u nog iets kwijt? (niet verplicht, alleen de sociaal makelaar leest dit)"),
        validators=[_length(MAX_TEXT, _l("opmerking"))],
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.happened.choices = [("yes", str(_l("Ja"))), ("no", str(_l("Nee")))]
        self.rating.choices = [("3", str(_l("Goed"))), ("2", str(_l("Redelijk"))), ("1", str(_l("Niet goed")))]

    def values(self):
        return {
            "happened": self.happened.data == "yes",
            "rating": int(self.rating.data) if self.rating.data else None,
            "comment": _text(self.comment.data),
        }


class CancelForm(BaseForm):
    """Cancel a request or a task, with an optional reason."""

    reason = TextAreaField(_l("Waarom annuleert u? (niet verplicht)"), validators=[_length(1000, _l("reden"))])


class ConfirmForm(BaseForm):
    """A button with only a CSRF token (accept, decline, remove)."""


class DeleteAccountForm(BaseForm):
    """Delete an account: the password confirms it."""

    password = PasswordField(
        _l("Uw wachtwoord"), validators=[InputRequired(message=_l("Vul uw wachtwoord in.")), Length(max=200)]
    )
    confirm = BooleanField(_l("Ja, verwijder mijn account en mijn gegevens"))

    def validate_confirm(self, field):
        if not field.data:
            raise FieldError(str(_l("Vink aan dat u uw account wilt verwijderen.")))


class DeclineForm(BaseForm):
    """Say no to an offered task from the e-mail link, with an optional reason."""

    reason = TextAreaField(_l("Waarom kunt u niet? (niet verplicht)"), validators=[_length(1000, _l("reden"))])
