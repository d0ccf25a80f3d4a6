"""Benchmark matching: ranking one request among 10,000 volunteers, one batch proposal run, and
how far the batch is from the best possible assignment.

Run from the project root (`make bench` installs the `bench` extra, SciPy, for the optimum):

    .venv/bin/python bench/matching.py [--volunteers 10000] [--requests 2000] [--ranked 100]
                                       [--geopy 5] [--no-optimum] [--no-linear-batch]

Develop against a small instance (`--volunteers 2000 --requests 400`); the full size needs about
1 GB and a few minutes of CPU. It generates a synthetic municipality (seeded): volunteers and
open requests spread over about 25 x 25 km around 52.04 N 5.35 E, clustered around the villages
of the Utrechtse Heuvelrug, with a mix of travel modes and radii (on foot 1-3 km, by bike 3-10 km,
by car 8-25 km), availability grids, task types, VOG dates, languages, weekly caps, recent tasks
and some existing bookings; requests are one-off (70 %) or weekly series of 4-12 weeks, some
across the daylight-saving change of 29 March 2026. It prints, with the load average (CPU time
from time.process_time: wall time also counts waiting for a busy CPU):

- ranking one request with a prebuilt VolunteerPool (exact exclusion counts, reasons): p50 / p95
  / max over `--ranked` requests, and the time to build the pool;
- the honest baseline for it: ranking.rank() over the plain list of volunteers, i.e. the same
  cheap filters in the same order without the candidate index, over the same requests, and the
  ratio; then the earlier baseline, geopy's geodesic distance for every pair before any filter,
  over the first `--geopy` requests (slow; kept for comparison with older figures);
- one assignment.propose() run for all requests ("stel koppelingen voor"), with the prebuilt
  pool and building it itself, and the same greedy without the candidate index (every task
  checks every volunteer), and the ratio;
- the exact optimum of the same batch (issue #13): a MILP solved by HiGHS through
  scipy.optimize.milp, and the greedy's fill and score as shares of it (see exact_optimum());
- sanity figures: candidates found, agreement of pool and baselines, proposals made, and whether
  any volunteer got more than their weekly cap or two overlapping windows (greedy and optimum).
"""

from __future__ import annotations

import argparse
import gc
import os
import random
import statistics
import sys
import time
from collections import Counter, defaultdict
from datetime import date, timedelta
from datetime import time as clock

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from geopy.distance import geodesic  # noqa: E402

from sociale_kaart.matching import (  # noqa: E402
    assignment,
    ranking,
    reasons,  # noqa: E402
    timeslots,
)
from sociale_kaart.matching.vocabularies import LANGUAGES, SKILLS, TASK_TYPES  # noqa: E402

SEED = 11
CENTRE = (52.04, 5.35)
HALF_LAT, HALF_LON = 0.1125, 0.1825  # about 12.5 km each way
VILLAGES = [
    (52.0388, 5.3363),
    (52.0643, 5.3714),
    (52.0553, 5.4119),
    (52.014, 5.4275),
    (52.0022, 5.4595),
    (52.0314, 5.4985),
    (52.0571, 5.2876),
    (52.0880, 5.2700),
    (52.0100, 5.2500),
]
TODAY = date(2026, 3, 2)
PART_WEIGHTS = (3, 4, 2)  # mornings and afternoons are more common than evenings


def place(rng):
    if rng.random() < 0.7:
        lat, lon = rng.choice(VILLAGES)
        return lat + rng.gauss(0, 0.012), lon + rng.gauss(0, 0.02)
    return CENTRE[0] + rng.uniform(-HALF_LAT, HALF_LAT), CENTRE[1] + rng.uniform(-HALF_LON, HALF_LON)


