"""Issue #20: roles scoped by municipality, in a region of Utrechtse Heuvelrug (A, 1581) and Rhenen (B, 0340).

Each municipality gets the same data: a request in an area, a request without an area (its postcode
says where it belongs), a volunteer, a signal, a match and a listing change. The tables check, for
every role, that the services and the URLs of the workspace, matching, signals and insights give
a scoped role its own municipality's rows and refuse the other's, and give the regional roles both.
"""

from dataclasses import dataclass, field

import pytest
from flask import url_for
from sqlalchemy import select

from sociale_kaart.directory import editing, freshness, moderation, municipalities, scopes
from sociale_kaart.directory.models import Area
from sociale_kaart.errors import NotFound, PermissionDenied
from sociale_kaart.extensions import db
from sociale_kaart.insights import services as insights
from sociale_kaart.matching import booking, pool, requests, volunteers
from sociale_kaart.signals import services as signals
from tests.builders import make_location, make_organization, make_service, make_user
from tests.matching.factories import load_areas, make_match, make_request, make_volunteer
from tests.signals.helpers import signal_values
from tests.url_tables import assert_allowed_or_refused, role_logins, use_url
from tests.workspace.helpers import service_values

ROLES = (
    "anonymous",
    "resident",
    "volunteer",
    "editor",
    "broker_a",  # a broker of Doorn, municipality A
    "policy_a",  # a policy officer of municipality A
    "admin_a",  # an admin of municipality A
    "regional_admin",
    "regional_policy",
)
SIDES = ("A", "B")


@dataclass
class Side:
    """One municipality's data."""

    code: str
    area: Area
    request: object = None
    request_without_area: object = None
    volunteer: object = None
    match: object = None
    signal: object = None
    change: object = None
    service: object = None


@dataclass
class Region:
    users: dict = field(default_factory=dict)
    sides: dict = field(default_factory=dict)


def _side(code, area, postcode, far_postcode, editor):
    side = Side(code, area)
    side.request = make_request(postcode=postcode, area=area)
    side.request_without_area = make_request(postcode=far_postcode, area=None)
    side.volunteer = make_volunteer(postcode=postcode, area=area, status="pending")
    helper = make_volunteer(postcode=postcode, area=area)
    side.match = make_match(side.request, helper, status="interested")
    side.signal = signals.submit_signal(signal_values(area))
    organization = make_organization(name=f"Welzijn {area.name}")
    location = make_location(organization, area=area, postal_code=postcode, city=area.name)
    side.service = make_service(location, name=f"Maatjes {area.name}")
    editor.memberships.append(type(editor.memberships[0])(organization=organization, status="active"))
    db.session.commit()
    side.change = editing.propose_service_change(
        side.service.id, service_values(side.service, summary="Nieuwe tekst."), by=editor
    )
    return side


def make_region():
    """Load the demo areas of A, add Rhenen (B), and build the roles and both municipalities' data."""
    areas = load_areas()  # the demo's own municipality; Rhenen added when missing
    if municipalities.by_code("0340") is None:
        municipalities.add_municipality("0340")
    rhenen = db.session.scalar(select(Area).where(Area.municipality_code == "0340", Area.name == "Rhenen"))
    organization = make_organization(name="Eerste organisatie")
    region = Region()
    region.users = {
        "anonymous": None,
        "resident": make_user(roles=("resident",)),
        "volunteer": make_user(roles=("volunteer",)),
        "editor": make_user(roles=("editor",), organizations=[organization]),
        "broker_a": make_user(roles=("broker",), areas=[areas["doorn"]], name="Bram Broker"),
        "policy_a": make_user(roles=("policy",), municipality_code="1581"),
        "admin_a": make_user(roles=("admin",), municipality_code="1581"),
        "regional_admin": make_user(roles=("admin",)),
        "regional_policy": make_user(roles=("policy",)),
    }
    # Rhenen's broker, so that its signals have a handler of their own
    make_user(roles=("broker",), areas=[rhenen], name="Rita Rhenen")
    editor = region.users["editor"]
    # The request without an area lies in Overberg (3959, A) or in Elst (3922, B) by its postcode.
    region.sides["A"] = _side("1581", areas["doorn"], "3941 AB", "3959 AA", editor)
    region.sides["B"] = _side("0340", rhenen, "3911 AB", "3922 AA", editor)
    return region


def _anonymous():
    from flask_login import AnonymousUserMixin

    return AnonymousUserMixin()


