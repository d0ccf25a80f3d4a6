"""Ranking rules: hard filters, score components, reasons, exclusion counts (issue #4)."""

import random
from collections import Counter
from dataclasses import replace
from datetime import date, datetime, time

import pytest

from sociale_kaart.matching import timeslots
from sociale_kaart.matching.ranking import Candidate, TaskInput, VolunteerInput, VolunteerPool, check, distance_km, rank

HOME = (52.04, 5.35)
NORTH_2_1_KM = 2.1 / 111.25  # degrees of latitude for ~2.1 km at 52 N
TUE_AFTERNOON = timeslots.bit(1, 1)
# Tuesday 31 March 2026, two days after summer time started: 13:00-15:00 local is 11:00-13:00 UTC.
TUESDAY = date(2026, 3, 31)


def window(day=TUESDAY, start=time(13), end=time(15)):
    return timeslots.local_window(day, start, end)


def make_task(**overrides):
    values = dict(
        id=1,
        lat=HOME[0],
        lon=HOME[1],
        task_type="respijt",
        vog_required=True,
        windows=(window(),),
        requester_key="req-1",
    )
    values.update(overrides)
    return TaskInput(**values)


def make_volunteer(**overrides):
    values = dict(
        id=10,
        lat=HOME[0] + NORTH_2_1_KM,
        lon=HOME[1],
        travel_mode="bike",
        max_km=5,
        task_types=frozenset({"respijt", "boodschappen"}),
        skills=frozenset(),
        languages=frozenset({"nl"}),
        availability=TUE_AFTERNOON,
        vog_valid_until=date(2027, 1, 1),
    )
    values.update(overrides)
    return VolunteerInput(**values)


def series(weeks=8, first=date(2026, 3, 10), start=time(13), end=time(17)):
    return tuple(timeslots.occurrence_windows(first, start, end, weeks))


# ---- hard filters: one row each ----

FILTER_ROWS = [
    ("passes", {}, {}, None),
    ("inactive", {"active": False}, {}, "inactive"),
    ("task type not wanted", {"task_types": frozenset({"tuin"})}, {}, "task_type"),
    ("beyond the volunteer's radius", {"max_km": 2}, {}, "too_far"),
    ("beyond the requester's limit", {}, {"max_km": 2.0}, "too_far"),
    ("within both limits", {"max_km": 2.2}, {"max_km": 2.2}, None),
    ("no VOG", {"vog_valid_until": None}, {}, "vog"),
    ("VOG ends the day before", {"vog_valid_until": date(2026, 3, 30)}, {}, "vog"),
    ("VOG ends on the day", {"vog_valid_until": date(2026, 3, 31)}, {}, None),
    ("no VOG needed", {"vog_valid_until": None}, {"vog_required": False}, None),
    ("required language", {}, {"language": "tr", "language_required": True}, "language"),
    ("preferred language only", {}, {"language": "tr"}, None),
    ("grid lacks Tuesday afternoon", {"availability": timeslots.bit(1, 0)}, {}, "not_available"),
    ("absent that day", {"absences": ((date(2026, 3, 30), date(2026, 4, 2)),)}, {}, "not_available"),
    ("absence ends the day before", {"absences": ((date(2026, 3, 20), date(2026, 3, 30)),)}, {}, None),
    (
        "window outside the day parts",
        {"availability": timeslots.FULL_WEEK},
        {"windows": (window(start=time(5), end=time(7)),)},
        "not_available",
    ),
    ("window needs two parts, grid has one", {}, {"windows": (window(start=time(11), end=time(14)),)}, "not_available"),
    ("overlapping booking", {"booked": (window(start=time(14), end=time(16)),)}, {}, "overlap"),
    ("booking right after", {"booked": (window(start=time(15), end=time(16)),)}, {}, None),
    (
        "full this week",
        {"max_per_week": 1, "booked": (window(day=date(2026, 3, 30), start=time(9), end=time(10)),)},
        {},
        "full",
    ),
    (
        "booking in the week before",
        {"max_per_week": 1, "booked": (window(day=date(2026, 3, 29), start=time(9), end=time(10)),)},
        {},
        None,
    ),
    (
        "cap not reached",
        {"max_per_week": 2, "booked": (window(day=date(2026, 3, 30), start=time(9), end=time(10)),)},
        {},
        None,
    ),
]


@pytest.mark.parametrize(
    ("volunteer", "task", "expected"), [row[1:] for row in FILTER_ROWS], ids=[row[0] for row in FILTER_ROWS]
)
def test_hard_filter(volunteer, task, expected):
    result = check(make_task(**task), make_volunteer(**volunteer))

    if expected is None:
        assert isinstance(result, Candidate)
    else:
        assert result == expected


