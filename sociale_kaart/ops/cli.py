"""`flask jobs list | run NAME | run-due | schedule` (issue #16)."""

import logging
import time

import click
from flask.cli import AppGroup

from ..extensions import db
from ..logs import command_summary
from . import jobs

jobs_cli = AppGroup("jobs", help="Scheduled jobs: the timetable, run one, run what is due, the scheduler.")
log = logging.getLogger(jobs.__name__)


def _line(run):
    return f"{run.job}  {run.slot}  {run.status}  {run.summary}"


@jobs_cli.command("list")
def list_jobs():
    """Print the timetable (local time) with each job's last run."""
    last = jobs.last_runs()
    for job in jobs.TIMETABLE:
        run = last[job.name]
        done = f"last: {run.slot} {run.status} {run.summary}" if run else "last: never"
        click.echo(f"{job.name:22} {job.every.describe():16} {job.description}")
        click.echo(f"{'':22} {done}")


@jobs_cli.command("run")
@click.argument("name")
def run(name):
    """Run one job now, outside the timetable (recorded as a manual run)."""
    job = jobs.find_job(name)
    if job is None:
        raise click.ClickException(
            f"Unknown job {name!r}; choose one of: " + ", ".join(job.name for job in jobs.TIMETABLE)
        )
    result = jobs.run_now(job)
    command_summary(log, "%s", _line(result))  # a JSON line in JSON log mode (#16)
    if result.status != "ok":
        raise SystemExit(1)


@jobs_cli.command("run-due")
def run_due():
    """Run the jobs that are due now and not yet run in their slot (by any scheduler)."""
    runs = jobs.run_due()
    for result in runs:
        command_summary(log, "%s", _line(result))  # JSON lines in JSON log mode (#16)
    if not runs:
        command_summary(log, "Nothing due.")
    if any(result.status != "ok" for result in runs):
        raise SystemExit(1)


@jobs_cli.command("schedule")
@click.option("--interval", default=60.0, show_default=True, type=float, help="Seconds between looks.")
@click.option("--runs", default=0, type=int, hidden=True, help="Stop after this many looks (0: never; tests).")
def schedule(interval, runs):
    """The scheduler: every minute run the jobs that are due. Several may run; each slot runs once."""
    if log.getEffectiveLevel() > logging.INFO:
        log.setLevel(logging.INFO)  # each run is logged (as JSON with SOCIALE_KAART_LOG_FORMAT=json)
    log.info("scheduler started: %s jobs, a look every %s s", len(jobs.TIMETABLE), interval)
    done = 0
    while True:
        try:
            jobs.drain_search_log()
        except Exception:  # Redis or the database away for a while: the rows wait for the next look
            log.exception("scheduler: could not write the waiting searches into the search log")
        finally:
            db.session.remove()
        try:
            jobs.run_due()
        except Exception:  # the database away for a while: log, and look again next time
            log.exception("scheduler: could not run the due jobs")
        finally:
            db.session.remove()
        done += 1
        if runs and done >= runs:
            break
        try:
            time.sleep(interval)
        except KeyboardInterrupt:
            break
