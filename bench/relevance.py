"""Measure how well the directory search finds the judged services, against a plain SQLite FTS5 baseline.

Run from the project root:

    .venv/bin/python bench/relevance.py [--queries PATH] [--json PATH] [--show-failures]
                                        [--backend whoosh|postgres] [--database-url URL]

It creates a temporary app (SQLite file + RAM search index; with ``--backend postgres`` a schema of
its own in PostgreSQL, searched by the PostgreSQL backend) with the demo municipality and reads
the judged set bench/relevance/queries.json: queries of residents, carers, brokers and English
speakers, each with the demo services that answer it graded 3 (exactly what is asked),
2 (relevant) or 1 (partly relevant); judgments {} means no demo service answers it.

Every query runs through two engines:

- ours: ``directory.services.search_listings`` in a request in the query's language, with its
  place and radius (nearest first when a place is given, as on the site), paged until ten
  different services are found; a service at several locations counts once, at its first place.
  An unknown place counts as zero results.
- fts5: plain BM25 in an in-memory SQLite FTS5 table of the same searchable services (name,
  keywords, category names, summary, description; weights 10/5/5/2/1; ``unicode61
  remove_diacritics 2``), the query's words quoted and joined with OR. It leaves out the services
  search hides for freshness and, given a place and a radius, those with no location within it.
  A query with no words lists every service, nearest first when a place is given.

It prints success@5, nDCG@10 and MRR over the queries with a relevant service (grade >= 2), the
share of those that found nothing, and the share of the queries without any relevant service
that found nothing ("no invented matches"), overall and per persona. tests/search/test_relevance.py
holds the floors these figures may not drop below.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import re
import sqlite3
import sys
import tempfile
import time
from contextlib import ExitStack, closing
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from flask import Flask, session  # noqa: E402
from sqlalchemy import select  # noqa: E402
from sqlalchemy.orm import selectinload  # noqa: E402

from bench.database import database_url, postgres_schema  # noqa: E402
from sociale_kaart import create_app, geo  # noqa: E402
from sociale_kaart.directory import freshness, indexing, seed, services  # noqa: E402
from sociale_kaart.directory.cli import DEMO_FOLDER  # noqa: E402
from sociale_kaart.directory.models import Service, ServiceAtLocation  # noqa: E402
from sociale_kaart.extensions import db  # noqa: E402

DEFAULT_QUERIES = ROOT / "bench" / "relevance" / "queries.json"
RELEVANT = 2  # a judgment grade from which a service answers the query
SUCCESS_DEPTH = 5
RANK_DEPTH = 10
FIELDS = ("name", "keywords", "categories", "summary", "description")
FIELD_WEIGHTS = (10.0, 5.0, 5.0, 2.0, 1.0)
PERSONAS = ("resident", "carer", "broker", "english")
ENGINES = ("ours", "fts5")
ENGINE_TITLES = {"ours": "ours", "fts5": "FTS5 baseline"}
METRICS = (
    ("success_at_5", "success@5"),
    ("ndcg_at_10", "nDCG@10"),
    ("mrr", "MRR"),
    ("zero_result_rate", "zero-result rate"),
    ("no_invented_matches", "no invented matches"),
)
WORD = re.compile(r"[^\W_]+")


# --- metrics (pure) -------------------------------------------------------------------------------


def has_relevant(judgments: dict[str, int]) -> bool:
    """Return True when a query has a judged service of grade 2 or more."""
    return any(grade >= RELEVANT for grade in judgments.values())


def success_at_k(ranking: list[str], judgments: dict[str, int], k: int = SUCCESS_DEPTH) -> float:
    """Return 1.0 when a relevant service is among the first k, else 0.0."""
    return 1.0 if any(judgments.get(key, 0) >= RELEVANT for key in ranking[:k]) else 0.0


def reciprocal_rank(ranking: list[str], judgments: dict[str, int], k: int = RANK_DEPTH) -> float:
    """Return 1 / the rank of the first relevant service among the first k, or 0.0."""
    for rank, key in enumerate(ranking[:k], start=1):
        if judgments.get(key, 0) >= RELEVANT:
            return 1.0 / rank
    return 0.0


def dcg(grades: list[int]) -> float:
    """Return the discounted cumulative gain of grades in rank order (gain 2**grade - 1)."""
    return sum((2**grade - 1) / math.log2(rank + 1) for rank, grade in enumerate(grades, start=1))


def ndcg_at_k(ranking: list[str], judgments: dict[str, int], k: int = RANK_DEPTH) -> float:
    """Return the nDCG of the first k services, the ideal taken from all judged grades."""
    ideal = dcg(sorted(judgments.values(), reverse=True)[:k])
    if ideal == 0:
        return 0.0
    return dcg([judgments.get(key, 0) for key in ranking[:k]]) / ideal


def _mean(values: list[float]) -> float | None:
    return sum(values) / len(values) if values else None


def metrics(rankings: dict[str, list[str]], queries: list[dict]) -> dict:
    """Return the relevance figures of rankings ({query id: service keys in order}) on judged queries."""
    judged = [q for q in queries if has_relevant(q["judgments"])]
    empty = [q for q in queries if not q["judgments"]]
    return {
        "queries": len(queries),
        "judged_queries": len(judged),
        "empty_queries": len(empty),
        "success_at_5": _mean([success_at_k(rankings[q["id"]], q["judgments"]) for q in judged]),
        "ndcg_at_10": _mean([ndcg_at_k(rankings[q["id"]], q["judgments"]) for q in judged]),
        "mrr": _mean([reciprocal_rank(rankings[q["id"]], q["judgments"]) for q in judged]),
        "zero_result_rate": _mean([0.0 if rankings[q["id"]] else 1.0 for q in judged]),
        "no_invented_matches": _mean([0.0 if rankings[q["id"]] else 1.0 for q in empty]),
    }


def persona_metrics(rankings: dict[str, list[str]], queries: list[dict]) -> dict[str, dict]:
    """Return the figures per persona: the known personas first, then any others in the set."""
    found = {q["persona"] for q in queries}
    order = [p for p in PERSONAS if p in found] + sorted(found - set(PERSONAS))
    return {persona: metrics(rankings, [q for q in queries if q["persona"] == persona]) for persona in order}


# --- the judged set -------------------------------------------------------------------------------


def load_queries(path: str | os.PathLike = DEFAULT_QUERIES) -> list[dict]:
    """Return the judged queries of a file, checked for what the bench needs."""
    queries = json.loads(Path(path).read_text(encoding="utf-8"))["queries"]
    seen = set()
    for query in queries:
        missing = {"id", "query", "persona", "language", "judgments"} - set(query)
        if missing:
            raise ValueError(f"{path}: query {query.get('id', '?')} lacks {', '.join(sorted(missing))}")
        if query["id"] in seen:
            raise ValueError(f"{path}: query id {query['id']} appears twice")
        seen.add(query["id"])
    return queries


# --- the engines ----------------------------------------------------------------------------------


def _criteria(query: dict, page: int) -> services.SearchCriteria:
    return services.SearchCriteria(
        text=query["query"], where=query.get("where") or "", radius_km=query.get("radius_km"), page=page
    )


def _our_ranking(query: dict, now) -> list[str]:
    """Return the first RANK_DEPTH different services our search lists for a query."""
    keys: list[str] = []
    page = 1
    while len(keys) < RANK_DEPTH:
        try:
            result = services.search_listings(_criteria(query, page), now=now)
        except services.LocationNotFound:
            return keys
        for listing in result.listings:
            if listing.service.slug not in keys:
                keys.append(listing.service.slug)
        if not result.listings or page >= result.pages:
            break
        page += 1
    return keys[:RANK_DEPTH]


def run_ours(app: Flask, queries: list[dict], now=None) -> dict[str, list[str]]:
    """Return {query id: service keys} of our search, each query in a request in its language."""
    with app.app_context():
        now = now or services.local_now()
    rankings = {}
    for query in queries:
        with app.test_request_context():
            session["lang"] = query["language"]
            rankings[query["id"]] = _our_ranking(query, now)
    return rankings


def _baseline_services(today) -> list[dict]:
    """Return the services search may show: searchable, not hidden for freshness, with their points."""
    hidden = freshness.hidden_listing_ids(today)
    rows = db.session.scalars(
        select(Service)
        .where(Service.publication_status == "published")
        .options(
            selectinload(Service.categories),
            selectinload(Service.location_links).selectinload(ServiceAtLocation.location),
        )
        .order_by(Service.id)
    ).all()
    documents = []
    for service in rows:
        links = [link for link in service.location_links if str(link.id) not in hidden]
        if not indexing.is_searchable(service) or not links:
            continue  # no listing left in search (a service without locations has none either)
        documents.append(
            {
                "slug": service.slug,
                "fields": (
                    service.name,
                    " ".join(service.keywords or []),
                    " ".join(term.name for term in service.categories),
                    service.summary or "",
                    service.description or "",
                ),
                "points": [
                    (link.location.lat, link.location.lon)
                    for link in links
                    if link.location.lat is not None and link.location.lon is not None
                ],
            }
        )
    return documents


def _fts5_table(documents: list[dict]) -> sqlite3.Connection:
    connection = sqlite3.connect(":memory:")
    connection.execute(
        f"CREATE VIRTUAL TABLE listings USING fts5({', '.join(FIELDS)}, tokenize = 'unicode61 remove_diacritics 2')"
    )
    connection.executemany(
        f"INSERT INTO listings (rowid, {', '.join(FIELDS)}) VALUES (?, ?, ?, ?, ?, ?)",
        [(number, *document["fields"]) for number, document in enumerate(documents)],
    )
    return connection


def _nearest(points: list[tuple[float, float]], origin: tuple[float, float]) -> float:
    return min((geo.distance_km(origin, point) for point in points), default=math.inf)


def _fts5_ranking(connection: sqlite3.Connection, documents: list[dict], query: dict) -> list[str]:
    """Return the first RANK_DEPTH services BM25 ranks for a query, with the same place filter as ours."""
    where = (query.get("where") or "").strip()
    origin = None
    if where:
        try:
            place = services.resolve_place(where)
        except services.LocationNotFound:
            return []
        origin = (place.lat, place.lon)
    distances = (
        {number: _nearest(document["points"], origin) for number, document in enumerate(documents)} if origin else {}
    )
    words = WORD.findall(query["query"].lower())
    if words:
        weights = ", ".join(str(weight) for weight in FIELD_WEIGHTS)
        numbers = [
            row[0]
            for row in connection.execute(
                f"SELECT rowid FROM listings WHERE listings MATCH ? ORDER BY bm25(listings, {weights}), rowid",
                (" OR ".join(f'"{word}"' for word in words),),
            )
        ]
    else:
        numbers = sorted(range(len(documents)), key=lambda number: (distances.get(number, 0.0), number))
    radius = query.get("radius_km")
    if origin and radius is not None:
        numbers = [number for number in numbers if distances[number] <= radius]
    return [documents[number]["slug"] for number in numbers[:RANK_DEPTH]]


def run_fts5(app: Flask, queries: list[dict], now=None) -> dict[str, list[str]]:
    """Return {query id: service keys} of the plain FTS5 BM25 baseline on the same services."""
    with app.test_request_context():
        now = now or services.local_now()
        documents = _baseline_services(now.date())
        with closing(_fts5_table(documents)) as connection:
            return {query["id"]: _fts5_ranking(connection, documents, query) for query in queries}


RUNNERS = {"ours": run_ours, "fts5": run_fts5}


def within_reach(app: Flask, queries: list[dict]) -> list[dict]:
    """Return the queries with judgments only for services a search within the query's radius can list.

    The judged set grades what fits the need, also in other villages and also listings unchecked
    for over a year; a radius is the person's own limit and search leaves unchecked listings out by
    design (#3), so such a service cannot count for or against an engine.
    """
    with app.test_request_context():
        documents = _baseline_services(services.local_now().date())
        points = {document["slug"]: document["points"] for document in documents}
        reachable = []
        for query in queries:
            where, radius = (query.get("where") or "").strip(), query.get("radius_km")
            origin, unknown_place = None, False
            if where and radius is not None:
                try:
                    place = services.resolve_place(where)
                    origin = (place.lat, place.lon)
                except services.LocationNotFound:
                    unknown_place = True  # a place nobody can find: nothing is within reach
            judged = (
                {}
                if unknown_place
                else {
                    key: grade
                    for key, grade in query["judgments"].items()
                    if key in points and (origin is None or _nearest(points[key], origin) <= radius)
                }
            )
            reachable.append({**query, "judgments": judged, "judged_anywhere": len(query["judgments"])})
    return reachable


def evaluate(app: Flask, queries: list[dict], engines: tuple[str, ...] = ENGINES) -> dict:
    """Return per engine the rankings and the figures, overall and per persona (judged within reach)."""
    queries = within_reach(app, queries)
    result: dict = {"queries": len(queries)}
    for engine in engines:
        rankings = RUNNERS[engine](app, queries)
        result[engine] = {
            "overall": metrics(rankings, queries),
            "personas": persona_metrics(rankings, queries),
            "rankings": rankings,
        }
    return result


def failures(rankings: dict[str, list[str]], queries: list[dict]) -> list[dict]:
    """Return the queries with a relevant service that has none in the first five, with what was found."""
    return [
        {
            "id": q["id"],
            "query": q["query"],
            "where": q.get("where") or "",
            "radius_km": q.get("radius_km"),
            "persona": q["persona"],
            "top_5": rankings[q["id"]][:SUCCESS_DEPTH],
            "judged": dict(sorted(q["judgments"].items(), key=lambda item: (-item[1], item[0]))),
        }
        for q in queries
        if has_relevant(q["judgments"]) and not success_at_k(rankings[q["id"]], q["judgments"])
    ]


# --- the script -----------------------------------------------------------------------------------


def make_demo_app(folder: str, database_url: str | None = None) -> Flask:
    """Create an app with the demo municipality: a SQLite file in folder and a RAM index, or the
    given PostgreSQL database and its search backend (issue #16)."""
    app = create_app(
        {
            "ENV": "testing",
            "SECRET_KEY": "bench",
            "RATELIMIT_ENABLED": False,
            "SQLALCHEMY_DATABASE_URI": database_url or f"sqlite:///{folder}/bench.db",
            "SEARCH_BACKEND": "postgres" if database_url else "memory",
            "SEARCH_DIR": f"{folder}/index",
        }
    )
    with app.app_context():
        db.create_all()
        seed.load_demo(DEMO_FOLDER, services.geocoder(), services.search_backend(), app.config["MUNICIPALITY_CODE"])
        db.session.remove()
    return app


def _figure(value: float | None) -> str:
    return "—" if value is None else f"{value:.3f}"


def print_report(result: dict, queries: list[dict], seconds: dict[str, float], backend: str = "whoosh") -> None:
    """Print the figures of every engine side by side, overall and per persona."""
    engines = [engine for engine in ENGINES if engine in result]
    overall = {engine: result[engine]["overall"] for engine in engines}
    first = overall[engines[0]]
    print(
        f"== relevance of the directory search (ours: the {backend} backend): {len(queries)} queries, "
        f"{first['judged_queries']} with a relevant service, {first['empty_queries']} without any judged service =="
    )
    print(f"{'metric':<22}" + "".join(f" {ENGINE_TITLES[engine]:>14}" for engine in engines))
    for key, title in METRICS:
        print(f"{title:<22}" + "".join(f" {_figure(overall[engine][key]):>14}" for engine in engines))
    print()
    print("per persona (" + " / ".join(ENGINE_TITLES[engine] for engine in engines) + "):")
    print(f"{'persona':<10} {'n':>3} {'rel':>3} {'empty':>5}" + "".join(f" {title:>19}" for _, title in METRICS))
    for persona, figures in result[engines[0]]["personas"].items():
        cells = "".join(
            " " + " / ".join(_figure(result[engine]["personas"][persona][key]) for engine in engines).rjust(19)
            for key, _ in METRICS
        )
        print(
            f"{persona:<10} {figures['queries']:>3} {figures['judged_queries']:>3} {figures['empty_queries']:>5}"
            + cells
        )
    print()
    timings = ", ".join(f"{ENGINE_TITLES[engine]} {seconds[engine]:.2f} s" for engine in engines)
    load = " ".join(f"{value:.2f}" for value in os.getloadavg())
    print(f"time: {timings}; load average (1, 5, 15 min): {load}")


def print_failures(rows: list[dict]) -> None:
    """Print the queries where our search has no relevant service in the first five."""
    print()
    print(f"== {len(rows)} queries where ours has no relevant service in the top 5 ==")
    for row in rows:
        place = (
            f" @ {row['where']}" + (f" ({row['radius_km']:g} km)" if row["radius_km"] is not None else "")
            if row["where"]
            else ""
        )
        print(f"{row['id']} [{row['persona']}] {row['query']!r}{place}")
        print(f"    ours:   {', '.join(row['top_5']) or '(nothing)'}")
        print(f"    judged: {', '.join(f'{key}={grade}' for key, grade in row['judged'].items())}")


def main(argv: list[str] | None = None) -> None:
    """Evaluate both engines on the judged set and print (and optionally write) the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--queries", default=str(DEFAULT_QUERIES), help="the judged set (JSON)")
    parser.add_argument("--json", metavar="PATH", help="also write the figures as JSON to PATH")
    parser.add_argument(
        "--show-failures", action="store_true", help="list the queries where ours has no relevant service in the top 5"
    )
    parser.add_argument(
        "--backend",
        choices=("whoosh", "postgres"),
        default="whoosh",
        help="our search engine: Whoosh with SQLite, or PostgreSQL full-text search",
    )
    parser.add_argument(
        "--database-url",
        help="PostgreSQL for --backend postgres (a schema of its own is "
        "made and dropped; default: SOCIALE_KAART_TEST_DATABASE_URL or the local server)",
    )
    args = parser.parse_args(argv)
    queries = load_queries(args.queries)
    with ExitStack() as stack:
        folder = stack.enter_context(tempfile.TemporaryDirectory(prefix="bench-relevance-"))
        url = None
        if args.backend == "postgres":
            url = stack.enter_context(postgres_schema(database_url(args.database_url), "relevance"))
        app = make_demo_app(folder, url)
        queries = within_reach(app, queries)
        result: dict = {"queries": len(queries)}
        seconds = {}
        for engine in ENGINES:
            started = time.perf_counter()
            result.update(evaluate(app, queries, engines=(engine,)))
            seconds[engine] = time.perf_counter() - started
        with app.app_context():
            db.engine.dispose()
    print_report(result, queries, seconds, args.backend)
    missed = failures(result["ours"]["rankings"], queries)
    if args.show_failures:
        print_failures(missed)
    if args.json:
        figures = {
            "queries_file": str(args.queries),
            "backend": args.backend,
            "queries": len(queries),
            "load_average": list(os.getloadavg()),
            "seconds": seconds,
            **{engine: result[engine] for engine in ENGINES},
            "ours_failures": missed,
        }
        Path(args.json).write_text(json.dumps(figures, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
