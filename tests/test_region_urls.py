"""Issue #20: every id-bearing URL of the broker pages, the signal team, the workspace and the analysis,
with the ids of the other municipality (Rhenen, B), for every role of tests/test_region_permissions.py.

Only the regional admin reaches B's requests, volunteers, matches and listing changes; no role of the
table opens B's signals (only Rhenen's own broker does); a scoped role gets 403 or 404, never B's data.
"""

import pytest
from sqlalchemy import select

from sociale_kaart import clock
from sociale_kaart.accounts.models import User
from sociale_kaart.directory import editing
from sociale_kaart.directory.models import Report
from sociale_kaart.extensions import db
from sociale_kaart.matching.models import HelpRequest, Match
from tests.builders import make_user
from tests.conftest import module_app
from tests.matching.factories import make_match, make_request, make_volunteer
from tests.test_region_permissions import ROLES, make_region
from tests.url_tables import assert_allowed_or_refused, role_logins, uncovered_routes, use_url

REGIONAL = {"regional_admin"}
NOBODY: set = set()
EDITOR = {"editor", "regional_admin"}  # the editor is a member of B's organisation too
READERS = {"regional_admin", "regional_policy"}

# (name, method, path template, allowed roles); {ids} are B's, filled from the site below
CASES = [
    ("queue of B's area", "GET", "/werkplek/hulp/?gebied={area}", REGIONAL),
    ("request", "GET", "/werkplek/hulp/vraag/{request}", REGIONAL),
    ("request without an area", "GET", "/werkplek/hulp/vraag/{request_without_area}", REGIONAL),
    ("publish", "POST", "/werkplek/hulp/vraag/{to_publish}/publiceren", REGIONAL),
    ("reject", "POST", "/werkplek/hulp/vraag/{to_reject}/afwijzen", REGIONAL),
    ("edit request", "GET", "/werkplek/hulp/vraag/{request}/bewerken", REGIONAL),
    ("save request", "POST", "/werkplek/hulp/vraag/{request}/bewerken", REGIONAL),
    ("candidates", "GET", "/werkplek/hulp/vraag/{request}/kandidaten", REGIONAL),
    ("suggest", "POST", "/werkplek/hulp/vraag/{request}/voorstellen", REGIONAL),
    ("approve match", "POST", "/werkplek/hulp/koppeling/{to_approve}/goedkeuren", REGIONAL),
    ("reject match", "POST", "/werkplek/hulp/koppeling/{to_pass}/niet-kiezen", REGIONAL),
    ("confirm cancel", "GET", "/werkplek/hulp/koppeling/{to_cancel}/annuleren", REGIONAL),
    ("cancel match", "POST", "/werkplek/hulp/koppeling/{to_cancel}/annuleren", REGIONAL),
    ("confirm done", "GET", "/werkplek/hulp/koppeling/{to_finish}/gedaan", REGIONAL),
    ("mark done", "POST", "/werkplek/hulp/koppeling/{to_finish}/gedaan", REGIONAL),
    ("confirm no-show", "GET", "/werkplek/hulp/koppeling/{to_miss}/niet-gekomen", REGIONAL),
    ("no-show", "POST", "/werkplek/hulp/koppeling/{to_miss}/niet-gekomen", REGIONAL),
    ("feedback", "POST", "/werkplek/hulp/koppeling/{to_hear}/terugkoppeling", REGIONAL),
    ("confirm reopen", "GET", "/werkplek/hulp/vraag/{to_reopen}/heropenen", REGIONAL),
    ("reopen", "POST", "/werkplek/hulp/vraag/{to_reopen}/heropenen", REGIONAL),
    ("propose all in B's area", "POST", "/werkplek/hulp/stel-koppelingen-voor", REGIONAL),
    ("volunteer", "GET", "/werkplek/hulp/vrijwilligers/{volunteer}", REGIONAL),
    ("approve volunteer", "POST", "/werkplek/hulp/vrijwilligers/{volunteer}/goedkeuren", REGIONAL),
    ("record VOG", "POST", "/werkplek/hulp/vrijwilligers/{helper}/vog", REGIONAL),
    ("workload of B's area", "GET", "/werkplek/hulp/werkdruk?gebied={area}", REGIONAL),
    ("signal", "GET", "/werkplek/zorgen/{signal}", NOBODY),
    ("signal status", "POST", "/werkplek/zorgen/{signal}/status", NOBODY),
    ("signal note", "POST", "/werkplek/zorgen/{signal}/notitie", NOBODY),
    ("change diff", "GET", "/werkplek/controle/{change}", REGIONAL),
    ("edit then approve", "GET", "/werkplek/controle/{change}/aanpassen", REGIONAL),
    ("return change", "POST", "/werkplek/controle/{to_return}/terugsturen", REGIONAL),
    ("approve change", "POST", "/werkplek/controle/{change}/goedkeuren", REGIONAL),
    ("join request", "GET", "/werkplek/lidmaatschappen/{membership}", REGIONAL),
    ("decide join request", "POST", "/werkplek/lidmaatschappen/{membership}", REGIONAL),
    ("resolve report", "POST", "/werkplek/meldingen/{report}/afhandelen", REGIONAL),
    ("mark service checked", "POST", "/werkplek/aanbod/{service}/gecontroleerd", EDITOR),
    ("history of the service", "GET", "/werkplek/geschiedenis/service/{service}", EDITOR),
    ("analysis of B's area", "GET", "/werkplek/analyse?gebied={area_code}", READERS),
    ("analysis table of B's area.csv", "GET", "/werkplek/analyse/kerncijfers.csv?gebied={area_code}", READERS),
    ("admin: B's broker", "GET", "/beheer/gebruikers/{broker_b}", REGIONAL),
    ("admin: save B's broker", "POST", "/beheer/gebruikers/{broker_b}", REGIONAL),
    ("admin: B's volunteer", "GET", "/beheer/gebruikers/{volunteer_b}", REGIONAL),
    ("admin: B's volunteer on", "POST", "/beheer/gebruikers/{volunteer_b}/status", REGIONAL),
    ("B's areas", "GET", "/beheer/gemeenten/0340/gebieden", REGIONAL),
    ("add an area to B", "POST", "/beheer/gemeenten/0340/gebieden", REGIONAL),
    ("B's area", "GET", "/beheer/gemeenten/0340/gebieden/{area}", REGIONAL),
    ("save B's area", "POST", "/beheer/gemeenten/0340/gebieden/{area}", REGIONAL),
]
# What the allowed role gets where it is not 200 or 302: the area to add has a postcode of Rhenen's own
# kern (a message, nothing added); B's area saved unchanged sends the admin back to the list.
DONE = {"add an area to B": (400,), "save B's area": (303,)}
# The page shows the defaults when the choice is not the user's; the CSV file has no page to show them on.
SHOWS_OWN_INSTEAD = {"analysis of B's area"}
DATA = {
    "reject": {"reason": "Dit is werk voor de thuiszorg."},
    "suggest": {"step": "suggest"},
    "cancel match": {"reason": "De aanvrager is opgenomen."},
    "feedback": {"role": "requester", "happened": "yes", "rating": "3", "comment": "Fijn."},
    "record VOG": {"checked_on": "2026-11-01", "valid_until": "2029-11-01"},
    "signal status": {"status": "in_progress", "note": ""},
    "signal note": {"note": "Gebeld."},
    "return change": {"comment": "Graag aanvullen."},
    "decide join request": {"besluit": "goedkeuren", "note": ""},
    "admin: B's volunteer on": {"active": "1"},
    "add an area to B": {"name": "Rhenen-Oost", "kind": "wijk", "postcodes": "3912"},
    "save B's area": {"name": "Rhenen", "kind": "kern", "postcodes": "3911, 3912"},
}


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """One app for the whole table: B's rows, one per action; refusals change nothing."""
    with module_app(tmp_path_factory, "region_urls") as app:
        with app.app_context():
            region = make_region()
            b = region.sides["B"]
            editor = region.users["editor"]
            second = editing.propose_location_change(
                b.service.location_links[0].location.id,
                {**editing.snapshot_location(b.service.location_links[0].location), "name": "Dorpshuis Rhenen"},
                by=editor,
            )
            applicant = make_user(roles=("volunteer",))
            membership = editing.request_membership(b.service.organization_id, "Ik help mee.", by=applicant)
            report = Report(service_id=b.service.id, message="Het telefoonnummer klopt niet.")
            db.session.add(report)
            db.session.commit()
            postcode = b.request.postcode

            def match(status):
                return make_match(make_request(postcode=postcode), make_volunteer(postcode=postcode), status=status).id

            ids = {
                "area": b.area.id,
                "area_code": b.area.code,
                "request": b.request.id,
                "request_without_area": b.request_without_area.id,
                "to_publish": make_request(postcode=postcode, status="submitted", reviewed_at=None).id,
                "to_reject": make_request(postcode=postcode, status="submitted", reviewed_at=None).id,
                "to_approve": b.match.id,
                "to_pass": match("interested"),
                "to_cancel": match("approved"),
                "to_finish": match("accepted"),
                "to_miss": match("accepted"),
                "to_hear": match("accepted"),
                "to_reopen": make_request(postcode=postcode, status="done", closed_at=clock.naive_utcnow()).id,
                "volunteer": b.volunteer.id,
                "helper": b.match.volunteer_id,
                "signal": b.signal.id,
                "change": b.change.id,
                "to_return": second.id,
                "membership": membership.id,
                "report": report.id,
                "service": b.service.id,
                "broker_b": db.session.scalar(select(User.id).where(User.name == "Rita Rhenen")),
                "volunteer_b": b.volunteer.user_id,
            }
            data = {**DATA, "suggest": {**DATA["suggest"], "volunteer_id": str(b.match.volunteer_id)}}
            data["propose all in B's area"] = {"area_id": str(b.area.id)}
            data["admin: save B's broker"] = {"roles": "broker", "areas": str(b.area.id)}
            tokens, login_url = role_logins(app, region.users)
            before = _statuses()
            db.session.remove()
        yield app, ids, data, tokens, login_url, before


