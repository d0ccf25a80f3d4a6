"""SearchBackend on Whoosh 2.7: an index on disk, or in RAM for tests (the same code path).

Whoosh stores the postings, the statistics and the segments. Matching is set algebra on bitsets
of each stem (read once per segment: segments never change), scores are Whoosh's BM25F computed
for the matching documents only, facet counts are popcounts of bitsets. Query text never goes
through Whoosh's query parser. Research notes: /work/shared/research/perf-sec-a11y-anchors.md §1.
"""

from __future__ import annotations

import ctypes
import hashlib
import heapq
import logging
import math
import os
import shutil
import tempfile
import threading
import time
import uuid
import weakref
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from itertools import compress
from typing import Any

from whoosh import columns, fields
from whoosh import query as wq
from whoosh.analysis import Token, Tokenizer
from whoosh.codec.whoosh3 import W3LeafMatcher
from whoosh.filedb.filestore import FileStorage, RamStorage
from whoosh.index import FileIndex, LockError
from whoosh.matching.wrappers import FilterMatcher

from . import analysis
from .base import (
    FACETS,
    SLOTS_PER_WEEK,
    IndexNotBuilt,
    SearchBackend,
    SearchError,
    SearchHit,
    SearchQuery,
    SearchResult,
)

log = logging.getLogger(__name__)

# BM25F field weights (issue #11): name > organisation > keywords, categories > summary > the rest.
TEXT_FIELDS = {
    "name": 3.0,
    "organization": 2.0,
    "category_labels": 2.0,
    "keywords": 2.0,
    "summary": 1.5,
    "description": 1.0,
}
INDEX_NAME = "MAIN"
# Bump when the schema or the way documents are analysed changes; an on-disk index written by
# another format (or with other lexicon / synonym data) is rebuilt from the database on open.
SCHEMA_VERSION = 3  # 3: the municipality facet (issue #20)
FORMAT_FILE = INDEX_NAME + ".format"
WRITE_TIMEOUT = 10.0  # seconds a writer waits for another process's lock
MAX_PLACES = 512  # places whose listings' distances a snapshot keeps (a few hundred floats each)
TERM_CACHE = 2048  # terms whose postings, bitsets and scores are kept (per segment/generation)
BM25_B, BM25_K1 = 0.75, 1.2  # Whoosh's BM25F defaults
KM_PER_DEGREE = 110.574  # the shortest degree of latitude, so the box is never too small
GRID = 1000  # cells per degree of the lat/lon grid fields
SNAPSHOTS = 3  # index generations whose arrays are kept
SOFT_AND_SHARE = 0.5  # a result matches at least this share of the query's words (rounded up)
DISTANCE_SCALE_KM = 10.0  # with a place, relevance x 1 / (1 + km / scale): 0.5 km 0.95, 7 km 0.59


# -- Whoosh analysis ---------------------------------------------------------------------------


class DutchTokenizer(Tokenizer):
    """Yield the stems of `analysis` (a word and its compound parts share a position)."""

    def __call__(
        self,
        value,
        positions=False,
        chars=False,
        keeporiginal=False,
        removestops=True,
        start_pos=0,
        start_char=0,
        tokenize=True,
        mode="",
        **kwargs,
    ):
        token = Token(positions, chars, removestops=removestops, mode=mode, **kwargs)
        for position, stem in analysis.default_analysis().analyze(value):
            token.text, token.boost, token.stopped = stem, 1.0, False
            if positions:
                token.pos = start_pos + position
            if chars:
                token.startchar = token.endchar = start_char
            yield token


def make_schema() -> fields.Schema:
    """Return the index schema (also passed when opening, so the stored pickle is not read)."""
    spec = {
        "id": fields.ID(stored=True, unique=True),
        "service_id": fields.STORED(),
        "sort_name": fields.STORED(),
        "slots": fields.STORED(),
        "lat": fields.STORED(),
        "lon": fields.STORED(),
        # The unstemmed words (and compound parts) for "Bedoelde u ...?": a column, read only
        # when a query has an unknown word; as postings they would cost 40 % more build time.
        "words": fields.COLUMN(columns.VarBytesColumn()),
        # A 0.001-degree grid is enough for the bounding-box prefilter: one term per cell.
        "lat_grid": fields.NUMERIC(int, bits=32, shift_step=0),
        "lon_grid": fields.NUMERIC(int, bits=32, shift_step=0),
        # Facet codes as stored "facet:code" strings: the bitsets that filter and count are
        # built once per segment from them, so postings (a quarter of the build) are not needed.
        "codes": fields.STORED(),
    }
    for name in TEXT_FIELDS:
        spec[name] = fields.TEXT(analyzer=DutchTokenizer(), phrase=False)
    return fields.Schema(**spec)


# -- documents ---------------------------------------------------------------------------------


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, (list, tuple, set, frozenset)):
        return "\n".join(str(v) for v in value if v is not None)
    return str(value)


def _codes(value) -> list[str]:
    if not value:
        return []
    if isinstance(value, str):
        value = [value]
    codes = [code if isinstance(code, str) else str(code) for code in value if code is not None]
    return list(dict.fromkeys(code for code in map(str.strip, codes) if code))


def _coordinate(value) -> float | None:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def _slot_ranges(slots) -> tuple[tuple[int, int], ...]:
    """Compress open slots to (first, last) runs: a typical week is a handful of runs."""
    values = sorted(set(map(int, slots or ())))
    if values and (values[0] < 0 or values[-1] >= SLOTS_PER_WEEK):
        values = [v for v in values if 0 <= v < SLOTS_PER_WEEK]
    runs: list[list[int]] = []
    for value in values:
        if runs and runs[-1][1] == value - 1:
            runs[-1][1] = value
        else:
            runs.append([value, value])
    return tuple((first, last) for first, last in runs)


