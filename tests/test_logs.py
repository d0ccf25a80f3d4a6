"""Logs without secrets (issue #12): tokens masked in every log line, no SQL parameters or row values."""

import logging
import os
import subprocess
import sys
import threading
import urllib.request
import uuid
from pathlib import Path

import pytest
from sqlalchemy.exc import IntegrityError
from werkzeug.serving import make_server

from sociale_kaart import config, logs
from sociale_kaart.accounts.models import User
from sociale_kaart.extensions import db
from tests.builders import make_user
from tests.conftest import free_port, make_app

ROOT = Path(__file__).resolve().parent.parent
SECRET = "Geheim-Token_4f9.XyZ123"
UUID = "3f2504e0-4f89-11d3-9a0c-0305e82c3301"


def _logged(caplog, logger, message, *args):
    caplog.clear()
    logging.getLogger(logger).info(message, *args)
    return caplog.text


def _example_path(app, rule):
    """Return a path of a rule with SECRET for every token variable and 7 for the others."""
    values = {name: SECRET if logs.is_token_variable(name) else 7 for name in rule.arguments}
    return app.url_map.bind("localhost").build(rule.endpoint, values)


def test_every_route_with_a_token_is_masked_in_an_access_log_line(app, caplog):
    caplog.set_level(logging.INFO, logger="werkzeug")
    token_rules = [rule for rule in app.url_map.iter_rules() if any(map(logs.is_token_variable, rule.arguments))]
    assert {
        "/mijn-hulpvraag/<token>",
        "/wachtwoord-herstellen/<token>",
        "/bevestigen/<token>",
        "/welkom/<token>",
        "/koppeling/<token>",
        "/terugkoppeling/<token>",
        "/hulp-vragen/bevestigen/<token>",
        "/account/e-mail/<token>",
    } <= {rule.rule for rule in token_rules}
    for rule in token_rules:
        path = _example_path(app, rule)
        text = _logged(
            caplog, "werkzeug", '127.0.0.1 - - [30/Nov/2026 10:30:00] "%s" %s -', f"GET {path} HTTP/1.1", 200
        )
        assert SECRET not in text, rule.rule
        assert path.replace(SECRET, logs.MASK) in text, rule.rule


@pytest.mark.parametrize(
    "line",
    [
        "GET /vrijwilliger/koppeling/12/accepteren HTTP/1.1",
        "GET /werkplek/hulp/koppeling/3/terugkoppeling HTTP/1.1",
        "GET /aanbod/5/respijt-aan-huis-doorn HTTP/1.1",
        "GET /zoeken?q=mantelzorgondersteuning&waar=3941+AB&afstand=5 HTTP/1.1",
        f"GET /api/hsds/services?taxonomy_term_id={UUID}&modified_after=2026-11-30T10:00:00Z HTTP/1.1",
        "GET /static/css/main.css HTTP/1.1",
    ],
)
def test_paths_without_a_token_are_logged_as_they_are(app, line):
    assert logs.MASKER.mask_text(line) == line


@pytest.mark.parametrize(
    "query, masked",
    [
        (f"next=/mijn-hulpvraag/{SECRET}", "next=/mijn-hulpvraag/***"),
        (f"next=%2Fmijn-hulpvraag%2F{SECRET}%2Fannuleren", "next=/mijn-hulpvraag/***/annuleren"),
        (f"next=http://127.0.0.1:5000/welkom/{SECRET}", "next=http://127.0.0.1:5000/welkom/***"),
        ("token=abc", "token=***"),
        ("csrf_token=abc&q=hulp", "csrf_token=***&q=hulp"),
        ("api_key=abc", "api_key=***"),
        (f"x={SECRET}", "x=***"),  # shaped like a token, whatever its name
        (f"id={UUID}", f"id={UUID}"),  # uuids are the API's public ids
        ("q=hulp+bij+boodschappen&pagina=2", "q=hulp+bij+boodschappen&pagina=2"),
    ],
)
def test_query_values_that_are_or_carry_a_token_are_masked(app, query, masked):
    assert logs.MASKER.mask_text(f"GET /taal/en?{query} HTTP/1.1") == f"GET /taal/en?{masked} HTTP/1.1"


def test_a_referer_with_a_token_is_masked(app):
    line = f'"GET /static/css/main.css HTTP/1.1" 200 10 "https://kaart.example.org/mijn-hulpvraag/{SECRET}" "Firefox"'
    assert logs.MASKER.mask_text(line) == line.replace(SECRET, "***")


@pytest.mark.parametrize(
    "detail, masked",
    [
        ("DETAIL:  Key (email)=(anna@example.org) already exists.", "DETAIL:  Key (email)=(***)"),
        ("DETAIL:  Failing row contains (7, Anna de Vries, 06-12345678).", "DETAIL:  ***"),
    ],
)
def test_database_details_that_repeat_a_rows_values_are_masked(detail, masked):
    text = f"(psycopg.errors.UniqueViolation) duplicate key value\n{detail}\n[SQL: INSERT INTO users]"
    assert (
        logs.MASKER.mask_text(text) == f"(psycopg.errors.UniqueViolation) duplicate key value\n{masked}\n"
        "[SQL: INSERT INTO users]"
    )


