"""Propose volunteers for many open tasks at once (pure rules, no Flask).

Issue #4, "stel koppelingen voor". Most-constrained-first: the task with the fewest feasible
volunteers picks first (then the most urgent), so an early task cannot take the only volunteer a
later one had. Each volunteer's proposals in this run count as bookings for the tasks after it,
so nobody gets overlapping windows or more tasks in a local ISO week than `max_per_week`
(existing bookings included), and every proposal after the first in a run costs a volunteer
FAIRNESS_PENALTY points, which spreads the work (VolunteerMatch's penalty after each
connection, research notes 3.7).

Issue #13: bench/matching.py measures this greedy against the exact optimum of the same
instances (a MILP: most tasks filled, then the highest sum of scores). It fills every task that
has a feasible volunteer, so a solver would add nothing to the fill; see README "Benchmarks".
"""

from __future__ import annotations

import dataclasses
import gc
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date

from .ranking import (
    Candidate,
    PreparedTask,
    PreparedVolunteer,
    TaskInput,
    VolunteerInput,
    VolunteerPool,
    candidate_of,
    evaluate,
)

FAIRNESS_PENALTY = 8
URGENCY_ORDER = {"high": 0, "normal": 1, "low": 2}


@dataclass
class Proposal:
    task_id: int
    volunteer_id: int
    score: int
    candidate: Candidate


def propose(
    tasks: Iterable[TaskInput],
    volunteers: Iterable[VolunteerInput],
    weights: Mapping | None = None,
    today: date | None = None,
    frozen: Iterable[int] = (),
    min_series_coverage: float = 0.5,
    pool: VolunteerPool | None = None,
    fairness_penalty: int = FAIRNESS_PENALTY,
) -> list[Proposal]:
    """Return at most one proposal per task, never overbooking a volunteer.

    `pool` is a prebuilt VolunteerPool of the same volunteers (or anything with its feasible());
    `fairness_penalty` is what each earlier proposal in this run costs a volunteer, in points.
    """
    with _collector_paused():
        if pool is None:
            pool = VolunteerPool(volunteers)
        return _greedy(tasks, pool, weights, today, set(frozen), min_series_coverage, fairness_penalty)


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector for a batch.

    A batch of 2,000 tasks among 10,000 volunteers allocates some 10^6 objects and no cycles;
    the collector's full passes over them took about 40 % of its CPU time (issue #13).
    Reference counting still frees everything as usual.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _greedy(tasks, pool, weights, today, frozen, min_series_coverage, fairness_penalty):
    prepared = []
    for task in tasks:
        if task.id in frozen:
            continue
        t = PreparedTask(task, weights, today, min_series_coverage)
        candidates = pool.feasible(t)
        if candidates:
            prepared.append((len(candidates), URGENCY_ORDER.get(task.urgency, 1), task.id, t, candidates))
    prepared.sort(key=lambda item: item[:3])

    given: dict[int, int] = {}  # volunteer id -> proposals in this run
    changed: dict[int, PreparedVolunteer] = {}  # volunteer id -> PreparedVolunteer with this run's bookings
    proposals = []
    for _, _, task_id, t, candidates in prepared:
        best = None
        best_key: tuple[float, float, int] | None = None
        for fit in candidates:
            if best_key is not None and fit.score < -best_key[0]:
                break  # sorted by score: nobody further down can beat the best any more
            volunteer_id = fit.volunteer_id
            if volunteer_id in changed:
                fit = evaluate(t, changed[volunteer_id], fit.distance, build=False)
                if isinstance(fit, str):
                    continue
            key = (-(fit.score - fairness_penalty * given.get(volunteer_id, 0)), fit.distance, volunteer_id)
            if best_key is None or key < best_key:
                best, best_key = fit, key
        if best is None:
            continue
        candidate = candidate_of(t, best)
        volunteer_id = candidate.volunteer_id
        volunteer = best.rec.v
        changed[volunteer_id] = PreparedVolunteer(
            dataclasses.replace(volunteer, booked=volunteer.booked + candidate.covered_windows)
        )
        given[volunteer_id] = given.get(volunteer_id, 0) + 1
        proposals.append(Proposal(task_id, volunteer_id, candidate.score, candidate))
    return proposals