def document_fields(doc: dict) -> dict:
    """Return the Whoosh fields of a document dict (missing keys are empty)."""
    if doc.get("id") in (None, ""):
        raise ValueError("a search document needs an id")
    name = _text(doc.get("name"))
    texts = {field: _text(doc.get(field)) for field in TEXT_FIELDS}
    out = {
        "id": str(doc["id"]),
        "service_id": doc.get("service_id"),
        "sort_name": analysis.fold(name).strip(),
        "slots": _slot_ranges(doc.get("open_slots")),
        "words": "\n".join(analysis.default_analysis().spelling_words("\n".join(texts.values()))).encode("utf-8"),
        **{field: text for field, text in texts.items() if text},
    }
    codes = tuple(f"{facet}:{code}" for facet in FACETS for code in _codes(doc.get(facet)))
    if codes:
        out["codes"] = codes
    lat, lon = _coordinate(doc.get("lat")), _coordinate(doc.get("lon"))
    if lat is not None and lon is not None and -90 <= lat <= 90 and -180 <= lon <= 180:
        out["lat"], out["lon"] = lat, lon
        out["lat_grid"], out["lon_grid"] = _grid(lat), _grid(lon)
    return out


def _grid(degrees: float) -> int:
    """Return the 0.001-degree cell (about 100 m) of a coordinate: floor keeps a box exact."""
    return math.floor(degrees * GRID)


def _prepare(docs: Iterable[dict]) -> list[dict]:
    """Convert documents, keeping the last one of each id."""
    by_id: dict[str, dict] = {}
    for doc in docs:
        converted = document_fields(doc)
        by_id.pop(converted["id"], None)
        by_id[converted["id"]] = converted
    return list(by_id.values())


# -- bitsets -----------------------------------------------------------------------------------


def _bits(docnums) -> int:
    """Return an int with bit d set for every docnum d."""
    docnums = list(docnums)
    if not docnums:
        return 0
    buffer = bytearray((max(docnums) >> 3) + 1)
    for d in docnums:
        buffer[d >> 3] |= 1 << (d & 7)
    return int.from_bytes(buffer, "little")


_FLAGS = bytes.maketrans(b"01", b"\x00\x01")


def _members(bits: int) -> list[int]:
    """Return the docnums set in a bitset, ascending (all C loops: format, translate, compress)."""
    if not bits:
        return []
    flags = format(bits, "b")[::-1].encode("ascii").translate(_FLAGS)
    return list(compress(range(len(flags)), flags))


def _read_postings(reader, field: str, text) -> tuple[list[int], list[float]]:
    """Return the docnums and weights of a term in a segment, deleted documents included."""
    # Whole blocks of Whoosh 2.7's W3 posting lists are read at once (ten times faster than
    # stepping the matcher); any other matcher is stepped. Callers AND with the live docs.
    matcher = reader.postings(field, text)
    while isinstance(matcher, FilterMatcher):
        matcher = matcher.child
    ids: list[int] = []
    weights: list[float] = []
    if isinstance(matcher, W3LeafMatcher):
        while matcher.is_active():
            if matcher._ids is None:
                matcher._read_ids()
            if matcher._weights is None:
                matcher._read_weights()
            ids.extend(matcher._ids[matcher._i :])
            weights.extend(matcher._weights[matcher._i :])
            matcher._next_block()
        return ids, weights
    while matcher.is_active():
        ids.append(matcher.id())
        weights.append(matcher.weight())
        matcher.next()
    return ids, weights


def _range_bits(first: int, last: int) -> int:
    return ((1 << (last - first + 1)) - 1) << first


# -- caches over immutable segments and one generation -------------------------------------------


class _Segment:
    """Per-segment arrays, read once: Whoosh segments never change (deletions are per generation)."""

    def __init__(self, reader):
        n = reader.doc_count_all()
        self.n = n
        self.ids: list[str] = []  # every document has an id (document_fields)
        self.names: list[str] = []
        self.lat: list[float | None] = []
        self.lon: list[float | None] = []
        self.hours: list[int] = []
        docs_with: dict[str, list[int]] = {}
        for docnum in range(n):
            stored = reader.stored_fields(docnum)
            for code in stored.get("codes") or ():
                docs_with.setdefault(code, []).append(docnum)
            self.ids.append(stored.get("id"))
            self.names.append(stored.get("sort_name") or "")
            self.lat.append(stored.get("lat"))
            self.lon.append(stored.get("lon"))
            mask = 0
            for first, last in stored.get("slots") or ():
                mask |= _range_bits(first, last)
            self.hours.append(mask)
        self.codes: dict[str, dict[str, int]] = {facet: {} for facet in FACETS}
        for term, docnums in docs_with.items():
            facet, _, code = term.partition(":")
            if facet in self.codes:
                self.codes[facet][code] = _bits(docnums)
        self._words: Counter[str] | None = None
        self._grid: dict[tuple[str, int], int] = {}
        self._terms: dict[tuple[str, str], tuple[int, dict[int, float]]] = {}
        self._lengths: dict[str, list[int]] = {}

    def term(self, field: str, stem: str, reader) -> tuple[int, dict[int, float]]:
        """Return (bitset, {docnum: term frequency}) of a stem in one text field."""
        key = (field, stem)
        found = self._terms.get(key)
        if found is None:
            postings = dict(zip(*_read_postings(reader, field, stem), strict=True)) if key in reader else {}
            found = (_bits(postings), postings)
            if len(self._terms) >= TERM_CACHE:
                self._terms.clear()
            self._terms[key] = found
        return found

    def words(self, reader) -> Counter[str]:
        """Return how many documents of the segment use each word (for corrections)."""
        if self._words is None:
            counts: Counter[str] = Counter()
            if reader.has_column("words"):
                for value in reader.column_reader("words"):
                    if value:
                        counts.update(value.decode("utf-8").split("\n"))
            self._words = counts
        return self._words

    def box(self, south: int, north: int, west: int, east: int, reader) -> int:
        """Return the bitset of documents whose grid cell is inside a box (NumericRange terms)."""
        found = []
        for field, low, high in (("lat_grid", south, north), ("lon_grid", west, east)):
            bits = 0
            cells = wq.NumericRange(field, low, high, constantscore=False)
            for _, cell in cells.simplify(reader).simplify(reader).iter_all_terms():
                key = (field, cell)
                cell_bits = self._grid.get(key)
                if cell_bits is None:
                    # a range narrower than one cell simplifies to a term that may not be indexed
                    # (a radius of metres through the API, issue #5): no documents there
                    cell_bits = self._grid[key] = (
                        _bits(_read_postings(reader, field, cell)[0]) if (field, cell) in reader else 0
                    )
                bits |= cell_bits
            found.append(bits)
        return found[0] & found[1]

    def read_grid(self, reader) -> None:
        """Read the bitset of every grid cell at once (warm start: box() reads them when first asked)."""
        for field in ("lat_grid", "lon_grid"):
            kind = reader.schema[field]
            for encoded in reader.lexicon(field):
                cell = kind.from_bytes(encoded)  # box() asks by number, as NumericRange gives them
                if kind.to_bytes(cell) == encoded and (field, cell) not in self._grid:  # not a coarser tier's term
                    self._grid[field, cell] = _bits(_read_postings(reader, field, cell)[0])

    def lengths(self, field: str, reader) -> list[int]:
        """Return the (Whoosh-quantised) length of a text field for every document."""
        found = self._lengths.get(field)
        if found is None:
            found = self._lengths[field] = [reader.doc_field_length(d, field, 0) for d in range(self.n)]
        return found


