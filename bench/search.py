"""Benchmark the search backends side by side on synthetic directories: Whoosh, SQLite FTS5, PostgreSQL.

Run from the project root:

    .venv/bin/python -m bench.search [--sizes 2000,50000 | --services 100000] [--queries 200]
                                     [--backend whoosh,fts5,postgres] [--database-url URL]
                                     [--distance haversine|geo] [--exclude N]

(`make bench` runs `bench/search.py` with the defaults: Whoosh and FTS5 at 2,000 and 50,000.)
For every size it generates a deterministic directory (seed 42) of Dutch social-domain services
around the Utrechtse Heuvelrug and builds each engine: the Whoosh index in a temporary directory,
SQLite FTS5 in memory (``unicode61 remove_diacritics 2``), and with ``postgres`` the postgres
search backend's tables in a schema of their own (dropped afterwards; VACUUM ANALYZE after the
bulk load, timed apart, as autovacuum does soon after). It prints each build / bulk load time,
the first search of a new process that opens the index (FTS5: its first query after the build),
and the peak resident memory of this process while building (and of the PostgreSQL server
process the bench used).
Then the engines take turns on the same mixed queries (one word, two words, typo, and "near":
radius 5 km + a category filter; facets and totals are always computed), each going first
equally often so that a busy machine slows them alike, in two passes (the second with the
engines' caches warm), and it prints p50 / p95 / max in milliseconds by query class, the CPU time
of this thread, the median hit count, each engine's p95 against Whoosh's, and the load average.

FTS5 is a plain baseline: ``bm25`` with the same field weights, ``LIMIT 20``, bbox ``WHERE`` +
Python distance filter, facet counts by ``GROUP BY`` over ``json_each``; it does no stemming,
compounds or typo matching, so its hit counts differ (typos find nothing). ``--distance geo``
uses ``sociale_kaart.geo.distance_km`` (geodesic) when it can be imported; the default is a plain
haversine (the postgres backend always keeps the geodesic radius, so a few "near" hit counts
differ from Whoosh's with haversine). The Whoosh build uses ``limitmb=256, procs=1``.
With ``--exclude N`` every search of every engine leaves out the same N ids, drawn at random, as the app
leaves out its long-unchecked listings from every search.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import random
import resource
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from contextlib import ExitStack

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from bench.database import database_url, postgres_schema  # noqa: E402
from sociale_kaart.search import FACETS, TABLES, SearchQuery, create_backend  # noqa: E402

SEED = 42
VILLAGES = {  # name: (lat, lon, area code)
    "Doorn": (52.033, 5.345, "doorn"),
    "Driebergen": (52.053, 5.281, "driebergen"),
    "Leersum": (52.012, 5.431, "leersum"),
    "Amerongen": (51.998, 5.459, "amerongen"),
    "Maarn": (52.064, 5.370, "maarn"),
    "Maarsbergen": (52.055, 5.408, "maarsbergen"),
    "Overberg": (52.038, 5.493, "overberg"),
}
CATEGORIES = {  # code: (label, name patterns, keywords)
    "respijtzorg": (
        "Respijtzorg",
        ["Respijtzorg aan huis", "Logeerhuis {v}", "Oppasdienst {v}", "Vakantie voor mantelzorgers"],
        ["oppas", "logeren", "ontlasten", "vervanging"],
    ),
    "mantelzorgondersteuning": (
        "Mantelzorgondersteuning",
        ["Steunpunt Mantelzorg {v}", "Mantelzorgcafé {v}", "Mantelzorgconsulent"],
        ["mantelzorger", "waardering", "advies"],
    ),
    "schulden": (
        "Geld en schulden",
        ["Schuldhulpverlening {v}", "Formulierenbrigade {v}", "Thuisadministratie"],
        ["schuldhulp", "budget", "formulieren", "geldzorgen"],
    ),
    "eenzaamheid": (
        "Eenzaamheid",
        ["Maatjesproject {v}", "Huisbezoek ouderen {v}", "Telefooncirkel"],
        ["maatje", "bezoek", "gezelschap", "ontmoeting"],
    ),
    "dementie": (
        "Dementie",
        ["Alzheimer Café {v}", "Ontmoetingscentrum dementie {v}", "Dementievriendelijk {v}"],
        ["geheugen", "alzheimer", "dagbesteding"],
    ),
    "vervoer": (
        "Vervoer",
        ["Boodschappendienst {v}", "Automaatje {v}", "Plusbus {v}", "Rijdienst vrijwilligers"],
        ["taxi", "rijden", "boodschappen", "vervoer"],
    ),
    "maaltijden": (
        "Maaltijden",
        ["Maaltijdservice {v}", "Samen eten in {v}", "Eettafel {v}"],
        ["eten", "koken", "maaltijd", "tafel"],
    ),
    "taal": (
        "Taal",
        ["Taalcafé {v}", "Taalmaatje {v}", "Nederlands leren in de bibliotheek"],
        ["taal", "lezen", "schrijven", "nederlands"],
    ),
    "vrijwilligerswerk": (
        "Vrijwilligerswerk",
        ["Vrijwilligerscentrum {v}", "Vacaturebank vrijwilligerswerk", "Klussendienst {v}"],
        ["vrijwilliger", "klussen", "helpen"],
    ),
    "opvoeding": (
        "Opvoeding en gezin",
        ["Opvoedspreekuur {v}", "Gezinscoach {v}", "Home-Start {v}"],
        ["ouders", "kinderen", "opvoeden", "gezin"],
    ),
    "jeugd": (
        "Jeugd",
        ["Jongerenwerk {v}", "Jongerencentrum {v}", "Huiswerkbegeleiding {v}"],
        ["jongeren", "tieners", "huiswerk", "sport"],
    ),
    "wonen": (
        "Wonen",
        ["Woonconsulent {v}", "Wooncoach {v}", "Buurtbemiddeling {v}"],
        ["woning", "buren", "verhuizen", "huur"],
    ),
    "gezondheid": (
        "Gezondheid",
        ["Wijkverpleging {v}", "Beweegcoach {v}", "Valpreventie {v}"],
        ["gezond", "bewegen", "thuiszorg", "verpleging"],
    ),
    "digitaal": (
        "Digitale hulp",
        ["Digitaal Café {v}", "Computerhulp {v}", "DigiD-spreekuur bibliotheek"],
        ["computer", "internet", "digid", "tablet"],
    ),
    "rouw": (
        "Rouw en verlies",
        ["Rouwgroep {v}", "Wandelen met verdriet", "Lotgenotengroep verlies"],
        ["rouw", "verdriet", "verlies", "lotgenoten"],
    ),
    "ontmoeting": (
        "Ontmoeting",
        ["Buurthuis {v}", "Inloopochtend {v}", "Koffieochtend {v}"],
        ["koffie", "inloop", "buurt", "activiteiten"],
    ),
}
TARGET_GROUPS = [
    "ouderen",
    "mantelzorgers",
    "jongeren",
    "ouders",
    "kinderen",
    "nieuwkomers",
    "minima",
    "mensen_met_beperking",
    "iedereen",
]
PYRAMID = ["vrij_toegankelijk", "algemeen", "maatwerk"]
ACCESS = ["aanmelden", "binnenlopen", "verwijzing"]
COST = ["gratis", "eigen_bijdrage", "vergoed"]
MODES = ["op_locatie", "aan_huis", "online", "telefonisch"]
ACCESSIBILITY = ["rolstoeltoegankelijk", "lift", "invalidentoilet", "ringleiding", "parkeren"]
RESPITE = ["respijt_aan_huis", "logeeropvang", "dagopvang", "vakantie"]
LANGUAGES = ["nl", "en", "ar", "tr", "pl", "uk"]
ORGANIZATIONS = [
    "Stichting Welzijn Heuvelrug",
    "Vrijwilligerscentrum Heuvelrug",
    "Humanitas Heuvelrug",
    "Rode Kruis Utrechtse Heuvelrug",
    "De Zonnebloem",
    "Diaconie Doorn",
    "Gemeente Utrechtse Heuvelrug",
    "Buurtzorg Heuvelrug",
    "Bibliotheek Z-O Utrecht",
    "MEE Utrecht",
    "Kwintes",
    "Stichting Ouderenwerk",
    "Sportief Heuvelrug",
    "Vluchtelingenwerk",
    "Alzheimer Nederland",
    "Mantelzorgpunt Heuvelrug",
]
COMMON = (
    "hulp ondersteuning voor inwoners ouderen mantelzorgers vrijwilligers gratis aanmelden buurt wijk "
    "samen thuis advies gesprek contact informatie iedere week ochtend middag avond activiteiten "
    "begeleiding zelfstandig wonen gezondheid welzijn gemeente sociaal team huisarts wijkverpleging "
    "professionals ervaring deskundige luisteren praten plezier veilig vertrouwd persoonlijk plan "
    "doelen eigen regie netwerk familie kinderen jongeren ouders school werk geld schulden administratie "
    "taal lezen computer vervoer boodschappen maaltijden koffie ontmoeting eenzaamheid dementie rouw "
    "verlies respijtzorg logeren oppas dagbesteding financiële café vrijwilligerswerk schuldhulpverlening "
    "mantelzorgondersteuning boodschappendienst buurthuis inloopspreekuur bibliotheek wandelen sport "
    "bewegen tuin klussen fiets rolstoel toegankelijk lift parkeren bereikbaar bus station centrum"
).split()
FILLER = (
    "wij de het een en van in op met voor aan bij is zijn u uw kunt wordt worden ook of als om naar "
    "door die dat dit er nog maar dan"
).split()

ONE_WORD = [
    "mantelzorg",
    "vrijwilliger",
    "schulden",
    "eenzaam",
    "dementie",
    "boodschappen",
    "taal",
    "vervoer",
    "maaltijden",
    "ouderen",
    "respijtzorg",
    "jongeren",
    "koffie",
    "rouw",
    "wandelen",
    "computer",
    "opvoeding",
    "buurthuis",
    "oppas",
    "mantelzorger",
]
TWO_WORDS = [
    "hulp ouderen",
    "mantelzorg advies",
    "taal cursus",
    "vrijwilliger maatje",
    "eten samen",
    "schulden administratie",
    "dementie ontmoeting",
    "vervoer ziekenhuis",
    "jongeren sport",
    "koffie buurthuis",
    "rouw verdriet",
    "computer hulp",
    "respijtzorg logeren",
    "wonen advies",
    "boodschappen vrijwilligers",
    "gezin ondersteuning",
    "inloop ochtend",
    "oppas thuis",
    "eenzaam ouderen",
    "wijkverpleging thuis",
]
TYPOS = [
    "respijtsorg",
    "mantelzorgg",
    "vrijwiliger",
    "boodschapen",
    "dementei",
    "eenzaamhied",
    "schuldhulpverleneing",
    "maaltijdn",
    "taalcaffe",
    "vervoor",
    "jongern",
    "opvoding",
    "wandellen",
    "computr",
    "ontmoetng",
    "klussendiest",
    "buurthius",
    "administartie",
    "mantlezorg",
    "respijtzrog",
]
NEAR = ONE_WORD[:10] + TWO_WORDS[:10]
WEIGHTS = (3.0, 2.5, 2.0, 2.0, 1.0)
TEXT_FIELDS = ("name", "organization", "category_labels", "keywords", "description")


def haversine_km(a, b):
    """Return the great-circle distance in km between two (lat, lon) points."""
    lat1, lon1, lat2, lon2 = map(math.radians, (a[0], a[1], b[0], b[1]))
    h = math.sin((lat2 - lat1) / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    return 2 * 6371.0088 * math.asin(math.sqrt(h))


def pick_distance(kind):
    if kind == "geo":
        try:
            from sociale_kaart.geo.distance import distance_km

            return distance_km, "geo.distance_km (geodesic)"
        except ImportError:
            pass
    return haversine_km, "haversine"


def _slots(rng):
    days = rng.sample(range(7), rng.randint(1, 5))
    opens = rng.choice([8, 9, 10, 13, 19]) * 4
    length = rng.choice([8, 12, 16, 32])
    return sorted(d * 96 + q for d in days for q in range(opens, min(opens + length, 96)))


def generate(n, seed=SEED):
    """Return n deterministic documents."""
    rng = random.Random(seed)
    villages = list(VILLAGES.items())
    codes = list(CATEGORIES)
    common_weights = [1.0 / (i + 1) ** 0.8 for i in range(len(COMMON))]
    docs = []
    for i in range(n):
        category = rng.sample(codes, rng.choice([1, 1, 1, 2]))
        village, (vlat, vlon, area) = rng.choice(villages)
        label, patterns, keywords = CATEGORIES[category[0]]
        name = rng.choice(patterns).format(v=village)
        if rng.random() < 0.7:
            lat, lon = rng.gauss(vlat, 0.012), rng.gauss(vlon, 0.018)
        else:
            lat, lon = rng.uniform(52.0, 52.1), rng.uniform(5.2, 5.5)
        words = []
        for _ in range(rng.randint(40, 80)):
            if rng.random() < 0.35:
                words.append(rng.choice(FILLER))
            elif rng.random() < 0.15:
                words.append(rng.choice(keywords))
            else:
                words.append(rng.choices(COMMON, common_weights)[0])
        description = " ".join(words).capitalize() + f". Te vinden in {village}."
        docs.append(
            {
                "id": str(i + 1),
                "service_id": i // 2 + 1,
                "name": name,
                "organization": rng.choice(ORGANIZATIONS),
                "category_labels": [CATEGORIES[c][0] for c in category],
                "keywords": rng.sample(keywords, 2),
                "description": description,
                "category": category,
                "target_group": rng.sample(TARGET_GROUPS, rng.randint(1, 3)),
                "pyramid_level": [rng.choice(PYRAMID)],
                "access_route": [rng.choice(ACCESS)],
                "cost": [rng.choice(COST)],
                "mode": rng.sample(MODES, rng.randint(1, 2)),
                "accessibility": rng.sample(ACCESSIBILITY, rng.randint(0, 3)),
                "area": sorted({area, rng.choice(villages)[1][2]}),
                "respite_type": rng.sample(RESPITE, 1) if "respijtzorg" in category else [],
                "language": ["nl"] + rng.sample(LANGUAGES[1:], rng.randint(0, 2)),
                "lat": None if rng.random() < 0.03 else lat,
                "lon": lon,
                "open_slots": _slots(rng),
            }
        )
    return docs


def make_queries(count, seed=SEED):
    """Return (class, text, origin, category filter) tuples, count in total, classes interleaved."""
    rng = random.Random(seed + 1)
    origins = [(lat, lon) for lat, lon, _ in VILLAGES.values()]
    out = []
    for i in range(count):
        kind = ("one word", "two words", "typo", "near")[i % 4]
        if kind == "one word":
            out.append((kind, rng.choice(ONE_WORD), None, None))
        elif kind == "two words":
            out.append((kind, rng.choice(TWO_WORDS), None, None))
        elif kind == "typo":
            out.append((kind, rng.choice(TYPOS), None, None))
        else:
            out.append((kind, rng.choice(NEAR), rng.choice(origins), rng.choice(list(CATEGORIES))))
    return out


# -- SQLite FTS5 baseline --------------------------------------------------------------------


def build_fts(docs):
    db = sqlite3.connect(":memory:")
    db.execute(
        "CREATE VIRTUAL TABLE docs USING fts5(name, organization, category_labels, keywords, "
        "description, tokenize = 'unicode61 remove_diacritics 2')"
    )
    db.execute("CREATE TABLE meta (id INTEGER PRIMARY KEY, lat REAL, lon REAL, category TEXT, codes TEXT)")
    db.execute("CREATE INDEX meta_lat ON meta (lat, lon)")
    started = time.perf_counter()
    with db:
        for number, doc in enumerate(docs, 1):
            db.execute(
                "INSERT INTO docs (rowid, name, organization, category_labels, keywords, description) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                (
                    number,
                    doc["name"],
                    doc["organization"],
                    " ".join(doc["category_labels"]),
                    " ".join(doc["keywords"]),
                    doc["description"],
                ),
            )
            codes = [f"{facet}:{code}" for facet in FACETS for code in doc.get(facet) or ()]
            db.execute(
                "INSERT INTO meta VALUES (?, ?, ?, ?, ?)",
                (number, doc["lat"], doc["lon"], json.dumps(doc["category"]), json.dumps(codes)),
            )
    return db, time.perf_counter() - started


def fts_match(text):
    words = [w for w in "".join(c if c.isalnum() else " " for c in text.lower()).split() if len(w) > 1]
    return " AND ".join(f'"{w}"' for w in words)


FACET_SQL = (
    "SELECT j.value, count(*) FROM meta, json_each(meta.codes) AS j "
    "WHERE meta.id IN (SELECT value FROM json_each(?)) GROUP BY j.value"
)
RANK = f"bm25(docs, {', '.join(str(w) for w in WEIGHTS)})"


def fts_search(db, text, origin, category, distance):
    match = fts_match(text)
    # the excluded ids (the documents' ids are their rowids)
    excluded = json.dumps(sorted(int(i) for i in EXCLUDED))
    keep = "docs.rowid NOT IN (SELECT value FROM json_each(?))"
    if origin is None:
        top = db.execute(
            f"SELECT rowid FROM docs WHERE docs MATCH ? AND {keep} ORDER BY {RANK} LIMIT 20", (match, excluded)
        ).fetchall()
        ids = [row[0] for row in db.execute(f"SELECT rowid FROM docs WHERE docs MATCH ? AND {keep}", (match, excluded))]
    else:
        lat, lon = origin
        dlat, dlon = 5.05 / 110.574, 5.05 / (110.574 * math.cos(math.radians(lat + 0.05)))
        rows = db.execute(
            f"SELECT docs.rowid, meta.lat, meta.lon FROM docs JOIN meta ON meta.id = docs.rowid "
            f"WHERE docs MATCH ? AND {keep} AND meta.lat BETWEEN ? AND ? AND meta.lon BETWEEN ? AND ? "
            f"AND EXISTS (SELECT 1 FROM json_each(meta.category) WHERE value = ?) ORDER BY {RANK}",
            (match, excluded, lat - dlat, lat + dlat, lon - dlon, lon + dlon, category),
        ).fetchall()
        ids = [rowid for rowid, la, lo in rows if distance(origin, (la, lo)) <= 5]
        top = ids[:20]
    facets = db.execute(FACET_SQL, (json.dumps(ids),)).fetchall()
    return len(ids), top, facets


# -- memory ----------------------------------------------------------------------------------


def peak_rss_mb(pid="self"):
    """Return the peak resident memory of a process in MB (VmHWM), None when it cannot be read."""
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    if pid == "self":
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return None


def reset_peak_rss():
    """Start this process's peak resident memory again from its current size (Linux 4.0+)."""
    try:
        with open("/proc/self/clear_refs", "w", encoding="ascii") as clear:
            clear.write("5")
    except OSError:
        pass


