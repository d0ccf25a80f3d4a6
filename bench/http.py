"""Benchmark the public pages over HTTP against gunicorn (issue #17): pages as fast as the search engine.

Run from the project root:

    .venv/bin/python bench/http.py [--services 2000] [--seconds 4] [--rounds 3] [--connections 4]
                                   [--workers 2] [--requests 100] [--profile PAGE]

It builds a demo database in a temporary folder: a SQLite file with the demo municipality of `flask seed
demo` (seed/demo/) and, up to --services, the synthetic services of bench/search_service.py, indexed in an
on-disk Whoosh index. Then:

1. Through the WSGI app in this process (Flask's test client): the CPU time one request of each page type
   takes (time.process_time over --requests requests) and the SQL statements it runs through SQLAlchemy (the
   PostgreSQL search's own statements go around it, on psycopg's pipeline: PostgreSQL's CPU measures those).
2. Over HTTP: gunicorn with 2 workers on that database as production runs it (gunicorn.conf.py,
   SOCIALE_KAART_ENV=production, rate limits on, with a limit the bench stays under, counted in Redis as in
   production when Redis answers on 127.0.0.1:6379, else in memory). The load client is the asyncio
   client in this file (the standard library only, nothing to install): --connections requests at once,
   each on its own connection (gunicorn's sync workers close every connection), with
   `Accept-Encoding: gzip, deflate, br, zstd` as browsers send it.
   - First the first request each worker answers after it started (a results page, once the worker has
     booted and gone idle; asked one at a time until each worker has had one), timed by the worker itself
     (gunicorn's access log, %(D)s), against the median of the next 30 results pages asked one at a time.
   - Then each page type for --seconds, every type in turn, --rounds times (interleaved, so a busy machine
     slows every page alike), each type going through its own list of URLs (queries, places and filters;
     services; API pages).

It prints per page type: requests a second (the median of the rounds), p50 and p99 latency in ms, the
workers' CPU ms per request (from /proc), the load client's CPU ms per request, and the ratio of its
requests a second to the bare page's (the about page; the 404 page is the other bare page), with the lowest
and highest ratio of one round (a round's pages run seconds apart: its ratio shows how much the machine moved
the figure) and the load average. Targets (issue #17): results page >= 0.5 x the bare page; service page, home
and API list >= 0.6 x; a worker's first request <= 3 x the median request.

With `--database postgres` the directory and its search are in PostgreSQL, as production runs them (a schema of
their own in the tests' database, dropped afterwards; the app's tables made as the tests make them, the demo and
synthetic services loaded through the same services, then VACUUM ANALYZE, as autovacuum soon does after a load:
statistics for the planner, a visibility map for index-only scans); the table then also gives PostgreSQL's CPU
a request (every `postgres` process on this machine), which shares the same CPUs.
"""

from __future__ import annotations

import os
import sys

# This file shares its name with the standard library's http package: leave its own folder off the path,
# so Werkzeug's `import http.server` finds the real one; import the project from the folder above it.
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path[:] = [path for path in sys.path if os.path.abspath(path or ".") != HERE]
sys.path.insert(0, os.path.dirname(HERE))

import argparse  # noqa: E402
import asyncio  # noqa: E402
import cProfile  # noqa: E402
import pstats  # noqa: E402
import random  # noqa: E402
import re  # noqa: E402
import shutil  # noqa: E402
import signal  # noqa: E402
import socket  # noqa: E402
import statistics  # noqa: E402
import subprocess  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from contextlib import ExitStack  # noqa: E402
from pathlib import Path  # noqa: E402
from urllib.parse import urlencode  # noqa: E402

from sqlalchemy import event, func, select  # noqa: E402

