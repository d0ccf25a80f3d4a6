"""The batch against the best possible assignment: bench/matching.py's exact optimum (issue #13)."""

import gc
import importlib.util
import itertools
import random
from collections import Counter
from datetime import time, timedelta
from pathlib import Path

import pytest

from sociale_kaart.matching import timeslots
from sociale_kaart.matching.assignment import propose
from sociale_kaart.matching.ranking import PreparedTask, VolunteerPool

from .test_assignment import HOME, MONDAY, make_task, make_volunteer, random_instance, window

BENCH = Path(__file__).resolve().parents[2] / "bench" / "matching.py"
KM_NORTH = 1 / 111.25  # degrees of latitude in a kilometre, near 52 N


@pytest.fixture(scope="module")
def bench():
    spec = importlib.util.spec_from_file_location("bench_matching", BENCH)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def prepare(tasks, volunteers):
    pool = VolunteerPool(volunteers)
    prepared = []
    for task in tasks:
        t = PreparedTask(task)
        fits = pool.feasible(t)
        if fits:
            prepared.append((t, fits))
    return prepared


def allowed(chosen, volunteers):
    """Say whether bookings plus the chosen (volunteer id, windows) keep everyone within their cap and free."""
    by_id = {volunteer.id: volunteer for volunteer in volunteers}
    windows, weeks = {}, Counter()
    for volunteer in volunteers:
        windows[volunteer.id] = list(volunteer.booked)
        for start, _ in volunteer.booked:
            weeks[volunteer.id, timeslots.iso_week(timeslots.to_local(start).date())] += 1
    for volunteer_id, items in chosen:
        for item in items:
            windows[volunteer_id].append((item.start, item.end))
            weeks[volunteer_id, item.week] += 1
    if any(count > by_id[volunteer_id].max_per_week for (volunteer_id, _), count in weeks.items()):
        return False
    for items in windows.values():
        items.sort()
        if any(items[i][1] > items[i + 1][0] for i in range(len(items) - 1)):
            return False
    return True


def brute_force(prepared, volunteers):
    """Return (filled, score sum) of the best assignment, trying every one."""
    best = (0, 0)
    for choice in itertools.product(*[[None, *fits] for _, fits in prepared]):
        chosen = [fit for fit in choice if fit is not None]
        value = (len(chosen), sum(fit.score for fit in chosen))
        if value > best and allowed([(fit.volunteer_id, fit.windows) for fit in chosen], volunteers):
            best = value
    return best


def small_instance(seed):
    rng = random.Random(seed)
    volunteers = []
    for number in range(1, 5):
        booked = ()
        if rng.random() < 0.5:
            booked = (window(MONDAY + timedelta(days=rng.randrange(14)), rng.choice((9, 13)), 1),)
        volunteers.append(
            make_volunteer(
                number,
                lat=HOME[0] + rng.uniform(-0.02, 0.02),
                lon=HOME[1] + rng.uniform(-0.03, 0.03),
                max_per_week=rng.choice((1, 1, 2)),
                booked=booked,
                tasks_last_28_days=rng.randrange(4),
            )
        )
    tasks = []
    for number in range(1, 6):
        first = MONDAY + timedelta(days=rng.randrange(10))
        weeks = rng.choice((1, 1, 3))
        start = rng.choice((9, 13, 14))
        tasks.append(
            make_task(
                number,
                lat=HOME[0] + rng.uniform(-0.02, 0.02),
                lon=HOME[1] + rng.uniform(-0.03, 0.03),
                windows=tuple(timeslots.occurrence_windows(first, time(start), time(start + 2), weeks)),
            )
        )
    return tasks, volunteers


@pytest.mark.parametrize("seed", range(6))
def test_exact_optimum_is_the_best_of_all_assignments(bench, seed):
    tasks, volunteers = small_instance(seed)
    prepared = prepare(tasks, volunteers)

    optimum = bench.exact_optimum(prepared)

    assert (optimum.filled, optimum.score) == brute_force(prepared, volunteers)
    assert allowed([(volunteer_id, windows) for _, volunteer_id, windows, _ in optimum.chosen], volunteers)


