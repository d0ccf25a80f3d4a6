"""Dutch text analysis for search: words, accents, stop words, stems, compounds, synonyms, typos.

Pure functions over text (the lexicon and synonym list are read once from ``data/``). The same
analysis runs when a document is indexed and when a query is parsed, so any engine behind
``SearchBackend`` can use it: the engine only ever sees stems.
"""

from __future__ import annotations

import csv
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cache, lru_cache, wraps
from importlib import resources

from whoosh.lang import stemmer_for_language, stopwords_for_language

MAX_TEXT = 200  # characters of query text that are read
MAX_TERMS = 12  # query words that are searched (after stop words)
MAX_WORD = 60  # longer "words" (URLs, garbage) are cut
MIN_PART = 3  # shortest compound part
MIN_BASE = 4  # shortest word left after stripping a derivational suffix
MIN_FUZZY = 4  # shorter words are never corrected
FUZZY_PREFIX = 2  # a correction keeps the first two letters
LINKS = ("", "s", "e", "en", "er")  # linking morphemes between compound parts
DERIVATIONS = ("sters", "ster", "ers", "er", "heden", "heid")  # mantelzorger -> mantelzorg

# Weights of the alternatives of one query word, relative to the word itself; a synonym row
# may give its own weight (data/synonyms.csv).
WEIGHT_WORD, WEIGHT_BASE, WEIGHT_COMPOUND, WEIGHT_SYNONYM, WEIGHT_FUZZY = 1.0, 0.9, 0.8, 0.7, 0.6
MIN_VERB_BASE = 4  # "wandelt" -> "wandel"; shorter bases ("gaat" -> "gaa") are not tried
DIMINUTIVES = ("etje", "pje", "kje", "tje", "je")  # bijbaantje -> bijbaan, dagje -> dag

# Words residents type around what they look for; not in Whoosh's Dutch list.
EXTRA_STOPWORDS = frozenset(
    "we wij jij jou jullie zoek zoekt zoeken gezocht graag welke waar wanneer kun kunt mag wilt "
    "willen hallo iemand ergens".split()
)

_WORD = re.compile(r"[^\W_]+")
_WORDS: dict[str, tuple[str, str] | tuple[()]] = {}  # raw word -> (word, folded), () to skip


@dataclass(frozen=True)
class Alternative:
    """One way a query word can match: all `stems` must occur in a document."""

    stems: tuple[str, ...]
    weight: float
    kind: str  # "word" | "base" | "compound" | "synonym" | "fuzzy"


@dataclass(frozen=True)
class QueryWord:
    """A query word as typed (lowercase), folded, and the alternatives it matches."""

    text: str
    folded: str
    alternatives: tuple[Alternative, ...]

    @property
    def stems(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(s for alt in self.alternatives for s in alt.stems))


@lru_cache(maxsize=200_000)
def fold(word: str) -> str:
    """Return a word lowercased with accents removed (café -> cafe, ĳ -> ij)."""
    decomposed = unicodedata.normalize("NFKD", word.lower())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def words(text: str) -> list[tuple[str, str]]:
    """Return (lowercase, folded) pairs of the words of a text; punctuation and emoji drop out."""
    if not text:
        return []
    out = []
    known = _WORDS
    for raw in _WORD.findall(unicodedata.normalize("NFC", str(text)).lower()):
        pair = known.get(raw)
        if pair is None:
            word = raw[:MAX_WORD]
            folded = fold(word)
            pair = (word, folded) if len(folded) >= 2 and folded.isalnum() else ()
            if len(known) < 500_000:
                known[raw] = pair
        if pair:
            out.append(pair)
    return out


def edit_distance(a: str, b: str, limit: int) -> int:
    """Return the edit distance (swaps count one) of two words, or limit + 1 when above limit."""
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    if a == b:
        return 0
    before, previous = None, list(range(len(b) + 1))
    for i in range(1, len(a) + 1):
        current = [i] + [0] * len(b)
        lowest = i
        for j in range(1, len(b) + 1):
            value = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] != b[j - 1]))
            if before is not None and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                value = min(value, before[j - 2] + 1)
            current[j] = value
            lowest = min(lowest, value)
        if lowest > limit:
            return limit + 1
        before, previous = previous, current
    return min(previous[-1], limit + 1)


def fuzzy_limit(folded: str) -> int:
    """Return how many edits a correction of this word may make (0: never corrected)."""
    if len(folded) < MIN_FUZZY or not folded.isalpha():
        return 0
    return 2 if len(folded) >= 8 else 1


