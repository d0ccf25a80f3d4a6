"""Rank volunteers for a help request: hard filters, an explainable score, reasons (pure rules, no Flask).

Reasons and exclusions are codes with parameters; reasons.py words them when they are shown (issue #13).

Issue #4. Times are naive UTC on input; every day-part, absence, VOG and weekly-cap rule is
checked on the local date and time (Europe/Amsterdam), so a series keeps its meaning across
daylight-saving changes. With `today` (a local date), windows before it are left out. A series
needs at least `min_series_coverage` of its windows covered; a one-off needs its window.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from operator import attrgetter
from typing import cast

from ..geo.distance import km_per_degree, local_distance_km
from . import timeslots


@dataclass(frozen=True)
class VolunteerInput:
    id: int
    lat: float
    lon: float
    travel_mode: str  # walk / bike / car
    max_km: float
    task_types: frozenset[str]
    skills: frozenset[str]
    languages: frozenset[str]
    availability: int  # grid mask (timeslots.bit)
    absences: tuple[tuple[date, date], ...] = ()
    max_per_week: int = 2
    active: bool = True  # approved, not paused, not stopped (the caller decides)
    vog_valid_until: date | None = None
    booked: tuple[tuple[datetime, datetime], ...] = ()  # naive UTC windows of active bookings
    tasks_last_28_days: int = 0
    tasks_total: int = 0
    is_new: bool = False  # registered < 30 days ago and no task yet
    history: Mapping[str, str] = field(default_factory=dict)  # requester_key -> "good" | "earlier"

    def __hash__(self):
        return hash(self.id)


@dataclass(frozen=True)
class TaskInput:
    id: int
    lat: float
    lon: float
    task_type: str
    vog_required: bool
    windows: tuple[tuple[datetime, datetime], ...]  # naive UTC, one per occurrence still to fill
    max_km: float | None = None  # the requester's own limit
    language: str = "nl"
    language_required: bool = False
    skills_wanted: frozenset[str] = frozenset()
    requester_key: str = ""
    same_volunteer: bool = False
    zone: str = "Europe/Amsterdam"
    urgency: str = "normal"  # high / normal / low: batch proposals fill urgent tasks first
    any_one: bool = False  # the windows are alternatives (a period, "geen haast"): one of them is enough


@dataclass(frozen=True)
class Reason:
    code: str
    params: Mapping = field(default_factory=dict)

    def __hash__(self):
        return hash((self.code, tuple(sorted(self.params.items()))))


@dataclass
class Candidate:
    volunteer_id: int
    score: int
    distance_km: float
    covered: int
    total: int
    components: dict
    reasons: list
    covered_windows: tuple = ()


@dataclass
class Ranking:
    candidates: list[Candidate]
    excluded: Counter[str]  # code -> n
    total: int


# ---------------------------------------------------------------------------------------------
# Rules

EXCLUSION_CODES = ("inactive", "task_type", "too_far", "vog", "language", "not_available", "overlap", "full")
COMPONENTS = ("distance", "availability", "continuity", "fairness", "skills", "language")
DEFAULT_WEIGHTS = {"distance": 30, "availability": 20, "continuity": 15, "fairness": 15, "skills": 10, "language": 10}
FIRST_TASK_BOOST = 0.1
# Asked-for experience (skills_wanted, e.g. "ervaring met dementie") is a strong component (issue #14,
# item 5): beside its weight, the score is multiplied by 1 - SKILLS_MISSING_PENALTY x the share missing,
# so a volunteer without it cannot win on being new or a little nearer.
SKILLS_MISSING_PENALTY = 0.4

# Ranking's distance is geo's fast one (local ellipsoid radii at the mean latitude; issue #13).
distance_km = local_distance_km


def normal_weights(weights: Mapping[str, float] | None = None) -> dict[str, float]:
    """Return the weights as shares of 1; missing components weigh 0."""
    weights = DEFAULT_WEIGHTS if weights is None else weights
    unknown = set(weights) - set(COMPONENTS)
    if unknown:
        raise ValueError(f"unknown weight(s): {', '.join(sorted(unknown))}")
    total = sum(float(weights.get(name, 0)) for name in COMPONENTS)
    if total <= 0 or any(float(weights.get(name, 0)) < 0 for name in COMPONENTS):
        raise ValueError("weights must be zero or positive and not all zero")
    return {name: float(weights.get(name, 0)) / total for name in COMPONENTS}


class _Window:
    """One occurrence of a task, with its local facts computed once."""

    __slots__ = ("start", "end", "day", "mask", "week")

    def __init__(self, start, end, zone_name):
        self.start, self.end = start, end
        local_start = timeslots.to_local(start, zone_name)
        self.day = local_start.date()
        self.mask = timeslots.parts_needed(local_start, timeslots.to_local(end, zone_name))
        self.week = timeslots.iso_week(self.day)


class PreparedTask:
    """A task prepared for ranking: local windows, limits, weights."""

    def __init__(
        self,
        task: TaskInput,
        weights: Mapping[str, float] | None = None,
        today: date | None = None,
        min_series_coverage: float = 0.5,
    ):
        self.task = task
        self.weights = normal_weights(weights)
        self.weight_values = tuple(self.weights[name] for name in COMPONENTS)
        windows = [_Window(start, end, task.zone) for start, end in task.windows]
        if today is not None:
            windows = [window for window in windows if window.day >= today]
        windows.sort(key=lambda window: window.start)
        self.windows = windows
        self.total = len(windows)
        if self.total <= 1 or task.any_one:
            self.need = min(1, self.total)
        else:
            self.need = max(1, math.ceil(min_series_coverage * self.total - 1e-9))
        self.limit = math.inf if task.max_km is None else task.max_km
        self.masks = {window.mask for window in windows}
        # Shortcuts for the common shapes: one day-part mask for every window, one window a week.
        self.mask = next(iter(self.masks)) if len(self.masks) == 1 else -1
        # without windows an empty range (evaluate() stops before it at need == 0)
        self.first_day: date = windows[0].day if windows else date.max
        self.last_day: date = windows[-1].day if windows else date.min
        self.weekly = len({window.week for window in windows}) == len(windows)
        self.parts = 0
        for window in windows:
            self.parts |= window.mask or 0


class PreparedVolunteer:
    """A volunteer prepared for ranking: bookings per local ISO week and fairness, computed once.

    `span` is (first start, last end) of the bookings and `away` (first, last day) of the
    absences, or None: a window outside them needs no closer look.
    """

    __slots__ = ("v", "weeks", "zone", "span", "away", "fairness")

    def __init__(self, volunteer: VolunteerInput, zone_name: str = timeslots.DEFAULT_ZONE):
        self.v = volunteer
        self.zone = zone_name
        self.weeks: Counter[int] | None = None
        booked, absences = volunteer.booked, volunteer.absences
        self.span = (min(start for start, _ in booked), max(end for _, end in booked)) if booked else None
        self.away = (min(first for first, _ in absences), max(last for _, last in absences)) if absences else None
        fairness = 1 - min(1.0, volunteer.tasks_last_28_days / max(1, volunteer.max_per_week * 4))
        if volunteer.is_new:
            fairness = min(1.0, fairness + FIRST_TASK_BOOST)
        self.fairness = fairness

    def week_counts(self, zone_name: str) -> Counter[int]:
        counts = self.weeks
        if counts is None or self.zone != zone_name:
            counts = Counter()
            for start, _ in self.v.booked:
                counts[timeslots.iso_week(timeslots.to_local(start, zone_name).date())] += 1
            self.weeks, self.zone = counts, zone_name
        return counts


def evaluate(
    t: PreparedTask, rec: PreparedVolunteer, distance: float | None = None, build: bool = True, within: bool = False
) -> Candidate | Fit | str:
    """Return a Candidate, or the code of the first hard filter the volunteer fails.

    With build=False a passing volunteer comes back as a light Fit (score, no reasons), which
    rank() and the batch proposal turn into a Candidate only for those they return. within=True
    says the caller knows the volunteer is within reach, so the exact distance waits until it
    is needed for the score.
    """
    v = rec.v
    task = t.task
    if not v.active:
        return "inactive"
    if task.task_type not in v.task_types:
        return "task_type"
    limit = min(v.max_km, t.limit)
    if not within:
        if distance is None:
            if v.lat is None or v.lon is None:
                return "too_far"  # no known home: nobody can say it is near
            distance = distance_km(v.lat, v.lon, task.lat, task.lon)
        if distance > limit:
            return "too_far"
    need = t.need
    if need == 0:
        return "not_available"
    windows = t.windows
    if task.vog_required:
        valid = v.vog_valid_until
        if valid is None:
            return "vog"
        if valid < t.last_day:
            windows = [window for window in windows if window.day <= valid]
            if len(windows) < need:
                return "vog"
    if task.language_required and task.language not in v.languages:
        return "language"
    availability = v.availability
    mask = t.mask
    if mask is None or mask == -1:
        windows = [window for window in windows if window.mask is not None and not window.mask & ~availability]
    elif mask & ~availability:
        return "not_available"
    away = rec.away
    if away is not None and windows and away[0] <= t.last_day and away[1] >= t.first_day:
        absences = v.absences
        windows = [window for window in windows if not any(first <= window.day <= last for first, last in absences)]
    if len(windows) < need:
        return "not_available"
    cap = v.max_per_week
    span = rec.span
    if span is not None:
        first, last = span
        free = []
        for window in windows:
            if window.end > first and window.start < last:
                for start, end in v.booked:
                    if window.start < end and start < window.end:
                        break
                else:
                    free.append(window)
            else:
                free.append(window)
        if len(free) < need:
            return "overlap"
        counts = rec.week_counts(task.zone)
        if t.weekly:
            kept = [window for window in free if counts.get(window.week, 0) < cap]
        else:
            kept = _within_cap(free, dict(counts), cap)
    elif t.weekly and cap >= 1:
        kept = windows
    else:
        kept = _within_cap(windows, {}, cap)
    if len(kept) < need:
        return "full"
    if distance is None:
        distance = distance_km(v.lat, v.lon, task.lat, task.lon)
    # The score components (each 0..1) in the order of COMPONENTS, written out here rather than
    # in a helper: this runs for every feasible pair of a batch (issue #13).
    history = v.history.get(task.requester_key) if task.requester_key else None
    wanted = task.skills_wanted
    languages = v.languages
    components = (
        1.0 if limit <= 0 else max(0.0, 1 - distance / limit),
        len(kept) / t.total,
        1.0 if history == "good" else 0.5 if history == "earlier" else 0.0,
        rec.fairness,
        len(wanted & v.skills) / len(wanted) if wanted else 1.0,
        1.0 if task.language in languages else 0.5 if "nl" in languages else 0.0,
    )
    w = t.weight_values
    value = (
        100
        * (
            w[0] * components[0]
            + w[1] * components[1]
            + w[2] * components[2]
            + w[3] * components[3]
            + w[4] * components[4]
            + w[5] * components[5]
        )
        * (1 - SKILLS_MISSING_PENALTY * (1 - components[4]))
    )
    fit = Fit(max(0, min(100, math.floor(value + 0.5 + 1e-9))), distance, v.id, rec, limit, kept, components)
    return candidate_of(t, fit) if build else fit


def _within_cap(windows, counts, cap):
    """Return the windows, earliest first, that fit under the weekly cap given counts per week (updated)."""
    kept = []
    for window in windows:
        count = counts.get(window.week, 0)
        if count < cap:
            counts[window.week] = count + 1
            kept.append(window)
    return kept


class Fit:
    """A volunteer who passes every hard filter for a task, before the reasons are written."""

    __slots__ = ("score", "distance", "volunteer_id", "rec", "limit", "windows", "components")

    def __init__(
        self,
        score: int,
        distance: float,
        volunteer_id: int,
        rec: PreparedVolunteer,
        limit: float,
        windows: list[_Window],
        components: tuple[float, ...],
    ):
        self.score, self.distance, self.volunteer_id = score, distance, volunteer_id
        self.rec, self.limit, self.windows, self.components = rec, limit, windows, components


def candidate_of(t: PreparedTask, fit: Fit) -> Candidate:
    """Return the Candidate of a fit, with its reasons."""
    task = t.task
    v = fit.rec.v
    windows = fit.windows
    covered = len(windows)
    history = v.history.get(task.requester_key) if task.requester_key else None
    reasons = [Reason("distance", {"km": round(fit.distance, 1), "mode": v.travel_mode, "max": v.max_km})]
    parts = 0
    for window in windows:
        parts |= window.mask
    available = {"cells": tuple(timeslots.cells_of(parts)), "covered": covered, "total": t.total}
    reasons.append(Reason("available", {**available, "period": True} if task.any_one else available))
    if task.vog_required:
        reasons.append(Reason("vog", {"valid_until": v.vog_valid_until}))
    if history == "good":
        reasons.append(Reason("helped_before", {}))
        if task.same_volunteer:
            reasons.append(Reason("same_volunteer", {}))
    elif history == "earlier":
        reasons.append(Reason("helped_earlier", {}))
    if task.language != "nl" and task.language in v.languages:
        reasons.append(Reason("language", {"language": task.language}))
    if task.skills_wanted:
        reasons.append(
            Reason("skills", {"matched": len(task.skills_wanted & v.skills), "wanted": len(task.skills_wanted)})
        )
    if v.is_new:
        reasons.append(Reason("new", {}))
    elif v.tasks_last_28_days:
        reasons.append(Reason("load", {"tasks": v.tasks_last_28_days}))
    return Candidate(
        volunteer_id=v.id,
        score=fit.score,
        distance_km=fit.distance,
        covered=covered,
        total=t.total,
        components=dict(zip(COMPONENTS, fit.components, strict=True)),
        reasons=reasons,
        covered_windows=tuple((window.start, window.end) for window in windows),
    )


def score_of(components: Mapping[str, float], weights: Mapping[str, float]) -> int:
    """Return the 0-100 score of score components (each 0..1) under normalised weights."""
    value = (
        100
        * (
            weights["distance"] * components["distance"]
            + weights["availability"] * components["availability"]
            + weights["continuity"] * components["continuity"]
            + weights["fairness"] * components["fairness"]
            + weights["skills"] * components["skills"]
            + weights["language"] * components["language"]
        )
        * (1 - SKILLS_MISSING_PENALTY * (1 - components["skills"]))
    )
    return max(0, min(100, math.floor(value + 0.5 + 1e-9)))


def _sort(fits):
    """Sort fits best first: highest score, then nearest, then lowest id (two stable passes, fast)."""
    fits.sort(key=_NEAREST)
    fits.sort(key=_SCORE, reverse=True)


_NEAREST = attrgetter("distance", "volunteer_id")
_SCORE = attrgetter("score")


def _ranking(t, fits, excluded, total, limit):
    """Return the Ranking of the fits, writing reasons only for those shown."""
    _sort(fits)
    if limit is not None:
        fits = fits[:limit]
    return Ranking([candidate_of(t, fit) for fit in fits], excluded, total)


def check(
    task: TaskInput,
    volunteer: VolunteerInput,
    weights: Mapping[str, float] | None = None,
    today: date | None = None,
    min_series_coverage: float = 0.5,
) -> Candidate | str:
    """Return the volunteer as a Candidate for the task, or the code of the first filter it fails."""
    result = evaluate(PreparedTask(task, weights, today, min_series_coverage), PreparedVolunteer(volunteer))
    return cast("Candidate | str", result)  # build=True: never a Fit


def rank(
    task: TaskInput,
    volunteers: VolunteerPool | Iterable[VolunteerInput],
    weights: Mapping[str, float] | None = None,
    today: date | None = None,
    min_series_coverage: float = 0.5,
    limit: int | None = None,
) -> Ranking:
    """Return the volunteers who pass every hard filter, best first, and why the others did not."""
    if isinstance(volunteers, VolunteerPool):
        return volunteers.rank(task, weights=weights, today=today, min_series_coverage=min_series_coverage, limit=limit)
    t = PreparedTask(task, weights, today, min_series_coverage)
    candidates: list[Candidate | Fit] = []
    excluded: Counter[str] = Counter()
    total = 0
    for volunteer in volunteers:
        total += 1
        result = evaluate(t, PreparedVolunteer(volunteer), build=False)
        if isinstance(result, str):
            excluded[result] += 1
        else:
            candidates.append(result)
    return _ranking(t, candidates, excluded, total, limit)


# ---------------------------------------------------------------------------------------------
# A prebuilt index for ranking among thousands of volunteers


class VolunteerPool:
    """Volunteers indexed by where they can reach, task type and availability bit.

    The map is cut into cells of about CELL_KM; each cell keeps the volunteers whose travel
    radius reaches some point of it. A task then only looks at the volunteers of its own cell:
    every active volunteer who wants the task type but does not reach the cell is too far, so
    the exclusion counts stay exact without computing each distance.
    """

    CELL_KM = 2.5

    def __init__(self, volunteers: Iterable[VolunteerInput], zone_name: str = timeslots.DEFAULT_ZONE):
        self.records: dict[int, PreparedVolunteer] = {}
        self.total = 0
        self.inactive = 0
        self.by_type = defaultdict(set)
        self.by_bit: list[set[int]] = [set() for _ in range(21)]
        self.reach: defaultdict[tuple[int, int], set[int]] = defaultdict(set)
        self.unplaced: Counter[str] = Counter()
        volunteers = list(volunteers)
        active = [v for v in volunteers if v.active and v.lat is not None and v.lon is not None]
        latitude = (sum(v.lat for v in active) / len(active)) if active else 52.0
        self.cell_lat = self.CELL_KM / 110.574  # the shortest degree of latitude
        self.cell_lon = self.CELL_KM / (111.3195 * math.cos(math.radians(latitude)))
        # A flat projection for a quick "surely too far" test: within half a degree of latitude
        # (55 km) of the middle it is off by less than 1.2 %, which _margins() covers.
        self.latitude = latitude
        self.km_lat = distance_km(latitude - 0.5, 0.0, latitude + 0.5, 0.0)
        self.km_lon = distance_km(latitude, 0.0, latitude, 1.0)
        self.flat = bool(active) and max(abs(v.lat - latitude) for v in active) <= 0.5
        self.xy = {v.id: (v.lat * self.km_lat, v.lon * self.km_lon, v.max_km, *self._margins(v.max_km)) for v in active}
        self.near_cache: dict[tuple[tuple[int, int], str], set[int]] = {}
        for v in volunteers:
            self.total += 1
            if v.id in self.records:
                raise ValueError(f"volunteer {v.id} twice")
            self.records[v.id] = PreparedVolunteer(v, zone_name)
            if not v.active:
                self.inactive += 1
                continue
            if v.lat is None or v.lon is None:
                self.unplaced.update(v.task_types)  # too far for every task of their types
                continue
            for task_type in v.task_types:
                self.by_type[task_type].add(v.id)
            for index in range(21):
                if v.availability >> index & 1:
                    self.by_bit[index].add(v.id)
            self._add_reach(v)

    def _cell(self, lat, lon):
        return math.floor(lat / self.cell_lat), math.floor(lon / self.cell_lon)

    def _add_reach(self, v):
        """Add the volunteer to every cell that has a point within their radius (a superset).

        Per row of cells the nearest latitude is fixed, so distance_km grows with the east-west
        offset alone: solve its formula for the largest offset within the radius, not each cell.
        """
        radius = v.max_km * 1.01 + 0.05
        row0 = math.floor((v.lat - radius / 110.574) / self.cell_lat)
        row1 = math.floor((v.lat + radius / 110.574) / self.cell_lat)
        reach = self.reach
        for row in range(row0, row1 + 1):
            south, north = row * self.cell_lat, (row + 1) * self.cell_lat
            lat = min(max(v.lat, south), north)
            per_degree_north, per_degree = km_per_degree((v.lat + lat) / 2)
            north_km = (lat - v.lat) * per_degree_north
            if abs(north_km) > radius:
                continue
            east_km = math.sqrt(radius * radius - north_km * north_km)
            # 0.1 % and a metre more than the formula gives: rounding may only ever add a cell.
            # Near a pole a degree of longitude shrinks to nothing: half the globe is the most.
            offset = min(180.0, (east_km * 1.001 + 0.001) / max(per_degree, 1e-9))
            col0 = math.floor((v.lon - offset) / self.cell_lon)
            col1 = math.floor((v.lon + offset) / self.cell_lon)
            for col in range(col0, col1 + 1):
                reach[(row, col)].add(v.id)

    def _near(self, t):
        """Return the ids of active volunteers who want the task type and may reach it (do not change it)."""
        key = (self._cell(t.task.lat, t.task.lon), t.task.task_type)
        near = self.near_cache.get(key)
        if near is None:
            near = self.near_cache[key] = self.reach.get(key[0], set()) & self.by_type.get(key[1], set())
        return near

    def rank(
        self,
        task: TaskInput,
        weights: Mapping[str, float] | None = None,
        today: date | None = None,
        min_series_coverage: float = 0.5,
        limit: int | None = None,
    ) -> Ranking:
        """Return the same Ranking as rank(task, volunteers), fast."""
        t = PreparedTask(task, weights, today, min_series_coverage)
        excluded: Counter[str] = Counter()
        if self.inactive:
            excluded["inactive"] = self.inactive
        wanting = len(self.by_type.get(task.task_type, ())) + self.unplaced[task.task_type]
        if self.total - self.inactive - wanting:
            excluded["task_type"] = self.total - self.inactive - wanting
        near = self._near(t)
        if wanting - len(near):
            excluded["too_far"] = wanting - len(near)
        candidates = []
        records = self.records
        within, unsure = self._split(t, near)
        # Too far is the first filter after task type, so counting the rest here keeps it exact.
        if len(near) - len(within) - len(unsure):
            excluded["too_far"] += len(near) - len(within) - len(unsure)
        for group, known in ((within, True), (unsure, False)):
            for volunteer_id in group:
                result = evaluate(t, records[volunteer_id], build=False, within=known)
                if isinstance(result, str):
                    excluded[result] += 1
                else:
                    candidates.append(result)
        return _ranking(t, candidates, excluded, self.total, limit)

    def _split(self, t, ids):
        """Return (surely within reach, unsure) of the ids; the others are surely too far."""
        task = t.task
        if not self.flat or abs(task.lat - self.latitude) > 0.5:
            return [], list(ids)
        xy, limit = self.xy, t.limit
        tx, ty = task.lat * self.km_lat, task.lon * self.km_lon
        limit_outer, limit_inner = self._margins(limit) if limit != math.inf else (0.0, 0.0)
        within, unsure = [], []
        for volunteer_id in ids:
            x, y, max_km, outer, inner = xy[volunteer_id]
            if limit < max_km:
                outer, inner = limit_outer, limit_inner
            dx, dy = x - tx, y - ty
            square = dx * dx + dy * dy
            if square > outer:
                continue
            if square < inner:
                within.append(volunteer_id)
            else:
                unsure.append(volunteer_id)
        return within, unsure

    @staticmethod
    def _margins(reach):
        """Return the squared flat distances beyond which one is surely too far, and within which surely not.

        Within half a degree of latitude of the middle the flat projection is off by less than
        1.2 %; 2 % and 100 m cover that. -1 when no distance is surely within reach.
        """
        outer, inner = reach * 1.02 + 0.1, reach * 0.98 - 0.1
        return outer * outer, inner * inner if inner > 0 else -1.0

    def feasible(self, t: PreparedTask) -> list[Fit]:
        """Return the fits of a prepared task, best first, without counting or reasons."""
        ids = self._near(t)
        if not ids:
            return []
        pool = set()
        for mask in t.masks:
            if mask is not None:  # a window outside the day parts cannot be covered
                sets = sorted((self.by_bit[index] for index in range(21) if mask >> index & 1), key=len)
                pool |= ids.intersection(*sets)
        records = self.records
        candidates: list[Fit] = []
        append = candidates.append
        within, unsure = self._split(t, pool)
        for group, known in ((within, True), (unsure, False)):
            for volunteer_id in group:
                result = evaluate(t, records[volunteer_id], build=False, within=known)
                if isinstance(result, Fit):  # exact-type fast path in CPython, as quick as `__class__ is`
                    append(result)
        _sort(candidates)
        return candidates
