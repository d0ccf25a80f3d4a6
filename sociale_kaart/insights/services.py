"""The area analysis (gebiedsanalyse, issue #15): supply and demand per area, where help is missing, outcomes.

Who sees what: a policy officer (beleidsmedewerker, role "policy") and an admin see every area and
the whole municipality; a broker sees the areas they work in. Everyone sees aggregates only: the
figures come from queries.py as counts, and every count of people passes through suppression.py
before it leaves this module, once, so a number hidden in one table is hidden wherever it appears.

Definitions (the page explains them in plain Dutch):
- a help request is *received* when it was asked in the period and reached the team (confirmed);
  rejected requests (not for a volunteer) do not count;
- it *got a volunteer* when a broker first approved one (Match.approved_at), counted from the
  moment it reached the team; "within 7 days" only over requests received at least 7 days ago;
- help is *missing* where requests did not get a volunteer within 7 days (the heat table);
- supply is as it is today: published services (as public search shows them) and active volunteers.
"""

import importlib.util
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from types import SimpleNamespace
from typing import Any

from flask import g, has_app_context
from flask_babel import format_date, format_decimal, format_percent
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from .. import clock
from ..accounts import permissions
from ..accounts.models import User
from ..directory import freshness, municipalities, scopes
from ..directory import services as directory
from ..directory.models import Area
from ..directory.municipalities import MunicipalityRow
from ..directory.vocabularies import PYRAMID_LEVELS
from ..errors import PermissionDenied
from ..extensions import db
from ..matching import timeslots
from ..matching.vocabularies import TASK_HINTS, TASK_TYPES, task_type_for
from . import periods, queries
from .periods import Period
from .suppression import MIN_PEOPLE, Figure, amount, count, median, protect, public, rate, share, share_of

ALL = "all"  # the row of all task types, topics or themes
TOTAL = "total"  # the column of all areas shown
WHOLE = "whole"  # services for the whole municipality (no area)
OTHER_TOPIC = "other"
MATCH_DAYS = 7
SIGNAL_DUE_DAYS = 14  # 5 working days, with weekends and holidays, are over within two weeks
RETENTION_MONTHS = 3
READER_ROLES = ("broker", "policy")  # and admin, who may do anything
MUNICIPALITY_CHOICE = "gemeente-"  # the area choice of one whole municipality of a region (no area code has "-")
POPULATION_FIELDS = ("residents", "aged_65_plus", "aged_75_plus", "single_person_households")

GAP_LEVELS = ("none", "small", "gap", "big", "no_volunteers", "too_few", "no_demand")
GAP_RANKS = {"big": 3, "gap": 2, "no_volunteers": 1}  # which gaps the sentence names first
GAP_LABELS = {
    "none": _l("geen tekort"),
    "small": _l("klein tekort"),
    "gap": _l("tekort"),
    "big": _l("groot tekort"),
    "no_volunteers": _l("geen vrijwilligers"),
    "too_few": _l("te weinig om te zeggen"),
    "no_demand": _l("geen hulpvragen"),
}


# --- who may see which areas --------------------------------------------------------------------------


@dataclass
class Scope:
    """The areas of one analysis: which the user may choose, which are shown, and the query filter."""

    allowed: list  # the areas the user may choose, by name
    areas: list  # the areas shown (all allowed, or the one chosen)
    area_ids: list | None  # the filter for the queries; None: every row, also rows without an area
    chosen: Area | None = None
    municipality: MunicipalityRow | None = None  # the one municipality of a region shown (issue #20)
    region: bool = False  # every municipality of a region
    # the municipalities whose rows without an area count too (directory.scopes); None: none, or all when whole
    codes: frozenset | None = None

    @property
    def whole(self) -> bool:
        """Return True for the whole municipality (an admin or policy officer who chose no area)."""
        return self.area_ids is None


def analysis_areas(by: User) -> list[Area]:
    """Return the areas a user may analyse; raise PermissionDenied for anyone but brokers, policy and admins.

    Policy officers and admins: every area, or those of their municipality in a region (issue #20).
    """
    permissions.require_role(by, *READER_ROLES)
    if by.has_role("admin", "policy"):
        statement = select(Area).order_by(Area.name)
        in_scope = scopes.scope_area_ids(by)
        if in_scope is not None:
            statement = statement.where(Area.id.in_(sorted(in_scope)))
        return list(db.session.scalars(statement))
    return sorted(by.areas, key=lambda area: area.name)


def analysis_municipalities(by: User) -> list[MunicipalityRow]:
    """Return the municipalities a regional policy officer or admin may analyse one by one (none in one)."""
    permissions.require_role(by, *READER_ROLES)
    if not (by.has_role("admin", "policy") and municipalities.is_region() and scopes.is_regional(by)):
        return []
    return list(municipalities.municipality_rows())


def municipality_choice(code: str) -> str:
    """Return the value of the area choice that stands for a whole municipality of the region."""
    return MUNICIPALITY_CHOICE + code


def scope_for(by: User, area_code: str | None = None) -> Scope:
    """Return the scope of an analysis: one area (by code), one municipality, or everything the user may see."""
    allowed = analysis_areas(by)
    if area_code and area_code.startswith(MUNICIPALITY_CHOICE):
        row = next((row for row in analysis_municipalities(by) if municipality_choice(row.code) == area_code), None)
        if row is None:
            raise PermissionDenied("not one of this user's municipalities")
        ids = municipalities.area_ids_of(row.code)
        areas = [area for area in allowed if area.id in ids]
        return Scope(allowed, areas, [area.id for area in areas], municipality=row, codes=frozenset({row.code}))
    if area_code:
        area = next((area for area in allowed if area.code == area_code), None)
        if area is None:
            raise PermissionDenied("not one of this user's areas")
        return Scope(allowed, [area], [area.id], area)
    if by.has_role("admin", "policy"):
        codes = scopes.regional_codes(by)
        if codes is None:
            return Scope(allowed, allowed, None, region=municipalities.is_region())
        own = municipalities.by_code(next(iter(codes))) if len(codes) == 1 else None
        return Scope(allowed, allowed, [area.id for area in allowed], municipality=own, codes=codes)
    return Scope(allowed, allowed, [area.id for area in allowed])


# --- tables -----------------------------------------------------------------------------------------


@dataclass
class Row:
    key: object
    label: str
    cells: list  # Figures (HeatCells in the heat table)
    total: bool = False  # a row of totals (shown in bold)