def test_optimum_gives_the_nearer_volunteer_to_the_task_that_needs_them_most(bench):
    # Volunteer 1 (cap 1) is nearest to both tasks; volunteer 2 lies beyond task 1, far from task 2.
    tasks = [
        make_task(1, lat=HOME[0] + 1 * KM_NORTH),
        make_task(2, lat=HOME[0] - 1 * KM_NORTH, windows=(window(MONDAY + timedelta(days=3)),)),
    ]
    volunteers = [make_volunteer(1), make_volunteer(2, lat=HOME[0] + 2.5 * KM_NORTH)]
    prepared = prepare(tasks, volunteers)

    greedy = propose(tasks, volunteers)
    optimum = bench.exact_optimum(prepared)

    assert sorted((p.task_id, p.volunteer_id) for p in greedy) == [(1, 1), (2, 2)]
    assert sorted((task_id, volunteer_id) for task_id, volunteer_id, _, _ in optimum.chosen) == [(1, 2), (2, 1)]
    assert (optimum.filled, optimum.score) == brute_force(prepared, volunteers)
    assert optimum.score > sum(p.score for p in greedy)


def test_optimum_keeps_series_windows_bookings_and_the_weekly_cap_together(bench):
    second_tuesday = MONDAY + timedelta(days=8)
    series = tuple(timeslots.occurrence_windows(MONDAY + timedelta(days=1), time(13), time(15), 3))
    tasks = [
        make_task(1, windows=series),
        make_task(2, windows=(window(second_tuesday, start=14),)),  # overlaps week 2 of the series
        make_task(3, windows=(window(second_tuesday + timedelta(days=1)),)),  # week 2 is then full
        make_task(4, windows=(window(MONDAY + timedelta(days=3)),)),
    ]
    volunteers = [make_volunteer(1, max_per_week=2, booked=(window(MONDAY + timedelta(days=7), start=9, hours=1),))]
    prepared = prepare(tasks, volunteers)

    optimum = bench.exact_optimum(prepared)

    assert (optimum.filled, optimum.score) == brute_force(prepared, volunteers) and optimum.filled == 2
    chosen = {task_id for task_id, _, _, _ in optimum.chosen}
    assert not {1, 2} <= chosen and not {1, 3} <= chosen and not {2, 3} <= chosen


@pytest.mark.parametrize("seed", range(3))
def test_the_greedy_is_never_better_than_the_optimum(bench, seed):
    # Crowded: 80 tasks for 40 volunteers. With seed 1 the greedy fills 78 where 80 is possible.
    tasks, volunteers = random_instance(seed)
    prepared = prepare(tasks, volunteers)
    greedy = propose(tasks, volunteers)

    optimum = bench.exact_optimum(prepared, bench.greedy_extra(greedy, prepared))

    assert (len(greedy), sum(p.score for p in greedy)) <= (optimum.filled, optimum.score)
    assert allowed([(volunteer_id, windows) for _, volunteer_id, windows, _ in optimum.chosen], volunteers)


def test_the_honest_baseline_proposes_the_same_as_the_pool(bench):
    tasks, volunteers = random_instance(4)

    linear = propose(tasks, volunteers, pool=bench.LinearPool(volunteers))

    assert [(p.task_id, p.volunteer_id, p.score) for p in linear] == [
        (p.task_id, p.volunteer_id, p.score) for p in propose(tasks, volunteers)
    ]


def test_without_the_fairness_penalty_the_nearest_volunteer_takes_every_task():
    tasks = [make_task(number, windows=(window(MONDAY + timedelta(days=number)),)) for number in range(1, 4)]
    volunteers = [make_volunteer(1, max_per_week=3), make_volunteer(2, max_per_week=3, lat=HOME[0] + 0.002)]

    proposals = propose(tasks, volunteers, fairness_penalty=0)

    assert [p.volunteer_id for p in proposals] == [1, 1, 1]


@pytest.mark.parametrize("enabled", [True, False])
def test_propose_leaves_the_garbage_collector_as_it_was(enabled):
    tasks, volunteers = random_instance(1)
    was = gc.isenabled()
    (gc.enable if enabled else gc.disable)()
    try:
        propose(tasks, volunteers)
        assert gc.isenabled() is enabled
    finally:
        (gc.enable if was else gc.disable)()
