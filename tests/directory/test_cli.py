"""`flask seed demo` and `flask search reindex`."""

import shutil

from sqlalchemy import func, select

from sociale_kaart.directory.models import Location, Organization, Service, ServiceAtLocation
from sociale_kaart.extensions import db
from tests.conftest import make_app


def counts():
    return tuple(
        db.session.scalar(select(func.count()).select_from(model))
        for model in (Organization, Service, Location, ServiceAtLocation)
    )


def test_seed_demo_loads_the_municipality_and_is_idempotent(app):
    runner = app.test_cli_runner()
    first = runner.invoke(args=["seed", "demo"])
    assert first.exit_code == 0, first.output
    loaded = counts()
    assert loaded[0] >= 45 and loaded[1] >= 150
    second = runner.invoke(args=["seed", "demo"])
    assert second.exit_code == 0, second.output
    assert counts() == loaded
    skipped = runner.invoke(args=["seed", "demo", "--if-empty"])
    assert "already has services" in skipped.output
    assert counts() == loaded


def test_seed_demo_refuses_production(tmp_path):
    app = make_app(tmp_path, name="production", ENV="production")
    result = app.test_cli_runner().invoke(args=["seed", "demo"])
    assert result.exit_code != 0
    assert "only runs" in result.output
    with app.app_context():
        db.engine.dispose()


def test_production_refuses_to_start_without_a_secret_key(tmp_path, monkeypatch):
    monkeypatch.delenv("SOCIALE_KAART_SECRET_KEY", raising=False)
    try:
        make_app(tmp_path, name="nokey", ENV="production", SECRET_KEY=None)
    except RuntimeError as error:
        assert "SOCIALE_KAART_SECRET_KEY" in str(error)
    else:
        raise AssertionError("production started without a secret key")


def test_search_reindex_rebuilds_a_deleted_index_on_disk_which_a_request_never_builds(tmp_path):
    app = make_app(tmp_path, name="ondisk", SEARCH_BACKEND="whoosh", SEARCH_DIR=str(tmp_path / "index"))
    runner = app.test_cli_runner()
    with app.app_context():
        db.create_all()
        assert runner.invoke(args=["seed", "demo"]).exit_code == 0
        shutil.rmtree(tmp_path / "index")
        client = app.test_client()
        response = client.get("/zoeken", query_string={"q": "respijtzorg", "waar": "Doorn"})
        # issue #16: a request does not build the index (seconds to minutes, in every worker): 503
        assert response.status_code == 503 and int(response.headers["Retry-After"]) > 0
        assert "de zoekfunctie wordt klaargezet" in response.get_data(as_text=True)
        assert not (tmp_path / "index").exists()
        result = runner.invoke(args=["search", "reindex"])
        assert result.exit_code == 0 and "Indexed" in result.output
        response = client.get("/zoeken", query_string={"q": "respijtzorg", "waar": "Doorn"})
        assert response.status_code == 200 and "listing__distance" in response.get_data(as_text=True)
        db.session.remove()
        db.engine.dispose()


def test_seed_workspace_gives_the_demo_broker_work_once(seeded_app):
    from sociale_kaart.accounts.services import find_user_by_email
    from sociale_kaart.directory import moderation
    from sociale_kaart.directory.models import ChangeRequest, Report
    from sociale_kaart.notify.models import OutboxMessage

    runner = seeded_app.test_cli_runner()
    first = runner.invoke(args=["seed", "workspace"])
    assert first.exit_code == 0, first.output
    assert first.output.count("password: ") == 4
    policy = find_user_by_email("beleid@demo.sociale-kaart.example.org")
    assert [role.role for role in policy.role_rows] == ["policy"] and not policy.areas and not policy.memberships
    assert "waiting for review" in first.output and "report about" in first.output and "join request" in first.output
    broker = find_user_by_email("makelaar@demo.sociale-kaart.example.org")
    editor = find_user_by_email("redacteur@demo.sociale-kaart.example.org")
    assert {m.organization.slug for m in editor.memberships} == {"dorpsteam-doorn", "dorpsteam-driebergen"}
    queue = moderation.moderation_queue(broker)
    assert (len(queue.changed), len(queue.reports), len(queue.memberships)) == (1, 1, 1)
    assert db.session.query(OutboxMessage).count() == 3  # the broker was told of all three
    second = runner.invoke(args=["seed", "workspace"])
    assert "already exist" in second.output and "password" not in second.output
    assert (db.session.query(ChangeRequest).count(), db.session.query(Report).count()) == (1, 1)