@dataclass
class Table:
    """One table of the page and of its CSV export: title, what it shows, rows of figures."""

    id: str
    title: str
    row_header: str
    columns: list  # column labels
    rows: list
    summary: str = ""  # one plain sentence: what the table says
    note: str = ""  # where the numbers come from, or what is left out
    public: bool = False  # counts of public listings: not suppressed
    total_column: bool = False  # the last column holds totals


@dataclass(frozen=True)
class HeatCell:
    """One cell of the heat table: demand, supply and how much help was missing."""

    demand: Figure
    supply: Figure
    level: str
    missing: Figure = Figure(None)
    base: Figure = Figure(None)


@dataclass
class Chart:
    """What a chart shows; views draw it with svg.py."""

    id: str
    kind: str  # "line" or "bar"
    title: str
    summary: str
    labels: list
    series: list  # [(name, [value or None])]
    percent: bool = False
    table: str = ""  # the id of its data table


@dataclass
class Analysis:
    scope: Scope
    period: Period
    today: date
    headline: Table
    tables: dict = field(default_factory=dict)
    charts: dict = field(default_factory=dict)
    gap_sentence: str = ""
    signals_available: bool = True

    def table(self, table_id: str) -> Table | None:
        if table_id == self.headline.id:
            return self.headline
        return self.tables.get(table_id)


# --- showing a figure ---------------------------------------------------------------------------------


def figure_text(figure: Figure) -> str:
    """Return a figure as people read it, in their language: "1.234", "63%", "2,5", "<5", "×" or "–".

    A page shows hundreds of figures and Babel formats slowly, so each (kind, value) is formatted
    once per request (one locale) and kept on flask.g until the request ends.
    """
    if figure.hidden:
        return figure.mark
    if figure.value is None:
        return "–"
    texts = g.setdefault("insight_figure_texts", {}) if has_app_context() else {}
    key = (figure.kind, figure.value)
    text = texts.get(key)
    if text is None:
        text = texts[key] = _formatted(figure)
    return text


def _formatted(figure: Figure) -> str:
    if figure.kind == "share":
        return format_percent(figure.value, "#,##0%")
    if figure.kind in ("median", "rate"):
        return format_decimal(figure.value, "#,##0.#")
    return format_decimal(figure.value, "#,##0")


def _value(figure: Figure):
    return figure.value if figure.shown else None


def _something(figure) -> bool:
    """Return True for a figure that says more than "none": hidden, or a value other than 0."""
    if isinstance(figure, HeatCell):
        return _something(figure.demand) or _something(figure.supply)
    return bool(figure.hidden) or bool(figure.value)


def without_empty_rows(rows: list) -> list:
    """Return the rows that have something in them (totals always), so a long list of zeros does not hide the rest."""
    return [row for row in rows if row.total or any(_something(cell) for cell in row.cells)]


# --- the analysis -----------------------------------------------------------------------------------


def area_analysis(by: User, period: Period, area_code: str | None = None, now: datetime | None = None) -> Analysis:
    """Return every figure of the area analysis for a period and the user's areas (or one of them)."""
    scope = scope_for(by, area_code)
    now = now or clock.naive_utcnow()
    today = clock.today()
    builder = _Builder(scope, period, now, today)
    return builder.build()


def default_analysis_period() -> Period:
    """Return the period a first visit shows: the last 12 months by month."""
    return periods.default_period(clock.today())


def _task_codes(codes: Iterable[str]) -> list:
    known = list(TASK_TYPES)
    return known + sorted({code for code in codes if code not in TASK_TYPES})


def task_label(code: str) -> str:
    task = TASK_TYPES.get(code)
    return str(task.label) if task else code


def bucket_label(bucket: periods.Bucket, short: bool = False) -> str:
    """Return "mrt. 2026" (short, under a chart: "mrt. 26"), or "K1 2026" for a quarter (short: "K1 '26")."""
    if bucket.step == "quarter":
        if short:
            year = str(bucket.year % 100).zfill(2)
            return _("K%(quarter)d '%(year)s", quarter=bucket.number, year=year)
        return _("K%(quarter)d %(year)d", quarter=bucket.number, year=bucket.year)
    return format_date(bucket.start, "MMM yy" if short else "MMM y")


def signals_installed() -> bool:
    """Return True when the signals capability (the other half of issue #15) is installed."""
    return importlib.util.find_spec("sociale_kaart.signals.services") is not None


def signal_days(start: date, end: date, area_ids: Iterable[int] | None) -> dict | None:
    """Return signals.services.daily_counts() for a period, or None while that capability is not installed.

    One query: every figure of signals (per theme, per area, per quarter, per day) is added up from it.
    """
    if not signals_installed():
        return None
    from ..signals import services as signals  # lazily: signals sits beside insights (issue #15)

    return signals.daily_counts(start, end, area_ids=area_ids)


def signal_counts(daily: dict, by_theme: bool = True, first: date | None = None, last: date | None = None) -> dict:
    """Return signal_days() added up as signals.services.counts() gives them, over the days from first to last.

    by_theme=True: per (area, theme), a signal counted for each of its themes; False: per area, once.
    """
    from ..signals import services as signals

    return signals.added_up(daily, by_theme, first, last)


def theme_codes(found: Iterable[str]) -> list:
    """Return the signal themes in the signals capability's order, then any others found."""
    from ..signals.vocabularies import THEME_LABELS

    return list(THEME_LABELS) + sorted({theme for theme in found if theme not in THEME_LABELS})


def theme_label(theme: str) -> str:
    """Return the label of a signal theme, as the signals capability names it."""
    from ..signals.vocabularies import THEME_LABELS

    return str(THEME_LABELS.get(theme, theme))


def gap_level(received: int, base: int, missing: int, volunteers: int, demand_hidden: bool) -> str:
    """Return how much help was missing in one task type and area (a code of GAP_LEVELS).

    Judged on outcomes where at least 5 requests had their 7 days: half or more without a volunteer
    is a big gap, a quarter a gap, any a small one. With fewer, only "no volunteers here" is said.
    """
    if received == 0:
        return "no_demand"
    if not demand_hidden and base >= MIN_PEOPLE:
        part = missing / base
        return "big" if part >= 0.5 else "gap" if part >= 0.25 else "small" if part > 0 else "none"
    return "no_volunteers" if volunteers == 0 else "too_few"


def hours_offered(availability: int) -> float:
    """Return the hours a week of the day parts a volunteer ticked (morning 6, afternoon 6, evening 5)."""
    lengths = [(end.hour * 60 + end.minute - start.hour * 60 - start.minute) / 60 for start, end in timeslots.DAY_PARTS]
    return sum(lengths[part] for _weekday, part in timeslots.cells_of(availability))


