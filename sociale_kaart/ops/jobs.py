"""The scheduled jobs (issue #16): the timetable, and running each job once per slot.

Each job calls the same service function as its own command (`flask directory freshness`,
`flask matching retention`, …). `run_due()` claims a job's slot by inserting a `job_runs` row
that is unique on (job, slot) and commits it before the job starts: however many schedulers
run (several servers, a restart in the middle of a slot), only the one whose insert succeeds
runs the job; the others skip it. That works the same on PostgreSQL and SQLite. A job that
fails is rolled back, logged and recorded as failed; the jobs after it still run.
"""

import logging
import os
import socket
from collections.abc import Callable
from dataclasses import dataclass

from flask import current_app
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from .. import clock
from ..extensions import db
from ..logs import MASKER
from .models import JobRun
from .timetable import Every, current_slot

log = logging.getLogger(__name__)

MANUAL = "manual-"  # the slot of `flask jobs run NAME` starts with this
SUMMARY_LENGTH = 300


@dataclass(frozen=True)
class Job:
    """A named job: when it runs, what it does (returns a one-line summary of counts)."""

    name: str
    every: Every
    run: Callable[[], str]
    description: str


def _counts(counts: dict) -> str:
    return ", ".join(f"{name} {value}" for name, value in counts.items())


def _prune_sessions() -> str:
    from ..accounts import services

    return f"deleted {services.prune_sessions()}"


def _matching_retention() -> str:
    from ..matching import drafts, privacy

    anonymised = privacy.run_retention(days=current_app.config["MATCHING_RETENTION_DAYS"])
    return f"anonymised {anonymised}, unsent drafts deleted {drafts.purge()}"


def _signals_retention() -> str:
    from ..signals import privacy

    return f"erased {privacy.run_retention()}"


def _search_log_retention() -> str:
    from ..directory import search_log

    return f"deleted {search_log.delete_old_entries(current_app.config['SEARCH_LOG_MONTHS'])}"


def _search_log_months() -> str:
    from ..directory import search_log

    # last month's searches still waiting in Redis count too: with Redis away the job fails and adds up nothing (a
    # month is added up once, so never without its waiting searches) and the next night's run does it
    written = search_log.drain()
    return f"written {written}, added up {search_log.add_up_months()}"


def _freshness() -> str:
    from ..directory import freshness

    return _counts(freshness.send_reminders())


def _signals_remind() -> str:
    from ..signals import services

    return f"reminded {services.send_overdue_reminders()}"


def _matching_reminders() -> str:
    from ..matching import lifecycle

    sent, asked = lifecycle.send_reminders(), lifecycle.ask_feedback()
    expired = lifecycle.expire_requests()
    escalated = lifecycle.escalate_waiting()
    return f"reminders {sent['reminders']}, questions {asked['questions']}, expired {expired}, escalated {escalated}"


def drain_search_log() -> int:
    """Write the searches waiting in Redis into the search log (the scheduler, at every look; not a job of the
    timetable: it runs every minute, claims nothing and records no run). Return how many."""
    from ..directory import search_log

    written = search_log.drain()
    if written:
        log.info("search log: %s waiting searches written", written)
    return written


# In this order within a minute. Local times (the TIMEZONE setting, Europe/Amsterdam).
TIMETABLE = (
    Job("prune-sessions", Every.day(3, 0), _prune_sessions, "delete ended login sessions (flask users prune-sessions)"),
    Job(
        "matching-retention",
        Every.day(3, 0),
        _matching_retention,
        "anonymise closed help requests after the retention period, delete old form drafts (flask matching retention)",
    ),
    Job(
        "signals-retention",
        Every.day(3, 0),
        _signals_retention,
        "erase closed signals' personal fields after 6 months (flask signals retention)",
    ),
    Job(
        "search-log-retention",
        Every.day(3, 0),
        _search_log_retention,
        "delete anonymous search log entries after 12 months (flask directory search-log-retention)",
    ),
    Job(
        "search-log-months",
        Every.day(3, 0),
        _search_log_months,
        "add up each month of the search log that is over, for the area analysis (flask directory search-log-months)",
    ),
    Job(
        "freshness", Every.day(6, 0), _freshness, "queue the freshness reminders to editors (flask directory freshness)"
    ),
    Job(
        "signals-remind",
        Every.day(7, 0),
        _signals_remind,
        "mail the brokers about signals past their due date (flask signals remind)",
    ),
    Job(
        "matching-reminders",
        Every.hour_at(5),
        _matching_reminders,
        "day-before reminders, 'Is het doorgegaan?', expiry of past requests, brokers mailed about requests "
        "waiting too long (flask matching reminders)",
    ),
)