def megabytes(value):
    return "n/a" if value is None else f"{value:,.0f} MB"


# -- the engines -----------------------------------------------------------------------------


# Ids every search leaves out (--exclude), as the app leaves out its long-unchecked listings.
EXCLUDED: frozenset[str] = frozenset()


def excluded_ids(docs, count: int, seed=SEED) -> frozenset[str]:
    """Return `count` ids of the documents drawn at random (deterministic)."""
    return frozenset(random.Random(seed + 2).sample([doc["id"] for doc in docs], min(count, len(docs))))


def search_query(text, origin, category, distance):
    """Return the SearchQuery of a bench query: 20 per page; "near" adds 5 km and a category."""
    if origin is None:
        return SearchQuery(text=text, per_page=20, exclude_ids=EXCLUDED)
    return SearchQuery(
        text=text,
        origin=origin,
        radius_km=5,
        distance=distance,
        filters={"category": [category]},
        per_page=20,
        exclude_ids=EXCLUDED,
    )


OPEN_SLOT = 3 * 96 + 40  # Thursday 10:00, counted (not filtered) as the app does


def dir_size(path):
    return sum(os.path.getsize(os.path.join(root, f)) for root, _, files in os.walk(path) for f in files)


class WhooshEngine:
    """The Whoosh backend with its index in a temporary folder."""

    name = "whoosh"

    def __init__(self, folder, distance):
        self.path = os.path.join(folder, "index")
        self.distance = distance
        self.backend = create_backend("whoosh", path=self.path)

    def build(self, docs):
        self.backend.rebuild(docs)
        return f"index {dir_size(self.path) / 1e6:.1f} MB"

    def first_search(self):
        return first_search_elsewhere("whoosh", self.path)

    def search(self, text, origin, category):
        return self.backend.search(search_query(text, origin, category, self.distance), OPEN_SLOT).total

    def close(self):
        pass