def _statuses():
    return (
        dict(db.session.execute(select(HelpRequest.id, HelpRequest.status)).all()),
        dict(db.session.execute(select(Match.id, Match.status)).all()),
    )


@pytest.mark.parametrize("role", [role for role in ROLES if role != "regional_admin"])
def test_what_the_other_roles_leave_unchanged(site, role):
    """Every refused POST of the table by this role changes no request or match of B."""
    app, ids, data, tokens, login_url, before = site
    for name, method, path, allowed in CASES:
        if method == "POST" and role not in allowed:
            use_url(app, tokens[role], method, path.format(**ids), data.get(name))
    with app.app_context():
        assert _statuses() == before


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("name, method, path, allowed", CASES, ids=[case[0] for case in CASES])
def test_who_reaches_the_other_municipalitys_urls(site, name, method, path, allowed, role):
    app, ids, data, tokens, login_url, _before = site
    response = use_url(app, tokens[role], method, path.format(**ids), data.get(name))
    if role in allowed or role == "anonymous":
        assert_allowed_or_refused(response, role, allowed, login_url, done=DONE.get(name, (200, 302)))
    elif name in SHOWS_OWN_INSTEAD and response.status_code == 200:
        assert b"Rhenen, van" not in response.data  # the defaults: the role's own areas, never B's figures
    else:  # a CSV file with a choice that is not the user's is a bad request (400): no figures either
        assert response.status_code in ((400, 403, 404) if name.endswith(".csv") else (403, 404)), response.status_code


def test_the_table_covers_every_id_of_these_pages(site):
    app = site[0]
    with_ids = {
        rule.rule
        for rule in app.url_map.iter_rules()
        if rule.endpoint.split(".")[0] in {"broker", "signal_team", "workspace"} and "<" in rule.rule
    }
    workspace_for_editors = {
        rule
        for rule in with_ids
        if rule.startswith(("/werkplek/organisaties", "/werkplek/locaties", "/werkplek/aanbod"))
    }
    workspace_for_editors -= {"/werkplek/aanbod/<int:service_id>/gecontroleerd"}
    missing = uncovered_routes(app, {"broker", "signal_team", "workspace"}, CASES) & with_ids
    # editors' own pages (organisation, location, service forms) are the editors' tables' (tests/workspace)
    assert missing - workspace_for_editors - {"/werkplek/wijzigingen/<int:change_id>/intrekken"} == set()
