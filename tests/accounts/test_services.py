"""Account use cases, tested without requests."""

from datetime import timedelta

import pytest
from sqlalchemy import select

from sociale_kaart import clock
from sociale_kaart.accounts import services, tokens
from sociale_kaart.accounts.models import LoginSession, User
from sociale_kaart.accounts.permissions import require_confirmed
from sociale_kaart.errors import PermissionDenied, ValidationError
from sociale_kaart.extensions import db
from sociale_kaart.notify import services as notify
from sociale_kaart.notify.models import OutboxMessage
from tests.accounts.forms_helper import links
from tests.builders import TEST_PASSWORD, make_organization, make_user

GOOD = "Heuvelrug-Zonnebloem-2026"
NEW = "Lindelaan-Kastanje-1987"


def outbox(to=None):
    rows = db.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)).all()
    return [row for row in rows if to is None or row.to_address == to]


def token_from(message, path):
    url = next(link for link in links(message.body_text) if path in link)
    return url.rsplit("/", 1)[1]


class Collect:
    """A transport that keeps the e-mails it is given."""

    def __init__(self):
        self.sent = []

    def send(self, email, name):
        self.sent.append(email)


def run_sender():
    """Run `flask notify send` once, as the worker does; return the e-mails it sent."""
    transport = Collect()
    notify.send_due(transport=transport)
    return transport.sent


def test_register_creates_an_unconfirmed_user_and_queues_confirmation(app):
    user = services.register_user(" Jan@Example.ORG ", "Jan", GOOD, language="en", role="editor")
    assert user.email == "jan@example.org"
    assert user.roles == {"editor"} and user.organization_ids == set()
    assert not user.email_confirmed and user.language == "en"
    [message] = outbox()
    assert message.to_address == "jan@example.org" and message.template == "confirm_email"
    assert "/bevestigen/" in message.body_text and "/bevestigen/" in message.body_html


def test_register_with_a_taken_address_mails_the_owner_and_creates_nothing(app):
    owner = make_user(email="jan@example.org")
    assert services.register_user("JAN@example.org", "Iemand", GOOD, role="resident") is None
    assert db.session.scalar(select(db.func.count()).select_from(User)) == 1
    [message] = outbox()
    assert message.to_address == owner.email and message.template == "register_existing"
    assert "/wachtwoord-vergeten" in message.body_text


@pytest.mark.parametrize("role", ["broker", "admin", "nobody"])
def test_register_refuses_staff_roles(app, role):
    with pytest.raises(ValidationError) as error:
        services.register_user("jan@example.org", "Jan", GOOD, role=role)
    assert error.value.field == "role"


def test_register_applies_the_password_policy(app):
    with pytest.raises(ValidationError) as error:
        services.register_user("jan@example.org", "Jan", "qwertyuiop", role="resident")
    assert error.value.field == "password"
    assert outbox() == []


def test_confirmation_link_confirms_and_expires(app):
    user = services.register_user("jan@example.org", "Jan", GOOD)
    token = token_from(outbox()[0], "/bevestigen/")
    late = clock.utcnow() + timedelta(seconds=app.config["CONFIRM_TOKEN_MAX_AGE"] + 5)
    assert services.confirm_email(token, now=late) is None
    assert not user.email_confirmed
    assert services.confirm_email(token) is user
    assert user.email_confirmed


def test_require_confirmed(app):
    unconfirmed = make_user(confirmed=False)
    with pytest.raises(PermissionDenied):
        require_confirmed(unconfirmed)
    require_confirmed(make_user())


def test_resend_confirmation_only_for_unconfirmed_accounts(app):
    unconfirmed = make_user(confirmed=False)
    confirmed = make_user()
    for address in (unconfirmed.email, confirmed.email, "niemand@example.org"):
        services.resend_confirmation(address)
    assert [m.to_address for m in outbox()] == [unconfirmed.email]


