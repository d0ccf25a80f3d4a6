"""Public directory pages: search results, map, service, organisation, categories."""

from dataclasses import dataclass
from datetime import datetime
from functools import partial
from typing import Any, NamedTuple
from urllib.parse import parse_qsl, urlencode

from flask import (
    Blueprint,
    abort,
    current_app,
    get_template_attribute,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import get_locale, ngettext
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf.csrf import generate_csrf
from markupsafe import Markup, escape

from .. import params
from ..errors import NotFound, ValidationError
from ..extensions import limiter
from ..fragments import fill, fill_text, kept_parts, marker, split
from . import cache, municipalities, reports, search_log, services, vocabularies
from .forms import ReportForm, SearchForm

bp = Blueprint("directory", __name__)


def _search_limit():
    return current_app.config["SEARCH_RATE_LIMIT"]


def _criteria(form):
    return services.SearchCriteria(
        text=(form.q.data or "").strip(),
        where=(form.waar.data or "").strip(),
        radius_km=form.radius_km(),
        sort=form.sorteer.data if form.sorteer.data in services.SORTS else None,
        filters=services.valid_filters(form.filter_values(request.args)),
        open_now=bool(form.open.data),
        page=form.page_number(request.args),
        stay_in_municipality=True,
        municipality=getattr(municipalities.by_slug(form.gemeente.data), "code", None),
    )


def _search(with_map):
    form = SearchForm(request.args)
    page = None
    suggestions: tuple[str, ...] = ()
    if form.validate():
        try:
            page = services.search_cards(_criteria(form))
        except services.LocationNotFound as error:
            form.add_error(error.field, error.message)
            suggestions = error.suggestions
        except ValidationError as error:
            form.add_error(error.field, error.message)
    html = render_template(
        "directory/search.html",
        form=form,
        page=page,
        place_suggestions=suggestions,
        vocab=vocabularies,
        with_map=with_map,
    )
    if page is not None and not request.environ.get(search_log.NOT_A_VISITOR):
        search_log.record_search(page.criteria, page, str(get_locale() or "nl"), "web")
    return html


@bp.route("/zoeken")
@limiter.limit(_search_limit)
def search():
    """Search results as a list."""
    return _search(with_map=False)


@bp.route("/kaart")
@limiter.limit(_search_limit)
def map_view():
    """Search results as a list with a map."""
    return _search(with_map=True)


SEARCH_ENDPOINTS = ("directory.search", "directory.map_view")  # the results pages: nothing in their path varies

# The search a results page came from, carried to a service page in its links (`?zoek=`), so the
# "Zoeken" breadcrumb leads back to the same results (#14). Only these parameters, each short.
SEARCH_PARAMS = ("q", "waar", "straal", "sorteer", "open", "pagina", "gemeente", *services.FILTER_FACETS)
MAX_SEARCH_PARAM = 200


def _search_params(pairs) -> list[tuple[str, str]]:
    """Return the known search parameters of some (name, value) pairs, without empty or odd values."""
    return [
        (name, value)
        for name, value in pairs
        if name in SEARCH_PARAMS
        and value
        and len(value) <= MAX_SEARCH_PARAM
        and not params.has_control_characters(value)
    ]


def search_trail() -> str | None:
    """Return this results page's search as one query string for its listing links, or None elsewhere."""
    if request.endpoint not in SEARCH_ENDPOINTS:
        return None
    pairs = _search_params(request.args.items(multi=True))
    if request.endpoint == "directory.map_view":
        pairs.append(("kaart", "1"))
    return urlencode(pairs) or None


@bp.app_template_global()
def card_slots(back: Markup | None) -> dict[str, Markup | None]:
    """Return the parts of this page's result cards that are the same for each card: the query string of the
    links to a service (`?zoek=…`, escaped for HTML, or nothing) and `back` (lists/views.list_return(), or None
    for a visitor whose list button is their own)."""
    trail = search_trail()
    if trail:
        url = url_for("directory.service_detail", service_id=1, slug="x", zoek=trail)
        trail = escape(url[url.index("?") :])
    return {"trail": Markup(trail or ""), "back": back}


def _back_to_search(trail: str | None) -> str:
    """Return the results page a service page was opened from (the plain search page without a trail)."""
    pairs = parse_qsl(trail or "", max_num_fields=len(SEARCH_PARAMS) * 4)[: len(SEARCH_PARAMS) * 4]
    endpoint = "directory.map_view" if ("kaart", "1") in pairs else "directory.search"
    kept = _search_params(pairs)
    return url_for(endpoint) + ("?" + urlencode(kept) if kept else "")


@bp.route("/aanbod/<int:service_id>")
@bp.route("/aanbod/<int:service_id>/<slug>")
def service_detail(service_id, slug=None):
    """Everything about one service."""
    try:
        page = kept_service_page(service_id)
    except NotFound:
        abort(404)
    try:
        back = _back_to_search(request.args.get("zoek"))
    except ValueError:  # more fields than a search has
        back = url_for("directory.search")
    add_button = get_template_attribute("lists/_add_button.html", "add_button")
    body = fill(
        page.parts,
        {"back": escape(back), "add": add_button(page, direct=True), "report": blank_report_form(service_id)},
    )
    return render_template("directory/service.html", page=page, body=body)


@dataclass(frozen=True)
class KeptServicePage:
    """A service page's content as every visitor sees it (its HTML split at the markers), and what the layout
    and the list button need of the service."""

    id: int
    name: str
    slug: str
    description: str
    parts: tuple[str, ...]
    since: datetime  # the local moment it was rendered
    until: datetime  # the local moment the page may change by itself: it opens or closes, or the day ends


MAX_KEPT_SERVICE_PAGES = 2_000  # per language and process: measured 15 KB a page with what it holds, 30 MB


def kept_service_page(service_id: int) -> KeptServicePage:
    """Return a published service's page content, rendered once per service, language and directory version and
    kept in this process until it opens or closes or the day ends (issue #17); raise NotFound for any other id.

    Every part of it comes from the directory (the version stamp), the date and the opening hours; a visitor's
    own parts are markers, filled in by service_detail."""
    language = str(get_locale() or "nl")
    kept: dict[int, KeptServicePage] = cache.kept(f"service-pages:{language}", dict)
    now = services.local_now()
    page = kept.get(service_id)
    if page is not None and page.since <= now < page.until:  # (a clock set back, as tests do, renders it again)
        return page
    content = services.service_page(service_id, now)
    service = content.service
    html = render_template(
        "directory/_service_body.html",
        service=service,
        others=content.others,
        nearby=content.nearby,
        open_now=content.open_now,
        now=content.now,
        freshness=content.freshness,
        vocab=vocabularies,
        back_to_search=marker("back"),
        add_button=marker("add"),
        report_form=marker("report"),
    )
    if len(kept) >= MAX_KEPT_SERVICE_PAGES:
        kept.clear()
    page = kept[service_id] = KeptServicePage(
        id=service.id,
        name=service.name,
        slug=service.slug,
        description=f"{service.summary or service.name} – {service.organization.name}",
        parts=split(html),
        since=now,
        until=services.page_valid_until(service, now),
    )
    return page


def _form_limit():
    return current_app.config["FORM_RATE_LIMIT"]


@bp.route("/aanbod/<int:service_id>/melding", methods=["GET", "POST"])
@limiter.limit(_form_limit, methods=["POST"])
def report(service_id):
    """ "Klopt er iets niet?": report an error in a listing, no account needed."""
    try:
        service = reports.report_target(service_id)
    except NotFound:
        abort(404)
    form = ReportForm()
    if request.method == "POST" and form.validate():
        if not form.is_spam():
            try:
                reports.submit_report(
                    service.id, form.onderwerp.data, form.bericht.data, form.email.data, str(get_locale() or "nl")
                )
            except ValidationError as error:
                form.add_error(error.field, error.message)
        if not form.error_list:
            return redirect(url_for("directory.report_sent", service_id=service.id), code=303)
    return render_template("directory/report.html", service=service, form=form)


@bp.route("/aanbod/<int:service_id>/melding/bedankt")
def report_sent(service_id):
    """Thanks for a report."""
    try:
        service = reports.report_target(service_id)
    except NotFound:
        abort(404)
    return render_template("directory/report_sent.html", service=service)


@bp.route("/organisatie/<slug>")
def organization_detail(slug):
    """An organisation and its services."""
    try:
        organization, service_list = services.get_organization(slug)
    except NotFound:
        abort(404)
    return render_template(
        "directory/organization.html",
        organization=organization,
        services=service_list,
        vocab=vocabularies,
    )


@bp.route("/onderwerpen")
def categories():
    """All categories with the number of results of each one's page."""

    def render():
        return render_template("directory/categories.html", categories=services.category_counts())

    # the language switch links back with the query string: only the bare page is the same for everyone (#17)
    return render() if request.args else cache.kept_page("directory.categories", render)


@bp.route("/onderwerpen/<code>")
def category_detail(code):
    """One category: its services, optionally near a place."""
    try:
        term = services.get_category(code)
    except NotFound:
        abort(404)
    form = SearchForm(request.args)
    page = None
    if form.validate():
        criteria = _criteria(form)
        criteria.filters = {**criteria.filters, "category": [code]}
        try:
            page = services.search_cards(criteria)
        except ValidationError as error:
            form.add_error(error.field, error.message)
    return render_template(
        "directory/category.html",
        term=term,
        label=services.term_label(term),
        form=form,
        page=page,
        vocab=vocabularies,
    )


# The words of a result card and its facts (templates/directory/_facts.html), translated once per language
# and process instead of once per result (issue #17).
CARD_TEXT = {
    "stale": _l("Mogelijk verouderd"),
    "facts": _l("Belangrijkste feiten"),
    "free": _l("Gratis"),
    "paid": _l("Kost geld of via verzekering"),
    "referral": _l("Met indicatie of verwijzing"),
    "no_referral": _l("Zonder indicatie"),
    "open": _l("Nu open"),
    "closed": _l("Nu gesloten"),
    "appointment": _l("Op afspraak"),
    "temporarily_closed": _l("Tijdelijk gesloten"),
}
_card_texts: dict[str, dict[str, str]] = {}


@bp.app_template_global()
def card_text() -> dict[str, str]:
    """Return the words of a result card in the user's language (translated once: a catalogue never changes)."""
    language = str(get_locale() or "nl")
    if language not in _card_texts:
        _card_texts[language] = {key: str(text) for key, text in CARD_TEXT.items()}
    return _card_texts[language]


# A kept fragment (a card, the report form) is rendered with markers where a page puts its own parts; "\0"
# never reaches a page otherwise (control characters are refused at the edge).
_MARKERS = {name: marker(name) for name in ("trail", "position", "distance", "back", "add")}  # of a card
MAX_KEPT_CARDS = 10_000  # per language and process: a card is about 2 KB


@bp.app_template_global()
def listing_cards(listings, first: int, text: dict[str, str], slots: dict, add_button=None) -> Markup:
    """Return the result cards of a page (templates/directory/_listing.html), each rendered once per listing,
    language and directory version and kept in this process (issue #17). This page's parts are filled in: the
    link's trail, the position (from `first`), the distance, and the list button (`add_button`, the macro that
    renders it for the visitor; None: the link of a visitor without a session, kept with the card, its `terug=`
    from `slots`)."""
    language = str(get_locale() or "nl")
    kept: dict[tuple, tuple[str, ...]] = cache.kept(f"cards:{language}", dict)
    km = current_app.jinja_env.filters["km"]  # web/pages.format_km
    html = []
    for position, listing in enumerate(listings, start=first):
        location = listing.location
        key = (
            listing.service.id,
            location.lat,
            location.lon,
            location.address_1,
            location.city,
            listing.distance_km is None,
            listing.open_now,
            listing.freshness,
            listing.elsewhere,
            add_button is None,
        )
        parts = kept.get(key)
        if parts is None:
            markers = {**_MARKERS, "add": None} if add_button is None else {**_MARKERS, "back": None}
            macro = get_template_attribute("directory/_listing.html", "listing_card")
            parts = kept_parts(kept, key, partial(macro, listing, text, markers), MAX_KEPT_CARDS)
        values = {
            **slots,
            "position": str(position),
            "distance": escape(km(listing.distance_km, language)),
            "add": None if add_button is None else add_button(listing.service),
        }
        html.append(fill(parts, values))
    return Markup("".join(html))


# The groups of filters of a results page, in this order, with their titles; "gratis" is offered by the quick choice
# above them, so the cost group shows only the other options (templates/directory/_facets.html).
FACET_GROUPS = {
    "category": _l("Onderwerp"),
    "pyramid_level": _l("Toegang"),
    "target_group": _l("Voor wie"),
    "area": _l("Dorp"),
    "mode": _l("Hoe"),
    "accessibility": _l("Toegankelijkheid"),
    "respite_type": _l("Soort respijtzorg"),
    "access_route": _l("Hoe kom ik erin"),
    "language": _l("Taal"),
    "cost": _l("Kosten"),
}
_FACET_MARKERS = {name: marker(name) for name in ("values", "open", "chosen", "checked", "count")}


def facet_groups(facets: dict[str, list]) -> Markup:
    """Return the filter groups of a results page: each group's frame and each value's checkbox rendered once per
    language and directory version and kept (issue #17), with this page's counts and choices filled in; a group
    with a filter on is open and counts them in its summary."""
    language = str(get_locale() or "nl")
    kept: dict[tuple, tuple[str, ...]] = cache.kept(f"facet-values:{language}", dict)
    markers = _FACET_MARKERS
    html = []
    for facet, title in FACET_GROUPS.items():
        values = facets.get(facet) or ()
        if facet == "cost":
            values = [value for value in values if value.code != "gratis"]
        if not values:
            continue
        frame = kept.get((facet,))
        if frame is None:
            macro = get_template_attribute("directory/_facet_group.html", "facet_group")
            rendered = macro(facet, str(title), markers["values"], markers["open"], markers["chosen"])
            frame = kept[(facet,)] = split(str(rendered))
        checkboxes = []
        for value in values:
            key = (facet, value.code, value.label)
            parts = kept.get(key)
            if parts is None:
                macro = get_template_attribute("directory/_facet_group.html", "facet_value")
                html_value = macro(facet, value.code, value.label, markers["checked"], markers["count"])
                parts = kept[key] = split(str(html_value))
            checkboxes.append(
                fill_text(parts, {"checked": " checked" if value.selected else "", "count": str(value.count)})
            )
        chosen = sum(1 for value in values if value.selected)
        html.append(
            fill_text(
                frame,
                {
                    "values": "".join(checkboxes),
                    "open": " open" if chosen else "",
                    "chosen": f" ({chosen})" if chosen else "",
                },
            )
        )
    return Markup("".join(html))


@bp.app_template_global()
def waar_hint(form) -> str:
    """Return the hint under a "waar" field: a postcode and a village of the page's municipality (the search's
    ?gemeente=, else the installation's), so that every installation shows its own example."""
    gemeente = getattr(getattr(form, "gemeente", None), "data", None)
    example = municipalities.place_example(getattr(municipalities.by_slug(gemeente), "code", None))
    if example is None:
        return _("Een postcode of de naam van uw woonplaats")
    return _("Bijvoorbeeld: %(postcode)s of %(place)s", postcode=example[0], place=example[1])


_SEARCH_FORM_MARKERS = {name: marker(name) for name in ("q", "waar", "hidden")}
MAX_KEPT_SEARCH_FORMS = 200  # per language and process: a form per page that shows one, label and distance


@bp.app_template_global()
def search_form(
    form: SearchForm, action: str, heading_id: str | None = None, label: str | None = None, keep_filters: bool = False
) -> Markup:
    """Return the 'wat zoekt u / waar' form (templates/directory/_search_form.html) of a page.

    A form without errors is rendered once per language, action, label and chosen distance and kept in this
    process (issue #17), with the visitor's words, place and hidden fields filled in; a form with errors is
    rendered for its page."""
    hidden_fields = get_template_attribute("directory/_search_hidden.html", "hidden_fields")
    hidden = hidden_fields(form, request.args, keep_filters)
    hint = waar_hint(form)
    if form.q.errors or form.waar.errors or form.straal.errors:
        return Markup(
            render_template(
                "directory/_search_form.html",
                form=form,
                action=action,
                heading_id=heading_id,
                label=label,
                hidden=hidden,
                waar_hint=hint,
            )
        )
    language = str(get_locale() or "nl")
    kept: dict[tuple, tuple[str, ...]] = current_app.extensions.setdefault(_SEARCH_FORMS, {})
    key = (language, action, heading_id, label, form.straal.data, hint)

    def render() -> str:
        probe = SearchForm(formdata=None, q=_SEARCH_FORM_MARKERS["q"], waar=_SEARCH_FORM_MARKERS["waar"])
        probe.straal.data = form.straal.data
        return render_template(
            "directory/_search_form.html",
            form=probe,
            action=action,
            heading_id=heading_id,
            label=label,
            hidden=_SEARCH_FORM_MARKERS["hidden"],
            waar_hint=hint,
        )

    parts = kept_parts(kept, key, render, MAX_KEPT_SEARCH_FORMS)
    return fill(parts, {"q": escape(form.q._value()), "waar": escape(form.waar._value()), "hidden": hidden})


_SEARCH_FORMS = "sociale_kaart.search_forms"  # app.extensions: (language, action, ...) -> the form's parts
_REPORT_FORMS = "sociale_kaart.blank_report_forms"  # app.extensions: language -> the form's parts


@bp.app_template_global()
def blank_report_form(service_id: int) -> Markup:
    """Return the empty "Klopt er iets niet?" form of a service page (templates/directory/_report_form.html).

    Its fields are the same on every service page: rendered once per language and process (issue #17), with
    this page's action and the visitor's CSRF token filled in."""
    language = str(get_locale() or "nl")
    kept: dict[str, tuple[str, ...]] = current_app.extensions.setdefault(_REPORT_FORMS, {})
    parts = kept.get(language)
    if parts is None:
        form = ReportForm(formdata=None)
        html = render_template("directory/_report_form.html", form=form, action=marker("action"))
        token = getattr(getattr(form, "csrf_token", None), "current_token", None)  # None: CSRF is off
        parts = kept[language] = split(html.replace(token, marker("csrf")) if token else html)
    action = url_for("directory.report", service_id=service_id)
    return fill(parts, {"action": escape(action), "csrf": escape(generate_csrf())})


@bp.app_template_global()
def in_region() -> bool:
    """Return True when the installation serves several municipalities (issue #20)."""
    return municipalities.is_region()


@bp.app_template_global()
def region_names() -> str:
    """Return the names of the installation's municipalities, for a sentence ("Rhenen, Utrechtse Heuvelrug")."""
    return municipalities.region_name()


@bp.app_template_global()
def municipality_mark(names) -> str:
    """Return the mark of a listing of other municipalities: "Gemeente Rhenen" (issue #20)."""
    return " · ".join(_("Gemeente %(name)s", name=name) for name in names)


@bp.app_template_global()
def report_topic_label(code):
    """Return the label of a report topic ("Openingstijden")."""
    return reports.TOPICS.get(code, code)


@bp.app_template_global()
def vocab_label(term):
    """Return a taxonomy term's label in the user's language."""
    return services.term_label(term)


@bp.app_template_global()
def vocab_description(term):
    """Return a taxonomy term's description in the user's language."""
    return services.term_description(term)


_SEARCH_PATHS = "sociale_kaart.search_paths"  # request.environ: endpoint -> its path, made once a request
_QUERY_SAFE = "!$'()*,/:;?@"  # what Werkzeug's url_for leaves unquoted in a query string


@bp.app_template_global()
def search_path(endpoint: str) -> str:
    """Return url_for(endpoint) of a results page, made once a request: its links and forms ask for it often (#17)."""
    paths = request.environ.setdefault(_SEARCH_PATHS, {})
    path = paths.get(endpoint)
    if path is None:
        path = paths[endpoint] = url_for(endpoint)
    return path


@bp.app_template_global()
def search_url_with(endpoint="directory.search", **changes):
    """Return the current search URL with some query parameters changed (None removes)."""
    args: dict[str, Any] = request.args.to_dict(flat=False)
    for key, value in changes.items():
        if value is None:
            args.pop(key, None)
        else:
            args[key] = value if isinstance(value, list) else [value]
    if "pagina" not in changes:
        args.pop("pagina", None)
    if endpoint not in SEARCH_ENDPOINTS:
        if endpoint == request.endpoint:
            args.update(request.view_args or {})
        return url_for(endpoint, **args)
    # a results page's links: url_for's URL, without its routing for each link (#17)
    query = urlencode(
        [(key, value) for key, values in args.items() for value in values if value is not None], safe=_QUERY_SAFE
    )
    return f"{search_path(endpoint)}?{query}" if query else search_path(endpoint)


@bp.app_template_global()
def clear_filters_url(endpoint="directory.search"):
    """Return the search URL without any filter."""
    return search_url_with(endpoint, open=None, **dict.fromkeys(services.FILTER_FACETS))


# --- the parts of a results page, kept (#17) ------------------------------------------------------------
# A results page's summary, list and page links (_results.html), its filters (_facets.html) and its page links
# (_pagination.html) are rendered once per shape (what they show: a notice or not, sorted by distance or not)
# and language with markers where the page's values go, kept in this process, and filled in for each page, as
# the cards and forms inside them are: what a template would work out for every request is worked out once.

MAX_KEPT_PARTS = 1_000  # per process: the shapes met in each language, a few KB each
_KEPT_PARTS = "sociale_kaart.result_parts"  # app.extensions: (template, language, shape) -> the part's parts


class ResultsShape(NamedTuple):
    """What a results page's summary and list show (templates/directory/_results.html)."""

    outside_region: bool  # the place lies outside the installation's municipalities
    in_region: bool  # ... and the installation serves several (#20)
    any_result: bool  # ... and something lies nearest
    count_in_heading: bool  # the page's heading says result_count(), the summary leaves it out
    partial: bool
    fuzzy: bool
    suggestion: bool
    sort: str  # "" (no choice of order), "distance" or "relevance": the order shown
    listings: bool
    past_end: int  # the number of pages, when the page asked for lies past them; else 0
    no_results: bool
    team_tip: bool  # the tips name the dorpsteam (no help offer under the list does)


class FacetsShape(NamedTuple):
    """What a results page's filters show (templates/directory/_facets.html)."""

    chosen: bool
    free_checked: bool
    open_checked: bool
    open_count: bool


class PagesShape(NamedTuple):
    """Which page links a results page shows (templates/directory/_pagination.html)."""

    current: int
    first: int
    last: int
    more: bool


def _kept_part(template: str, shape: tuple, values: dict[str, Any]) -> Markup:
    """Return `template` rendered for a shape (once per shape and language, then kept) with this page's values,
    each escaped, where the markers are."""
    language = str(get_locale() or "nl")
    kept: dict[tuple, tuple[str, ...]] = current_app.extensions.setdefault(_KEPT_PARTS, {})
    markers = {name: marker(name) for name in values}
    parts = kept_parts(
        kept, (template, language, shape), partial(render_template, template, s=shape, v=markers), MAX_KEPT_PARTS
    )
    return fill(parts, {name: escape(value) for name, value in values.items()})


def _page_global(name: str):
    """Return a template global of another capability (the list button's rules live with the lists)."""
    return current_app.jinja_env.globals[name]


@bp.app_template_global()
def result_count(page) -> str:
    """Return the one wording of "6 resultaten voor ‘x’ bij Doorn binnen 5 km" (#11): the results page's title,
    heading and summary."""
    if page.total == 0:
        words = [_("Geen resultaten gevonden")]
    else:
        words = [ngettext("%(num)d resultaat", "%(num)d resultaten", page.total)]
    if page.criteria.text:
        words.append(_("voor ‘%(text)s’", text=page.criteria.text))
    if page.place:
        words.append(_("bij %(place)s", place=page.place.label))
        if page.criteria.radius_km:
            words.append(_("binnen %(km)d\u00a0km", km=page.criteria.radius_km))
    return " ".join(words)


def _result_cards(page, first: int) -> Markup:
    """Return a results page's cards, with the list button a visitor without a session gets as a link (kept with
    the card) or, for one with a session or an account, rendered for them."""
    own_button = bool(session) or current_user.is_authenticated or not _page_global("has_endpoint")("lists.add")
    slots = card_slots(None if own_button else _page_global("list_return")())
    add_button = None
    if slots["back"] is None:
        context: dict[str, Any] = {}
        current_app.update_template_context(context)
        module = current_app.jinja_env.get_template("lists/_add_button.html").make_module(context)
        add_button = module.add_button  # type: ignore[attr-defined]  # the macro, imported `with context`
    return listing_cards(page.listings, first, card_text(), slots, add_button)


@bp.app_template_global()
def results_section(page, list_id: str, count_in_heading: bool = False) -> Markup:
    """Return a results page's summary, order, cards and page links (templates/directory/_results.html); the
    page's heading says result_count() when `count_in_heading`."""
    criteria = page.criteria
    endpoint = request.endpoint
    outside = bool(page.outside_region)
    sort = ""
    if page.place and page.total:
        sort = "distance" if criteria.sort == "distance" or not criteria.text else "relevance"
    past_end = page.pages if not page.listings and page.total and criteria.page > page.pages else 0
    no_results = not page.listings and page.total == 0
    shape = ResultsShape(
        outside_region=outside,
        in_region=outside and in_region(),
        any_result=outside and bool(page.total),
        count_in_heading=count_in_heading,
        partial=bool(page.partial),
        fuzzy=bool(page.fuzzy),
        suggestion=bool(page.suggestion),
        sort=sort,
        listings=bool(page.listings),
        past_end=past_end,
        no_results=no_results,
        team_tip=no_results and not _page_global("has_endpoint")("matching.request_form"),
    )
    values: dict[str, Any] = {"pagination": page_links(page)}
    if outside:
        values["place"] = page.place.label
        values["place_municipality"] = page.place.municipality or "?"
        if shape.in_region:
            values["region_names"] = region_names()
        else:
            values["municipality_name"] = current_app.config["MUNICIPALITY_NAME"]
    if not count_in_heading:
        values["count"] = result_count(page)
    if page.suggestion:
        values["suggestion"] = page.suggestion
        values["suggestion_url"] = search_url_with(endpoint, q=page.suggestion)
    if sort:
        values["sort_url"] = search_url_with(endpoint, sorteer="relevance" if sort == "distance" else "distance")
    if page.listings:
        first = (criteria.page - 1) * current_app.config["SEARCH_PER_PAGE"] + 1
        values.update(list_id=list_id, first=str(first), cards=_result_cards(page, first))
    elif past_end:
        values["last_page_url"] = search_url_with(endpoint, pagina=page.pages)
    elif no_results:
        values["categories_url"] = url_for("directory.categories")
    return _kept_part("directory/_results.html", shape, values)


def page_links(page) -> Markup:
    """Return a results page's links to the pages around it (templates/directory/_pagination.html), or nothing
    for one page."""
    if page.pages <= 1:
        return Markup("")
    current = page.criteria.page
    shape = PagesShape(
        current=current,
        first=current - 2 if current > 3 else 1,
        last=current + 2 if current + 2 < page.pages else page.pages,
        more=current < page.pages,
    )
    base = search_url_with(request.endpoint)
    return _kept_part("directory/_pagination.html", shape, {"base": f"{base}{'&' if '?' in base else '?'}"})


_SEARCH_FIELDS = ("q", "waar", "straal", "sorteer")  # kept by the filters' form as hidden fields


@bp.app_template_global()
def facets_form(page, form: SearchForm) -> Markup:
    """Return a results page's filters with their counts (templates/directory/_facets.html), the search's own
    fields hidden in their form."""
    free = page.free
    chosen = page.filters_on + (1 if form.open.data else 0)
    shape = FacetsShape(
        chosen=bool(chosen),
        free_checked=bool(free and free.selected),
        open_checked=bool(form.open.data),
        open_count=page.open_count is not None and not form.open.data,
    )
    # the names are this module's own; escape() is a tenth of Markup.format's cost
    hidden = Markup(
        "".join(
            f'<input type="hidden" name="{name}" value="{escape(value)}">'
            for name in _SEARCH_FIELDS
            if (value := request.args.get(name))
        )
    )
    values = {
        "chosen": str(chosen),
        "action": search_path(str(request.endpoint)),
        "hidden": hidden,
        "free_count": str(free.count if free else 0),
        "open_count": str(page.open_count),
        "groups": facet_groups(page.facets),
        "clear_url": clear_filters_url(request.endpoint),
    }
    return _kept_part("directory/_facets.html", shape, values)