def make_volunteers(count, rng):
    types, skills = list(TASK_TYPES), list(SKILLS)
    others = [code for code in LANGUAGES if code not in ("nl", "en")]
    cells = [(weekday, part) for weekday in range(7) for part in range(3)]
    weights = [PART_WEIGHTS[part] for _, part in cells]
    volunteers = []
    for number in range(1, count + 1):
        lat, lon = place(rng)
        mode = rng.choices(("walk", "bike", "car"), (20, 50, 30))[0]
        max_km = {
            "walk": rng.choice((1, 1.5, 2, 3)),
            "bike": rng.choice((3, 5, 7, 10)),
            "car": rng.choice((8, 10, 15, 20, 25)),
        }[mode]
        chosen = set()
        while len(chosen) < rng.randint(3, 9):
            chosen.add(rng.choices(cells, weights)[0])
        languages = {"nl"} if rng.random() < 0.97 else set()
        if rng.random() < 0.3:
            languages.add("en")
        if rng.random() < 0.08:
            languages.add(rng.choice(others))
        vog = rng.random()
        vog_valid_until = (
            TODAY + timedelta(days=rng.randint(30, 900))
            if vog < 0.5
            else TODAY - timedelta(days=rng.randint(1, 300))
            if vog < 0.6
            else None
        )
        max_per_week = rng.choice((1, 1, 2, 2, 2, 3))
        booked = []
        if rng.random() < 0.2:
            # Existing bookings are consistent: one a week, never more than the cap.
            for week in rng.sample(range(6), rng.randint(1, 2)):
                weekday, part = rng.choice(sorted(chosen))
                day = TODAY + timedelta(days=(weekday - TODAY.weekday()) % 7 + 7 * week)
                start = timeslots.DAY_PARTS[part][0]
                booked.append(timeslots.local_window(day, start, clock(start.hour + 2)))
        absences = ()
        if rng.random() < 0.1:
            first = TODAY + timedelta(days=rng.randrange(60))
            absences = ((first, first + timedelta(days=rng.randint(3, 21))),)
        recent = rng.choices((0, 1, 2, 3, 4, 6), (40, 25, 15, 10, 6, 4))[0]
        volunteers.append(
            ranking.VolunteerInput(
                id=number,
                lat=lat,
                lon=lon,
                travel_mode=mode,
                max_km=max_km,
                task_types=frozenset(rng.sample(types, rng.randint(2, 5))),
                skills=frozenset(rng.sample(skills, rng.randint(0, 3))),
                languages=frozenset(languages),
                availability=timeslots.mask_from_cells(chosen),
                absences=absences,
                max_per_week=max_per_week,
                active=rng.random() < 0.9,
                vog_valid_until=vog_valid_until,
                booked=tuple(sorted(booked)),
                tasks_last_28_days=recent,
                tasks_total=recent + rng.randint(0, 30),
                is_new=recent == 0 and rng.random() < 0.1,
                history={f"r{rng.randrange(3000)}": rng.choice(("good", "earlier"))} if rng.random() < 0.1 else {},
            )
        )
    return volunteers


def make_tasks(count, rng):
    types, skills = list(TASK_TYPES), list(SKILLS)
    tasks = []
    for number in range(1, count + 1):
        lat, lon = place(rng)
        task_type = rng.choice(types)
        first = TODAY + timedelta(days=rng.randrange(1, 35))
        start = clock(rng.choice((9, 10, 13, 14, 15, 18, 19)))
        hours = rng.choice((1, 2, 2, 3, 4))
        end = clock(min(23, start.hour + hours))
        weeks = 1 if rng.random() < 0.7 else rng.randint(4, 12)
        language = "nl" if rng.random() < 0.95 else rng.choice(("en", "tr", "ar", "pl"))
        tasks.append(
            ranking.TaskInput(
                id=number,
                lat=lat,
                lon=lon,
                task_type=task_type,
                vog_required=TASK_TYPES[task_type].vog_required,
                windows=tuple(timeslots.occurrence_windows(first, start, end, weeks)),
                max_km=rng.choice((None, None, None, 5, 10)),
                language=language,
                language_required=language != "nl" and rng.random() < 0.3,
                skills_wanted=frozenset(rng.sample(skills, rng.choice((0, 0, 1, 2)))),
                requester_key=f"r{rng.randrange(3000)}",
                same_volunteer=rng.random() < 0.1,
                urgency=rng.choice(("high", "normal", "normal", "low")),
            )
        )
    return tasks


# ---------------------------------------------------------------------------------------------
# Baselines