class Fts5Engine:
    """Plain SQLite FTS5 in memory: no stemming, compounds or typos, so its hit counts differ."""

    name = "fts5"

    def __init__(self, distance):
        self.distance = distance
        self.db = None

    def build(self, docs):
        self.db, _ = build_fts(docs)
        return "in memory"

    def first_search(self):
        started = time.perf_counter()
        fts_search(self.db, "mantelzorg", None, None, self.distance)
        return {"first_ms": (time.perf_counter() - started) * 1000, "where": "in this process, after the build"}

    def search(self, text, origin, category):
        total, _, _ = fts_search(self.db, text, origin, category, self.distance)
        return total

    def close(self):
        self.db.close()


class PostgresEngine:
    """The postgres backend in a schema of its own, on one connection (so its server process is known)."""

    name = "postgres"

    def __init__(self, url, distance):
        from sqlalchemy import create_engine, text
        from sqlalchemy.orm import Session

        from sociale_kaart.search import postgres_backend

        self.url, self.distance, self.text = url, distance, text
        self.engine = create_engine(url, pool_size=1, max_overflow=0)
        with self.engine.begin() as connection:
            postgres_backend.create_tables(connection)
            self.server_pid = connection.execute(text("SELECT pg_backend_pid()")).scalar_one()
        self.session = Session(self.engine)
        self.backend = create_backend("postgres", session=self.session)

    def build(self, docs):
        self.backend.rebuild(docs)
        peak = self.server_peak()
        started = time.perf_counter()
        with self.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.execute(self.text(f"VACUUM ANALYZE {', '.join(TABLES)}"))  # as autovacuum does soon after
            size = connection.execute(
                self.text(
                    "SELECT sum(pg_total_relation_size(c.oid)) FROM pg_class AS c WHERE c.relname = ANY(:tables) "
                    "AND c.relnamespace = to_regnamespace(current_schema())"
                ),
                {"tables": list(TABLES)},
            ).scalar_one()
        return (
            f"then VACUUM ANALYZE {time.perf_counter() - started:.1f} s; tables and indexes {int(size) / 1e6:.1f} MB, "
            f"server process peak {megabytes(peak)}"
        )

    def server_peak(self):
        return peak_rss_mb(self.server_pid)

    def first_search(self):
        return first_search_elsewhere("postgres", self.url)

    def search(self, text, origin, category):
        return self.backend.search(search_query(text, origin, category, self.distance), OPEN_SLOT).total

    def close(self):
        self.session.close()
        self.engine.dispose()


