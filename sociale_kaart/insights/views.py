"""The area analysis pages under /werkplek/analyse (issue #15): the page, its print view, a CSV file per table.

Brokers see their areas, policy officers (beleidsmedewerkers) and admins the whole municipality;
services.analysis_areas refuses everyone else (anonymous people go to the login page).
"""

from flask import Blueprint, Response, render_template, request
from flask_babel import gettext as _
from flask_login import current_user
from markupsafe import Markup

from .. import clock
from ..errors import NotFound
from . import export, services, svg
from .forms import AnalysisForm

bp = Blueprint("insights", __name__, url_prefix="/werkplek/analyse")


@bp.app_template_filter("insight_figure")
def insight_figure(figure):
    """Return a figure of the analysis as text: a number, "<5", "×" or "–"."""
    return services.figure_text(figure)


def _choice():
    """Return (form, period, area code, query) from the query string; the defaults when it is not valid."""
    areas = services.analysis_areas(current_user)  # raises PermissionDenied for anyone else
    whole = current_user.has_role("admin", "policy")
    municipalities = [
        (services.municipality_choice(row.code), row.name) for row in services.analysis_municipalities(current_user)
    ]
    form = AnalysisForm.for_request(request.args, areas, clock.today(), whole, municipalities)
    if form.validate():
        return form, form.period(), form.area_code(), form.query()
    return form, services.default_analysis_period(), None, {}


def _charts(analysis):
    """Return {chart id: SVG markup} (svg.py escapes every text it draws)."""
    drawn = {}
    for chart in analysis.charts.values():
        table = analysis.table(chart.table)
        pointer = _("De cijfers staan in de tabel '%(table)s' hieronder.", table=table.title)
        if chart.kind == "bar":
            name, values = chart.series[0]
            markup = svg.bar_chart(chart.id, chart.title, pointer, list(zip(chart.labels, values, strict=False)))
        else:
            markup = svg.line_chart(
                chart.id,
                chart.title,
                pointer,
                chart.labels,
                [svg.Series(name, values) for name, values in chart.series],
                percent=chart.percent,
            )
        drawn[chart.id] = Markup(markup)
    return drawn


def _page(template):
    form, period, area_code, query = _choice()
    analysis = None
    if form.gebied.choices[1:] or current_user.has_role("admin", "policy"):
        analysis = services.area_analysis(current_user, period, area_code)
    return render_template(
        template,
        form=form,
        analysis=analysis,
        query=query,
        charts=_charts(analysis) if analysis else {},
        gap_labels=services.GAP_LABELS,
    )


@bp.route("")
def analysis():
    """The area analysis: supply, demand, where help is missing, outcomes, population."""
    return _page("insights/analysis.html")


@bp.route("/afdrukken")
def print_view():
    """The same analysis laid out for paper: no form, every table, charts in black and colour."""
    return _page("insights/print.html")


@bp.route("/<table_id>.csv")
def table_csv(table_id):
    """One table of the analysis as a CSV file, with the same hidden numbers as the page."""
    form, period, area_code, _query = _choice()
    if form.error_list:  # a file has no page to show the form's errors on
        return render_template("errors/400.html", reason=_("Kies een gebied en maanden uit de lijst.")), 400
    analysis = services.area_analysis(current_user, period, area_code)
    table = analysis.table(table_id)
    if table is None:
        raise NotFound(table_id)
    filename = f"gebiedsanalyse-{table.id}-{period.start.isoformat()}-{period.end.isoformat()}.csv"
    return Response(
        export.csv_text(table),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )
