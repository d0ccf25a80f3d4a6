"""Helpers for workspace view tests: a valid CSRF token for a test client's session."""

import secrets

from itsdangerous import URLSafeTimedSerializer


def csrf_token(client, app):
    """Put a CSRF secret in the client's session and return the matching form token (as Flask-WTF does)."""
    raw = secrets.token_hex(20)
    with client.session_transaction() as session:
        session["csrf_token"] = raw
    secret = app.config.get("WTF_CSRF_SECRET_KEY") or app.secret_key
    return URLSafeTimedSerializer(secret, salt="wtf-csrf-token").dumps(raw)


def post(client, app, url, data=None, **kwargs):
    """POST a form with a valid CSRF token."""
    return client.post(url, data={**(data or {}), "csrf_token": csrf_token(client, app)}, **kwargs)


def login_as(client, user):
    """Log a user in on a test client, also when the test's app context already cached another user."""
    from flask import g

    from tests.builders import login

    login(client, user)
    g.pop("_login_user", None)


def logout(client):
    """Forget the logged-in user on a test client."""
    from flask import g

    with client.session_transaction() as session:
        session.clear()
    g.pop("_login_user", None)


class World:
    """Two organisations in two areas, each with a published service, and a user per role."""


def make_world():
    """Create areas Doorn (A) and Leersum (B), organisations A and B with one published service each,
    and the users: resident, volunteer, editor of A, editor of B, broker of A, broker of B, admin, policy officer."""
    from sociale_kaart.directory.models import Area
    from sociale_kaart.extensions import db
    from tests.builders import make_location, make_organization, make_service, make_user

    world = World()
    world.area_a = Area(code="doorn", name="Doorn", kind="dorp", municipality_code="1581", postcodes=["3941"])
    world.area_b = Area(code="leersum", name="Leersum", kind="dorp", municipality_code="1581", postcodes=["3956"])
    db.session.add_all([world.area_a, world.area_b])
    world.org_a = make_organization(name="Stichting Welzijn Doorn")
    world.org_b = make_organization(name="Vereniging Leersum Helpt")
    world.location_a = make_location(world.org_a, area=world.area_a)
    world.location_b = make_location(
        world.org_b,
        name="Buurthuis",
        address_1="Rijksstraatweg 2",
        postal_code="3956 AA",
        city="Leersum",
        area=world.area_b,
        lat=52.011,
        lon=5.43,
    )
    world.service_a = make_service(
        world.location_a, name="Maatjesproject Doorn", summary="Een maatje voor een wandeling."
    )
    world.service_b = make_service(world.location_b, name="Boodschappenhulp Leersum")
    world.users = {
        "anonymous": None,
        "resident": make_user(roles=("resident",)),
        "volunteer": make_user(roles=("volunteer",)),
        "editor_a": make_user(roles=("editor",), organizations=[world.org_a], name="Els Editor"),
        "editor_b": make_user(roles=("editor",), organizations=[world.org_b]),
        "broker_a": make_user(roles=("broker",), areas=[world.area_a], name="Bram Broker"),
        "broker_b": make_user(roles=("broker",), areas=[world.area_b]),
        "admin": make_user(roles=("admin",)),
        "policy": make_user(roles=("policy",)),  # beleidsmedewerker: aggregated figures only (issue #15)
    }
    return world


def service_values(service, **changes):
    """Return the full form values of a service (as editing.propose_service_change takes them)."""
    from sociale_kaart.directory import editing

    return {**editing.snapshot_service(service), **changes}


def service_form(service, **changes):
    """Return the POST data of the service form for a service, with changes."""
    from sociale_kaart.directory import editing
    from sociale_kaart.workspace.forms import ServiceForm

    data = ServiceForm.initial({**editing.snapshot_service(service), **changes})
    return {key: ("" if value is None else value) for key, value in data.items()}
