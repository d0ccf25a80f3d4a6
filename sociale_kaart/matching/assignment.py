"""Propose volunteers for many open tasks at once (pure rules, no Flask).

Issue #4, "stel koppelingen voor". Most-constrained-first: the task with the fewest feasible
volunteers picks first (then the most urgent), so an early task cannot take the only volunteer a
later one had. Each volunteer's proposals in this run count as bookings for the tasks after it,
so nobody gets overlapping windows or more tasks in a local ISO week than `max_per_week`
(existing bookings included), and every proposal after the first in a run costs a volunteer
FAIRNESS_PENALTY points, which spreads the work (VolunteerMatch's penalty after each
connection, research notes 3.7).
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from .ranking import Candidate, VolunteerPool, _candidate, _evaluate, _Task, _Volunteer

FAIRNESS_PENALTY = 8
URGENCY_ORDER = {"high": 0, "normal": 1, "low": 2}


@dataclass
class Proposal:
    task_id: int
    volunteer_id: int
    score: int
    candidate: Candidate


def propose(tasks, volunteers, weights=None, today=None, frozen=(), min_series_coverage=0.5, pool=None):
    """Return at most one proposal per task, never overbooking a volunteer."""
    if pool is None:
        pool = VolunteerPool(volunteers)
    frozen = set(frozen)
    prepared = []
    for task in tasks:
        if task.id in frozen:
            continue
        t = _Task(task, weights, today, min_series_coverage)
        candidates = pool.feasible(t)
        if candidates:
            prepared.append((len(candidates), URGENCY_ORDER.get(task.urgency, 1), task.id, t, candidates))
    prepared.sort(key=lambda item: item[:3])

    given = {}          # volunteer id -> proposals in this run
    changed = {}        # volunteer id -> _Volunteer with this run's proposals as bookings
    proposals = []
    for _, _, task_id, t, candidates in prepared:
        best = best_key = None
        for fit in candidates:
            if best is not None and fit.score < -best_key[0]:
                break       # sorted by score: nobody further down can beat the best any more
            volunteer_id = fit.volunteer_id
            if volunteer_id in changed:
                fit = _evaluate(t, changed[volunteer_id], fit.distance, build=False)
                if isinstance(fit, str):
                    continue
            key = (-(fit.score - FAIRNESS_PENALTY * given.get(volunteer_id, 0)), fit.distance, volunteer_id)
            if best is None or key < best_key:
                best, best_key = fit, key
        if best is None:
            continue
        candidate = _candidate(t, best)
        volunteer_id = candidate.volunteer_id
        volunteer = best.rec.v
        changed[volunteer_id] = _Volunteer(
            dataclasses.replace(volunteer, booked=volunteer.booked + candidate.covered_windows))
        given[volunteer_id] = given.get(volunteer_id, 0) + 1
        proposals.append(Proposal(task_id, volunteer_id, candidate.score, candidate))
    return proposals