def test_seed_workspace_refuses_production(tmp_path, monkeypatch):
    monkeypatch.setenv("SOCIALE_KAART_SECRET_KEY", "k" * 64)
    app = make_app(tmp_path, name="seed_ws_prod", ENV="production")
    with app.app_context():
        db.create_all()
        result = app.test_cli_runner().invoke(args=["seed", "workspace"])
        assert result.exit_code != 0 and "development or testing" in result.output
        db.engine.dispose()


def _demo_dates(app):
    """Return the demo's dates as a resident and a broker see them: in days from the app's today."""
    from datetime import datetime

    from sociale_kaart import clock
    from sociale_kaart.directory import freshness
    from sociale_kaart.matching import timeslots
    from sociale_kaart.matching.models import HelpRequest, VolunteerProfile

    today = clock.today()

    def local(moment):
        return timeslots.to_local(moment, app.config["TIMEZONE"])

    def days(value):
        return None if value is None else ((value.date() if isinstance(value, datetime) else value) - today).days

    stages = sorted(
        freshness.stage_of(service.assured_date, today)
        for service in db.session.scalars(
            select(Service).join(Service.organization).where(Organization.is_demo.is_(True))
        )
    )
    requests = sorted(
        repr(
            (
                days(request.first_date),
                [(days(o.starts_at), local(o.starts_at).time()) for o in request.occurrences],
                [days(b.starts_at) for m in request.matches for b in m.bookings],
                [days(m.created_at) - days(request.first_date) for m in request.matches],
            )
        )
        for request in db.session.scalars(select(HelpRequest))
    )
    volunteers = sorted(
        repr((days(v.created_at), days(v.vog_valid_until), days(v.paused_until)))
        for v in db.session.scalars(select(VolunteerProfile))
    )
    return stages, requests, volunteers


def test_refresh_dates_moves_an_old_demo_to_today(app, app_clock, tmp_path):
    """A demo loaded 200 days ago shows, after --refresh-dates, the dates of a demo loaded today (#10)."""
    from datetime import timedelta

    from sociale_kaart import clock
    from sociale_kaart.matching.models import HelpRequest

    runner = app.test_cli_runner()
    assert runner.invoke(args=["seed", "demo"]).exit_code == 0
    as_loaded = _demo_dates(app)
    assert {"fresh", "reminder", "stale", "hidden"} <= set(as_loaded[0])
    upcoming = sum(1 for request in HelpRequest.query if request.first_date > clock.today())
    assert upcoming >= 5
    app_clock.start(clock.utcnow() + timedelta(days=200, hours=5))
    assert sum(1 for request in HelpRequest.query if request.first_date > clock.today()) == 0
    assert _demo_dates(app) != as_loaded
    kept = runner.invoke(args=["seed", "demo", "--if-empty"])
    assert "already has services" in kept.output
    moved = runner.invoke(args=["seed", "demo", "--if-empty", "--refresh-dates"])
    assert moved.exit_code == 0, moved.output
    assert "Demo dates moved to today" in moved.output and "help requests" in moved.output
    refreshed = _demo_dates(app)
    loaded_today = make_app(tmp_path, name="loaded_today")
    with loaded_today.app_context():
        db.create_all()
        assert loaded_today.test_cli_runner().invoke(args=["seed", "demo"]).exit_code == 0
        assert refreshed == _demo_dates(loaded_today)
        db.session.remove()
        db.engine.dispose()
    again = runner.invoke(args=["seed", "demo", "--refresh-dates"])
    assert "0 listings" in again.output and _demo_dates(app) == refreshed
