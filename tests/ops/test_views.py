"""`/healthz` (issue #16): database, search and outbox; 503 when the database or search is down."""

from datetime import timedelta

from flask_limiter import ExemptionScope

from sociale_kaart import clock
from sociale_kaart.directory import services
from sociale_kaart.extensions import db, limiter
from sociale_kaart.notify.models import OutboxMessage
from tests.conftest import make_app


def queue(minutes_ago, status="queued"):
    moment = clock.naive_utcnow() - timedelta(minutes=minutes_ago)
    db.session.add(
        OutboxMessage(
            to_address="iemand@example.org",
            subject="Onderwerp",
            body_text="Tekst",
            template="t",
            status=status,
            created_at=moment,
            next_attempt_at=moment,
        )
    )
    db.session.commit()


def test_healthy_is_200_with_the_report_and_no_cookie(app, client):
    services.reindex_all()
    queue(10)
    queue(3)
    queue(-5)  # a retry that is not due yet
    queue(60, status="sent")
    response = client.get("/healthz")
    assert response.status_code == 200
    report = response.get_json()
    assert report["status"] == "ok" and report["database"] == "ok" and report["search"] == "ok"
    assert report["outbox"]["backlog"] == 2
    assert 600 <= report["outbox"]["oldest_age_seconds"] < 660
    assert "Set-Cookie" not in response.headers
    assert response.headers["Cache-Control"] == "no-store"
    assert "iemand@example.org" not in response.get_data(as_text=True)
    assert set(report) == {"status", "database", "search", "outbox"}


def test_an_empty_outbox_has_no_backlog(app, client):
    services.reindex_all()
    assert client.get("/healthz").get_json()["outbox"] == {"backlog": 0, "oldest_age_seconds": 0}


def test_an_unreadable_search_index_is_503(tmp_path, request):
    from tests.conftest import fresh_app

    folder = tmp_path / "index"
    folder.mkdir()
    (folder / "notes.txt").write_text("not an index")
    app = fresh_app(tmp_path, request, SEARCH_BACKEND="whoosh", SEARCH_DIR=str(folder))
    with app.app_context():
        db.create_all()
        response = app.test_client().get("/healthz")
        assert response.status_code == 503
        assert response.get_json() == {
            "status": "unavailable",
            "database": "ok",
            "search": "down",
            "outbox": {"backlog": 0, "oldest_age_seconds": 0},
        }
        db.session.remove()
        db.engine.dispose()


def test_a_database_that_does_not_answer_is_503(tmp_path):
    app = make_app(
        tmp_path, name="no_database", SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path / 'missing-folder' / 'x.db'}"
    )
    with app.app_context():
        response = app.test_client().get("/healthz")
        assert response.status_code == 503
        report = response.get_json()
        assert (report["status"], report["database"], report["outbox"]) == ("unavailable", "down", None)
        db.engine.dispose()


def test_healthz_is_exempt_from_every_rate_limit(app):
    scope = limiter.limit_manager.exemption_scope(app, "ops.healthz", "ops")
    assert scope & ExemptionScope.DEFAULT and scope & ExemptionScope.APPLICATION
