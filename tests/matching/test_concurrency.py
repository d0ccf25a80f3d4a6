"""No double booking under concurrency (issue #4, item 6 and its acceptance test).

Two threads, each with its own app context, session and database connection, are released
together by a barrier and approve at the same moment:
- two different volunteers for the one date of a request;
- one volunteer for two requests at the same time.
Exactly one approval must win every time, 100 runs out of 100, on SQLite (a real file, WAL)
and on PostgreSQL (SOCIALE_KAART_TEST_DATABASE_URL). A short pause between the check and the
write widens the window in which a check-then-insert would double book.

The last test bypasses the service and its checks: raw inserts of colliding bookings race,
and the database's own guards (partial unique index; exclusion constraint on PostgreSQL,
triggers on SQLite) let exactly one through.
"""

import threading
import time as wall

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError, OperationalError

from sociale_kaart import transactions
from sociale_kaart.accounts.models import User
from sociale_kaart.errors import ValidationError
from sociale_kaart.extensions import db
from sociale_kaart.matching import booking
from sociale_kaart.matching.models import Booking, Match, Occurrence
from tests.matching.factories import make_broker, make_match, make_request, make_volunteer

RUNS = 100
GUARD_RUNS = 50  # the raw-insert races of the last test
THINK_SECONDS = 0.002  # between the check and the write, where a naive check-then-insert races
TAKEN = "Er is voor deze datum al een vrijwilliger gekoppeld."
BUSY = "Deze vrijwilliger heeft op dat moment al een taak."


