"""Page-wide helpers and error pages."""

import pytest

from sociale_kaart.web import pages


@pytest.mark.parametrize(
    "km, language, expected",
    [
        (0.42, "nl", "420 m"),
        (2.14, "nl", "2,1 km"),
        (2.14, "en", "2.1 km"),
        (12.6, "nl", "13 km"),
        (None, "nl", ""),
    ],
)
def test_format_km(app, km, language, expected):
    with app.test_request_context():
        from flask import session

        session["lang"] = language
        assert pages.format_km(km) == expected


@pytest.mark.parametrize(
    "number, href",
    [
        ("0343 000 101", "tel:+31343000101"),
        ("+31 6 0000 0000", "tel:+31600000000"),
        ("112", "tel:112"),
    ],
)
def test_phone_href_makes_international_numbers(number, href):
    assert str(pages.phone_href(number)) == href


def test_server_error_gets_a_dutch_page(app):
    app.testing = False  # let the error handler answer instead of re-raising

    @app.route("/kapot")
    def broken():
        raise RuntimeError("boom")

    response = app.test_client().get("/kapot")
    assert response.status_code == 500
    assert "Er ging iets mis bij ons" in response.get_data(as_text=True)


def test_stylesheets_have_balanced_blocks():
    """A lost brace (say, in a merge) silently drops every rule after it."""
    from pathlib import Path

    for name in ("main.css", "print.css"):
        text = (Path(__file__).resolve().parents[2] / "static" / "css" / name).read_text()
        depth = 0
        for number, line in enumerate(text.splitlines(), 1):
            depth += line.count("{") - line.count("}")
            assert depth >= 0, f"{name}:{number} closes a block that is not open"
        assert depth == 0, f"{name} leaves {depth} block(s) open"


# --- a read-only database (issue #12) ---------------------------------------------------------------


def test_a_write_to_a_read_only_database_gets_a_dutch_503_page(app):
    from sqlalchemy import func, select

    from sociale_kaart.directory.models import Report
    from sociale_kaart.extensions import db
    from tests.builders import form_token, make_service
    from tests.web.helpers import database_refusing_writes

    service = make_service()
    client = app.test_client()
    token = form_token(client, f"/aanbod/{service.id}/melding")
    with database_refusing_writes():
        response = client.post(
            f"/aanbod/{service.id}/melding",
            data={"csrf_token": token, "onderwerp": "hours", "bericht": "Woensdag dicht."},
        )
        assert response.status_code == 503
        assert response.headers["Retry-After"] == str(pages.READ_ONLY_RETRY_AFTER)
        body = response.get_data(as_text=True)
        assert "Tijdelijk alleen lezen" in body and "niet bewaard" in body
        assert client.get(f"/aanbod/{service.id}").status_code == 200  # reading still works
    assert db.session.scalar(select(func.count(Report.id))) == 0


def test_other_database_errors_stay_a_500(app):
    from sqlalchemy import text

    from sociale_kaart.extensions import db

    app.testing = False  # let the error handler answer instead of re-raising

    @app.route("/kapotte-tabel")
    def broken():
        db.session.execute(text("SELECT * FROM no_such_table"))

    response = app.test_client().get("/kapotte-tabel")
    assert response.status_code == 500
    assert "Er ging iets mis bij ons" in response.get_data(as_text=True)


@pytest.mark.parametrize(
    "message, read_only",
    [
        ("attempt to write a readonly database", True),
        ("UNIQUE constraint failed: users.email", False),
    ],
)
def test_read_only_database_tells_a_refused_write_from_other_errors(message, read_only):
    import sqlite3

    from sqlalchemy.exc import OperationalError

    error = OperationalError("INSERT INTO reports ...", {}, sqlite3.OperationalError(message))
    assert pages.read_only_database(error) is read_only


def test_a_logged_in_broker_keeps_reading_on_a_read_only_database(app, app_clock):
    """The login session's once-a-minute "last seen" write is skipped, not turned into a 503 page."""
    from datetime import timedelta

    from tests.builders import login, make_user
    from tests.web.helpers import database_refusing_writes

    broker = make_user(roles=("broker",))
    client = app.test_client()
    login(client, broker)
    app_clock.start(app_clock() + timedelta(minutes=5))  # the session is due a "last seen" write
    with database_refusing_writes():
        response = client.get("/werkplek/hulp/")
    assert response.status_code == 200
