"""SearchBackend on PostgreSQL full-text search: the index is a table in the app's database (issue #16).

Documents are analysed in Python by `analysis`, the same stems Whoosh indexes, and stored as a
weighted tsvector (name A; organisation, categories and keywords B; summary C; description D),
with a GIN index. They are written in the caller's transaction (`transactional`):
directory/indexing.py writes them just before the commit of the change, so every server sees a
change the moment it is committed. Each document's words are kept apart (`search_spellings`),
so that a search does not read them. Statement triggers keep the spelling vocabulary
(`search_words`), the number of documents of each stem and of all documents (`search_terms`, the
empty stem: for the idf) in step. A rebuild loads the documents with COPY and counts once.

A search of text alone (no filter or place; excluded ids allowed) is answered from bitsets and postings
("bitsets" below): the counts, facets and the soft AND's tier are bit operations on a bitset of
each stem, facet code and open slot, and the page is scored from the best documents of each stem
only, as many as it takes to be sure of it. Any other search is one SQL statement (a second one
only when a misspelled word found nothing) that reads each matching document once, into a CTE kept
in memory (`SEARCH_SETTINGS`), and takes the counts, the facets and the page from there; facets are
counted by adding one number a document ("facet lanes" below), not code by code. Both give the
same results (the bench's 200 queries: totals, facets, open counts, hits, scores, suggestions).
The same documents match as in the Whoosh backend; scores are `ts_rank` with the field weights
times each stem's idf, summed over a word's alternatives as the Whoosh backend sums BM25F, so the
order within a tier may differ. "Bedoelde u ...?" reads the vocabulary words with the same first
two letters and a length within reach, and applies the Whoosh backend's edit distance. Tables:
`create_tables()` (with `db.create_all()`) and migrations 0008, 0018, 0025 and 0026.

A radius is a bounding box, as ranges of `lat` and `lon` on a B-tree index, and then the WGS84
distance of `geo.distance_km`, written in SQL, so both engines keep the same services within a
radius. Which words a result needs is decided by the text and filters alone (#11); with a radius,
"at least k of the words" probes find that on the GIN index, so only the documents in the box are
read. Not PostGIS `geography` + GiST, as issue #16 proposed, and no longer a GiST index on
point(lon, lat): PostgreSQL estimates a point-in-box test at a fixed 0.1 % of the rows, so the
planner read the box through the GiST index even when it held half the listings (50,000 bench
listings, a 5 km box with 23,000 of them, text and a category: 50 ms; with lat/lon ranges, which it
estimates from the column statistics, it chose the GIN indexes of text and category: 24 ms).
PostGIS estimates from statistics of its own, but it is an extension the image, CI and every
developer's database would need, and it could only be the pre-filter: the distance has to be
geo.distance_km's for both engines to keep the same listings.
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
import threading
from collections.abc import Callable, Iterable
from contextlib import contextmanager, nullcontext, suppress
from dataclasses import dataclass
from functools import lru_cache
from itertools import combinations
from typing import Any

import psycopg
from psycopg import Pipeline
from psycopg.rows import dict_row
from sqlalchemy import DDL, Column, Float, Index, Integer, MetaData, Numeric, Table, Text, event, func, text
from sqlalchemy.dialects import postgresql
from sqlalchemy.engine import Connection
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, scoped_session

from . import analysis, whoosh_backend
from .base import FACETS, SLOTS_PER_WEEK, SearchBackend, SearchError, SearchHit, SearchQuery, SearchResult

log = logging.getLogger(__name__)

# Bump when the table layout or the way documents are written changes: a database whose
# documents were written another way (or with other lexicon / synonym data) is rebuilt.
SCHEMA_VERSION = 5  # 3: the municipality facet (issue #20); 4: the words in search_spellings (#16); 5: bitsets
# The text fields of a document by tsvector weight; ts_rank's weights follow the Whoosh
# backend's field weights (name 3, organisation / categories / keywords 2, summary 1.5, rest 1).
WEIGHT_CLASSES = (
    ("A", ("name",)),
    ("B", ("organization", "category_labels", "keywords")),
    ("C", ("summary",)),
    ("D", ("description",)),
)
RANK_WEIGHTS = "{" + ",".join(f"{w / 3.0:.7f}" for w in (1.0, 1.5, 2.0, 3.0)) + "}"  # D, C, B, A
MAX_POSITION = 16383  # PostgreSQL keeps tsvector positions up to here
MAX_POSITIONS = 256  # ... and this many positions of one lexeme
LANE_DIGITS = 8  # decimal digits of a facet code's lane (see "facet lanes")
BATCH = 500  # documents per INSERT statement (one trigger run each)
LOCK_TIMEOUT = "10s"  # a rebuild waits this long for rows another transaction is writing
REBUILD_LOCK = 0x5EA6C4  # pg_advisory_xact_lock key: one rebuild at a time
WRITE_LOCK = 0x5EA6C5  # pg_advisory_xact_lock key: one writer of documents at a time (see "bitsets")
COMMON = 1000  # documents of a stem that gets a bitset and postings (search_state 'common' overrides)
BIT_STEP = 1024  # the bitsets' length is a multiple of this
# The number of documents, for the idf: kept by the trigger as the empty stem's count; counted
# only in a database whose documents were written before migration 0016 added it.
COUNT_ALL = "(SELECT count(*) FROM search_documents)"
# A search keeps its matching documents in memory rather than in a temporary file (40,000
# matches take about 12 MB; the default 4 MB wrote and read them from disk), and is never
# compiled by JIT: at 100,000 documents the big searches' estimates (40,000-60,000) come near
# the default threshold (100,000), and JIT, forced on, spent 57-74 ms compiling each of them and
# made them slower (issue #16). And it is planned for its own values every time: psycopg prepares
# a statement run five times, and PostgreSQL then tries a generic plan, blind to how many
# documents the words, the filters and the box keep (near searches went from 25 to 88 ms).
# Its pages are priced as read from memory (random_page_cost 1.1, not 4), where the search tables
# are: at 4 the planner read all 50,000 documents and tested each with @@ (whose cost it takes for
# that of an addition) rather than the GIN index's 10,000 matches ("maaltijden": 49 -> 33 ms).
# They last until the end of the search's own transaction (set_config's `true`: SET LOCAL).
SEARCH_SETTINGS = (
    "SELECT set_config('work_mem', '64MB', true), set_config('jit', 'off', true), "
    "set_config('plan_cache_mode', 'force_custom_plan', true), set_config('random_page_cost', '1.1', true)"
)
DEPTH, MAX_DEPTH = 200, 12_800  # postings of each stem a bitset search reads first, and at most
MAX_PROBES = 40  # "at least k of the words" tsqueries that find the soft AND's tier before a radius
# Below this many documents the one statement answers a text-only search faster than the bitsets (most stems are
# rare there, and a rare stem's bitset is made from the GIN index for each search). bench/search.py --backend postgres
# --exclude 50, p50 of all queries: 2,000 services 4.4 ms as one statement against 6.1 ms from the bitsets;
# 10,000: 7.1 against 4.0 ms (p95 20.6 against 8.1 ms); 50,000: 37.2 against 10.8 ms.
BITSETS_FROM = 5_000
# geo.distance_km within 0.3 degrees: the WGS84 radii of curvature at the mean latitude
AXIS_KM, FLATTENING = 6378.137, 1 / 298.257223563
ECCENTRICITY2 = FLATTENING * (2 - FLATTENING)


# -- the tables -----------------------------------------------------------------------------------

metadata = MetaData()

documents_table = Table(
    "search_documents",
    metadata,
    Column("id", Text, primary_key=True),
    Column("service_id", Integer),
    Column("sort_name", Text, nullable=False),
    Column("document", postgresql.TSVECTOR, nullable=False),
    Column("codes", postgresql.ARRAY(Text), nullable=False),  # "facet:code"
    Column("facet_lanes", Numeric, nullable=False),  # the codes but the areas, to count them (see "facet lanes")
    Column("area_lanes", Numeric, nullable=False),  # the area codes, likewise
    Column("open_hours", postgresql.BIT(SLOTS_PER_WEEK), nullable=False),
    Column("lat", Float(precision=53)),
    Column("lon", Float(precision=53)),
    Column("docno", Integer, nullable=False),  # its bit in search_bitsets; set by the trigger (see "bitsets")
)
Index("ix_search_documents_docno", documents_table.c.docno, unique=True)
Index("ix_search_documents_document", documents_table.c.document, postgresql_using="gin")
Index("ix_search_documents_codes", documents_table.c.codes, postgresql_using="gin")
Index("ix_search_documents_place", documents_table.c.lat, documents_table.c.lon)

# The words of each document, for the vocabulary of "Bedoelde u ...?": a table of their own, so
# that a search, which reads every matching row of search_documents, does not read them too (they
# were much of each row: the table 97 -> 71 MB at 50,000 documents; issue #16).
spellings_table = Table(
    "search_spellings",
    metadata,
    Column("id", Text, primary_key=True),  # the document's
    Column("words", postgresql.ARRAY(Text), nullable=False),
    Column("folded_words", postgresql.ARRAY(Text), nullable=False),  # analysis.fold of each
)

codes_table = Table(
    "search_codes",
    metadata,
    Column("code", Text, primary_key=True),  # "facet:code"
    Column("lane", Integer, nullable=False, unique=True),  # its digits in facet_lanes or area_lanes; kept
)

words_table = Table(
    "search_words",
    metadata,
    Column("word", Text, primary_key=True),
    Column("folded", Text, nullable=False),
    Column("documents", Integer, nullable=False),  # documents using the word; 0 rows are left
)
Index("ix_search_words_bucket", func.left(words_table.c.folded, 2), func.length(words_table.c.folded))
Index("ix_search_words_folded", words_table.c.folded)

terms_table = Table(
    "search_terms",
    metadata,
    Column("stem", Text, primary_key=True),
    Column("documents", Integer, nullable=False),  # documents having the stem (for its idf)
)

# -- bitsets ---------------------------------------------------------------------------------------
# A word in most documents ("mantelzorg": 35,822 of 50,000) made the one statement read, rank and
# count every one of them, ~110 ms however it was written (issue #16). So each document has a
# dense number (`docno`, the next free one, given by a trigger; a rebuild numbers them 0..n-1), and
# `search_bitsets` has a bit string with bit n set for document n, for every facet code, every
# open slot and every stem in at least COMMON documents. The matches of a word are then ORs and
# ANDs of its alternatives' stems, the total and each facet's count a bit_count(), in 2-3 ms for
# "mantelzorg" and all its facets (a rare stem's bitset is made from the GIN index at search time).
# The page needs the scores of only a few: `search_postings` holds each common stem's documents
# grouped by their ts_rank, best first, and a search reads the best groups of each of its stems
# (the threshold algorithm: a document in none of them scores at most as the next groups' ranks
# allow) and reads deeper only when that bound does not yet settle the page's last hit; scored as
# the one statement scores them, they come out the same. Grouped by rank, not a row a posting:
# 1.9 million rows at 50,000 documents took 11-21 s more to insert into their B-tree in a rebuild,
# 2,534 groups take 3 s. Every length is the same (search_state 'bits', grown a quarter at a time
# by the trigger), so the bitsets combine. The statement trigger on search_documents keeps them in
# step with each write; writers take WRITE_LOCK first (one at a time), so the bitsets they rewrite
# never deadlock and a docno is never given twice. Measured (bench.search, 50,000 services, the
# old and the new code one after the other): p95 102 -> 24 ms (Whoosh 34-36 ms); at 100,000
# 195 -> 45 ms, the bulk load 31 -> 41 s; a change of one document costs ~17 ms in the trigger.
bitsets_table = Table(
    "search_bitsets",
    metadata,
    Column("kind", Text, primary_key=True),  # "stem", "code" or "slot"
    Column("key", Text, primary_key=True),  # the stem, the "facet:code", the slot number
    Column("bits", postgresql.BIT(varying=True), nullable=False),  # bit n: the document of docno n has it
)
postings_table = Table(
    "search_postings",
    metadata,
    Column("stem", Text, primary_key=True),  # a common stem (one with a bitset)
    Column("rank", postgresql.REAL, primary_key=True),  # ts_rank(RANK_WEIGHTS, document, stem)
    Column("documents", Integer, nullable=False),  # how many docnos
    Column("docnos", postgresql.ARRAY(Integer), nullable=False),  # the documents of that stem and rank
)

state_table = Table(
    "search_state",
    metadata,
    Column("key", Text, primary_key=True),
    Column("value", Text, nullable=False),
)

# One run per INSERT / UPDATE / DELETE statement counts the words (of search_spellings) or the
# stems (of search_documents) of the changed documents in or out. A write changes the spellings
# first, then the documents, so that two writers lock the rows of both tables in the same order;
# the empty stem counts the documents (the idf's N; an UPDATE leaves it), locked last.
# A rebuild (the setting sociale_kaart.search_rebuild on) counts everything once at its end.


def _keys(table: str) -> str:
    """Return SQL for (kind, key, docno): the bitsets of each document of a transition table."""
    return (
        f"SELECT 'code' AS kind, c.key, d.docno FROM {table} AS d, unnest(d.codes) AS c(key) "
        f"UNION ALL SELECT 'slot', s.slot::text, d.docno FROM {table} AS d, "
        f"generate_series(0, {SLOTS_PER_WEEK - 1}) AS s(slot) WHERE get_bit(d.open_hours, s.slot) = 1 "
        f"UNION ALL SELECT 'stem', s.stem, d.docno FROM {table} AS d, unnest(tsvector_to_array(d.document)) AS s(stem)"
    )


def _groups(table: str) -> str:
    """Return SQL for (stem, rank, docnos): the postings of the documents of a transition table."""
    return (
        f"SELECT s.stem, ts_rank('{RANK_WEIGHTS}', d.document, search_lexeme(s.stem)) AS rank, "
        f"array_agg(d.docno ORDER BY d.docno) AS docnos "
        f"FROM {table} AS d, unnest(tsvector_to_array(d.document)) AS s(stem) "
        "WHERE EXISTS (SELECT 1 FROM search_bitsets AS b WHERE b.kind = 'stem' AND b.key = s.stem) GROUP BY 1, 2"
    )


def bit_size_sql(wanted: str, size: str) -> str:
    """Return SQL for bit_size()."""
    return f"(greatest({wanted}, {size} + {size} / 4) + {BIT_STEP - 1}) / {BIT_STEP} * {BIT_STEP}"


def bit_size(wanted: int, size: int = 0) -> int:
    """Return the bitsets' new length: room for `wanted` documents and a quarter more than now."""
    return (max(wanted, size + size // 4) + BIT_STEP - 1) // BIT_STEP * BIT_STEP


COUNT_FUNCTION = f"""
CREATE OR REPLACE FUNCTION search_count() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    size int;
    wanted int;
    common int;
    new_stem text;
BEGIN
    IF current_setting('sociale_kaart.search_rebuild', true) = 'on' THEN
        RETURN NULL;
    END IF;
    PERFORM pg_advisory_xact_lock({WRITE_LOCK});
    IF TG_OP = 'INSERT' THEN
        INSERT INTO search_terms AS t (stem, documents)
        SELECT s.stem, count(*) FROM added, unnest(tsvector_to_array(added.document)) AS s(stem)
        GROUP BY s.stem ORDER BY s.stem
        ON CONFLICT (stem) DO UPDATE SET documents = t.documents + EXCLUDED.documents;
        INSERT INTO search_terms AS t (stem, documents) SELECT '', count(*) FROM added HAVING count(*) > 0
        ON CONFLICT (stem) DO UPDATE SET documents = t.documents + EXCLUDED.documents;
    ELSIF TG_OP = 'DELETE' THEN
        INSERT INTO search_terms AS t (stem, documents)
        SELECT s.stem, -count(*) FROM removed, unnest(tsvector_to_array(removed.document)) AS s(stem)
        GROUP BY s.stem ORDER BY s.stem
        ON CONFLICT (stem) DO UPDATE SET documents = t.documents + EXCLUDED.documents;
        INSERT INTO search_terms AS t (stem, documents) SELECT '', -count(*) FROM removed HAVING count(*) > 0
        ON CONFLICT (stem) DO UPDATE SET documents = t.documents + EXCLUDED.documents;
    ELSE
        INSERT INTO search_terms AS t (stem, documents)
        SELECT stem, sum(delta) FROM (
            SELECT s.stem, 1 AS delta FROM added, unnest(tsvector_to_array(added.document)) AS s(stem)
            UNION ALL
            SELECT s.stem, -1 FROM removed, unnest(tsvector_to_array(removed.document)) AS s(stem)
        ) AS changes
        GROUP BY stem HAVING sum(delta) <> 0 ORDER BY stem
        ON CONFLICT (stem) DO UPDATE SET documents = t.documents + EXCLUDED.documents;
    END IF;
    -- the bitsets and postings: the removed documents out, the added ones in (an UPDATE: both)
    size := coalesce((SELECT value::int FROM search_state WHERE key = 'bits'), 0);
    IF TG_OP <> 'INSERT' THEN
        UPDATE search_bitsets AS b SET bits = search_set_bits(b.bits, c.docnos, 0)
        FROM (SELECT k.kind, k.key, array_agg(k.docno) AS docnos FROM ({_keys("removed")}) AS k
              GROUP BY k.kind, k.key) AS c
        WHERE b.kind = c.kind AND b.key = c.key;
        UPDATE search_postings AS p
        SET docnos = CASE WHEN cardinality(g.docnos) = 1 THEN array_remove(p.docnos, g.docnos[1])
                ELSE ARRAY(SELECT n FROM unnest(p.docnos) AS n WHERE n <> ALL(g.docnos)) END,
            documents = p.documents - cardinality(g.docnos)
        FROM ({_groups("removed")}) AS g
        WHERE p.stem = g.stem AND p.rank = g.rank;
    END IF;
    IF TG_OP <> 'DELETE' THEN
        wanted := (SELECT max(docno) + 1 FROM added);
        IF wanted > size THEN
            wanted := {bit_size_sql("wanted", "size")};
            UPDATE search_bitsets SET bits = bits || CAST(repeat('0', wanted - size) AS varbit);
            INSERT INTO search_state AS s (key, value) VALUES ('bits', wanted::text)
            ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value;
            size := wanted;
        END IF;
        INSERT INTO search_bitsets (kind, key, bits)
        SELECT DISTINCT k.kind, k.key, CAST(repeat('0', size) AS varbit) FROM ({_keys("added")}) AS k
        WHERE k.kind <> 'stem' ORDER BY k.kind, k.key
        ON CONFLICT DO NOTHING;
        UPDATE search_bitsets AS b SET bits = search_set_bits(b.bits, c.docnos, 1)
        FROM (SELECT k.kind, k.key, array_agg(k.docno) AS docnos FROM ({_keys("added")}) AS k
              GROUP BY k.kind, k.key) AS c
        WHERE b.kind = c.kind AND b.key = c.key;
        INSERT INTO search_postings AS p (stem, rank, documents, docnos)
        SELECT g.stem, g.rank, cardinality(g.docnos), g.docnos FROM ({_groups("added")}) AS g ORDER BY g.stem, g.rank
        ON CONFLICT (stem, rank) DO UPDATE
        SET docnos = p.docnos || EXCLUDED.docnos, documents = p.documents + EXCLUDED.documents;
        -- a stem that has become common gets its bitset and postings
        common := coalesce((SELECT value::int FROM search_state WHERE key = 'common'), {COMMON});
        FOR new_stem IN
            SELECT t.stem FROM search_terms AS t
            WHERE t.stem IN (SELECT unnest(tsvector_to_array(a.document)) FROM added AS a)
            AND t.documents >= common AND t.stem <> ''
            AND NOT EXISTS (SELECT 1 FROM search_bitsets AS b WHERE b.kind = 'stem' AND b.key = t.stem)
            ORDER BY t.stem
        LOOP
            INSERT INTO search_postings (stem, rank, documents, docnos)
            SELECT new_stem, g.rank, count(*), array_agg(g.docno ORDER BY g.docno)
            FROM (SELECT d.docno, ts_rank('{RANK_WEIGHTS}', d.document, search_lexeme(new_stem)) AS rank
                  FROM search_documents AS d WHERE d.document @@ search_lexeme(new_stem)) AS g
            GROUP BY g.rank;
            INSERT INTO search_bitsets (kind, key, bits)
            VALUES ('stem', new_stem, search_bits(ARRAY(
                SELECT d.docno FROM search_documents AS d WHERE d.document @@ search_lexeme(new_stem)), size));
        END LOOP;
    END IF;
    RETURN NULL;
END
$$
"""
DOCNO_FUNCTION = f"""
CREATE OR REPLACE FUNCTION search_docno() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.docno IS NULL THEN
        PERFORM pg_advisory_xact_lock({WRITE_LOCK});
        NEW.docno := coalesce((SELECT max(docno) + 1 FROM search_documents), 0);
    END IF;
    RETURN NEW;
END
$$
"""
DOCNO_TRIGGER = (
    "CREATE TRIGGER search_docno BEFORE INSERT ON search_documents FOR EACH ROW EXECUTE FUNCTION search_docno()"
)
BIT_FUNCTIONS = (
    """
CREATE OR REPLACE FUNCTION search_set_bits(bits varbit, positions int[], value int) RETURNS varbit
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $$
DECLARE
    position int;
BEGIN
    FOREACH position IN ARRAY positions LOOP
        bits := set_bit(bits, position, value);
    END LOOP;
    RETURN bits;
END
$$
""",
    """
CREATE OR REPLACE FUNCTION search_bits(positions int[], size int) RETURNS varbit
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT search_set_bits(CAST(repeat('0', size) AS varbit), positions, 1)
$$
""",
    # the tsquery of one stem, as _lexeme() writes it
    r"""
CREATE OR REPLACE FUNCTION search_lexeme(stem text) RETURNS tsquery
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT CAST('''' || replace(replace(stem, '\', '\\'), '''', '''''') || '''' AS tsquery)
$$
""",
)
FUNCTIONS = ("search_count", "search_spell_count", "search_docno", "search_set_bits", "search_bits", "search_lexeme")
SPELL_COUNT_FUNCTION = f"""
CREATE OR REPLACE FUNCTION search_spell_count() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF current_setting('sociale_kaart.search_rebuild', true) = 'on' THEN
        RETURN NULL;
    END IF;
    PERFORM pg_advisory_xact_lock({WRITE_LOCK});
    IF TG_OP = 'INSERT' THEN
        INSERT INTO search_words AS v (word, folded, documents)
        SELECT w.word, min(w.folded), count(*)
        FROM added, unnest(added.words, added.folded_words) AS w(word, folded)
        GROUP BY w.word ORDER BY w.word
        ON CONFLICT (word) DO UPDATE SET documents = v.documents + EXCLUDED.documents;
    ELSIF TG_OP = 'DELETE' THEN
        INSERT INTO search_words AS v (word, folded, documents)
        SELECT w.word, min(w.folded), -count(*)
        FROM removed, unnest(removed.words, removed.folded_words) AS w(word, folded)
        GROUP BY w.word ORDER BY w.word
        ON CONFLICT (word) DO UPDATE SET documents = v.documents + EXCLUDED.documents;
    ELSE
        INSERT INTO search_words AS v (word, folded, documents)
        SELECT word, min(folded), sum(delta) FROM (
            SELECT w.word, w.folded, 1 AS delta
            FROM added, unnest(added.words, added.folded_words) AS w(word, folded)
            UNION ALL
            SELECT w.word, w.folded, -1
            FROM removed, unnest(removed.words, removed.folded_words) AS w(word, folded)
        ) AS changes
        GROUP BY word HAVING sum(delta) <> 0 ORDER BY word
        ON CONFLICT (word) DO UPDATE SET documents = v.documents + EXCLUDED.documents;
    END IF;
    RETURN NULL;
END
$$
"""


def _count_triggers(table: str, prefix: str, function: str) -> tuple[str, ...]:
    return (
        f"CREATE TRIGGER {prefix}_insert AFTER INSERT ON {table} "
        f"REFERENCING NEW TABLE AS added FOR EACH STATEMENT EXECUTE FUNCTION {function}()",
        f"CREATE TRIGGER {prefix}_update AFTER UPDATE ON {table} "
        f"REFERENCING OLD TABLE AS removed NEW TABLE AS added FOR EACH STATEMENT EXECUTE FUNCTION {function}()",
        f"CREATE TRIGGER {prefix}_delete AFTER DELETE ON {table} "
        f"REFERENCING OLD TABLE AS removed FOR EACH STATEMENT EXECUTE FUNCTION {function}()",
    )


COUNT_TRIGGERS = _count_triggers("search_documents", "search_count", "search_count")
SPELL_COUNT_TRIGGERS = _count_triggers("search_spellings", "search_spell_count", "search_spell_count")
# What a rebuild counts at its end, in place of the trigger.
RECOUNT = (
    "DELETE FROM search_words",
    "INSERT INTO search_words (word, folded, documents) SELECT w.word, min(w.folded), count(*) "
    "FROM search_spellings, unnest(words, folded_words) AS w(word, folded) GROUP BY w.word",
    "DELETE FROM search_terms",
    "INSERT INTO search_terms (stem, documents) SELECT s.stem, count(*) "
    "FROM search_documents, unnest(tsvector_to_array(document)) AS s(stem) GROUP BY s.stem",
    "INSERT INTO search_terms (stem, documents) SELECT '', count(*) FROM search_documents",
)
# Every search reads `document` (and `codes`) of each matching row: kept in the row (compressed
# when large) rather than in the TOAST table, whence each use would fetch it again (issue #16).
KEEP_IN_ROW = "ALTER TABLE search_documents ALTER COLUMN document SET STORAGE MAIN, ALTER COLUMN codes SET STORAGE MAIN"
event.listen(documents_table, "after_create", DDL(KEEP_IN_ROW))
for _function in (*BIT_FUNCTIONS, COUNT_FUNCTION, DOCNO_FUNCTION):
    event.listen(documents_table, "after_create", DDL(_function))
for _trigger in (*COUNT_TRIGGERS, DOCNO_TRIGGER):
    event.listen(documents_table, "after_create", DDL(_trigger))
event.listen(
    documents_table,
    "after_drop",
    DDL(
        "DROP FUNCTION IF EXISTS search_count(), search_docno(), search_bits(int[], int), "
        "search_set_bits(varbit, int[], int), search_lexeme(text)"
    ),
)
# Bitsets and postings are read whole and rewritten by every write: kept uncompressed (a change of
# one document: 74 -> 17 ms at 50,000 documents, most of it compressing the postings again).
event.listen(bitsets_table, "after_create", DDL("ALTER TABLE search_bitsets ALTER COLUMN bits SET STORAGE EXTERNAL"))
event.listen(
    postings_table, "after_create", DDL("ALTER TABLE search_postings ALTER COLUMN docnos SET STORAGE EXTERNAL")
)
event.listen(spellings_table, "after_create", DDL(SPELL_COUNT_FUNCTION))
for _trigger in SPELL_COUNT_TRIGGERS:
    event.listen(spellings_table, "after_create", DDL(_trigger))
event.listen(spellings_table, "after_drop", DDL("DROP FUNCTION IF EXISTS search_spell_count()"))


def index_format() -> str:
    """Return the stamp of documents this code writes: table version and analysis data."""
    digest = hashlib.sha256()
    for name in ("lexicon.txt", "synonyms.csv", "needless.txt"):
        digest.update(analysis.data_text(name).encode("utf-8"))
    return f"pg{SCHEMA_VERSION}-{digest.hexdigest()[:16]}"


def create_tables(connection: Connection) -> None:
    """Create the search tables that are missing; an index created empty is current."""
    metadata.create_all(connection, checkfirst=True)
    stamp_empty_index(connection)


def stamp_empty_index(connection: Connection) -> None:
    """Mark an empty index as made by this code (its format): there is nothing in it to rebuild."""
    connection.execute(
        text(
            "INSERT INTO search_state (key, value) SELECT 'format', :format "
            "WHERE NOT EXISTS (SELECT 1 FROM search_documents) ON CONFLICT (key) DO NOTHING"
        ),
        {"format": index_format()},
    )


def _create_with_app_tables(target, connection, **kw) -> None:
    if connection.dialect.name == "postgresql":
        create_tables(connection)


def create_with(app_metadata: MetaData) -> None:
    """Create the search tables whenever the app's tables are created on PostgreSQL (create_all)."""
    if not event.contains(app_metadata, "after_create", _create_with_app_tables):
        event.listen(app_metadata, "after_create", _create_with_app_tables)


# -- documents ------------------------------------------------------------------------------------


@lru_cache(maxsize=100_000)
def _lexeme(stem: str) -> str:
    return "'" + stem.replace("\\", "\\\\").replace("'", "''") + "'"


def _tsvector(found: dict[str, list[str]]) -> str:
    """Return the tsvector literal of _stem_positions()."""
    return " ".join(f"{_lexeme(stem)}:{','.join(positions)}" for stem, positions in found.items())


def _stem_positions(fields: dict) -> dict[str, list[str]]:
    """Return the analysed stems of a document's text fields, each with its weighted positions ("3A")."""
    found: dict[str, list[str]] = {}
    offset = 0
    analyze = analysis.default_analysis().analyze
    for label, names in WEIGHT_CLASSES:
        for name in names:
            value = fields.get(name)
            pairs = analyze(value) if value else ()
            for position, stem in pairs:
                positions = found.get(stem)
                if positions is None:
                    positions = found[stem] = []
                if len(positions) < MAX_POSITIONS:
                    positions.append(f"{min(offset + position + 1, MAX_POSITION)}{label}")
            if pairs:
                offset += pairs[-1][0] + 1
    return found


def _open_hours(ranges) -> str:
    bits = bytearray(b"0" * SLOTS_PER_WEEK)
    for first, last in ranges:
        bits[first : last + 1] = b"1" * (last - first + 1)
    return bits.decode("ascii")


def document_row(doc: dict) -> dict:
    """Return the search_documents values of a document dict (the Whoosh backend's reading of it)."""
    fields = whoosh_backend.document_fields(doc)
    words = [w for w in fields["words"].decode("utf-8").split("\n") if w]
    service_id = fields.get("service_id")
    codes = list(fields.get("codes", ()))
    stems = _stem_positions(fields)
    return {
        "id": fields["id"],
        "service_id": service_id
        if isinstance(service_id, int) and not isinstance(service_id, bool) and -(2**31) <= service_id < 2**31
        else None,
        "sort_name": fields["sort_name"],
        "document": _tsvector(stems),
        "stems": list(stems),  # for the bitsets of a rebuild
        "slots": fields["slots"],
        "codes": codes,
        "open_hours": _open_hours(fields["slots"]),
        "lat": fields.get("lat"),
        "lon": fields.get("lon"),
        "words": words,
        "folded_words": [analysis.fold(w) for w in words],
    }


def _prepare(docs: Iterable[dict]) -> list[dict]:
    """Convert documents, keeping the last one of each id, in id order (the order rows are locked)."""
    by_id = {}
    for doc in docs:
        row = document_row(doc)
        by_id[row["id"]] = row
    return [by_id[key] for key in sorted(by_id)]


_COLUMNS = (
    "id",
    "service_id",
    "sort_name",
    "document",
    "codes",
    "facet_lanes",
    "area_lanes",
    "open_hours",
    "lat",
    "lon",
)
_INSERT = text(f"""
INSERT INTO search_documents ({", ".join(_COLUMNS)})
SELECT r.id, r.service_id, r.sort_name, CAST(r.document AS tsvector), r.codes, CAST(r.facet_lanes AS numeric),
       CAST(r.area_lanes AS numeric), CAST(r.open_hours AS bit({SLOTS_PER_WEEK})), r.lat, r.lon
FROM jsonb_to_recordset(CAST(:rows AS jsonb)) AS r(
    id text, service_id integer, sort_name text, document text, codes text[], facet_lanes text, area_lanes text,
    open_hours text, lat double precision, lon double precision)
ON CONFLICT (id) DO UPDATE SET {", ".join(f"{c} = EXCLUDED.{c}" for c in _COLUMNS[1:])}
""")
_SPELLING_COLUMNS = ("id", "words", "folded_words")
_INSERT_SPELLINGS = text("""
INSERT INTO search_spellings (id, words, folded_words)
SELECT r.id, r.words, r.folded_words
FROM jsonb_to_recordset(CAST(:rows AS jsonb)) AS r(id text, words text[], folded_words text[])
ON CONFLICT (id) DO UPDATE SET words = EXCLUDED.words, folded_words = EXCLUDED.folded_words
""")
_LANES = text("SELECT code, lane FROM search_codes WHERE code = ANY(CAST(:codes AS text[]))")
_NEW_LANES = text("""
INSERT INTO search_codes (code, lane)
SELECT m.code, (SELECT coalesce(max(lane) + 1, 0) FROM search_codes) + m.n - 1
FROM unnest(CAST(:codes AS text[])) WITH ORDINALITY AS m(code, n)
""")


# -- facet lanes ----------------------------------------------------------------------------------
# Counting every facet code of 40,000 matching documents one by one (unnest, GROUP BY) took most
# of a search's time (issue #16). So each code has a lane: 8 decimal digits of a number, lane k
# worth 10^(8k), and a document stores the sum of its codes' lanes; one sum() over the matches then
# counts every code with one addition a document, each lane holding its code's count (up to
# 99,999,999). A numeric keeps only the digits from its highest to its lowest lane, so the areas
# (hundreds in a country, handed out as they come) have a number of their own (`area_lanes`) and
# do not lengthen that of the other codes (`facet_lanes`).


def _is_area(code: str) -> bool:
    return code.startswith("area:")


def _lanes(execute, codes: set[str]) -> dict[str, int]:
    """Return the lane of each code, giving new codes the next free lanes (lanes are never reused)."""
    wanted = {"codes": sorted(codes)}
    lanes = dict(execute(_LANES, wanted).all())
    missing = sorted(codes - lanes.keys())
    if missing:
        # One writer at a time hands out lanes; readers do not wait. It sees the lanes other
        # writers committed while it waited, and adds only the codes still missing.
        execute(text("LOCK TABLE search_codes IN SHARE ROW EXCLUSIVE MODE"))
        lanes = dict(execute(_LANES, wanted).all())
        missing = sorted(codes - lanes.keys())
        execute(_NEW_LANES, {"codes": missing})
        lanes = dict(execute(_LANES, wanted).all())
    return lanes


def _lane_sum(codes: Iterable[str], lanes: dict[str, int]) -> str:
    return str(sum(10 ** (LANE_DIGITS * lanes[code]) for code in set(codes)))


def lane_counts(total: str | None, codes_by_lane: dict[str, str]) -> dict[str, int]:
    """Return {code: count} of a sum of facet_lanes or area_lanes (decimal text; None: no documents)."""
    digits, counts = total or "0", {}
    for lane, end in enumerate(range(len(digits), 0, -LANE_DIGITS)):
        count = int(digits[max(0, end - LANE_DIGITS) : end])
        if count:
            counts[codes_by_lane[str(lane)]] = count
    return counts


def _add_lanes(execute, rows: list[dict]) -> None:
    lanes = _lanes(execute, {code for row in rows for code in row["codes"]}) if rows else {}
    for row in rows:
        row["facet_lanes"] = _lane_sum((code for code in row["codes"] if not _is_area(code)), lanes)
        row["area_lanes"] = _lane_sum(filter(_is_area, row["codes"]), lanes)


def _write(execute, rows: list[dict]) -> None:
    """Add or replace documents in the caller's transaction, BATCH a statement (spellings first)."""
    _add_lanes(execute, rows)
    for start in range(0, len(rows), BATCH):
        batch = rows[start : start + BATCH]
        spellings = [{column: row[column] for column in _SPELLING_COLUMNS} for row in batch]
        execute(_INSERT_SPELLINGS, {"rows": json.dumps(spellings, ensure_ascii=False)})
        documents = [{column: row[column] for column in _COLUMNS} for row in batch]
        execute(_INSERT, {"rows": json.dumps(documents, ensure_ascii=False)})


def _lock(execute) -> None:
    """Wait for the other writers of documents (see "bitsets"), before locking any row."""
    execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": WRITE_LOCK})


def _copy(connection, rows: list[dict]) -> None:
    """Write documents into the emptied tables with COPY (a rebuild's bulk load): no JSON, no conflicts.

    Then their bitsets and postings, which the trigger leaves to a rebuild.
    """
    import psycopg

    driver = connection.connection.driver_connection
    if isinstance(driver, psycopg.Connection):
        for docno, row in enumerate(rows):
            row["docno"] = docno
        _add_lanes(connection.execute, rows)
        for table, columns in (("search_spellings", _SPELLING_COLUMNS), ("search_documents", (*_COLUMNS, "docno"))):
            with driver.cursor() as cursor, cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row([row[column] for column in columns])
    else:  # another driver: the INSERT statements, and the numbers the trigger gave
        _write(connection.execute, rows)
        docnos = dict(connection.execute(text("SELECT id, docno FROM search_documents")).all())
        for row in rows:
            row["docno"] = docnos[row["id"]]
    size = bit_size(max((row["docno"] + 1 for row in rows), default=0))
    common = connection.execute(
        text(f"SELECT coalesce((SELECT value::int FROM search_state WHERE key = 'common'), {COMMON})")
    ).scalar_one()
    bitsets = _bitsets(rows, common, size)
    if isinstance(driver, psycopg.Connection):
        with driver.cursor() as cursor, cursor.copy("COPY search_bitsets (kind, key, bits) FROM STDIN") as copy:
            for bitset in bitsets:
                copy.write_row(bitset)
    else:
        for bitset in bitsets:
            connection.execute(
                text("INSERT INTO search_bitsets (kind, key, bits) VALUES (:kind, :key, CAST(:bits AS varbit))"),
                dict(zip(("kind", "key", "bits"), bitset, strict=True)),
            )
    connection.execute(
        text(
            "INSERT INTO search_postings (stem, rank, documents, docnos) "
            "SELECT g.stem, g.rank, count(*), array_agg(g.docno ORDER BY g.docno) FROM ("
            "SELECT s.stem, ts_rank(CAST(:weights AS float4[]), d.document, search_lexeme(s.stem)) AS rank, d.docno "
            "FROM search_documents AS d, unnest(tsvector_to_array(d.document)) AS s(stem) "
            "WHERE s.stem = ANY(CAST(:stems AS text[]))) AS g GROUP BY g.stem, g.rank"
        ),
        {"weights": RANK_WEIGHTS, "stems": sorted(key for kind, key, _ in bitsets if kind == "stem")},
    )
    connection.execute(
        text(
            "INSERT INTO search_state (key, value) VALUES ('bits', :size) "
            "ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value"
        ),
        {"size": str(size)},
    )


def _bitsets(rows: list[dict], common: int, size: int) -> list[tuple[str, str, str]]:
    """Return (kind, key, bits as text) of every code, open slot and common stem the documents have."""
    counts: dict[str, int] = {}
    for row in rows:
        for stem in row["stems"]:
            counts[stem] = counts.get(stem, 0) + 1
    width = size // 8
    found: dict[tuple[str, str], bytearray] = {}
    slots = [bytearray(width) for _ in range(SLOTS_PER_WEEK)]
    for row in rows:
        docno = row["docno"]
        byte, mask = docno >> 3, 0x80 >> (docno & 7)
        keys = [("code", code) for code in row["codes"]]
        keys += [("stem", stem) for stem in row["stems"] if counts[stem] >= common]
        for key in keys:
            bits = found.get(key)
            if bits is None:
                bits = found[key] = bytearray(width)
            bits[byte] |= mask
        for first, last in row["slots"]:
            for slot in range(first, last + 1):
                slots[slot][byte] |= mask
    found.update((("slot", str(slot)), bits) for slot, bits in enumerate(slots) if any(bits))
    return [(kind, key, format(int.from_bytes(bits, "big"), f"0{size}b")) for (kind, key), bits in found.items()]


# -- queries --------------------------------------------------------------------------------------


class _Params(dict):
    """Bind parameters of one statement: `params(value)` returns the placeholder of a new one (psycopg's)."""

    def __call__(self, value, cast: str | None = None) -> str:
        name = f"p{len(self)}"
        self[name] = value
        return f"CAST(%({name})s AS {cast})" if cast else f"%({name})s"


class _Reader:
    """Runs a search's statements on a pooled connection's psycopg connection, each in one round trip (#17).

    Each statement runs in a transaction of its own with the search settings: BEGIN, SEARCH_SETTINGS, the
    statement and COMMIT are sent at once (psycopg's pipeline mode) and answered at once; through SQLAlchemy
    they were four round trips a search, each waited for, and the row went through SQLAlchemy's result layer
    (a results page on PostgreSQL spent 1.5 ms of its 7 ms of the worker's CPU there). The statements are the
    search's own SQL with psycopg's placeholders; nothing else runs on this connection while it is lent.
    """

    def __init__(self, connection: Connection):
        # the pool's connection is in autocommit: psycopg sends no BEGIN of its own
        pg = connection.connection.driver_connection
        assert isinstance(pg, psycopg.Connection), "the PostgreSQL search needs the psycopg driver"
        self._pg: psycopg.Connection = pg

    def one(self, sql: str, params: dict) -> dict[str, Any]:
        """Return the one row of a statement, its columns by name."""
        pg = self._pg
        try:
            with pg.cursor(row_factory=dict_row) as cursor:
                with pg.pipeline() if Pipeline.is_supported() else nullcontext():
                    pg.execute("BEGIN")
                    pg.execute(SEARCH_SETTINGS)
                    cursor.execute(sql, params)
                    pg.execute("COMMIT")
                row = cursor.fetchone()
        except BaseException:
            # a failed statement leaves its transaction open (the COMMIT after it was skipped)
            if not pg.closed:
                with suppress(psycopg.Error):  # a broken connection: the error above is the one to report
                    pg.rollback()
            raise
        if row is None:
            raise SearchError("a search statement returned no row")
        return row


def _tsquery(alternatives) -> str:
    """Return tsquery text matching any of the alternatives (each needs all its stems)."""
    return " | ".join("(" + " & ".join(_lexeme(s) for s in alt.stems) + ")" for alt in alternatives)


def _matches(alternatives, column: dict[str, str]) -> str:
    """Return SQL that is true when a document has any alternative (each: all its stems ranked > 0)."""
    return (
        " OR ".join("(" + " AND ".join(f"{column[s]} > 0" for s in alt.stems) + ")" for alt in alternatives) or "false"
    )


def _distance_sql(origin: tuple[float, float], params: _Params) -> str:
    """Return SQL for geo.distance_km (within 0.3 degrees) from the origin to (lat, lon), NULL without."""
    lat0, lon0 = params(origin[0], "float8"), params(origin[1], "float8")
    mean = f"radians((lat + {lat0}) / 2)"
    w = f"(1 - {ECCENTRICITY2!r} * sin({mean}) ^ 2)"
    north = f"radians(lat - {lat0}) * ({AXIS_KM * (1 - ECCENTRICITY2)!r} / {w} ^ 1.5)"
    east = f"radians(lon - {lon0}) * ({AXIS_KM!r} / sqrt({w})) * cos({mean})"
    return f"CASE WHEN lat IS NULL OR lon IS NULL THEN NULL ELSE sqrt(({north}) ^ 2 + ({east}) ^ 2) END"


def _valid_slot(slot) -> bool:
    return isinstance(slot, int) and 0 <= slot < SLOTS_PER_WEEK


@dataclass
class _Answer:
    """What one statement returns."""

    total: int
    text_found: bool  # some document has the words (and the filters), near or not
    has_all: bool
    page: list[list]
    facets: dict[str, int]
    open_count: int
    known: list[bool]
    vocabulary: list[list[list]]
    spelled: list[bool]
    documents: int | None  # in the index (None: a search without words does not read it)


class _Statement:
    """The one statement of a search: matching, soft AND, radius, order, page, facets, counts.

    Each matching document is read once, into `allowed` (its tier, score, distance, and whether
    it is within the radius); the counts, the facets and the page are then read from there (issue
    #16: computing them in separate passes over the table and its tsvectors took most of the time).
    """

    def __init__(self, plan, words, count_open_slot, suspects):
        self.plan, self.words, self.suspects = plan, words, suspects
        self.count_open_slot = count_open_slot
        self.params = _Params()

    def filters(self) -> list[str]:
        """Return the conditions of the filters, the open slot and the excluded ids."""
        plan, params = self.plan, self.params
        where = []
        if plan.filters:
            where.append(f"codes @> {params([f'{f}:{c}' for f, c in plan.filters], 'text[]')}")
        if plan.open_slot is not None:
            where.append(
                f"get_bit(open_hours, {params(plan.open_slot, 'int')}) = 1" if _valid_slot(plan.open_slot) else "false"
            )
        if plan.exclude:
            where.append(f"id <> ALL({params(sorted(plan.exclude), 'text[]')})")
        return where

    def box(self) -> str | None:
        """Return the bounding box of the radius as ranges of lat and lon (None without one).

        Ranges of the (lat, lon) B-tree index, not a box of a GiST index on points: the planner
        estimates a range from the column statistics, and a point in a box always at 0.1 %.
        """
        plan = self.plan
        if plan.origin is None or plan.radius is None:
            return None
        edges = whoosh_backend.bounding_box(plan.origin, plan.radius)
        south, north, west, east = (self.params(edge, "float8") for edge in edges)
        return f"lat BETWEEN {south} AND {north} AND lon BETWEEN {west} AND {east}"

    def probes(self, needed: int) -> list[str] | None:
        """Return tsqueries "at least k of the words" for k = needed .. 1, or None when too many.

        The soft AND keeps documents with `needed` of the words, or fewer when no document has
        that many: the tier is that of the best match anywhere, near or not. With a radius these
        probes find it through the GIN index, so only the documents in the radius are read.
        """
        words = self.words
        if sum(math.comb(len(words), k) for k in range(1, needed + 1)) > MAX_PROBES:
            return None
        each = [f"({_tsquery(w.alternatives)})" for w in words]
        return [
            " | ".join("(" + " & ".join(each[i] for i in chosen) + ")" for chosen in combinations(range(len(words)), k))
            for k in range(needed, 0, -1)
        ]

    def sql(self) -> str:
        plan, params = self.plan, self.params
        words = self.words
        km = _distance_sql(plan.origin, params) if plan.origin is not None else "NULL::float8"
        box = self.box()
        radius = f"km <= {params(plan.radius, 'float8')}" if box else None
        open_slot = self.count_open_slot if plan.open_slot is None else None
        is_open = (
            f"get_bit(open_hours, {params(open_slot, 'int')}) = 1"
            if open_slot is not None and _valid_slot(open_slot)
            else "false"
        )
        ctes = []
        where = self.filters()
        if words:
            # Each stem's rank is computed once per document; a word or alternative matches where
            # its stems' ranks are > 0. The idf comes from search_terms, which the trigger keeps
            # (its empty stem counts the documents), and is computed once per search, not once per
            # matching document (the same float8 either way; 35,822 matches: 118 -> 109 ms).
            stems = list(dict.fromkeys(s for w in words for alt in w.alternatives for s in alt.stems))
            column = {stem: f"r{i}" for i, stem in enumerate(stems)}
            weights = params(RANK_WEIGHTS, "float4[]")
            ranks = ", ".join(
                f"ts_rank({weights}, document, {params(_lexeme(s), 'tsquery')})::float8 AS {column[s]}" for s in stems
            )
            any_word = params(" | ".join(f"({_tsquery(w.alternatives)})" for w in words), "tsquery")
            matched = " + ".join(f"({_matches(w.alternatives, column)})::int" for w in words)
            ctes.append(self.terms(stems))
            needed = max(1, math.ceil(len(words) * whoosh_backend.SOFT_AND_SHARE))
            probes = self.probes(needed) if box and radius else None
            text_where = [f"document @@ {any_word}", *where]
            within = ""
            if probes is not None and box and radius:  # only the documents in the radius are read
                checks = [
                    "EXISTS (SELECT 1 FROM search_documents WHERE "
                    + " AND ".join([f"document @@ {params(probe, 'tsquery')}", *where])
                    + ")"
                    for probe in probes
                ]
                tier = " ".join(f"WHEN {check} THEN {needed - k}" for k, check in enumerate(checks[:-1]))
                ctes.append(
                    f"cut AS MATERIALIZED (SELECT {f'CASE {tier} ELSE 1 END' if tier else '1'} AS needed, "
                    f"{checks[-1]} AS text_found)"
                )
                text_where += [box]
                within, inside = f"WHERE {radius}", "true"
            else:
                inside = f"coalesce({box} AND {radius}, false)" if box else "true"
            score = self.score(stems, column)
            if plan.origin is not None and not plan.by_distance:
                score = f"({score}) / (1 + coalesce(km, 'Infinity'::float8) / {whoosh_backend.DISTANCE_SCALE_KM!r})"
            ctes.append(f"""allowed AS MATERIALIZED (
                SELECT id, sort_name, lat, lon, facet_lanes, area_lanes, open, {matched} AS matched,
                    {score} AS score, km, {inside} AS inside
                FROM (SELECT id, sort_name, lat, lon, facet_lanes, area_lanes, {is_open} AS open, {ranks}, {km} AS km
                      FROM search_documents WHERE {" AND ".join(text_where)} OFFSET 0) AS ranked, terms
                {within})""")
            if probes is None:
                least = f"least({params(needed, 'int')}, coalesce(max(matched), 0))"
                ctes.append(
                    f"cut AS MATERIALIZED (SELECT greatest(1, {least}) AS needed, count(*) > 0 AS text_found "
                    "FROM allowed)"
                )
            has_all = (
                f"coalesce(bool_or(matched = {len(words)}) FILTER (WHERE inside AND matched >= cut.needed), false)"
            )
            known_flags = self.known()
        else:
            near = [*where, *([box] if box else [])]
            ctes.append(f"""allowed AS MATERIALIZED (
                SELECT id, sort_name, lat, lon, facet_lanes, area_lanes, open, 0 AS matched, 0::float8 AS score, km,
                    true AS inside
                FROM (SELECT id, sort_name, lat, lon, facet_lanes, area_lanes, {is_open} AS open, {km} AS km
                      FROM search_documents
                      {"WHERE " + " AND ".join(near) if near else ""} OFFSET 0) AS near
                {"WHERE " + radius if radius else ""})""")
            ctes.append("cut AS MATERIALIZED (SELECT 0 AS needed, EXISTS (SELECT 1 FROM allowed) AS text_found)")
            has_all = "false"
            known_flags = "json_build_array()"
        order = self.order()
        start = (plan.page - 1) * plan.per_page
        found = "inside AND matched >= cut.needed"
        vocabulary, spelled = self.vocabulary()
        return f"""WITH {", ".join(ctes)}
            SELECT counts.*,
                (SELECT coalesce(json_agg(json_build_array(id, score, lat, lon) ORDER BY {order}), '[]')
                 FROM (SELECT id, score, lat, lon, matched, km, sort_name FROM allowed, cut WHERE {found}
                       ORDER BY {order}
                       LIMIT {params(min(plan.per_page, 2**62), "bigint")}
                       OFFSET {params(min(start, 2**62), "bigint")})
                      AS page) AS page,
                (SELECT coalesce(json_object_agg(lane, code), '{{}}') FROM search_codes) AS lane_codes,
                {known_flags} AS known,
                json_build_array({", ".join(vocabulary)}) AS vocabulary,
                json_build_array({", ".join(spelled)}) AS spelled,
                {"(SELECT documents FROM terms)" if words else "NULL"} AS documents
            FROM (SELECT count(*) FILTER (WHERE {found}) AS total, bool_or(cut.text_found) AS text_found,
                         {has_all} AS has_all, count(*) FILTER (WHERE {found} AND open) AS open_count,
                         CAST(sum(facet_lanes) FILTER (WHERE {found}) AS text) AS lanes,
                         CAST(sum(area_lanes) FILTER (WHERE {found}) AS text) AS area_lanes
                  FROM cut LEFT JOIN allowed ON true GROUP BY cut.needed) AS counts"""

    def terms(self, stems: list[str]) -> str:
        """Return the CTE `terms`: each stem's idf (idf0, idf1, ...), from the counts of search_terms."""
        params = self.params
        # (without documents no idf is used, and ln(0) would fail)
        idfs = ", ".join(
            f"CASE WHEN c.n > 0 THEN ln(c.n::float8 / (c.df{i} + 1)) + 1 END AS idf{i}" for i in range(len(stems))
        )
        # and the number of documents, which the backend reads to choose the next search's way (BITSETS_FROM)
        return (
            f"terms AS MATERIALIZED (SELECT {', '.join([*([idfs] if idfs else []), 'c.n AS documents'])} FROM (SELECT "
            + ", ".join(
                [
                    f"greatest(0, coalesce(sum(documents) FILTER (WHERE stem = {params(s, 'text')}), 0)) AS df{i}"
                    for i, s in enumerate(stems)
                ]
                + [f"coalesce(sum(documents) FILTER (WHERE stem = ''), {COUNT_ALL}) AS n"]
            )
            + f" FROM search_terms WHERE stem = ANY({params([*stems, ''], 'text[]')})) AS c)"
        )

    def known(self) -> str:
        """Return a JSON array: for each suspect word, does a document have the word itself, its base or parts?"""
        known = []
        for word in self.suspects:
            alternatives = [alt for alt in word.alternatives if alt.kind in ("word", "base", "compound")]
            known.append(
                f"EXISTS (SELECT 1 FROM search_documents WHERE document @@ "
                f"{self.params(_tsquery(alternatives), 'tsquery')})"
                if alternatives
                else "false"
            )
        return f"json_build_array({', '.join(known)})"

    def score(self, stems: list[str], column: dict[str, str]) -> str:
        """Return the score: for each word, the sum over its matching alternatives (as Whoosh sums)."""
        idf = {stem: f"terms.idf{i}" for i, stem in enumerate(stems)}
        terms = []
        for word in self.words:
            for alt in word.alternatives:
                weight = self.params(alt.weight / len(alt.stems), "float8")
                parts = " + ".join(f"{idf[s]} * {column[s]}" for s in alt.stems)
                terms.append(f"CASE WHEN {_matches([alt], column)} THEN {weight} * ({parts}) ELSE 0 END")
        return " + ".join(terms) or "0"

    def order(self) -> str:
        plan = self.plan
        tail = 'sort_name COLLATE "C", id COLLATE "C"'
        if plan.by_distance:
            return f"km ASC NULLS LAST, score DESC, {tail}"
        if not self.words:
            return tail
        nearest = "km ASC NULLS LAST, " if plan.origin is not None else ""
        return f"matched DESC, score DESC, {nearest}{tail}"

    def vocabulary(self) -> tuple[list[str], list[str]]:
        """Return subqueries for each suspect word: close vocabulary words, and whether it is spelled so."""
        params = self.params
        close, spelled = [], []
        for word in self.suspects:
            limit = analysis.fuzzy_limit(word.folded)
            close.append(
                "(SELECT coalesce(json_agg(json_build_array(word, folded, documents)), '[]') FROM search_words "
                f"WHERE documents > 0 AND left(folded, 2) = {params(word.folded[: analysis.FUZZY_PREFIX], 'text')} "
                f"AND length(folded) BETWEEN {params(len(word.folded) - limit, 'int')} "
                f"AND {params(len(word.folded) + limit, 'int')})"
            )
            forms = params(sorted({word.text, word.folded}), "text[]")
            spelled.append(
                f"EXISTS (SELECT 1 FROM search_words WHERE documents > 0 "
                f"AND (word = ANY({forms}) OR folded = ANY({forms})))"
            )
        return close, spelled

    def run(self, reader: _Reader) -> _Answer:
        row = reader.one(self.sql(), self.params)
        facets = {**lane_counts(row["lanes"], row["lane_codes"]), **lane_counts(row["area_lanes"], row["lane_codes"])}
        return _Answer(
            total=row["total"],
            text_found=row["text_found"],
            has_all=row["has_all"],
            page=row["page"],
            facets=facets,
            open_count=row["open_count"],
            known=list(row["known"]),
            vocabulary=list(row["vocabulary"]),
            spelled=list(row["spelled"]),
            documents=row["documents"],
        )


class _Bitsets(_Statement):
    """A search from bitsets and ranked postings (see "bitsets"); None when it cannot answer.

    It answers a text without filters or place; excluded ids (the long-unchecked listings, which nearly every
    search has) are left out of every bitset. At 50,000 services the text-only searches of bench/search.py took
    p50 10 ms and 8 ms of PostgreSQL's CPU this way, 46 ms and 56 ms as one statement. The counts, the facets and
    the tier come from the bitsets; the page from the best groups of postings of each stem (`depth`
    documents or more), scored as _Statement scores them, once nothing outside them can come before
    the page's last hit (the threshold algorithm); deeper while that is not yet sure. Only those
    with as many of the words as the page's hits must have are scored (two words: 43 -> 32 ms p95).
    """

    @staticmethod
    def applies(plan, words, documents: int | None = None) -> bool:
        """Whether the bitsets can answer, and are the cheaper way for an index of `documents` (None: not known)."""
        if documents is not None and documents < BITSETS_FROM:
            return False
        return bool(words) and not plan.filters and plan.open_slot is None and plan.origin is None

    def prepare(self) -> None:
        words = self.words
        self.stems = list(dict.fromkeys(s for w in words for alt in w.alternatives for s in alt.stems))
        self.needed = max(1, math.ceil(len(words) * whoosh_backend.SOFT_AND_SHARE))
        self.end = (self.plan.page - 1) * self.plan.per_page + self.plan.per_page

    def sql(self, depth: int) -> str:  # type: ignore[override]
        params, words, stems = self.params, self.words, self.stems
        column = {stem: f"r{i}" for i, stem in enumerate(stems)}
        bit = {stem: f"b{i}" for i, stem in enumerate(stems)}
        # A stem without a bitset is rare (see COMMON): its bitset is made from the GIN index. Excluded ids (the
        # long-unchecked listings, nearly always some) are taken out of every stem's bitset, so out of every tier,
        # count and facet, and out of the scope the page is scored from.
        excluded = " & ~excluded.bits" if self.plan.exclude else ""
        stem_bits = ", ".join(
            f"coalesce((SELECT bits FROM search_bitsets WHERE kind = 'stem' AND key = {params(s, 'text')}), "
            f"search_bits(ARRAY(SELECT docno FROM search_documents WHERE document @@ {params(_lexeme(s), 'tsquery')}), "
            f"size.bits)){excluded} AS {bit[s]}"
            for s in stems
        )
        excluded_bits = (
            "excluded AS MATERIALIZED (SELECT search_bits(ARRAY(SELECT docno FROM search_documents "
            f"WHERE id = ANY({params(sorted(self.plan.exclude), 'text[]')})), size.bits) AS bits FROM size),"
            if self.plan.exclude
            else ""
        )
        each = [
            "(" + " | ".join("(" + " & ".join(bit[s] for s in alt.stems) + ")" for alt in w.alternatives) + ")"
            for w in words
        ]
        # at least k of the words, k = 1 .. n
        least = {
            k: " | ".join(
                "(" + " & ".join(each[i] for i in chosen) + ")" for chosen in combinations(range(len(words)), k)
            )
            for k in range(1, len(words) + 1)
        }
        tiers = ", ".join(f"{least[k]} AS a{k}" for k in least)
        needed = " ".join(f"WHEN bit_count(a{k}) > 0 THEN {k}" for k in range(self.needed, 1, -1))
        found = " ".join(f"WHEN {k} THEN a{k}" for k in range(self.needed, 0, -1))
        # The page's hits all have at least k of the words when that many documents do: only those are scored.
        end = params(min(self.end, 2**62), "bigint")
        scope = " ".join(f"WHEN bit_count(a{k}) >= {end} THEN a{k}" for k in range(len(words), self.needed, -1))
        scope = f"CASE {scope} ELSE found END" if scope else "found"
        open_slot = self.count_open_slot
        open_count = (
            f"coalesce((SELECT bit_count(cut.found & bits) FROM search_bitsets WHERE kind = 'slot' "
            f"AND key = {params(str(open_slot), 'text')}), 0)"
            if open_slot is not None and _valid_slot(open_slot)
            else "0"
        )
        weights = params(RANK_WEIGHTS, "float4[]")
        ranks = ", ".join(
            f"ts_rank({weights}, document, {params(_lexeme(s), 'tsquery')})::float8 AS {column[s]}" for s in stems
        )
        matched = " + ".join(f"({_matches(w.alternatives, column)})::int" for w in words)
        order = self.order()
        vocabulary, spelled = self.vocabulary()
        return f"""WITH {self.terms(stems)},
            size AS MATERIALIZED (SELECT coalesce((SELECT value::int FROM search_state WHERE key = 'bits'), 0) AS bits),
            {excluded_bits}
            stems AS MATERIALIZED (SELECT {stem_bits} FROM size{", excluded" if excluded else ""}),
            tiers AS MATERIALIZED (SELECT {tiers} FROM stems),
            cut AS MATERIALIZED (SELECT *, {scope} AS scope FROM (
                SELECT needed, CASE needed {found} END AS found, {", ".join(f"a{k}" for k in least)}
                FROM (SELECT {f"CASE {needed} ELSE 1 END" if needed else "1"} AS needed, * FROM tiers) AS t) AS c),
            groups AS MATERIALIZED (
                SELECT s.i, s.stem, g.rank, g.before < {params(depth, "int")} AS taken
                FROM unnest({params(stems, "text[]")}) WITH ORDINALITY AS s(stem, i),
                LATERAL (SELECT rank, sum(documents) OVER (ORDER BY rank DESC) - documents AS before
                         FROM search_postings WHERE stem = s.stem) AS g),
            lists AS MATERIALIZED (
                SELECT DISTINCT d.docno
                FROM groups AS g JOIN search_postings AS p ON p.stem = g.stem AND p.rank = g.rank,
                    unnest(p.docnos) AS d(docno)
                WHERE g.taken
                UNION  -- a rare stem's documents, all of them
                SELECT d.docno
                FROM unnest({params(stems, "text[]")}, {params([_lexeme(s) for s in stems], "tsquery[]")})
                    AS s(stem, query),
                LATERAL (SELECT docno FROM search_documents WHERE document @@ s.query) AS d
                WHERE NOT EXISTS (SELECT 1 FROM search_bitsets WHERE kind = 'stem' AND key = s.stem)),
            scored AS MATERIALIZED (
                SELECT id, sort_name, {matched} AS matched, {self.score(stems, column)} AS score
                FROM (SELECT id, sort_name, {ranks} FROM search_documents
                      WHERE docno IN (SELECT docno FROM lists, cut WHERE get_bit(cut.scope, docno) = 1) OFFSET 0)
                      AS ranked,
                     terms)
            SELECT cut.needed, bit_count(cut.found) AS total, bit_count(cut.a1) > 0 AS text_found,
                (SELECT documents FROM terms) AS documents,
                bit_count(cut.a{len(words)}) > 0 AS has_all, {open_count} AS open_count,
                bit_count(cut.scope) AS scope,
                (SELECT coalesce(json_object_agg(key, n), '{{}}') FROM (
                    SELECT key, bit_count(cut.found & bits) AS n FROM search_bitsets WHERE kind = 'code') AS c
                 WHERE n > 0) AS facets,
                (SELECT json_agg(rank ORDER BY i) FROM (
                    SELECT s.i, (SELECT max(rank)::float8 FROM groups WHERE groups.i = s.i AND NOT taken) AS rank
                    FROM generate_series(1, {len(stems)}) AS s(i)) AS next) AS next,
                (SELECT json_build_array({", ".join(f"idf{i}" for i in range(len(stems)))}) FROM terms) AS idfs,
                (SELECT count(*) FROM scored WHERE matched >= cut.needed) AS candidates,
                (SELECT coalesce(json_agg(json_build_array(id, score, matched) ORDER BY {order}), '[]')
                 FROM (SELECT * FROM scored WHERE matched >= cut.needed ORDER BY {order}
                       LIMIT {params(min(self.end, 2**62), "bigint")}) AS page) AS page,
                {self.known()} AS known,
                json_build_array({", ".join(vocabulary)}) AS vocabulary,
                json_build_array({", ".join(spelled)}) AS spelled
            FROM cut"""

    def bound(self, next_ranks: list[float | None], idfs: list[float]) -> tuple[int, float]:
        """Return the best tier and score a document outside every list's top could have.

        The score is _Statement.score's with each stem's rank at most that of the first posting
        past the top (none: no other document has the stem), computed in the same order, so it
        is an upper bound in float8 too (rounding is monotonic).
        """
        rank = {s: next_ranks[i] or 0.0 for i, s in enumerate(self.stems)}
        idf = {s: idfs[i] for i, s in enumerate(self.stems)}
        tier, score = 0, None
        for word in self.words:
            possible = False
            for alt in word.alternatives:
                matches = all(rank[s] > 0 for s in alt.stems)
                possible = possible or matches
                term = 0.0
                if matches:
                    parts = idf[alt.stems[0]] * rank[alt.stems[0]]
                    for s in alt.stems[1:]:
                        parts = parts + idf[s] * rank[s]
                    term = (alt.weight / len(alt.stems)) * parts
                score = term if score is None else score + term
            tier += possible
        return tier, score or 0.0

    def run(self, reader: _Reader) -> _Answer | None:  # type: ignore[override]
        self.prepare()
        if sum(math.comb(len(self.words), k) for k in range(1, len(self.words) + 1)) > MAX_PROBES:
            return None
        if self.end > MAX_DEPTH:  # a page that deep reads most matches anyway
            return None
        depth = max(DEPTH, self.end)
        while True:
            self.params = _Params()
            row = reader.one(self.sql(depth), self.params)
            page = row["page"]
            if self.complete(row, depth, page):
                break
            if depth >= MAX_DEPTH:
                return None
            depth *= 4
        start = (self.plan.page - 1) * self.plan.per_page
        return _Answer(
            total=row["total"],
            text_found=row["text_found"],
            has_all=row["has_all"],
            page=[[doc_id, score, None, None] for doc_id, score, _ in page[start : self.end]],
            facets=dict(row["facets"]),
            open_count=row["open_count"],
            known=list(row["known"]),
            vocabulary=list(row["vocabulary"]),
            spelled=list(row["spelled"]),
            documents=row["documents"],
        )

    def complete(self, row, depth: int, page: list[list]) -> bool:
        """Return whether no document outside the lists' tops can come before the page's last hit."""
        next_ranks = row["next"]
        if all(rank is None for rank in next_ranks):
            return True  # every list was read to its end
        if row["candidates"] == row["scope"]:
            return True  # every document that can be on the page is among them
        if len(page) < self.end:
            return False
        _, score, matched = page[self.end - 1]
        tier, bound = self.bound(next_ranks, row["idfs"])
        return matched > tier or (matched >= tier and score > bound)


def _answer(reader: _Reader, plan, words, count_open_slot, suspects, documents: int | None = None) -> _Answer:
    """Answer from the bitsets when they can and it pays, else with the one statement over the matching documents."""
    if _Bitsets.applies(plan, words, documents):
        answer = _Bitsets(plan, words, count_open_slot, suspects).run(reader)
        if answer is not None:
            return answer
    return _Statement(plan, words, count_open_slot, suspects).run(reader)


def _corrections(folded: str, rows: list[list]) -> list[tuple[int, str, str]]:
    """Return up to five (distance, folded, word) of the vocabulary close to a word (as Whoosh does)."""
    best: dict[str, tuple[str, int]] = {}
    for word, other, documents in rows:
        known = best.get(other)
        if known is None or documents > known[1] or (documents == known[1] and word < known[0]):
            best[other] = (word, documents)
    limit = analysis.fuzzy_limit(folded)
    found = []
    for other, (word, frequency) in best.items():
        if other == folded or abs(len(other) - len(folded)) > limit:
            continue
        distance = analysis.edit_distance(folded, other, limit)
        if distance <= limit:
            found.append((distance, -frequency, other, word))
    found.sort()
    return [(distance, other, word) for distance, _, other, word in found[:5]]


# -- the backend ----------------------------------------------------------------------------------


def _stored_format(connection) -> str | None:
    return connection.execute(text("SELECT value FROM search_state WHERE key = 'format'")).scalar()


class PostgresBackend(SearchBackend):
    """The search index as tables in the PostgreSQL database of `session` (a SQLAlchemy session)."""

    transactional = True

    def __init__(self, session: Session | scoped_session[Any], doc_source: Callable[[], Iterable[dict]] | None = None):
        self._session = session
        self._doc_source = doc_source
        self._format = index_format()
        self._checked = False  # the stored format was found current by this process
        # The index's number of documents as the last search with words read it: it only chooses the way the next
        # search takes (BITSETS_FROM), both give the same answer, so another server's change shows a search later.
        self._documents: int | None = None
        self._check_lock = threading.Lock()

    # -- writing (in the caller's transaction) ----------------------------------------------------

    def index(self, docs: Iterable[dict]) -> None:
        rows = _prepare(docs)
        if rows:
            _lock(self._session.execute)
            _write(self._session.execute, rows)

    def delete(self, ids: Iterable[str]) -> None:
        ids = sorted({str(i) for i in ids})
        if ids:
            _lock(self._session.execute)
            for table in ("search_spellings", "search_documents"):  # in the order writers lock them
                self._session.execute(text(f"DELETE FROM {table} WHERE id = ANY(CAST(:ids AS text[]))"), {"ids": ids})

    def rebuild(self, docs: Iterable[dict]) -> int:
        """Replace every document in a transaction of its own; readers see the old ones until it commits."""
        rows = _prepare(docs)
        self._rebuild(rows)
        self._checked = True
        return len(rows)

    def _rebuild(self, rows: list[dict], only_if_stale: bool = False) -> None:
        try:
            with self._engine().begin() as connection:
                connection.execute(text(f"SET LOCAL lock_timeout = '{LOCK_TIMEOUT}'"))
                connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": REBUILD_LOCK})
                if only_if_stale and _stored_format(connection) == self._format:
                    return  # another server rebuilt it while we waited
                self._replace(connection, rows)
        except DBAPIError as error:
            raise SearchError(f"cannot rebuild the search index: {error.orig!r}") from error

    def _replace(self, connection, rows: list[dict]) -> None:
        # Writers wait (readers do not), so that the counts below include every document; the
        # tables are locked in the order writers write them, after the lock writers take first.
        _lock(connection.execute)
        connection.execute(text("LOCK TABLE search_spellings, search_documents IN SHARE ROW EXCLUSIVE MODE"))
        connection.execute(text("SET LOCAL sociale_kaart.search_rebuild = 'on'"))
        for table in ("search_spellings", "search_documents", "search_postings", "search_bitsets"):
            connection.execute(text(f"DELETE FROM {table}"))
        _copy(connection, rows)
        for statement in RECOUNT:
            connection.execute(text(statement))
        connection.execute(text("SET LOCAL sociale_kaart.search_rebuild = 'off'"))
        connection.execute(
            text(
                "INSERT INTO search_state (key, value) VALUES ('format', :format) "
                "ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value"
            ),
            {"format": self._format},
        )

    # -- reading (a connection of its own, so a failure never breaks the caller's transaction) ----

    def _engine(self):
        return self._session.get_bind()

    @contextmanager
    def _reading(self):
        """Lend a connection in autocommit: each statement reads one snapshot, without BEGIN and ROLLBACK."""
        try:
            with self._engine().connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
                yield connection
        except DBAPIError as error:
            raise SearchError(f"the search index cannot be read: {error.orig!r}") from error

    @contextmanager
    def _searching(self):
        """Lend a _Reader: a connection for the statements of a search, each with the search settings."""
        try:
            with self._reading() as connection:
                yield _Reader(connection)
        except psycopg.Error as error:
            raise SearchError(f"the search index cannot be read: {error!r}") from error

    def _ensure_current(self) -> None:
        """Rebuild from doc_source once when the documents were written another way (or never)."""
        if self._checked:
            return
        with self._check_lock:
            if self._checked:
                return
            with self._reading() as connection:
                stored = _stored_format(connection)
            if stored != self._format and self._doc_source is not None:
                # after migration 0008 (empty tables) or a change of analysis data, as Whoosh does
                log.warning(
                    "Search documents in PostgreSQL were written %s; rebuilding them from the database",
                    f"by another version ({stored})" if stored else "by no version yet",
                )
                self._rebuild(_prepare(self._doc_source()), only_if_stale=True)
            self._checked = True

    def warm(self) -> None:
        """Check once that the documents are of this version: the index itself lives in the database."""
        self._ensure_current()

    def count(self) -> int:
        with self._reading() as connection:
            return connection.execute(text("SELECT count(*) FROM search_documents")).scalar_one()

    def check(self) -> bool:
        try:
            with self._reading() as connection:
                stored = _stored_format(connection)
                connection.execute(text("SELECT count(*) FROM search_documents"))
        except SearchError:
            return False
        return stored == self._format

    def search(self, query: SearchQuery, count_open_slot: int | None = None) -> SearchResult:
        plan = whoosh_backend.plan_query(query)  # one home for reading a query (issue #16)
        self._ensure_current()
        dutch = analysis.default_analysis()
        words = plan.words
        suspects = [w for w in words if analysis.fuzzy_limit(w.folded) and not dutch.is_known_word(w.folded)]
        with self._searching() as reader:
            answer = _answer(reader, plan, words, count_open_slot, suspects, self._documents)
            if answer.documents is not None:
                self._documents = answer.documents
            corrections = {}
            for word, known, spelled, close in zip(
                suspects, answer.known, answer.spelled, answer.vocabulary, strict=True
            ):
                if not known and not spelled:
                    found = _corrections(word.folded, close)
                    if found:
                        corrections[word.folded] = found
            used, fuzzy = words, False
            if words and not answer.text_found and corrections:
                fuzzy_words = [
                    dutch.fuzzy_word(w, [c[1] for c in corrections[w.folded]]) if w.folded in corrections else w
                    for w in words
                ]
                second = _answer(reader, plan, fuzzy_words, count_open_slot, [], self._documents)
                if second.text_found:
                    answer, used, fuzzy = second, fuzzy_words, True
        suggestion = None
        if corrections:
            suggestion = " ".join(
                corrections[folded][0][2] if folded in corrections else word
                for word, folded in analysis.words(plan.text)
            )
        hits = [
            SearchHit(doc_id, float(score), self._distance(plan, lat, lon)) for doc_id, score, lat, lon in answer.page
        ]
        facets: dict[str, dict[str, int]] = {facet: {} for facet in FACETS}
        for term, n in answer.facets.items():
            facet, _, code = term.partition(":")
            if facet in facets:
                facets[facet][code] = n
        open_count = answer.open_count if plan.open_slot is None and count_open_slot is not None else None
        return SearchResult(
            hits=hits,
            total=answer.total,
            page=plan.page,
            per_page=plan.per_page,
            pages=-(-answer.total // plan.per_page),
            facets=facets,
            open_count=open_count,
            suggestion=suggestion,
            fuzzy=fuzzy,
            terms=list(dict.fromkeys(s for w in used for s in w.stems)),
            partial=len(used) > 1 and answer.total > 0 and not answer.has_all,
        )

    @staticmethod
    def _distance(plan, lat, lon) -> float | None:
        """Return the caller's distance to a hit (as the Whoosh backend reports it)."""
        if plan.origin is None or lat is None or lon is None:
            return None
        return float(plan.distance(plan.origin, (lat, lon)))
