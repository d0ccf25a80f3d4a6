"""Population context for the area analysis (issue #15): read a CBS "Kerncijfers wijken en buurten" CSV.

The file has CBS's own column names, as the open-data download (OData, `TypedDataSet`, or the
`cbsodata` package) gives them: a region code (`WijkenEnBuurten` or `Codering_3`: "GM1581",
"WK158101", "BU15810101"), `AantalInwoners_5`, `k_65JaarOfOuder_12`, `Eenpersoonshuishoudens_29`
and, when present, `k_75JaarOfOuder` (not in the Kerncijfers table itself; a file joined with
another CBS table may have it) and `Perioden` ("2024JJ00"). The number after the underscore
changes from year to year, so columns are recognised by the name before it. CBS writes "." for
a figure it keeps secret or does not have; that is stored as unknown.

Which CBS region is which of our areas: `--map WK158101=doorn` (several regions may add up to
one area), else a wijk whose name is the area's name ("Wijk 01 Doorn" or "Doorn"), else a region
whose code is the area's code. The row of our municipality ("GM" + its CBS code) holds the whole
municipality. Every other row is skipped and listed. Loading replaces what was loaded before.
"""

import csv
import io
import re
import unicodedata
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import delete, select

from ..directory.models import Area
from ..errors import ValidationError
from ..extensions import db
from ..params import without_control_characters
from .models import AreaPopulation

FIELDS = {
    "aantalinwoners": "residents",
    "k_65jaarofouder": "aged_65_plus",
    "k_75jaarofouder": "aged_75_plus",
    "eenpersoonshuishoudens": "single_person_households",
}
CODE = re.compile(r"(GM|WK|BU)\d{4,8}", re.IGNORECASE)
WIJK_PREFIX = re.compile(r"^(wijk|buurt)\s+\d+\s+", re.IGNORECASE)
MAX_SOURCE = 300
MAX_BYTES = 50 * 1024 * 1024  # the whole country's wijken en buurten is about 20 MB
WHOLE = object()  # the municipality's own row


@dataclass
class CbsRow:
    """One region of the file."""

    line: int
    code: str
    name: str
    kind: str  # "GM", "WK" or "BU"
    year: int | None
    figures: dict  # our field name -> int or None


@dataclass
class ImportResult:
    loaded: dict = field(default_factory=dict)  # area name (or "" for the municipality) -> residents
    skipped: list = field(default_factory=list)  # (line, code, name) of regions that are none of ours
    source: str = ""


def _stem(name: str) -> str:
    """Return a CBS column name without its number: "AantalInwoners_5" -> "aantalinwoners"."""
    return re.sub(r"_\d+$", "", name.strip().strip('"').lstrip("\ufeff")).lower()


def _number(text: str) -> int | None:
    text = (text or "").strip().replace(" ", "")
    if not text or text in (".", "x", "?", "-"):
        return None
    try:
        return int(round(float(text.replace(",", "."))))
    except ValueError:
        return None


def _decode(data: bytes) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("cp1252")


def _year(text: str) -> int | None:
    found = re.match(r"\s*(\d{4})", text or "")
    return int(found.group(1)) if found else None


def _plain(text: str) -> str:
    """Return a name to compare: no accents or control characters, lower case, single spaces."""
    text = without_control_characters(text or "").strip()
    text = "".join(char for char in unicodedata.normalize("NFKD", text) if not unicodedata.combining(char))
    return " ".join(text.replace("-", " ").lower().split())


def read_cbs_csv(data: bytes) -> list[CbsRow]:
    """Return the regions of a CBS Kerncijfers CSV; raise ValidationError when it is not one."""
    if len(data) > MAX_BYTES:
        raise ValidationError("file", _("Dit bestand is te groot voor een CBS-tabel van wijken en buurten."))
    text = _decode(data)
    header = text.splitlines()[0] if text else ""
    delimiter = ";" if header.count(";") > header.count(",") else ","
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    names = [_stem(name) for name in next(reader, [])]
    columns = {stem: index for index, stem in enumerate(names)}
    code_columns = [columns[stem] for stem in ("codering", "wijkenenbuurten", "regios") if stem in columns]
    if not code_columns or "aantalinwoners" not in columns:
        raise ValidationError(
            "file",
            _(
                "Dit is geen CBS-bestand 'Kerncijfers wijken en buurten': de kolommen "
                "WijkenEnBuurten (of Codering) en AantalInwoners ontbreken."
            ),
        )
    rows = []
    for line, values in enumerate(reader, start=2):
        cells = [value.strip() for value in values]
        code = next(
            (cells[index].upper() for index in code_columns if index < len(cells) and CODE.fullmatch(cells[index])), ""
        )
        if not code:
            continue
        name_column = columns.get("wijkenenbuurten")
        name = cells[name_column] if name_column is not None and name_column < len(cells) else ""
        name = "" if CODE.fullmatch(name) else without_control_characters(name)[:120]
        figures = {
            ours: _number(cells[columns[stem]]) if stem in columns and columns[stem] < len(cells) else None
            for stem, ours in FIELDS.items()
        }
        period = columns.get("perioden")
        year = _year(cells[period]) if period is not None and period < len(cells) else None
        rows.append(CbsRow(line, code, name, code[:2], year, figures))
    return rows


