"""Scheduled jobs (issue #16): what is due when, each slot once across schedulers, failures recorded."""

import logging
from datetime import UTC, datetime, time, timedelta

import pytest
from sqlalchemy import func, select

from sociale_kaart import clock
from sociale_kaart.extensions import db
from sociale_kaart.notify.models import OutboxMessage
from sociale_kaart.ops import jobs
from sociale_kaart.ops.models import JobRun
from sociale_kaart.ops.timetable import Every
from tests.conftest import make_app

ALL = [job.name for job in jobs.TIMETABLE]
RETENTION = ["prune-sessions", "matching-retention", "signals-retention", "search-log-retention"]
NIGHT = [*RETENTION, "search-log-months"]  # the searches added up after the retention, in the same minute


def set_local(app_clock, day, hour, minute):
    """Move the app clock to a local wall time (the municipality's zone)."""
    app_clock.start(datetime.combine(day, time(hour, minute), tzinfo=clock.zone()).astimezone(UTC))


def names(runs):
    return [run.job for run in runs]


def test_each_job_runs_in_its_slot_once_by_the_app_clock(app, app_clock):
    today = clock.today()
    tomorrow = today + timedelta(days=1)
    steps = [
        ((today, 10, 30), ALL),  # a fresh scheduler catches up every job's latest slot
        ((today, 10, 59), []),
        ((today, 11, 5), ["matching-reminders"]),
        ((tomorrow, 2, 59), ["matching-reminders"]),
        ((tomorrow, 3, 0), NIGHT),
        ((tomorrow, 6, 0), ["freshness", "matching-reminders"]),
        ((tomorrow, 6, 4), []),
        ((tomorrow, 7, 0), ["signals-remind", "matching-reminders"]),
    ]
    for (day, hour, minute), expected in steps:
        set_local(app_clock, day, hour, minute)
        runs = jobs.run_due()
        assert names(runs) == expected, (day, hour, minute)
        assert all(run.status == "ok" for run in runs), [(run.job, run.summary) for run in runs]
    slots = {tuple(row) for row in db.session.execute(select(JobRun.job, JobRun.slot))}
    assert ("freshness", f"{tomorrow.isoformat()}T06:00") in slots
    assert ("prune-sessions", f"{today.isoformat()}T03:00") in slots
    assert ("matching-reminders", f"{tomorrow.isoformat()}T06:05") in slots


def counting_timetable(calls, fail=()):
    """Three hourly jobs that count their runs; those named in `fail` write a message, then raise."""

    def make(name):
        def run():
            calls.append(name)
            if name in fail:
                db.session.add(OutboxMessage(to_address="x@example.org", subject="s", body_text="b", template="t"))
                db.session.flush()
                raise RuntimeError("kapot bij https://kaart.example.org/mijn-hulpvraag/Abc123Def456Ghi789Jkl0")
            return f"{name} done"

        return run

    return tuple(jobs.Job(name, Every.hour_at(0), make(name), name) for name in ("een", "twee", "drie"))


def test_a_failing_job_is_recorded_rolled_back_and_the_others_still_run(app, caplog):
    calls = []
    timetable = counting_timetable(calls, fail={"twee"})
    with caplog.at_level(logging.ERROR, logger="sociale_kaart.ops.jobs"):
        runs = jobs.run_due(timetable=timetable)
    assert [(run.job, run.status) for run in runs] == [("een", "ok"), ("twee", "failed"), ("drie", "ok")]
    failed = runs[1]
    assert failed.summary == "RuntimeError: kapot bij https://kaart.example.org/mijn-hulpvraag/***"
    assert failed.finished_at is not None
    assert db.session.scalar(select(func.count(OutboxMessage.id))) == 0  # its write was rolled back
    assert "job twee" in caplog.text and "Abc123Def456" not in caplog.text
    assert jobs.run_due(timetable=timetable) == [] and calls == ["een", "twee", "drie"]  # not again this slot


def test_two_schedulers_on_one_database_run_a_slot_once(app, tmp_path):
    other = make_app(tmp_path, name="second_scheduler", SQLALCHEMY_DATABASE_URI=app.config["SQLALCHEMY_DATABASE_URI"])
    calls = []
    timetable = counting_timetable(calls)
    try:
        mine = jobs.due_jobs(timetable=timetable)
        with other.app_context():
            theirs = jobs.due_jobs(timetable=timetable)  # both see every job as due ...
            assert [job.name for job, _ in theirs] == ["een", "twee", "drie"]
            won = [jobs.run_job(job, slot) for job, slot in theirs]
            db.session.remove()
        lost = [jobs.run_job(job, slot) for job, slot in mine]  # ... and only the first claim runs them
        assert [run.status for run in won] == ["ok"] * 3 and lost == [None] * 3
        assert calls == ["een", "twee", "drie"]
        assert db.session.scalar(select(func.count(JobRun.id))) == 3
    finally:
        with other.app_context():
            db.engine.dispose()


def test_a_manual_run_is_recorded_and_leaves_the_scheduled_slot_alone(app):
    calls = []
    timetable = counting_timetable(calls)
    run = jobs.run_now(timetable[0])
    assert run.status == "ok" and run.slot.startswith(jobs.MANUAL) and run.summary == "een done"
    assert [job.name for job, _ in jobs.due_jobs(timetable=timetable)] == ["een", "twee", "drie"]
    assert jobs.last_runs(timetable)["een"].id == run.id and jobs.last_runs(timetable)["twee"] is None


def test_every_job_of_the_timetable_runs_on_an_empty_database(app):
    for job in jobs.TIMETABLE:
        run = jobs.run_now(job)
        assert run.status == "ok", (job.name, run.summary)


@pytest.mark.parametrize("name", [job.name for job in jobs.TIMETABLE])
def test_job_names_are_unique_and_findable(name):
    assert jobs.find_job(name).name == name
    assert ALL.count(name) == 1
