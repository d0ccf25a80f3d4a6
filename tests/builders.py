"""Builders: make_* functions that create valid rows with overridable fields."""

import itertools
from datetime import time

from sociale_kaart import clock, transactions
from sociale_kaart.directory import services
from sociale_kaart.directory.models import Location, Organization, Schedule, Service, ServiceAtLocation
from sociale_kaart.extensions import db

_numbers = itertools.count(1)


def make_organization(**overrides):
    number = next(_numbers)
    values = {"slug": f"org-{number}", "name": f"Organisatie {number} (demo)", "description": "Test."}
    values.update(overrides)
    organization = Organization(**values)
    db.session.add(organization)
    return organization


def make_location(organization=None, **overrides):
    values = {
        "organization": organization or make_organization(),
        "name": "Dorpshuis",
        "address_1": "Dorpsstraat 1",
        "postal_code": "3941 AB",
        "city": "Doorn",
        "lat": 52.0388,
        "lon": 5.3363,
    }
    values.update(overrides)
    location = Location(**values)
    db.session.add(location)
    return location


def make_service(location=None, categories=("respijtzorg",), schedule=((2, "09:00", "17:00"),), **overrides):
    """Create a published service at a location and commit it (which indexes it)."""
    services.ensure_taxonomies()
    location = location or make_location()
    number = next(_numbers)
    values = {
        "organization": location.organization,
        "slug": f"dienst-{number}",
        "name": f"Dienst {number}",
        "summary": "Een korte zin.",
        "pyramid_level": "vrij_toegankelijk",
        "access_route": "aanmelden",
        "cost": ["gratis"],
        "modes": ["op_locatie"],
        "languages": ["nl"],
        "publication_status": "published",
        "assured_date": clock.today(),
    }
    values.update(overrides)
    terms = {term.code: term for term in services.taxonomy_terms("category")}
    service = Service(**values)
    db.session.add(service)
    service.categories = [terms[code] for code in categories]
    service.location_links = [ServiceAtLocation(location=location)]
    service.schedules = [
        Schedule(weekday=day, opens_at=time.fromisoformat(start), closes_at=time.fromisoformat(end))
        for day, start, end in schedule
    ]
    db.session.add(service)
    transactions.commit()
    return service


_user_numbers = itertools.count(1)
TEST_PASSWORD = "Heuvelrug-Zonnebloem-2026"


_hashes = {}


def _hashed(password, hash_password):
    """Hash each test password once: scrypt is slow on purpose."""
    if password not in _hashes:
        _hashes[password] = hash_password(password)
    return _hashes[password]


def make_user(roles=("editor",), organizations=(), areas=(), password=TEST_PASSWORD, confirmed=True, **overrides):
    """Create and commit a user with roles, active memberships of organisations and broker areas."""
    from sociale_kaart.accounts.models import Membership, User, UserRole
    from sociale_kaart.accounts.passwords import hash_password

    number = next(_user_numbers)
    values = {
        "email": f"gebruiker{number}@example.org",
        "name": f"Gebruiker {number}",
        "password_hash": _hashed(password, hash_password) if password else None,
        "email_confirmed_at": clock.naive_utcnow() if confirmed else None,
    }
    values.update(overrides)
    user = User(**values)
    user.role_rows = [UserRole(role=role) for role in roles]
    user.memberships = [Membership(organization=org, status="active") for org in organizations]
    user.areas = list(areas)
    db.session.add(user)
    db.session.commit()
    return user


def login_token(app, user):
    """Start a login session for a user on an app, as the login page does; return its token (issue #12)."""
    from flask import current_app, has_app_context

    from sociale_kaart.accounts import services as accounts

    if has_app_context() and current_app._get_current_object() is app:
        return accounts.start_session(user)
    with app.app_context():
        return accounts.start_session(user)


def login(client, user):
    """Log a user in on a test client (as Flask-Login would after a correct password)."""
    token = login_token(client.application, user)
    with client.session_transaction() as session:
        session["_user_id"] = token
        session["_fresh"] = True


def form_token(client, url):
    """Return the CSRF token of the form on a page (CSRF stays on in tests, as in production)."""
    import re

    page = client.get(url).get_data(as_text=True)
    match = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page)
    assert match, f"no form with a CSRF token on {url}"
    return match.group(1)
