"""The HSDS list's page of ids is read from ix_services_listed_by_name alone (issue #17, migration 0027).

Without status and id in the index the database read the table row of every service it skipped past to check
that it is not defunct: page 50 of 2,000 services read 1,000 rows. The plan, not a timing, is what is checked.
"""

from sqlalchemy import text

from sociale_kaart.directory import open_data
from sociale_kaart.extensions import db

from ..builders import make_service


def _plan(statement) -> str:
    """Return the database's plan of a statement, as one line."""
    connection = db.session.connection()
    compiled = statement.compile(dialect=connection.dialect)
    values = compiled.construct_params()
    args = tuple(values[name] for name in compiled.positiontup) if compiled.positional else values
    if connection.dialect.name == "sqlite":
        return " ".join(row[-1] for row in connection.exec_driver_sql(f"EXPLAIN QUERY PLAN {compiled}", args))
    # A handful of rows: the planner would read the table whole or sort it, so ask what it does when it may not.
    # An index-only scan needs the visibility map that autovacuum keeps in production: VACUUM first.
    db.session.commit()
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as autocommit:
        autocommit.execute(text("VACUUM ANALYZE services"))
    connection = db.session.connection()
    for setting in ("enable_seqscan", "enable_bitmapscan", "enable_sort"):
        connection.execute(text(f"SET LOCAL {setting} = off"))
    return " ".join(row[0] for row in connection.exec_driver_sql(f"EXPLAIN {compiled}", args))


def test_a_page_of_the_list_is_read_from_the_index_alone(app):
    for number in range(3):
        make_service(name=f"Dienst {number}")
    statement = open_data._plain_page_query()
    plan = _plan(statement.params(offset=1, limit=2))
    if db.session.connection().dialect.name == "sqlite":
        assert "COVERING INDEX ix_services_listed_by_name" in plan, plan
    else:
        assert "Index Only Scan using ix_services_listed_by_name" in plan, plan
    assert "SORT" not in plan.upper(), plan  # read in the list's order, not sorted
    ids = list(db.session.scalars(statement, {"offset": 1, "limit": 2}))
    assert len(ids) == 2
