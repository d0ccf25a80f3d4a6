"""Look up Dutch postcodes, places and municipalities in the bundled GeoNames CSVs."""

from __future__ import annotations

import bisect
import collections
import csv
import difflib
import itertools
import math
import operator
import re
import threading
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

MAX_QUERY_LENGTH = 100
MAX_SUGGESTIONS = 5

# Below this difflib ratio a name is not offered as "did you mean".
SIMILARITY_CUTOFF = 0.6
# Share of the query's letter pairs a name needs before difflib compares it.
_SHARED_BIGRAMS = 0.3

# PPLX/PPLL are parts of places and localities; PPLH/PPLCH are historical.
_FEATURE_TIERS = {"PPLX": 1, "PPLL": 1, "PPLH": 2, "PPLCH": 2}
_HISTORICAL_TIER = 2

# How a name was matched, best first: the label prefers the PostNL spelling.
_WOONPLAATS, _PRIMARY, _ALTERNATE = 0, 1, 2

_POSTCODE = re.compile(r"([1-9][0-9]{3})\s*([A-Za-z]{2})?")
# The written form the API documents and takes as it is: four digits, then at most one space and two letters.
POSTCODE_PATTERN = "^[1-9][0-9]{3}( ?[A-Za-z]{2})?$"
_WRITTEN_POSTCODE = re.compile(POSTCODE_PATTERN[1:-1])
_POSTCODE_AND_PLACE = re.compile(r"([1-9][0-9]{3})(?:\s*([A-Za-z]{2})(?![^\W\d_]))?\s+(\S.*)")
_DIGITS = re.compile(r"[0-9][0-9\s]*")
_POSTCODE_PREFIX = re.compile(r"([0-9]{1,4})(?:\s*[A-Za-z]{1,2})?")
# PostNL never hands out these letter pairs.
_INVALID_POSTCODE_LETTERS = frozenset({"SA", "SD", "SS"})

_APOSTROPHES = str.maketrans({"’": "'", "‘": "'", "`": "'", "´": "'", "ʼ": "'", "′": "'"})
_SEPARATORS = re.compile(r"[^\w']+|_")
_ARTICLE = re.compile(r"'?[st] ")
_MUNICIPALITY_PREFIX = re.compile(r"(?:gemeente|gem) ")
_PARENTHESES = re.compile(r"\s*\(.*?\)")
# PostNL writes "Alteveer gem Hoogeveen" to tell equal names apart.
_WOONPLAATS_QUALIFIER = re.compile(r" gem .*")
# Airport and UN/LOCODE codes in alternate_names ("HAG", "QYP") are not names.
_CODE = re.compile(r"[A-Z0-9]{2,4}")
# Greek, Cyrillic, Arabic, CJK ... : people type Dutch place names in Latin script.
_NON_LATIN = re.compile(r"[\u0370-\u1dff\u2c00-\ufaff]")


@dataclass(frozen=True)
class Place:
    """A resolved location: a postcode area, a place or a municipality."""

    label: str
    lat: float
    lon: float
    kind: str
    postcode4: str | None
    place: str | None
    municipality: str | None
    municipality_code: str | None


class UnknownLocation(Exception):
    """Signal that a text does not name a known location; carries data, not a message."""

    def __init__(self, reason: str, query: str, suggestions: Iterable[str] = ()):
        suggestions = tuple(suggestions)[:MAX_SUGGESTIONS]
        super().__init__(reason, query, suggestions)
        self.reason = reason
        self.query = query
        self.suggestions = suggestions


def parse_postcode(text: str, exact: bool = False) -> tuple[str, str | None] | None:
    """Split a Dutch postcode into its four digits and its letters, if any.

    The one postcode rule (issue #13): ASCII digits 1000-9999, letters optional; letter pairs PostNL
    never hands out (SA, SD, SS) are dropped. People may type any spaces around and between; with
    exact=True the text must be written as POSTCODE_PATTERN says (the API's documented form).
    """
    if not isinstance(text, str) or (exact and not _WRITTEN_POSTCODE.fullmatch(text)):
        return None
    match = _POSTCODE.fullmatch(text.strip())
    if match is None:
        return None
    digits, letters = match.groups()
    if letters:
        letters = letters.upper()
        if letters in _INVALID_POSTCODE_LETTERS:
            letters = None
    return digits, letters