class _Snapshot:
    """Arrays of one index generation, shared by all threads: docnum -> id, place, facets."""

    def __init__(self, leaves, segments: list[tuple[_Segment, int]]):
        self.segments = segments
        self.ids: list[str] = []  # every document has an id (document_fields)
        self.names: list[str] = []
        self.lat: list[float | None] = []
        self.lon: list[float | None] = []
        self.hours: list[int] = []
        live = 0
        self.codes: dict[str, dict[str, int]] = {facet: {} for facet in FACETS}
        for (segment, offset), reader in zip(segments, leaves, strict=True):
            assert offset == len(self.ids), "segments must be contiguous"
            self.ids += segment.ids
            self.names += segment.names
            self.lat += segment.lat
            self.lon += segment.lon
            self.hours += segment.hours
            seg_live = (1 << segment.n) - 1
            if reader.has_deletions():
                seg_live &= ~_bits(reader.segment().deleted_docs())
            live |= seg_live << offset
            for facet, codes in segment.codes.items():
                target = self.codes[facet]
                for code, bits in codes.items():
                    target[code] = target.get(code, 0) | (bits << offset)
        self.live = live
        for facet, codes in self.codes.items():
            self.codes[facet] = {code: bits & live for code, bits in codes.items() if bits & live}
        self._stems: dict[str, tuple[int, tuple[str, ...]]] = {}
        self._scores: dict[str, dict[int, float]] = {}
        self._by_name: list[int] | None = None
        self._slots: dict[int, int] = {}
        self._boxes: dict[tuple, int] = {}
        self._docnums: dict[str, int] | None = None
        self._distances_from: dict[tuple, dict[int, float | None]] = {}
        self._vocabulary: dict[str, list[tuple[str, str, int]]] | None = None
        self._spelling: set[str] | None = None

    def stem(self, stem: str, leaves) -> tuple[int, tuple[str, ...]]:
        """Return (bitset of live docs with the stem, text fields having it)."""
        # `leaves` are the calling thread's segment readers: readers are not shared.
        found = self._stems.get(stem)
        if found is None:
            bits, present = 0, []
            for field in TEXT_FIELDS:
                field_bits = 0
                for (segment, offset), reader in zip(self.segments, leaves, strict=True):
                    field_bits |= segment.term(field, stem, reader)[0] << offset
                if field_bits & self.live:
                    bits |= field_bits
                    present.append(field)
            found = (bits & self.live, tuple(present))
            if len(self._stems) >= TERM_CACHE:
                self._stems.clear()
            self._stems[stem] = found
        return found

    def stem_scores(self, stem: str, searcher, leaves) -> dict[int, float]:
        """Return {docnum: sum over text fields of field weight x BM25F} for one stem."""
        # BM25F as Whoosh scores it (its idf, average field length and quantised lengths),
        # computed once per generation instead of by Whoosh's matchers for every query.
        found = self._scores.get(stem)
        if found is None:
            found = {}
            for field in self.stem(stem, leaves)[1]:
                idf = searcher.idf(field, stem)
                average = searcher.avg_field_length(field) or 1.0
                a = TEXT_FIELDS[field] * idf * (BM25_K1 + 1)
                c1, c2 = BM25_K1 * (1 - BM25_B), BM25_K1 * BM25_B / average
                for (segment, offset), reader in zip(self.segments, leaves, strict=True):
                    postings = segment.term(field, stem, reader)[1]
                    if postings:
                        lengths = segment.lengths(field, reader)
                        get = found.get
                        for d, tf in postings.items():
                            score = a * tf / (tf + c1 + c2 * lengths[d])
                            found[d + offset] = get(d + offset, 0.0) + score
            if len(self._scores) >= TERM_CACHE:
                self._scores.clear()
            self._scores[stem] = found
        return found

    def warm(self, leaves) -> None:
        """Load what every search of this generation may need: field lengths, words, grid cells, name order.

        The first search that scored a text field read its lengths for every document (40 ms of a new
        worker's first results page at 2,000 listings, issue #17); terms are still read when first asked.
        """
        for (segment, _offset), reader in zip(self.segments, leaves, strict=True):
            for field in TEXT_FIELDS:
                segment.lengths(field, reader)
            segment.words(reader)
            segment.read_grid(reader)
        self.by_name()

    def distances_from(self, origin, distance) -> dict[int, float | None]:
        """Return {docnum: km} worked out so far from a place with a distance function: a search fills it in.

        Residents search from their village or postcode, a few hundred places a municipality; a search within
        a radius works out the distance of each listing in its box (most of a results page's search, issue #17).
        Kept for the last MAX_PLACES places of this generation."""
        key = (origin, distance)
        found = self._distances_from.get(key)
        if found is None:
            if len(self._distances_from) >= MAX_PLACES:
                self._distances_from.clear()
            found = self._distances_from[key] = {}
        return found

    def by_name(self) -> list[int]:
        """Return all docnums in name order (computed once per generation)."""
        if self._by_name is None:
            names, ids = self.names, self.ids
            self._by_name = sorted(range(len(names)), key=lambda d: (names[d], ids[d] or ""))
        return self._by_name

    def slot(self, slot) -> int:
        """Return the bitset of documents open in a week slot."""
        if not isinstance(slot, int) or not 0 <= slot < SLOTS_PER_WEEK:
            return 0
        found = self._slots.get(slot)
        if found is None:
            found = _bits(d for d, mask in enumerate(self.hours) if mask >> slot & 1) & self.live
            self._slots[slot] = found
        return found

    def box(self, south: float, north: float, west: float, east: float, leaves) -> int:
        """Return the bitset of documents inside a lat/lon box."""
        key = (_grid(south), _grid(north), _grid(west), _grid(east))
        found = self._boxes.get(key)
        if found is None:
            found = 0
            for (segment, offset), reader in zip(self.segments, leaves, strict=True):
                found |= segment.box(*key, reader) << offset
            found &= self.live
            if len(self._boxes) >= 256:
                self._boxes.clear()
            self._boxes[key] = found
        return found

    def docnum(self, doc_id: str) -> int | None:
        if self._docnums is None:
            ids = self.ids
            self._docnums = {ids[d]: d for d in _members(self.live) if ids[d] is not None}
        return self._docnums.get(doc_id)

    def has_spelling(self, word: str, leaves) -> bool:
        if self._spelling is None:
            self._spelling = self._load_vocabulary(leaves)[1]
        return word in self._spelling

    def corrections(self, folded: str, limit: int, leaves, count: int = 5) -> list[tuple[int, str, str]]:
        """Return up to `count` (distance, folded, word) of the vocabulary close to a word."""
        vocabulary = self._vocabulary
        if vocabulary is None:
            vocabulary = self._load_vocabulary(leaves)[0]
        found = []
        for other, word, frequency in vocabulary.get(folded[: analysis.FUZZY_PREFIX], ()):
            if other == folded or abs(len(other) - len(folded)) > limit:
                continue
            distance = analysis.edit_distance(folded, other, limit)
            if distance <= limit:
                found.append((distance, -frequency, other, word))
        found.sort()
        return [(distance, other, word) for distance, _, other, word in found[:count]]

    def _load_vocabulary(self, leaves) -> tuple[dict[str, list[tuple[str, str, int]]], set[str]]:
        """Read the vocabulary of the generation once: (by first letters, every spelling); kept on self."""
        frequencies: Counter[str] = Counter()
        for (segment, _), reader in zip(self.segments, leaves, strict=True):
            frequencies.update(segment.words(reader))
        best: dict[str, tuple[str, int]] = {}
        for word, frequency in frequencies.items():
            folded = analysis.fold(word)
            if folded not in best or frequency > best[folded][1]:
                best[folded] = (word, frequency)
        vocabulary: dict[str, list[tuple[str, str, int]]] = {}
        for folded, (word, frequency) in best.items():
            vocabulary.setdefault(folded[: analysis.FUZZY_PREFIX], []).append((folded, word, frequency))
        spelling = set(frequencies) | set(best)
        self._spelling, self._vocabulary = spelling, vocabulary
        return vocabulary, spelling