def test_authenticate(app):
    user = make_user()
    assert services.authenticate(user.email.upper(), TEST_PASSWORD) is user
    assert user.last_login_at is not None
    assert services.authenticate(user.email, "wrong-password-here") is None
    assert services.authenticate("niemand@example.org", TEST_PASSWORD) is None


def test_deactivated_and_invited_accounts_cannot_log_in(app):
    inactive = make_user(active=False)
    invited = make_user(password=None)
    assert services.authenticate(inactive.email, TEST_PASSWORD) is None
    assert services.authenticate(invited.email, "") is None


def test_reset_link_works_once(app):
    user = make_user()
    old_session = user.session_token
    services.request_password_reset(user.email)
    [email] = run_sender()
    assert email["To"] == user.email
    [message] = outbox()
    token = token_from(message, "/wachtwoord-herstellen/")
    assert services.reset_password(token, NEW) is user
    assert services.authenticate(user.email, NEW) is user
    assert user.session_token != old_session
    with pytest.raises(ValidationError):
        services.reset_password(token, "Nog-een-ander-wachtwoord-1")
    assert services.user_for_reset_token(token) is None


def test_reset_link_expires(app):
    user = make_user()
    services.request_password_reset(user.email)
    run_sender()
    token = token_from(outbox()[0], "/wachtwoord-herstellen/")
    late = clock.utcnow() + timedelta(seconds=app.config["RESET_TOKEN_MAX_AGE"] + 1)
    with pytest.raises(ValidationError):
        services.reset_password(token, NEW, now=late)
    assert services.authenticate(user.email, TEST_PASSWORD) is user


def test_reset_request_for_unknown_or_inactive_address_sends_nothing_and_forgets_it(app):
    inactive = make_user(active=False)
    services.request_password_reset("niemand@example.org")
    services.request_password_reset(inactive.email)
    assert run_sender() == []
    assert outbox() == []


def test_reset_request_for_a_capitalised_address_reaches_the_account(app):
    make_user(email="jan@example.org", language="en")
    services.request_password_reset("  Jan@Example.ORG ")
    [email] = run_sender()
    assert email["To"] == "jan@example.org"
    assert outbox()[0].language == "en" and "/wachtwoord-herstellen/" in outbox()[0].body_text


