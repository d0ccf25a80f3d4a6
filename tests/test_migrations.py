"""Migrations reach head on a real database and match the models (`flask db check`)."""

from flask_migrate import check, downgrade, upgrade
from sqlalchemy import inspect, text

from sociale_kaart.extensions import db
from tests.conftest import make_app


def test_upgrade_to_head_matches_the_models(tmp_path):
    app = make_app(tmp_path, name="migrations")
    with app.app_context():
        upgrade()
        tables = set(inspect(db.engine).get_table_names())
        assert {
            "services",
            "organizations",
            "locations",
            "service_at_locations",
            "schedules",
            "taxonomies",
            "taxonomy_terms",
            "areas",
            "alembic_version",
        } <= tables
        check()  # raises when the models have changes without a migration
        db.engine.dispose()


def test_downgrade_to_base_and_up_again(tmp_path):
    app = make_app(tmp_path, name="migrations_down")
    with app.app_context():
        upgrade()
        downgrade(revision="base")
        assert "services" not in inspect(db.engine).get_table_names()
        upgrade()
        assert "services" in inspect(db.engine).get_table_names()
        db.engine.dispose()


def _snapshot():
    """Return {table: (row count, sorted primary keys)} of every table but Alembic's own."""
    inspector = inspect(db.engine)
    found = {}
    with db.engine.connect() as connection:
        for table in sorted(inspector.get_table_names()):
            if table == "alembic_version":
                continue
            keys = inspector.get_pk_constraint(table)["constrained_columns"]
            columns = ", ".join(f'"{key}"' for key in keys)
            rows = connection.execute(text(f'SELECT {columns} FROM "{table}"')).all()
            found[table] = (len(rows), sorted(tuple(row) for row in rows))
    return found


def test_an_existing_demo_database_becomes_a_region_with_every_row_and_id_kept(tmp_path):
    """Issue #20: the demo built at head, taken back to 0020 and up again keeps every row and id, and
    migration 0021 makes a municipality for each area's code, with the right names."""
    app = make_app(tmp_path, name="migrations_demo")
    runner = app.test_cli_runner()
    with app.app_context():
        upgrade()
        for command in (["seed", "demo"], ["seed", "workspace"]):
            result = runner.invoke(args=command)
            assert result.exit_code == 0, result.output
        # The seeds ran in this process and app context: end their session's transaction, or PostgreSQL
        # holds its read lock on services and the downgrade's DROP INDEX waits for it for ever.
        db.session.remove()
        result = runner.invoke(args=["db", "downgrade", "0020_hsds_free_text"])
        assert result.exit_code == 0, result.output
        assert "municipalities" not in inspect(db.engine).get_table_names()
        before = _snapshot()
        upgrade()
        after = _snapshot()
        area_codes = {row[0] for row in db.session.execute(text("SELECT DISTINCT municipality_code FROM areas"))}
        municipalities = dict(db.session.execute(text("SELECT code, name FROM municipalities")).all())
        slugs = dict(db.session.execute(text("SELECT code, slug FROM municipalities")).all())
        db.session.remove()
        db.engine.dispose()
    assert before["services"][0] == 174 and before["areas"][0] == 9 and before["users"][0] > 0
    assert {table: after[table] for table in before} == before
    # on PostgreSQL, 0025 moves the words of the search documents to a table of their own, a row each;
    # 0026 adds the bitsets and postings, which the rebuild of the new format fills
    moved = {"search_spellings"} if "search_documents" in before else set()
    added = {"search_bitsets", "search_postings"} if moved else set()
    assert set(after) - set(before) == {"municipalities", *moved, *added}
    assert all(after[table][0] == 0 for table in added)
    if moved:
        assert after["search_spellings"] == after["search_documents"] == before["search_documents"]
    assert area_codes == {"1581", "0340"}
    assert municipalities == {"1581": "Utrechtse Heuvelrug", "0340": "Rhenen"}
    assert slugs == {"1581": "utrechtse-heuvelrug", "0340": "rhenen"}