def data_text(name: str) -> str:
    """Return the text of a file in data/."""
    return (resources.files(__package__) / "data" / name).read_text(encoding="utf-8")


def _data_lines(name: str) -> list[str]:
    return [line for line in data_text(name).splitlines() if line.strip() and not line.startswith("#")]


WORD_CACHE_SIZE = 500_000  # words per cached method: ample for a directory, bounded for a bulk build


def _word_cache(method):
    """Cache a method's results per instance and arguments, keeping at most WORD_CACHE_SIZE."""
    attribute = f"_cache_{method.__name__}"

    @wraps(method)
    def cached(self, *args):
        results = self.__dict__.setdefault(attribute, {})
        try:
            return results[args]
        except KeyError:
            result = method(self, *args)
            if len(results) < WORD_CACHE_SIZE:
                results[args] = result
            return result

    return cached


class DutchAnalysis:
    """Stemming, compound splitting and synonyms over a lexicon of word parts."""

    def __init__(self, lexicon: Iterable[str], synonyms: Iterable[Sequence[str]], needless: Iterable[str] = ()):
        """Take lexicon words, (term, expansion[, weight]) rows and need-less words; all folded here."""
        self._stem = stemmer_for_language("nl")
        self.stopwords = frozenset(stopwords_for_language("nl")) | EXTRA_STOPWORDS
        self.needless = frozenset(f for w in needless for _, f in words(w)) - self.stopwords
        self.lexicon = frozenset(fold(w.strip()) for w in lexicon if len(w.strip()) >= MIN_PART)
        self._lexicon_by_stem: dict[str, str] = {}
        for word in sorted(self.lexicon):
            self._lexicon_by_stem.setdefault(self.stem(word), word)
        grouped: dict[str, dict[tuple[str, ...], float]] = {}
        for row in synonyms:
            term, expansion = row[0], row[1]
            weight = float(row[2]) if len(row) > 2 and row[2] else WEIGHT_SYNONYM
            term_words = [f for _, f in words(term)]
            expansion_words = tuple(f for _, f in words(expansion) if f not in self.stopwords)
            if len(term_words) != 1 or not expansion_words or term_words[0] in self.stopwords:
                continue
            for key in {term_words[0], self.stem(term_words[0])}:
                known = grouped.setdefault(key, {})
                known[expansion_words] = max(weight, known.get(expansion_words, 0.0))
        self.synonyms: dict[str, tuple[tuple[tuple[str, ...], float], ...]] = {
            key: tuple(value.items()) for key, value in grouped.items()
        }
        self._analyze_cache: dict[str, list[tuple[int, str]]] = {}
        self._spelling_cache: dict[tuple[str, str], tuple[str, ...]] = {}

    # -- words -------------------------------------------------------------------------------

    def stem(self, folded: str) -> str:
        """Return the Snowball Dutch stem of a folded word, with plural spellings undone."""
        return _cached_stem(self._stem, folded)

    def bases(self, folded: str) -> tuple[str, ...]:
        """Return lexicon words left after stripping a derivational suffix (mantelzorger -> mantelzorg)."""
        found: list[str] = []
        for suffix in DERIVATIONS:
            if not folded.endswith(suffix) or len(folded) - len(suffix) < MIN_BASE:
                continue
            base = folded[: -len(suffix)]
            candidates = (base, base + "er") if suffix.startswith("ster") else (base,)
            found.extend(c for c in candidates if c in self.lexicon and c != folded)
        return tuple(dict.fromkeys(found))

    def _final_part(self, rest: str) -> str | None:
        """Return the lexicon word a compound may end in (inflected or derived), or None."""
        if rest in self.lexicon:
            return rest
        by_stem = self._lexicon_by_stem.get(self.stem(rest))
        if by_stem:
            return by_stem
        bases = self.bases(rest)
        return bases[0] if bases else None

    @_word_cache
    def segmentations(self, folded: str, limit: int = 8) -> tuple[tuple[str, ...], ...]:
        """Return the ways to split a compound into lexicon parts, fewest parts first (or ())."""
        # Parts have at least MIN_PART letters and may be joined by a linking s/e/en/er; the
        # last part may be inflected or derived (diensten, hulpverleners).
        n = len(folded)
        memo: dict[int, list[tuple[int, tuple[str, ...]]]] = {}

        def tails(start: int) -> list[tuple[int, tuple[str, ...]]]:
            if start in memo:
                return memo[start]
            found: list[tuple[int, tuple[str, ...]]] = []
            final = self._final_part(folded[start:]) if n - start >= MIN_PART else None
            if final:
                found.append((0, (final,)))
            for end in range(start + MIN_PART, n - MIN_PART + 1):
                part = folded[start:end]
                if part not in self.lexicon:
                    continue
                for link in LINKS:
                    after = end + len(link)
                    if n - after < MIN_PART or not folded.startswith(link, end):
                        continue
                    for links, tail in tails(after):
                        found.append((links + len(link), (part,) + tail))
                        if len(found) > 4 * limit:
                            break
            memo[start] = found
            return found

        splits = sorted((len(parts), links, parts) for links, parts in tails(0) if len(parts) > 1)
        return tuple(dict.fromkeys(parts for _, _, parts in splits))[:limit]

    @_word_cache
    def parts(self, folded: str) -> tuple[str, ...]:
        """Return every lexicon part of a word (over all its splits and its derivational base)."""
        found = []
        for base in self.bases(folded):
            found.append(base)
            found.extend(p for split in self.segmentations(base) for p in split)
        found.extend(p for split in self.segmentations(folded) for p in split)
        return tuple(dict.fromkeys(p for p in found if p != folded))

    @_word_cache
    def index_terms(self, folded: str) -> tuple[str, ...]:
        """Return the stems indexed for one document word: its own stem first, then its parts'."""
        if folded in self.stopwords:
            return ()
        return tuple(dict.fromkeys([self.stem(folded)] + [self.stem(p) for p in self.parts(folded)]))

    def analyze(self, text: str) -> list[tuple[int, str]]:
        """Return (position, stem) pairs to index for a text; parts share their word's position."""
        short = len(text) <= 120  # names, organisations and labels repeat across documents
        if short:
            cached = self._analyze_cache.get(text)
            if cached is not None:
                return cached
        out: list[tuple[int, str]] = []
        position = 0
        for _, folded in words(text):
            terms = self.index_terms(folded)
            if not terms:
                continue
            out.extend((position, term) for term in terms)
            position += 1
        if short and len(self._analyze_cache) < 100_000:
            self._analyze_cache[text] = out
        return out

    def spelling_words(self, text: str) -> list[str]:
        """Return the distinct real words of a text a correction may suggest: words and parts."""
        found: list[str] = []
        cache = self._spelling_cache
        for pair in dict.fromkeys(words(text)):
            forms = cache.get(pair)
            if forms is None:
                word, folded = pair
                forms = () if folded in self.stopwords or not folded.isalpha() else ((word,) + self.parts(folded))
                if len(cache) < 500_000:
                    cache[pair] = forms
            found.extend(forms)
        return list(dict.fromkeys(found))

    # -- queries -----------------------------------------------------------------------------

    def verb_bases(self, folded: str) -> tuple[str, ...]:
        """Return the stem form of a verb in the present tense: "wandelt", "fietst" -> "wandel", "fiets"."""
        # Snowball leaves the -t of "hij wandelt"; "wandelen" and "wandel" stem to "wandel".
        if not folded.endswith("t") or folded.endswith("tt") or len(folded) - 1 < MIN_VERB_BASE:
            return ()
        base = folded[:-1]
        known = (
            base in self.lexicon
            or self._lexicon_by_stem.get(self.stem(base))
            or base + "en" in self.lexicon
            or base in self.synonyms
            or base + "en" in self.synonyms
        )
        return (base,) if known else ()

    def diminutive_bases(self, folded: str) -> tuple[str, ...]:
        """Return the word a diminutive is made of: "bijbaantje" -> "bijbaan", "dagje" -> "dag"."""
        for suffix in DIMINUTIVES:
            if folded.endswith(suffix) and len(folded) - len(suffix) >= MIN_BASE:
                return (folded[: -len(suffix)],)
        return ()

    def word_alternatives(self, folded: str, weight: float = 1.0, synonyms: bool = True) -> tuple[Alternative, ...]:
        """Return the ways a query word matches: itself, its base, its parts, its synonyms."""
        found = [Alternative((self.stem(folded),), WEIGHT_WORD * weight, "word")]
        for base in self.bases(folded) + self.verb_bases(folded) + self.diminutive_bases(folded):
            found.append(Alternative((self.stem(base),), WEIGHT_BASE * weight, "base"))
        splits = self.segmentations(folded)
        if splits:
            found.append(
                Alternative(tuple(dict.fromkeys(self.stem(p) for p in splits[0])), WEIGHT_COMPOUND * weight, "compound")
            )
        if synonyms:
            lookups = (folded, *self.verb_bases(folded), *self.diminutive_bases(folded))
            for expansion, synonym_weight in self.synonym_expansions(*lookups):
                stems = tuple(dict.fromkeys(self.stem(w) for w in expansion))
                found.append(Alternative(stems, synonym_weight * weight, "synonym"))
        return _dedupe(found)

    def synonym_expansions(self, *folded_words: str) -> tuple[tuple[tuple[str, ...], float], ...]:
        """Return the (expansion words, weight) pairs listed for words or their stems."""
        best: dict[tuple[str, ...], float] = {}
        for folded in folded_words:
            for key in (folded, self.stem(folded)):
                for expansion, weight in self.synonyms.get(key, ()):
                    best[expansion] = max(weight, best.get(expansion, 0.0))
        return tuple(best.items())

    def is_known_word(self, folded: str) -> bool:
        """Return True for words we never call misspelled: lexicon parts and synonym terms."""
        return folded in self.lexicon or folded in self.synonyms or folded in self.needless

    def query_words(self, text: str) -> list[QueryWord]:
        """Parse query text into at most MAX_TERMS distinct words that carry the need, with alternatives.

        Stop words never count; need-less words ("hulp", "iemand", "nodig") count only when the
        text has nothing else, so "hulp bij boodschappen" searches "boodschappen" (issue #11).
        """
        seen: set[str] = set()
        meaningful: list[tuple[str, str]] = []
        needless: list[tuple[str, str]] = []
        for word, folded in words((text or "")[:MAX_TEXT]):
            if folded in self.stopwords or folded in seen:
                continue
            seen.add(folded)
            # a number ("ik ben 15", "75 jaar") is context, not the need
            (needless if folded in self.needless or folded.isdigit() else meaningful).append((word, folded))
        chosen = (meaningful or needless)[:MAX_TERMS]
        return [QueryWord(word, folded, self.word_alternatives(folded)) for word, folded in chosen]

    def fuzzy_word(self, word: QueryWord, corrections: list[str]) -> QueryWord:
        """Return a query word that also matches the given corrections (folded words)."""
        found = list(word.alternatives)
        for correction in corrections:
            for alt in self.word_alternatives(correction, WEIGHT_FUZZY, synonyms=False):
                found.append(Alternative(alt.stems, alt.weight, "fuzzy"))
        return QueryWord(word.text, word.folded, _dedupe(found))