def normal_postcode(text: str | None) -> str | None:
    """Return a full Dutch postcode written as '3941 AB', or None (also for four digits alone)."""
    parsed = parse_postcode(text) if text else None
    if parsed is None or parsed[1] is None:
        return None
    return f"{parsed[0]} {parsed[1]}"


def normalise_name(text: str) -> str:
    """Return the comparable form of a place name: no accents, lowercase, single spaces."""
    if text.isascii() and text.isalpha():
        return text.lower()
    text = text.translate(_APOSTROPHES)
    if not text.isascii():
        text = unicodedata.normalize("NFKD", text)
        text = "".join(char for char in text if not unicodedata.combining(char))
    return " ".join(_SEPARATORS.sub(" ", text.casefold()).split())


def strip_article(key: str) -> str:
    """Drop a leading "'s" or "'t" from a normalised name."""
    match = _ARTICLE.match(key)
    return key[match.end() :] if match else key


def check_query(text: object) -> str:
    """Return the stripped text, or raise UnknownLocation when it is empty or too long."""
    stripped = "" if text is None else (text if isinstance(text, str) else str(text)).strip()
    if not stripped:
        raise UnknownLocation("empty", "")
    if len(stripped) > MAX_QUERY_LENGTH:
        raise UnknownLocation("too_long", stripped[:MAX_QUERY_LENGTH])
    return stripped


def _one_edit_apart(a: str, b: str) -> bool:
    """Tell whether two different strings differ by one insertion, deletion or substitution."""
    if a == b or abs(len(a) - len(b)) > 1:
        return False
    if len(a) > len(b):
        a, b = b, a
    for i, (x, y) in enumerate(zip(a, b, strict=False)):  # b may be one longer
        if x != y:
            return a[i + 1 :] == b[i + 1 :] if len(a) == len(b) else a[i:] == b[i + 1 :]
    return True


class _Postcode(NamedTuple):
    code: str
    place: str
    municipality: str
    municipality_code: str
    lat: float
    lon: float
    other_places: tuple[str, ...]


class _Municipality(NamedTuple):
    code: str
    name: str
    lat: float
    lon: float
    active: bool
    successor_code: str


class _Candidate(NamedTuple):
    """One place a name can stand for: a GeoNames place or a PostNL woonplaats."""

    name: str
    municipality_code: str | None
    lat: float
    lon: float
    population: int
    tier: int
    order: int


class _Spelling(NamedTuple):
    """One way to write the name of a candidate."""

    number: int
    source: int
    spelling: str
    key: str


