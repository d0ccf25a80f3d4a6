"""Rank volunteers for a help request: hard filters, an explainable score, reasons (pure rules, no Flask).

Issue #4. Times are naive UTC on input; every day-part, absence, VOG and weekly-cap rule is
checked on the local date and time (Europe/Amsterdam), so a series keeps its meaning across
daylight-saving changes.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime


@dataclass(frozen=True)
class VolunteerInput:
    id: int
    lat: float
    lon: float
    travel_mode: str                 # walk / bike / car
    max_km: float
    task_types: frozenset[str]
    skills: frozenset[str]
    languages: frozenset[str]
    availability: int                # grid mask (timeslots.bit)
    absences: tuple[tuple[date, date], ...] = ()
    max_per_week: int = 2
    active: bool = True              # approved, not paused, not stopped (the caller decides)
    vog_valid_until: date | None = None
    booked: tuple[tuple[datetime, datetime], ...] = ()   # naive UTC windows of active bookings
    tasks_last_28_days: int = 0
    tasks_total: int = 0
    is_new: bool = False             # registered < 30 days ago and no task yet
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
    windows: tuple[tuple[datetime, datetime], ...]   # naive UTC, one per occurrence still to fill
    max_km: float | None = None      # the requester's own limit
    language: str = "nl"
    language_required: bool = False
    skills_wanted: frozenset[str] = frozenset()
    requester_key: str = ""
    same_volunteer: bool = False
    zone: str = "Europe/Amsterdam"
    urgency: str = "normal"          # high / normal / low: batch proposals fill urgent tasks first


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
    candidates: list
    excluded: object                 # Counter code -> n
    total: int
