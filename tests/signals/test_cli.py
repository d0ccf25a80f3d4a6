"""`flask signals remind | retention` (issue #15): daily jobs, safe to run twice, by the app clock."""

from datetime import timedelta

from sociale_kaart import clock
from sociale_kaart.directory.freshness import add_months
from sociale_kaart.extensions import db
from sociale_kaart.signals import services
from sociale_kaart.signals.models import Signal
from tests.signals.helpers import local_moment, make_signal, make_world


def test_remind_mails_the_brokers_of_overdue_signals_once(app, app_clock):
    world = make_world()
    signal = make_signal(world.area_a)
    runner = app.test_cli_runner()
    result = runner.invoke(args=["signals", "remind"])
    assert result.exit_code == 0, result.output
    assert result.output.strip() == "Herinneringen verstuurd voor 0 meldingen over de termijn."
    app_clock.start(local_moment(signal.due_on + timedelta(days=1)))
    assert "voor 1 meldingen" in runner.invoke(args=["signals", "remind"]).output
    assert "voor 0 meldingen" in runner.invoke(args=["signals", "remind"]).output


def test_retention_erases_signals_closed_six_months_ago(app, app_clock):
    world = make_world()
    signal = make_signal(world.area_a)
    services.change_status(signal.id, "closed", by=world.users["broker_a"], outcome="no_concern")
    runner = app.test_cli_runner()
    assert "0 afgesloten meldingen gewist" in runner.invoke(args=["signals", "retention"]).output
    app_clock.start(local_moment(add_months(clock.today(), 6)))
    result = runner.invoke(args=["signals", "retention"])
    assert result.exit_code == 0, result.output
    assert result.output.strip() == "Bewaartermijn 6 maanden: 1 afgesloten meldingen gewist."
    db.session.expire_all()
    assert db.session.get(Signal, signal.id).description == ""