@pytest.mark.parametrize(
    ("availability", "expected"),
    [
        (timeslots.bit(1, 1), None),  # local afternoon: right
        (timeslots.bit(1, 0), "not_available"),  # UTC 10:30 would look like a morning
    ],
)
def test_availability_uses_local_time_after_the_daylight_saving_change(availability, expected):
    # 12:30-13:30 on 31 March 2026 (summer time) is 10:30-11:30 UTC; a naive UTC check gets it backwards.
    task = make_task(windows=(window(start=time(12, 30), end=time(13, 30)),))
    result = check(task, make_volunteer(availability=availability))

    assert (None if isinstance(result, Candidate) else result) == expected


def test_series_across_the_daylight_saving_change_is_covered_every_week():
    # Tuesdays 13:00-17:00 from 17 March: 12:00 UTC before 29 March, 11:00 UTC after.
    task = make_task(windows=series(weeks=4, first=date(2026, 3, 17)))

    result = check(task, make_volunteer())

    assert {start.hour for start, _ in task.windows} == {11, 12}
    assert (result.covered, result.total) == (4, 4)


SERIES_ROWS = [
    ("one week absent", {"absences": ((date(2026, 3, 17), date(2026, 3, 17)),)}, None, 7),
    ("five weeks absent", {"absences": ((date(2026, 3, 10), date(2026, 4, 7)),)}, "not_available", None),
    ("four weeks absent: exactly half", {"absences": ((date(2026, 3, 10), date(2026, 3, 31)),)}, None, 4),
    ("four overlapping bookings", {"booked": series(weeks=4)}, None, 4),
    ("five overlapping bookings", {"booked": series(weeks=5)}, "overlap", None),
    (
        "five full weeks",
        {"max_per_week": 1, "booked": series(weeks=5, first=date(2026, 3, 9), start=time(9), end=time(10))},
        "full",
        None,
    ),
    ("VOG ends after three weeks", {"vog_valid_until": date(2026, 3, 24)}, "vog", None),
    ("VOG ends after six weeks", {"vog_valid_until": date(2026, 4, 14)}, None, 6),
]


@pytest.mark.parametrize(
    ("volunteer", "expected", "covered"), [row[1:] for row in SERIES_ROWS], ids=[row[0] for row in SERIES_ROWS]
)
def test_series_needs_the_minimum_coverage(volunteer, expected, covered):
    result = check(make_task(windows=series()), make_volunteer(**volunteer), min_series_coverage=0.5)

    if expected is None:
        assert (result.covered, result.total, len(result.covered_windows)) == (covered, 8, covered)
    else:
        assert result == expected


def test_minimum_series_coverage_is_configurable():
    volunteer = make_volunteer(absences=((date(2026, 3, 17), date(2026, 3, 17)),))

    assert check(make_task(windows=series()), volunteer, min_series_coverage=1.0) == "not_available"


def test_today_drops_windows_already_past():
    result = check(make_task(windows=series()), make_volunteer(), today=date(2026, 4, 1))

    assert (result.covered, result.total) == (4, 4)


# ---- score components ----

COMPONENT_ROWS = [
    ("distance at home", {"lat": HOME[0]}, {}, "distance", 1.0),
    ("distance at the limit", {"max_km": 2.11}, {"max_km": 3.0}, "distance", pytest.approx(0.0, abs=0.01)),
    ("distance under the requester's limit", {}, {"max_km": 4.2}, "distance", pytest.approx(0.5, abs=0.01)),
    ("continuity good", {"history": {"req-1": "good"}}, {}, "continuity", 1.0),
    ("continuity earlier", {"history": {"req-1": "earlier"}}, {}, "continuity", 0.5),
    ("continuity of another requester", {"history": {"req-2": "good"}}, {}, "continuity", 0.0),
    ("fairness unused", {}, {}, "fairness", 1.0),
    ("fairness half", {"tasks_last_28_days": 4, "max_per_week": 2}, {}, "fairness", 0.5),
    ("fairness busy", {"tasks_last_28_days": 12, "max_per_week": 2}, {}, "fairness", 0.0),
    ("fairness first-task boost", {"is_new": True, "tasks_last_28_days": 4}, {}, "fairness", pytest.approx(0.6)),
    ("fairness boost capped", {"is_new": True}, {}, "fairness", 1.0),
    ("skills none wanted", {}, {}, "skills", 1.0),
    (
        "skills half",
        {"skills": frozenset({"dementie"})},
        {"skills_wanted": frozenset({"dementie", "rolstoel"})},
        "skills",
        0.5,
    ),
    ("language preferred", {"languages": frozenset({"nl", "tr"})}, {"language": "tr"}, "language", 1.0),
    ("language only Dutch shared", {}, {"language": "tr"}, "language", 0.5),
    ("language nothing shared", {"languages": frozenset({"en"})}, {"language": "tr"}, "language", 0.0),
    ("availability one-off", {}, {}, "availability", 1.0),
]