from bench.database import database_url, postgres_schema  # noqa: E402
from bench.search_service import QUERIES, VILLAGES, percentile, populate, vacuum_analyze  # noqa: E402
from sociale_kaart import create_app  # noqa: E402
from sociale_kaart.directory import search_log, seed  # noqa: E402
from sociale_kaart.directory.cli import DEMO_FOLDER  # noqa: E402
from sociale_kaart.directory.models import Service  # noqa: E402
from sociale_kaart.directory.search_log import SearchLogEntry  # noqa: E402
from sociale_kaart.directory.services import geocoder, search_backend  # noqa: E402
from sociale_kaart.extensions import db  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
SEED = 17
BARE = "about (bare)"
# page type -> the lowest ratio of its requests a second to the bare page's (issue #17)
TARGETS = {"search results": 0.5, "service page": 0.6, "home": 0.6, "API list": 0.6}
FIRST_TARGET = 3.0
RATE_LIMIT = "1000000 per minute"  # the limiter runs and counts, as in production, without refusing the bench
FIRST_SEARCHES = 30
REDIS_URL = "redis://127.0.0.1:6379/14"  # a database of its own: the tests use 5
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
ENCODINGS = "gzip, deflate, br, zstd"  # what Chromium and Firefox send


# --- the data ------------------------------------------------------------------------------------------


def rate_limit_store() -> str:
    """Return where the bench counts rate limits: Redis, as production does, when it answers on 127.0.0.1:6379.

    Production counts in Redis (README, "Production"); memory:// starts a timer thread for nearly every request
    (the limits library's expiry), a cost production does not have, and a Redis round trip one it has."""
    import redis

    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1, socket_timeout=1).ping()
    except redis.RedisError:
        return "memory://"
    return REDIS_URL


def settings(folder: str, rate_limits: str = "memory://", database_url: str | None = None) -> dict:
    """Return the app settings of the bench: production, a SQLite file and a Whoosh index in `folder`, or the
    PostgreSQL database at `database_url` and its search backend, as production runs."""
    return {
        "RATELIMIT_STORAGE_URI": rate_limits,
        "ENV": "production",
        "SECRET_KEY": "bench",
        "SQLALCHEMY_DATABASE_URI": database_url or f"sqlite:///{folder}/bench.db",
        "SEARCH_BACKEND": "postgres" if database_url else "whoosh",
        "SEARCH_DIR": f"{folder}/index",
        "MAIL_DIR": f"{folder}/mail",
        "MAP_TILE_URL": "",
        "SEARCH_RATE_LIMIT": RATE_LIMIT,
        # searches wait in Redis for the scheduler, as in production (compose.yaml); drain() below is its work
        "SEARCH_LOG_QUEUE_URI": "" if rate_limits.startswith("memory") else rate_limits,
    }


def environment(folder: str, rate_limits: str, database_url: str | None = None) -> dict:
    """Return the environment that gives gunicorn's workers the same settings."""
    names = {
        "RATELIMIT_STORAGE_URI": "SOCIALE_KAART_RATELIMIT_STORAGE_URI",
        "ENV": "SOCIALE_KAART_ENV",
        "SECRET_KEY": "SOCIALE_KAART_SECRET_KEY",
        "SQLALCHEMY_DATABASE_URI": "SOCIALE_KAART_DATABASE_URL",
        "SEARCH_BACKEND": "SOCIALE_KAART_SEARCH_BACKEND",
        "SEARCH_DIR": "SOCIALE_KAART_SEARCH_DIR",
        "MAIL_DIR": "SOCIALE_KAART_MAIL_DIR",
        "MAP_TILE_URL": "SOCIALE_KAART_MAP_TILE_URL",
        "SEARCH_RATE_LIMIT": "SOCIALE_KAART_SEARCH_RATE_LIMIT",
        "SEARCH_LOG_QUEUE_URI": "SOCIALE_KAART_SEARCH_LOG_QUEUE_URI",
    }
    values = settings(folder, rate_limits, database_url)
    return {**os.environ, **{names[name]: str(value) for name, value in values.items()}}


