"""The search log written behind the request (#17): with SEARCH_LOG_QUEUE_URI a search's row waits in Redis and
the scheduler writes the waiting rows into the database in batches; without Redis a row is written at once."""

import json
import logging
import uuid
from datetime import date

import pytest
from sqlalchemy import event, select

from sociale_kaart import clock
from sociale_kaart.config import load
from sociale_kaart.directory import search_log
from sociale_kaart.directory.models import Area
from sociale_kaart.directory.search_log import SearchLogEntry
from sociale_kaart.extensions import db
from tests.builders import make_location, make_service
from tests.conftest import REDIS_URL, redis_or_skip
from tests.web.helpers import database_refusing_writes

NOBODY_LISTENS = "redis://127.0.0.1:1/0"  # a port where nothing answers: the connection is refused at once


@pytest.fixture
def redis_client():
    return redis_or_skip()


@pytest.fixture
def queue(app, redis_client, monkeypatch):
    """Searches of this app wait in the tests' Redis, under a key of this test's own (deleted after it)."""
    key = f"test:search_log:{uuid.uuid4().hex}"
    monkeypatch.setattr(search_log, "QUEUE_KEY", key)
    app.config["SEARCH_LOG_QUEUE_URI"] = REDIS_URL
    yield key
    redis_client.delete(key)


@pytest.fixture
def listing(app):
    doorn = Area(code="doorn", name="Doorn", kind="dorp", municipality_code="1581", postcodes=["3941"])
    db.session.add(doorn)
    db.session.commit()
    return make_service(make_location(area=doorn), name="Maaltijdservice Doorn", summary="Warme maaltijden aan huis.")


def rows():
    db.session.expire_all()
    return [
        {column: getattr(entry, column) for column in search_log._COLUMNS}
        for entry in db.session.scalars(select(SearchLogEntry).order_by(SearchLogEntry.id))
    ]


def a_row(**changes):
    row = {
        "searched_on": clock.today(),
        "hour": 10,
        "query": "hulp bij boodschappen",
        "result_count": 3,
        "area_code": "doorn",
        "place_kind": "postcode",
        "radius_km": 5,
        "filters": 1,
        "language": "nl",
        "source": "web",
    }
    return {**row, **changes}


SEARCHES = [
    ("/zoeken", {"q": "Maaltijden  aan huis", "waar": "3941 AB", "straal": "5"}),
    ("/kaart", {"q": "maaltijd", "waar": "Doorn", "cost": ["gratis"]}),
    ("/api/hsds/services", {"search": "Maaltijd"}),
]


def test_a_search_waits_in_redis_and_the_drain_writes_the_row_it_would_have_written(app, client, listing, redis_client):
    for path, args in SEARCHES:
        assert client.get(path, query_string=args).status_code == 200
    written_at_once = rows()
    assert len(written_at_once) == len(SEARCHES)
    db.session.execute(SearchLogEntry.__table__.delete())
    db.session.commit()

    key = f"test:search_log:{uuid.uuid4().hex}"
    app.config["SEARCH_LOG_QUEUE_URI"] = REDIS_URL
    try:
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(search_log, "QUEUE_KEY", key)
            for path, args in SEARCHES:
                assert client.get(path, query_string=args).status_code == 200
            assert rows() == [] and search_log.waiting() == len(SEARCHES) == redis_client.llen(key)
            assert b"3941 AB" not in b"".join(redis_client.lrange(key, 0, -1))  # no full postcode waits either
            assert search_log.drain() == len(SEARCHES)
            assert rows() == written_at_once
            assert search_log.waiting() == 0 and search_log.drain() == 0  # each row written once
    finally:
        redis_client.delete(key)


