"""Benchmark the search backend against a plain SQLite FTS5 baseline on synthetic directories.

Run from the project root:

    .venv/bin/python bench/search.py [--sizes 2000,50000] [--queries 200] [--distance haversine|geo]

For every size it generates a deterministic directory (seed 42) of Dutch social-domain services
around the Utrechtse Heuvelrug, builds the Whoosh index in a temporary directory (build time and
size), runs the same mixed queries through ``SearchBackend.search()`` (one word, two words, typo,
and "near": radius 5 km + a category filter; facets and totals are always computed) and through
SQLite FTS5 (in memory, ``unicode61 remove_diacritics 2``, ``bm25`` with the same field weights,
``LIMIT 20``, bbox ``WHERE`` + Python distance filter, facet counts by ``GROUP BY`` over
``json_each``), and prints p50 / p95 / max in milliseconds and the Whoosh / FTS5 ratio. The
first pass includes reading each term's postings once per index generation; a second Whoosh
pass shows the same queries with those caches warm. FTS5 does no stemming, compounds or typo
matching, so its hit counts differ (typos find nothing).

``--distance geo`` uses ``sociale_kaart.geo.distance_km`` (geodesic) when it can be imported;
the default is a plain haversine. The 50,000 build uses ``limitmb=256, procs=1``.
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
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from sociale_kaart.search import FACETS, SearchQuery, create_backend  # noqa: E402

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


# -- Whoosh ----------------------------------------------------------------------------------


def dir_size(path):
    return sum(os.path.getsize(os.path.join(root, f)) for root, _, files in os.walk(path) for f in files)


def run_whoosh(docs, queries, distance, folder):
    backend = create_backend("whoosh", path=os.path.join(folder, "index"))
    started, cpu = time.perf_counter(), time.process_time()
    backend.rebuild(docs)
    build = (time.perf_counter() - started, time.process_time() - cpu)
    size = dir_size(os.path.join(folder, "index"))
    started = time.perf_counter()
    backend.search(SearchQuery(text="warm"))  # first search reads the per-segment arrays
    warm = time.perf_counter() - started
    passes = []
    for _ in range(2):  # the second pass finds every term's postings already cached
        timings, hits = [], []
        for kind, text, origin, category in queries:
            query = SearchQuery(text=text, per_page=20)
            if origin:
                query = SearchQuery(
                    text=text,
                    origin=origin,
                    radius_km=5,
                    distance=distance,
                    filters={"category": [category]},
                    per_page=20,
                )
            started, cpu = time.perf_counter(), time.thread_time()
            result = backend.search(query, count_open_slot=3 * 96 + 40)
            timings.append((kind, (time.perf_counter() - started) * 1000, (time.thread_time() - cpu) * 1000))
            hits.append((kind, result.total))
        passes.append(timings)
    return build, size, warm, passes[0], hits, passes[1]


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
    if origin is None:
        top = db.execute(f"SELECT rowid FROM docs WHERE docs MATCH ? ORDER BY {RANK} LIMIT 20", (match,)).fetchall()
        ids = [row[0] for row in db.execute("SELECT rowid FROM docs WHERE docs MATCH ?", (match,))]
    else:
        lat, lon = origin
        dlat, dlon = 5.05 / 110.574, 5.05 / (110.574 * math.cos(math.radians(lat + 0.05)))
        rows = db.execute(
            f"SELECT docs.rowid, meta.lat, meta.lon FROM docs JOIN meta ON meta.id = docs.rowid "
            f"WHERE docs MATCH ? AND meta.lat BETWEEN ? AND ? AND meta.lon BETWEEN ? AND ? "
            f"AND EXISTS (SELECT 1 FROM json_each(meta.category) WHERE value = ?) ORDER BY {RANK}",
            (match, lat - dlat, lat + dlat, lon - dlon, lon + dlon, category),
        ).fetchall()
        ids = [rowid for rowid, la, lo in rows if distance(origin, (la, lo)) <= 5]
        top = ids[:20]
    facets = db.execute(FACET_SQL, (json.dumps(ids),)).fetchall()
    return len(ids), top, facets


def run_fts(docs, queries, distance):
    db, build = build_fts(docs)
    timings, hits = [], []
    for kind, text, origin, category in queries:
        started, cpu = time.perf_counter(), time.thread_time()
        total, _, _ = fts_search(db, text, origin, category, distance)
        timings.append((kind, (time.perf_counter() - started) * 1000, (time.thread_time() - cpu) * 1000))
        hits.append((kind, total))
    db.close()
    return build, timings, hits


# -- report ----------------------------------------------------------------------------------


def percentile(values, p):
    values = sorted(values)
    return values[min(len(values) - 1, max(0, math.ceil(p / 100 * len(values)) - 1))]


def summary(timings, kind=None):
    """Return wall p50, p95, max and CPU p95 (this thread) in ms."""
    values = [ms for k, ms, _ in timings if kind is None or k == kind]
    cpu = [ms for k, _, ms in timings if kind is None or k == kind]
    return percentile(values, 50), percentile(values, 95), max(values), percentile(cpu, 95)


def report(size, whoosh, fts, distance_name):
    build, index_bytes, warm, w_timings, w_hits, w_second = whoosh
    fts_build, f_timings, f_hits = fts
    print(f"\n== {size:,} services (distance: {distance_name}) ==")
    print(
        f"Whoosh build {build[0]:6.1f} s (CPU {build[1]:.1f} s), index {index_bytes / 1e6:5.1f} MB, "
        f"first search {warm * 1000:.0f} ms | FTS5 build {fts_build:4.1f} s"
    )
    print(
        "milliseconds; p50/p95/max are wall time, cpu95 is the p95 of this thread's CPU time "
        "(less noisy on a shared machine)"
    )
    print(
        f"{'class':<10} {'whoosh p50':>10} {'p95':>7} {'max':>7} {'cpu95':>6} {'hits p50':>8} | "
        f"{'fts5 p50':>8} {'p95':>7} {'max':>7} {'cpu95':>6} {'hits p50':>8} | {'ratio p50':>9} {'p95':>5}"
    )
    for kind in ("one word", "two words", "typo", "near", None):
        w = summary(w_timings, kind)
        f = summary(f_timings, kind)
        wh = statistics.median(h for k, h in w_hits if kind is None or k == kind)
        fh = statistics.median(h for k, h in f_hits if kind is None or k == kind)
        print(
            f"{kind or 'all':<10} {w[0]:10.2f} {w[1]:7.2f} {w[2]:7.2f} {w[3]:6.2f} {wh:8.0f} | "
            f"{f[0]:8.2f} {f[1]:7.2f} {f[2]:7.2f} {f[3]:6.2f} {fh:8.0f} | "
            f"{w[0] / f[0]:9.1f} {w[1] / f[1]:5.1f}"
        )
    second = {kind: summary(w_second, kind) for kind in ("one word", "two words", "typo", "near", None)}
    print(
        "Whoosh, same queries again (term caches warm), p50/p95/max: "
        + "; ".join(f"{kind or 'all'} {v[0]:.1f}/{v[1]:.1f}/{v[2]:.1f}" for kind, v in second.items())
    )


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="2000,50000")
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--distance", choices=("haversine", "geo"), default="haversine")
    args = parser.parse_args(argv)
    distance, distance_name = pick_distance(args.distance)
    queries = make_queries(args.queries)
    started = time.perf_counter()
    for size in (int(s) for s in args.sizes.split(",") if s.strip()):
        docs = generate(size)
        folder = tempfile.mkdtemp(prefix="sk-bench-")
        try:
            whoosh = run_whoosh(docs, queries, distance, folder)
        finally:
            shutil.rmtree(folder, ignore_errors=True)
        fts = run_fts(docs, queries, distance)
        report(size, whoosh, fts, distance_name)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"\ntotal {time.perf_counter() - started:.0f} s, peak RSS {peak:.0f} MB")


if __name__ == "__main__":
    main()
