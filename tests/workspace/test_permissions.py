"""Who may open or post each workspace URL: a table of every URL and every role (issue #3).

Allowed: the page renders (200) or the action redirects somewhere other than the login page.
Refused: anonymous people are sent to the login page, everybody else gets 403. That includes an
editor who changes the id in the URL to another organisation's listing.
"""

import pytest

from sociale_kaart.directory import editing
from sociale_kaart.directory.models import Report
from sociale_kaart.extensions import db
from tests.builders import make_user
from tests.conftest import module_app
from tests.url_tables import assert_allowed_or_refused, each_role_and_url, role_logins, uncovered_routes, use_url
from tests.workspace.helpers import make_world, service_form

ROLES = ("anonymous", "resident", "volunteer", "editor_a", "editor_b", "broker_a", "broker_b", "admin")
EVERYONE = set(ROLES) - {"anonymous"}
EDITORS_A = {"editor_a", "admin"}
EDITORS_B = {"editor_b", "admin"}
BROKERS_A = {"broker_a", "admin"}
BROKERS = {"broker_a", "broker_b", "admin"}

# (name, method, path template, allowed roles); {ids} are filled from the world below
CASES = [
    ("home", "GET", "/werkplek/", EVERYONE),
    ("register organisation", "GET", "/werkplek/organisaties/aanmelden", EVERYONE),
    ("find organisation", "GET", "/werkplek/organisaties/lid-worden?q=Doorn", EVERYONE),
    ("join organisation", "GET", "/werkplek/organisaties/{org_a}/lid-worden", EVERYONE),
    ("organisation overview A", "GET", "/werkplek/organisaties/{org_a}", EDITORS_A),
    ("organisation overview B", "GET", "/werkplek/organisaties/{org_b}", EDITORS_B),
    ("edit organisation A", "GET", "/werkplek/organisaties/{org_a}/bewerken", EDITORS_A),
    ("edit organisation B", "GET", "/werkplek/organisaties/{org_b}/bewerken", EDITORS_B),
    ("new service A", "GET", "/werkplek/organisaties/{org_a}/aanbod/nieuw", EDITORS_A),
    ("new service B", "GET", "/werkplek/organisaties/{org_b}/aanbod/nieuw", EDITORS_B),
    ("edit service A", "GET", "/werkplek/aanbod/{service_a}/bewerken", EDITORS_A),
    ("edit service B (id changed in the URL)", "GET", "/werkplek/aanbod/{service_b}/bewerken", EDITORS_B),
    ("save service A", "POST", "/werkplek/aanbod/{service_a}/bewerken", EDITORS_A),
    ("save service B", "POST", "/werkplek/aanbod/{service_b}/bewerken", EDITORS_B),
    ("new location A", "GET", "/werkplek/organisaties/{org_a}/locaties/nieuw", EDITORS_A),
    ("edit location A", "GET", "/werkplek/locaties/{location_a}/bewerken", EDITORS_A),
    ("edit location B", "GET", "/werkplek/locaties/{location_b}/bewerken", EDITORS_B),
    ("mark service A checked", "POST", "/werkplek/aanbod/{service_a}/gecontroleerd", EDITORS_A | BROKERS_A),
    ("withdraw change A", "POST", "/werkplek/wijzigingen/{change_a}/intrekken", EDITORS_A),
    ("queue", "GET", "/werkplek/controle", BROKERS),
    ("change A diff", "GET", "/werkplek/controle/{change_a}", BROKERS_A),
    ("edit then approve A", "GET", "/werkplek/controle/{change_a}/aanpassen", BROKERS_A),
    ("return change A", "POST", "/werkplek/controle/{change_a}/terugsturen", BROKERS_A),
    ("approve change A", "POST", "/werkplek/controle/{change_a}/goedkeuren", BROKERS_A),
    ("join request for A", "GET", "/werkplek/lidmaatschappen/{membership_a}", BROKERS_A),
    ("decide join request for A", "POST", "/werkplek/lidmaatschappen/{membership_a}", BROKERS_A),
    ("resolve report on A", "POST", "/werkplek/meldingen/{report_a}/afhandelen", BROKERS_A),
    ("history of service A", "GET", "/werkplek/geschiedenis/service/{service_a}", EDITORS_A | BROKERS_A),
    ("history of organisation B", "GET", "/werkplek/geschiedenis/organization/{org_b}", EDITORS_B | {"broker_b"}),
    ("history of location A", "GET", "/werkplek/geschiedenis/location/{location_a}", EDITORS_A | BROKERS_A),
    ("dashboard", "GET", "/werkplek/overzicht", BROKERS),
]


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """One app for the whole table: refusals change nothing, and allowed repeats stay allowed."""
    with module_app(tmp_path_factory, "permissions") as app:
        with app.app_context():
            world = make_world()
            change = editing.propose_service_change(
                world.service_a.id,
                {**editing.snapshot_service(world.service_a), "summary": "Voorstel."},
                by=world.users["editor_a"],
            )
            applicant = make_user(roles=("volunteer",))  # not one of the table's roles: approving changes nothing
            membership = editing.request_membership(world.org_a.id, "Ik help mee.", by=applicant)
            report = Report(service_id=world.service_a.id, message="Het telefoonnummer klopt niet.")
            db.session.add(report)
            db.session.commit()
            ids = {
                "org_a": world.org_a.id,
                "org_b": world.org_b.id,
                "service_a": world.service_a.id,
                "service_b": world.service_b.id,
                "location_a": world.location_a.id,
                "location_b": world.location_b.id,
                "change_a": change.id,
                "membership_a": membership.id,
                "report_a": report.id,
            }
            forms = {
                "service_a": service_form(world.service_a, summary="Anders."),
                "service_b": service_form(world.service_b, summary="Anders."),
            }
            tokens, login_url = role_logins(app, world.users)
            db.session.remove()
        yield app, ids, forms, tokens, login_url


def _data(name, ids, forms):
    if name.startswith("save service A"):
        return forms["service_a"]
    if name.startswith("save service B"):
        return forms["service_b"]
    if name.startswith("return"):
        return {"comment": "Graag aanvullen."}
    if name.startswith("decide"):
        return {"besluit": "goedkeuren", "note": ""}
    return {}


@each_role_and_url(ROLES, CASES)
def test_who_may_use_each_url(site, name, method, path, allowed, role):
    app, ids, forms, tokens, login_url = site
    response = use_url(app, tokens[role], method, path.format(**ids), _data(name, ids, forms))
    assert_allowed_or_refused(response, role, allowed, login_url)


def test_the_table_covers_every_workspace_url(site):
    assert uncovered_routes(site[0], {"workspace"}, CASES) == set()
