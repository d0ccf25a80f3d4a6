"""Directory forms: the public search form (GET, shape checks only)."""

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, EmailField, HiddenField, RadioField, SelectChoice, StringField, TextAreaField
from wtforms.validators import InputRequired, Length, Optional

from .. import params
from ..forms import BaseForm, ChoiceSelectField, SearchBaseForm, format_check
from .reports import MAX_MESSAGE as MAX_REPORT
from .reports import TOPICS as REPORT_TOPICS
from .services import FILTER_FACETS, MAX_TEXT, MAX_WHERE, RADIUS_CHOICES


class SearchForm(SearchBaseForm):
    """Wat zoekt u / waar, with filters; every field optional."""

    q = StringField(
        _l("Wat zoekt u?"),
        validators=[Length(max=MAX_TEXT, message=_l("Typ hoogstens %(max)d tekens bij ‘wat zoekt u’."))],
    )
    waar = StringField(
        _l("Waar? Postcode of plaats"),
        validators=[Length(max=MAX_WHERE, message=_l("Typ bij ‘waar’ hoogstens %(max)d tekens."))],
    )
    # a value outside the list ('+' in a URL is a space) is a form error (issue #12)
    straal = ChoiceSelectField(
        _l("Afstand"),
        choices=[SelectChoice("", _l("Hele gemeente"))]
        + [SelectChoice(str(km), _l("Binnen %(km)d km", km=km)) for km in RADIUS_CHOICES],
        default="",
    )
    # chosen with links on the results page; an unknown value means the default order
    sorteer = StringField(_l("Sorteren op"), validators=[Length(max=20)])
    open = BooleanField(_l("Nu open"))
    # the slug of the municipality whose entry page (/<slug>/) the search came from (issue #20);
    # an unknown one is ignored
    gemeente = HiddenField(validators=[Length(max=64)])

    @staticmethod
    def page_number(args):
        """Return the page asked for by a pager link; anything else means the first page."""
        return params.parse_page(args.get("pagina", ""))

    def radius_km(self):
        """Return the chosen radius in km, or None for the whole municipality."""
        return params.parse_int(self.straal.data, 1, max(RADIUS_CHOICES))

    def filter_values(self, args):
        """Return {facet: [codes]} from the query string (unknown codes are dropped later)."""
        return {facet: args.getlist(facet)[:20] for facet in FILTER_FACETS if args.getlist(facet)}


class ReportForm(BaseForm):
    """ "Klopt er iets niet?": what is wrong, and optionally where to send an answer."""

    onderwerp = RadioField(
        _l("Wat klopt er niet?"),
        choices=[SelectChoice(code, label) for code, label in REPORT_TOPICS.items()],
        default="other",
        validators=[InputRequired(message=_l("Kies wat er niet klopt."))],
    )
    bericht = TextAreaField(
        _l("Wat moet er anders?"),
        validators=[
            InputRequired(message=_l("Schrijf kort wat er niet klopt.")),
            Length(max=MAX_REPORT, message=_l("Schrijf hoogstens %(max)d tekens.")),
        ],
    )
    email = EmailField(
        _l("Uw e-mailadres (niet verplicht)"),
        validators=[
            Optional(),
            Length(max=254),
            format_check(
                params.valid_email, _l("Dit e-mailadres klopt niet. Een e-mailadres ziet eruit als naam@voorbeeld.nl.")
            ),
        ],
    )
    # A honeypot: people never see or fill it; bots that fill every field are ignored.
    website = StringField(_l("Laat dit veld leeg"))

    def is_spam(self):
        """Return True when the hidden field was filled in (by a bot)."""
        return bool((self.website.data or "").strip())