def _dedupe(alternatives) -> tuple[Alternative, ...]:
    best: dict[tuple[str, ...], Alternative] = {}
    for alt in alternatives:
        if alt.stems not in best or alt.weight > best[alt.stems].weight:
            best[alt.stems] = alt
    return tuple(best.values())


_STEMS: dict[str, str] = {}


def _cached_stem(stemfn, folded: str) -> str:
    stem = _STEMS.get(folded)
    if stem is None:
        stem = _respell(stemfn(folded), folded)
        if len(_STEMS) < 500_000:
            _STEMS[folded] = stem
    return stem


def _respell(stem: str, word: str) -> str:
    """Undo plural spellings Snowball leaves: boodschapp -> boodschap, huiz -> huis, briev -> brief."""
    # Snowball Dutch only undoubles k/d/t, so "boodschap" and "boodschappen" would not meet.
    # Only after a suffix was removed: "mantelzorgg" is a typo, not a plural.
    if len(stem) >= len(word):
        return stem
    if len(stem) > 3 and stem[-1] == stem[-2] and stem[-1] not in "aeiouy":
        stem = stem[:-1]
    if len(stem) > 3 and stem[-1] in "zv" and stem[-2] not in "zv":
        stem = stem[:-1] + ("s" if stem[-1] == "z" else "f")
    return stem


def load_synonyms() -> list[tuple[str, ...]]:
    """Return the (term, expansion[, weight]) rows of data/synonyms.csv."""
    rows = list(csv.reader(_data_lines("synonyms.csv")))
    return [tuple(row[:3]) for row in rows[1:] if len(row) >= 2]


def load_needless() -> list[str]:
    """Return the words of data/needless.txt: words that carry no need."""
    return [line.strip() for line in _data_lines("needless.txt")]


def load_lexicon() -> list[str]:
    """Return the words of data/lexicon.txt."""
    return [line.strip() for line in _data_lines("lexicon.txt")]


@cache
def default_analysis() -> DutchAnalysis:
    """Return the analysis with the shipped lexicon and synonyms (built on first use)."""
    return DutchAnalysis(load_lexicon(), load_synonyms(), load_needless())