def _scoped(allowed_a, allowed_b):
    return {"A": set(allowed_a), "B": set(allowed_b)}


BROKERS = _scoped({"broker_a", "admin_a", "regional_admin"}, {"regional_admin"})
SIGNAL_HANDLERS = _scoped({"broker_a"}, set())  # admins never open a signal's personal fields
# the editor is a member of both municipalities' organisations; an admin edits any listing of their municipality
EDITORS = _scoped({"editor", "admin_a", "regional_admin"}, {"editor", "regional_admin"})
CHECKERS = _scoped({"editor", "broker_a", "admin_a", "regional_admin"}, {"editor", "regional_admin"})
READERS = _scoped(
    {"broker_a", "policy_a", "admin_a", "regional_admin", "regional_policy"}, {"regional_admin", "regional_policy"}
)

# (use case, allowed per side, call(side, user))
CASES = [
    ("open a request", BROKERS, lambda s, u: requests.get_request_for_broker(s.request.id, u)),
    (
        "open a request without an area",
        BROKERS,
        lambda s, u: requests.get_request_for_broker(s.request_without_area.id, u),
    ),
    ("see a request's candidates", BROKERS, lambda s, u: pool.candidates(s.request.id, u)),
    ("open a volunteer", BROKERS, lambda s, u: volunteers.get_volunteer_for_broker(s.volunteer.id, u)),
    ("approve a match", BROKERS, lambda s, u: booking.approve_match(s.match.id, u)),
    ("open a signal", SIGNAL_HANDLERS, lambda s, u: signals.get_signal_for_broker(s.signal.id, u)),
    ("see a listing change", BROKERS, lambda s, u: moderation.get_change(s.change.id, by=u)),
    ("approve a listing change", BROKERS, lambda s, u: moderation.approve_change(s.change.id, by=u)),
    (
        "propose a change to a listing",
        EDITORS,
        lambda s, u: editing.propose_service_change(s.service.id, service_values(s.service, summary="Anders."), by=u),
    ),
    ("mark a listing checked", CHECKERS, lambda s, u: freshness.mark_checked(s.service.id, by=u)),
    (
        "analyse the municipality's area",
        READERS,
        lambda s, u: insights.area_analysis(u, insights.default_analysis_period(), area_code=s.area.code),
    ),
]


# The use cases that change what they act on: each role gets a region of its own. The others read, and
# one region serves every role (the table is built 86 times instead of 198).
WRITING_CASES = {
    "approve a match",
    "approve a listing change",
    "propose a change to a listing",
    "mark a listing checked",
}


def _call_as(region, role, side, allowed, call):
    user = region.users[role] or _anonymous()
    if role in allowed[side]:
        call(region.sides[side], user)  # raises nothing
    else:
        with pytest.raises((PermissionDenied, NotFound)):
            call(region.sides[side], user)
        db.session.rollback()


@pytest.mark.parametrize("side", SIDES)
@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(
    "use_case, allowed, call",
    [case for case in CASES if case[0] in WRITING_CASES],
    ids=[case[0] for case in CASES if case[0] in WRITING_CASES],
)
def test_who_may_call_each_writing_service_in_a_region(app, use_case, allowed, call, role, side):
    _call_as(make_region(), role, side, allowed, call)


@pytest.mark.parametrize("side", SIDES)
@pytest.mark.parametrize(
    "use_case, allowed, call",
    [case for case in CASES if case[0] not in WRITING_CASES],
    ids=[case[0] for case in CASES if case[0] not in WRITING_CASES],
)
def test_who_may_call_each_reading_service_in_a_region(app, use_case, allowed, call, side):
    """Every role in turn on one region: those refused first, so that nothing they tried can help the others."""
    region = make_region()
    for role in sorted(ROLES, key=lambda role: role in allowed[side]):
        try:
            _call_as(region, role, side, allowed, call)
        except (AssertionError, pytest.fail.Exception) as error:
            raise AssertionError(f"{use_case!r}, {role}, municipality {side}: {error}") from error


