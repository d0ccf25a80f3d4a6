"""Issue #15: a signal's life with the clock moved: due date in working days, the reminder when it
passes, the follow-up steps and their e-mail, and the aggregates for insights."""

from datetime import timedelta

import pytest
from sqlalchemy import select

from sociale_kaart import clock
from sociale_kaart.errors import NotFound, PermissionDenied, ValidationError
from sociale_kaart.extensions import db
from sociale_kaart.notify.models import OutboxMessage
from sociale_kaart.signals import services, workdays
from sociale_kaart.signals.models import Signal, SignalView
from tests.signals.helpers import PRIVATE, REPORTER_EMAIL, local_moment, make_signal, make_world


@pytest.fixture
def world(app):
    return make_world()


def _mail(to=None, template=None):
    statement = select(OutboxMessage).order_by(OutboxMessage.id)
    if to is not None:
        statement = statement.where(OutboxMessage.to_address == to)
    if template is not None:
        statement = statement.where(OutboxMessage.template == template)
    return db.session.scalars(statement).all()


def _no_private_text(messages):
    for message in messages:
        for text in PRIVATE:
            assert text not in message.subject + message.body_text + message.body_html, (message.template, text)


def _to_the_day(app_clock, day, hour=9):
    app_clock.start(local_moment(day, hour))


# --- reporting ---------------------------------------------------------------------------------------


def test_a_signal_is_due_five_working_days_after_it_arrives(world):
    signal = make_signal(world.area_a)
    assert signal.status == "new"
    assert signal.due_on == workdays.add_working_days(clock.today(), 5)
    assert [event.action for event in signal.events] == ["received"]


def test_the_areas_brokers_get_an_email_without_personal_details(world):
    signal = make_signal(world.area_a)
    to_broker = _mail(world.users["broker_a"].email, "signal_new")
    assert len(to_broker) == 1
    assert f"/werkplek/zorgen/{signal.id}" in to_broker[0].body_text
    assert not _mail(world.users["broker_b"].email)
    _no_private_text(_mail())


def test_the_reporter_gets_a_receipt_without_details(world):
    make_signal(world.area_a)
    receipts = _mail(REPORTER_EMAIL)
    assert [message.template for message in receipts] == ["signal_received"]
    _no_private_text(receipts)


def test_an_anonymous_signal_mails_only_the_brokers(world):
    make_signal(world.area_a, reporter_name="", reporter_email="", reporter_phone="")
    assert {message.template for message in _mail()} == {"signal_new"}


def test_a_signal_without_a_village_goes_to_every_broker(world):
    make_signal(None)
    assert {message.to_address for message in _mail(template="signal_new")} == {
        world.users["broker_a"].email,
        world.users["broker_b"].email,
    }


def test_a_village_without_a_broker_falls_to_every_broker(world):
    from sociale_kaart.directory.models import Area

    maarn = Area(code="maarn", name="Maarn", kind="dorp", municipality_code="1581", postcodes=["3951"])
    db.session.add(maarn)
    db.session.commit()
    signal = make_signal(maarn)
    assert len(_mail(template="signal_new")) == 2
    assert services.may_handle(world.users["broker_b"], signal)


@pytest.mark.parametrize(
    "values, field",
    [
        ({"themes": [], "description": ""}, "themes"),
        ({"themes": ["gossip"]}, "themes"),
        ({"subject_name": "", "subject_address": "", "area_id": None}, "subject_name"),
        ({"reporter_email": "piet@"}, "reporter_email"),
        ({"reporter_phone": "12345"}, "reporter_phone"),
        ({"area_id": 999_999}, "area_id"),
        ({"description": "x" * 2001}, "description"),
    ],
)
def test_a_signal_needs_something_to_follow_up(world, values, field):
    with pytest.raises(ValidationError) as raised:
        make_signal(world.area_a, **values)
    assert raised.value.field == field
    assert db.session.scalar(select(db.func.count(Signal.id))) == 0


def test_as_little_as_a_village_is_enough(world):
    signal = make_signal(
        world.area_a,
        themes=["money"],
        description="",
        subject_name="",
        subject_address="",
        reporter_name="",
        reporter_email="",
        reporter_phone="",
    )
    assert signal.themes == ["money"] and signal.area_id == world.area_a.id


def test_a_text_without_a_theme_counts_as_other(world):
    assert make_signal(world.area_a, themes=[]).themes == ["other"]


def test_a_logged_in_reporter_sees_their_own_signals(world):
    resident = world.users["resident"]
    mine = make_signal(world.area_a, by=resident)
    make_signal(world.area_a)
    assert services.signals_of_reporter(resident) == [mine]


# --- follow-up -------------------------------------------------------------------------------------------


