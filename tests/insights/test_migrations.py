"""Migrations of issue #15's area analysis: the policy role (0010), population (0011), search log months (0015)."""

import pytest
from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect, text
from sqlalchemy.exc import IntegrityError

from sociale_kaart.extensions import db
from tests.conftest import make_app


def _add_role(role):
    db.session.execute(
        text(
            "INSERT INTO users (uuid, email, name, language, active, session_token, created_at) "
            "VALUES ('u-1', 'beleid@example.org', 'Pim', 'nl', true, 't-1', CURRENT_TIMESTAMP)"
        )
    )
    db.session.execute(
        text("INSERT INTO user_roles (user_id, role) SELECT id, :role FROM users WHERE email = 'beleid@example.org'"),
        {"role": role},
    )
    db.session.commit()


def test_the_policy_role_and_the_population_table_come_with_the_upgrade(tmp_path):
    app = make_app(tmp_path, name="migrations_insights")
    with app.app_context():
        upgrade()
        assert "area_population" in inspect(db.engine).get_table_names()
        _add_role("policy")
        downgrade(revision="0009_signals")
        assert "area_population" not in inspect(db.engine).get_table_names()
        assert db.session.execute(text("SELECT count(*) FROM user_roles WHERE role = 'policy'")).scalar() == 0
        with pytest.raises(IntegrityError):
            db.session.execute(text("INSERT INTO user_roles (user_id, role) SELECT id, 'policy' FROM users"))
            db.session.commit()
        db.session.rollback()
        upgrade()
        db.session.execute(text("INSERT INTO user_roles (user_id, role) SELECT id, 'policy' FROM users"))
        db.session.commit()
        db.session.remove()
        db.engine.dispose()


def test_the_search_log_months_come_with_0015_and_go_with_its_downgrade(tmp_path):
    app = make_app(tmp_path, name="migrations_search_log_months")
    with app.app_context():
        upgrade()
        names = set(inspect(db.engine).get_table_names())
        assert {"search_log_months", "search_log_month_counts"} <= names
        downgrade(revision="0014_request_steps")
        names = set(inspect(db.engine).get_table_names())
        assert not names & {"search_log_months", "search_log_month_counts"} and "search_log" in names
        upgrade()
        assert "search_log_month_counts" in inspect(db.engine).get_table_names()
        db.session.remove()
        db.engine.dispose()
