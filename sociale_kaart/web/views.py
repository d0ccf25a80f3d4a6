"""Home, a municipality's entry page, about, and the language switch."""

from flask import (
    Blueprint,
    abort,
    current_app,
    g,
    get_template_attribute,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user
from jinja2 import pass_context
from markupsafe import Markup, escape
from sqlalchemy.exc import SQLAlchemyError
from werkzeug.routing import ValidationError

from ..accounts import sessions as account_sessions
from ..directory import areas, cache, municipalities
from ..directory import services as directory
from ..directory.forms import SearchForm
from ..extensions import db
from ..fragments import fill, kept_parts, marker
from ..params import SegmentConverter
from ..urls import from_this_site, safe_next
from .situations import SITUATIONS

bp = Blueprint("web", __name__)


class MunicipalitySlugConverter(SegmentConverter):
    """`<municipality:slug>`: a first path segment that is none of the site's own (RESERVED_SLUGS, issue #20).

    So a page's path asked with another method (GET /uitloggen) is still that page's 405, not a
    municipality that does not exist."""

    def to_python(self, value):
        if value.lower() in municipalities.RESERVED_SLUGS:
            raise ValidationError()
        return super().to_python(value)


@bp.record_once
def _install_converter(state) -> None:
    """Register <municipality:…> before the routes below are (the blueprint's deferred functions run in order)."""
    state.app.url_map.converters.setdefault("municipality", MunicipalitySlugConverter)


@bp.route("/")
def home():
    """The home page; in a region of several municipalities it also offers the choice of one (issue #20)."""
    return _home_page(None, municipalities.municipality_rows() if municipalities.is_region() else ())


@bp.route("/<municipality:slug>/", strict_slashes=False)  # /rhenen too, and an unknown /x is a 404, not a redirect
def municipality_home(slug):
    """A municipality's entry page (/rhenen/): its home page, its villages and contacts; searches stay in it."""
    municipality = municipalities.by_slug(slug)
    if municipality is None:
        abort(404)
    return _home_page(municipality)


def _home_page(municipality, choices=()):
    """Render the home page of one municipality (None: the installation's, as it always was; in a region with
    the municipalities to choose from)."""

    def render():
        form = SearchForm(request.args)
        if municipality is not None:
            form.gemeente.data = municipality.slug
            area_list = municipalities.areas_of(municipality.code)
            dorpsteams = [area for area in area_list if area.has_contact]
        else:
            area_list, dorpsteams = [], areas.area_contacts()
        return render_template(
            "web/home.html",
            form=form,
            # each tile counts the results of the topic page it links to, in this page's municipality (issue #20)
            categories=directory.category_counts(municipality.code if municipality is not None else None),
            situations=SITUATIONS,
            dorpsteams=dorpsteams,
            municipality=municipality,
            villages=area_list,
            choices=choices,
        )

    # the form shows the query string's values: only the bare home page is the same for everyone (#17)
    name = f"web.home:{municipality.code}" if municipality is not None else "web.home"
    return render() if request.args else cache.kept_page(name, render)


@bp.app_template_global()
def current_municipality():
    """Return the municipality of this page: its entry page's or the search's (?gemeente=), else None."""
    return _header()[0]


@bp.app_template_global()
def site_place_name() -> str:
    """Return the name after "Sociale kaart": this page's municipality, else the installation's (or the region's)."""
    return _header()[1]


_LAYOUT = "sociale_kaart.kept_layout"  # app.extensions: (part, language, ...) -> a header's or footer's parts
MAX_KEPT_LAYOUT = 2_000  # per process: pages x municipalities x languages x list sizes; a header is about 2 KB
_SWITCH = marker("switch")


@bp.app_template_global()
@pass_context
def site_header(context) -> Markup:
    """Return the header of a page (templates/_layout.html): its municipality, menu and language switch.

    For a visitor who is not signed in it is rendered once per language, municipality, page and size of their
    list and kept in this process (issue #17), with the language switch's way back to this page filled in;
    a signed-in visitor's menu (their roles, the logout form's token) is rendered for them."""
    here, place_name = _header()
    language, other = context["language"], context["other_language"]
    switch_href = url_for("web.set_language", code=other, next=request.full_path)
    lists = current_app.jinja_env.globals.get("my_list_count")  # lists/views.py, a capability that may be absent
    list_count = lists() if callable(lists) and "lists.show" in current_app.view_functions else 0
    macro = get_template_attribute("_layout.html", "site_header")
    if current_user.is_authenticated:
        return macro(here, place_name, request.endpoint, current_user, list_count, other, switch_href)
    key = ("header", language, here.slug if here else None, place_name, request.endpoint, list_count)
    parts = _kept_layout(
        key, lambda: macro(here, place_name, request.endpoint, current_user, list_count, other, _SWITCH)
    )
    return fill(parts, {"switch": escape(switch_href)})


@bp.app_template_global()
@pass_context
def site_footer(context) -> Markup:
    """Return the footer of a page (templates/_layout.html), rendered once per language and municipality (#17)."""
    here = _header()[0]
    key = ("footer", context["language"], here.slug if here else None)
    macro = get_template_attribute("_layout.html", "site_footer")
    return fill(
        _kept_layout(
            key, lambda: macro(here, context["attribution"], context["attribution_url"], context["license_url"])
        ),
        {},
    )


def _kept_layout(key: tuple, render) -> tuple[str, ...]:
    return kept_parts(current_app.extensions.setdefault(_LAYOUT, {}), key, render, MAX_KEPT_LAYOUT)


def _header():
    """Return (this page's municipality or None, the name the header shows), worked out once a request.

    An error page is drawn when the database may fail (a 500, a 503 while it is read-only or down):
    then the header shows the settings' name, as it always did.
    """
    if "header" not in g:
        try:
            g.header = _header_from_database()
        except SQLAlchemyError:
            db.session.rollback()
            g.header = (None, str(current_app.config["MUNICIPALITY_NAME"]))
    return g.header


def _header_from_database():
    if request.endpoint == "web.municipality_home":
        chosen = municipalities.by_slug((request.view_args or {}).get("slug"))
    else:
        chosen = municipalities.by_slug(request.args.get("gemeente")) if request.args.get("gemeente") else None
    if chosen is not None:
        return chosen, chosen.name
    if municipalities.is_region():
        return None, municipalities.region_name()
    return None, str(current_app.config["MUNICIPALITY_NAME"])


@bp.route("/over-deze-kaart")
def about():
    """About the map: what it is, data sources and attribution."""
    return render_template("web/about.html")


@bp.route("/taal/<code>")
def set_language(code):
    """Switch the interface language (a logged-in user's account too) and go back to the page they were on.

    A GET link, so the header works without JavaScript and stays the same for every visitor (#17); what a
    link from another site may change is limited in accounts.sessions.choose_language."""
    account_sessions.choose_language(code, from_this_site=from_this_site(request.headers.get("Sec-Fetch-Site")))
    return redirect(safe_next(request.args.get("next")) or url_for("web.home"))