def parse_mappings(mappings: Iterable[str]) -> dict[str, str]:
    """Return {CBS code: area code} from "WK158101=doorn" options; raise ValidationError on a bad one."""
    found = {}
    for mapping in mappings:
        code, separator, area_code = (mapping or "").partition("=")
        code, area_code = code.strip().upper(), area_code.strip()
        if not separator or not CODE.fullmatch(code) or not area_code:
            raise ValidationError("map", _("Schrijf een koppeling als WK158101=doorn (CBS-code=code van het gebied)."))
        found[code] = area_code
    return found


def _area_for(row: CbsRow, areas: list, by_code: dict, mappings: Mapping[str, str]):
    """Return the area of a CBS row, WHOLE for the municipality, or None for a region that is none of ours."""
    if row.code in mappings:
        return by_code[mappings[row.code]]
    municipality = "GM" + str(current_app.config["MUNICIPALITY_CODE"]).zfill(4)
    if row.code == municipality:
        return WHOLE
    if row.kind == "WK" and row.name:
        name = _plain(WIJK_PREFIX.sub("", row.name))
        match = next((area for area in areas if _plain(area.name) == name), None)
        if match is not None:
            return match
    return next((area for area in areas if area.code.upper() == row.code), None)


def import_population(data: bytes, mappings: Iterable[str] = (), source: str = "") -> ImportResult:
    """Replace the population figures with those of a CBS Kerncijfers CSV; return what was loaded and skipped."""
    rows = read_cbs_csv(data)
    mapping = parse_mappings(mappings)
    areas = list(db.session.scalars(select(Area).order_by(Area.name)))
    by_code = {area.code: area for area in areas}
    unknown = sorted(code for code in set(mapping.values()) if code not in by_code)
    if unknown:
        raise ValidationError("map", _("Deze gebieden bestaan niet: %(codes)s.", codes=", ".join(unknown)))
    grouped, result = defaultdict(list), ImportResult()
    for row in rows:
        area = _area_for(row, areas, by_code, mapping)
        if area is None:
            result.skipped.append((row.line, row.code, row.name))
        else:
            grouped[None if area is WHOLE else area.id].append(row)
    if not grouped:
        raise ValidationError(
            "file",
            _(
                "Geen enkele regio in dit bestand hoort bij een gebied van de gemeente. "
                "Koppel ze met --map CBS-CODE=gebied."
            ),
        )
    years = sorted({row.year for group in grouped.values() for row in group if row.year})
    source = " ".join(without_control_characters(source or "").split())[:MAX_SOURCE]
    result.source = source or (
        _("CBS, Kerncijfers wijken en buurten %(year)s", year=years[-1])
        if years
        else _("CBS, Kerncijfers wijken en buurten")
    )
    db.session.execute(delete(AreaPopulation))
    names = {area.id: area.name for area in areas}
    for area_id, group in grouped.items():
        figures = {name: _sum(row.figures[name] for row in group) for name in FIELDS.values()}
        db.session.add(
            AreaPopulation(
                area_id=area_id,
                region_codes=",".join(row.code for row in group)[:200],
                year=max((row.year for row in group if row.year), default=None),
                source=result.source,
                **figures,
            )
        )
        result.loaded[names.get(area_id, "")] = figures["residents"]
    db.session.commit()
    return result


def _sum(values: Iterable[int | None]) -> int | None:
    """Return the sum, or None when one region's figure is unknown (a partial sum would mislead)."""
    values = list(values)
    known = [value for value in values if value is not None]
    return sum(known) if len(known) == len(values) else None
