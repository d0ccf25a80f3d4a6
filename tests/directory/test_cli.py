"""`flask seed demo` and `flask search reindex`."""
import shutil

from sqlalchemy import func, select

from sociale_kaart.directory.models import Location, Organization, Service, ServiceAtLocation
from sociale_kaart.extensions import db
from tests.conftest import make_app


def counts():
    return tuple(db.session.scalar(select(func.count()).select_from(model))
                 for model in (Organization, Service, Location, ServiceAtLocation))


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


def test_search_reindex_rebuilds_a_deleted_index_on_disk(tmp_path):
    app = make_app(tmp_path, name="ondisk", SEARCH_BACKEND="whoosh", SEARCH_DIR=str(tmp_path / "index"))
    runner = app.test_cli_runner()
    with app.app_context():
        db.create_all()
        assert runner.invoke(args=["seed", "demo"]).exit_code == 0
        shutil.rmtree(tmp_path / "index")
        client = app.test_client()
        response = client.get("/zoeken", query_string={"q": "respijtzorg", "waar": "Doorn"})
        assert response.status_code == 200 and "listing__distance" in response.get_data(as_text=True)
        result = runner.invoke(args=["search", "reindex"])
        assert result.exit_code == 0 and "Indexed" in result.output
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
    assert first.output.count("password: ") == 3
    assert "waiting for review" in first.output and "report about" in first.output and "join request" in first.output
    broker = find_user_by_email("makelaar@demo.sociale-kaart.example.org")
    editor = find_user_by_email("redacteur@demo.sociale-kaart.example.org")
    assert {m.organization.slug for m in editor.memberships} == {"dorpsteam-doorn", "dorpsteam-driebergen"}
    queue = moderation.moderation_queue(broker)
    assert (len(queue.changed), len(queue.reports), len(queue.memberships)) == (1, 1, 1)
    assert db.session.query(OutboxMessage).count() == 3        # the broker was told of all three
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
