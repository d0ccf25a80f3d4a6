"""Issue #20: an admin of one municipality finds, opens and changes only the accounts of that municipality."""

import pytest
from sqlalchemy import select

from sociale_kaart.accounts import services as accounts
from sociale_kaart.accounts.models import User
from sociale_kaart.directory import scopes
from sociale_kaart.errors import NotFound, PermissionDenied, ValidationError
from sociale_kaart.extensions import db
from tests.accounts.forms_helper import post_form
from tests.builders import login, make_organization, make_user
from tests.matching.factories import make_request
from tests.test_region_permissions import make_region


def _rita():
    return db.session.scalar(select(User).where(User.name == "Rita Rhenen"))


def test_a_scoped_admin_lists_only_the_accounts_of_the_municipality(app):
    region = make_region()
    admin, regional = region.users["admin_a"], region.users["regional_admin"]
    rita, b_volunteer = _rita(), region.sides["B"].volunteer.user
    a_volunteer, broker_a = region.sides["A"].volunteer.user, region.users["broker_a"]
    scoped_ids = {user.id for user in accounts.list_users(admin)[0]}
    assert {a_volunteer.id, broker_a.id, admin.id, region.users["policy_a"].id} <= scoped_ids
    assert not {rita.id, b_volunteer.id, regional.id, region.users["regional_policy"].id} & scoped_ids
    assert accounts.list_users(admin, query="rita")[1] == 0
    regional_ids = {user.id for user in accounts.list_users(regional)[0]}
    assert {rita.id, b_volunteer.id, a_volunteer.id, admin.id} <= regional_ids
    assert accounts.list_users(regional, query="rita")[1] == 1


def test_a_scoped_admin_neither_opens_nor_changes_another_municipalitys_account(app):
    region = make_region()
    admin, regional = region.users["admin_a"], region.users["regional_admin"]
    rita, b_volunteer = _rita(), region.sides["B"].volunteer.user
    for person in (rita, b_volunteer):
        with pytest.raises(NotFound):
            accounts.get_user(person.id, by=admin)
        with pytest.raises(NotFound):
            accounts.set_user_active(person.id, False, by=admin)
    with pytest.raises(NotFound):
        accounts.update_user_access(rita.id, ["broker"], [], [], by=admin)
    db.session.refresh(rita)
    db.session.refresh(b_volunteer)
    assert rita.active and b_volunteer.active and rita.roles == {"broker"}
    assert accounts.get_user(rita.id, by=regional) is rita
    assert not accounts.set_user_active(b_volunteer.id, False, by=regional).active
    a_volunteer = region.sides["A"].volunteer.user
    assert accounts.get_user(a_volunteer.id, by=admin) is a_volunteer


def test_what_an_account_holds_places_it(app):
    """Broker areas, memberships' listings, a help request, nothing at all (the own municipality)."""
    region = make_region()
    admin = region.users["admin_a"]
    b, a = region.sides["B"], region.sides["A"]
    requester_b = make_user(roles=("resident",))
    make_request(postcode="3911 AB", area=b.area, requester=requester_b)
    requester_b_without_area = make_user(roles=("resident",))
    make_request(postcode="3922 AA", area=None, requester=requester_b_without_area)
    requester_a = make_user(roles=("resident",))
    make_request(postcode="3959 AA", area=None, requester=requester_a)
    editor_b = make_user(roles=("editor",), organizations=[b.service.organization])
    editor_a = make_user(roles=("editor",), organizations=[a.service.organization])
    empty = make_user(roles=("resident",))
    other_organization = make_organization(name="Zonder aanbod")
    editor_without_listings = make_user(roles=("editor",), organizations=[other_organization])
    for person in (requester_b, requester_b_without_area, editor_b, _rita(), region.users["regional_admin"]):
        assert not scopes.account_in_scope(admin, person), person.email
    for person in (requester_a, editor_a, empty, editor_without_listings, region.users["editor"], admin):
        assert scopes.account_in_scope(admin, person), person.email
    for person in (requester_b, editor_b, _rita(), empty):
        assert scopes.account_in_scope(region.users["regional_admin"], person)


