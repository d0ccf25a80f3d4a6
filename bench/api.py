"""Benchmark the HSDS API (issue #5) through the WSGI app, without a network.

Run from the project root:

    .venv/bin/python bench/api.py [--services 2000] [--requests 200]

It builds the same synthetic directory as bench/search_service.py (N published services of the
Utrechtse Heuvelrug, SQLite file + on-disk Whoosh index) and times, with Flask's test client so
parsing, the service call, HSDS shaping and JSON encoding are all included:

- `/api/hsds/services?page=…&per_page=20` on random pages;
- `/api/hsds/service_at_locations?postcode=…&proximity=5000&search=…` (the proximity search);
- `/api/hsds/services/{id}` (a fully nested service).

It prints p50 / p95 / max in milliseconds per request class.
"""

from __future__ import annotations

import argparse
import random
import statistics
import tempfile
import time

from search_service import QUERIES, VILLAGES, percentile, populate

from sociale_kaart import create_app
from sociale_kaart.directory.models import Service
from sociale_kaart.extensions import db


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--services", type=int, default=2000)
    parser.add_argument("--requests", type=int, default=200)
    args = parser.parse_args(argv)
    rng = random.Random(11)
    folder = tempfile.mkdtemp(prefix="bench-api-")
    app = create_app(
        {
            "ENV": "testing",
            "SECRET_KEY": "bench",
            "RATELIMIT_ENABLED": False,
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{folder}/bench.db",
            "SEARCH_BACKEND": "whoosh",
            "SEARCH_DIR": f"{folder}/index",
        }
    )
    with app.app_context():
        db.create_all()
        populate(args.services, rng)
        ids = list(db.session.scalars(db.select(Service.uuid)))
    client = app.test_client()
    pages = (args.services + 19) // 20
    words = QUERIES["one word"] + QUERIES["two words"]
    requests = {
        "services?page=": lambda: f"/api/hsds/services?page={rng.randint(1, pages)}&per_page=20",
        "service_at_locations proximity": lambda: (
            f"/api/hsds/service_at_locations?postcode={rng.choice(VILLAGES)[1]}&proximity=5000"
            f"&search={rng.choice(words)}"
        ),
        "services/{id}": lambda: f"/api/hsds/services/{rng.choice(ids)}",
    }
    client.get(requests["service_at_locations proximity"]())  # load the gazetteer, open the searcher
    print(f"== HSDS API, {args.services:,} services, {args.requests} requests per class ==")
    print(f"{'request':<32} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8} {'items p50':>10}")
    for name, make_url in requests.items():
        timings, sizes = [], []
        for _ in range(args.requests):
            url = make_url()
            started = time.perf_counter()
            response = client.get(url)
            timings.append((time.perf_counter() - started) * 1000)
            assert response.status_code == 200, (url, response.get_data(as_text=True)[:200])
            sizes.append(len(response.get_json().get("contents", [None])))
        print(
            f"{name:<32} {statistics.median(timings):>8.2f} {percentile(timings, 95):>8.2f} "
            f"{max(timings):>8.2f} {statistics.median(sizes):>10.0f}"
        )


if __name__ == "__main__":
    main()