def test_rows_are_written_in_batches_of_the_size_given(app, queue, redis_client):
    redis_client.rpush(queue, *[search_log.encode(a_row(result_count=number)) for number in range(7)])
    statements = []

    def counted(_conn, _cursor, statement, *_args):
        if statement.lstrip().upper().startswith("INSERT"):
            statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", counted)
    try:
        assert search_log.drain(batch=3) == 7
    finally:
        event.remove(db.engine, "before_cursor_execute", counted)
    assert sorted(row["result_count"] for row in rows()) == list(range(7))
    assert len(statements) == 3  # a batch of rows is one statement
    assert redis_client.llen(queue) == 0


def test_a_batch_the_database_refuses_goes_back_to_the_queue(app, client, listing, queue):
    client.get("/zoeken", query_string={"q": "maaltijd"})
    client.get("/zoeken", query_string={"q": "boodschappen"})
    with database_refusing_writes():
        with pytest.raises(Exception):  # noqa: B017, PT011  (the driver's own error: SQLite's or PostgreSQL's)
            search_log.drain()
        assert search_log.waiting() == 2
    assert search_log.drain() == 2
    assert sorted(row["query"] for row in rows()) == ["boodschappen", "maaltijd"]


def test_items_that_are_no_search_are_left_out_and_counted(app, queue, redis_client, caplog):
    good = search_log.encode(a_row())
    bad = [
        b"not json",
        b"{}",
        json.dumps(["2026-01-05", 10]).encode(),
        search_log.encode(a_row(hour=24)),
        search_log.encode(a_row(query="Hulp\x00")),
        search_log.encode(a_row(query="HULP")),
        search_log.encode(a_row(place_kind="street")),
        search_log.encode(a_row(source="app")),
        search_log.encode(a_row(result_count=-1)),
        search_log.encode(a_row(filters=True)),
        search_log.encode(a_row(area_code="x" * 65)),
        search_log.encode(a_row(area_code="doorn\n")),
        good.replace(b'"nl"', b'"de"'),
        good.replace(clock.today().isoformat().encode(), b"2026-13-01"),
    ]
    redis_client.rpush(queue, bad[0], good, *bad[1:])
    with caplog.at_level(logging.WARNING):
        assert search_log.drain() == 1
    assert rows() == [a_row()]
    assert f"{len(bad)} queued items were no search" in caplog.text


def test_encode_and_decode_give_back_the_row(app):
    for row in (a_row(), a_row(area_code=None, place_kind="none", radius_km=None, query="", source="api")):
        assert search_log.decode(search_log.encode(row)) == row
    assert search_log.decode(search_log.encode(a_row(searched_on=date(2026, 2, 28))))["searched_on"] == date(
        2026, 2, 28
    )


def test_without_redis_a_search_is_written_at_once_and_redis_is_left_alone_for_a_while(
    app, client, listing, caplog, monkeypatch
):
    app.config["SEARCH_LOG_QUEUE_URI"] = NOBODY_LISTENS
    with caplog.at_level(logging.WARNING):
        assert client.get("/zoeken", query_string={"q": "geheime maaltijd"}).status_code == 200
        assert client.get("/zoeken", query_string={"q": "maaltijd"}).status_code == 200
    assert [row["query"] for row in rows()] == ["geheime maaltijd", "maaltijd"]
    warnings = [record.getMessage() for record in caplog.records if "Redis does not answer" in record.getMessage()]
    assert len(warnings) == 1  # the second search did not try Redis again
    assert "geheime" not in caplog.text

    later = clock.monotonic() + search_log.QUEUE_RETRY + 1
    monkeypatch.setattr(clock, "monotonic", lambda: later)
    caplog.clear()
    with caplog.at_level(logging.WARNING):
        client.get("/zoeken", query_string={"q": "boodschappen"})
    assert "Redis does not answer" in caplog.text  # tried again after QUEUE_RETRY seconds
    assert rows()[-1]["query"] == "boodschappen"