def test_every_engine_hides_sql_parameters(app, tmp_path):
    assert db.engine.hide_parameters
    settings = config.load(tmp_path, {"SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True}, "SECRET_KEY": "k"})
    assert settings["SQLALCHEMY_ENGINE_OPTIONS"] == {"hide_parameters": True, "pool_pre_ping": True}


def test_a_failed_insert_logs_neither_its_values_nor_the_rows_values(app, caplog):
    """A second account with the same e-mail address: an IntegrityError logged with its traceback."""
    make_user(email="anna.devries@example.org", name="Anna de Vries")
    caplog.set_level(logging.DEBUG)
    db.session.add(
        User(
            email="anna.devries@example.org",
            name="Anna Geheim",
            password_hash="scrypt$geheime-hash",
            session_token="geheim-sessietoken-123",
        )
    )
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        app.logger.exception("registration failed")
    assert "registration failed" in caplog.text and "IntegrityError" in caplog.text
    assert "SQL parameters hidden due to hide_parameters=True" in caplog.text
    for secret in ("anna.devries@example.org", "Anna Geheim", "geheime-hash", "geheim-sessietoken-123"):
        assert secret not in caplog.text


def test_an_unhandled_error_on_a_token_page_logs_the_path_masked(app, caplog, monkeypatch):
    def broken(token):
        raise RuntimeError("boom")

    monkeypatch.setattr("sociale_kaart.matching.views._requester_request", broken)
    app.testing = False  # let Flask log the error and answer 500 instead of re-raising
    caplog.set_level(logging.ERROR, logger=app.logger.name)
    assert app.test_client().get(f"/mijn-hulpvraag/{SECRET}").status_code == 500
    assert "Exception on /mijn-hulpvraag/*** [GET]" in caplog.text and "RuntimeError: boom" in caplog.text
    assert SECRET not in caplog.text


def test_the_werkzeug_server_logs_token_urls_masked(app, caplog):
    caplog.set_level(logging.INFO, logger="werkzeug")
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        for path in (f"/mijn-hulpvraag/{SECRET}", f"/taal/en?next=/koppeling/{SECRET}"):
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{server.server_port}{path}").close()
            except urllib.error.HTTPError as error:
                error.close()
    finally:
        server.shutdown()
        thread.join(timeout=5)
    assert "GET /mijn-hulpvraag/*** HTTP/1.1" in caplog.text and "GET /taal/en?next=/koppeling/*** " in caplog.text
    assert SECRET not in caplog.text


def test_gunicorn_with_our_config_masks_tokens_in_its_access_log(tmp_path):
    url = f"sqlite:///{tmp_path / 'gunicorn.db'}"
    app = make_app(tmp_path, name="gunicorn", SQLALCHEMY_DATABASE_URI=url)
    with app.app_context():
        db.create_all()
        db.engine.dispose()
    port, access_log, error_log = free_port(), tmp_path / "access.log", tmp_path / "error.log"
    environment = {
        **os.environ,
        "SOCIALE_KAART_DATABASE_URL": url,
        "SOCIALE_KAART_SECRET_KEY": uuid.uuid4().hex,
        "SOCIALE_KAART_SEARCH_BACKEND": "memory",
        "SOCIALE_KAART_SEARCH_DIR": str(tmp_path / "index"),
        "SOCIALE_KAART_MAIL_DIR": str(tmp_path / "mail"),
    }
    command = [
        sys.executable,
        "-m",
        "gunicorn",
        "-c",
        str(ROOT / "gunicorn.conf.py"),
        "-b",
        f"127.0.0.1:{port}",
        "--workers",
        "1",
        "--access-logfile",
        str(access_log),
        "--error-logfile",
        str(error_log),
        "--no-control-socket",
        "wsgi:app",
    ]
    process = subprocess.Popen(command, cwd=ROOT, env=environment, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        request = urllib.request.Request(
            f"http://127.0.0.1:{port}/mijn-hulpvraag/{SECRET}?next=/bevestigen/{SECRET}",
            headers={"Referer": f"http://127.0.0.1:{port}/koppeling/{SECRET}"},
        )
        with _first_answer(request, process, error_log) as response:
            assert response.status == 404
            assert response.headers.get_all("Server") == ["gunicorn"]  # no version
    finally:
        process.terminate()  # gunicorn finishes the request, and its access log line, first
        process.wait(timeout=60)
    text = access_log.read_text()
    assert '"GET /mijn-hulpvraag/***?next=/bevestigen/*** HTTP/1.1" 404' in text
    assert f'"http://127.0.0.1:{port}/koppeling/***"' in text
    assert SECRET not in text


def _first_answer(request, process, error_log):
    """Return the response to a request once gunicorn has started (it needs a second or two)."""
    for _attempt in range(600):
        if process.poll() is not None:
            pytest.fail(f"gunicorn stopped: {error_log.read_text() if error_log.exists() else ''}")
        try:
            return urllib.request.urlopen(request)
        except urllib.error.HTTPError as error:
            return error
        except OSError:
            threading.Event().wait(0.05)
    pytest.fail(f"gunicorn did not answer: {error_log.read_text() if error_log.exists() else ''}")
