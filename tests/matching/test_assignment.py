"""Batch proposals: caps, overlaps, frozen tasks, most-constrained-first (issue #4)."""

import random
from collections import Counter, defaultdict
from datetime import date, time, timedelta

import pytest

from sociale_kaart.matching import timeslots
from sociale_kaart.matching.assignment import propose
from sociale_kaart.matching.ranking import TaskInput, VolunteerInput, VolunteerPool, rank

HOME = (52.04, 5.35)
MONDAY = date(2026, 3, 23)  # the week across the start of summer time (29 March)


def window(day, start=13, hours=2):
    return timeslots.local_window(day, time(start), time(start + hours))


def make_task(id, **overrides):
    values = dict(
        id=id,
        lat=HOME[0],
        lon=HOME[1],
        task_type="boodschappen",
        vog_required=False,
        windows=(window(MONDAY + timedelta(days=1)),),
    )
    values.update(overrides)
    return TaskInput(**values)


def make_volunteer(id, **overrides):
    values = dict(
        id=id,
        lat=HOME[0],
        lon=HOME[1],
        travel_mode="bike",
        max_km=5,
        task_types=frozenset({"boodschappen", "tuin"}),
        skills=frozenset(),
        languages=frozenset({"nl"}),
        availability=timeslots.FULL_WEEK,
        max_per_week=1,
    )
    values.update(overrides)
    return VolunteerInput(**values)


def loads(proposals, volunteers):
    """Return per volunteer the sorted windows of existing bookings plus proposals."""
    windows = defaultdict(list)
    for volunteer in volunteers:
        windows[volunteer.id] += volunteer.booked
    for proposal in proposals:
        windows[proposal.volunteer_id] += proposal.candidate.covered_windows
    return {volunteer_id: sorted(items) for volunteer_id, items in windows.items()}


def random_instance(seed):
    rng = random.Random(seed)
    volunteers = []
    for number in range(1, 41):
        cap = rng.choice((1, 1, 2, 3))
        booked = []
        for week in rng.sample(range(3), rng.randint(0, min(cap, 2))):
            day = MONDAY + timedelta(weeks=week, days=rng.randrange(7))
            booked.append(window(day, rng.choice((9, 14, 19)), 1))
        volunteers.append(
            make_volunteer(
                number,
                lat=HOME[0] + rng.uniform(-0.03, 0.03),
                lon=HOME[1] + rng.uniform(-0.05, 0.05),
                max_km=rng.choice((2, 4, 8)),
                max_per_week=cap,
                booked=tuple(booked),
                availability=rng.randrange(1, 1 << 21) | timeslots.bit(1, 1),
                task_types=frozenset(rng.sample(["boodschappen", "tuin", "respijt"], rng.randint(1, 3))),
                tasks_last_28_days=rng.randrange(5),
            )
        )
    tasks = []
    for number in range(1, 81):
        first = MONDAY + timedelta(days=rng.randrange(14))
        start = rng.choice((9, 10, 13, 14, 18))
        weeks = rng.choice((1, 1, 1, 3))
        tasks.append(
            make_task(
                number,
                lat=HOME[0] + rng.uniform(-0.03, 0.03),
                lon=HOME[1] + rng.uniform(-0.05, 0.05),
                task_type=rng.choice(["boodschappen", "tuin", "respijt"]),
                windows=tuple(
                    timeslots.occurrence_windows(first, time(start), time(start + rng.choice((1, 2, 3))), weeks)
                ),
                urgency=rng.choice(("high", "normal", "low")),
            )
        )
    return tasks, volunteers


@pytest.mark.parametrize("seed", range(8))
def test_batch_never_exceeds_a_cap_nor_overlaps(seed):
    tasks, volunteers = random_instance(seed)
    caps = {volunteer.id: volunteer.max_per_week for volunteer in volunteers}

    proposals = propose(tasks, volunteers, today=MONDAY)

    assert len(proposals) > 10
    assert len({proposal.task_id for proposal in proposals}) == len(proposals)
    for volunteer_id, items in loads(proposals, volunteers).items():
        weeks = Counter(timeslots.iso_week(timeslots.to_local(start).date()) for start, _ in items)
        assert max(weeks.values(), default=0) <= caps[volunteer_id]
        assert all(items[i][1] <= items[i + 1][0] for i in range(len(items) - 1))


@pytest.mark.parametrize("seed", range(3))
def test_each_proposal_is_a_candidate_of_its_own_ranking(seed):
    tasks, volunteers = random_instance(seed)
    by_id = {task.id: task for task in tasks}

    for proposal in propose(tasks, volunteers, today=MONDAY):
        ranked = rank(by_id[proposal.task_id], volunteers, today=MONDAY).candidates
        assert proposal.volunteer_id in {candidate.volunteer_id for candidate in ranked}
        assert proposal.score == proposal.candidate.score


def test_frozen_tasks_are_skipped():
    tasks = [make_task(1), make_task(2, windows=(window(MONDAY + timedelta(days=2)),))]
    volunteers = [make_volunteer(1, max_per_week=2)]

    proposals = propose(tasks, volunteers, frozen={1})

    assert [(p.task_id, p.volunteer_id) for p in proposals] == [(2, 1)]