@pytest.mark.parametrize(
    ("volunteer", "task", "component", "expected"),
    [row[1:] for row in COMPONENT_ROWS],
    ids=[row[0] for row in COMPONENT_ROWS],
)
def test_score_component(volunteer, task, component, expected):
    assert check(make_task(**task), make_volunteer(**volunteer)).components[component] == expected


def test_availability_component_of_a_series_is_the_share_covered():
    volunteer = make_volunteer(absences=((date(2026, 3, 17), date(2026, 3, 17)),))

    assert check(make_task(windows=series()), volunteer).components["availability"] == 0.875


def test_score_is_the_weighted_sum():
    candidate = check(make_task(), make_volunteer(lat=HOME[0], history={"req-1": "good"}))

    assert candidate.score == 100


@pytest.mark.parametrize(
    ("weights", "expected"),
    [
        ({"distance": 1}, 58),  # 1 - 2.1/5, alone
        ({"continuity": 1}, 0),
        ({"distance": 1, "fairness": 1}, 79),  # (0.58 + 1) / 2
        ({"distance": 3, "availability": 2, "continuity": 1.5, "fairness": 1.5, "skills": 1, "language": 1}, 72),
        (None, 72),  # defaults 30/20/15/15/10/10: 17.4+20+0+15+10+10
    ],
)
def test_weights_are_configurable_and_normalised(weights, expected):
    assert check(make_task(), make_volunteer(), weights=weights).score == expected


def test_asked_experience_beats_a_nearer_new_volunteer():
    """Issue #14, item 5: dementia experience was asked; the new volunteer without it, nearer, ranked first."""
    task = make_task(skills_wanted=frozenset({"dementie"}))
    newcomer = make_volunteer(id=11, lat=HOME[0] + NORTH_2_1_KM / 3, is_new=True)
    experienced = make_volunteer(id=12, skills=frozenset({"dementie"}), tasks_last_28_days=4, tasks_total=20)

    result = rank(task, [newcomer, experienced])

    assert [c.volunteer_id for c in result.candidates] == [12, 11]
    # without the asked experience the newcomer would have ranked first
    assert [c.volunteer_id for c in rank(make_task(), [newcomer, experienced]).candidates] == [11, 12]


def test_missing_experience_weighs_beyond_its_weight():
    with_it = check(make_task(skills_wanted=frozenset({"dementie"})), make_volunteer(skills=frozenset({"dementie"})))
    without = check(make_task(skills_wanted=frozenset({"dementie"})), make_volunteer())

    assert with_it.score == 72 and without.score == round(62 * 0.6)  # 72 - 10 for the weight, then x (1 - 0.4)


@pytest.mark.parametrize("weights", [{"distance": 0}, {"distance": -1, "skills": 2}, {"speed": 1}])
def test_bad_weights_are_refused(weights):
    with pytest.raises(ValueError):
        check(make_task(), make_volunteer(), weights=weights)


# ---- ranking and exclusion counts ----


def test_each_excluded_volunteer_counts_once_under_its_first_failing_filter():
    volunteers = [
        make_volunteer(id=1, active=False, task_types=frozenset()),  # inactive before task type
        make_volunteer(id=2, task_types=frozenset(), max_km=1),  # task type before too far
        make_volunteer(id=3, max_km=1, vog_valid_until=None),  # too far before VOG
        make_volunteer(id=4, vog_valid_until=None, availability=0),  # VOG before availability
        make_volunteer(id=5, availability=0, booked=(window(),)),  # availability before overlap
        make_volunteer(id=6, booked=(window(),), max_per_week=0),  # overlap before full
        make_volunteer(id=7, max_per_week=0),
        make_volunteer(id=8),
    ]

    ranking = rank(make_task(), volunteers)

    assert [c.volunteer_id for c in ranking.candidates] == [8]
    assert ranking.total == 8
    assert ranking.excluded == Counter(inactive=1, task_type=1, too_far=1, vog=1, not_available=1, overlap=1, full=1)


def test_language_comes_after_vog_and_before_availability():
    task = make_task(language="tr", language_required=True)
    volunteers = [make_volunteer(id=1, vog_valid_until=None), make_volunteer(id=2, availability=0)]

    assert rank(task, volunteers).excluded == Counter(vog=1, language=1)


def test_order_is_score_then_distance_then_id():
    volunteers = [
        make_volunteer(id=5),
        make_volunteer(id=3),
        make_volunteer(id=4, lat=HOME[0] + NORTH_2_1_KM / 2, max_km=2.5),  # same score, nearer
        make_volunteer(id=9, lat=HOME[0]),  # best score
    ]

    ranking = rank(make_task(), volunteers)

    assert [(c.volunteer_id) for c in ranking.candidates] == [9, 4, 3, 5]
    assert len({c.score for c in ranking.candidates[1:]}) == 1
    assert [c.volunteer_id for c in rank(make_task(), volunteers, limit=2).candidates] == [9, 4]