# -- where the index lives ---------------------------------------------------------------------


class _Missing(Exception):
    """There is no index yet."""


class _RamStorage(RamStorage):
    """RAM storage whose writers' temporary files go to a folder of its own."""

    # Whoosh's RamStorage uses /tmp/<indexname>.tmp, shared by every process and removed by
    # whichever writer finishes first. A RamStorage cannot hold them: the posting pool writes
    # its sorted runs through raw files, which RamStorage never saves.

    def __init__(self):
        super().__init__()
        self._scratch = tempfile.mkdtemp(prefix="sociale-kaart-search-")
        weakref.finalize(self, shutil.rmtree, self._scratch, ignore_errors=True)

    def temp_storage(self, name=None):
        return FileStorage(os.path.join(self._scratch, name or uuid.uuid4().hex)).create()


class _FileStorage(FileStorage):
    """FileStorage that can close every file it opened."""

    # Whoosh leaves files open when reading a corrupt index fails (the TOC stream, a segment);
    # they are closed before the broken index is dropped (else: ResourceWarning).

    def __init__(self, path):
        super().__init__(path)
        self._opened: weakref.WeakSet[Any] = weakref.WeakSet()

    def open_file(self, name, **kwargs):
        opened = super().open_file(name, **kwargs)
        self._opened.add(opened)
        return opened

    def close_files(self):
        for opened in list(self._opened):
            try:
                opened.close()
            except Exception:  # already closed or half-built: nothing left to release
                pass


def _cancel(writer) -> None:
    """Cancel a writer, releasing its lock; a writer on a broken index may fail doing so."""
    try:
        writer.cancel()
    except Exception:  # the lock file goes with the broken index anyway
        pass


def _close_files(ix) -> None:
    """Close the files of an index that is being dropped after a failure."""
    storage = getattr(ix, "storage", None)
    if isinstance(storage, _FileStorage):
        storage.close_files()


class _RamLocation:
    def __init__(self):
        self.storage = None
        self.version = 0

    def describe(self):
        return "RAM index"

    def identity(self):
        return None if self.storage is None else ("ram", self.version)

    def open(self, schema):
        if self.storage is None:
            raise _Missing()
        return FileIndex(self.storage, schema=schema, indexname=INDEX_NAME)

    def fresh(self):
        return _RamStorage(), None

    def swap(self, storage, handle):
        self.storage = storage
        self.version += 1

    def discard(self, handle):
        pass


def index_format() -> str:
    """Return the format stamp of indexes this code writes: schema version and analysis data."""
    digest = hashlib.sha256()
    for name in ("lexicon.txt", "synonyms.csv", "needless.txt"):
        digest.update(analysis.data_text(name).encode("utf-8"))
    return f"{SCHEMA_VERSION}-{digest.hexdigest()[:16]}"