def test_an_approved_match_is_respected_through_the_volunteers_bookings():
    approved = window(MONDAY + timedelta(days=1))
    volunteers = [make_volunteer(1, booked=(approved,)), make_volunteer(2, lat=HOME[0] + 0.02)]

    proposals = propose([make_task(2, windows=(window(MONDAY + timedelta(days=3)),))], volunteers, frozen={1})

    assert [(p.task_id, p.volunteer_id) for p in proposals] == [(2, 2)]


def test_most_constrained_first_fills_both_where_greedy_by_order_does_not():
    # Task 1 can use volunteers 1 and 2, and prefers 1 (nearer); task 2 only has volunteer 1.
    tasks = [
        make_task(1, task_type="boodschappen"),
        make_task(2, task_type="tuin", windows=(window(MONDAY + timedelta(days=3)),)),
    ]
    volunteers = [make_volunteer(1), make_volunteer(2, lat=HOME[0] + 0.03, task_types=frozenset({"boodschappen"}))]
    greedy_first = rank(tasks[0], volunteers).candidates[0].volunteer_id

    proposals = propose(tasks, volunteers)

    assert greedy_first == 1  # taking task 1 first would leave task 2 without anyone
    assert sorted((p.task_id, p.volunteer_id) for p in proposals) == [(1, 2), (2, 1)]


def test_one_volunteer_never_gets_two_overlapping_tasks():
    tasks = [make_task(1), make_task(2, windows=(window(MONDAY + timedelta(days=1), start=14),))]
    volunteers = [make_volunteer(1, max_per_week=5)]

    assert len(propose(tasks, volunteers)) == 1


def test_existing_bookings_count_towards_the_weekly_cap():
    booked = (window(MONDAY, start=9, hours=1),)
    volunteers = [make_volunteer(1, max_per_week=2, booked=booked)]
    tasks = [make_task(1), make_task(2, windows=(window(MONDAY + timedelta(days=2)),))]

    assert len(propose(tasks, volunteers)) == 1


def test_urgent_tasks_go_first_among_equally_constrained():
    tasks = [make_task(1, urgency="low"), make_task(2, urgency="high", windows=(window(MONDAY + timedelta(days=2)),))]

    proposals = propose(tasks, [make_volunteer(1)])

    assert [p.task_id for p in proposals] == [2]


def test_a_series_counts_only_its_covered_windows():
    series = tuple(timeslots.occurrence_windows(MONDAY + timedelta(days=1), time(13), time(15), 4))
    other = make_task(2, windows=(window(MONDAY + timedelta(days=1 + 7 * 3), start=9),), urgency="high")
    volunteers = [make_volunteer(1, absences=((MONDAY + timedelta(weeks=3), MONDAY + timedelta(weeks=3, days=6)),))]

    proposals = propose([make_task(1, windows=series), other], volunteers)

    # The volunteer is away in week 4, so the series takes weeks 1-3 and does not block the other task.
    assert {p.task_id: p.candidate.covered for p in proposals} == {1: 3}
    # The one-off in the absent week is not feasible at all.
    assert len(proposals) == 1


def test_fairness_penalty_spreads_work_over_similar_volunteers():
    tasks = [make_task(number, windows=(window(MONDAY + timedelta(days=number)),)) for number in range(1, 4)]
    volunteers = [
        make_volunteer(1, max_per_week=3),
        make_volunteer(2, max_per_week=3, lat=HOME[0] + 0.002),
        make_volunteer(3, max_per_week=3, lat=HOME[0] + 0.004),
    ]

    proposals = propose(tasks, volunteers)

    assert sorted(p.volunteer_id for p in proposals) == [1, 2, 3]


def test_a_prebuilt_pool_gives_the_same_proposals():
    tasks, volunteers = random_instance(3)

    first = propose(tasks, volunteers, today=MONDAY)
    second = propose(tasks, volunteers, today=MONDAY, pool=VolunteerPool(volunteers))

    assert [(p.task_id, p.volunteer_id, p.score) for p in first] == [
        (p.task_id, p.volunteer_id, p.score) for p in second
    ]


def test_a_window_outside_the_day_parts_does_not_block_the_rest_of_a_series():
    early = timeslots.local_window(MONDAY + timedelta(days=1), time(5), time(7))
    task = make_task(1, windows=(early, window(MONDAY + timedelta(days=8))))

    proposals = propose([task], [make_volunteer(1)])

    assert [(p.candidate.covered, p.candidate.total) for p in proposals] == [(1, 2)]


def test_far_volunteers_are_never_proposed():
    volunteers = [make_volunteer(1, lat=HOME[0] + 0.05, max_km=5), make_volunteer(2, lat=HOME[0] + 0.04, max_km=5)]

    proposals = propose([make_task(1)], volunteers)

    assert [p.volunteer_id for p in proposals] == [2]  # 5.6 km and 4.4 km away