def find_job(name: str, timetable=TIMETABLE) -> Job | None:
    """Return the job with this name, or None."""
    return next((job for job in timetable if job.name == name), None)


def due_jobs(now=None, timetable=TIMETABLE) -> list[tuple[Job, str]]:
    """Return the jobs whose current slot has no run yet, with that slot, in timetable order."""
    now = now or clock.local_now()
    slots = {job.name: current_slot(job.every, now) for job in timetable}
    taken = {
        tuple(row)
        for row in db.session.execute(select(JobRun.job, JobRun.slot).where(JobRun.slot.in_(set(slots.values()))))
    }
    return [(job, slots[job.name]) for job in timetable if (job.name, slots[job.name]) not in taken]


def run_due(now=None, timetable=TIMETABLE) -> list[JobRun]:
    """Run every due job whose slot this process can claim; return their finished runs."""
    runs = []
    for job, slot in due_jobs(now, timetable):
        run = run_job(job, slot)
        if run is not None:
            runs.append(run)
    return runs


def run_now(job: Job) -> JobRun:
    """Run a job at once, outside the timetable (`flask jobs run NAME`); recorded under a manual slot."""
    slot = MANUAL + clock.naive_utcnow().strftime("%Y-%m-%dT%H:%M:%S.%f")
    run = run_job(job, slot)
    if run is None:  # two manual runs in the same microsecond
        raise RuntimeError(f"job {job.name} was started twice at once")
    return run


def run_job(job: Job, slot: str) -> JobRun | None:
    """Claim the slot, run the job, record how it went; None when another process has the slot."""
    run_id = _claim(job.name, slot)
    if run_id is None:
        log.info("job %s, slot %s: already claimed by another scheduler", job.name, slot)
        return None
    log.info("job %s, slot %s: started", job.name, slot)
    try:
        summary, status = job.run(), "ok"
    except Exception as error:
        db.session.rollback()
        log.exception("job %s, slot %s: failed", job.name, slot)
        # the error's type and masked first line; statement parameters never reach it (hide_parameters)
        first_line = (str(error).splitlines() or [""])[0]
        summary, status = f"{type(error).__name__}: {MASKER.mask_text(first_line)}", "failed"
    else:
        log.info("job %s, slot %s: done (%s)", job.name, slot, summary)
    db.session.execute(
        update(JobRun)
        .where(JobRun.id == run_id)
        .values(status=status, finished_at=clock.naive_utcnow(), summary=summary[:SUMMARY_LENGTH])
    )
    db.session.commit()
    run = db.session.get(JobRun, run_id, populate_existing=True)
    db.session.expunge(run)
    db.session.remove()  # the next job starts with an empty session
    return run


def _claim(job_name: str, slot: str) -> int | None:
    """Insert the (job, slot) row and commit it; return its id, or None when it exists already."""
    run = JobRun(job=job_name, slot=slot, status="running", host=f"{socket.gethostname()}:{os.getpid()}"[:100])
    db.session.add(run)
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        return None
    return run.id


def last_runs(timetable=TIMETABLE) -> dict[str, JobRun | None]:
    """Return each job's latest run (scheduled or manual), or None."""
    latest = {}
    for job in timetable:
        latest[job.name] = db.session.scalars(
            select(JobRun).where(JobRun.job == job.name).order_by(JobRun.started_at.desc(), JobRun.id.desc()).limit(1)
        ).first()
    return latest
