"""Search adapter: the only package that imports Whoosh; the engine sits behind SearchBackend."""
from collections.abc import Callable, Iterable

from .base import (FACETS, SearchBackend, SearchError, SearchHit, SearchQuery, SearchResult)

__all__ = ["FACETS", "SearchBackend", "SearchError", "SearchHit", "SearchQuery", "SearchResult",
           "create_backend"]

BACKENDS = ("whoosh", "memory")


def create_backend(kind: str, path: str | None = None,
                   doc_source: Callable[[], Iterable[dict]] | None = None) -> SearchBackend:
    """Return a backend: "whoosh" (on disk at path) or "memory" (RAM, for tests)."""
    # doc_source yields every document; the index is rebuilt from it when missing or corrupt.
    from .whoosh_backend import WhooshBackend

    if kind == "whoosh":
        if not path:
            raise ValueError("the whoosh search backend needs a path")
        return WhooshBackend(path=path, doc_source=doc_source)
    if kind == "memory":
        return WhooshBackend(path=None, doc_source=doc_source)
    raise ValueError(f"unknown search backend {kind!r}; choose one of {', '.join(BACKENDS)}")