def random_volunteers(seed, count=400):
    rng = random.Random(seed)
    volunteers = []
    for number in range(count):
        booked = ()
        if rng.random() < 0.3:
            day = date(2026, 3, rng.choice((30, 31)))
            booked = (window(day=day, start=time(rng.choice((9, 13, 14))), end=time(16)),)
        volunteers.append(
            make_volunteer(
                id=number,
                lat=HOME[0] + rng.uniform(-0.15, 0.15),
                lon=HOME[1] + rng.uniform(-0.25, 0.25),
                max_km=rng.choice((1, 3, 5, 10, 25)),
                active=rng.random() < 0.9,
                task_types=frozenset(rng.sample(["respijt", "tuin", "boodschappen"], rng.randint(1, 2))),
                availability=rng.randrange(1 << 21),
                vog_valid_until=rng.choice((None, date(2026, 3, 1), date(2027, 1, 1))),
                languages=frozenset(rng.sample(["nl", "tr", "en"], rng.randint(1, 2))),
                booked=booked,
                max_per_week=rng.choice((0, 1, 2)),
                tasks_last_28_days=rng.randrange(6),
            )
        )
    return volunteers


@pytest.mark.parametrize("seed", range(5))
def test_pool_ranks_exactly_like_checking_every_volunteer(seed):
    volunteers = random_volunteers(seed)
    pool = VolunteerPool(volunteers)
    rng = random.Random(seed)
    for _ in range(10):
        task = make_task(
            lat=HOME[0] + rng.uniform(-0.1, 0.1),
            lon=HOME[1] + rng.uniform(-0.2, 0.2),
            task_type=rng.choice(["respijt", "tuin"]),
            max_km=rng.choice((None, 4.0)),
            language=rng.choice(("nl", "tr")),
            language_required=rng.random() < 0.3,
            windows=rng.choice(((window(),), series())),
        )

        fast, slow = pool.rank(task), rank(task, volunteers)

        assert fast.excluded == slow.excluded
        assert fast.total == slow.total == len(volunteers)
        assert [(c.volunteer_id, c.score) for c in fast.candidates] == [
            (c.volunteer_id, c.score) for c in slow.candidates
        ]
        assert rank(task, pool).excluded == slow.excluded


@pytest.mark.parametrize("other", [(HOME[0] + NORTH_2_1_KM, HOME[1]), (52.0571, 5.2876), (51.95, 5.6), (52.2, 5.1)])
def test_distance_matches_the_apps_distance(other):
    from sociale_kaart.geo import distance_km as app_distance_km

    assert distance_km(*HOME, *other) == pytest.approx(app_distance_km(HOME, other), abs=0.005)


# ---- reasons (worded in tests/matching/test_reasons.py) ----


def test_same_volunteer_asked_and_helped_before_is_a_reason():
    candidate = check(make_task(same_volunteer=True), make_volunteer(history={"req-1": "good"}))

    assert [reason.code for reason in candidate.reasons] == [
        "distance",
        "available",
        "vog",
        "helped_before",
        "same_volunteer",
    ]


def test_volunteer_input_is_hashable_and_replaceable():
    volunteer = make_volunteer()

    assert replace(volunteer, max_km=3).max_km == 3
    assert hash(volunteer) == hash(volunteer.id)
    assert isinstance(make_task().windows[0][0], datetime)


def test_a_volunteer_without_a_known_home_is_too_far():
    volunteers = [
        make_volunteer(id=1, lat=None, lon=None),
        make_volunteer(id=2, lat=None, lon=None, task_types=frozenset({"tuin"})),
        make_volunteer(id=3),
    ]

    slow, fast = rank(make_task(), volunteers), VolunteerPool(volunteers).rank(make_task())

    assert slow.excluded == fast.excluded == Counter(too_far=1, task_type=1)
    assert [c.volunteer_id for c in fast.candidates] == [3]


def test_pool_spanning_more_than_half_a_degree_still_ranks_exactly():
    volunteers = random_volunteers(7) + [make_volunteer(id=999, lat=53.2, lon=6.5, max_km=50)]
    pool = VolunteerPool(volunteers)

    for task in (make_task(), make_task(windows=series(), task_type="tuin", max_km=4.0)):
        fast, slow = pool.rank(task), rank(task, volunteers)
        assert not pool.flat
        assert fast.excluded == slow.excluded
        assert [c.volunteer_id for c in fast.candidates] == [c.volunteer_id for c in slow.candidates]