def build(app, services: int, rng: random.Random) -> int:
    """Load the demo municipality and synthetic services up to `services`; return how many there are."""
    with app.app_context():
        db.create_all()
        seed.load_demo(DEMO_FOLDER, geocoder(), search_backend(), app.config["MUNICIPALITY_CODE"])
        loaded = db.session.scalar(select(func.count(Service.id)))
        if services > loaded:
            populate(services - loaded, rng)
        total = db.session.scalar(select(func.count(Service.id)))
        db.session.remove()
    return total


def page_types(app, rng: random.Random) -> dict[str, tuple[int, list[str]]]:
    """Return page type -> (expected status, the URLs it goes through in turn)."""
    words = [word for kind in ("one word", "two words", "typo") for word in QUERIES[kind]]
    filters = [{}, {}, {"category": "respijtzorg"}, {"cost": "gratis"}, {"pyramid_level": "vrij_toegankelijk"}]
    searches = []
    for number in range(24):
        village, postcode, _lat, _lon = VILLAGES[number % len(VILLAGES)]
        query = {"q": words[number % len(words)], "waar": postcode if number % 2 else village}
        query.update(straal=str((5, 10)[number % 2]), **filters[number % len(filters)])
        searches.append(urlencode(query))
    with app.app_context():
        rows = db.session.execute(
            select(Service.id, Service.slug).where(Service.publication_status == "published").order_by(Service.id)
        ).all()
        count = len(rows)
        db.session.remove()
    services = [f"/aanbod/{row.id}/{row.slug}" for row in rng.sample(rows, min(24, len(rows)))]
    pages = max(1, (count + 19) // 20)
    return {
        BARE: (200, ["/over-deze-kaart"]),
        "404 (bare)": (404, [f"/bestaat-niet-{number}" for number in range(8)]),
        "home": (200, ["/"]),
        "search results": (200, [f"/zoeken?{query}" for query in searches]),
        "map": (200, [f"/kaart?{query}" for query in searches[::2]]),
        "service page": (200, services),
        "API list": (200, [f"/api/hsds/services?page={rng.randint(1, pages)}&per_page=20" for _ in range(24)]),
    }


# --- in this process -----------------------------------------------------------------------------------


def in_process(app, pages: dict, requests: int) -> dict[str, tuple[float, int, int]]:
    """Return page type -> (CPU ms a request, fewest and most SQL statements a request)."""
    client = app.test_client()
    with app.app_context():
        engine = db.engine
    statements = {"count": 0}

    def counted(*_args):
        statements["count"] += 1

    results = {}
    event.listen(engine, "before_cursor_execute", counted)
    try:
        for name, (status, paths) in pages.items():
            for path in paths[:2]:
                client.get(path)  # warm: first template render, first query of its kind
            counts = []
            started = time.process_time()
            for number in range(requests):
                statements["count"] = 0
                path = paths[number % len(paths)]
                response = client.get(path)
                assert response.status_code == status, (path, response.status_code)
                counts.append(statements["count"])
            cpu = (time.process_time() - started) * 1000 / requests
            results[name] = (cpu, min(counts), max(counts))
    finally:
        event.remove(engine, "before_cursor_execute", counted)
    return results


def profile(app, paths: list[str], requests: int):
    """Print cProfile's top functions of `requests` requests of one page type."""
    client = app.test_client()
    client.get(paths[0])
    profiler = cProfile.Profile()
    profiler.enable()
    for number in range(requests):
        client.get(paths[number % len(paths)])
    profiler.disable()
    pstats.Stats(profiler).sort_stats("cumulative").print_stats(45)


# --- over HTTP -----------------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


async def fetch(port: int, path: str, gzip: bool) -> tuple[int, int]:
    """GET a path on a new connection; return the status and the bytes received."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    accept = f"Accept-Encoding: {ENCODINGS}\r\n" if gzip else ""
    writer.write(f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n{accept}Connection: close\r\n\r\n".encode())
    data = await reader.read()  # to the end: the worker closes the connection after its answer
    writer.close()
    await writer.wait_closed()
    return int(data[9:12]), len(data)


async def drive(port: int, status: int, paths: list[str], seconds: float, connections: int, gzip: bool):
    """Ask the paths in turn on `connections` connections at once for `seconds`; return (req/s, latencies in ms)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + seconds
    latencies: list[float] = []

    async def client(number: int):
        while loop.time() < deadline:
            path = paths[number % len(paths)]
            number += connections
            started = time.perf_counter()
            answered, _size = await fetch(port, path, gzip)
            latencies.append((time.perf_counter() - started) * 1000)
            if answered != status:
                raise RuntimeError(f"{path} answered {answered}, not {status}")

    started = time.perf_counter()
    await asyncio.gather(*(client(number) for number in range(connections)))
    return len(latencies) / (time.perf_counter() - started), latencies


def worker_pids(master: int) -> list[int]:
    """Return the pids of the gunicorn master's workers."""
    pids = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                fields = Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == master:
                pids.append(int(entry))
    return sorted(pids)


def cpu_seconds(pids: list[int]) -> float:
    """Return the CPU time (user + system) the processes used so far."""
    total = 0
    for pid in pids:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / CLOCK_TICKS


def database_cpu_seconds() -> float:
    """Return the CPU time (user + system) PostgreSQL's processes on this machine used so far."""
    total = 0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:  # the process ended
            continue
        if "(postgres)" in text:
            fields = text.rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])
    return total / CLOCK_TICKS


