"""`flask matching retention | reminders | propose` (issue #4)."""

from datetime import UTC, timedelta

from sqlalchemy import select

from sociale_kaart import clock
from sociale_kaart.extensions import db
from sociale_kaart.matching.models import HelpRequest, Match
from tests.matching.factories import make_match, make_request, make_volunteer


def test_retention_anonymises_old_closed_requests(app):
    old = make_request(status="done", closed_at=clock.naive_utcnow() - timedelta(days=200))
    recent = make_request(status="done", closed_at=clock.naive_utcnow() - timedelta(days=20))
    runner = app.test_cli_runner()
    result = runner.invoke(args=["matching", "retention"])
    assert result.exit_code == 0, result.output
    assert "Bewaartermijn 180 dagen: 1 afgesloten hulpvragen geanonimiseerd." in result.output
    result = runner.invoke(args=["matching", "retention", "--days", "10"])
    assert "Bewaartermijn 10 dagen: 1 afgesloten" in result.output
    db.session.expire_all()
    assert db.session.get(HelpRequest, old.id).anonymised_at is not None
    assert db.session.get(HelpRequest, recent.id).anonymised_at is not None
    assert "0 afgesloten" in runner.invoke(args=["matching", "retention", "--days", "10"]).output


def test_reminders_sends_reminders_questions_and_expires(app, monkeypatch):
    tomorrow = make_request()
    make_match(tomorrow, make_volunteer(), status="accepted")
    passed = make_request(first_date=tomorrow.first_date - timedelta(days=1))
    moment = tomorrow.occurrences[0].starts_at - timedelta(hours=20)
    monkeypatch.setattr(clock, "utcnow", lambda: moment.replace(tzinfo=UTC))
    runner = app.test_cli_runner()
    result = runner.invoke(args=["matching", "reminders"])
    assert result.exit_code == 0, result.output
    assert result.output.strip().startswith(
        "Herinneringen: 1 (2 e-mails). Vragen ‘Is het doorgegaan?’: 0 (0 e-mails). Verlopen hulpvragen: 1. "
        "Wachten te lang (makelaars gemaild): "
    )
    again = runner.invoke(args=["matching", "reminders"])
    assert "Herinneringen: 0 (0 e-mails)" in again.output and "Verlopen hulpvragen: 0." in again.output
    db.session.expire_all()
    assert db.session.get(HelpRequest, passed.id).status == "expired"


def test_propose_suggests_volunteers_for_an_area(app):
    request = make_request()
    volunteer = make_volunteer()
    result = app.test_cli_runner().invoke(args=["matching", "propose", "--area", "doorn"])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("Doorn: 1 open hulpvragen, 1 vrijwilligers bekeken; 1 voorstellen gedaan")
    db.session.expire_all()
    match = db.session.scalar(select(Match).where(Match.request_id == request.id))
    assert (match.volunteer_id, match.status, match.source) == (volunteer.id, "suggested", "batch")


def test_propose_names_the_known_areas_for_an_unknown_one(app):
    make_request()
    result = app.test_cli_runner().invoke(args=["matching", "propose", "--area", "utrecht"])
    assert result.exit_code != 0
    assert "Onbekend gebied ‘utrecht’" in result.output and "doorn" in result.output
