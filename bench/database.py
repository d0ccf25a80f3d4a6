"""A throwaway PostgreSQL schema for a benchmark run (``--backend postgres``)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import create_engine, text

DEFAULT_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


def database_url(given: str | None) -> str:
    """Return the PostgreSQL URL to use: the given one, the tests' one, or the local default."""
    return given or os.environ.get("SOCIALE_KAART_TEST_DATABASE_URL") or DEFAULT_URL


@contextmanager
def postgres_schema(url: str, name: str) -> Iterator[str]:
    """Create an empty schema, yield a URL that uses only it, and drop it again."""
    schema = f"bench_{name}_{os.getpid():x}"
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
            connection.execute(text(f'CREATE SCHEMA "{schema}"'))
        separator = "&" if "?" in url else "?"
        yield f"{url}{separator}options=-csearch_path%3D{schema}"
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        admin.dispose()