def test_a_full_queue_drops_its_oldest_rows_and_says_so(app, client, listing, queue, redis_client, caplog, monkeypatch):
    monkeypatch.setattr(search_log, "QUEUE_MAX", 4)
    monkeypatch.setattr(search_log, "DRAIN_BATCH", 2)
    with caplog.at_level(logging.WARNING):
        for word in ("een", "twee", "drie", "vier", "vijf"):
            client.get("/zoeken", query_string={"q": word})
    assert redis_client.llen(queue) == 2  # QUEUE_MAX less a batch: room before the next warning
    assert "5 rows were waiting in Redis; the oldest 3 were dropped" in caplog.text
    assert search_log.drain() == 2
    assert [row["query"] for row in rows()] == ["vier", "vijf"]


def test_the_scheduler_writes_the_waiting_searches_at_every_look(app, client, listing, queue):
    client.get("/zoeken", query_string={"q": "maaltijd"})
    result = app.test_cli_runner().invoke(args=["jobs", "schedule", "--runs", "1", "--interval", "0"])
    assert result.exit_code == 0, result.output
    assert [row["query"] for row in rows()] == ["maaltijd"]
    assert search_log.waiting() == 0


def test_the_drain_command_and_the_monthly_job_write_the_waiting_searches(app, client, listing, queue):
    client.get("/zoeken", query_string={"q": "maaltijd"})
    result = app.test_cli_runner().invoke(args=["directory", "search-log-drain"])
    assert result.exit_code == 0 and "1 waiting searches written" in result.output
    client.get("/zoeken", query_string={"q": "boodschappen"})
    result = app.test_cli_runner().invoke(args=["jobs", "run", "search-log-months"])
    assert result.exit_code == 0, result.output
    assert [row["query"] for row in rows()] == ["maaltijd", "boodschappen"]


def test_healthz_counts_the_waiting_searches_and_stays_healthy_without_redis(app, client, listing, queue):
    from sociale_kaart.directory import services

    services.reindex_all()
    client.get("/zoeken", query_string={"q": "maaltijd"})
    client.get("/zoeken", query_string={"q": "boodschappen"})
    report = client.get("/healthz").get_json()
    assert report["status"] == "ok" and report["search_log_waiting"] == 2
    app.config["SEARCH_LOG_QUEUE_URI"] = NOBODY_LISTENS
    app.extensions.pop("sociale_kaart.search_log_queue")
    response = client.get("/healthz")
    assert response.status_code == 200 and response.get_json()["search_log_waiting"] is None


def test_without_the_setting_there_is_no_queue(app, client, listing):
    assert search_log.drain() == 0 and search_log.waiting() is None
    assert "search_log_waiting" not in client.get("/healthz").get_json()


@pytest.mark.parametrize("uri", ["http://redis:6379/1", "redis", "memory://"])
def test_the_setting_must_be_a_redis_address(tmp_path, uri):
    with pytest.raises(RuntimeError, match="SEARCH_LOG_QUEUE_URI"):
        load(tmp_path, {"SEARCH_LOG_QUEUE_URI": uri})


def test_with_redis_away_the_monthly_job_fails_and_adds_up_no_month(app):
    """A month is added up once: never while its last searches may still wait in Redis."""
    from sociale_kaart.ops import jobs

    app.config["SEARCH_LOG_QUEUE_URI"] = NOBODY_LISTENS
    last_month = search_log.freshness.add_months(clock.today().replace(day=1), -1)
    db.session.add(SearchLogEntry(**a_row(searched_on=last_month)))
    db.session.commit()
    run = jobs.run_now(jobs.find_job("search-log-months"))
    assert run.status == "failed" and run.summary.startswith("ConnectionError")
    assert db.session.scalar(select(search_log.SearchLogMonth.id)) is None
    app.config["SEARCH_LOG_QUEUE_URI"] = ""
    assert jobs.run_now(jobs.find_job("search-log-months")).status == "ok"
    assert db.session.scalar(select(search_log.SearchLogMonth.month)) == last_month