class _DiskLocation:
    """An index directory; a rebuild goes into a sibling directory that is then swapped in."""

    def __init__(self, path):
        self.path = os.path.abspath(path)
        self.format = index_format()

    def _current_format(self) -> bool:
        try:
            with open(os.path.join(self.path, FORMAT_FILE), encoding="utf-8") as stamp:
                return stamp.read().strip() == self.format
        except OSError:
            return False

    def describe(self):
        return self.path

    def identity(self):
        try:
            stat = os.stat(self.path)
        except OSError:
            return None
        return ("disk", stat.st_dev, stat.st_ino)

    def open(self, schema):
        for attempt in range(3):
            if os.path.isdir(self.path):
                if not any(n.endswith(".toc") for n in os.listdir(self.path)):
                    raise _Missing()
                if not self._current_format():
                    log.warning("Search index %s was written by another version", self.path)
                    raise _Missing()
                storage = _FileStorage(self.path)
                try:
                    return FileIndex(storage, schema=schema, indexname=INDEX_NAME)
                except BaseException:
                    storage.close_files()
                    raise
            time.sleep(0.02 * (attempt + 1))  # maybe between the two renames of a fallback swap
        raise _Missing()

    def fresh(self):
        if os.path.lexists(self.path) and not self._replaceable():
            raise SearchError(f"{self.path} is not a search index; refusing to replace it")
        parent = os.path.dirname(self.path)
        os.makedirs(parent, exist_ok=True)
        folder = f"{self.path}.new-{uuid.uuid4().hex[:12]}"
        os.makedirs(folder)
        with open(os.path.join(folder, FORMAT_FILE), "w", encoding="utf-8") as stamp:
            stamp.write(self.format)
        return FileStorage(folder), folder

    def swap(self, storage, folder):
        if os.path.isdir(self.path):
            try:
                _exchange(folder, self.path)
            except OSError:
                old = f"{self.path}.old-{uuid.uuid4().hex[:12]}"
                os.rename(self.path, old)
                os.rename(folder, self.path)
                folder = old
            # Readers that still have old files open keep them (POSIX); new ones open the new index.
            shutil.rmtree(folder, ignore_errors=True)
        else:
            os.rename(folder, self.path)

    def discard(self, folder):
        shutil.rmtree(folder, ignore_errors=True)

    def _replaceable(self) -> bool:
        """Return True when the path is a folder holding only (remains of) a Whoosh index."""
        # A rebuild deletes the old folder: never one a typo in SEARCH_DIR pointed elsewhere.
        if not os.path.isdir(self.path) or os.path.islink(self.path):
            return False
        return all(name.startswith((INDEX_NAME, "_" + INDEX_NAME)) for name in os.listdir(self.path))


def _exchange(a: str, b: str) -> None:
    """Swap two paths atomically (Linux renameat2 RENAME_EXCHANGE); OSError when unsupported."""
    try:
        renameat2 = ctypes.CDLL(None, use_errno=True).renameat2
    except (AttributeError, OSError) as error:
        raise OSError("renameat2 unavailable") from error
    at_fdcwd, rename_exchange = -100, 2
    if renameat2(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), rename_exchange) != 0:
        errno = ctypes.get_errno()
        raise OSError(errno, os.strerror(errno))


# -- the backend -------------------------------------------------------------------------------


class _CallerError(Exception):
    """The caller's distance function failed; re-raised as is, never a reason to rebuild."""

    def __init__(self, error: Exception):
        super().__init__(error)
        self.error = error


@dataclass
class _Plan:
    text: str
    words: list[analysis.QueryWord]
    filters: list[tuple[str, str]]
    origin: tuple[float, float] | None
    radius: float | None
    distance: Callable | None
    open_slot: int | None
    by_distance: bool
    page: int
    per_page: int
    exclude: frozenset[str]


