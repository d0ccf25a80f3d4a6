"""Forms of the lists (issue #19): shape and format only; the rules live in services."""

from flask_babel import lazy_gettext as _l
from wtforms import HiddenField, StringField
from wtforms.validators import InputRequired, Length

from .. import params
from ..forms import EMAIL, BaseForm

# The buttons of a list item -> what they do (services.MOVES, or remove).
ACTIONS = {"omhoog": "up", "omlaag": "down", "weghalen": "remove"}


class ServiceForm(BaseForm):
    """A button about one service: put it on the list (add), or move or remove it (change)."""

    service_id = HiddenField()
    next = HiddenField()
    actie = StringField()  # the button pressed: a key of ACTIONS

    def service(self) -> int | None:
        """Return the service id, or None when it is not one."""
        return params.parse_id(self.service_id.data or "")


class MailForm(BaseForm):
    """Send the list to an e-mail address; the address is used for this one e-mail only."""

    email = StringField(
        _l("E-mailadres"),
        validators=[
            InputRequired(message=_l("Typ het e-mailadres waar het lijstje naartoe moet.")),
            Length(max=params.MAX_EMAIL, message=_l("Schrijf hoogstens %(max)d tekens.", max=params.MAX_EMAIL)),
            EMAIL,
        ],
    )


class ConfirmForm(BaseForm):
    """A button behind CSRF: share, empty, note as printed."""


class CallerForm(BaseForm):
    """A broker starts the list for a caller, of a help request or not yet entered."""

    request_id = HiddenField()

    def request(self) -> int | None:
        """Return the help request's id, or None for a caller without one."""
        return params.parse_id(self.request_id.data or "")

    def has_odd_request(self) -> bool:
        """Return True when a request id was sent that is not one."""
        return bool((self.request_id.data or "").strip()) and self.request() is None