def geopy_rank(task, volunteers):
    """Rank with geopy's geodesic distance for every pair before any filter (the earlier baseline)."""
    prepared = ranking.PreparedTask(task)
    candidates, excluded = [], Counter()
    for volunteer in volunteers:
        distance = geodesic((volunteer.lat, volunteer.lon), (task.lat, task.lon)).km
        result = ranking.evaluate(prepared, ranking.PreparedVolunteer(volunteer), distance)
        if isinstance(result, str):
            excluded[result] += 1
        else:
            candidates.append(result)
    candidates.sort(key=lambda c: (-c.score, c.distance_km, c.volunteer_id))
    return ranking.Ranking(candidates, excluded, len(volunteers))


class LinearPool:
    """VolunteerPool.feasible() without the candidate index: every task checks every volunteer.

    The honest baseline of the batch: the same filters in the same order (inactive, task type,
    distance, ...) and the same greedy, only no index of who can reach which cell.
    """

    def __init__(self, volunteers):
        self.records = [ranking.PreparedVolunteer(volunteer) for volunteer in volunteers]

    def feasible(self, t):
        fits = [
            fit
            for fit in (ranking.evaluate(t, record, build=False) for record in self.records)
            if isinstance(fit, ranking.Fit)
        ]
        fits.sort(key=lambda fit: (-fit.score, fit.distance, fit.volunteer_id))
        return fits


# ---------------------------------------------------------------------------------------------
# The exact optimum (issue #13)


class Optimum:
    """The best assignment: `chosen` is [(task id, volunteer id, windows, score)]."""

    def __init__(self, chosen, status, message, seconds, columns, rows, gap):
        self.chosen, self.status, self.message = chosen, status, message
        self.seconds, self.columns, self.rows, self.gap = seconds, columns, rows, gap
        self.filled = len(chosen)
        self.score = sum(score for *_, score in chosen)


def exact_optimum(prepared, extra=(), time_limit=None):
    """Return the assignment with the most tasks filled, then the highest sum of scores (a MILP).

    `prepared` is [(PreparedTask, fits)] with the fits VolunteerPool.feasible() finds: one binary
    x per pair, covering the windows ranking found for that volunteer (`fit.windows`, after their
    existing bookings and weekly cap), scoring its base score (`fit.score`; the greedy's fairness
    penalty steers the greedy's choices but is not part of the score). `extra` adds columns
    (task index, fit-like with volunteer_id, windows, score, rec): the greedy's own proposals
    that cover fewer windows than the pair's fit, so the greedy's assignment is always feasible
    here and the optimum never below it. A series could also leave out other contested dates and
    still meet its minimum coverage; the model offers no such variants beyond the greedy's (1 of
    1,991 proposals at the default size, 91 of 1,942 with 1,000 volunteers), so there the true
    optimum may be a little higher. Constraints:

    - each task at most one pair;
    - per volunteer and local ISO week: the windows of their pairs plus their existing bookings
      at most max_per_week (written only for weeks where the pairs could exceed it);
    - per volunteer no two pairs with overlapping windows: one row per maximal clique of their
      overlapping windows (an interval graph: the windows active at some window's start).

    The objective is lexicographic through a big weight: maximise sum (M + score) x with
    M = 100 x tasks + 1 > any total score, so one more filled task always outweighs any score.
    """
    from scipy.optimize import Bounds, LinearConstraint, milp
    from scipy.sparse import csr_array

    started = time.process_time()
    columns = [(index, fit) for index, (_, fits) in enumerate(prepared) for fit in fits]
    columns.extend(extra)
    big = 100 * len(prepared) + 1
    indptr, indices, upper = [0], [], []

    def row(members, bound):
        indices.extend(members)
        indptr.append(len(indices))
        upper.append(bound)

    per_task, per_volunteer = defaultdict(list), defaultdict(list)
    for number, (index, fit) in enumerate(columns):
        per_task[index].append(number)
        per_volunteer[fit.volunteer_id].append(number)
    for members in per_task.values():
        if len(members) > 1:
            row(members, 1)
    for members in per_volunteer.values():
        if len(members) < 2:
            continue
        record = columns[members[0]][1].rec
        zone = prepared[columns[members[0]][0]][0].task.zone
        booked = record.week_counts(zone) if record.v.booked else {}
        by_week, windows = defaultdict(list), []
        for number in members:
            for window in columns[number][1].windows:
                by_week[window.week].append(number)
                windows.append((window.start, window.end, number))
        for week, numbers in by_week.items():
            room = record.v.max_per_week - booked.get(week, 0)
            if len(numbers) > room:
                row(numbers, room)
        windows.sort()
        active = []
        for position, (start, end, number) in enumerate(windows):
            active = [item for item in active if item[0] > start]
            active.append((end, number))
            following = windows[position + 1][0] if position + 1 < len(windows) else None
            # Maximal: the next window starts only after one of the active ones has ended.
            if len(active) > 1 and (following is None or following >= min(item[0] for item in active)):
                row([item[1] for item in active], 1)
    matrix = csr_array(([1.0] * len(indices), indices, indptr), shape=(len(upper), len(columns)))
    objective = [-float(big + fit.score) for _, fit in columns]
    options = {"mip_rel_gap": 0.0}
    if time_limit:
        options["time_limit"] = time_limit
    result = milp(
        objective,
        integrality=[1] * len(columns),
        bounds=Bounds(0, 1),
        constraints=[LinearConstraint(matrix, -float("inf"), upper)] if upper else [],
        options=options,
    )
    seconds = time.process_time() - started
    chosen = []
    if result.x is not None:
        for number, value in enumerate(result.x):
            if value > 0.5:
                index, fit = columns[number]
                chosen.append((prepared[index][0].task.id, fit.volunteer_id, fit.windows, fit.score))
    bound = getattr(result, "mip_dual_bound", None)
    gap = None if result.x is None or bound is None else abs(bound - result.fun)
    return Optimum(chosen, result.status, result.message, seconds, len(columns), len(upper), gap)