def first_search_elsewhere(engine, location):
    """Return the first and second search of a fresh Python process that opens the index."""
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    # `-c` rather than this file: a script's own folder comes first on sys.path, where a bench
    # named like a standard module would hide it.
    code = f"import sys; sys.path.insert(0, {root!r}); from bench.search import main; main()"
    output = subprocess.run(
        [sys.executable, "-c", code, "--first-search", engine, location], check=True, capture_output=True, text=True
    ).stdout
    return json.loads(output.strip().splitlines()[-1])


def first_search(engine, location):
    """Open an index as a new worker does and time its first two searches (after the imports)."""
    started = time.perf_counter()
    if engine == "whoosh":
        backend = create_backend("whoosh", path=location)
    else:
        from sqlalchemy import create_engine
        from sqlalchemy.orm import Session

        backend = create_backend("postgres", session=Session(create_engine(location)))
    timings = []
    for text in ("mantelzorg", "vervoer ouderen"):
        backend.search(SearchQuery(text=text, per_page=20), OPEN_SLOT)
        timings.append((time.perf_counter() - started) * 1000)
        started = time.perf_counter()
    return {"first_ms": timings[0], "second_ms": timings[1], "where": "a new process"}


# -- the run ---------------------------------------------------------------------------------


CLASSES = ("one word", "two words", "typo", "near")


