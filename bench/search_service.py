"""Benchmark the whole search service call (directory.services.search_listings) without HTTP.

Run from the project root:

    .venv/bin/python bench/search_service.py [--services 2000] [--queries 200] [--municipalities 1|2]
                                             [--spread heuvelrug|national]
                                             [--call listings|cards]
                                             [--backend whoosh|postgres|both] [--database sqlite|postgres]
                                             [--database-url URL]

It creates a temporary app (SQLite file + on-disk Whoosh index; with ``--backend postgres`` a
schema of its own in PostgreSQL and its search backend; with ``--backend both`` one such schema
searched by both, query by query in turn, so a busy machine slows both alike), inserts a synthetic directory
of N published services of the Utrechtse Heuvelrug through the models (one location each,
categories, target groups, costs, opening hours), indexes it, and times 200 mixed calls of
``search_listings``: a place from the 'waar' field resolved by the offline gazetteer, a radius of
5 or 10 km, one filter, facet counts, open-now counting, geopy geodesic distances, and loading the
page's listings from the database; text is one word, two words, a typo or empty. It prints
p50 / p95 / max in milliseconds per class and overall. On PostgreSQL the tables get a VACUUM
ANALYZE after the load, as autovacuum gives them within a minute or two (the planner needs their
statistics).

With ``--municipalities 2`` (issue #20) the installation is a region: Rhenen (0340) is added with its
kernen from the gazetteer and gets as many services again, at its own postcodes; half of the queries
search a whole municipality (a place without a radius: filtered on its municipality), half a radius
around a place of either (across the border). ``--call cards`` times ``search_cards``, the results
page's call, which in a region also marks the listings of the neighbouring municipality.

With ``--spread national`` (issue #16) the services lie across the whole country, each near one of
the 4,081 four-digit postcodes of the bundled gazetteer drawn at random (so, like people, densest
where postcodes are), and every query searches 5 or 10 km around such a postcode: a national
installation of 100,000 services. The default, ``heuvelrug``, puts every service within 15 km of
each other (the seven villages of the Utrechtse Heuvelrug), so that at 100,000 a 10 km radius holds
tens of thousands of them: a density no real directory has, kept as the hardest case.
"""

from __future__ import annotations

import argparse
import csv
import os
import random
import statistics
import sys
import tempfile
import time
from contextlib import ExitStack
from datetime import time as clock
from datetime import timedelta

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from sqlalchemy import text  # noqa: E402

from bench.database import database_url, postgres_schema  # noqa: E402
from sociale_kaart import clock as app_clock  # noqa: E402
from sociale_kaart import create_app, transactions  # noqa: E402
from sociale_kaart.directory import municipalities, services, vocabularies  # noqa: E402
from sociale_kaart.directory.models import Location, Organization, Schedule, Service, ServiceAtLocation  # noqa: E402
from sociale_kaart.extensions import db  # noqa: E402
from sociale_kaart.geo.gazetteer import shared_gazetteer  # noqa: E402

SEED = 7
VILLAGES = [
    ("Doorn", "3941", 52.0388, 5.3363),
    ("Maarn", "3951", 52.0643, 5.3714),
    ("Maarsbergen", "3953", 52.0553, 5.4119),
    ("Leersum", "3956", 52.014, 5.4275),
    ("Amerongen", "3958", 52.0022, 5.4595),
    ("Overberg", "3959", 52.0314, 5.4985),
    ("Driebergen-Rijsenburg", "3971", 52.0571, 5.2876),
]
WORDS = {
    "respijtzorg": ["Respijtzorg aan huis", "Logeerhuis", "Oppasdienst", "Dagopvang"],
    "mantelzorgondersteuning": ["Mantelzorgcafé", "Steunpunt mantelzorg", "Mantelzorgconsulent"],
    "geld_schulden": ["Schuldhulpverlening", "Formulierenhulp", "Thuisadministratie"],
    "eenzaamheid": ["Maatjesproject", "Huisbezoek ouderen", "Telefooncirkel"],
    "dementie": ["Alzheimer Café", "Ontmoetingscentrum dementie", "Dementievriendelijk"],
    "vervoer": ["Vrijwillige rijdienst", "Boodschappenbus", "Automaatje"],
    "maaltijden": ["Maaltijdservice", "Eetclub", "Buurtrestaurant"],
    "taal_digitaal": ["Taalcafé", "Digitaal spreekuur", "Klik en tik"],
    "ontmoeting_activiteiten": ["Buurthuis", "Wandelgroep", "Repair Café"],
    "gezondheid_bewegen": ["Beweegmaatje", "Valpreventie", "Gym voor ouderen"],
}
QUERIES = {
    "one word": ["respijtzorg", "mantelzorg", "schulden", "eenzaam", "dementie", "vervoer", "maaltijd"],
    "two words": ["respijtzorg dementie", "mantelzorg advies", "maaltijd ouderen", "taal hulp"],
    "typo": ["respijtsorg", "mantelzorgg", "dementei", "schuldhulpverleing", "eenzaamhied"],
    "empty": [""],
}


