"""Issue #3: who may call each permission-checked service function, as one table over every role.

The views are tested the same way in tests/workspace/test_permissions.py and
tests/admin/; this table holds the services themselves to account, because a check that only
lives in a template or a view is no check.
"""

import pytest

from sociale_kaart.accounts import services as accounts
from sociale_kaart.accounts.models import Membership
from sociale_kaart.directory import areas, editing, freshness, moderation, municipalities, reports
from sociale_kaart.errors import PermissionDenied
from sociale_kaart.extensions import db
from sociale_kaart.insights import services as insights
from sociale_kaart.lists import services as lists
from sociale_kaart.matching import handouts
from tests.builders import make_user
from tests.matching.factories import make_request
from tests.workspace.helpers import make_world, service_values

ROLES = ("anonymous", "resident", "volunteer", "editor_a", "editor_b", "broker_a", "broker_b", "admin", "policy")
EDITOR_A = {"editor_a", "admin"}
BROKER_A = {"broker_a", "admin"}
BROKERS = {"broker_a", "broker_b", "admin"}
ADMIN = {"admin"}
POLICY = {"policy"}  # a beleidsmedewerker reads the area analysis's aggregates, nothing else (issue #15)


def _anonymous():
    from flask_login import AnonymousUserMixin

    return AnonymousUserMixin()


def _pending_change(world):
    return editing.propose_service_change(
        world.service_a.id, service_values(world.service_a, summary="Nieuwe tekst."), by=world.users["editor_a"]
    )


def _membership(world):
    applicant = make_user(roles=("resident",))
    return editing.request_membership(world.org_a.id, "Ik ben de nieuwe coördinator.", by=applicant)


def _report(world):
    return reports.submit_report(world.service_a.id, "hours", "Dinsdag is het dicht.")


LOCATION = {
    "name": "Wijkpost",
    "address_1": "Dorpsstraat 9",
    "postal_code": "3941 AB",
    "city": "Doorn",
    "description": "",
    "transportation": "",
    "accessibility": [],
}
ORGANIZATION = {
    "name": "Stichting Welzijn Doorn",
    "description": "Welzijnswerk in Doorn.",
    "phone": "0343 000 101",
    "email": "info@welzijn-doorn.example.org",
    "website": "",
}

# (use case, allowed roles, call(world, user))
CASES = [
    (
        "propose a service change",
        EDITOR_A,
        lambda w, u: editing.propose_service_change(
            w.service_a.id, service_values(w.service_a, summary="Anders."), by=u
        ),
    ),
    (
        "create a service",
        EDITOR_A,
        lambda w, u: editing.create_service(w.org_a.id, service_values(w.service_a, name="Nieuw aanbod"), by=u),
    ),
    (
        "change an organisation",
        EDITOR_A,
        lambda w, u: editing.propose_organization_change(w.org_a.id, ORGANIZATION, by=u),
    ),
    ("create a location", EDITOR_A, lambda w, u: editing.create_location(w.org_a.id, LOCATION, by=u)),
    (
        "change a location",
        EDITOR_A,
        lambda w, u: editing.propose_location_change(w.location_a.id, {**LOCATION, "name": "Dorpshuis De Linde"}, by=u),
    ),
    ("see an organisation's overview", EDITOR_A, lambda w, u: editing.organization_overview(w.org_a.id, by=u)),
    ("withdraw a change", EDITOR_A, lambda w, u: editing.withdraw_change(_pending_change(w).id, by=u)),
    ("see the moderation queue", BROKERS, lambda w, u: moderation.moderation_queue(by=u)),
    ("see a change's diff", BROKER_A, lambda w, u: moderation.get_change(_pending_change(w).id, by=u)),
    ("approve a change", BROKER_A, lambda w, u: moderation.approve_change(_pending_change(w).id, by=u)),
    ("return a change", BROKER_A, lambda w, u: moderation.return_change(_pending_change(w).id, "Welke dagen?", by=u)),
    ("decide a join request", BROKER_A, lambda w, u: moderation.decide_membership(_membership(w).id, True, "", by=u)),
    ("see a listing's history", EDITOR_A | BROKER_A, lambda w, u: moderation.history("service", w.service_a.id, by=u)),
    ("see the dashboard", BROKERS, lambda w, u: moderation.dashboard(by=u)),
    ("mark a listing checked", EDITOR_A | BROKER_A, lambda w, u: freshness.mark_checked(w.service_a.id, by=u)),
    ("list overdue listings", BROKERS, lambda w, u: freshness.overdue_listings(by=u)),
    ("list open reports", BROKERS, lambda w, u: reports.open_reports(by=u)),
    ("resolve a report", BROKER_A, lambda w, u: reports.resolve_report(_report(w).id, u, "Aangepast.")),
    ("list users", ADMIN, lambda w, u: accounts.list_users(by=u)),
    ("see a user", ADMIN, lambda w, u: accounts.get_user(w.users["resident"].id, by=u)),
    (
        "invite a user",
        ADMIN,
        lambda w, u: accounts.invite_user("nieuw@example.org", "Nieuwe collega", ["broker"], [], [w.area_a.id], by=u),
    ),
    (
        "change a user's access",
        ADMIN,
        lambda w, u: accounts.update_user_access(w.users["resident"].id, ["editor"], [w.org_a.id], [], by=u),
    ),
    ("deactivate a user", ADMIN, lambda w, u: accounts.set_user_active(w.users["resident"].id, False, by=u)),
    ("see the e-mail outbox", ADMIN, lambda w, u: accounts.list_outbox(by=u)),
    ("list the areas", ADMIN, lambda w, u: areas.list_areas(by=u)),
    (
        "edit an area's contact",
        ADMIN,
        lambda w, u: areas.update_area_contact(
            w.area_a.id, {"contact_name": "Dorpsteam Doorn", "contact_phone": "0343 123 456"}, by=u
        ),
    ),
    # the region's municipalities (issue #20)
    ("list the municipalities", ADMIN, lambda w, u: municipalities.list_municipalities(by=u)),
    ("see a municipality's settings", ADMIN, lambda w, u: municipalities.get_municipality("1581", by=u)),
    ("add a municipality", ADMIN, lambda w, u: municipalities.add_municipality("0340", by=u)),
    (
        "change a municipality's settings",
        ADMIN,
        lambda w, u: municipalities.update_municipality("1581", {"name": "Heuvelrug", "brand": "groen"}, by=u),
    ),
    ("see a municipality's areas", ADMIN, lambda w, u: municipalities.municipality_areas("1581", by=u)),
    (
        "edit a municipality's area",
        ADMIN,
        lambda w, u: municipalities.update_area(
            "1581", w.area_a.id, {"name": "Doorn", "kind": "dorp", "postcodes": "3941"}, by=u
        ),
    ),
    (
        "add a municipality's area",
        ADMIN,
        lambda w, u: municipalities.add_area("1581", {"name": "Amerongen", "kind": "dorp", "postcodes": "3958"}, by=u),
    ),
    ("analyse my areas", BROKERS | POLICY, lambda w, u: insights.area_analysis(u, insights.default_analysis_period())),
    (
        "analyse area A",
        BROKER_A | POLICY,
        lambda w, u: insights.area_analysis(u, insights.default_analysis_period(), area_code=w.area_a.code),
    ),
    # a broker's list of services for a caller (issue #19)
    ("start a list for a caller", BROKERS, lambda w, u: lists.start_for_caller(None, False, by=u)),
    (
        "start a list for a caller of a request",
        BROKER_A,
        lambda w, u: lists.start_for_caller(make_request(area=w.area_a).id, False, by=u),
    ),
    (
        "note a handed-over list on a request",
        BROKER_A,
        lambda w, u: handouts.note_list_handed_over(make_request(area=w.area_a).id, ["Dienst"], "email", by=u),
    ),
]