def greedy_extra(proposals, prepared):
    """Return the greedy's proposals that cover fewer windows than their pair's fit, as columns."""
    index_of = {t.task.id: index for index, (t, _) in enumerate(prepared)}
    extra = []
    for proposal in proposals:
        index = index_of[proposal.task_id]
        fit = next(fit for fit in prepared[index][1] if fit.volunteer_id == proposal.volunteer_id)
        covered = set(proposal.candidate.covered_windows)
        if len(covered) < len(fit.windows):
            windows = [window for window in fit.windows if (window.start, window.end) in covered]
            extra.append((index, _Column(fit.volunteer_id, windows, proposal.score, fit.rec)))
    return extra


class _Column:
    __slots__ = ("volunteer_id", "windows", "score", "rec")

    def __init__(self, volunteer_id, windows, score, rec):
        self.volunteer_id, self.windows, self.score, self.rec = volunteer_id, windows, score, rec


# ---------------------------------------------------------------------------------------------
# Figures


def _words():
    """Return a request context in which reasons are worded in Dutch (gettext needs Flask-Babel)."""
    from flask import Flask
    from flask_babel import Babel

    app = Flask("bench")
    app.config["BABEL_DEFAULT_LOCALE"] = "nl"
    Babel(app)
    return app.test_request_context()


def percentile(values, p):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def check_loads(assigned, volunteers):
    """Return (over_cap, overlapping, max_load_share) over every volunteer's bookings plus assigned.

    `assigned` is [(volunteer id, [(start, end)])].
    """
    by_id = {v.id: v for v in volunteers}
    windows = defaultdict(list)
    for v in volunteers:
        windows[v.id] += list(v.booked)
    for volunteer_id, items in assigned:
        windows[volunteer_id] += list(items)
    over_cap = overlapping = 0
    highest = 0.0
    for volunteer_id, items in windows.items():
        weeks = Counter(timeslots.iso_week(timeslots.to_local(start).date()) for start, _ in items)
        cap = by_id[volunteer_id].max_per_week
        if weeks and max(weeks.values()) > cap:
            over_cap += 1
        if weeks and cap:
            highest = max(highest, max(weeks.values()) / cap)
        items.sort()
        if any(items[i][1] > items[i + 1][0] for i in range(len(items) - 1)):
            overlapping += 1
    return over_cap, overlapping, highest


def timed(function, *args, **kwargs):
    """Return (result, wall seconds, CPU seconds) of one call, from a settled heap."""
    gc.collect()
    started, cpu_started = time.perf_counter(), time.process_time()
    result = function(*args, **kwargs)
    return result, time.perf_counter() - started, time.process_time() - cpu_started