class _Index:
    """The parsed CSVs and the name tables built from them."""

    def __init__(self, data_dir: Path):
        self._keys: dict[str, tuple[str, str]] = {}
        self.municipalities = self._read_municipalities(data_dir / "municipalities.csv")
        self.postcodes = self._read_postcodes(data_dir / "pc4.csv")
        self.postcode_numbers = sorted(int(code) for code in self.postcodes)
        self.postcodes_by_municipality: dict[str, list[_Postcode]] = {}
        for postcode in self.postcodes.values():
            self.postcodes_by_municipality.setdefault(postcode.municipality_code, []).append(postcode)
        self.candidates: list[_Candidate] = []
        self.primary_keys: list[str] = []
        # name without article -> every spelling with that name
        self.spellings: dict[str, list[_Spelling]] = {}
        # candidate number -> PostNL woonplaats name -> number of PC4s with it as main place
        self.woonplaatsen: dict[int, dict[str, int]] = {}
        self._read_places(data_dir / "places.csv")
        self._add_woonplaatsen()
        self.municipality_names: dict[str, list[str]] = {}
        self._index_municipalities()
        del self._keys

    def _keys_of(self, spelling: str) -> tuple[str, str]:
        """Return the normalised key of a spelling with and without article."""
        keys = self._keys.get(spelling)
        if keys is None:
            key = normalise_name(spelling)
            keys = self._keys[spelling] = (key, strip_article(key))
        return keys

    @staticmethod
    def _rows(path: Path):
        """Yield the header and then the rows of a CSV file, as lists of strings."""
        with path.open(encoding="utf-8", newline="") as file:
            reader = csv.reader(file)
            yield next(reader)
            yield from reader

    def _read_municipalities(self, path: Path) -> dict[str, _Municipality]:
        rows = self._rows(path)
        column = {name: i for i, name in enumerate(next(rows))}
        code, name, status, successor = (column[c] for c in ("municipality_code", "name", "status", "successor_code"))
        lat, lon, mean_lat, mean_lon = (column[c] for c in ("lat", "lon", "pc4_mean_lat", "pc4_mean_lon"))
        municipalities = {}
        for row in rows:
            # The mean of the PC4 points is where people live; merged ones have none.
            point = (row[mean_lat], row[mean_lon]) if row[mean_lat] and row[mean_lon] else (row[lat], row[lon])
            municipalities[row[code]] = _Municipality(
                row[code], row[name], float(point[0]), float(point[1]), row[status] == "active", row[successor]
            )
        return municipalities

    def _read_postcodes(self, path: Path) -> dict[str, _Postcode]:
        rows = self._rows(path)
        column = {name: i for i, name in enumerate(next(rows))}
        fields = operator.itemgetter(
            *(
                column[c]
                for c in ("postcode4", "place", "municipality", "municipality_code", "lat", "lon", "other_places")
            )
        )
        postcodes = {}
        for row in rows:
            code, place, municipality, municipality_code, lat, lon, others = fields(row)
            others = tuple(name for name in others.split(";") if name)
            postcodes[code] = _Postcode(code, place, municipality, municipality_code, float(lat), float(lon), others)
        return postcodes

    def _read_places(self, path: Path) -> None:
        rows = self._rows(path)
        column = {name: i for i, name in enumerate(next(rows))}
        names = (
            "geonameid",
            "name",
            "alternate_names",
            "municipality_code",
            "lat",
            "lon",
            "population",
            "feature_code",
        )
        fields = operator.itemgetter(*(column[c] for c in names))
        for row in rows:
            geonameid, name, alternates, code, lat, lon, population, feature = fields(row)
            number = len(self.candidates)
            self.candidates.append(
                _Candidate(
                    name,
                    code or None,
                    float(lat),
                    float(lon),
                    int(population or 0),
                    _FEATURE_TIERS.get(feature, 0),
                    int(geonameid),
                )
            )
            primary_bare_key = self._add_spelling(number, name, _PRIMARY)
            self.primary_keys.append(primary_bare_key)
            # GeoNames separates alternate names by commas; no name contains one.
            for alternate in alternates.split(",") if alternates else ():
                if _CODE.fullmatch(alternate) or _NON_LATIN.search(alternate):
                    continue
                key, bare_key = self._keys_of(alternate)
                # A near-spelling of the name ("Dorn" for Doorn) is far more often a
                # typo than a transliteration; let it reach the user as a suggestion.
                if key and not _one_edit_apart(bare_key, primary_bare_key):
                    self._add_spelling(number, alternate, _ALTERNATE)

    def _add_spelling(self, number: int, spelling: str, source: int) -> str:
        """Make a spelling lead to a candidate and return its key without article."""
        key, bare_key = self._keys_of(spelling)
        self.spellings.setdefault(bare_key, []).append(_Spelling(number, source, spelling, key))
        return bare_key

    def _add_woonplaatsen(self) -> None:
        """Link each PostNL woonplaats to its GeoNames place, or add it as a place."""
        groups: dict[tuple[str, str], list[tuple[str, _Postcode, bool]]] = {}
        for postcode in self.postcodes.values():
            for name, is_main in ((postcode.place, True), *((n, False) for n in postcode.other_places)):
                bare_key = self._keys_of(name)[1]
                groups.setdefault((bare_key, postcode.municipality_code), []).append((name, postcode, is_main))
        for (bare_key, code), members in groups.items():
            number = self._find_in_municipality(bare_key, code)
            if number is None:
                number = self._find_in_municipality(_WOONPLAATS_QUALIFIER.sub("", bare_key), code)
            if number is None:
                number = self._add_woonplaats_candidate(members, code)
            woonplaatsen = self.woonplaatsen.setdefault(number, {})
            for name, _postcode, is_main in members:
                if name not in woonplaatsen:
                    self._add_spelling(number, name, _WOONPLAATS)
                woonplaatsen[name] = woonplaatsen.get(name, 0) + is_main

    def _find_in_municipality(self, bare_key: str, code: str) -> int | None:
        spellings = [s for s in self.spellings.get(bare_key, ()) if self.candidates[s.number].municipality_code == code]
        return self._best(spellings, frozenset((code,))) if spellings else None

    def _add_woonplaats_candidate(self, members, code: str) -> int:
        main = [postcode for _name, postcode, is_main in members if is_main]
        points = main or [postcode for _name, postcode, _is_main in members]
        names = [name for name, _postcode, is_main in members if is_main] or [members[0][0]]
        name = max(sorted(set(names)), key=names.count)
        number = len(self.candidates)
        self.candidates.append(
            _Candidate(
                name,
                code,
                sum(p.lat for p in points) / len(points),
                sum(p.lon for p in points) / len(points),
                0,
                0,
                10**9 + number,
            )
        )
        self.primary_keys.append(self._add_spelling(number, name, _PRIMARY))
        return number

    def _index_municipalities(self) -> None:
        for code, municipality in self.municipalities.items():
            key = normalise_name(municipality.name)
            plain = normalise_name(_PARENTHESES.sub("", municipality.name))
            for table_key in dict.fromkeys((key, strip_article(key), plain, strip_article(plain))):
                self.municipality_names.setdefault(table_key, []).append(code)

    def _best(self, spellings: list[_Spelling], prefer: frozenset[str]) -> int:
        """Return the number of the best candidate among matching spellings."""
        if len(spellings) == 1:
            return spellings[0].number
        by_number: dict[int, list[_Spelling]] = {}
        for spelling in spellings:
            by_number.setdefault(spelling.number, []).append(spelling)

        def rank(number):
            candidate = self.candidates[number]
            # A GeoNames or PostNL name beats an exonym: "Kapelle" is not Capelle aan den IJssel.
            return (
                bool(prefer) and candidate.municipality_code not in prefer,
                min(s.source for s in by_number[number]) == _ALTERNATE,
                candidate.tier,
                -candidate.population,
                candidate.order,
            )

        return min(by_number, key=rank)

    def best_candidate(self, key: str, prefer: frozenset[str]) -> tuple[_Candidate, str] | None:
        """Return the best place for a normalised name and the label to show for it."""
        spellings = self.spellings.get(strip_article(key))
        if not spellings:
            return None
        exact = [s for s in spellings if s.key == key]
        number = self._best(exact or spellings, prefer)
        # Show the PostNL spelling, also when the query matched a GeoNames one.
        label = min(
            (s for s in spellings if s.number == number),
            key=lambda s: (s.source, s.key != key),
        ).spelling
        return self.candidates[number], label

    def best_municipality(self, key: str, prefer: frozenset[str]) -> _Municipality | None:
        """Return the municipality a normalised name stands for, following mergers."""
        codes = self.municipality_names.get(key) or self.municipality_names.get(strip_article(key))
        if not codes:
            return None
        code = min(codes, key=lambda c: (c not in prefer, not self.municipalities[c].active, c))
        municipality = self.municipalities[code]
        while not municipality.active and municipality.successor_code in self.municipalities:
            municipality = self.municipalities[municipality.successor_code]
        return municipality

    def display_name(self, number: int) -> str:
        """Return the name to show for a place: its PostNL spelling when it has one."""
        candidate = self.candidates[number]
        woonplaatsen = self.woonplaatsen.get(number)
        if not woonplaatsen:
            return candidate.name
        bare_key = self.primary_keys[number]
        spellings = self.spellings[bare_key]
        same = [s.spelling for s in spellings if s.number == number and s.source == _WOONPLAATS]
        if same:
            return same[0]
        main = [name for name, count in woonplaatsen.items() if count]
        if main and not any(s.source == _WOONPLAATS for s in spellings):
            # GeoNames uses an English exonym for a few names ("The Hague").
            return max(main, key=lambda name: woonplaatsen[name])
        return candidate.name

    def nearest_postcode(self, lat: float, lon: float, code: str | None = None) -> _Postcode | None:
        """Return the PC4 nearest to a point, within one municipality when a code is given."""
        postcodes = self.postcodes.values() if code is None else self.postcodes_by_municipality.get(code, ())
        # An equirectangular distance is exact enough to compare points within the country.
        scale = math.cos(math.radians(lat)) ** 2
        return min(
            postcodes,
            key=lambda p: (p.lat - lat) ** 2 + scale * (p.lon - lon) ** 2,
            default=None,
        )

    def postcode_label(self, number: int) -> str:
        """Return "3941 Doorn" for a PC4 number."""
        code = f"{number:04d}"
        return f"{code} {self.postcodes[code].place}"

    def nearest_postcode_numbers(self, digits: str, limit: int) -> list[int]:
        """Return known PC4s sharing the longest prefix with digits, numerically nearest first."""
        digits = digits[:4]
        target = int(digits.ljust(4, "0"))
        numbers = self.postcode_numbers
        chosen: list[int] = []
        for length in range(len(digits), -1, -1):
            prefix = digits[:length]
            low = bisect.bisect_left(numbers, int(prefix.ljust(4, "0")) if prefix else 0)
            high = bisect.bisect_left(numbers, int(prefix.ljust(4, "9")) + 1 if prefix else 10000)
            taken = set(chosen)
            group = sorted(
                (n for n in numbers[low:high] if n not in taken),
                key=lambda n: (abs(n - target), n),
            )
            chosen.extend(group[: limit - len(chosen)])
            if len(chosen) >= limit:
                break
        return chosen