# The use cases that only read: one world serves every role. Any other gets a world per role.
READING_CASES = {
    "see an organisation's overview",
    "see the moderation queue",
    "see a listing's history",
    "see the dashboard",
    "list overdue listings",
    "list open reports",
    "list users",
    "see a user",
    "see the e-mail outbox",
    "list the areas",
    "list the municipalities",
    "see a municipality's settings",
    "see a municipality's areas",
    "analyse my areas",
    "analyse area A",
}
WRITING = [case for case in CASES if case[0] not in READING_CASES]
READING = [case for case in CASES if case[0] in READING_CASES]


def _call_as(world, role, allowed, call):
    user = world.users[role] or _anonymous()
    if role in allowed:
        call(world, user)  # raises nothing (PermissionDenied would fail the test)
    else:
        with pytest.raises(PermissionDenied):
            call(world, user)
        db.session.rollback()


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("use_case, allowed, call", WRITING, ids=[case[0] for case in WRITING])
def test_who_may_call_each_writing_service(app, use_case, allowed, call, role):
    _call_as(make_world(), role, allowed, call)


@pytest.mark.parametrize("use_case, allowed, call", READING, ids=[case[0] for case in READING])
def test_who_may_call_each_reading_service(app, use_case, allowed, call):
    """Every role in turn on one world, those refused first."""
    world = make_world()
    for role in sorted(ROLES, key=lambda role: role in allowed):
        try:
            _call_as(world, role, allowed, call)
        except (AssertionError, pytest.fail.Exception) as error:
            raise AssertionError(f"{use_case!r}, {role}: {error}") from error


def test_the_table_names_only_its_own_use_cases():
    assert READING_CASES <= {case[0] for case in CASES}


def test_an_editor_loses_access_when_the_membership_ends(app):
    world = make_world()
    editor = world.users["editor_a"]
    membership = db.session.query(Membership).filter_by(user_id=editor.id).one()
    membership.status = "ended"
    db.session.commit()
    with pytest.raises(PermissionDenied):
        editing.propose_service_change(world.service_a.id, service_values(world.service_a, summary="X."), by=editor)


def test_a_deactivated_broker_may_not_moderate(app):
    world = make_world()
    broker = world.users["broker_a"]
    change = _pending_change(world)
    broker.active = False
    db.session.commit()
    with pytest.raises(PermissionDenied):
        moderation.approve_change(change.id, by=broker)
