"""One row per job run: the claim that makes each slot of a job run once, on any number of servers."""

from .. import clock
from ..extensions import Model, db, one_of

STATUSES = ("running", "ok", "failed")


class JobRun(Model):
    """A job's run in one slot ("2026-11-30T03:00" local, or "manual-…" for `flask jobs run`).

    The unique (job, slot) pair is the claim: the scheduler inserts the row before it runs the
    job, and a second scheduler (another server, a restart) that tries the same slot fails on it.
    """

    __tablename__ = "job_runs"
    __table_args__ = (
        db.UniqueConstraint("job", "slot"),
        db.CheckConstraint(one_of("status", STATUSES), name="status"),
    )
    id = db.Column(db.Integer, primary_key=True)
    job = db.Column(db.String(40), nullable=False)
    slot = db.Column(db.String(40), nullable=False)
    status = db.Column(db.String(8), nullable=False, default="running")
    started_at = db.Column(db.DateTime, nullable=False, default=clock.naive_utcnow, index=True)
    finished_at = db.Column(db.DateTime)
    summary = db.Column(db.Text, nullable=False, default="")  # counts, or the error (no personal data)
    host = db.Column(db.String(100), nullable=False, default="")  # the scheduler that ran it: host and pid
