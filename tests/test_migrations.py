"""Migrations reach head on a real database and match the models (`flask db check`)."""

from flask_migrate import check, downgrade, upgrade
from sqlalchemy import inspect

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