def wait_until_idle(server: subprocess.Popen, workers: int, seconds: float = 180) -> list[int]:
    """Wait until every worker has started and used no CPU for a second (its app loaded); return their pids."""
    deadline = time.monotonic() + seconds
    last, quiet_since = None, time.monotonic()
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError("gunicorn stopped")
        pids = worker_pids(server.pid)
        if len(pids) == workers:
            used = cpu_seconds(pids)
            if used != last:
                last, quiet_since = used, time.monotonic()
            elif time.monotonic() - quiet_since >= 1.0:
                return pids
        time.sleep(0.1)
    raise RuntimeError("gunicorn's workers did not start")


ACCESS = re.compile(r'^<(\d+)> (\d+) (\d+) "GET (\S+)')  # %(p)s is "<pid>"


def access_lines(log: Path) -> list[tuple[int, float, str]]:
    """Return (pid, ms, path) of every request in the access log, in order."""
    lines = []
    for line in log.read_text().splitlines():
        found = ACCESS.match(line)
        if found:
            lines.append((int(found.group(1)), int(found.group(2)) / 1000, found.group(4)))
    return lines


def first_requests(port: int, pids: list[int], log: Path, searches: list[str], gzip: bool):
    """Return ({pid: ms of its first request, a results page}, median ms of the next results pages one at a time).

    The results pages are asked one at a time, as the median's are, until every worker has answered one: two
    workers starting on two at once would share the CPU with each other and the load client."""
    for number in range(40):
        asyncio.run(fetch(port, searches[number % len(searches)], gzip))
        time.sleep(0.3)  # gunicorn writes the access line after the answer
        if {pid for pid, _ms, _path in access_lines(log)} >= set(pids):
            break
    first = {}
    for pid, ms, path in access_lines(log):
        first.setdefault(pid, (ms, path))
    done = len(access_lines(log))
    for number in range(FIRST_SEARCHES):
        asyncio.run(fetch(port, searches[number % len(searches)], gzip))
    time.sleep(0.3)
    later = [ms for _pid, ms, path in access_lines(log)[done:] if path.startswith("/zoeken")]
    return first, statistics.median(later)


