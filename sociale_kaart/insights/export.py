"""CSV files of the area analysis's tables (issue #15): exactly what the page shows, hidden numbers included as hidden.

Every cell goes through directory.hsds_io.formula_safe, the app's one rule against spreadsheet
formulas (=, +, -, @, tab, CR at the start of a cell). It lives with the HSDS export, which sits
below insights, so importing it follows the layering (insights → directory).
"""

import csv
import io

from flask_babel import gettext as _

from ..directory.hsds_io import formula_safe
from .services import GAP_LABELS, HeatCell, Table, figure_text


def _text(value) -> str:
    if isinstance(value, HeatCell):
        return figure_text(value.demand)
    return figure_text(value) if hasattr(value, "hidden") else str(value)


def records(table: Table) -> list[list[str]]:
    """Return the table as rows of text: a header, then one row per line (the heat table: per task and area)."""
    if table.id == "tekort":
        header = [table.row_header, _("Gebied"), _("Hulpvragen"), _("Actieve vrijwilligers"), _("Tekort")]
        rows = [
            [row.label, column, figure_text(cell.demand), figure_text(cell.supply), str(GAP_LABELS[cell.level])]
            for row in table.rows
            for column, cell in zip(table.columns, row.cells, strict=False)
        ]
        return [header, *rows]
    return [
        [table.row_header, *table.columns],
        *([row.label, *(_text(cell) for cell in row.cells)] for row in table.rows),
    ]


def csv_text(table: Table) -> str:
    """Return the table as a CSV file (comma-separated, UTF-8 with a byte order mark for spreadsheets)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    for row in records(table):
        writer.writerow([formula_safe(str(cell)) for cell in row])
    return "\ufeff" + buffer.getvalue()
