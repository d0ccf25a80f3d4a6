"""Workspace forms: shape and format checks only; rules that need the database live in editing.py."""

from flask_babel import lazy_gettext as _l
from wtforms import RadioField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, StopValidation
from wtforms.validators import ValidationError as FieldError

from .. import params
from ..directory import editing, hours, vocabularies
from ..forms import EMAIL, PHONE, BaseForm, CheckboxesField, SearchBaseForm, format_check

WEEKDAY_NAMES = (
    _l("Maandag"),
    _l("Dinsdag"),
    _l("Woensdag"),
    _l("Donderdag"),
    _l("Vrijdag"),
    _l("Zaterdag"),
    _l("Zondag"),
)


class RadiosField(RadioField):
    """A group of radio buttons that must have a choice."""

    def __init__(self, label=None, required_message=None, **kwargs):
        super().__init__(label, **kwargs)
        self.required_message = required_message

    def pre_validate(self, form):
        if self.data not in {value for value, _label in self.choices or ()}:
            raise StopValidation(str(self.required_message or _l("Maak een keuze.")))


URL = format_check(editing.valid_url, _l("Typ een webadres dat begint met https:// of http://."))


MAX_AGE = 120


def _age(form, field):
    value = (field.data or "").strip()
    if value and params.parse_int(value, 0, MAX_AGE) is None:
        raise FieldError(str(_l("Typ een leeftijd van 0 tot en met 120, alleen cijfers.")))


def _text(value):
    return (value or "").strip()


def _length(limit, name):
    return Length(max=limit, message=_l("Typ bij %(field)s hoogstens %(max)d tekens.", field=name, max=limit))


class OrganizationForm(BaseForm):
    """The public details of an organisation."""

    name = StringField(
        _l("Naam van de organisatie"),
        validators=[
            DataRequired(message=_l("Vul de naam van de organisatie in.")),
            _length(editing.MAX_NAME, _l("naam")),
        ],
    )
    description = TextAreaField(_l("Beschrijving"), validators=[_length(editing.MAX_TEXT, _l("beschrijving"))])
    phone = StringField(_l("Telefoonnummer"), validators=[PHONE])
    email = StringField(_l("E-mailadres"), validators=[EMAIL, Length(max=254)])
    website = StringField(_l("Website"), validators=[URL, Length(max=500)])

    def values(self):
        return {name: _text(getattr(self, name).data) for name in editing.ORGANIZATION_FIELDS}


class RegisterOrganizationForm(OrganizationForm):
    """A new organisation, with a note for the broker."""

    message = TextAreaField(
        _l("Wat is uw rol bij deze organisatie?"), validators=[_length(editing.MAX_MESSAGE, _l("uw rol"))]
    )

    def values(self):
        return {**super().values(), "message": _text(self.message.data)}


class LocationForm(BaseForm):
    """A place where an organisation gives its services."""

    name = StringField(
        _l("Naam van de locatie"),
        validators=[DataRequired(message=_l("Vul de naam van de locatie in.")), _length(editing.MAX_NAME, _l("naam"))],
    )
    address_1 = StringField(
        _l("Straat en huisnummer"),
        validators=[DataRequired(message=_l("Vul straat en huisnummer in.")), _length(editing.MAX_NAME, _l("adres"))],
    )
    postal_code = StringField(
        _l("Postcode"), validators=[DataRequired(message=_l("Vul de postcode in.")), Length(max=10)]
    )
    city = StringField(_l("Plaats"), validators=[_length(120, _l("plaats"))])
    description = TextAreaField(_l("Beschrijving"), validators=[_length(editing.MAX_TEXT, _l("beschrijving"))])
    transportation = TextAreaField(
        _l("Bereikbaarheid (openbaar vervoer, parkeren)"), validators=[_length(editing.MAX_TEXT, _l("bereikbaarheid"))]
    )
    accessibility = CheckboxesField(_l("Toegankelijkheid"), choices=[])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.accessibility.choices = editing.vocabulary_choices(vocabularies.ACCESSIBILITY)

    def values(self):
        values = {
            name: _text(getattr(self, name).data)
            for name in ("name", "address_1", "postal_code", "city", "description", "transportation")
        }
        values["accessibility"] = list(self.accessibility.data or [])
        return values


def _day_field(label):
    return StringField(label, validators=[Length(max=5, message=_l("Typ een tijd als uu:mm."))])