def national_villages():
    """Return every four-digit postcode of the bundled gazetteer as VILLAGES rows (place, PC4, lat, lon)."""
    path = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "sociale_kaart/geo/data/pc4.csv")
    with open(path, encoding="utf-8", newline="") as file:
        return [
            (row["place"], row["postcode4"], float(row["lat"]), float(row["lon"]))
            for row in csv.DictReader(file)
            if row["lat"] and row["lon"]
        ]


def rhenen_villages():
    """Return Rhenen's postcodes as VILLAGES rows (place, PC4, lat, lon), from the bundled gazetteer."""
    return [
        (postcode["place"].removesuffix(" Ut"), postcode["postcode4"], postcode["lat"], postcode["lon"])
        for postcode in shared_gazetteer().postcodes_of_municipality("0340")
    ]


def populate(count, rng, villages=VILLAGES, first=0):
    """Insert `count` published services in `villages`, each at its own location (from number `first`)."""
    services.ensure_taxonomies()
    terms = {term.code: term for term in services.taxonomy_terms("category")}
    groups = services.taxonomy_terms("target_group")
    organizations = [Organization(slug=f"org-{first}-{i}", name=f"Organisatie {i} (bench)") for i in range(60)]
    db.session.add_all(organizations)
    costs = [["gratis"], ["gratis"], ["eigen_bijdrage_wmo"], ["betaald"], ["zorgverzekering"]]
    for number in range(first, first + count):
        category = rng.choice(list(WORDS))
        village, pc4, lat, lon = rng.choice(villages)
        organization = rng.choice(organizations)
        location = Location(
            organization=organization,
            name=f"Locatie {number}",
            address_1="Dorpsstraat 1",
            postal_code=f"{pc4} AB",
            city=village,
            lat=lat + rng.uniform(-0.02, 0.02),
            lon=lon + rng.uniform(-0.03, 0.03),
            accessibility=rng.sample(vocabularies.codes(vocabularies.ACCESSIBILITY), 2),
        )
        service = Service(
            organization=organization,
            slug=f"dienst-{number}",
            name=f"{rng.choice(WORDS[category])} {village}",
            summary="Een korte zin over deze hulp.",
            description=" ".join(rng.choice(sum(WORDS.values(), [])) for _ in range(12)),
            pyramid_level=rng.choice(vocabularies.codes(vocabularies.PYRAMID_LEVELS)),
            access_route=rng.choice(vocabularies.codes(vocabularies.ACCESS_ROUTES)),
            cost=rng.choice(costs),
            modes=["op_locatie"],
            languages=["nl"],
            keywords=[],
            publication_status="published",
            assured_date=app_clock.today() - timedelta(days=60),  # checked two months ago: fresh
        )
        db.session.add(service)
        service.categories = [terms[category]] + rng.sample([terms[c] for c in WORDS if c != category], 1)
        service.target_groups = rng.sample(groups, 2)
        service.location_links = [ServiceAtLocation(location=location)]
        day = rng.randrange(7)
        service.schedules = [Schedule(weekday=day, opens_at=clock(9), closes_at=clock(rng.choice((12, 17))))]
    transactions.commit()


def make_queries(count, rng, villages=VILLAGES, region=False, postcodes_only=False):
    """Return (class, criteria) pairs; in a region every other one searches a whole municipality (no radius)."""
    classes = list(QUERIES)
    filters = [
        {"category": ["respijtzorg"]},
        {"cost": ["gratis"]},
        {"pyramid_level": ["vrij_toegankelijk"]},
        {"target_group": ["ouderen"]},
        {},
    ]
    return [
        (
            kind,
            services.SearchCriteria(
                text=rng.choice(QUERIES[kind]),
                where=rng.choice(villages)[1 if postcodes_only else rng.choice((0, 1))],
                radius_km=None if region and number % 2 else rng.choice((5, 10)),
                stay_in_municipality=True,  # as the web's search
                filters=rng.choice(filters),
            ),
        )
        for number, kind in enumerate(classes[i % len(classes)] for i in range(count))
    ]


