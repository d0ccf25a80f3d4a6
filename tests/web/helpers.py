"""Test helpers for page-wide behaviour: a database that refuses writes (issue #12)."""

from contextlib import contextmanager

from sqlalchemy import event

from sociale_kaart.extensions import db


@contextmanager
def database_refusing_writes():
    """Let the current app's database refuse every write, as a read-only SQLite file or a PostgreSQL standby does.

    New connections are made read-only (SQLite: PRAGMA query_only, which fails with SQLITE_READONLY;
    PostgreSQL: default_transaction_read_only, which fails with SQLSTATE 25006); the pool is emptied
    before and after, so no connection of the other kind is reused.
    """
    engine = db.engine
    statement = (
        "PRAGMA query_only = ON"
        if engine.dialect.name == "sqlite"
        else "SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY"
    )

    def refuse_writes(connection, record):
        cursor = connection.cursor()
        cursor.execute(statement)
        cursor.close()
        connection.commit()  # PostgreSQL: a SET in a transaction that is rolled back is undone

    db.session.remove()
    engine.dispose()
    event.listen(engine, "connect", refuse_writes)
    try:
        yield
    finally:
        event.remove(engine, "connect", refuse_writes)
        db.session.remove()
        engine.dispose()