def run_size(engines, docs, queries, loads, passes=2):
    """Build every engine, then run the queries with the engines taking turns; return the figures.

    The load average is added to `loads` before the queries and after them.
    """
    figures = {}
    for engine in engines:
        reset_peak_rss()
        started, cpu = time.perf_counter(), time.process_time()
        note = engine.build(docs)
        figures[engine.name] = {
            "build": (time.perf_counter() - started, time.process_time() - cpu),
            "note": note,
            "build_peak": peak_rss_mb(),
            "first": engine.first_search(),
            "passes": [[] for _ in range(passes)],
        }
    loads.append(load_average())
    for number in range(passes):  # the second pass finds the caches (term postings, pages) warm
        for i, (kind, text, origin, category) in enumerate(queries):
            turn = i % len(engines)  # each engine goes first equally often
            for engine in engines[turn:] + engines[:turn]:
                started, cpu = time.perf_counter(), time.thread_time()
                total = engine.search(text, origin, category)
                wall, used = (time.perf_counter() - started) * 1000, (time.thread_time() - cpu) * 1000
                figures[engine.name]["passes"][number].append((kind, wall, used, total))
    loads.append(load_average())
    for engine in engines:
        if isinstance(engine, PostgresEngine):
            figures[engine.name]["server_peak"] = engine.server_peak()
    return figures


