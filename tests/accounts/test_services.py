"""Account use cases, tested without requests."""
from datetime import timedelta

import pytest
from sqlalchemy import select

from sociale_kaart import clock
from sociale_kaart.accounts import services, tokens
from sociale_kaart.accounts.models import User
from sociale_kaart.accounts.permissions import require_confirmed
from sociale_kaart.errors import PermissionDenied, ValidationError
from sociale_kaart.extensions import db
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
    token = token_from(outbox()[0], "/wachtwoord-herstellen/")
    late = clock.utcnow() + timedelta(seconds=app.config["RESET_TOKEN_MAX_AGE"] + 1)
    with pytest.raises(ValidationError):
        services.reset_password(token, NEW, now=late)
    assert services.authenticate(user.email, TEST_PASSWORD) is user


def test_reset_request_for_unknown_or_inactive_address_sends_nothing(app):
    inactive = make_user(active=False)
    services.request_password_reset("niemand@example.org")
    services.request_password_reset(inactive.email)
    assert outbox() == []


def test_change_password_checks_the_current_one_and_rotates_the_session(app):
    user = make_user()
    old_session = user.session_token
    with pytest.raises(ValidationError) as error:
        services.change_password(user, "wrong-password-here", NEW, by=user)
    assert error.value.field == "current_password"
    services.change_password(user, TEST_PASSWORD, NEW, by=user)
    assert services.authenticate(user.email, NEW) is user
    assert user.session_token != old_session
    assert [m.template for m in outbox()] == ["password_changed"]


def test_only_you_change_your_own_profile(app):
    user, other = make_user(), make_user()
    with pytest.raises(PermissionDenied):
        services.update_profile(user, "X", "nl", by=other)
    services.update_profile(user, " Nieuwe Naam ", "en", by=user)
    assert (user.name, user.language) == ("Nieuwe Naam", "en")


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
    assert services.confirm_email_change(token) is None       # works once


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


def test_logout_everywhere_rotates_the_session_token(app):
    user = make_user()
    old = user.session_token
    assert services.logout_everywhere(by=user) != old
    assert services.load_user(old) is None


# --- administration ------------------------------------------------------------------------

def test_invite_creates_a_passwordless_account_and_a_welcome_link_that_works_once(app):
    admin = make_user(roles=("admin",))
    organization = make_organization()
    db.session.commit()
    user = services.invite_user("Nieuw@Example.org", "Nieuwe Redacteur", ["editor"], [organization.id], [],
                                by=admin)
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
    old = user.session_token
    services.set_user_active(user.id, False, by=admin)
    assert services.load_user(old) is None and services.load_user(user.session_token) is None
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
@pytest.mark.parametrize("call", [
    lambda by, other: services.list_users(by),
    lambda by, other: services.get_user(other.id, by=by),
    lambda by, other: services.invite_user("x@example.org", "X", ["resident"], [], [], by=by),
    lambda by, other: services.update_user_access(other.id, ["admin"], [], [], by=by),
    lambda by, other: services.set_user_active(other.id, False, by=by),
    lambda by, other: services.list_outbox(by),
    lambda by, other: services.organization_choices(by),
])
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
