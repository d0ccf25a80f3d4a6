"""Relevance of the directory search on the judged set (bench/relevance.py), and its metrics."""

import importlib.util
import math
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
BENCH = ROOT / "bench" / "relevance.py"
JUDGED = ROOT / "bench" / "relevance" / "queries.json"

# The targets of issue #11 (success@5 >= 0.95, nDCG@10 >= 0.80, zero results for at most 2 % of
# the queries with a relevant service), a little under what the engine scored on the 145 judged
# queries when these were set (success@5 0.986, nDCG@10 0.806, MRR 0.921, zero results 0.000), so
# relevance cannot drop unnoticed. Raise them as the engine improves (see bench/relevance.py);
# never lower them to let a change in.
FLOOR = {
    "success_at_5": 0.97,
    "ndcg_at_10": 0.80,
    "mrr": 0.90,
    "zero_result_rate_max": 0.02,
}

FIGURE_KEYS = {
    "queries",
    "judged_queries",
    "empty_queries",
    "success_at_5",
    "ndcg_at_10",
    "mrr",
    "zero_result_rate",
    "no_invented_matches",
}
SMALL_SET = [
    {
        "id": "s1",
        "query": "mantelzorg even vrij",
        "where": "",
        "radius_km": None,
        "persona": "carer",
        "language": "nl",
        "judgments": {"vrijwillige-oppas-even-vrij": 3},
    },
    {
        "id": "s2",
        "query": "dementie",
        "where": "Leersum",
        "radius_km": 5,
        "persona": "english",
        "language": "en",
        "judgments": {"geheugencafe-leersum": 3},
    },
    {
        "id": "s3",
        "query": "vrijwilligerswerk",
        "where": "Atlantis",
        "radius_km": 5,
        "persona": "broker",
        "language": "nl",
        "judgments": {},
    },
]


def _load_bench():
    spec = importlib.util.spec_from_file_location("bench_relevance", BENCH)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def bench():
    return _load_bench()


@pytest.fixture(scope="module")
def ours_on_judged_set(bench, demo_app):
    if not JUDGED.exists():
        pytest.skip(f"{JUDGED.relative_to(ROOT)} does not exist yet")
    return bench.evaluate(demo_app, bench.load_queries(JUDGED), engines=("ours",))["ours"]["overall"]


@pytest.mark.parametrize("metric", ["success_at_5", "ndcg_at_10", "mrr"])
def test_relevance_stays_above_floor(ours_on_judged_set, metric):
    assert ours_on_judged_set[metric] >= FLOOR[metric]


def test_zero_result_rate_stays_below_ceiling(ours_on_judged_set):
    assert ours_on_judged_set["zero_result_rate"] <= FLOOR["zero_result_rate_max"]


def test_ndcg_of_perfect_ranking_is_one(bench):
    judgments = {"a": 3, "b": 2, "c": 1}

    assert bench.ndcg_at_k(["a", "b", "c", "x"], judgments) == pytest.approx(1.0)


def test_ndcg_of_only_relevant_service_second(bench):
    assert bench.ndcg_at_k(["x", "a"], {"a": 2}) == pytest.approx(1 / math.log2(3))


def test_ndcg_counts_grades_judged_but_not_found(bench):
    judgments = {"a": 3, "b": 3}

    assert bench.ndcg_at_k(["a"], judgments) == pytest.approx(7 / (7 + 7 / math.log2(3)))


@pytest.mark.parametrize(
    "ranking, expected",
    [
        (["a"], 1.0),
        (["x1", "x2", "x3", "x4", "a"], 1.0),
        (["x1", "x2", "x3", "x4", "x5", "a"], 0.0),
        (["p"], 0.0),  # grade 1 is only partly relevant
        ([], 0.0),
    ],
)
def test_success_at_5(bench, ranking, expected):
    assert bench.success_at_k(ranking, {"a": 2, "p": 1}) == expected


@pytest.mark.parametrize(
    "ranking, expected",
    [
        (["a", "b"], 1.0),
        (["p", "a"], 0.5),
        (["x1", "x2", "x3", "b"], 0.25),
        ([f"x{n}" for n in range(10)] + ["a"], 0.0),
        ([], 0.0),
    ],
)
def test_reciprocal_rank(bench, ranking, expected):
    assert bench.reciprocal_rank(ranking, {"a": 3, "b": 2, "p": 1}) == expected


def test_metrics_average_over_queries_with_relevant_service(bench):
    queries = [
        {"id": "hit", "persona": "resident", "judgments": {"a": 3}},
        {"id": "second", "persona": "resident", "judgments": {"a": 2}},
        {"id": "miss", "persona": "carer", "judgments": {"a": 2}},
        {"id": "partly", "persona": "carer", "judgments": {"p": 1}},  # in no average
        {"id": "nothing-found", "persona": "broker", "judgments": {}},
        {"id": "invented", "persona": "broker", "judgments": {}},
    ]
    rankings = {"hit": ["a"], "second": ["x", "a"], "miss": [], "partly": ["p"], "nothing-found": [], "invented": ["x"]}

    figures = bench.metrics(rankings, queries)

    assert figures == pytest.approx(
        {
            "queries": 6,
            "judged_queries": 3,
            "empty_queries": 2,
            "success_at_5": 2 / 3,
            "ndcg_at_10": (1 + 1 / math.log2(3)) / 3,
            "mrr": 1.5 / 3,
            "zero_result_rate": 1 / 3,
            "no_invented_matches": 0.5,
        }
    )


def test_metrics_without_queries_of_a_kind_are_none(bench):
    figures = bench.metrics({"q": []}, [{"id": "q", "persona": "resident", "judgments": {}}])

    assert figures["success_at_5"] is None and figures["no_invented_matches"] == 1.0


def test_fts5_baseline_reports_same_figures_as_ours(bench, demo_app):
    result = bench.evaluate(demo_app, SMALL_SET)

    assert set(result["fts5"]["overall"]) == set(result["ours"]["overall"]) == FIGURE_KEYS


def test_fts5_baseline_ranks_name_match_first(bench, demo_app):
    rankings = bench.run_fts5(demo_app, SMALL_SET)

    assert rankings["s1"][0] == "vrijwillige-oppas-even-vrij"


def test_unknown_place_finds_nothing_in_either_engine(bench, demo_app):
    result = bench.evaluate(demo_app, SMALL_SET[2:])

    assert result["ours"]["rankings"] == result["fts5"]["rankings"] == {"s3": []}


def test_fts5_baseline_keeps_place_filter(bench, demo_app):
    rankings = bench.run_fts5(demo_app, SMALL_SET[1:2])

    assert "geheugencafe-leersum" in rankings["s2"] and "casemanager-dementie" not in rankings["s2"]