# -- report ----------------------------------------------------------------------------------


def percentile(values, p):
    values = sorted(values)
    return values[min(len(values) - 1, max(0, math.ceil(p / 100 * len(values)) - 1))]


def summary(timings, kind=None):
    """Return wall p50, p95, max, CPU p95 (this thread) in ms, and the median hit count."""
    rows = [row for row in timings if kind is None or row[0] == kind]
    wall = [ms for _, ms, _, _ in rows]
    cpu = [ms for _, _, ms, _ in rows]
    return (
        percentile(wall, 50),
        percentile(wall, 95),
        max(wall),
        percentile(cpu, 95),
        statistics.median(total for _, _, _, total in rows),
    )


def load_average():
    return " ".join(f"{value:.2f}" for value in os.getloadavg())


def report(size, figures, distance_name, loads):
    print(f"\n== {size:,} services (distance: {distance_name}), {', '.join(figures)} taking turns query by query ==")
    print(f"load average (1, 5, 15 min) before the builds {loads[0]}, before the queries {loads[1]}, after {loads[2]}")
    for name, figure in figures.items():
        first = figure["first"]
        second = f", second {first['second_ms']:.0f} ms" if "second_ms" in first else ""
        print(
            f"{name:<9} build {figure['build'][0]:6.1f} s (CPU here {figure['build'][1]:5.1f} s), {figure['note']}; "
            f"peak RSS of this process while building {megabytes(figure['build_peak'])}; "
            f"first search ({first['where']}) {first['first_ms']:.0f} ms{second}"
        )
        if "server_peak" in figure:
            print(f"{'':<9} PostgreSQL server process peak RSS after the queries {megabytes(figure['server_peak'])}")
    print(
        "milliseconds; p50/p95/max are wall time, cpu95 is the p95 of this thread's CPU time "
        "(less noisy on a shared machine; PostgreSQL's own CPU is not in it)"
    )
    names = list(figures)
    for number, label in enumerate(("first pass", "second pass (caches warm)")):
        print(f"-- {label}")
        print(
            f"{'class':<10} "
            + " | ".join(f"{name + ' p50':>13} {'p95':>7} {'max':>7} {'cpu95':>6} {'hits':>6}" for name in names)
            + ("" if names[0] != "whoosh" or len(names) < 2 else " | " + " ".join(f"{n}/whoosh p95" for n in names[1:]))
        )
        for kind in (*CLASSES, None):
            rows = {name: summary(figures[name]["passes"][number], kind) for name in names}
            line = f"{kind or 'all':<10} " + " | ".join(
                f"{r[0]:13.2f} {r[1]:7.2f} {r[2]:7.2f} {r[3]:6.2f} {r[4]:6.0f}" for r in rows.values()
            )
            if names[0] == "whoosh" and len(names) > 1:
                line += " | " + " ".join(f"{rows[n][1] / rows['whoosh'][1]:{len(n) + 11}.2f}" for n in names[1:])
            print(line)