def over_http(folder: str, pages: dict, args) -> None:
    port = free_port()
    access_log, error_log = Path(folder) / "access.log", Path(folder) / "error.log"
    command = [
        *(sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py"),
        *("--workers", str(args.workers), "--bind", f"127.0.0.1:{port}"),
        *("--access-logfile", str(access_log), "--access-logformat", '%(p)s %(D)s %(s)s "%(r)s"'),
        *("--error-logfile", str(error_log), "--no-control-socket", "wsgi:app"),
    ]
    started = time.monotonic()
    server = subprocess.Popen(command, cwd=ROOT, env=environment(folder, args.rate_limits, args.database_url))
    try:
        pids = wait_until_idle(server, args.workers)
        print(f"gunicorn -w {args.workers}: workers {pids} started and idle after {time.monotonic() - started:.1f} s")
        searches = pages["search results"][1]
        first, median = first_requests(port, pids, access_log, searches, args.gzip)
        print("== first request of each worker after it started (a results page), timed by the worker ==")
        for pid, (ms, _path) in sorted(first.items()):
            ratio = ms / median
            verdict = "ok" if ratio <= FIRST_TARGET else "SLOW"
            print(f"worker {pid}: {ms:8.1f} ms = {ratio:5.1f} x the median results page ({median:.1f} ms)  {verdict}")

        rates: dict[str, list[float]] = {name: [] for name in pages}
        latencies: dict[str, list[float]] = {name: [] for name in pages}
        server_cpu: dict[str, list[float]] = {name: [] for name in pages}
        client_cpu: dict[str, list[float]] = {name: [] for name in pages}
        database_cpu: dict[str, list[float]] = {name: [] for name in pages}
        for _round in range(args.rounds):
            for name, (status, paths) in pages.items():
                cpu, own = cpu_seconds(pids), time.process_time()
                database = database_cpu_seconds() if args.database_url else 0.0
                rate, times = asyncio.run(drive(port, status, paths, args.seconds, args.connections, args.gzip))
                server_cpu[name].append((cpu_seconds(pids) - cpu) * 1000 / len(times))
                if args.database_url:
                    database_cpu[name].append((database_cpu_seconds() - database) * 1000 / len(times))
                client_cpu[name].append((time.process_time() - own) * 1000 / len(times))
                rates[name].append(rate)
                latencies[name] += times
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)
    bare = statistics.median(rates[BARE])
    print(
        f"== over HTTP: gunicorn -w {args.workers}, {args.connections} connections, {args.rounds} rounds of "
        f"{args.seconds:g} s a page, Accept-Encoding {ENCODINGS if args.gzip else 'none'} =="
    )
    print(
        f"{'page':<16} {'req/s':>7} {'p50 ms':>7} {'p99 ms':>7} {'server CPU':>10} {'client CPU':>10} "
        f"{'x bare':>7} {'rounds':>11}  target"
    )
    for name in pages:
        rate = statistics.median(rates[name])
        # each round's ratio: the page and the bare page of one round ran seconds apart, on the same machine
        each = [page / bare_rate for page, bare_rate in zip(rates[name], rates[BARE], strict=True)]
        target = TARGETS.get(name)
        verdict = "" if target is None else f">= {target}: " + ("ok" if rate / bare >= target else "SLOW")
        print(
            f"{name:<16} {rate:>7.0f} {statistics.median(latencies[name]):>7.1f} "
            f"{percentile(latencies[name], 99):>7.1f} {statistics.median(server_cpu[name]):>7.2f} ms "
            f"{statistics.median(client_cpu[name]):>7.2f} ms {rate / bare:>7.2f} {min(each):>5.2f}-{max(each):<5.2f}"
            f"  {verdict}"
        )
        if args.database_url:
            print(f"{'':<16} PostgreSQL's CPU: {statistics.median(database_cpu[name]):.2f} ms a request")
    print(
        "(req/s: the median of the rounds; CPU: milliseconds a request, the workers' and the load client's;"
        " rounds: the lowest and highest ratio to the bare page of one round)"
    )


def forget_waiting_searches(app) -> None:
    """Delete searches an earlier run left waiting in the bench's Redis."""
    import redis

    if app.config["SEARCH_LOG_QUEUE_URI"]:
        redis.Redis.from_url(app.config["SEARCH_LOG_QUEUE_URI"]).delete(search_log.QUEUE_KEY)