class _Entry(NamedTuple):
    """A name offered in suggestions."""

    label: str
    key: str
    bare_key: str
    municipality_code: str | None
    population: int
    # "gemeente Zeist", for queries that ask for a municipality
    municipality_label: str | None = None

    def label_for(self, municipality_only: bool) -> str | None:
        """Return the label to offer, or None when the entry does not fit the query."""
        return self.municipality_label if municipality_only else self.label


class _Suggestions:
    """The names offered for autocomplete and "did you mean", built from an index."""

    def __init__(self, index: _Index):
        self.entries: list[_Entry] = []
        keys: dict[str, tuple[str, str]] = {}

        def keys_of(label):
            if label not in keys:
                key = normalise_name(label)
                keys[label] = (key, strip_article(key))
            return keys[label]

        populations: dict[str | None, int] = {}
        for number, candidate in enumerate(index.candidates):
            if candidate.tier == _HISTORICAL_TIER:
                continue
            if candidate.tier == 0:
                code = candidate.municipality_code
                populations[code] = populations.get(code, 0) + candidate.population
            labels = (index.display_name(number), candidate.name, *index.woonplaatsen.get(number, ()))
            for label in dict.fromkeys(labels):
                key, bare_key = keys_of(label)
                self.entries.append(_Entry(label, key, bare_key, candidate.municipality_code, candidate.population))
        for code, municipality in index.municipalities.items():
            if municipality.active:
                key, bare_key = keys_of(municipality.name)
                long_label = f"gemeente {municipality.name}"
                # A municipality named like a place resolves to the place ("Zeist").
                label = municipality.name if bare_key in index.spellings else long_label
                self.entries.append(_Entry(label, key, bare_key, code, populations.get(code, 0), long_label))
        self.by_key = sorted((entry.key, i) for i, entry in enumerate(self.entries))
        self.by_bare_key = sorted((entry.bare_key, i) for i, entry in enumerate(self.entries))
        self.by_similar_key: dict[str, list[int]] = {}
        for i, entry in enumerate(self.entries):
            self.by_similar_key.setdefault(entry.bare_key, []).append(i)
        self.similar_keys = list(self.by_similar_key)
        self.similar_keys_by_bigram: dict[str, list[int]] = {}
        for number, bare_key in enumerate(self.similar_keys):
            for bigram in _bigrams(bare_key):
                self.similar_keys_by_bigram.setdefault(bigram, []).append(number)

    def starting_with(self, key: str, prefer: frozenset[str], municipality_only: bool, limit: int) -> list[str]:
        """Return labels of names that start with a key, exact and preferred ones first."""
        found = {}
        for table in (self.by_key, self.by_bare_key):
            start = bisect.bisect_left(table, (key,))
            for table_key, number in itertools.islice(table, start, None):
                if not table_key.startswith(key):
                    break
                found[number] = self.entries[number]
        entries = sorted(
            found.values(),
            key=lambda e: (
                e.key != key and e.bare_key != key,
                bool(prefer) and e.municipality_code not in prefer,
                -e.population,
                e.label.casefold(),
            ),
        )
        return _unique_labels((e.label_for(municipality_only) for e in entries), limit)

    def similar_to(self, key: str, prefer: frozenset[str], municipality_only: bool, limit: int) -> list[str]:
        """Return labels of names similar to a key, most similar, preferred and populous first."""

        def score(item):
            ratio, entry = item
            bonus = 0.05 if entry.municipality_code in prefer else 0.0
            return ratio + bonus + 0.005 * math.log10(entry.population + 1)

        similar = sorted(self._similar(key), key=lambda item: (-score(item), item[1].label))
        return _unique_labels((entry.label_for(municipality_only) for _ratio, entry in similar), limit)

    def _similar(self, key: str) -> list[tuple[float, _Entry]]:
        """Return the entries whose name is similar to a key, with their similarity."""
        bare_key = strip_article(key)
        size = len(bare_key)
        # difflib's ratio is at most 2 * shorter / (both lengths); skip hopeless lengths.
        shortest = math.ceil(size * SIMILARITY_CUTOFF / (2 - SIMILARITY_CUTOFF))
        longest = math.floor(size * (2 - SIMILARITY_CUTOFF) / SIMILARITY_CUTOFF)
        # Only names sharing a fair part of the letter pairs are worth comparing.
        bigrams = _bigrams(bare_key)
        shared: collections.Counter[int] = collections.Counter()
        for bigram in bigrams:
            shared.update(self.similar_keys_by_bigram.get(bigram, ()))
        needed = math.ceil(len(bigrams) * _SHARED_BIGRAMS)
        matcher = difflib.SequenceMatcher(autojunk=False)
        matcher.set_seq2(bare_key)
        similar: list[tuple[float, _Entry]] = []
        for number, count in shared.items():
            other = self.similar_keys[number]
            if count < needed or not shortest <= len(other) <= longest:
                continue
            matcher.set_seq1(other)
            if matcher.quick_ratio() >= SIMILARITY_CUTOFF:
                ratio = matcher.ratio()
                if ratio >= SIMILARITY_CUTOFF:
                    similar.extend((ratio, self.entries[i]) for i in self.by_similar_key[other])
        return similar


