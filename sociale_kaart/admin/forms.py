"""Admin forms: invite a user, set roles, organisations and areas, search the user list; an area's contact;
a municipality of the region (issue #20)."""

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, EmailField, RadioField, SelectChoice, SelectField, StringField
from wtforms.validators import InputRequired, Length, Optional

from .. import params
from ..accounts.forms import EMAIL_MESSAGE, LANGUAGE_CHOICES
from ..directory.municipalities import AREA_KINDS, BRAND_LABELS
from ..forms import PHONE, BaseForm, CheckboxesField, SearchBaseForm, format_check

ROLE_LABELS = {
    "resident": _l("Inwoner"),
    "volunteer": _l("Vrijwilliger"),
    "editor": _l("Redacteur van een organisatie"),
    "broker": _l("Sociaal makelaar"),
    "admin": _l("Beheerder"),
    "policy": _l("Beleidsmedewerker (alleen cijfers)"),
}


def role_choices():
    return [SelectChoice(role, label) for role, label in ROLE_LABELS.items()]


class AccessForm(BaseForm):
    """Roles, organisations (editor) and areas (broker) of a user."""

    roles = CheckboxesField(
        _l("Rollen"), choices=role_choices(), validators=[InputRequired(message=_l("Kies minstens één rol."))]
    )
    organizations = CheckboxesField(
        _l("Organisaties (voor redacteuren)"), coerce=params.parse_id, choices=[], validators=[Optional()]
    )
    areas = CheckboxesField(
        _l("Gebieden (voor sociaal makelaars)"), coerce=params.parse_id, choices=[], validators=[Optional()]
    )

    # Shown in a region only (issue #20): the municipality a broker, policy officer or admin works for.
    municipality = SelectField(_l("Werkt voor gemeente"), choices=[], default="", validators=[Optional()])
    offers_region = False  # set_choices: the choice "Hele regio" is there

    def set_choices(self, organizations, areas, municipalities=(), own=None):
        """Set the choices; municipalities: (code, name) in a region, none in one municipality (no field then).

        own: the acting admin's municipality; an admin of one municipality has no choice "Hele regio".
        """
        self.organizations.choices = [SelectChoice(value, label) for value, label in organizations]
        self.areas.choices = [SelectChoice(value, label) for value, label in areas]
        self.offers_region = bool(municipalities) and not own
        if municipalities:
            self.municipality.choices = ([SelectChoice("", _l("Hele regio"))] if self.offers_region else []) + [
                SelectChoice(code, name) for code, name in municipalities
            ]
        else:
            del self.municipality
        return self

    def municipality_code(self):
        """Return the chosen municipality's code ("" for the whole region), or None when there is no choice."""
        return self.municipality.data or "" if "municipality" in self else None


class InviteForm(AccessForm):
    email = EmailField(
        _l("E-mailadres"),
        validators=[
            InputRequired(message=_l("Vul het e-mailadres in.")),
            Length(max=254, message=_l("Een e-mailadres heeft hoogstens %(max)d tekens.")),
            format_check(params.valid_email, EMAIL_MESSAGE),
        ],
    )
    name = StringField(
        _l("Naam"),
        validators=[
            InputRequired(message=_l("Vul de naam in.")),
            Length(max=120, message=_l("Een naam heeft hoogstens %(max)d tekens.")),
        ],
    )
    language = SelectField(_l("Taal van de uitnodiging"), choices=LANGUAGE_CHOICES, default="nl")


class UserSearchForm(SearchBaseForm):
    q = StringField(_l("Zoek op naam of e-mailadres"), validators=[Length(max=100)])
    role = SelectField(
        _l("Rol"), choices=[SelectChoice("", _l("Alle rollen"))] + role_choices(), default="", validators=[Optional()]
    )
    status = SelectField(
        _l("Status"),
        choices=[
            SelectChoice("", _l("Alle accounts")),
            SelectChoice("active", _l("Actief")),
            SelectChoice("inactive", _l("Uitgezet")),
        ],
        default="",
        validators=[Optional()],
    )

    def criteria(self):
        """Return the query, role and status accounts.list_users takes."""
        return {"query": (self.q.data or "").strip(), "role": self.role.data or "", "status": self.status.data or ""}