def test_the_steps_go_forward_and_closing_needs_an_outcome(world):
    broker = world.users["broker_a"]
    signal = make_signal(world.area_a)
    services.change_status(signal.id, "in_progress", by=broker)
    with pytest.raises(ValidationError) as raised:
        services.change_status(signal.id, "new", by=broker)
    assert raised.value.field == "status"
    with pytest.raises(ValidationError) as raised:
        services.change_status(signal.id, "closed", by=broker)
    assert raised.value.field == "outcome"
    closed = services.change_status(signal.id, "closed", by=broker, outcome="referred", note="Naar de huisarts.")
    assert (closed.status, closed.outcome) == ("closed", "referred")
    assert closed.closed_at is not None and closed.followed_up_at == closed.closed_at
    assert [(e.action, e.from_status, e.to_status) for e in closed.events] == [
        ("received", None, "new"),
        ("status", "new", "in_progress"),
        ("status", "in_progress", "closed"),
    ]
    with pytest.raises(ValidationError):
        services.change_status(signal.id, "contact_made", by=broker)


def test_the_reporter_hears_once_that_it_was_picked_up_and_nothing_more(world):
    broker = world.users["broker_a"]
    signal = make_signal(world.area_a)
    services.change_status(signal.id, "in_progress", by=broker)
    services.change_status(signal.id, "contact_made", by=broker, note="Gesproken.")
    services.change_status(signal.id, "closed", by=broker, outcome="help_arranged")
    assert [message.template for message in _mail(REPORTER_EMAIL)] == ["signal_received", "signal_picked_up"]
    _no_private_text(_mail())
    assert "Hulp geregeld" not in _mail(REPORTER_EMAIL)[-1].body_text


def test_notes_build_the_history(world):
    broker = world.users["broker_a"]
    signal = make_signal(world.area_a)
    services.add_note(signal.id, "Eerst de buurvrouw bellen.", by=broker)
    with pytest.raises(ValidationError):
        services.add_note(signal.id, "   ", by=broker)
    opened = services.get_signal_for_broker(signal.id, by=broker)
    assert [(e.action, e.note, e.actor_name) for e in opened.events][-1] == (
        "note",
        "Eerst de buurvrouw bellen.",
        "Bram Broker",
    )


def test_every_opening_is_in_the_access_log(world):
    broker = world.users["broker_a"]
    signal = make_signal(world.area_a)
    services.get_signal_for_broker(signal.id, by=broker)
    opened = services.get_signal_for_broker(signal.id, by=broker)
    assert [(view.viewer_name, view.viewer_role) for view in opened.views] == [("Bram Broker", "broker")] * 2


def test_an_unknown_signal_is_not_found(world):
    with pytest.raises(NotFound):
        services.get_signal_for_broker(12345, by=world.users["broker_a"])


def test_an_admin_who_is_also_the_areas_broker_may_open_it(world):
    signal = make_signal(world.area_a)
    from tests.builders import make_user

    both = make_user(roles=("admin", "broker"), areas=[world.area_a])
    assert services.get_signal_for_broker(signal.id, by=both).id == signal.id


# --- who may do what (the services themselves) -------------------------------------------------------------

ROLE_CASES = [
    ("open a signal of area A", {"broker_a"}, lambda w, u, s: services.get_signal_for_broker(s.id, by=u)),
    ("move it on", {"broker_a"}, lambda w, u, s: services.change_status(s.id, "in_progress", by=u)),
    ("add a note", {"broker_a"}, lambda w, u, s: services.add_note(s.id, "Gebeld.", by=u)),
    ("see the queue", {"broker_a", "broker_b", "admin"}, lambda w, u, s: services.signal_queue(u)),
    (
        "see my own signals",
        {"resident", "volunteer", "editor", "broker_a", "broker_b", "admin", "policy"},
        lambda w, u, s: services.signals_of_reporter(u),
    ),
]


def _anonymous():
    from flask_login import AnonymousUserMixin

    return AnonymousUserMixin()


@pytest.mark.parametrize(
    "role", ["anonymous", "resident", "volunteer", "editor", "broker_a", "broker_b", "admin", "policy"]
)
@pytest.mark.parametrize("use_case, allowed, call", ROLE_CASES, ids=[case[0] for case in ROLE_CASES])
def test_who_may_call_each_service(world, use_case, allowed, call, role):
    signal = make_signal(world.area_a)
    user = world.users[role] or _anonymous()
    if role in allowed:
        call(world, user, signal)
    else:
        with pytest.raises(PermissionDenied):
            call(world, user, signal)
    assert db.session.scalar(select(db.func.count(SignalView.id))) == (
        1 if role in allowed and use_case.startswith("open") else 0
    )


def test_the_queue_holds_only_the_brokers_own_areas(world):
    in_a, in_b, nowhere = make_signal(world.area_a), make_signal(world.area_b), make_signal(None)
    assert services.signal_queue(world.users["broker_a"]).waiting == [in_a, nowhere]
    assert services.signal_queue(world.users["broker_b"]).waiting == [in_b, nowhere]


def test_an_admin_sees_numbers_per_area_and_no_signal(world):
    make_signal(world.area_a)
    make_signal(world.area_a)
    queue = services.signal_queue(world.users["admin"])
    assert not queue.may_open and queue.waiting == []
    rows = {row.area.name if row.area else None: row for row in queue.areas}
    assert rows["Doorn"].statuses["new"] == 2 and rows["Leersum"].statuses["new"] == 0