class WhooshBackend(SearchBackend):
    """Whoosh index at `path` (a directory), or in RAM when path is None."""

    def __init__(
        self,
        path: str | None = None,
        doc_source: Callable[[], Iterable[dict]] | None = None,
        limitmb: int = 256,
        procs: int = 1,
    ):
        self._location = _DiskLocation(path) if path else _RamLocation()
        self._doc_source = doc_source
        self._limitmb, self._procs = limitmb, procs
        self._schema = make_schema()
        self._write_lock = threading.RLock()
        self._cache_lock = threading.Lock()
        self._local = threading.local()
        self._segments: dict[tuple, _Segment] = {}
        self._snapshots: dict[tuple, _Snapshot] = {}

    # -- writing ---------------------------------------------------------------------------------

    def index(self, docs: Iterable[dict]) -> None:
        prepared = _prepare(docs)
        if prepared:
            self._write(lambda writer: [writer.update_document(**f) for f in prepared])

    def delete(self, ids: Iterable[str]) -> None:
        ids = list(dict.fromkeys(str(i) for i in ids))
        if ids:
            self._write(lambda writer: [writer.delete_by_term("id", i) for i in ids])

    def rebuild(self, docs: Iterable[dict]) -> int:
        with self._write_lock:
            return self._rebuild(docs)

    def _rebuild(self, docs) -> int:
        prepared = _prepare(docs)
        storage, handle = self._location.fresh()
        try:
            ix = FileIndex.create(storage, self._schema, INDEX_NAME)
            writer = ix.writer(limitmb=self._limitmb, procs=self._procs)
            try:
                for fields_ in prepared:
                    writer.add_document(**fields_)
            except BaseException:
                writer.cancel()
                raise
            writer.commit()
        except BaseException:
            self._location.discard(handle)
            raise
        self._location.swap(storage, handle)
        self._forget()
        return len(prepared)

    def _write(self, apply) -> None:
        """Apply changes; when the index is not built (and not built here), leave them to its build."""
        try:
            self._write_or_repair(apply)
        except IndexNotBuilt:
            # the change is in the database; `flask search reindex` reads it from there (issue #16)
            log.warning("Search index %s is not built; this change is indexed when it is", self._location.describe())

    def _write_or_repair(self, apply) -> None:
        """Apply changes with one writer and one commit; repair a corrupt index once."""
        with self._write_lock:
            for attempt in range(2):
                ident = self._location.identity()
                ix = writer = None
                try:
                    ix = self._open_index()
                    writer = ix.writer(timeout=WRITE_TIMEOUT, delay=0.05)
                    apply(writer)
                    writer.commit()
                    return
                except LockError as error:
                    raise SearchError("the search index is locked by another writer") from error
                except BaseException as error:
                    if writer is not None:
                        _cancel(writer)
                    if ix is not None:
                        _close_files(ix)
                    if (
                        attempt
                        or self._doc_source is None
                        or not isinstance(error, Exception)
                        or isinstance(error, SearchError)
                    ):
                        if isinstance(error, Exception) and not isinstance(error, SearchError):
                            raise SearchError(f"cannot write the search index: {error!r}") from error
                        raise
                    self._repair(ident, error)

    def _open_index(self):
        """Open the index, building it first when it is missing."""
        try:
            return self._location.open(self._schema)
        except _Missing:
            pass
        with self._write_lock:
            try:
                return self._location.open(self._schema)
            except _Missing:
                if self._doc_source is not None:
                    log.warning(
                        "Search index %s is missing; rebuilding it from the database", self._location.describe()
                    )
                    self._rebuild(self._doc_source())
                else:
                    self._rebuild(())
            return self._location.open(self._schema)

    def _repair(self, ident, error) -> None:
        """Rebuild a corrupt index from doc_source, unless another thread already replaced it."""
        with self._write_lock:
            if self._location.identity() != ident:
                return
            log.warning(
                "Search index %s is unreadable (%r); rebuilding it from the database", self._location.describe(), error
            )
            assert self._doc_source is not None, "only an index with a doc_source is repaired"
            self._rebuild(self._doc_source())

    def _forget(self) -> None:
        with self._cache_lock:
            self._segments.clear()
            self._snapshots.clear()

    # -- reading ---------------------------------------------------------------------------------

    def _acquire(self):
        """Return this thread's searcher (refreshed) and the snapshot of its generation."""
        local = self._local
        ident = self._location.identity()
        searcher = getattr(local, "searcher", None)
        if searcher is None or local.ident != ident or ident is None:
            self._drop_searcher()
            local.ix = self._open_index()
            try:
                searcher = local.ix.searcher()
            except BaseException:
                self._drop_searcher(failed=True)
                raise
            local.ident = self._location.identity()
        else:
            searcher = searcher.refresh()
        local.searcher = searcher
        return searcher, self._snapshot(local.ident, searcher)

    def _drop_searcher(self, failed: bool = False) -> None:
        """Close this thread's searcher; after a failure also every file its index opened."""
        local = self._local
        searcher, ix = getattr(local, "searcher", None), getattr(local, "ix", None)
        local.searcher = None
        if searcher is not None:
            try:
                searcher.close()
            except Exception:  # a broken index may fail to close; it is dropped either way
                pass
        if failed and ix is not None:
            _close_files(ix)
            local.ix = None

    def _snapshot(self, ident, searcher) -> _Snapshot:
        leaves = _leaves(searcher)
        key = (ident, tuple((leaf.segment().segment_id(), leaf.doc_count()) for leaf, _ in leaves))
        snapshot = self._snapshots.get(key)
        if snapshot is not None:
            return snapshot
        with self._cache_lock:
            snapshot = self._snapshots.get(key)
            if snapshot is None:
                segments = []
                for leaf, offset in leaves:
                    seg_key = (ident, leaf.segment().segment_id())
                    segment = self._segments.get(seg_key)
                    if segment is None:
                        segment = self._segments[seg_key] = _Segment(leaf)
                    segments.append((segment, offset))
                snapshot = _Snapshot([leaf for leaf, _ in leaves], segments)
                # Keep the newest few generations: threads refresh at different moments.
                kept = list(self._snapshots.items())[-(SNAPSHOTS - 1) :] + [(key, snapshot)]
                self._snapshots = dict(kept)
                used = {(k[0], segment_id) for k, _ in kept for segment_id, _ in k[1]}
                for seg_key in [k for k in self._segments if k not in used]:
                    del self._segments[seg_key]
            return snapshot

    def _with_index(self, operation):
        """Run a read; reopen once, then rebuild once from doc_source, when the index fails."""
        for attempt in range(3):
            ident = self._location.identity()
            try:
                searcher, snapshot = self._acquire()
                return operation(searcher, snapshot)
            except _CallerError as error:
                raise error.error from None
            except (SearchError, MemoryError):
                raise
            except Exception as error:
                self._drop_searcher(failed=True)
                if attempt == 0:
                    log.info("Search index read failed (%r); reopening", error)
                    continue
                if attempt == 1 and self._doc_source is not None:
                    try:
                        self._repair(ident, error)
                    except Exception as repair_error:
                        raise SearchError("the search index cannot be read or rebuilt") from repair_error
                    self._forget()
                    continue
                raise SearchError(f"the search index cannot be read: {error!r}") from error
        raise AssertionError("unreachable")

    def count(self) -> int:
        return self._with_index(lambda searcher, snapshot: searcher.doc_count())

    def warm(self) -> None:
        self._with_index(lambda searcher, snapshot: snapshot.warm([leaf for leaf, _ in _leaves(searcher)]))

    def check(self) -> bool:
        ix = None
        try:
            ix = self._location.open(self._schema)
            with ix.searcher() as searcher:
                searcher.doc_count()
                for leaf, _ in searcher.reader().leaf_readers():
                    if leaf.doc_count_all():
                        leaf.stored_fields(0)
            return True
        except Exception:  # missing or corrupt: that is the answer, not an error
            if ix is not None:
                _close_files(ix)
            return False

    # -- searching -------------------------------------------------------------------------------

    def search(self, query: SearchQuery, count_open_slot: int | None = None) -> SearchResult:
        plan = plan_query(query)
        return self._with_index(lambda searcher, snapshot: _Search(searcher, snapshot, plan, count_open_slot).run())


def plan_query(query: SearchQuery) -> _Plan:
    """Validate and normalise a query (text is never an error; a bad origin or facet is)."""
    text = query.text if isinstance(query.text, str) else ""
    text = text.replace("\x00", " ")[: analysis.MAX_TEXT]
    filters: list[tuple[str, str]] = []
    for facet, codes in (query.filters or {}).items():
        if facet not in FACETS:
            raise ValueError(f"unknown facet {facet!r}")
        filters.extend((facet, str(code)) for code in _codes(codes))
    origin = None
    if query.origin is not None:
        lat, lon = (_coordinate(v) for v in query.origin)
        if lat is None or lon is None or not -90 <= lat <= 90:
            raise ValueError(f"bad origin {query.origin!r}")
        if query.distance is None:
            raise ValueError("a distance function is required with an origin")
        origin = (lat, lon)
    radius = _coordinate(query.radius_km) if origin is not None else None
    words = analysis.default_analysis().query_words(text)
    try:
        page, per_page = max(1, int(query.page)), max(1, int(query.per_page))
    except (TypeError, ValueError):
        page, per_page = 1, 20
    return _Plan(
        text=text,
        words=words,
        filters=filters,
        origin=origin,
        radius=radius,
        distance=query.distance if origin is not None else None,
        open_slot=query.open_slot,
        by_distance=origin is not None and (query.sort == "distance" or not words),
        page=page,
        per_page=per_page,
        exclude=frozenset(str(i) for i in query.exclude_ids or ()),
    )