def _at_most(limit, field):
    return Length(max=limit, message=_l("Typ bij %(field)s hoogstens %(max)d tekens.", field=field, max=limit))


class AreaContactForm(BaseForm):
    """The contact of an area's dorpsteam (issue #11): every field optional."""

    contact_name = StringField(_l("Naam van het team"), validators=[_at_most(120, _l("naam"))])
    contact_phone = StringField(
        _l("Telefoonnummer"),
        validators=[
            _at_most(32, _l("telefoonnummer")),
            PHONE,
        ],
    )
    contact_email = EmailField(
        _l("E-mailadres"),
        validators=[
            Optional(),
            _at_most(254, _l("e-mailadres")),
            format_check(params.valid_email, EMAIL_MESSAGE),
        ],
    )
    contact_address = StringField(_l("Adres"), validators=[_at_most(200, _l("adres"))])
    contact_hours = StringField(_l("Spreekuur"), validators=[_at_most(200, _l("spreekuur"))])

    def values(self):
        """Return the values areas.update_area_contact takes."""
        return {
            name: (self[name].data or "").strip()
            for name in ("contact_name", "contact_phone", "contact_email", "contact_address", "contact_hours")
        }


class MunicipalityAddForm(BaseForm):
    """The CBS code of a municipality to add to the region (issue #20); the service checks it."""

    code = StringField(
        _l("CBS-code van de gemeente"),
        validators=[
            InputRequired(message=_l("Typ de CBS-code van de gemeente: vier cijfers, zoals 0340.")),
            _at_most(8, _l("CBS-code")),
        ],
    )


class MunicipalityForm(AreaContactForm):
    """A municipality's settings (issue #20): name shown, colour, cross-border matching and its desk's contact."""

    name = StringField(
        _l("Naam zoals inwoners die zien"),
        validators=[InputRequired(message=_l("Typ de naam van de gemeente.")), _at_most(120, _l("naam"))],
    )
    brand = RadioField(
        _l("Kleur"),
        choices=[SelectChoice(value, label) for value, label in BRAND_LABELS.items()],
        validators=[InputRequired(message=_l("Kies een van de kleuren."))],
    )
    cross_border_matching = BooleanField(_l("Vrijwilligers mogen over de gemeentegrens helpen"))
    contact_name = StringField(_l("Naam van het loket of team"), validators=[_at_most(120, _l("naam"))])

    def values(self):
        """Return the values municipalities.update_municipality takes."""
        return {
            **super().values(),
            "name": (self.name.data or "").strip(),
            "brand": self.brand.data,
            "cross_border_matching": bool(self.cross_border_matching.data),
        }


class MunicipalityAreaForm(BaseForm):
    """An area of a municipality (issue #20): name, kind and four-digit postcodes; the service checks the postcodes."""

    name = StringField(
        _l("Naam van het gebied"),
        validators=[InputRequired(message=_l("Typ de naam van het gebied.")), _at_most(120, _l("naam"))],
    )
    kind = RadioField(
        _l("Soort gebied"),
        choices=[SelectChoice(value, label) for value, label in AREA_KINDS.items()],
        default="kern",
        validators=[InputRequired(message=_l("Kies of het gebied een kern, dorp of wijk is."))],
    )
    postcodes = StringField(
        _l("Postcodes (vier cijfers)"),
        validators=[
            InputRequired(message=_l("Typ minstens één postcode van vier cijfers, zoals 3941.")),
            _at_most(400, _l("postcodes")),
        ],
    )

    def values(self):
        """Return the values municipalities.add_area and update_area take."""
        return {"name": (self.name.data or "").strip(), "kind": self.kind.data, "postcodes": self.postcodes.data or ""}
