"""Verified freshness: reminders once per stage, the stale badge, leaving and re-entering search."""

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import select

from sociale_kaart import clock
from sociale_kaart.directory import freshness, services
from sociale_kaart.directory.models import FreshnessNotice, HistoryEntry
from sociale_kaart.errors import PermissionDenied
from sociale_kaart.extensions import db
from sociale_kaart.notify.models import OutboxMessage
from tests.builders import make_location, make_organization, make_service, make_user

TODAY = date(2026, 11, 22)


@pytest.fixture
def moved_clock(monkeypatch):
    """Set the app's clock to a date (noon in Amsterdam); returns the setter."""

    def move(day):
        moment = datetime(day.year, day.month, day.day, 11, 0, tzinfo=UTC)
        monkeypatch.setattr(clock, "utcnow", lambda: moment)

    move(TODAY)
    return move


@pytest.mark.parametrize(
    "checked, stage",
    [
        (date(2026, 11, 22), "fresh"),
        (date(2026, 5, 23), "fresh"),  # 6 months minus a day
        (date(2026, 5, 22), "reminder"),  # exactly 6 months
        (date(2026, 2, 23), "reminder"),
        (date(2026, 2, 22), "stale"),  # 9 months
        (date(2025, 11, 23), "stale"),
        (date(2025, 11, 22), "hidden"),  # 12 months
        (date(2020, 1, 1), "hidden"),
    ],
)
def test_stage_follows_the_configured_months(app, checked, stage):
    assert freshness.stage_of(checked, TODAY) == stage


def test_periods_are_configurable(tmp_path):
    from tests.conftest import make_app

    app = make_app(
        tmp_path, name="periods", FRESHNESS_REMINDER_MONTHS=1, FRESHNESS_STALE_MONTHS=2, FRESHNESS_HIDE_MONTHS=3
    )
    with app.app_context():
        assert freshness.stage_of(date(2026, 10, 22), TODAY) == "reminder"
        assert freshness.stage_of(date(2026, 9, 22), TODAY) == "stale"
        assert freshness.stage_of(date(2026, 8, 22), TODAY) == "hidden"
        db.engine.dispose()


@pytest.mark.parametrize(
    "day, months, expected",
    [
        (date(2026, 8, 31), 6, date(2027, 2, 28)),
        (date(2024, 2, 29), 12, date(2025, 2, 28)),
        (date(2026, 11, 22), -12, date(2025, 11, 22)),
        (date(2026, 1, 31), -2, date(2025, 11, 30)),
    ],
)
def test_add_months_clamps_to_the_end_of_the_month(day, months, expected):
    assert freshness.add_months(day, months) == expected


def _listing(assured):
    organization = make_organization()
    editor = make_user(roles=("editor",), organizations=[organization], language="en")
    service = make_service(location=make_location(organization), name="Mantelzorgcafé Doorn", assured_date=assured)
    return service, editor


def _outbox():
    return db.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)).all()


def test_reminders_are_sent_once_per_stage_as_the_clock_moves(app, moved_clock):
    service, editor = _listing(date(2026, 1, 10))
    days = [
        date(2026, 7, 9),
        date(2026, 7, 10),
        date(2026, 7, 11),
        date(2026, 8, 1),
        date(2026, 10, 10),
        date(2026, 10, 11),
        date(2027, 1, 10),
        date(2027, 1, 11),
    ]
    sent = []
    for day in days:
        moved_clock(day)
        counts = freshness.send_reminders()
        sent.append((day, {stage: counts[stage] for stage in freshness.NOTICE_STAGES}))
    assert [day for day, counts in sent if any(counts.values())] == [
        date(2026, 7, 10),
        date(2026, 10, 10),
        date(2027, 1, 10),
    ]
    messages = _outbox()
    assert [m.template for m in messages] == ["freshness_reminder", "freshness_stale", "freshness_hidden"]
    assert {m.to_address for m in messages} == {editor.email}
    assert messages[0].language == "en" and "Mantelzorgcafé Doorn" in messages[0].subject
    assert db.session.query(FreshnessNotice).count() == 3


def test_a_check_starts_a_new_cycle_of_reminders(app, moved_clock):
    service, editor = _listing(date(2026, 1, 10))
    moved_clock(date(2026, 7, 15))
    assert freshness.send_reminders()["reminder"] == 1
    freshness.mark_checked(service.id, by=editor)
    assert freshness.send_reminders()["reminder"] == 0
    moved_clock(date(2027, 1, 15))
    assert freshness.send_reminders()["reminder"] == 1
    assert len(_outbox()) == 2


