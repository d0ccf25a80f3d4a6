"""Search adapter: the only package that imports Whoosh; the engine sits behind SearchBackend."""

from collections.abc import Callable, Iterable
from typing import Any

from sqlalchemy import MetaData
from sqlalchemy.orm import Session, scoped_session

from .base import FACETS, IndexNotBuilt, SearchBackend, SearchError, SearchHit, SearchQuery, SearchResult

__all__ = [
    "FACETS",
    "IndexNotBuilt",
    "SearchBackend",
    "SearchError",
    "SearchHit",
    "SearchQuery",
    "SearchResult",
    "create_backend",
    "default_backend",
    "TABLES",
]

BACKENDS = ("whoosh", "memory", "postgres")
# Tables of the postgres backend (migrations 0008, 0018, 0025, 0026): the adapter's own storage, like the
# Whoosh folder, so `flask db migrate` / `check` leave them out of the comparison with the models.
TABLES = (
    "search_documents",
    "search_spellings",
    "search_words",
    "search_terms",
    "search_codes",
    "search_state",
    "search_bitsets",
    "search_postings",
)


def default_backend(database_url: str) -> str:
    """Return the backend for a database: "postgres" in PostgreSQL, else the embedded "whoosh"."""
    # The index in the database is seen by every server at commit; a Whoosh folder only by its own (#16).
    scheme = database_url.split(":", 1)[0].split("+", 1)[0].lower()
    return "postgres" if scheme in ("postgresql", "postgres") else "whoosh"


def create_backend(
    kind: str,
    path: str | None = None,
    doc_source: Callable[[], Iterable[dict]] | None = None,
    session: Session | scoped_session[Any] | None = None,
    metadata: MetaData | None = None,
) -> SearchBackend:
    """Return a backend: "whoosh" (on disk at path), "memory" (RAM, for tests) or "postgres".

    "postgres" keeps the index in tables of the database of `session` (a SQLAlchemy session,
    whose transaction index() and delete() write in); given the app's `metadata`, its
    create_all() also creates those tables.
    """
    # doc_source yields every document; the index is rebuilt from it when missing or corrupt
    # (postgres: when its documents were written by another version).
    if kind == "postgres":
        if session is None:
            raise ValueError("the postgres search backend needs a database session")
        from . import postgres_backend

        if metadata is not None:
            postgres_backend.create_with(metadata)
        return postgres_backend.PostgresBackend(session, doc_source=doc_source)

    from .whoosh_backend import WhooshBackend

    if kind == "whoosh":
        if not path:
            raise ValueError("the whoosh search backend needs a path")
        return WhooshBackend(path=path, doc_source=doc_source)
    if kind == "memory":
        return WhooshBackend(path=None, doc_source=doc_source)
    raise ValueError(f"unknown search backend {kind!r}; choose one of {', '.join(BACKENDS)}")