def grid(
    rows: Sequence, columns: Sequence, counts: Counter, all_counts: Counter | None = None, hidden: Iterable = ()
) -> dict:
    """Return {(row, column): Figure} with a row ALL and, for more than one column, a column TOTAL.

    The ALL row adds up the rows unless `all_counts` gives it (volunteers with several task types);
    the TOTAL column always adds up the columns. Suppression sees both as totals.
    """
    with_total = len(columns) > 1
    values = {}
    for row in rows:
        for column in columns:
            values[(row, column)] = counts[(row, column)]
    for column in columns:
        values[(ALL, column)] = (
            all_counts[column] if all_counts is not None else sum(counts[(row, column)] for row in rows)
        )
    lines = []
    if with_total:
        for row in [*rows, ALL]:
            values[(row, TOTAL)] = sum(values[(row, column)] for column in columns)
            lines.append(([(row, column) for column in columns], (row, TOTAL)))
    if all_counts is None:
        for column in [*columns, TOTAL] if with_total else columns:
            lines.append(([(row, column) for row in rows], (ALL, column)))
    return protect(values, lines, hidden)


def line(keys: Sequence, counts: Counter, total_hidden: bool = False) -> dict:
    """Return {key: Figure} for counts along one line (months) and their TOTAL, protected together."""
    values = {key: counts[key] for key in keys}
    values[TOTAL] = sum(values.values())
    return protect(values, [(list(keys), TOTAL)], [TOTAL] if total_hidden else [])


@dataclass(slots=True)
class _Tally:
    """Received help requests added up: how many, how many had their 7 days, and how many of those got a volunteer."""

    received: int = 0
    had_week: int = 0  # reached the team at least 7 days ago
    within: int = 0  # of those, a volunteer was approved within 7 days

    def add(self, number: int, had_week: bool, within: bool) -> None:
        self.received += number
        if had_week:
            self.had_week += number
            self.within += number if within else 0

    @property
    def missing(self) -> int:
        """Return how many had their 7 days without getting a volunteer in them."""
        return self.had_week - self.within

    def within_share(self) -> Figure:
        return share(self.within, self.had_week)


class _Received:
    """The help requests received in a period (queries.received_requests), added up once for every table.

    An analysis of 3 years reads twenty thousand requests: each is looked at once, here, and the
    tables read the sums (per task and area, month or quarter, status) and the lists of days until
    a volunteer (per task and per quarter) that their medians need.
    """

    def __init__(self, rows: Iterable, now: datetime, quarter_of: dict[str, str]):
        week = timedelta(days=MATCH_DAYS)
        week_ago = now - week
        cells: Counter[tuple] = Counter()  # (task, area, status, bucket, had a week, within 7 days): how many
        waits: defaultdict[tuple[str, str], list[float]] = defaultdict(list)  # (task, bucket): days to a volunteer
        for area_id, task, status, bucket, since, first_match in rows:
            if first_match is None:
                within = False
            else:
                waited = first_match - since
                within = waited <= week
                waits[(task, bucket)].append(max(0.0, waited.total_seconds() / 86400))
            cells[(task, area_id, status, bucket, since <= week_ago, within)] += 1
        self.cells: defaultdict[tuple[str, object], _Tally] = defaultdict(_Tally)  # (task or ALL, area or TOTAL)
        self.buckets: defaultdict[str, _Tally] = defaultdict(_Tally)
        self.quarters: defaultdict[object, _Tally] = defaultdict(_Tally)  # and TOTAL
        self.ends: Counter[tuple[str, object]] = Counter()  # (status, a task, ALL or a quarter's key): how many
        for (task, area_id, status, bucket, had_week, within), number in cells.items():
            quarter = quarter_of[bucket]
            for key in ((task, area_id), (task, TOTAL), (ALL, area_id), (ALL, TOTAL)):
                self.cells[key].add(number, had_week, within)
            self.buckets[bucket].add(number, had_week, within)
            self.quarters[quarter].add(number, had_week, within)
            self.quarters[TOTAL].add(number, had_week, within)
            for key in ((status, task), (status, ALL), (status, quarter)):
                self.ends[key] += number
        self.tasks = sorted({task for task, _area, *_rest in cells})
        self.areas = {area_id for _task, area_id, *_rest in cells}
        self.days: defaultdict[object, list[float]] = defaultdict(list)  # task, quarter key or ALL
        for (task, bucket), days in waits.items():
            self.days[task] += days
            self.days[quarter_of[bucket]] += days
            self.days[ALL] += days
        self.days[TOTAL] = self.days[ALL]

    @property
    def total(self) -> int:
        return self.cells[(ALL, TOTAL)].received

    def median_days(self, key) -> Figure:
        """Return the median days until a volunteer of a task, a quarter (by key) or ALL."""
        return median(self.days.get(key, []))