def load():
    return "load average " + " ".join(f"{value:.1f}" for value in os.getloadavg())


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--volunteers", type=int, default=10_000)
    parser.add_argument("--requests", type=int, default=2_000)
    parser.add_argument("--ranked", type=int, default=100, help="requests ranked one by one")
    parser.add_argument("--geopy", type=int, default=5, help="requests for the slow geopy baseline")
    parser.add_argument("--no-optimum", action="store_true", help="skip the exact optimum (no SciPy needed)")
    parser.add_argument("--no-linear-batch", action="store_true", help="skip the batch without the index")
    parser.add_argument("--time-limit", type=float, default=900, help="seconds for the MILP solver")
    args = parser.parse_args(argv)
    rng = random.Random(SEED)
    volunteers = make_volunteers(args.volunteers, rng)
    tasks = make_tasks(args.requests, rng)
    ranked = rng.sample(tasks, min(args.ranked, len(tasks)))
    print(
        f"== matching, {args.volunteers:,} volunteers, {args.requests:,} open requests "
        f"(synthetic, seed {SEED}; {load()} on {os.cpu_count()} CPUs) =="
    )

    pool, build_s, build_cpu_s = timed(ranking.VolunteerPool, volunteers)
    print(f"pool build                      {build_s * 1000:8.1f} ms   ({build_cpu_s * 1000:.1f} ms CPU)")

    # Rank one request: the pool, then the same filters over the plain list (the honest baseline).
    lines = {}
    results = {}
    for label, rank in (("pool", pool.rank), ("linear", lambda task: ranking.rank(task, volunteers))):
        wall, cpu, found = [], [], []
        gc.collect()  # start from a settled heap, as a web worker would between requests
        for task in ranked:
            started, cpu_started = time.perf_counter(), time.process_time()
            result = rank(task)
            wall.append((time.perf_counter() - started) * 1000)
            cpu.append((time.process_time() - cpu_started) * 1000)
            found.append(len(result.candidates))
            # Keep only what the checks need, so kept rankings do not pile up for the collector.
            results[label, task.id] = (
                [c.volunteer_id for c in result.candidates],
                result.excluded,
                result.candidates[0].reasons if result.candidates else None,
            )
        lines[label] = (wall, cpu, found)
    wall, cpu, found = lines["pool"]
    print(
        f"rank one request (pool), n={len(wall):<4} CPU p50 {statistics.median(cpu):7.2f} ms   "
        f"p95 {percentile(cpu, 95):7.2f} ms   max {max(cpu):7.2f} ms"
    )
    print(
        f"  wall time of the same calls   p50 {statistics.median(wall):7.2f} ms   "
        f"p95 {percentile(wall, 95):7.2f} ms   (includes waiting for a busy CPU)"
    )
    print(
        f"  candidates per request        p50 {statistics.median(found):7.0f}      min {min(found)}   max {max(found)}"
    )
    sample = next((results["pool", t.id] for t in ranked if results["pool", t.id][2]), None)
    if sample is not None:
        with _words():
            print(f"  e.g. {reasons.explain(sample[2])}")
            print(f"       {reasons.explain_exclusions(sample[1])}")
    linear_wall, linear_cpu, _ = lines["linear"]
    agree = sum(results["pool", t.id][:2] == results["linear", t.id][:2] for t in ranked)
    print(f"honest baseline: ranking.rank() over the list (same filters, no candidate index), n={len(ranked)}")
    print(
        f"                                CPU p50 {statistics.median(linear_cpu):7.2f} ms   "
        f"p95 {percentile(linear_cpu, 95):7.2f} ms   (wall p50 {statistics.median(linear_wall):.2f} ms)"
    )
    print(
        f"  ratio baseline / pool, CPU    p50 {statistics.median(linear_cpu) / statistics.median(cpu):7.1f} x   "
        f"p95 {percentile(linear_cpu, 95) / percentile(cpu, 95):7.1f} x"
    )
    print(f"  same candidates and exclusion counts as the pool: {agree} of {len(ranked)}")
    if args.geopy:
        geopy_wall, geopy_agree = [], 0
        for task in ranked[: args.geopy]:
            started = time.perf_counter()
            baseline = geopy_rank(task, volunteers)
            geopy_wall.append((time.perf_counter() - started) * 1000)
            ids, excluded, _ = results["pool", task.id]
            geopy_agree += [c.volunteer_id for c in baseline.candidates] == ids and baseline.excluded == excluded
        print(f"earlier baseline: geopy geodesic for every pair before any filter, n={len(geopy_wall)}")
        print(
            f"                                wall p50 {statistics.median(geopy_wall):7.1f} ms   "
            f"(ratio to the pool's wall p50: {statistics.median(geopy_wall) / statistics.median(wall):.0f} x; "
            f"same results {geopy_agree} of {len(geopy_wall)})"
        )

    # The batch: with the prebuilt pool, building it, and without the index.
    proposals, batch_s, batch_cpu_s = timed(assignment.propose, tasks, volunteers, pool=pool)
    _, cold_s, cold_cpu_s = timed(assignment.propose, tasks, volunteers)
    print(
        f"propose() for all requests      {batch_cpu_s:8.2f} s CPU with the prebuilt pool ({batch_s:.2f} s wall); "
        f"{cold_cpu_s:.2f} s CPU building the pool itself ({cold_s:.2f} s wall); {load()}"
    )
    over_cap, overlapping, highest = check_loads(
        [(p.volunteer_id, p.candidate.covered_windows) for p in proposals], volunteers
    )
    print(
        f"  proposals {len(proposals):,} of {len(tasks):,} requests, "
        f"{len({p.volunteer_id for p in proposals}):,} volunteers; over their weekly cap: {over_cap}; "
        f"with overlapping windows: {overlapping}; highest week load {highest:.0%} of cap"
    )
    if not args.no_linear_batch:
        linear, linear_s, linear_cpu_s = timed(assignment.propose, tasks, volunteers, pool=LinearPool(volunteers))
        same = [(p.task_id, p.volunteer_id) for p in linear] == [(p.task_id, p.volunteer_id) for p in proposals]
        print(
            f"honest baseline: the same greedy without the candidate index "
            f"{linear_cpu_s:8.2f} s CPU ({linear_s:.2f} s wall); ratio {linear_cpu_s / cold_cpu_s:.1f} x "
            f"the batch that builds its pool; same proposals: {'yes' if same else 'NO'}; {load()}"
        )

    if args.no_optimum:
        return
    prepared = []
    for task in tasks:
        t = ranking.PreparedTask(task)
        fits = pool.feasible(t)
        if fits:
            prepared.append((t, fits))
    extra = greedy_extra(proposals, prepared)
    optimum = exact_optimum(prepared, extra, time_limit=args.time_limit)
    score = sum(p.score for p in proposals)
    plain = assignment.propose(tasks, volunteers, pool=pool, fairness_penalty=0)
    plain_score = sum(p.score for p in plain)
    print(
        f"exact optimum (HiGHS via scipy.optimize.milp; most requests filled, then the highest sum of scores): "
        f"{optimum.columns:,} pairs, {optimum.rows:,} rows, {optimum.seconds:.1f} s CPU; {optimum.message}; "
        f"gap {optimum.gap}"
    )
    print(
        f"  requests with at least one candidate {len(prepared):,}; the greedy's proposals that cover fewer "
        f"windows than their pair's fit: {len(extra)} (offered to the solver too)"
    )
    if optimum.filled:
        print(f"  optimum: {optimum.filled:,} filled, score sum {optimum.score:,}")
        print(
            f"  greedy:  {len(proposals):,} filled ({len(proposals) / optimum.filled:.2%} of the optimum), "
            f"score sum {score:,} ({score / optimum.score:.2%})"
        )
        print(
            f"  greedy without the fairness penalty: {len(plain):,} filled ({len(plain) / optimum.filled:.2%}), "
            f"score sum {plain_score:,} ({plain_score / optimum.score:.2%})"
        )
        over_cap, overlapping, _ = check_loads(
            [(volunteer_id, [(w.start, w.end) for w in windows]) for _, volunteer_id, windows, _ in optimum.chosen],
            volunteers,
        )
        print(f"  optimum over their weekly cap: {over_cap}; with overlapping windows: {overlapping}; {load()}")


if __name__ == "__main__":
    main()
