"""The tables of who may use each URL (issue #3): every role against every URL of a blueprint, on one app.

Allowed: the page renders, or the action redirects somewhere other than the login page. Refused:
anonymous people are sent to the login page, everybody else gets 403.
"""

import re

import pytest
from flask import g, has_app_context, url_for

from tests.builders import login_token
from tests.workspace.helpers import csrf_token


def each_role_and_url(roles, cases):
    """Parametrize a test with every role against every row (name, method, path, allowed) of a table."""

    def parametrize(test):
        test = pytest.mark.parametrize("name, method, path, allowed", cases, ids=[case[0] for case in cases])(test)
        return pytest.mark.parametrize("role", roles)(test)

    return parametrize


def role_logins(app, users):
    """Return each role's login session token (None for anonymous) and the login page's URL."""
    tokens = {role: (login_token(app, user) if user else None) for role, user in users.items()}
    with app.test_request_context():
        return tokens, url_for("accounts.login")


def client_as(app, token):
    """Return a test client logged in with a role's session token (anonymous when None)."""
    client = app.test_client()
    if token:
        with client.session_transaction() as session:
            session["_user_id"], session["_fresh"] = token, True
    return client


def use_url(app, token, method, url, data=None, form_token=None):
    """GET the URL, or POST data to it with a CSRF token, as the role with this session token; return the response.

    form_token(client) returns the CSRF token; by default one is put in the client's session.
    """
    if has_app_context():
        # A request made inside the test's app context shares its `g`, where Flask-Login keeps the user
        # it loaded: forget the last request's user, or the next role would be taken for them.
        g.pop("_login_user", None)
    client = client_as(app, token)
    if method == "GET":
        return client.get(url)
    csrf = form_token(client) if form_token else csrf_token(client, app)
    return client.post(url, data={**(data or {}), "csrf_token": csrf})


def assert_allowed_or_refused(response, role, allowed, login_url, done=(200, 302)):
    """Check the answer to `role`: a status in `done` when the role is allowed, else the login page or 403."""
    location = response.headers.get("Location", "")
    if role in allowed:
        assert response.status_code in done, response.status_code
        assert not location.startswith(login_url)
    elif role == "anonymous":
        assert response.status_code == 302 and location.startswith(login_url)
    else:
        assert response.status_code == 403


def uncovered_routes(app, blueprints, cases):
    """Return the routes of these blueprints that no path of the table's (name, method, path, allowed) reaches."""
    routes = {rule.rule for rule in app.url_map.iter_rules() if rule.endpoint.split(".")[0] in blueprints}
    covered = set()
    for _name, _method, path, _allowed in cases:
        bare = path.split("?")[0]
        covered |= {rule for rule in routes if re.fullmatch(re.sub(r"<[^>]+>", "[^/]+", rule), bare)}
    return routes - covered