class _Builder:
    """Counts everything once and builds the tables; one per analysis."""

    def __init__(self, scope: Scope, period: Period, now: datetime, today: date):
        self.scope, self.period, self.now, self.today = scope, period, now, today
        self.buckets = periods.buckets(period)
        self.quarters = periods.buckets(period, "quarter")
        quarter_of = {bucket.key: periods.bucket_key(bucket.start, "quarter") for bucket in self.buckets}
        received = queries.received_requests(_bounds(self.buckets), scope.area_ids, scope.codes)
        self.received = _Received(received, now, quarter_of)
        self.waiting = queries.waiting_requests(scope.area_ids, now, scope.codes)
        self.volunteers = queries.volunteers(scope.area_ids, today, scope.codes)
        self.active = [volunteer for volunteer in self.volunteers if volunteer.active]
        codes = [area.code for area in scope.areas] if not scope.whole else None
        self.topics = [code for code in TASK_TYPES if code in TASK_HINTS] + [OTHER_TOPIC]
        self.searches = self._count_searches(queries.search_counts(_bounds(self.buckets), codes))
        self.signal_days = signal_days(period.start, period.end, scope.area_ids)
        self.signals = signal_counts(self.signal_days) if self.signal_days is not None else None
        # each signal once, per area: totals and shares over all themes (a signal may have several)
        self.signal_totals = signal_counts(self.signal_days, by_theme=False) if self.signal_days is not None else None
        self.signal_cache: dict = {}
        # a signal is due 5 working days after it came in: the share "in time" leaves out the last two weeks
        self.signals_due_by = min(period.end, today - timedelta(days=SIGNAL_DUE_DAYS))
        self.population = queries.populations()
        self.tasks = _task_codes(
            self.received.tasks + [code for volunteer in self.active for code in volunteer.task_types]
        )
        has_none = (scope.whole or scope.codes is not None) and (
            None in self.received.areas or any(v.area_id is None for v in self.active)
        )
        # the columns of the area tables: the areas shown, then "no area" when the whole municipality (or one
        # municipality of a region) has such rows
        self.columns = [area.id for area in scope.areas] + ([None] if has_none else []) or [None]
        self.total = TOTAL if len(self.columns) > 1 else self.columns[0]  # the key of the all-areas figures

    # labels

    def column_label(self, key) -> str:
        if key == TOTAL:
            return _("Totaal")
        if key is None:
            return _("Zonder gebied")
        if key == WHOLE:
            return _("Voor de hele gemeente")
        return next(area.name for area in self.scope.areas if area.id == key)

    def column_labels(self) -> list:
        return [self.column_label(key) for key in self.columns] + ([_("Totaal")] if self.total == TOTAL else [])

    def column_keys(self) -> list:
        return [*self.columns, TOTAL] if self.total == TOTAL else list(self.columns)

    def build(self) -> Analysis:
        demand, supply = self._demand_grid(), self._supply_grid()
        search_grid, zero_grid = self._search_grids()
        analysis = Analysis(
            self.scope,
            self.period,
            self.today,
            headline=Table("kerncijfers", "", "", [], []),
            signals_available=self.signals is not None,
        )
        heat = self._heat_table(demand, supply)
        analysis.gap_sentence = heat.summary
        tables = [
            heat,
            self._trend_table(demand, search_grid, zero_grid),
            self._requests_table(demand),
            self._search_table(search_grid, zero_grid),
            *([self._signal_table()] if self.signals is not None else []),
            self._volunteer_table(supply),
            *self._service_tables(),
            self._outcome_table(),
            *([self._population_table(demand, supply)] if self.population else []),
        ]
        analysis.tables = {table.id: table for table in tables}
        analysis.headline = self._headline(demand, supply, search_grid, zero_grid)
        analysis.charts = {chart.id: chart for chart in self._charts(analysis)}
        return analysis

    def _demand_grid(self) -> dict:
        # per (task, area): grid() reads those of the columns and adds up the totals itself
        counts = Counter({key: tally.received for key, tally in self.received.cells.items() if key[0] != ALL})
        return grid(self.tasks, self.columns, counts)

    def _supply_grid(self) -> dict:
        counts = Counter((code, volunteer.area_id) for volunteer in self.active for code in set(volunteer.task_types))
        everyone = Counter(volunteer.area_id for volunteer in self.active)
        return grid(self.tasks, self.columns, counts, all_counts=everyone)

    # the gap

    def _heat_table(self, demand: dict, supply: dict) -> Table:
        by_cell = self.received.cells
        volunteers: Counter[tuple[str, object]] = Counter()
        for volunteer in self.active:
            for column in {volunteer.area_id, TOTAL}:
                volunteers[(ALL, column)] += 1
                for code in set(volunteer.task_types):
                    volunteers[(code, column)] += 1
        rows, gaps = [], []
        for task in [*self.tasks, ALL]:
            cells = []
            for column in self.column_keys():
                requests = by_cell.get((task, column), _Tally())
                missing = requests.missing
                level = gap_level(
                    requests.received,
                    requests.had_week,
                    missing,
                    volunteers[(task, column)],
                    demand_hidden=not demand[(task, column)].shown,
                )
                cell = HeatCell(
                    demand[(task, column)], supply[(task, column)], level, count(missing), count(requests.had_week)
                )
                cells.append(cell)
                if task != ALL and column != TOTAL and level in GAP_RANKS:
                    gaps.append(
                        (
                            GAP_RANKS[level],
                            missing / requests.had_week if requests.had_week else 0,
                            requests.had_week,
                            task_label(task),
                            self.column_label(column),
                            cell,
                        )
                    )
            rows.append(Row(task, task_label(task) if task != ALL else _("Alle taken"), cells, total=task == ALL))
        return Table(
            "tekort",
            _("Waar ontbreekt hulp?"),
            _("Taak"),
            self.column_labels(),
            without_empty_rows(rows),
            summary=self._gap_sentence(gaps),
            note=_(
                "Per taak en gebied: hoeveel hulpvragen er kwamen, hoeveel actieve vrijwilligers die taak doen, "
                "en of hulpvragen binnen 7 dagen een vrijwilliger kregen. Vrijwilligers helpen ook in een gebied "
                "naast het hunne."
            ),
            total_column=self.total == TOTAL,
        )

    def _gap_sentence(self, gaps: list) -> str:
        if not self.received.total:
            return _("Er kwamen in deze periode geen hulpvragen binnen.")
        if not gaps:
            return _("Er is geen taak en gebied waar veel hulpvragen zonder vrijwilliger bleven.")
        gaps.sort(key=lambda gap: (-gap[0], -gap[1], -gap[2], gap[3], gap[4]))
        parts = []
        for _rank, _part, _base, task, area, cell in gaps[:3]:
            if cell.level == "no_volunteers":
                detail = _("er zijn geen vrijwilligers voor deze taak")
            else:
                detail = _(
                    "%(missing)s van de %(base)s hulpvragen kregen niet binnen 7 dagen een vrijwilliger",
                    missing=figure_text(cell.missing),
                    base=figure_text(cell.base),
                )
            parts.append(_("%(task)s in %(area)s (%(detail)s)", task=task.lower(), area=area, detail=detail))
        listed = (
            parts[0] if len(parts) == 1 else _("%(first)s en %(last)s", first=", ".join(parts[:-1]), last=parts[-1])
        )
        return _("Hulp ontbreekt het meest bij %(list)s.", list=listed)

    # demand

    def _requests_table(self, demand: dict) -> Table:
        received = self.received
        statuses = {
            status: Counter({task: received.ends[(status, task)] for task in received.tasks})
            for status in ("done", "cancelled", "expired")
        }
        open_now = Counter(request.task_type for request in self.waiting)
        unfilled = Counter(request.task_type for request in self.waiting if request.unfilled)
        columns = {
            name: grid(self.tasks, [name], Counter({(task, name): n for task, n in counter.items()}))
            for name, counter in (
                ("done", statuses["done"]),
                ("cancelled", statuses["cancelled"]),
                ("expired", statuses["expired"]),
                ("open", open_now),
                ("unfilled", unfilled),
            )
        }
        rows = []
        for task in [*self.tasks, ALL]:
            rows.append(
                Row(
                    task,
                    task_label(task) if task != ALL else _("Alle taken"),
                    [
                        demand[(task, self.total)],
                        received.cells.get((task, TOTAL), _Tally()).within_share(),
                        received.median_days(task),
                        *(columns[name][(task, name)] for name in ("done", "cancelled", "expired", "open", "unfilled")),
                    ],
                    total=task == ALL,
                )
            )
        received = demand[(ALL, self.total)]
        return Table(
            "hulpvragen",
            _("Hulpvragen per taak"),
            _("Taak"),
            [
                _("Ontvangen"),
                _("Binnen 7 dagen een vrijwilliger"),
                _("Dagen tot een vrijwilliger (mediaan)"),
                _("Afgerond"),
                _("Geannuleerd"),
                _("Verlopen"),
                _("Nu open"),
                _("Nu zonder vrijwilliger"),
            ],
            without_empty_rows(rows),
            summary=self._received_summary(received, self.received.cells[(ALL, TOTAL)].within_share()),
            note=_(
                "Ontvangen: gevraagd in deze periode en bij het team aangekomen; afgewezen hulpvragen tellen niet "
                "mee. Afgerond, geannuleerd en verlopen: hoe het met die hulpvragen afliep. Nu open en nu zonder "
                "vrijwilliger: de stand van vandaag."
            ),
        )

    @staticmethod
    def _received_summary(received: Figure, share: Figure) -> str:
        """Return the sentence over the requests table; a hidden or unknown share is said in words, not as × or –."""
        if share.hidden:
            return _(
                "%(received)s hulpvragen kwamen in deze periode binnen. Hoeveel daarvan binnen 7 dagen een "
                "vrijwilliger kregen, tonen we niet: het gaat om zo weinig mensen dat u ze zou kunnen herkennen.",
                received=figure_text(received),
            )
        if share.value is None:
            return _(
                "%(received)s hulpvragen kwamen in deze periode binnen. Of ze binnen 7 dagen een vrijwilliger "
                "kregen, is nog niet bekend: die 7 dagen zijn nog niet voorbij.",
                received=figure_text(received),
            )
        return _(
            "%(received)s hulpvragen kwamen in deze periode binnen; %(share)s kreeg binnen 7 dagen een vrijwilliger.",
            received=figure_text(received),
            share=figure_text(share),
        )

    def _count_searches(self, rows: Iterable) -> tuple[Counter, Counter]:
        """Return how many searches, and how many without results, per (topic, bucket) of queries.search_counts."""
        searches: Counter[tuple[str, object]] = Counter()
        zero: Counter[tuple[str, object]] = Counter()
        topic_of: dict[str, str] = {}
        for bucket, text, number, none in rows:
            topic = topic_of.get(text)
            if topic is None:  # a text comes back in many months: look it up once
                task = task_type_for(text)
                topic = topic_of[text] = task.code if task is not None and task.code in self.topics else OTHER_TOPIC
            searches[(topic, bucket)] += number
            zero[(topic, bucket)] += none
        return searches, zero

    def _search_grids(self):
        keys = [bucket.key for bucket in self.buckets]
        searches, zero = self.searches
        return grid(self.topics, keys, searches), grid(self.topics, keys, zero)

    def _topic_label(self, topic: str) -> str:
        return _("Ander of geen onderwerp") if topic == OTHER_TOPIC else task_label(topic)

    def _bucket_total(self) -> str:
        return TOTAL if len(self.buckets) > 1 else self.buckets[0].key

    def _search_table(self, searches: dict, zero: dict) -> Table:
        total = self._bucket_total()
        rows = []
        for topic in [*self.topics, ALL]:
            found, none = searches[(topic, total)], zero[(topic, total)]
            rows.append(
                Row(
                    topic,
                    self._topic_label(topic) if topic != ALL else _("Alle onderwerpen"),
                    [found, none, share_of(none, found)],
                    total=topic == ALL,
                )
            )
        return Table(
            "zoeken",
            _("Zoeken per onderwerp"),
            _("Onderwerp"),
            [_("Zoekopdrachten"), _("Zonder resultaat"), _("Deel zonder resultaat")],
            without_empty_rows(rows),
            summary=_(
                "%(searches)s zoekopdrachten in deze periode, waarvan %(zero)s zonder resultaat.",
                searches=figure_text(searches[(ALL, total)]),
                zero=figure_text(zero[(ALL, total)]),
            ),
            note=_(
                "Uit het anonieme zoeklog: wat mensen typten, zonder wie het was. Het onderwerp volgt uit de "
                "woorden, zoals bij 'Vraag een vrijwilliger'. Zoekopdrachten zonder plaats tellen alleen mee "
                "voor de hele gemeente."
            ),
        )

    def _signal_table(self) -> Table:
        """Signals per theme (a signal about two themes counts for each), and all signals, each once."""
        numbers: defaultdict[str, Counter[str]] = defaultdict(Counter)
        for (_area, theme), found in (self.signals or {}).items():
            numbers[theme].update(found)
        rows = [
            Row(
                theme,
                theme_label(theme),
                [
                    count(numbers[theme]["received"]),
                    count(numbers[theme]["followed_up_in_time"]),
                    count(numbers[theme]["closed"]),
                    self._signal_share(theme),
                ],
            )
            for theme in theme_codes(numbers)
        ]
        whole: Counter[str] = Counter()
        for found in (self.signal_totals or {}).values():
            whole.update(found)
        rows.append(
            Row(
                ALL,
                _("Alle signalen"),
                [
                    count(whole["received"]),
                    count(whole["followed_up_in_time"]),
                    count(whole["closed"]),
                    self._signal_share(ALL),
                ],
                total=True,
            )
        )
        return Table(
            "signalen",
            _("Signalen per thema"),
            _("Thema"),
            [_("Ontvangen"), _("Binnen 5 werkdagen opgevolgd"), _("Afgesloten"), _("Deel op tijd opgevolgd")],
            rows,
            summary=self._signal_summary(self._signal_share(ALL)),
            note=_(
                "Een signaal over meer dan één thema telt bij elk thema, en bij 'Alle signalen' één keer. Het "
                "deel op tijd opgevolgd gaat over "
                "signalen van tot 2 weken geleden: voor nieuwere is de termijn nog niet voorbij. Alleen aantallen: "
                "nooit wie iets meldde, over wie of wat er stond."
            ),
        )

    def _signals_between(self, start: date, end: date, by_theme: bool = True) -> dict:
        """Return the counts of the signals received from start to end, added up once per analysis."""
        if (start, end, by_theme) not in self.signal_cache:
            self.signal_cache[(start, end, by_theme)] = signal_counts(self.signal_days or {}, by_theme, start, end)
        return self.signal_cache[(start, end, by_theme)]

    @staticmethod
    def _signal_summary(share: Figure) -> str:
        """Return the sentence over the signals table; a hidden or unknown share is said in words, not as × or –."""
        if share.hidden:
            return _(
                "Hoeveel signalen (zorgen over iemand) binnen 5 werkdagen werden opgevolgd, tonen we niet: het gaat "
                "om zo weinig mensen dat u ze zou kunnen herkennen."
            )
        if share.value is None:
            return _("Er zijn nog geen signalen (zorgen over iemand) waarvan de 5 werkdagen voorbij zijn.")
        return _(
            "Van de signalen (zorgen over iemand) werd %(share)s binnen 5 werkdagen opgevolgd.",
            share=figure_text(share),
        )

    def _signal_share(self, theme, start: date | None = None, end: date | None = None) -> Figure:
        """Return the share of signals (of one theme, or ALL) received from start to end that were followed up in time.

        Only signals whose 5 working days are over count; over all themes each signal counts once.
        """
        start, end = start or self.period.start, min(end or self.period.end, self.signals_due_by)
        if end < start:
            return Figure(None, "share")
        if theme == ALL:
            chosen = list(self._signals_between(start, end, by_theme=False).values())
        else:
            chosen = [numbers for (_area, name), numbers in self._signals_between(start, end).items() if name == theme]
        return share(sum(n.get("followed_up_in_time", 0) for n in chosen), sum(n.get("received", 0) for n in chosen))

    # supply

    def _volunteer_table(self, supply: dict) -> Table:
        hours: defaultdict[object, float] = defaultdict(float)
        tasks: Counter[object] = Counter()
        for volunteer in self.active:
            offered = hours_offered(volunteer.availability)
            for column in {volunteer.area_id, TOTAL}:
                hours[column] += offered
                tasks[column] += volunteer.max_tasks_per_week
        rows = []
        for column in self.column_keys():
            people = supply[(ALL, column)]
            rows.append(
                Row(
                    column,
                    self.column_label(column),
                    [
                        people,
                        amount(hours[column], people),
                        amount(tasks[column], people),
                    ],
                    total=column == TOTAL,
                )
            )
        return Table(
            "vrijwilligers",
            _("Actieve vrijwilligers"),
            _("Gebied"),
            [_("Actieve vrijwilligers"), _("Uren per week beschikbaar"), _("Taken per week (hoogstens)")],
            rows,
            summary=_(
                "%(people)s actieve vrijwilligers; samen zijn ze %(hours)s uur per week beschikbaar voor "
                "hoogstens %(tasks)s taken.",
                people=figure_text(supply[(ALL, self.total)]),
                hours=figure_text(rows[-1].cells[1]),
                tasks=figure_text(rows[-1].cells[2]),
            ),
            note=_(
                "Stand van vandaag: goedgekeurd en niet met pauze. Uren: de dagdelen die ze aanvinkten (ochtend "
                "en middag 6 uur, avond 5 uur); het aantal taken per week is hun eigen grens. Hoeveel vrijwilligers "
                "elke taak doen, staat in de tabel 'Waar ontbreekt hulp?'."
            ),
            total_column=False,
        )

    def _service_tables(self) -> list:
        services = queries.published_services()
        areas = [area.id for area in self.scope.areas]
        keys = [*areas, WHOLE, TOTAL]
        shown = []
        for service in services:
            columns: set[object] = {area for area in service.area_ids if area in areas}
            if not service.area_ids:
                columns.add(WHOLE)
            if not columns and not self.scope.whole:
                continue
            shown.append((service, columns | {TOTAL}))
        levels = [(level.code, str(level.label)) for level in PYRAMID_LEVELS]
        features: list[tuple[str, str, Callable[[Any], bool]]] = [
            ("published", _("Gepubliceerd aanbod"), lambda s: True)
        ]
        features += [(code, label, _has_level(code)) for code, label in levels]
        features += [
            ("free", _("Gratis"), lambda s: s.free),
            ("evening", _("Open in de avond (na 18 uur)"), lambda s: s.evening),
            ("weekend", _("Open in het weekend"), lambda s: s.weekend),
        ]
        labels = [self.column_label(key) for key in keys]
        # one pass over the services rather than one per feature and column: a thousand services
        per_feature: Counter[tuple[str, object]] = Counter(
            (code, key) for s, cols in shown for code, _label, test in features if test(s) for key in cols
        )
        rows = [Row(code, label, [public(per_feature[(code, key)]) for key in keys]) for code, label, _test in features]
        categories = [(term.code, str(directory.term_label(term))) for term in directory.taxonomy_terms("category")]
        # one pass over the services rather than one per category and column: a thousand services, 30 categories
        per_category: Counter[tuple[str, object]] = Counter(
            (code, key) for s, cols in shown for code in set(s.categories) for key in cols
        )
        category_rows = [
            Row(code, label, [public(per_category[(code, key)]) for key in keys]) for code, label in categories
        ]
        top = max(category_rows, key=lambda row: row.cells[-1].value, default=None)
        note = _(
            "Stand van vandaag, zoals de openbare zoekfunctie het aanbod toont. 'Voor de hele gemeente': aanbod "
            "zonder eigen gebied. Een voorziening in meer gebieden telt in elk gebied mee, in het totaal één "
            "keer. Aanbod staat op de openbare kaart, dus hier wordt niets verborgen."
        )
        return [
            Table(
                "aanbod",
                _("Aanbod per gebied"),  # not the section's own heading: two regions of one name (axe)
                _("Aanbod"),
                labels,
                rows,
                public=True,
                total_column=True,
                note=note,
                summary=_(
                    "%(published)s voorzieningen; %(free)s gratis, %(evening)s open in de avond en "
                    "%(weekend)s in het weekend.",
                    published=figure_text(rows[0].cells[-1]),
                    free=figure_text(rows[-3].cells[-1]),
                    evening=figure_text(rows[-2].cells[-1]),
                    weekend=figure_text(rows[-1].cells[-1]),
                ),
            ),
            Table(
                "aanbod-categorie",
                _("Aanbod per onderwerp"),
                _("Onderwerp"),
                labels,
                category_rows,
                public=True,
                total_column=True,
                note=note,
                summary=_(
                    "Het meeste aanbod is er voor %(category)s (%(count)s).",
                    category=top.label.lower(),
                    count=figure_text(top.cells[-1]),
                )
                if top and top.cells[-1].value
                else _("Er is nog geen gepubliceerd aanbod."),
            ),
        ]

    # outcomes

    def _outcome_table(self) -> Table:
        quarters = self.quarters
        keys = [quarter.key for quarter in quarters]
        received = self.received
        # one row per end, as in the table of requests: a sum of two would give a hidden one away
        ends = {
            status: line(keys, Counter({key: received.ends[(status, key)] for key in keys}))
            for status in ("done", "cancelled", "expired")
        }
        repeat, helped = self._repeat_help()
        cohort, staying = self._retention()
        quarter_by_key = {quarter.key: quarter for quarter in quarters}

        def per_quarter(make):
            return [make(key) for key in keys] + ([make(TOTAL)] if len(keys) > 1 else [])

        rows = [
            Row(
                "within",
                _("Binnen 7 dagen een vrijwilliger"),
                per_quarter(lambda k: received.quarters.get(k, _Tally()).within_share()),
            ),
            Row(
                "days",
                _("Dagen tot een vrijwilliger (mediaan)"),
                per_quarter(received.median_days),
            ),
            Row("done", _("Afgerond"), per_quarter(lambda k: ends["done"][k])),
            Row("cancelled", _("Geannuleerd"), per_quarter(lambda k: ends["cancelled"][k])),
            Row("expired", _("Verlopen"), per_quarter(lambda k: ends["expired"][k])),
            Row(
                "repeat",
                _("Herhaalde hulp door dezelfde vrijwilliger"),
                per_quarter(lambda k: share(repeat[k], helped[k])),
            ),
            Row(
                "retention",
                _("Vrijwilligers na 3 maanden nog actief"),
                per_quarter(lambda k: share(staying[k], cohort[k])),
            ),
        ]
        if self.signals is not None:
            rows.append(
                Row(
                    "signals",
                    _("Signalen binnen 5 werkdagen opgevolgd"),
                    per_quarter(
                        lambda k: (
                            self._signal_share(ALL)
                            if k == TOTAL
                            else self._signal_share(ALL, quarter_by_key[k].start, quarter_by_key[k].end)
                        )
                    ),
                )
            )
        labels = [bucket_label(quarter) for quarter in quarters] + ([_("Hele periode")] if len(keys) > 1 else [])
        within = rows[0].cells[: len(keys)]
        shown = [(label, cell) for label, cell in zip(labels, within, strict=False) if cell.shown]
        return Table(
            "uitkomsten",
            _("Uitkomsten per kwartaal"),
            _("Uitkomst"),
            labels,
            rows,
            summary=_(
                "Binnen 7 dagen een vrijwilliger: %(earlier)s in %(first)s, %(later)s in %(last)s.",
                earlier=figure_text(shown[0][1]),
                first=shown[0][0],
                later=figure_text(shown[-1][1]),
                last=shown[-1][0],
            )
            if len(shown) > 1
            else _("Te weinig hulpvragen om de uitkomsten per kwartaal te vergelijken."),
            note=_(
                "Per kwartaal waarin de hulpvraag binnenkwam. Herhaalde hulp: de vrijwilliger hielp dezelfde "
                "persoon al eerder (na het anonimiseren van oude hulpvragen is dat niet meer te zien). "
                "Vrijwilligers na 3 maanden: van wie in dat kwartaal begon en minstens 3 maanden geleden, het deel "
                "dat nu nog meedoet."
            ),
            total_column=len(keys) > 1,
        )

    def _repeat_help(self):
        """Return (repeat, helped) Counters per quarter key and TOTAL: helped matches approved in the period."""
        matches = queries.helped_matches(_bounds(self.quarters), self.scope.area_ids, self.scope.codes)
        seen: set[tuple[int, int]] = set()
        repeat: Counter[object] = Counter()
        helped: Counter[object] = Counter()
        for bucket, volunteer_id, requester in matches:
            pair = (volunteer_id, requester)
            if bucket is not None:  # approved in the period
                helped[bucket] += 1
                if requester and pair in seen:
                    repeat[bucket] += 1
            if requester:
                seen.add(pair)
        helped[TOTAL], repeat[TOTAL] = sum(helped.values()), sum(repeat.values())
        return repeat, helped

    def _retention(self):
        """Return (cohort, staying) Counters: volunteers approved per quarter at least 3 months ago, and still in."""
        cutoff = freshness.add_months(self.today, -RETENTION_MONTHS)
        cohort: Counter[object] = Counter()
        staying: Counter[object] = Counter()
        # approved on a local day from the period's start to its end or the cutoff (whichever is first)
        first = clock.start_of_day(self.period.start)
        until = clock.start_of_day(min(self.period.end, cutoff) + timedelta(days=1))
        local_date = clock.LocalDates()
        for volunteer in self.volunteers:
            if not first <= volunteer.approved_at < until:
                continue
            for bucket in (periods.bucket_key(local_date(volunteer.approved_at), "quarter"), TOTAL):
                cohort[bucket] += 1
                staying[bucket] += not volunteer.stopped
        return cohort, staying

    # trend

    def _trend_table(self, demand: dict, searches: dict, zero: dict) -> Table:
        keys = [bucket.key for bucket in self.buckets]
        received = line(
            keys,
            Counter({key: tally.received for key, tally in self.received.buckets.items()}),
            total_hidden=bool(demand[(ALL, self.total)].hidden),
        )
        within = line(keys, Counter({key: tally.within for key, tally in self.received.buckets.items()}))
        total = self._bucket_total()
        rows = [
            Row("received", _("Hulpvragen ontvangen"), [received[key] for key in keys]),
            Row("within", _("Binnen 7 dagen een vrijwilliger"), [within[key] for key in keys]),
            Row("searches", _("Zoekopdrachten"), [searches[(ALL, key)] for key in keys]),
            Row("zero", _("Zoekopdrachten zonder resultaat"), [zero[(ALL, key)] for key in keys]),
        ]
        totals = [received[TOTAL], within[TOTAL], searches[(ALL, total)], zero[(ALL, total)]]
        if self.signal_days is not None:
            per_bucket: Counter[object] = Counter()
            for (day, _area, _themes), numbers in self.signal_days.items():
                per_bucket[periods.bucket_key(day, self.period.step)] += numbers["received"]
            signals = line(keys, per_bucket)
            rows.append(Row("signals", _("Signalen ontvangen"), [signals[key] for key in keys]))
            totals.append(signals[TOTAL])
        if len(keys) > 1:
            for row, figure in zip(rows, totals, strict=True):
                row.cells.append(figure)
        labels = [bucket_label(bucket) for bucket in self.buckets] + ([_("Totaal")] if len(keys) > 1 else [])
        busiest = max(
            ((bucket, received[bucket.key]) for bucket in self.buckets if received[bucket.key].shown),
            key=lambda item: item[1].value,
            default=None,
        )
        return Table(
            "verloop",
            _("Verloop per maand") if self.period.step == "month" else _("Verloop per kwartaal"),
            _("Cijfer"),
            labels,
            rows,
            summary=_(
                "%(total)s hulpvragen in deze periode; de meeste in %(bucket)s (%(count)s).",
                total=figure_text(received[total]),
                bucket=bucket_label(busiest[0]),
                count=figure_text(busiest[1]),
            )
            if busiest and busiest[1].value
            else _("Te weinig hulpvragen om het verloop te tonen."),
            total_column=len(keys) > 1,
        )

    # population

    def _population_table(self, demand: dict, supply: dict) -> Table:
        rows = []
        for column in self.column_keys():
            if column is None:
                continue
            if column == TOTAL:
                population = self.population.get(None) if self.scope.whole else None
                if population is None:
                    population = _summed([self.population.get(key) for key in self.columns if key is not None])
            else:
                population = self.population.get(column)
            residents = population.residents if population else None
            figures = [
                public(value) if value is not None else Figure(None, "public")
                for value in (getattr(population, name) if population else None for name in POPULATION_FIELDS)
            ]
            rates = [rate(demand[(ALL, column)], residents), rate(supply[(ALL, column)], residents)]
            if self.signal_totals is not None:
                rates.append(rate(self._signals_in(column), residents))
            rows.append(Row(column, self.column_label(column), figures + rates, total=column == TOTAL))
        columns = [
            _("Inwoners"),
            _("65 jaar en ouder"),
            _("75 jaar en ouder"),
            _("Eenpersoonshuishoudens"),
            _("Hulpvragen per 1.000 inwoners"),
            _("Actieve vrijwilligers per 1.000 inwoners"),
        ]
        if self.signal_totals is not None:
            columns.append(_("Signalen per 1.000 inwoners"))
        return Table(
            "bevolking",
            _("Inwoners en cijfers per 1.000 inwoners"),
            _("Gebied"),
            columns,
            rows,
            summary=_("Hoeveel hulpvragen en vrijwilligers er zijn naar verhouding van het aantal inwoners."),
            note=_(
                "Bron van de inwonersaantallen: %(source)s.",
                source="; ".join(sorted({p.source for p in self.population.values() if p.source})) or _("onbekend"),
            ),
        )

    def _signals_in(self, column) -> Figure:
        """Return the signals received in the period in one area column (TOTAL: all shown), each once."""
        if column == TOTAL:
            number = sum(
                found["received"] for area, found in (self.signal_totals or {}).items() if area in self.columns
            )
        else:
            number = (self.signal_totals or {}).get(column, {}).get("received", 0)
        return count(number)

    # headline and charts

    def _headline(self, demand, supply, searches, zero) -> Table:
        total = self._bucket_total()
        figures = [
            (_("Hulpvragen ontvangen"), demand[(ALL, self.total)]),
            (_("Binnen 7 dagen een vrijwilliger"), self.received.cells[(ALL, TOTAL)].within_share()),
            (_("Dagen tot een vrijwilliger (mediaan)"), self.received.median_days(ALL)),
            (_("Actieve vrijwilligers (nu)"), supply[(ALL, self.total)]),
            (_("Zoekopdrachten"), searches[(ALL, total)]),
            (_("Zoekopdrachten zonder resultaat"), zero[(ALL, total)]),
        ]
        if self.signals is not None:
            figures.append(
                (
                    _("Signalen ontvangen"),
                    count(sum(found["received"] for found in (self.signal_totals or {}).values())),
                )
            )
            figures.append((_("Signalen binnen 5 werkdagen opgevolgd"), self._signal_share(ALL)))
        rows = [Row(index, label, [figure]) for index, (label, figure) in enumerate(figures)]
        return Table("kerncijfers", _("Kerncijfers"), _("Cijfer"), [_("Waarde")], rows)

    def _charts(self, analysis: Analysis) -> list:
        trend = analysis.tables["verloop"]
        labels = [bucket_label(bucket, short=True) for bucket in self.buckets]
        count_of = len(self.buckets)

        def series(table, keys):
            return [
                (row.label, [_value(cell) for cell in row.cells[:count_of]]) for row in table.rows if row.key in keys
            ]

        charts = [
            Chart(
                "grafiek-hulpvragen",
                "line",
                _("Hulpvragen"),
                trend.summary,
                labels,
                series(trend, ("received", "within")),
                table="verloop",
            ),
            Chart(
                "grafiek-zoeken",
                "line",
                _("Zoekopdrachten"),
                analysis.tables["zoeken"].summary,
                labels,
                series(trend, ("searches", "zero")),
                table="verloop",
            ),
        ]
        outcomes = analysis.tables["uitkomsten"]
        quarter_count = len(self.quarters)
        charts.append(
            Chart(
                "grafiek-uitkomsten",
                "line",
                _("Uitkomsten per kwartaal"),
                outcomes.summary,
                [bucket_label(quarter, short=True) for quarter in self.quarters],
                [
                    (row.label, [_value(cell) for cell in row.cells[:quarter_count]])
                    for row in outcomes.rows
                    if row.key in ("within", "repeat", "retention", "signals")
                ],
                percent=True,
                table="uitkomsten",
            )
        )
        categories = analysis.tables["aanbod-categorie"]
        charts.append(
            Chart(
                "grafiek-aanbod",
                "bar",
                _("Aanbod per onderwerp"),
                categories.summary,
                [row.label for row in categories.rows],
                [(_("Totaal"), [row.cells[-1].value for row in categories.rows])],
                table="aanbod-categorie",
            )
        )
        return charts


def _has_level(code: str) -> Callable[[Any], bool]:
    """Return a test: is a published service on this level of the pyramid?"""
    return lambda service: service.pyramid_level == code


def _bounds(buckets: Iterable[periods.Bucket]) -> list:
    """Return (key, first day, last day) of each bucket, as queries.py counts them."""
    return [(bucket.key, bucket.start, bucket.end) for bucket in buckets]


def _summed(populations: list):
    """Return the figures of some areas added up, or None when one of them has none loaded."""
    if not populations or any(population is None for population in populations):
        return None

    def total(name):
        values = [getattr(population, name) for population in populations]
        return None if any(value is None for value in values) else sum(values)

    return SimpleNamespace(**{name: total(name) for name in POPULATION_FIELDS})