def percentile(values, p):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--services", type=int, default=2000)
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument(
        "--municipalities",
        type=int,
        choices=(1, 2),
        default=1,
        help="2: a region, Rhenen added with --services services of its own (issue #20)",
    )
    parser.add_argument(
        "--spread",
        choices=("heuvelrug", "national"),
        default="heuvelrug",
        help="where the services lie: within 15 km of each other (default), or across the country (issue #16)",
    )
    parser.add_argument(
        "--call",
        choices=("listings", "cards"),
        default="listings",
        help="the service call timed: search_listings, or search_cards (the results page's)",
    )
    parser.add_argument(
        "--backend",
        choices=("whoosh", "postgres", "both"),
        default="whoosh",
        help="Whoosh on disk, PostgreSQL full-text search in the database (issue #16), or both "
        "on one PostgreSQL database, taking turns query by query",
    )
    parser.add_argument(
        "--database",
        choices=("sqlite", "postgres"),
        help="where the directory lives (default: sqlite for --backend whoosh, else postgres)",
    )
    parser.add_argument(
        "--database-url",
        help="PostgreSQL for --database postgres (a schema of its own is "
        "made and dropped; default: SOCIALE_KAART_TEST_DATABASE_URL or the local server)",
    )
    args = parser.parse_args(argv)
    args.database = args.database or ("sqlite" if args.backend == "whoosh" else "postgres")
    if args.backend != "whoosh" and args.database != "postgres":
        parser.error(f"--backend {args.backend} needs --database postgres")
    with ExitStack() as stack:
        url = None
        if args.database == "postgres":
            url = stack.enter_context(postgres_schema(database_url(args.database_url), "search_service"))
        run(args, url)


def vacuum_analyze(app):
    """VACUUM ANALYZE the schema's tables after the bulk load, as autovacuum does within a minute or two."""
    with app.app_context(), db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        tables = connection.scalars(text("SELECT tablename FROM pg_tables WHERE schemaname = current_schema()")).all()
        for table in tables:
            connection.execute(text(f'VACUUM ANALYZE "{table}"'))


def run(args, url=None):
    """Fill a database, time the queries (each backend in turn) and print the figures."""
    rng = random.Random(SEED)
    folder = tempfile.mkdtemp(prefix="bench-service-")
    backends = ("whoosh", "postgres") if args.backend == "both" else (args.backend,)
    apps = {
        backend: create_app(
            {
                "ENV": "testing",
                "SECRET_KEY": "bench",
                "RATELIMIT_ENABLED": False,
                "SQLALCHEMY_DATABASE_URI": url or f"sqlite:///{folder}/bench.db",
                "SEARCH_BACKEND": backend,
                "SEARCH_DIR": f"{folder}/index",
            }
        )
        for backend in backends
    }
    index_seconds = {}
    with apps[backends[0]].test_request_context():
        db.create_all()
        now = app_clock.local_now()  # the app clock: opening hours are counted at this moment
        villages = national_villages() if args.spread == "national" else VILLAGES
        if args.municipalities == 2:
            municipalities.add_municipality("0340")  # its kernen Rhenen and Elst, from the gazetteer
        populate(args.services, rng, villages)
        if args.municipalities == 2:
            villages = villages + rhenen_villages()
            populate(args.services, rng, rhenen_villages(), first=args.services)
        queries = make_queries(
            args.queries, rng, villages, region=args.municipalities == 2, postcodes_only=args.spread == "national"
        )
    for backend in backends:
        # a rebuild, as `flask search reindex` makes it: a request never builds a missing index (#16)
        with apps[backend].app_context():
            started = time.perf_counter()
            services.reindex_all()
            index_seconds[backend] = time.perf_counter() - started
            db.session.remove()
    search = services.search_cards if args.call == "cards" else services.search_listings
    if url:
        vacuum_analyze(apps[backends[0]])
    for app in apps.values():
        with app.test_request_context():
            search(queries[0][1], now=now)  # load the gazetteer and open the searcher
            db.session.remove()
    timings = {backend: {} for backend in backends}
    for number, (kind, criteria) in enumerate(queries):
        for backend in backends[::-1] if number % 2 else backends:  # each goes first half of the time
            with apps[backend].test_request_context():  # a fresh session per query, as each request has
                started = time.perf_counter()
                page = search(criteria, now=now)
                elapsed = (time.perf_counter() - started) * 1000
                timings[backend].setdefault(kind, []).append((elapsed, page.total))
                db.session.remove()
    for app in apps.values():
        with app.app_context():
            db.engine.dispose()
    for backend in backends:
        print(
            f"== {search.__name__} ({backend} search, {args.database} database), "
            f"{args.municipalities} x {args.services:,} services ({args.spread}), "
            f"{args.queries} queries (index {index_seconds[backend]:.1f} s) =="
        )
        print(f"{'class':<10} {'n':>4} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8} {'hits p50':>9}")
        everything = []
        for kind, rows in timings[backend].items():
            values = [ms for ms, _ in rows]
            everything += values
            print(
                f"{kind:<10} {len(values):>4} {statistics.median(values):>8.2f} {percentile(values, 95):>8.2f} "
                f"{max(values):>8.2f} {statistics.median([t for _, t in rows]):>9.0f}"
            )
        print(
            f"{'all':<10} {len(everything):>4} {statistics.median(everything):>8.2f} "
            f"{percentile(everything, 95):>8.2f} {max(everything):>8.2f}"
        )
    print(f"load average (1, 5, 15 min): {' '.join(f'{value:.2f}' for value in os.getloadavg())}")


if __name__ == "__main__":
    main()
