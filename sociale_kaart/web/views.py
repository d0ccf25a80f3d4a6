"""Home, about, and the language switch."""

from flask import Blueprint, redirect, render_template, request, session, url_for

from ..directory import areas, cache
from ..directory import services as directory
from ..directory.forms import SearchForm
from ..urls import safe_next
from .situations import SITUATIONS

bp = Blueprint("web", __name__)


@bp.route("/")
def home():
    """The home page: one search form, quick entries, emergency numbers, the dorpsteams."""

    def render():
        return render_template(
            "web/home.html",
            form=SearchForm(request.args),
            categories=directory.list_categories(),
            situations=SITUATIONS,
            dorpsteams=areas.area_contacts(),
        )

    # the form shows the query string's values: only the bare home page is the same for everyone (#17)
    return render() if request.args else cache.kept_page("web.home", render)


@bp.route("/over-deze-kaart")
def about():
    """About the map: what it is, data sources and attribution."""
    return render_template("web/about.html")


@bp.route("/taal/<code>")
def set_language(code):
    """Switch the interface language and go back to the page the user was on."""
    if code in ("nl", "en"):
        session["lang"] = code
    return redirect(safe_next(request.args.get("next")) or url_for("web.home"))