class ServiceForm(BaseForm):
    """A service (voorziening): text, categories, vocabularies, contact and opening hours."""

    name = StringField(
        _l("Naam van het aanbod"),
        validators=[DataRequired(message=_l("Vul de naam van het aanbod in.")), _length(editing.MAX_NAME, _l("naam"))],
    )
    summary = StringField(
        _l("Korte omschrijving (één zin)"), validators=[_length(editing.MAX_SUMMARY, _l("korte omschrijving"))]
    )
    description = TextAreaField(_l("Beschrijving"), validators=[_length(editing.MAX_TEXT, _l("beschrijving"))])
    for_whom = TextAreaField(_l("Voor wie is het?"), validators=[_length(editing.MAX_TEXT, _l("voor wie"))])
    how_to_apply = TextAreaField(
        _l("Hoe meldt iemand zich aan?"), validators=[_length(editing.MAX_TEXT, _l("aanmelden"))]
    )
    categories = CheckboxesField(_l("Categorieën"), choices=[])
    target_groups = CheckboxesField(_l("Doelgroepen"), choices=[])
    pyramid_level = RadiosField(_l("Soort voorziening"), choices=[], required_message=_l("Kies de soort voorziening."))
    access_route = RadiosField(
        _l("Hoe komt iemand erbij?"), choices=[], required_message=_l("Kies hoe iemand bij dit aanbod komt.")
    )
    cost = CheckboxesField(_l("Kosten"), choices=[])
    cost_note = TextAreaField(
        _l("Toelichting op de kosten"), validators=[_length(editing.MAX_TEXT, _l("toelichting op de kosten"))]
    )
    modes = CheckboxesField(_l("Waar of hoe"), choices=[])
    languages = CheckboxesField(_l("Talen"), choices=[])
    service_areas = CheckboxesField(_l("Werkgebied (dorpen of wijken)"), choices=[])
    locations = CheckboxesField(_l("Locaties"), choices=[])
    phone = StringField(_l("Telefoonnummer"), validators=[PHONE])
    email = StringField(_l("E-mailadres"), validators=[EMAIL, Length(max=254)])
    url = StringField(_l("Website"), validators=[URL, Length(max=500)])
    minimum_age = StringField(_l("Vanaf leeftijd"), validators=[_age])
    maximum_age = StringField(_l("Tot en met leeftijd"), validators=[_age])

    def __init__(self, *args, organization_id, location_ids=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.categories.choices = editing.term_choices("category")
        self.target_groups.choices = editing.term_choices("target_group")
        self.pyramid_level.choices = editing.vocabulary_choices(vocabularies.PYRAMID_LEVELS)
        self.access_route.choices = editing.vocabulary_choices(vocabularies.ACCESS_ROUTES)
        self.cost.choices = editing.vocabulary_choices(vocabularies.COSTS)
        self.modes.choices = editing.vocabulary_choices(vocabularies.MODES)
        self.languages.choices = editing.language_choices(self.languages.data)
        self.service_areas.choices = editing.area_choices()
        self.locations.choices = editing.location_choices(organization_id, location_ids)

    def hour_fields(self):
        """Return (weekday name, [(opens field, closes field) per period]) for the template."""
        return [
            (
                WEEKDAY_NAMES[day],
                [(self[f"d{day}_{n}_van"], self[f"d{day}_{n}_tot"]) for n in range(1, editing.PERIODS_PER_DAY + 1)],
            )
            for day in range(7)
        ]

    def validate_categories(self, field):
        if not field.data:
            raise FieldError(str(_l("Kies minstens één categorie.")))

    def validate(self, extra_validators=None):
        valid = super().validate(extra_validators)
        for day in range(7):
            for n in range(1, editing.PERIODS_PER_DAY + 1):
                opens, closes = self[f"d{day}_{n}_van"], self[f"d{day}_{n}_tot"]
                valid = _check_period(WEEKDAY_NAMES[day], opens, closes) and valid
        return valid

    def schedules(self):
        """Return the filled-in periods as [weekday, opens, closes]."""
        periods = []
        for day in range(7):
            for n in range(1, editing.PERIODS_PER_DAY + 1):
                opens, closes = _text(self[f"d{day}_{n}_van"].data), _text(self[f"d{day}_{n}_tot"].data)
                if opens and closes:
                    periods.append([day, opens, closes])
        return periods

    def values(self):
        values = {
            name: _text(self[name].data)
            for name in (
                "name",
                "summary",
                "description",
                "for_whom",
                "how_to_apply",
                "cost_note",
                "phone",
                "email",
                "url",
            )
        }
        for name in ("categories", "target_groups", "cost", "modes", "languages", "service_areas"):
            values[name] = list(self[name].data or [])
        values["locations"] = params.parse_ids(self.locations.data)
        values["pyramid_level"], values["access_route"] = self.pyramid_level.data, self.access_route.data
        for name in ("minimum_age", "maximum_age"):
            values[name] = params.parse_int(_text(self[name].data), 0, MAX_AGE)
        values["schedules"] = self.schedules()
        return values

    @staticmethod
    def initial(snapshot):
        """Return form data for a service snapshot (opening hours spread over the day fields)."""
        data = {name: value for name, value in snapshot.items() if name != "schedules"}
        data["locations"] = [str(value) for value in snapshot.get("locations") or []]
        for name in ("minimum_age", "maximum_age"):
            data[name] = "" if snapshot.get(name) is None else str(snapshot[name])
        used: dict[int, int] = {}
        for weekday, opens, closes in snapshot.get("schedules") or []:
            n = used[weekday] = used.get(weekday, 0) + 1
            if n <= editing.PERIODS_PER_DAY:
                data[f"d{weekday}_{n}_van"], data[f"d{weekday}_{n}_tot"] = opens, closes
        return data


for _day in range(7):
    setattr(ServiceForm, f"d{_day}_1_van", _day_field(_l("%(day)s open vanaf", day=WEEKDAY_NAMES[_day])))
    setattr(ServiceForm, f"d{_day}_1_tot", _day_field(_l("%(day)s open tot", day=WEEKDAY_NAMES[_day])))
    setattr(ServiceForm, f"d{_day}_2_van", _day_field(_l("%(day)s tweede dagdeel vanaf", day=WEEKDAY_NAMES[_day])))
    setattr(ServiceForm, f"d{_day}_2_tot", _day_field(_l("%(day)s tweede dagdeel tot", day=WEEKDAY_NAMES[_day])))
    setattr(ServiceForm, f"d{_day}_3_van", _day_field(_l("%(day)s derde dagdeel vanaf", day=WEEKDAY_NAMES[_day])))
    setattr(ServiceForm, f"d{_day}_3_tot", _day_field(_l("%(day)s derde dagdeel tot", day=WEEKDAY_NAMES[_day])))


def _check_period(day_name, opens, closes):
    """Check one opening period: both times or neither, valid times, closing after opening."""
    opens_text, closes_text = _text(opens.data), _text(closes.data)
    if not opens_text and not closes_text:
        return True
    for field, text in ((opens, opens_text), (closes, closes_text)):
        if not text:
            field.errors = [*field.errors, str(_l("%(day)s: vul zowel de begin- als de eindtijd in.", day=day_name))]
            return False
        if hours.parse_time(text) is None:
            field.errors = [*field.errors, str(_l("%(day)s: typ de tijd als uu:mm, bijvoorbeeld 09:00.", day=day_name))]
            return False
    opens_at, closes_at = hours.parse_time(opens_text), hours.parse_time(closes_text)
    if opens_at is not None and closes_at is not None and closes_at <= opens_at:
        closes.errors = [*closes.errors, str(_l("%(day)s: de eindtijd moet na de begintijd liggen.", day=day_name))]
        return False
    return True


class MembershipRequestForm(BaseForm):
    """Ask to become an editor of an organisation."""

    message = TextAreaField(
        _l("Wat is uw rol bij deze organisatie?"), validators=[_length(editing.MAX_MESSAGE, _l("uw rol"))]
    )


class FindOrganizationForm(SearchBaseForm):
    """Search organisations by name (GET)."""

    q = StringField(_l("Zoek uw organisatie op naam"), validators=[Length(max=100)])


class ReturnForm(BaseForm):
    """Send a proposal back with a comment for the editor."""

    comment = TextAreaField(
        _l("Wat moet de redacteur aanpassen?"),
        validators=[
            DataRequired(message=_l("Schrijf erbij wat de redacteur moet aanpassen.")),
            _length(2000, _l("opmerking")),
        ],
    )


class DecisionForm(BaseForm):
    """Approve or refuse a join request, with an optional note."""

    note = TextAreaField(
        _l("Toelichting (optioneel, de aanvrager ziet deze)"), validators=[_length(2000, _l("toelichting"))]
    )


class ResolveReportForm(BaseForm):
    """Close a resident's report, with a note the reporter gets as the answer (optional)."""

    note = TextAreaField(_l("Wat heeft u gedaan?"), validators=[_length(2000, _l("wat u heeft gedaan"))])


class ConfirmForm(BaseForm):
    """A button with only a CSRF token (approve, mark as checked, withdraw)."""
