"""Issue #15: signals are erased six months after closing (the clock moved), and a reporter with an
account finds them in their data download and takes their details along when deleting the account."""

from datetime import timedelta

import pytest
from sqlalchemy import select, update

from sociale_kaart import clock
from sociale_kaart.accounts import privacy as account_privacy
from sociale_kaart.directory.freshness import add_months
from sociale_kaart.extensions import db
from sociale_kaart.notify.models import OutboxMessage
from sociale_kaart.signals import privacy, services
from sociale_kaart.signals.models import PERSONAL_FIELDS, Signal, SignalEvent, SignalView
from tests.builders import TEST_PASSWORD
from tests.signals.helpers import NOTE, REPORTER_EMAIL, SUBJECT, local_moment, make_signal, make_world


@pytest.fixture
def world(app):
    return make_world()


def _closed_signal(world, **values):
    broker = world.users["broker_a"]
    signal = make_signal(world.area_a, **values)
    services.change_status(signal.id, "contact_made", by=broker, note=NOTE)
    services.add_note(signal.id, NOTE, by=broker)
    services.get_signal_for_broker(signal.id, by=broker)
    closed = services.change_status(signal.id, "closed", by=broker, outcome="help_arranged")
    db.session.execute(update(OutboxMessage).values(status="sent"))  # the sender ran
    db.session.commit()
    return closed


def test_retention_erases_six_months_after_closing_not_a_day_earlier(world, app_clock):
    signal = _closed_signal(world)
    open_one = make_signal(world.area_a)
    erase_day = add_months(clock.today(), 6)
    app_clock.start(local_moment(erase_day - timedelta(days=1), hour=23))
    assert privacy.run_retention() == 0
    app_clock.start(local_moment(erase_day, hour=0))
    assert privacy.run_retention() == 1
    assert privacy.run_retention() == 0  # idempotent
    erased = db.session.get(Signal, signal.id)
    db.session.refresh(erased)
    assert all(getattr(erased, name) == "" for name in PERSONAL_FIELDS)
    assert erased.reporter_id is None and erased.erased_at is not None
    assert all(event.note == "" for event in db.session.scalars(select(SignalEvent)))
    # what insights needs stays: area, themes, dates, status, outcome; and the access log
    assert (erased.area_id, erased.themes, erased.status, erased.outcome) == (
        world.area_a.id,
        ["loneliness", "neglect"],
        "closed",
        "help_arranged",
    )
    assert db.session.scalar(select(db.func.count(SignalView.id))) == 1
    assert db.session.get(Signal, open_one.id).description != ""  # never closed: kept
    receipts = select(OutboxMessage.status).where(OutboxMessage.to_address == REPORTER_EMAIL)
    assert db.session.scalars(receipts).all() == ["queued"]  # sent receipts go; the open one's still goes out


def test_an_erased_signal_still_counts(world, app_clock):
    received_on = clock.today()
    _closed_signal(world)
    app_clock.start(local_moment(add_months(received_on, 7)))
    privacy.run_retention()
    counts = services.counts(received_on, received_on)
    assert counts[(world.area_a.id, "loneliness")] == {"received": 1, "followed_up_in_time": 1, "closed": 1}


def test_an_erased_signal_takes_no_notes_and_mails_nobody(world, app_clock):
    from sociale_kaart.errors import ValidationError

    signal = _closed_signal(world)
    app_clock.start(local_moment(add_months(clock.today(), 6)))
    privacy.run_retention()
    with pytest.raises(ValidationError):
        services.add_note(signal.id, "Nog iets.", by=world.users["broker_a"])


def test_the_account_download_holds_what_the_reporter_wrote_not_the_teams_work(world):
    resident = world.users["resident"]
    signal = _closed_signal(world, by=resident)
    data = account_privacy.export_data(user=resident)
    assert data["signals_reported"] == [
        {
            "number": signal.id,
            "received_on": clock.today().isoformat(),
            "area": "Doorn",
            "themes": ["loneliness", "neglect"],
            "description": signal.description,
            "about_whom": SUBJECT,
            "where": signal.subject_address,
            "your_name": signal.reporter_name,
            "your_email": REPORTER_EMAIL,
            "your_phone": signal.reporter_phone,
            "status": "closed",
        }
    ]
    assert NOTE not in str(data) and "help_arranged" not in str(data)


def test_another_accounts_download_has_no_signals(world):
    _closed_signal(world, by=world.users["resident"])
    assert account_privacy.export_data(user=world.users["volunteer"])["signals_reported"] == []


def test_deleting_the_account_takes_the_reporters_details_off_and_keeps_the_concern(world):
    resident = world.users["resident"]
    signal = make_signal(world.area_a, by=resident)
    account_privacy.delete_account(resident, TEST_PASSWORD, by=resident)
    kept = db.session.get(Signal, signal.id)
    db.session.refresh(kept)
    assert (kept.reporter_id, kept.reporter_name, kept.reporter_email, kept.reporter_phone) == (None, "", "", "")
    assert kept.subject_name == SUBJECT and kept.status == "new"
    assert db.session.scalars(select(OutboxMessage.id).where(OutboxMessage.to_address == REPORTER_EMAIL)).all() == []


def test_a_broker_deleting_their_account_stays_in_the_history_by_name(world):
    broker = world.users["broker_b"]
    signal = make_signal(None)
    services.add_note(signal.id, "Doorgezet naar Doorn.", by=broker)
    services.get_signal_for_broker(signal.id, by=broker)
    account_privacy.delete_account(broker, TEST_PASSWORD, by=broker)
    opened = services.get_signal_for_broker(signal.id, by=world.users["broker_a"])
    assert opened.events[-1].actor_name == "Bea Broker" and opened.events[-1].actor_id is None
    assert [view.viewer_name for view in opened.views] == ["Bram Broker", "Bea Broker"]