def test_a_scoped_admin_gets_404_on_another_municipalitys_account_pages(client):
    region = make_region()
    rita = _rita()
    login(client, region.users["admin_a"])
    assert client.get(f"/beheer/gebruikers/{rita.id}").status_code == 404
    assert post_form(client, f"/beheer/gebruikers/{rita.id}", {"roles": ["policy"]}).status_code == 404
    assert "Rita Rhenen" not in client.get("/beheer/gebruikers?q=Rita").get_data(as_text=True)
    db.session.refresh(rita)
    assert rita.roles == {"broker"}


def test_a_regional_admin_opens_and_finds_every_account(client):
    region = make_region()
    rita = _rita()
    login(client, region.users["regional_admin"])
    assert client.get(f"/beheer/gebruikers/{rita.id}").status_code == 200
    assert "Rita Rhenen" in client.get("/beheer/gebruikers?q=Rita").get_data(as_text=True)


def test_a_scoped_admin_gives_no_broker_areas_of_another_municipality(app):
    region = make_region()
    admin = region.users["admin_a"]
    person = region.sides["A"].volunteer.user
    with pytest.raises(ValidationError) as refused:
        accounts.update_user_access(person.id, ["broker"], [], [region.sides["B"].area.id], by=admin)
    assert refused.value.field == "areas"
    accounts.update_user_access(person.id, ["broker"], [], [region.sides["A"].area.id], by=admin)
    assert scopes.account_in_scope(admin, person)


def test_a_scoped_admin_is_offered_only_the_own_municipalitys_organisations_and_areas(app):
    region = make_region()
    admin, regional = region.users["admin_a"], region.users["regional_admin"]
    a, b = region.sides["A"], region.sides["B"]
    unplaced = make_organization(name="Nog zonder aanbod")
    organisations = {row_id for row_id, _name in accounts.organization_choices(admin)}
    assert {a.service.organization.id, unplaced.id} <= organisations
    assert b.service.organization.id not in organisations
    assert b.service.organization.id in {row_id for row_id, _name in accounts.organization_choices(regional)}
    areas = {row_id for row_id, _name in accounts.area_choices(admin)}
    assert a.area.id in areas and b.area.id not in areas
    assert b.area.id in {row_id for row_id, _name in accounts.area_choices(regional)}


def test_a_scoped_admin_makes_nobody_an_editor_of_another_municipalitys_organisation(app):
    region = make_region()
    admin = region.users["admin_a"]
    a, b = region.sides["A"], region.sides["B"]
    person = a.volunteer.user
    with pytest.raises(ValidationError) as refused:
        accounts.update_user_access(person.id, ["editor"], [b.service.organization.id], [], by=admin)
    assert refused.value.field == "organizations"
    db.session.refresh(person)
    assert b.service.organization.id not in person.organization_ids
    accounts.update_user_access(person.id, ["editor"], [a.service.organization.id], [], by=admin)
    assert set(person.organization_ids) == {a.service.organization.id}


def test_an_account_keeps_a_membership_an_admin_of_one_municipality_could_not_give(app):
    """A regional admin made the person an editor in B; admin A changes the roles and B's membership stays."""
    region = make_region()
    admin, regional = region.users["admin_a"], region.users["regional_admin"]
    a, b = region.sides["A"], region.sides["B"]
    person = a.volunteer.user
    accounts.update_user_access(person.id, ["editor"], [b.service.organization.id], [], by=regional)
    accounts.update_user_access(person.id, ["editor", "volunteer"], [b.service.organization.id], [], by=admin)
    db.session.refresh(person)
    assert b.service.organization.id in person.organization_ids and "volunteer" in person.roles


def test_the_outbox_is_for_the_admins_of_the_whole_region(client):
    region = make_region()
    admin, regional = region.users["admin_a"], region.users["regional_admin"]
    assert not accounts.may_see_outbox(admin) and accounts.may_see_outbox(regional)
    with pytest.raises(PermissionDenied):
        accounts.list_outbox(admin)
    login(client, admin)
    assert client.get("/beheer/e-mail").status_code == 403
    assert 'href="/beheer/e-mail"' not in client.get("/beheer/gebruikers").get_data(as_text=True)


def test_a_regional_admin_has_the_outbox(client):
    region = make_region()
    login(client, region.users["regional_admin"])
    assert client.get("/beheer/e-mail").status_code == 200
    assert 'href="/beheer/e-mail"' in client.get("/beheer/gebruikers").get_data(as_text=True)