def write_waiting_searches(app) -> None:
    """Do the scheduler's part of a search (production's search log queue): write the waiting searches into the
    search log; print how many and the CPU it took, which the workers' figures above leave out."""
    with app.app_context():
        if not app.config["SEARCH_LOG_QUEUE_URI"]:
            print("search log: written by each request (Redis did not answer)")
            return
        waiting = search_log.waiting() or 0
        started = time.process_time()
        written = search_log.drain()
        cpu = (time.process_time() - started) * 1000
        logged = db.session.scalar(select(func.count(SearchLogEntry.id)))
        db.session.remove()
    print(
        f"search log: {waiting:,} searches waited in Redis; the scheduler's drain wrote {written:,} in {cpu:.0f} ms "
        f"of CPU ({cpu / max(written, 1):.3f} ms a search, not in the workers' figures); {logged:,} logged in all"
    )


def load() -> str:
    return "load average (1, 5, 15 min) " + " ".join(f"{value:.2f}" for value in os.getloadavg())


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--services", type=int, default=2000, help="services in the directory (default 2000)")
    parser.add_argument("--seconds", type=float, default=4, help="seconds a page type a round (default 4)")
    parser.add_argument("--rounds", type=int, default=3, help="rounds over every page type (default 3)")
    parser.add_argument("--connections", type=int, default=4, help="requests at once (default 4)")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers (default 2)")
    parser.add_argument("--requests", type=int, default=100, help="requests a page type in this process")
    parser.add_argument("--no-gzip", dest="gzip", action="store_false", help="ask without Accept-Encoding")
    parser.add_argument("--no-http", action="store_true", help="only measure in this process")
    parser.add_argument("--profile", metavar="PAGE", help="print cProfile's top functions of a page type")
    parser.add_argument(
        "--database",
        choices=("sqlite", "postgres"),
        default="sqlite",
        help="sqlite: a SQLite file and a Whoosh index (default); postgres: PostgreSQL and its search, as production "
        "runs (a schema of its own in --database-url)",
    )
    parser.add_argument("--database-url", help="PostgreSQL for --database postgres (default: the tests' database)")
    args = parser.parse_args(argv)
    args.rate_limits = rate_limit_store()
    print(f"== public pages over HTTP (issue #17), {os.cpu_count()} CPUs, {load()} ==")
    store = args.rate_limits
    print(f"rate limits counted in {store}" + (" (Redis did not answer)" if store.startswith("memory") else ""))
    folder = tempfile.mkdtemp(prefix="bench-http-")
    with ExitStack() as stack:
        args.database_url = None
        if args.database == "postgres":
            args.database_url = stack.enter_context(postgres_schema(database_url(args.database_url), "http"))
        print(f"database: {args.database}, search: {'PostgreSQL' if args.database_url else 'Whoosh'}")
        run(folder, args)


def run(folder: str, args) -> None:
    try:
        rng = random.Random(SEED)
        app = create_app(settings(folder, args.rate_limits, args.database_url))
        started = time.perf_counter()
        total = build(app, args.services, rng)
        print(
            f"demo database: {total:,} services (the demo municipality and synthetic ones), "
            f"built in {time.perf_counter() - started:.1f} s"
        )
        if args.database_url:
            vacuum_analyze(app)  # statistics and visibility map, as autovacuum gives them soon after a load
        pages = page_types(app, rng)
        forget_waiting_searches(app)
        if args.profile:
            profile(app, pages[args.profile][1], args.requests)
        measured = in_process(app, pages, args.requests)
        print(f"== through the WSGI app in this process, {args.requests} requests a page type ==")
        print(f"{'page':<16} {'CPU ms':>7} {'SQL statements':>15}")
        for name, (cpu, fewest, most) in measured.items():
            statements = f"{fewest}" if fewest == most else f"{fewest}-{most}"
            print(f"{name:<16} {cpu:>7.2f} {statements:>15}")
        write_waiting_searches(app)
        with app.app_context():
            db.engine.dispose()
        if not args.no_http:
            over_http(folder, pages, args)
            write_waiting_searches(app)
        print(load())
    finally:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
