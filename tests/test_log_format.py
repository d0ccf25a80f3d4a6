"""Request ids and JSON log lines (issue #16): SOCIALE_KAART_LOG_FORMAT=json, X-Request-ID."""

import io
import json
import logging
import re

import pytest
from flask.logging import default_handler

from sociale_kaart import config, logs
from sociale_kaart.extensions import db
from tests.conftest import make_app

SECRET = "Geheim-Token_4f9.XyZ123"
GENERATED = re.compile(r"[0-9a-f]{32}")


@pytest.fixture
def json_app(tmp_path):
    """An app with LOG_FORMAT=json whose JSON lines go to a buffer; the loggers are put back afterwards."""
    root, app_logger = logging.getLogger(), logging.getLogger("sociale_kaart")
    handlers, level = list(root.handlers), app_logger.level
    app_handlers = list(app_logger.handlers)
    app = make_app(tmp_path, name="json_logs", LOG_FORMAT="json", TRUSTED_PROXIES=1)
    [handler] = [h for h in root.handlers if getattr(h, "sociale_kaart_json", False)]
    buffer = io.StringIO()
    handler.setStream(buffer)
    with app.app_context():
        db.create_all()
        app.lines = lambda: [json.loads(line) for line in buffer.getvalue().splitlines()]
        yield app
        db.session.remove()
        db.engine.dispose()
    root.handlers[:] = handlers
    app_logger.handlers[:] = app_handlers
    app_logger.setLevel(level)


def test_every_response_carries_a_new_request_id(client):
    first, second = client.get("/over-deze-kaart"), client.get("/over-deze-kaart")
    assert GENERATED.fullmatch(first.headers["X-Request-ID"]) and GENERATED.fullmatch(second.headers["X-Request-ID"])
    assert first.headers["X-Request-ID"] != second.headers["X-Request-ID"]


def test_a_clients_request_id_is_ignored_without_a_trusted_proxy(client):
    response = client.get("/over-deze-kaart", headers={"X-Request-ID": "abcdef0123456789"})
    assert response.headers["X-Request-ID"] != "abcdef0123456789"
    assert response.headers.get_all("X-Request-ID") == [response.headers["X-Request-ID"]]


@pytest.mark.parametrize(
    "given, kept",
    [
        ("5f0c2b8e9d6a4c1f8b7e3a2d1c0b9a88", True),  # nginx's $request_id
        ("3f2504e0-4f89-11d3-9a0c-0305e82c3301", True),  # a uuid
        ("kort", False),  # too short
        ("x" * 129, False),  # too long
        ("abc def ghi jkl", False),  # white space
        ('abcdefgh"}{"level":"ERROR', False),  # an attempt to forge a log field
    ],
)
def test_the_trusted_proxys_request_id_is_used_when_it_looks_like_one(json_app, given, kept):
    response = json_app.test_client().get("/over-deze-kaart", headers={"X-Request-ID": given})
    assert (response.headers["X-Request-ID"] == given) is kept
    if not kept:
        assert GENERATED.fullmatch(response.headers["X-Request-ID"])


def test_a_log_line_in_a_request_is_json_with_its_id_and_the_masked_path(json_app, monkeypatch):
    def logs_and_fails(token):
        json_app.logger.warning("looking at https://kaart.example.org/mijn-hulpvraag/%s", token)
        raise RuntimeError(f"kapot: /mijn-hulpvraag/{token}")

    monkeypatch.setattr("sociale_kaart.matching.views._requester_request", logs_and_fails)
    json_app.testing = False  # Flask logs the error and answers 500
    response = json_app.test_client().get(f"/mijn-hulpvraag/{SECRET}?email=iemand@example.org")
    assert response.status_code == 500
    lines = json_app.lines()
    warning, error = lines[-2], lines[-1]
    assert warning["message"] == "looking at https://kaart.example.org/mijn-hulpvraag/***"
    assert {"time", "level", "logger", "message", "request_id", "path", "pid"} <= set(warning)
    assert warning["level"] == "WARNING" and warning["logger"] == "sociale_kaart"
    assert warning["request_id"] == error["request_id"] == response.headers["X-Request-ID"]
    assert warning["path"] == "/mijn-hulpvraag/***"
    assert error["level"] == "ERROR" and "RuntimeError: kapot: /mijn-hulpvraag/***" in error["exception"]
    text = json.dumps(lines)
    assert SECRET not in text and "iemand@example.org" not in text


def test_outside_a_request_a_line_has_no_request_fields(json_app):
    logging.getLogger("sociale_kaart.ops.jobs").info("job %s: done", "freshness")
    line = json_app.lines()[-1]
    assert line["message"] == "job freshness: done" and line["logger"] == "sociale_kaart.ops.jobs"
    assert "request_id" not in line and "path" not in line
    assert line["time"].endswith("+00:00")


@pytest.mark.parametrize(
    "command, summary, logger",
    [
        (["notify", "send"], "sent 0, failed attempts 0", "sociale_kaart.notify.cli"),
        (["jobs", "run", "prune-sessions"], "prune-sessions  manual-", "sociale_kaart.ops.jobs"),
    ],
)
def test_a_commands_summary_is_a_json_line_in_json_mode(json_app, command, summary, logger):
    result = json_app.test_cli_runner().invoke(args=command)
    assert result.exit_code == 0, result.output
    assert result.output == ""  # nothing plain among the JSON lines of a worker or scheduler
    [line] = [line for line in json_app.lines() if line["message"].startswith(summary)]
    assert line["logger"] == logger and line["level"] == "INFO"


def test_the_app_writes_each_line_once(json_app):
    assert default_handler not in logging.getLogger("sociale_kaart").handlers
    json_app.logger.warning("één keer")
    assert [line["message"] for line in json_app.lines()].count("één keer") == 1


def test_an_access_entry_has_no_address_user_agent_referrer_or_query():
    environ = {
        "REQUEST_METHOD": "GET",
        "RAW_URI": f"/mijn-hulpvraag/{SECRET}/annuleren?postcode=3941AB",
        "REMOTE_ADDR": "198.51.100.7",
        "HTTP_USER_AGENT": "Mozilla/5.0",
        "HTTP_REFERER": "https://x.example",
        logs.ENVIRON_KEY: "abcdef0123456789",
    }
    message, extra = logs.access_entry(environ, 200, 5120, 0.0123)
    assert message == "GET /mijn-hulpvraag/***/annuleren 200"
    assert extra == {
        "request_id": "abcdef0123456789",
        "path": "/mijn-hulpvraag/***/annuleren",
        "method": "GET",
        "status": 200,
        "bytes": 5120,
        "duration_ms": 12.3,
    }
    record = logging.LogRecord("gunicorn.access", logging.INFO, __file__, 1, message, (), None)
    record.__dict__.update(extra)
    line = json.loads(logs.JsonFormatter().format(record))
    assert line["status"] == 200 and line["request_id"] == "abcdef0123456789"
    assert not {"198.51.100.7", "Mozilla/5.0", "https://x.example", "3941AB"} & set(map(str, line.values()))


def test_the_format_setting_takes_plain_or_json_only(monkeypatch):
    monkeypatch.setenv("SOCIALE_KAART_LOG_FORMAT", "JSON")
    assert config.from_environment()["LOG_FORMAT"] == "json"
    monkeypatch.setenv("SOCIALE_KAART_LOG_FORMAT", "xml")
    with pytest.raises(ValueError, match="SOCIALE_KAART_LOG_FORMAT"):
        config.from_environment()
