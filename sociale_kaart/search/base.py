"""The engine-neutral search interface: queries, results and the abstract backend."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

FACETS = (
    "category",
    "target_group",
    "pyramid_level",
    "access_route",
    "cost",
    "mode",
    "accessibility",
    "area",
    "respite_type",
    "language",
    "municipality",  # CBS codes of the municipalities a listing serves (issue #20)
)

SLOTS_PER_WEEK = 7 * 96


class SearchError(RuntimeError):
    """The index cannot answer and could not be repaired (or a write could not get the lock)."""


class IndexNotBuilt(SearchError):
    """The index is missing or outdated, and it is not built here: a web request never builds it (#16).

    Raised by the app's document source inside a request; `flask search reindex` builds it."""


@dataclass
class SearchQuery:
    """What to search for; `text` is plain words (no query syntax)."""

    text: str = ""
    filters: dict[str, list[str]] = field(default_factory=dict)  # facet -> codes, all must match
    origin: tuple[float, float] | None = None  # (lat, lon)
    radius_km: float | None = None  # only with origin
    # The postgres backend keeps and orders by the WGS84 distance of geo.distance_km, computed in
    # the database; it calls `distance` for the distances of the hits it returns (issue #16).
    distance: Callable[[tuple[float, float], tuple[float, float]], float] | None = None
    open_slot: int | None = None  # weekday * 96 + minute_of_day // 15, weekday 0 = Monday
    sort: str = "relevance"  # "relevance" | "distance" (distance needs origin)
    page: int = 1
    per_page: int = 20
    exclude_ids: frozenset[str] = frozenset()


@dataclass
class SearchHit:
    id: str
    score: float
    distance_km: float | None


@dataclass
class SearchResult:
    hits: list[SearchHit]  # only the requested page
    total: int  # all matches after every filter and the radius
    page: int
    per_page: int
    pages: int
    facets: dict[str, dict[str, int]]  # facet -> {code: results having it}
    open_count: int | None  # results open at count_open_slot (when open_slot is None)
    suggestion: str | None  # "Bedoelde u ...?" text
    fuzzy: bool  # typo-tolerant matching was needed to find results
    terms: list[str]  # stems actually searched
    partial: bool = False  # no result has all the words: each has some of them


class SearchBackend(ABC):
    """A search index of documents (plain dicts, one per service at a location)."""

    #: False: index() and delete() change the index at once, so they are called after the
    #: database commit. True: they write in the caller's database transaction and take effect
    #: at its commit, for every server (directory/indexing.py calls them before it; issue #16).
    transactional: bool = False

    @abstractmethod
    def index(self, docs: Iterable[dict]) -> None:
        """Add or replace documents by id, in one commit."""

    @abstractmethod
    def delete(self, ids: Iterable[str]) -> None:
        """Remove documents by id."""

    @abstractmethod
    def rebuild(self, docs: Iterable[dict]) -> int:
        """Replace the whole index; return the document count. Readers never see a half-built index."""

    @abstractmethod
    def search(self, query: SearchQuery, count_open_slot: int | None = None) -> SearchResult:
        """Return one page of results with totals and facet counts; never raises for any text."""

    @abstractmethod
    def count(self) -> int:
        """Return the number of indexed documents."""

    @abstractmethod
    def warm(self) -> None:
        """Load what this process keeps of the index before its first request (warm start, issue #17)."""

    @abstractmethod
    def check(self) -> bool:
        """Return True when the index exists and opens."""