def race(app, *actions):
    """Run each action in its own thread, app context and session, all released at once.

    Returns [("ok", value) | ("refused", message) | ("integrity", text) | ("deadlock", text) | ("error", repr)].
    """
    barrier = threading.Barrier(len(actions))
    results = [None] * len(actions)

    def run(index, action):
        with app.app_context():
            try:
                barrier.wait(timeout=10)
                results[index] = ("ok", action())
            except ValidationError as error:
                results[index] = ("refused", error.message)
            except IntegrityError as error:
                db.session.rollback()
                results[index] = ("integrity", str(error.orig))
            except OperationalError as error:
                db.session.rollback()
                # PostgreSQL: two inserts that both wait on the other's exclusion check; one is ended
                deadlock = getattr(error.orig, "sqlstate", None) == "40P01"
                results[index] = ("deadlock" if deadlock else "error", str(error.orig))
            except Exception as error:  # noqa: BLE001 - any other outcome fails the run below
                db.session.rollback()
                results[index] = ("error", repr(error))
            finally:
                db.session.remove()

    threads = [threading.Thread(target=run, args=(index, action)) for index, action in enumerate(actions)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return results


def approve_as(broker_id, match_id):
    """An action for a thread: load the broker in this thread's session and approve."""

    def action():
        broker = db.session.get(User, broker_id)
        return booking.approve_match(match_id, by=broker).id

    return action


@pytest.fixture
def slow_check(monkeypatch):
    """Pause after the dates are chosen and before they are written."""
    choose = booking._choose_dates

    def slowly(*args, **kwargs):
        chosen = choose(*args, **kwargs)
        wall.sleep(THINK_SECONDS)
        return chosen

    monkeypatch.setattr(booking, "_choose_dates", slowly)


def outcome(results):
    """Return (number of wins, the messages of the refusals, anything else)."""
    wins = [value for kind, value in results if kind == "ok"]
    refusals = [value for kind, value in results if kind == "refused"]
    other = [(kind, value) for kind, value in results if kind not in ("ok", "refused")]
    return wins, refusals, other


def active_for(**where):
    query = select(func.count(Booking.id)).where(Booking.active.is_(True))
    for name, value in where.items():
        query = query.where(getattr(Booking, name) == value)
    return db.session.scalar(query)


def test_two_volunteers_for_one_date_exactly_one_wins(app, slow_check):
    broker = make_broker(areas=("doorn",))
    volunteers = [make_volunteer(), make_volunteer()]
    started = wall.perf_counter()
    exactly_one = 0
    for run in range(RUNS):
        request = make_request()
        matches = [make_match(request, volunteer) for volunteer in volunteers]
        occurrence_id = request.occurrences[0].id
        db.session.commit()
        results = race(app, *(approve_as(broker.id, match.id) for match in matches))
        wins, refusals, other = outcome(results)
        assert other == [], f"run {run}: {other}"
        assert len(wins) == 1 and refusals == [TAKEN], f"run {run}: {results}"
        assert active_for(occurrence_id=occurrence_id) == 1
        statuses = sorted(db.session.scalars(select(Match.status).where(Match.request_id == request.id)))
        assert statuses == ["approved", "suggested"], f"run {run}: {statuses}"
        assert db.session.get(Occurrence, occurrence_id, populate_existing=True).status == "booked"
        exactly_one += 1
        # free the volunteers for the next run (a new request at the same time)
        for match in matches:
            db.session.execute(Booking.__table__.update().where(Booking.match_id == match.id).values(active=False))
        db.session.commit()
    print(
        f"\n{db.engine.dialect.name}: one volunteer per date, {exactly_one}/{RUNS} runs with exactly one "
        f"approval ({wall.perf_counter() - started:.1f} s)"
    )
    assert exactly_one == RUNS


def test_one_volunteer_for_two_overlapping_requests_exactly_one_wins(app, slow_check):
    broker = make_broker(areas=("doorn",))
    started = wall.perf_counter()
    exactly_one = 0
    for run in range(RUNS):
        volunteer = make_volunteer(max_tasks_per_week=5)
        requests = [make_request(), make_request()]  # same date and time window
        matches = [make_match(request, volunteer) for request in requests]
        db.session.commit()
        results = race(app, *(approve_as(broker.id, match.id) for match in matches))
        wins, refusals, other = outcome(results)
        assert other == [], f"run {run}: {other}"
        assert len(wins) == 1 and refusals == [BUSY], f"run {run}: {results}"
        assert active_for(volunteer_id=volunteer.id) == 1
        exactly_one += 1
    print(
        f"\n{db.engine.dialect.name}: one volunteer, overlapping requests, {exactly_one}/{RUNS} runs with "
        f"exactly one approval ({wall.perf_counter() - started:.1f} s)"
    )
    assert exactly_one == RUNS


def test_the_weekly_cap_holds_under_concurrency(app, slow_check):
    """Cap 1 a week, two tasks the same week at different times: exactly one approval."""
    from datetime import time, timedelta

    broker = make_broker(areas=("doorn",))
    for run in range(30):
        volunteer = make_volunteer(max_tasks_per_week=1)
        morning = make_request(window_start=time(9, 0), window_end=time(11, 0))
        next_day = make_request(first_date=morning.first_date + timedelta(days=1))
        matches = [make_match(morning, volunteer), make_match(next_day, volunteer)]
        db.session.commit()
        results = race(app, *(approve_as(broker.id, match.id) for match in matches))
        wins, refusals, other = outcome(results)
        assert other == [] and len(wins) == 1, f"run {run}: {results}"
        assert refusals == ["Deze vrijwilliger heeft in die week al het maximale aantal taken."]
        assert active_for(volunteer_id=volunteer.id) == 1


def test_the_same_approval_twice_at_once_books_once(app):
    """A double click: both calls return the approved match, one set of bookings."""
    broker = make_broker(areas=("doorn",))
    for run in range(20):
        request = make_request(weeks=3)
        match = make_match(request, make_volunteer(max_tasks_per_week=5))
        db.session.commit()
        results = race(app, approve_as(broker.id, match.id), approve_as(broker.id, match.id))
        assert [kind for kind, _value in results] == ["ok", "ok"], f"run {run}: {results}"
        assert active_for(match_id=match.id) == 3


def insert_booking(match_id, occurrence_id, volunteer_id):
    """An action for a thread: write a booking row directly, without any check in Python."""

    def action():
        transactions.begin_write()
        occurrence = db.session.get(Occurrence, occurrence_id)
        db.session.add(
            Booking(
                match_id=match_id,
                occurrence_id=occurrence_id,
                volunteer_id=volunteer_id,
                starts_at=occurrence.starts_at,
                ends_at=occurrence.ends_at,
            )
        )
        db.session.commit()
        return True

    return action


def test_database_guards_hold_when_the_service_check_is_bypassed(app):
    started = wall.perf_counter()
    held = deadlocks = 0
    for run in range(GUARD_RUNS):
        # two volunteers, one date: the partial unique index refuses the second booking
        request = make_request()
        occurrence_id = request.occurrences[0].id
        first, second = make_volunteer(), make_volunteer()
        a = make_match(request, first, status="approved", book=False)
        b = make_match(request, second, status="approved", book=False)
        db.session.commit()
        results = race(
            app, insert_booking(a.id, occurrence_id, first.id), insert_booking(b.id, occurrence_id, second.id)
        )
        assert sorted(kind for kind, _value in results) == ["integrity", "ok"], f"run {run}: {results}"
        assert active_for(occurrence_id=occurrence_id) == 1

        # one volunteer, two requests at the same time: the exclusion constraint (PostgreSQL) or
        # the trigger (SQLite) refuses the second booking
        volunteer = make_volunteer(max_tasks_per_week=5)
        one, two = make_request(), make_request()
        c = make_match(one, volunteer, status="approved", book=False)
        d = make_match(two, volunteer, status="approved", book=False)
        db.session.commit()
        results = race(
            app,
            insert_booking(c.id, one.occurrences[0].id, volunteer.id),
            insert_booking(d.id, two.occurrences[0].id, volunteer.id),
        )
        kinds = sorted(kind for kind, _value in results)
        # PostgreSQL checks an exclusion constraint after inserting the row, so two racing inserts
        # may each wait for the other: it then ends one of them (deadlock detected) instead.
        assert kinds in (["integrity", "ok"], ["deadlock", "ok"]), f"run {run}: {results}"
        refused = next(value for kind, value in results if kind != "ok")
        assert "ex_bookings_volunteer_overlap" in refused or "deadlock" in refused
        deadlocks += kinds[0] == "deadlock"
        assert active_for(volunteer_id=volunteer.id) == 1
        held += 1
        # free the first two volunteers' slot for the next run
        db.session.execute(
            Booking.__table__.update().where(Booking.volunteer_id.in_((first.id, second.id))).values(active=False)
        )
        db.session.commit()
    print(
        f"\n{db.engine.dialect.name}: database guards held in {held}/{GUARD_RUNS} runs, {deadlocks} of them "
        f"ended by deadlock detection ({wall.perf_counter() - started:.1f} s)"
    )
    assert held == GUARD_RUNS


def test_begin_write_takes_the_sqlite_write_lock_until_commit_or_rollback(app):
    """pysqlite (legacy transaction mode) would begin only before the first write; we begin at once."""
    if db.engine.dialect.name != "sqlite":
        pytest.skip("PostgreSQL locks rows with SELECT … FOR UPDATE instead")
    raw = db.session.connection().connection.dbapi_connection
    for finish in (db.session.commit, db.session.rollback):
        assert not raw.in_transaction
        transactions.begin_write()
        assert raw.in_transaction
        # another connection cannot write now (it would wait busy_timeout; here: fail at once)
        with db.engine.connect() as other:
            other.exec_driver_sql("PRAGMA busy_timeout = 0")
            try:
                with pytest.raises(OperationalError, match="locked"):
                    other.exec_driver_sql("BEGIN IMMEDIATE")
            finally:
                other.exec_driver_sql("PRAGMA busy_timeout = 5000")
        finish()
        raw = db.session.connection().connection.dbapi_connection
        assert not raw.in_transaction


def test_approve_waits_for_the_lock_before_it_reads(app):
    """Someone else holds the volunteer's row (PostgreSQL) or the write lock (SQLite): approve waits for it."""
    from sqlalchemy import text

    broker = make_broker(areas=("doorn",))
    match = make_match(make_request(), make_volunteer())
    broker_id, match_id, volunteer_id = broker.id, match.id, match.volunteer_id
    db.session.commit()
    with db.engine.connect() as other:
        if db.engine.dialect.name == "sqlite":
            other.exec_driver_sql("BEGIN IMMEDIATE")
        else:
            other.execute(text("SELECT id FROM volunteer_profiles WHERE id = :id FOR UPDATE"), {"id": volunteer_id})
        results = []
        worker = threading.Thread(target=lambda: results.extend(race(app, approve_as(broker_id, match_id))))
        worker.start()
        worker.join(timeout=0.5)
        assert worker.is_alive(), "approve did not wait for the lock"
        other.commit()
        worker.join(timeout=10)
    assert [kind for kind, _value in results] == ["ok"]
