"""The area analysis's choice of area and period: a GET form, checked for shape only (issue #15)."""

from datetime import date

from flask_babel import format_date
from flask_babel import lazy_gettext as _l
from wtforms import SelectChoice
from wtforms.validators import ValidationError as FieldError

from ..forms import ChoiceSelectField, SearchBaseForm
from . import periods

STEP_CODES = {"maand": "month", "kwartaal": "quarter"}  # the URL speaks Dutch, the code English


def _month_value(day: date) -> str:
    return f"{day.year}-{day.month:02d}"


class AnalysisForm(SearchBaseForm):
    """Which area (or all), from which month to which, per month or quarter."""

    gebied = ChoiceSelectField(_l("Gebied"), choices=[], default="")
    van = ChoiceSelectField(_l("Van"), choices=[])
    tot = ChoiceSelectField(_l("Tot en met"), choices=[])
    per = ChoiceSelectField(
        _l("Per"),
        default="maand",
        choices=[SelectChoice("maand", _l("maand")), SelectChoice("kwartaal", _l("kwartaal"))],
    )

    @classmethod
    def for_request(cls, args, areas, today: date, whole: bool, municipalities=()):
        """Return the form on the query string, with the user's areas and the last 36 months as choices.

        municipalities: (value, name) of each municipality a regional user may choose (issue #20).
        """
        months = periods.month_choices(today)
        default = periods.default_period(today)
        form = cls(args, data={"van": _month_value(default.start), "tot": _month_value(default.end)})
        everything = _l("Hele regio") if municipalities else _l("Hele gemeente") if whole else _l("Al mijn gebieden")
        form.gebied.choices = (
            [SelectChoice("", everything)]
            + [SelectChoice(value, _l("Gemeente %(name)s", name=name)) for value, name in municipalities]
            + [SelectChoice(area.code, area.name) for area in areas]
        )
        month_choices = [SelectChoice(_month_value(month), format_date(month, "MMM y")) for month in months]
        form.van.choices = month_choices
        form.tot.choices = month_choices
        form.today = today
        return form

    def validate_tot(self, field):
        if self.van.data and field.data and field.data < self.van.data:
            raise FieldError(str(_l("Kies een maand die niet vóór de eerste maand ligt.")))

    def period(self) -> periods.Period:
        """Return the chosen period (call after validate())."""
        first, last = (date(int(value[:4]), int(value[5:7]), 1) for value in (self.van.data, self.tot.data))
        return periods.month_period(first, last, self.today, STEP_CODES[self.per.data])

    def area_code(self) -> str | None:
        return self.gebied.data or None

    def query(self) -> dict:
        """Return the query string of the chosen view, for links to the CSV files and the print view."""
        return {name: getattr(self, name).data for name in ("gebied", "van", "tot", "per") if getattr(self, name).data}