def test_lists_hold_only_the_own_municipality_for_scoped_roles(app):
    region = make_region()
    a, b = region.sides["A"], region.sides["B"]
    for role, sees_b in (("broker_a", False), ("admin_a", False), ("regional_admin", True)):
        user = region.users[role]
        queue = requests.broker_queue(user)
        listed = {request.id for status in ("open", "proposed") for request in queue[status]}
        assert {a.request.id, a.request_without_area.id} <= listed
        assert ({b.request.id, b.request_without_area.id} <= listed) is sees_b
        assert not ({b.request.id, b.request_without_area.id} & listed) or sees_b
        pending = {profile.id for profile in queue["volunteers"]}
        assert a.volunteer.id in pending and (b.volunteer.id in pending) is sees_b
        interested = {match.id for match in queue["interested"]}
        assert a.match.id in interested and (b.match.id in interested) is sees_b
        changes = {item.change.id for item in moderation.moderation_queue(by=user).changed}
        assert a.change.id in changes and (b.change.id in changes) is sees_b
        listed_volunteers = {profile.id for profile in volunteers.volunteer_list(user)}
        assert a.volunteer.id in listed_volunteers and (b.volunteer.id in listed_volunteers) is sees_b
    signal_queue = signals.signal_queue(region.users["broker_a"])
    waiting = {signal.id for signal in signal_queue.waiting}
    assert a.signal.id in waiting and b.signal.id not in waiting
    admin_areas = {row.area.id for row in signals.signal_queue(region.users["admin_a"]).areas if row.area}
    assert a.area.id in admin_areas and b.area.id not in admin_areas


def test_a_request_without_an_area_goes_to_the_brokers_of_its_postcodes_municipality(app):
    region = make_region()
    a, b = region.sides["A"], region.sides["B"]
    assert scopes.row_code(None, a.request_without_area.postcode) == "1581"
    assert scopes.row_code(None, b.request_without_area.postcode) == "0340"
    to_a = {user.name for user in scopes.brokers_of(None, "1581")}
    to_b = {user.name for user in scopes.brokers_of(None, "0340")}
    assert "Bram Broker" in to_a and "Bram Broker" not in to_b
    assert "Rita Rhenen" in to_b and "Rita Rhenen" not in to_a


def test_a_policy_officer_of_a_region_chooses_a_municipality_or_the_region(app):
    region = make_region()
    regional, scoped = region.users["regional_policy"], region.users["policy_a"]
    period = insights.default_analysis_period()
    assert [row.code for row in insights.analysis_municipalities(regional)] == ["0340", "1581"]
    assert insights.analysis_municipalities(scoped) == []
    whole = insights.scope_for(regional)
    assert whole.whole and whole.region
    rhenen = insights.scope_for(regional, insights.municipality_choice("0340"))
    assert {area.municipality_code for area in rhenen.areas} == {"0340"} and not rhenen.whole
    own = insights.scope_for(scoped)
    assert {area.municipality_code for area in own.areas} == {"1581"} and own.municipality.code == "1581"
    with pytest.raises(PermissionDenied):
        insights.area_analysis(scoped, period, area_code=insights.municipality_choice("0340"))
    insights.area_analysis(regional, period, area_code=insights.municipality_choice("0340"))


def _urls(side):
    return [
        ("request page", "GET", url_for("broker.request", request_id=side.request.id), BROKERS),
        ("request without area", "GET", url_for("broker.request", request_id=side.request_without_area.id), BROKERS),
        ("candidates", "GET", url_for("broker.candidates", request_id=side.request.id), BROKERS),
        ("volunteer page", "GET", url_for("broker.volunteer", profile_id=side.volunteer.id), BROKERS),
        ("approve a match", "POST", url_for("broker.approve", match_id=side.match.id), BROKERS),
        ("signal page", "GET", url_for("signal_team.detail", signal_id=side.signal.id), SIGNAL_HANDLERS),
        ("change page", "GET", url_for("workspace.change", change_id=side.change.id), BROKERS),
        ("analysis of an area", "GET", url_for("insights.analysis", gebied=side.area.code), READERS),
    ]


URL_NAMES = (
    "request page",
    "request without area",
    "candidates",
    "volunteer page",
    "approve a match",
    "signal page",
    "change page",
    "analysis of an area",
)


@pytest.mark.parametrize("side", SIDES)
@pytest.mark.parametrize("role", ROLES)
def test_who_may_approve_a_match_by_its_url_in_a_region(app, role, side):
    region = make_region()
    _use_url_as(app, region, role_logins(app, region.users), "approve a match", role, side)


@pytest.mark.parametrize("side", SIDES)
@pytest.mark.parametrize("name", [name for name in URL_NAMES if name != "approve a match"])
def test_who_may_use_each_page_in_a_region(app, name, side):
    """Every role in turn opens the page (a GET changes nothing) on one region."""
    region = make_region()
    logins = role_logins(app, region.users)
    for role in ROLES:
        try:
            _use_url_as(app, region, logins, name, role, side)
        except AssertionError as error:
            raise AssertionError(f"{name!r}, {role}, municipality {side}: {error}") from error