def bounding_box(origin: tuple[float, float], radius_km: float) -> tuple[float, float, float, float]:
    """Return (south, north, west, east) degrees of a box holding the circle, with 1 % margin."""
    lat, lon = origin
    reach = max(radius_km, 0.0) * 1.01 + 0.001
    dlat = reach / KM_PER_DEGREE
    south, north = lat - dlat, lat + dlat
    widest = max(abs(south), abs(north))
    if widest >= 89.0:
        return max(south, -90.0), min(north, 90.0), -180.0, 180.0
    dlon = reach / (KM_PER_DEGREE * math.cos(math.radians(widest)))
    if dlon >= 180.0:
        return south, north, -180.0, 180.0
    return south, north, lon - dlon, lon + dlon


class _Search:
    """One search over one snapshot: filters, text (AND, OR, fuzzy), radius, order, facets."""

    def __init__(self, searcher, snapshot: _Snapshot, plan: _Plan, count_open_slot):
        self.searcher, self.snap, self.plan = searcher, snapshot, plan
        self.count_open_slot = count_open_slot
        self.analysis = analysis.default_analysis()
        self.leaves = [leaf for leaf, _ in _leaves(searcher)]
        # the distances from this search's place: kept by the snapshot for its place (see _Snapshot.distances_from)
        self._distances: dict[int, float | None] = (
            snapshot.distances_from(plan.origin, plan.distance) if plan.origin is not None else {}
        )
        self._tiers: list[int] = []
        self._text_bits = 0  # what the text matches before the radius: decides on typo tolerance

    # distances

    def distance(self, docnum: int) -> float | None:
        if docnum in self._distances:
            return self._distances[docnum]
        lat, lon = self.snap.lat[docnum], self.snap.lon[docnum]
        value = None
        if lat is not None and lon is not None:
            distance = self.plan.distance
            assert distance is not None, "plan_query() requires a distance function with an origin"
            try:
                value = float(distance(self.plan.origin, (lat, lon)))
            except Exception as error:
                raise _CallerError(error) from error
        self._distances[docnum] = value
        return value

    def distances(self, docs: list[int]) -> dict[int, float | None]:
        """Work out the distances of many documents at once (as distance() does each; a radius asks hundreds)."""
        known, lat, lon = self._distances, self.snap.lat, self.snap.lon
        origin, distance = self.plan.origin, self.plan.distance
        assert distance is not None, "plan_query() requires a distance function with an origin"
        try:
            for d in docs:
                if d not in known:
                    a, b = lat[d], lon[d]
                    known[d] = None if a is None or b is None else float(distance(origin, (a, b)))
        except Exception as error:
            raise _CallerError(error) from error
        return known

    def _distance_key(self, docnum: int) -> float:
        value = self.distance(docnum)
        return math.inf if value is None else value

    # matching

    def allowed(self) -> int:
        """Return the documents the filters allow, before the radius (see matching)."""
        snap, plan = self.snap, self.plan
        bits = snap.live
        for facet, code in plan.filters:
            bits &= snap.codes[facet].get(code, 0)
        if plan.open_slot is not None:
            bits &= snap.slot(plan.open_slot)
        for doc_id in plan.exclude:
            docnum = snap.docnum(doc_id)
            if docnum is not None:
                bits &= ~(1 << docnum)
        return bits

    def near(self, bits: int) -> int:
        """Return the documents of a bitset in the radius's bounding box (all without a radius)."""
        plan = self.plan
        if plan.origin is not None and plan.radius is not None:
            bits &= self.snap.box(*bounding_box(plan.origin, plan.radius), self.leaves)
        return bits

    def word_bits(self, word: analysis.QueryWord, kinds=None) -> int:
        bits = 0
        for alt in word.alternatives:
            if kinds is not None and alt.kind not in kinds:
                continue
            alt_bits = -1
            for stem in alt.stems:
                alt_bits &= self.snap.stem(stem, self.leaves)[0]
                if not alt_bits:
                    break
            bits |= max(alt_bits, 0)
        return bits

    def tiers(self, words) -> list[int]:
        """Return bitsets: [j] = the docs matching at least j of the words (j = 0 .. len(words))."""
        levels = [-1] + [0] * len(words)
        for count, word in enumerate(words, start=1):
            bits = self.word_bits(word)
            for j in range(count, 0, -1):
                levels[j] |= levels[j - 1] & bits
        return [max(level, 0) for level in levels]

    def matching(self, words, allowed: int) -> tuple[list[int], int]:
        """Return the allowed docs (and bitset) matching enough of the words: a soft AND.

        The text and the filters alone decide which documents match: at least half of the words
        (rounded up), fewer when nothing in the municipality has that many. The place and radius
        only remove far ones afterwards, so a smaller radius never finds more (#11).
        """
        self._tiers = tiers = self.tiers(words)
        needed = max(1, math.ceil(len(words) * SOFT_AND_SHARE))
        while needed > 1 and not tiers[needed] & allowed:
            needed -= 1
        self._text_bits = tiers[needed] & allowed
        return self.within_radius(self.near(self._text_bits))

    def within_radius(self, bits: int) -> tuple[list[int], int]:
        """Return the docs (and bitset) of a bitset that lie within the radius."""
        docs = _members(bits)
        radius = self.plan.radius
        if radius is not None:
            distances = self.distances(docs)
            inside = [d for d in docs if (km := distances[d]) is not None and km <= radius]
            if len(inside) != len(docs):
                # the bitset from the shorter list: the ones inside, or all but the ones outside
                if 2 * len(inside) <= len(docs):
                    return inside, _bits(inside)
                kept = set(inside)
                return inside, bits & ~_bits(d for d in docs if d not in kept)
        return docs, bits

    # corrections

    def misspelled(self) -> dict[str, list[tuple[int, str, str]]]:
        """Return folded word -> close vocabulary words, for words the index does not know."""
        found = {}
        for word in self.plan.words:
            limit = analysis.fuzzy_limit(word.folded)
            if not limit or self.analysis.is_known_word(word.folded):
                continue
            if self.word_bits(word, kinds=("word", "base", "compound")):
                continue
            if self.snap.has_spelling(word.text, self.leaves) or self.snap.has_spelling(word.folded, self.leaves):
                continue
            corrections = self.snap.corrections(word.folded, limit, self.leaves)
            if corrections:
                found[word.folded] = corrections
        return found

    def suggestion(self, corrections) -> str | None:
        if not corrections:
            return None
        out = []
        for word, folded in analysis.words(self.plan.text):
            out.append(corrections[folded][0][2] if folded in corrections else word)
        return " ".join(out)

    # scoring

    def scores(self, words, docs: list[int]) -> dict[int, float]:
        """Return BM25F scores: for each word, the sum over its matching alternatives."""
        scores = dict.fromkeys(docs, 0.0)
        for word in words:
            for alt in word.alternatives:
                parts = [self.snap.stem_scores(stem, self.searcher, self.leaves) for stem in alt.stems]
                weight = alt.weight / len(parts)
                if len(parts) == 1:
                    (part,) = parts
                    if len(part) <= len(scores):
                        for d, value in part.items():
                            if d in scores:
                                scores[d] += weight * value
                    else:
                        get = part.get
                        for d in scores:
                            found = get(d)
                            if found is not None:
                                scores[d] += weight * found
                else:
                    common = scores.keys() & min(parts, key=len).keys()
                    for part in parts:
                        common &= part.keys()
                    for d in common:
                        total = 0.0
                        for part in parts:
                            total += part[d]
                        scores[d] += weight * total
        return scores

    # the search

    def run(self) -> SearchResult:
        plan, snap, words = self.plan, self.snap, self.plan.words
        allowed = self.allowed()
        used, fuzzy, suggestion = words, False, None
        if words:
            docs, bits = self.matching(words, allowed)
            corrections = self.misspelled()
            if not self._text_bits and corrections:
                fuzzy_words = [
                    self.analysis.fuzzy_word(w, [c[1] for c in corrections[w.folded]]) if w.folded in corrections else w
                    for w in words
                ]
                docs, bits = self.matching(fuzzy_words, allowed)
                if self._text_bits:
                    used, fuzzy = fuzzy_words, True
            suggestion = self.suggestion(corrections)
        else:
            docs, bits = self.within_radius(self.near(allowed))
        total = len(docs)
        partial = len(used) > 1 and total > 0 and not (self._tiers[-1] & bits)
        start = (plan.page - 1) * plan.per_page
        end = start + plan.per_page
        page = self.order(docs, bits, used, start, end) if start < total else []
        geo = plan.origin is not None
        hits = [SearchHit(snap.ids[d], float(score), self.distance(d) if geo else None) for d, score in page]
        facets = {
            facet: {code: n for code, code_bits in snap.codes[facet].items() if (n := (code_bits & bits).bit_count())}
            for facet in FACETS
        }
        open_count = None
        if plan.open_slot is None and self.count_open_slot is not None:
            open_count = (snap.slot(self.count_open_slot) & bits).bit_count()
        return SearchResult(
            hits=hits,
            total=total,
            page=plan.page,
            per_page=plan.per_page,
            pages=-(-total // plan.per_page),
            facets=facets,
            open_count=open_count,
            suggestion=suggestion,
            fuzzy=fuzzy,
            terms=list(dict.fromkeys(s for w in used for s in w.stems)),
            partial=partial,
        )

    def order(self, docs, bits, words, start, end) -> list[tuple[int, float]]:
        """Return the (docnum, score) pairs of positions start..end of the ordered results (`bits`: the docs')."""
        # Only the documents that can reach the page (the best `end` and their ties) are sorted.
        snap, plan = self.snap, self.plan
        names, ids = snap.names, snap.ids
        if not words and not plan.by_distance:
            wanted, page = set(docs), []
            for d in snap.by_name():
                if d in wanted:
                    page.append(d)
                    if len(page) == end:
                        break
            return [(d, 0.0) for d in page[start:end]]
        if plan.by_distance:
            known = self.distances(docs)
            distances = {d: math.inf if (km := known[d]) is None else km for d in docs}
            limit = _kth(distances.values(), end, largest=False)
            chosen = [d for d in docs if distances[d] <= limit]
            scores = self.scores(words, chosen) if words else dict.fromkeys(chosen, 0.0)
            chosen.sort(key=lambda d: (distances[d], -scores[d], names[d], ids[d] or ""))
            return [(d, scores[d]) for d in chosen[start:end]]
        # Best match: documents matching more of the words first (a tier each), then relevance,
        # with a place weighed by distance so that a close fit beats a loose match next door.
        ranked: list[tuple[int, float]] = []
        wanted_bits = bits
        for tier_bits in reversed(self._tiers[1:]):
            members = _members(tier_bits & wanted_bits)
            if not members:
                continue
            wanted_bits &= ~tier_bits
            scores = self.scores(words, members)
            if plan.origin is not None:
                known = self.distances(members)  # worked out at once, and only for the tiers that are read
                scores = {
                    d: score / (1.0 + (math.inf if (km := known[d]) is None else km) / DISTANCE_SCALE_KM)
                    for d, score in scores.items()
                }
            limit = _kth(scores.values(), end - len(ranked), largest=True)
            chosen = [d for d, score in scores.items() if score >= limit]
            distance = self._distance_key if plan.origin is not None else (lambda d: 0.0)
            chosen.sort(key=lambda d: (-scores[d], distance(d), names[d], ids[d] or ""))
            ranked.extend((d, scores[d]) for d in chosen[: end - len(ranked)])
            if len(ranked) >= end or not wanted_bits:
                break
        return ranked[start:end]


def _leaves(searcher) -> list:
    """Return the (segment reader, offset) pairs of a searcher that hold documents."""
    return [(leaf, offset) for leaf, offset in searcher.reader().leaf_readers() if leaf.doc_count_all()]


def _kth(values, k: int, largest: bool) -> float:
    """Return the k-th largest (or smallest) value: everything at least as good may reach the page."""
    values = list(values)
    if k >= len(values):
        return min(values) if largest else max(values)
    return (heapq.nlargest if largest else heapq.nsmallest)(k, values)[-1]