def _statements_of(call):
    statements = []

    def record(connection, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    db.event.listen(db.engine, "before_cursor_execute", record)
    try:
        call()
    finally:
        db.event.remove(db.engine, "before_cursor_execute", record)
    return statements


def test_reset_request_does_the_same_database_work_for_known_and_unknown_addresses(app):
    """Issue #12: 13.8 ms for a known address against 7.3 ms for an unknown one told which had an account."""
    known, inactive = make_user(email="bestaat@example.org"), make_user(email="uit@example.org", active=False)
    runs = {
        address: _statements_of(lambda address=address: services.request_password_reset(address))
        for address in (known.email, inactive.email, "niemand@example.org")
    }
    assert runs[known.email] == runs[inactive.email] == runs["niemand@example.org"]
    assert any(statement.startswith("INSERT INTO outbox") for statement in runs[known.email])
    assert [row.to_address for row in outbox()] == [known.email, inactive.email, "niemand@example.org"]
    assert {row.template for row in outbox()} == {services.RESET_REQUEST}


def test_change_password_checks_the_current_one_and_rotates_the_session(app):
    user = make_user()
    old_session = user.session_token
    login = services.start_session(user)
    with pytest.raises(ValidationError) as error:
        services.change_password(user, "wrong-password-here", NEW, by=user)
    assert error.value.field == "current_password"
    services.change_password(user, TEST_PASSWORD, NEW, by=user)
    assert services.authenticate(user.email, NEW) is user
    assert user.session_token != old_session
    assert services.load_session(login).user is None
    assert [m.template for m in outbox()] == ["password_changed"]


def test_only_you_change_your_own_profile(app):
    user, other = make_user(), make_user()
    with pytest.raises(PermissionDenied):
        services.update_profile(user, "X", "nl", by=other)
    services.update_profile(user, " Nieuwe Naam ", "en", by=user)
    assert (user.name, user.language) == ("Nieuwe Naam", "en")


def test_only_you_change_your_own_language(app):
    user, other = make_user(language="nl"), make_user()
    with pytest.raises(PermissionDenied):
        services.change_language(user, "en", by=other)
    services.change_language(user, "en", by=user)
    assert user.language == "en"


@pytest.mark.parametrize("chosen, expected", [(None, "nl"), ("en", "en"), ("xx", "nl")])
def test_a_login_session_takes_the_language_chosen_just_before(app, chosen, expected):
    user = make_user(language="nl")
    services.start_session(user, language=chosen)
    db.session.expire(user)
    assert user.language == expected


def test_change_email_goes_through_a_link_to_the_new_address(app):
    user = make_user(email="oud@example.org")
    services.request_email_change(user, "Nieuw@Example.org", TEST_PASSWORD, by=user)
    [message] = outbox()
    assert message.to_address == "nieuw@example.org"
    assert user.email == "oud@example.org"
    token = token_from(message, "/account/e-mail/")
    assert services.confirm_email_change(token) is user
    assert user.email == "nieuw@example.org"
    assert outbox()[-1].to_address == "oud@example.org"
    assert services.confirm_email_change(token) is None  # works once


def test_change_email_to_a_taken_address_tells_its_owner_only(app):
    user, owner = make_user(), make_user()
    services.request_email_change(user, owner.email, TEST_PASSWORD, by=user)
    [message] = outbox()
    assert message.to_address == owner.email and message.template == "email_taken"


def test_change_email_needs_the_current_password(app):
    user = make_user()
    with pytest.raises(ValidationError):
        services.request_email_change(user, "nieuw@example.org", "wrong-password-here", by=user)
    assert outbox() == []


def test_logout_everywhere_ends_every_login_session_of_the_user_only(app):
    user, other = make_user(), make_user()
    phone, laptop, others = services.start_session(user), services.start_session(user), services.start_session(other)
    old = user.session_token
    services.logout_everywhere(by=user)
    assert services.load_session(phone).user is None and services.load_session(laptop).user is None
    assert services.load_session(others).user is other
    assert user.session_token != old  # and reset links sent before stop working


def test_reset_by_link_ends_every_login_session(app):
    user = make_user()
    login = services.start_session(user)
    services.request_password_reset(user.email)
    run_sender()
    services.reset_password(token_from(outbox()[0], "/wachtwoord-herstellen/"), NEW)
    assert services.load_session(login).user is None


# --- administration ------------------------------------------------------------------------


def test_invite_creates_a_passwordless_account_and_a_welcome_link_that_works_once(app):
    admin = make_user(roles=("admin",))
    organization = make_organization()
    db.session.commit()
    user = services.invite_user("Nieuw@Example.org", "Nieuwe Redacteur", ["editor"], [organization.id], [], by=admin)
    assert user.password_hash is None and user.organization_ids == {organization.id}
    assert user.invited_by_id == admin.id
    [message] = outbox()
    token = token_from(message, "/welkom/")
    services.accept_invitation(token, GOOD)
    assert services.authenticate("nieuw@example.org", GOOD) is user
    assert user.email_confirmed
    with pytest.raises(ValidationError):
        services.accept_invitation(token, NEW)


def test_invite_refuses_a_taken_address(app):
    admin = make_user(roles=("admin",))
    with pytest.raises(ValidationError) as error:
        services.invite_user(admin.email, "X", ["resident"], [], [], by=admin)
    assert error.value.field == "email"


def test_update_access_sets_roles_memberships_and_areas(seeded_app):
    from sociale_kaart.directory.models import Area, Organization

    admin = make_user(roles=("admin",))
    first, second = db.session.scalars(select(Organization).order_by(Organization.id).limit(2)).all()
    doorn = db.session.scalars(select(Area).where(Area.code == "doorn")).one()
    user = make_user(roles=("resident",), organizations=[first])
    services.update_user_access(user.id, ["editor", "broker"], [second.id], [doorn.id], by=admin)
    assert user.roles == {"editor", "broker"}
    assert user.organization_ids == {second.id}
    assert {m.organization_id: m.status for m in user.memberships} == {first.id: "ended", second.id: "active"}
    assert user.area_ids == {doorn.id}


def test_admin_cannot_drop_own_admin_role_or_deactivate_self(app):
    admin = make_user(roles=("admin",))
    with pytest.raises(ValidationError):
        services.update_user_access(admin.id, ["resident"], [], [], by=admin)
    with pytest.raises(ValidationError):
        services.set_user_active(admin.id, False, by=admin)


def test_deactivation_ends_sessions_and_reactivation_allows_login(app):
    admin = make_user(roles=("admin",))
    user = make_user()
    login = services.start_session(user)
    services.set_user_active(user.id, False, by=admin)
    assert services.load_session(login).user is None
    assert db.session.scalar(select(db.func.count()).select_from(LoginSession)) == 0
    services.set_user_active(user.id, True, by=admin)
    assert services.authenticate(user.email, TEST_PASSWORD) is user


def test_list_users_searches_and_filters(app):
    admin = make_user(roles=("admin",), name="Anna Beheer")
    make_user(roles=("broker",), name="Bert Makelaar", email="bert@example.org")
    make_user(roles=("volunteer",), name="Carla", active=False)
    users, total = services.list_users(admin, query="makelaar")
    assert [u.name for u in users] == ["Bert Makelaar"] and total == 1
    assert [u.name for u in services.list_users(admin, role="volunteer")[0]] == ["Carla"]
    assert [u.name for u in services.list_users(admin, status="inactive")[0]] == ["Carla"]
    assert services.list_users(admin)[1] == 3


@pytest.mark.parametrize("roles", [(), ("resident",), ("volunteer",), ("editor",), ("broker",)])
@pytest.mark.parametrize(
    "call",
    [
        lambda by, other: services.list_users(by),
        lambda by, other: services.get_user(other.id, by=by),
        lambda by, other: services.invite_user("x@example.org", "X", ["resident"], [], [], by=by),
        lambda by, other: services.update_user_access(other.id, ["admin"], [], [], by=by),
        lambda by, other: services.set_user_active(other.id, False, by=by),
        lambda by, other: services.list_outbox(by),
        lambda by, other: services.organization_choices(by),
    ],
)
def test_admin_use_cases_require_the_admin_role(app, roles, call):
    actor = make_user(roles=roles)
    other = make_user(roles=("resident",))
    with pytest.raises(PermissionDenied):
        call(actor, other)
    assert other.roles == {"resident"} and other.active


def test_create_admin_makes_a_confirmed_admin_or_promotes(app):
    user = services.create_admin("Baas@Example.org", "Baas", GOOD)
    assert user.is_admin and user.email_confirmed and user.email == "baas@example.org"
    existing = make_user(roles=("broker",))
    services.create_admin(existing.email, "", "")
    assert existing.roles == {"broker", "admin"}


def test_tokens_for_passwords_carry_a_fingerprint_of_the_password(app):
    user = make_user()
    before = tokens.fingerprint(user)
    services.change_password(user, TEST_PASSWORD, NEW, by=user)
    assert tokens.fingerprint(user) != before


# --- login sessions (issue #12) --------------------------------------------------------------


def _later(**delta):
    return clock.naive_utcnow() + timedelta(**delta)


def test_a_login_session_loads_its_user_and_ends_alone(app):
    user = make_user()
    phone, laptop = services.start_session(user), services.start_session(user)
    check = services.load_session(phone)
    assert check.user is user and check.user.get_id() == phone and check.expired is None
    services.end_session(phone)
    assert services.load_session(phone) == (None, None)
    assert services.load_session(laptop).user is user


@pytest.mark.parametrize("token", [None, "", "onzin", "x" * 5000, 12])
def test_an_unknown_token_loads_nobody(app, token):
    make_user()
    assert services.load_session(token) == (None, None)


def test_the_table_keeps_only_a_hash_of_the_token(app):
    token = services.start_session(make_user())
    [row] = db.session.scalars(select(LoginSession)).all()
    assert token not in row.token_hash and len(row.token_hash) == 64


@pytest.mark.parametrize("roles", [("broker",), ("admin",), ("editor", "broker")])
def test_staff_are_logged_out_after_two_idle_hours(app, roles):
    token = services.start_session(make_user(roles=roles))
    assert services.load_session(token, now=_later(minutes=119)).user is not None
    assert services.load_session(token, now=_later(minutes=119 + 121)) == (None, "idle")
    assert services.load_session(token, now=_later(minutes=119 + 122)) == (None, None)  # it ended


def test_the_idle_time_is_a_setting(app):
    app.config["STAFF_IDLE_MINUTES"] = 15
    token = services.start_session(make_user(roles=("broker",)))
    assert services.load_session(token, now=_later(minutes=16)).expired == "idle"


def test_staff_sessions_end_after_twelve_hours_however_active(app):
    token = services.start_session(make_user(roles=("admin",)))
    for hours in range(1, 12):
        assert services.load_session(token, now=_later(hours=hours)).user is not None
    assert services.load_session(token, now=_later(hours=12, minutes=1)).expired == "lifetime"


@pytest.mark.parametrize("roles", [("resident",), ("volunteer",), ("editor",)])
def test_other_sessions_have_no_idle_limit_and_last_the_remember_me_days(app, roles):
    token = services.start_session(make_user(roles=roles))
    assert services.load_session(token, now=_later(days=29, hours=23)).user is not None
    assert services.load_session(token, now=_later(days=30, minutes=1)).expired == "lifetime"


def test_last_seen_is_written_at_most_once_a_minute(app):
    token = services.start_session(make_user(roles=("broker",)))
    start = db.session.scalars(select(LoginSession)).one().last_seen_at

    def last_seen():
        return db.session.scalars(select(LoginSession).execution_options(populate_existing=True)).one().last_seen_at

    services.load_session(token, now=start + timedelta(seconds=59))
    assert last_seen() == start
    services.load_session(token, now=start + timedelta(seconds=61))
    assert last_seen() == start + timedelta(seconds=61)


def test_a_staff_role_given_later_brings_the_staff_limits(app):
    admin = make_user(roles=("admin",))
    user = make_user(roles=("editor",))
    token = services.start_session(user)
    services.update_user_access(user.id, ["editor", "broker"], [], [], by=admin)
    assert services.load_session(token, now=_later(hours=3)).expired == "idle"


def test_session_lifetime_is_short_for_staff(app):
    assert services.session_lifetime(make_user(roles=("broker",))) == timedelta(hours=12)
    assert services.session_lifetime(make_user(roles=("resident",))) == timedelta(days=30)


def test_prune_deletes_ended_sessions_and_keeps_live_ones(app):
    admin = make_user(roles=("admin",))
    broker, resident, leaving = make_user(roles=("broker",)), make_user(roles=("resident",)), make_user()
    live_broker = services.start_session(broker)
    live_resident = services.start_session(resident)
    services.start_session(leaving)
    services.set_user_active(leaving.id, False, by=admin)
    old = clock.naive_utcnow() - timedelta(days=31)
    services.start_session(resident, now=old)
    services.start_session(broker, now=clock.naive_utcnow() - timedelta(hours=3))  # idle
    services.start_session(broker, now=clock.naive_utcnow() - timedelta(hours=13))  # too old
    assert services.prune_sessions() == 3
    assert db.session.scalar(select(db.func.count()).select_from(LoginSession)) == 2
    assert services.load_session(live_broker).user is broker
    assert services.load_session(live_resident).user is resident


def test_deleting_an_account_deletes_its_sessions(app):
    user = make_user()
    services.start_session(user)
    db.session.delete(user)
    db.session.commit()
    assert db.session.scalar(select(db.func.count()).select_from(LoginSession)) == 0