# --- the clock moves: reminders --------------------------------------------------------------------------


def test_the_reminder_goes_the_day_after_the_due_date_once(world, app_clock):
    signal = make_signal(world.area_a)
    due = signal.due_on
    _to_the_day(app_clock, due, hour=23)
    assert services.send_overdue_reminders() == 0
    _to_the_day(app_clock, due + timedelta(days=1), hour=0)
    assert services.send_overdue_reminders() == 1
    assert services.send_overdue_reminders() == 0  # idempotent: one reminder per signal
    reminders = _mail(template="signal_overdue")
    assert [message.to_address for message in reminders] == [world.users["broker_a"].email]
    _no_private_text(reminders)
    assert signal.is_overdue(clock.today())


def test_a_signal_with_contact_made_in_time_gets_no_reminder(world, app_clock):
    signal = make_signal(world.area_a)
    _to_the_day(app_clock, signal.due_on)
    services.change_status(signal.id, "contact_made", by=world.users["broker_a"])
    _to_the_day(app_clock, signal.due_on + timedelta(days=10))
    assert services.send_overdue_reminders() == 0


def test_a_signal_received_on_a_friday_evening_is_due_the_next_friday(world, app_clock):
    friday = clock.today() + timedelta(days=(4 - clock.today().weekday()) % 7)
    _to_the_day(app_clock, friday, hour=22)
    signal = make_signal(world.area_a)
    assert signal.due_on == workdays.add_working_days(friday, 5)
    assert signal.due_on.weekday() in range(5) and (signal.due_on - friday).days >= 7


# --- aggregates for insights --------------------------------------------------------------------------------


def test_counts_per_area_and_theme_with_follow_up_in_time(world, app_clock):
    broker_a, broker_b = world.users["broker_a"], world.users["broker_b"]
    start = clock.today()
    in_time = make_signal(world.area_a, themes=["loneliness"])
    late = make_signal(world.area_a, themes=["loneliness", "money"])
    never = make_signal(world.area_b, themes=["money"])
    services.change_status(in_time.id, "contact_made", by=broker_a)
    _to_the_day(app_clock, late.due_on + timedelta(days=1))
    services.change_status(late.id, "closed", by=broker_a, outcome="not_reached")
    outside = make_signal(world.area_b, themes=["carer"])  # received after the period
    services.change_status(outside.id, "in_progress", by=broker_b)
    result = services.counts(start, start)
    assert result == {
        (world.area_a.id, "loneliness"): {"received": 2, "followed_up_in_time": 1, "closed": 1},
        (world.area_a.id, "money"): {"received": 1, "followed_up_in_time": 0, "closed": 1},
        (world.area_b.id, "money"): {"received": 1, "followed_up_in_time": 0, "closed": 0},
    }
    assert services.counts(start, start, area_ids=[world.area_b.id]) == {
        (world.area_b.id, "money"): {"received": 1, "followed_up_in_time": 0, "closed": 0}
    }
    assert never.status == "new"


def test_counts_hold_numbers_only(world):
    make_signal(world.area_a)
    for key, row in services.counts(clock.today(), clock.today()).items():
        assert isinstance(key[0], int) and key[1] in ("loneliness", "neglect")
        assert all(isinstance(value, int) for value in row.values())


def test_daily_counts_add_up_to_the_counts_of_any_days_in_one_query(world, app_clock):
    broker_a = world.users["broker_a"]
    first = clock.today()
    make_signal(world.area_a, themes=["loneliness"])
    both = make_signal(world.area_a, themes=["loneliness", "money"])
    services.change_status(both.id, "contact_made", by=broker_a)
    second = first + timedelta(days=2)
    _to_the_day(app_clock, second)
    make_signal(world.area_b, themes=["money"])
    make_signal(None, themes=["carer"])
    daily = services.daily_counts(first, second)
    assert daily == {
        (first, world.area_a.id, ("loneliness",)): {"received": 1, "followed_up_in_time": 0, "closed": 0},
        (first, world.area_a.id, ("loneliness", "money")): {"received": 1, "followed_up_in_time": 1, "closed": 0},
        (second, world.area_b.id, ("money",)): {"received": 1, "followed_up_in_time": 0, "closed": 0},
        (second, None, ("carer",)): {"received": 1, "followed_up_in_time": 0, "closed": 0},
    }
    for start, end in ((first, second), (first, first), (second, second), (first + timedelta(days=1), second)):
        for by_theme in (True, False):
            assert services.added_up(daily, by_theme, start, end) == services.counts(start, end, by_theme=by_theme)
    assert services.received_per_day(first, second) == {first: 2, second: 2}
    assert services.daily_counts(first, second, area_ids=[world.area_b.id]) == {
        (second, world.area_b.id, ("money",)): {"received": 1, "followed_up_in_time": 0, "closed": 0}
    }