def _bigrams(key: str) -> set[str]:
    """Return the letter pairs of a key, counting its start and end."""
    padded = f" {key} "
    return {padded[i : i + 2] for i in range(len(padded) - 1)}


def _unique_labels(labels, limit: int) -> list[str]:
    """Return the first labels that differ ignoring case, at most limit."""
    seen = set()
    unique = []
    for label in labels:
        if label is not None and label.casefold() not in seen:
            seen.add(label.casefold())
            unique.append(label)
            if len(unique) == limit:
                break
    return unique


_shared: dict[Path, Gazetteer] = {}
_shared_lock = threading.Lock()


def shared_gazetteer(data_dir: str | Path | None = None) -> Gazetteer:
    """Return the one gazetteer of this process for a data folder.

    The tables are read-only once built, so every app in a process (every test app, every
    request thread) uses the same: the CSVs are read and indexed once, not once per app.
    """
    gazetteer = Gazetteer(data_dir)
    key = gazetteer.data_dir.resolve()
    with _shared_lock:
        return _shared.setdefault(key, gazetteer)


class Gazetteer:
    """Resolve Dutch postcodes, place names and municipality names offline."""

    def __init__(self, data_dir: str | Path | None = None):
        self.data_dir = Path(data_dir) if data_dir is not None else Path(__file__).parent / "data"
        self._index: _Index | None = None
        self._suggestions: _Suggestions | None = None
        self._lock = threading.Lock()

    def _loaded(self) -> _Index:
        """Return the index, reading the CSVs on first use."""
        index = self._index
        if index is None:
            with self._lock:
                if self._index is None:
                    self._index = _Index(self.data_dir)
                index = self._index
        return index

    def _suggestion_tables(self) -> _Suggestions:
        """Return the suggestion tables, building them on first use."""
        suggestions = self._suggestions
        if suggestions is None:
            index = self._loaded()
            with self._lock:
                if self._suggestions is None:
                    self._suggestions = _Suggestions(index)
                suggestions = self._suggestions
        return suggestions

    def load(self) -> None:
        """Read the CSVs and build every table now instead of on first use."""
        self._suggestion_tables()

    def resolve(self, text: str, prefer: str | Iterable[str] | None = None) -> Place:
        """Return the place a postcode, place name or municipality name stands for.

        `prefer`: the CBS code (or codes, a region's, issue #20) of the municipalities whose places win a tie.
        """
        preferred = _preferred(prefer)
        stripped = check_query(text)
        index = self._loaded()
        postcode = find_postcode(stripped)
        if postcode is not None:
            return self._resolve_postcode(index, stripped, *postcode)
        if _DIGITS.fullmatch(stripped):
            digits = "".join(stripped.split())
            raise UnknownLocation("unknown_postcode", stripped, self._postcode_suggestions(index, digits))
        key, municipality_only = _name_key(stripped)
        if not municipality_only:
            found = index.best_candidate(key, preferred)
            if found is not None:
                return self._place(index, *found)
        municipality = index.best_municipality(key, preferred)
        if municipality is not None:
            return self._municipality_place(index, municipality)
        suggestions = []
        if key:
            suggestions = self._suggestion_tables().similar_to(key, preferred, municipality_only, MAX_SUGGESTIONS)
        raise UnknownLocation("unknown_place", stripped, suggestions)

    def suggest(self, text: str, limit: int = MAX_SUGGESTIONS, prefer: str | Iterable[str] | None = None) -> list[str]:
        """Return labels that complete or correct a partly typed location (`prefer` as for resolve)."""
        preferred = _preferred(prefer)
        try:
            stripped = check_query(text)
        except UnknownLocation:
            return []
        if limit < 1:
            return []
        prefix = _POSTCODE_PREFIX.fullmatch(stripped)
        if prefix:
            return self._complete_postcode(self._loaded(), prefix[1], preferred, limit)
        key, municipality_only = _name_key(stripped)
        if not key:
            return []
        tables = self._suggestion_tables()
        return tables.starting_with(key, preferred, municipality_only, limit) or tables.similar_to(
            key, preferred, municipality_only, limit
        )

    def municipality(self, code: str) -> dict | None:
        """Return a current municipality by CBS code (name, lat, lon), or None for an unknown or merged one."""
        municipality = self._loaded().municipalities.get(code)
        if municipality is None or not municipality.active:
            return None
        return {"code": municipality.code, "name": municipality.name, "lat": municipality.lat, "lon": municipality.lon}

    def postcode_municipality(self, postcode4: str) -> str | None:
        """Return the CBS code of the municipality of a four-digit postcode, or None for an unknown one."""
        postcode = self._loaded().postcodes.get(postcode4)
        return postcode.municipality_code if postcode is not None else None

    def postcodes_of_municipality(self, code: str) -> list[dict]:
        """Return the PC4 areas of a municipality as dicts with postcode4, place, lat and lon."""
        index = self._loaded()
        return [
            {"postcode4": p.code, "place": p.place, "lat": p.lat, "lon": p.lon}
            for p in sorted(index.postcodes_by_municipality.get(code, ()), key=lambda p: p.code)
        ]

    def places_of_municipality(self, code: str) -> list[Place]:
        """Return the current places of a municipality, alphabetically."""
        index = self._loaded()
        places = [
            self._place(index, candidate, index.display_name(number))
            for number, candidate in enumerate(index.candidates)
            if candidate.municipality_code == code and candidate.tier != _HISTORICAL_TIER
        ]
        return sorted(places, key=lambda place: (place.label.casefold(), place.lat, place.lon))

    def nearest_postcode(self, lat: float, lon: float) -> dict | None:
        """Return the PC4 area nearest to a point, with its municipality."""
        postcode = self._loaded().nearest_postcode(lat, lon)
        if postcode is None:
            return None
        return {
            "postcode4": postcode.code,
            "place": postcode.place,
            "lat": postcode.lat,
            "lon": postcode.lon,
            "municipality": postcode.municipality,
            "municipality_code": postcode.municipality_code,
        }

    def _resolve_postcode(self, index: _Index, query: str, digits: str, letters: str | None) -> Place:
        postcode = index.postcodes.get(digits)
        if postcode is None:
            raise UnknownLocation("unknown_postcode", query, self._postcode_suggestions(index, digits))
        code = f"{digits} {letters}" if letters else digits
        return Place(
            label=f"{code} {postcode.place}",
            lat=postcode.lat,
            lon=postcode.lon,
            kind="postcode",
            postcode4=postcode.code,
            place=postcode.place,
            municipality=postcode.municipality,
            municipality_code=postcode.municipality_code,
        )

    def _place(self, index: _Index, candidate: _Candidate, label: str) -> Place:
        code = candidate.municipality_code
        municipality = index.municipalities.get(code) if code else None
        nearest = index.nearest_postcode(candidate.lat, candidate.lon, code) if code else None
        return Place(
            label=label,
            lat=candidate.lat,
            lon=candidate.lon,
            kind="place",
            postcode4=nearest.code if nearest else None,
            place=label,
            municipality=municipality.name if municipality else None,
            municipality_code=code,
        )

    def _municipality_place(self, index: _Index, municipality: _Municipality) -> Place:
        nearest = index.nearest_postcode(municipality.lat, municipality.lon, municipality.code)
        return Place(
            label=f"gemeente {municipality.name}",
            lat=municipality.lat,
            lon=municipality.lon,
            kind="municipality",
            postcode4=nearest.code if nearest else None,
            place=None,
            municipality=municipality.name,
            municipality_code=municipality.code,
        )

    def _postcode_suggestions(self, index: _Index, digits: str, limit: int = MAX_SUGGESTIONS) -> list[str]:
        if not digits:
            return []
        return [index.postcode_label(n) for n in index.nearest_postcode_numbers(digits, limit)]

    def _complete_postcode(self, index: _Index, digits: str, prefer: frozenset[str], limit: int) -> list[str]:
        """Return PC4s starting with digits, those of the preferred municipality first."""
        numbers = index.postcode_numbers
        low = bisect.bisect_left(numbers, int(digits.ljust(4, "0")))
        high = bisect.bisect_left(numbers, int(digits.ljust(4, "9")) + 1)
        matching = numbers[low:high]
        if prefer:
            matching = sorted(matching, key=lambda n: index.postcodes[f"{n:04d}"].municipality_code not in prefer)
        if not matching:
            return self._postcode_suggestions(index, digits, limit)
        return [index.postcode_label(n) for n in matching[:limit]]


def _preferred(prefer: str | Iterable[str] | None) -> frozenset[str]:
    """Return the preferred municipality codes as a set: one code, several, or none."""
    if not prefer:
        return frozenset()
    return frozenset((prefer,)) if isinstance(prefer, str) else frozenset(prefer)


def find_postcode(text: str) -> tuple[str, str | None] | None:
    """Return the postcode in "3941 AB", "3941ab" or "3941 AB Doorn", if any."""
    postcode = parse_postcode(text)
    if postcode is None:
        match = _POSTCODE_AND_PLACE.fullmatch(text)
        if match:
            letters = match[2].upper() if match[2] else None
            postcode = match[1], None if letters in _INVALID_POSTCODE_LETTERS else letters
    return postcode


def _name_key(text: str) -> tuple[str, bool]:
    """Return the normalised name and whether the text asks for a municipality."""
    key = normalise_name(text)
    prefix = _MUNICIPALITY_PREFIX.match(key)
    return (key[prefix.end() :], True) if prefix else (key, False)
