"""The suite runs on the database it was given; constraints hold there."""

from datetime import time

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from sociale_kaart.extensions import db
from tests.builders import make_service
from tests.conftest import TEST_DATABASE_URL


def test_the_suite_uses_the_configured_database(app):
    expected = "postgresql" if TEST_DATABASE_URL else "sqlite"
    assert db.engine.dialect.name == expected


@pytest.mark.parametrize(
    "change",
    [
        lambda service: setattr(service, "publication_status", "gepubliceerd"),
        lambda service: setattr(service, "pyramid_level", "hoog"),
        lambda service: setattr(service.schedules[0], "closes_at", time(8, 0)),
    ],
)
def test_check_constraints_reject_invalid_rows(app, change):
    service = make_service()
    change(service)
    with pytest.raises(IntegrityError):
        db.session.commit()
    db.session.rollback()


@pytest.mark.postgres
@pytest.mark.skipif(not TEST_DATABASE_URL, reason="SOCIALE_KAART_TEST_DATABASE_URL is not set: no PostgreSQL")
def test_postgresql_is_a_supported_version(app):
    version = db.session.execute(text("SHOW server_version_num")).scalar_one()
    assert int(version) >= 130000
