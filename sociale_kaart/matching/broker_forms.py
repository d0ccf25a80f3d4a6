"""Broker forms of the matching module: shape and format checks only; rules live in the services (issue #4)."""

from flask_babel import lazy_gettext as _l
from wtforms import HiddenField, RadioField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, Optional
from wtforms.validators import ValidationError as FieldError

from .. import params
from ..forms import BaseForm
from .forms import LocalDateField  # the one date rule of the forms: 2026-03-17 or 17-03-2026


class ConfirmForm(BaseForm):
    """A button with only a CSRF token (publish, approve, mark done, no-show, approve volunteer)."""


class RejectRequestForm(BaseForm):
    """Reject a help request; the reason goes to the requester by e-mail."""

    reason = TextAreaField(
        _l("Reden (de aanvrager krijgt deze per e-mail)"),
        validators=[
            DataRequired(message=_l("Schrijf erbij waarom u de hulpvraag afwijst.")),
            Length(max=2000, message=_l("Typ bij de reden hoogstens %(max)d tekens.", max=2000)),
        ],
    )


class SuggestForm(BaseForm):
    """Pick a volunteer from the candidates; "ask" also approves at once (books the dates, asks the volunteer)."""

    volunteer_id = HiddenField(validators=[DataRequired(message=_l("Kies een vrijwilliger."))])
    step = HiddenField(default="ask")

    def validate_volunteer_id(self, field):
        if params.parse_id(field.data) is None:
            raise FieldError(str(_l("Kies een vrijwilliger.")))

    def volunteer(self):
        """Return the chosen volunteer's id (after validation)."""
        return params.parse_id(self.volunteer_id.data)

    @property
    def ask(self):
        """True when the broker wants the volunteer asked now, not only put on the list."""
        return self.step.data != "suggest"


class CancelMatchForm(BaseForm):
    """Cancel an approved or accepted match (the volunteer and the requester hear it)."""

    reason = TextAreaField(
        _l("Reden van annuleren"),
        validators=[Length(max=2000, message=_l("Typ bij de reden hoogstens %(max)d tekens.", max=2000))],
    )


class PhoneFeedbackForm(BaseForm):
    """Feedback the broker heard by phone, from the requester or the volunteer."""

    role = RadioField(
        _l("Wie vertelde het?"),
        choices=[],
        default="requester",
        validators=[InputRequired(message=_l("Kies wie het vertelde."))],
    )
    happened = RadioField(
        _l("Is het doorgegaan?"), choices=[], validators=[InputRequired(message=_l("Kies of het is doorgegaan."))]
    )
    rating = RadioField(_l("Hoe ging het? (niet verplicht)"), choices=[], validators=[Optional()])
    comment = TextAreaField(
        _l("Opmerking (alleen voor sociaal makelaars)"),
        validators=[Length(max=2000, message=_l("Typ bij de opmerking hoogstens %(max)d tekens.", max=2000))],
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.role.choices = [("requester", str(_l("De aanvrager"))), ("volunteer", str(_l("De vrijwilliger")))]
        self.happened.choices = [("yes", str(_l("Ja"))), ("no", str(_l("Nee")))]
        self.rating.choices = [("3", str(_l("Goed"))), ("2", str(_l("Redelijk"))), ("1", str(_l("Niet goed")))]

    def values(self):
        return {
            "role": self.role.data,
            "happened": self.happened.data == "yes",
            "rating": int(self.rating.data) if self.rating.data in ("1", "2", "3") else None,
            "comment": (self.comment.data or "").strip(),
        }


class VogForm(BaseForm):
    """Record a checked VOG (Verklaring Omtrent het Gedrag)."""

    checked_on = LocalDateField(
        _l("Gecontroleerd op"), validators=[InputRequired(message=_l("Vul de datum in waarop u de VOG hebt gezien."))]
    )
    valid_until = LocalDateField(
        _l("Geldig tot en met"), validators=[InputRequired(message=_l("Vul in tot wanneer de VOG geldt."))]
    )

    def validate_valid_until(self, field):
        if field.data and self.checked_on.data and field.data < self.checked_on.data:
            raise FieldError(str(_l("De einddatum moet na de controledatum liggen.")))


class ProposeForm(BaseForm):
    """ "Stel koppelingen voor" for one area."""

    area_id = HiddenField(validators=[DataRequired(message=_l("Kies een gebied."))])

    def validate_area_id(self, field):
        if params.parse_id(field.data) is None:
            raise FieldError(str(_l("Kies een gebied.")))

    def area(self):
        """Return the chosen area's id, or None."""
        return params.parse_id(self.area_id.data)