def _use_url_as(app, region, logins, name, role, side):
    tokens, login_url = logins
    with app.test_request_context():
        cases = {case[0]: case for case in _urls(region.sides[side])}
    _name, method, url, allowed = cases[name]
    response = use_url(app, tokens[role], method, url)
    if role in allowed[side]:
        assert_allowed_or_refused(response, role, allowed[side], login_url)
    elif role == "anonymous":
        assert_allowed_or_refused(response, role, allowed[side], login_url)
    elif name == "analysis of an area":
        # a choice that is not one's own is no choice: the form shows the own areas, never B's figures
        assert response.status_code in (200, 403)
        area = region.sides[side].area  # the region's site name names Rhenen on every page: look at the figures
        shown = response.data if response.status_code == 200 else b""
        assert f"{area.name}, van".encode() not in shown and f'value="{area.code}"'.encode() not in shown
    else:
        assert response.status_code in (403, 404), response.status_code


def test_the_analysis_page_of_a_regional_policy_officer_offers_each_municipality(app):
    region = make_region()
    tokens, _login_url = role_logins(app, region.users)
    html = use_url(app, tokens["regional_policy"], "GET", "/werkplek/analyse").get_data(as_text=True)
    assert "Hele regio" in html and "Gemeente Rhenen" in html and "De hele regio" in html
    chosen = use_url(app, tokens["regional_policy"], "GET", "/werkplek/analyse?gebied=gemeente-0340")
    assert chosen.status_code == 200 and "Gemeente Rhenen, van" in chosen.get_data(as_text=True)


def test_the_analysis_page_of_a_policy_officer_of_one_municipality_offers_only_its_areas(app):
    # one role per test: the app context of the test keeps the logged-in user between requests
    region = make_region()
    tokens, _login_url = role_logins(app, region.users)
    html = use_url(app, tokens["policy_a"], "GET", "/werkplek/analyse").get_data(as_text=True)
    assert "Gemeente Rhenen" not in html and "Hele regio" not in html and 'value="elst"' not in html
    assert 'value="doorn"' in html and "Utrechtse Heuvelrug, van" in html


def test_an_admin_of_one_municipality_edits_only_its_volunteers_profiles(app):
    from tests.matching.test_volunteers import profile_form

    region = make_region()
    a, b = region.sides["A"].volunteer, region.sides["B"].volunteer
    admin = region.users["admin_a"]
    volunteers.save_profile(a.user, profile_form(postcode="3941 AB"), by=admin)
    with pytest.raises(PermissionDenied):
        volunteers.save_profile(b.user, profile_form(postcode="3911 AB"), by=admin)
    db.session.rollback()
    volunteers.save_profile(b.user, profile_form(postcode="3911 AB"), by=region.users["regional_admin"])


def test_a_municipalitys_analysis_counts_its_rows_without_an_area(app):
    from sociale_kaart import clock
    from sociale_kaart.insights import queries as insight_queries

    region = make_region()
    a, b = region.sides["A"], region.sides["B"]
    now = clock.naive_utcnow()
    for reader, code, own, other in (
        (region.users["regional_policy"], "0340", b, a),
        (region.users["policy_a"], None, a, b),
    ):
        scope = insights.scope_for(reader, insights.municipality_choice(code) if code else None)
        waiting = insight_queries.waiting_requests(scope.area_ids, now, scope.codes)
        without_area = [row for row in waiting if row.area_id is None]
        assert len(without_area) == 1  # the own request without an area, not the other's
        assert {row.area_id for row in waiting} == {own.area.id, None}
        assert other.area.id not in {row.area_id for row in waiting}
    analysis = insights.area_analysis(region.users["policy_a"], insights.default_analysis_period())
    columns = {str(label) for table in analysis.tables.values() for label in table.columns}
    assert "Zonder gebied" in columns  # the own request without an area has a column of its own


def test_an_admin_of_one_municipality_reads_its_unanswered_searches(app):
    from sociale_kaart.directory import search_log

    region = make_region()
    scoped = {area.code for area in search_log.unanswered_searches(region.users["admin_a"]).areas}
    regional = search_log.unanswered_searches(region.users["regional_admin"])
    assert "doorn" in scoped and "rhenen" not in scoped and "elst" not in scoped
    assert regional.all_areas and "rhenen" in {area.code for area in regional.areas}
