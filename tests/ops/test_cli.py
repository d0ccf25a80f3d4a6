"""`flask jobs list | run NAME | run-due | schedule` (issue #16)."""

from sqlalchemy import select

from sociale_kaart.extensions import db
from sociale_kaart.ops import jobs
from sociale_kaart.ops.models import JobRun


def test_list_prints_the_timetable_with_the_last_runs(app):
    runner = app.test_cli_runner()
    assert runner.invoke(args=["jobs", "run", "freshness"]).exit_code == 0
    result = runner.invoke(args=["jobs", "list"])
    assert result.exit_code == 0
    for job in jobs.TIMETABLE:
        assert job.name in result.output
    assert "daily 03:00" in result.output and "daily 06:00" in result.output and "hourly at :05" in result.output
    assert "last: manual-" in result.output and "last: never" in result.output


def test_run_runs_one_job_now_and_refuses_an_unknown_name(app):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["jobs", "run", "prune-sessions"])
    assert result.exit_code == 0 and "prune-sessions  manual-" in result.output and " ok  deleted 0" in result.output
    unknown = runner.invoke(args=["jobs", "run", "opruimen"])
    assert unknown.exit_code != 0 and "Unknown job 'opruimen'" in unknown.output and "freshness" in unknown.output


def test_run_due_runs_what_is_due_once(app):
    runner = app.test_cli_runner()
    first = runner.invoke(args=["jobs", "run-due"])
    assert first.exit_code == 0 and all(job.name in first.output for job in jobs.TIMETABLE)
    again = runner.invoke(args=["jobs", "run-due"])
    assert again.exit_code == 0 and again.output.strip() == "Nothing due."


def test_the_scheduler_runs_the_due_jobs_at_each_look(app):
    result = app.test_cli_runner().invoke(args=["jobs", "schedule", "--runs", "2", "--interval", "0"])
    assert result.exit_code == 0, result.output
    runs = db.session.scalars(select(JobRun)).all()
    assert sorted(run.job for run in runs) == sorted(job.name for job in jobs.TIMETABLE)  # once, not twice
    assert {run.status for run in runs} == {"ok"}