def make_engines(names, folder, distance, url):
    engines = []
    for name in names:
        if name == "whoosh":
            engines.append(WhooshEngine(folder, distance))
        elif name == "fts5":
            engines.append(Fts5Engine(distance))
        else:
            engines.append(PostgresEngine(url, distance))
    return engines


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="2000,50000", help="corpus sizes, comma-separated")
    parser.add_argument("--services", type=int, help="one corpus of this size (instead of --sizes)")
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--distance", choices=("haversine", "geo"), default="haversine")
    parser.add_argument(
        "--backend",
        default="whoosh,fts5",
        help="engines taking turns, comma-separated: whoosh, fts5, postgres (the first is the one the "
        "ratios compare with when it is whoosh)",
    )
    parser.add_argument(
        "--database-url",
        help="PostgreSQL for postgres (a schema of its own is made and dropped; default: "
        "SOCIALE_KAART_TEST_DATABASE_URL or the local server)",
    )
    parser.add_argument(
        "--exclude",
        type=int,
        default=0,
        help="ids every search leaves out, drawn at random, as the app leaves out its long-unchecked listings "
        "(default 0)",
    )
    parser.add_argument("--first-search", nargs=2, metavar=("ENGINE", "WHERE"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.first_search:
        print(json.dumps(first_search(*args.first_search)))
        return
    names = [name.strip() for name in args.backend.split(",") if name.strip()]
    unknown = sorted(set(names) - {"whoosh", "fts5", "postgres"})
    if unknown or not names or len(set(names)) != len(names):
        parser.error(f"--backend takes whoosh, fts5 and postgres, each once (not {args.backend!r})")
    sizes = [args.services] if args.services else [int(s) for s in args.sizes.split(",") if s.strip()]
    distance, distance_name = pick_distance(args.distance)
    queries = make_queries(args.queries)
    started = time.perf_counter()
    global EXCLUDED
    for size in sizes:
        docs = generate(size)
        EXCLUDED = excluded_ids(docs, args.exclude)
        folder = tempfile.mkdtemp(prefix="sk-bench-")
        with ExitStack() as stack:
            stack.callback(shutil.rmtree, folder, ignore_errors=True)
            url = None
            if "postgres" in names:
                url = stack.enter_context(postgres_schema(database_url(args.database_url), "search"))
            engines = make_engines(names, folder, distance, url)
            for engine in engines:
                stack.callback(engine.close)
            loads = [load_average()]
            figures = run_size(engines, docs, queries, loads)
        report(size, figures, distance_name, loads)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"\ntotal {time.perf_counter() - started:.0f} s, peak RSS of this process {peak:.0f} MB")


if __name__ == "__main__":
    main()