def test_freshness_command_is_idempotent(app, moved_clock):
    _listing(date(2026, 1, 10))
    from sociale_kaart.directory.cli import directory_cli

    first = app.test_cli_runner().invoke(directory_cli, ["freshness", "--today", "2026-07-20"])
    second = app.test_cli_runner().invoke(directory_cli, ["freshness", "--today", "2026-07-20"])
    assert "1 reminders" in first.output and "1 e-mails queued" in first.output
    assert "0 reminders" in second.output and "0 e-mails queued" in second.output
    assert len(_outbox()) == 1


def test_listing_without_editors_is_recorded_but_mails_nobody(app, moved_clock):
    make_service(assured_date=date(2025, 1, 1))
    counts = freshness.send_reminders()
    assert counts["hidden"] == 1 and counts["emails"] == 0
    assert _outbox() == []


def test_stale_listing_shows_a_warning_and_hidden_listing_leaves_search(app, moved_clock):
    service, editor = _listing(date(2026, 1, 10))
    client = app.test_client()
    url = f"/aanbod/{service.id}"

    moved_clock(date(2026, 9, 1))  # under 9 months: no warning, in search
    assert "Mogelijk verouderd" not in client.get(url).get_data(as_text=True)
    assert services.search_listings(services.SearchCriteria(text="mantelzorgcafé")).total == 1

    moved_clock(date(2026, 10, 10))  # 9 months: warning on the page and in the results
    assert "Mogelijk verouderd" in client.get(url).get_data(as_text=True)
    results = client.get("/zoeken", query_string={"q": "mantelzorgcafé"}).get_data(as_text=True)
    assert "Mantelzorgcafé Doorn" in results and "Mogelijk verouderd" in results

    moved_clock(date(2027, 1, 10))  # 12 months: out of search, page still there with warning
    assert services.search_listings(services.SearchCriteria(text="mantelzorgcafé")).total == 0
    assert "Mantelzorgcafé Doorn" not in client.get("/zoeken", query_string={"q": "mantelzorgcafé"}).get_data(
        as_text=True
    )
    page = client.get(url)
    assert page.status_code == 200 and "Mogelijk verouderd" in page.get_data(as_text=True)
    assert dict(services.category_counts())  # counts still computed
    assert all(count == 0 for term, count in services.category_counts() if term.code == "respijtzorg")

    freshness.mark_checked(service.id, by=editor)  # checked again: back in search, no warning
    assert services.search_listings(services.SearchCriteria(text="mantelzorgcafé")).total == 1
    assert "Mogelijk verouderd" not in client.get(url).get_data(as_text=True)
    assert service.assured_date == date(2027, 1, 10) and service.assured_by_id == editor.id


def test_mark_checked_records_history(app, moved_clock):
    service, editor = _listing(date(2026, 1, 10))
    freshness.mark_checked(service.id, by=editor)
    entry = db.session.scalars(select(HistoryEntry).where(HistoryEntry.target_id == service.id)).one()
    assert entry.action == "checked" and entry.actor_id == editor.id
    assert entry.changes == {"assured_date": ["2026-01-10", "2026-11-22"]}


def test_who_may_mark_a_listing_checked(app, moved_clock):
    service, editor = _listing(date(2026, 1, 10))
    other_editor = make_user(roles=("editor",), organizations=[make_organization()])
    area_broker = make_user(roles=("broker",))  # no areas: the listing has none either
    resident = make_user(roles=("resident",))
    freshness.mark_checked(service.id, by=area_broker)
    for user in (other_editor, resident):
        with pytest.raises(PermissionDenied):
            freshness.mark_checked(service.id, by=user)


def test_overdue_listings_per_area_for_brokers(seeded_app):
    from sociale_kaart.directory.models import Area

    doorn = db.session.scalars(select(Area).where(Area.code == "doorn")).one()
    broker = make_user(roles=("broker",), areas=[doorn])
    admin = make_user(roles=("admin",))
    all_rows = freshness.overdue_listings(admin)
    mine = freshness.overdue_listings(broker)
    doorn_only = freshness.overdue_listings(admin, area_id=doorn.id)
    assert len(all_rows) == 16  # demo listings unchecked for 6 months or more
    assert 0 < len(mine) < len(all_rows)
    assert {row.service.id for row in doorn_only} <= {row.service.id for row in mine}
    assert all(not row.area_ids or doorn.id in row.area_ids for row in mine)
    assert [row.checked_on for row in all_rows] == sorted(row.checked_on for row in all_rows)
    assert {row.stage for row in all_rows} == {"reminder", "stale", "hidden"}
    with pytest.raises(PermissionDenied):
        freshness.overdue_listings(make_user(roles=("editor",)))
