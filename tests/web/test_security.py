"""Security baseline (issue #3): CSRF on every POST, cookie flags, headers, safe redirects."""
import re

import pytest

from sociale_kaart import config
from tests.builders import make_service, make_user
from tests.conftest import make_app

# Placeholder values for URL variables: the CSRF check runs before the view, so they only
# have to build a URL.


def _post_rules(app):
    for rule in app.url_map.iter_rules():
        if "POST" in rule.methods and not rule.endpoint.startswith("static"):
            yield rule


def _url(app, rule):
    from werkzeug.routing.converters import AnyConverter, NumberConverter

    values = {}
    for name, converter in rule._converters.items():
        if isinstance(converter, NumberConverter):
            values[name] = 1
        elif isinstance(converter, AnyConverter):
            values[name] = converter.items[0]
        else:
            values[name] = "service" if name == "kind" else "x"
    with app.test_request_context():
        from flask import url_for
        return url_for(rule.endpoint, **values)


def test_every_post_without_a_csrf_token_is_refused(app):
    make_service()
    admin = make_user(roles=("admin", "broker", "editor"))
    rules = list(_post_rules(app))
    assert len(rules) >= 10, "the accounts, workspace, admin and report forms all post"
    for logged_in in (False, True):
        client = app.test_client()
        if logged_in:
            with client.session_transaction() as session:
                session["_user_id"] = admin.session_token
        refused = []
        for rule in rules:
            url = _url(app, rule)
            response = client.post(url, data={"anything": "1"})
            body = response.get_data(as_text=True)
            if response.status_code == 400 and "Het formulier is verlopen" in body:
                refused.append(url)
            else:
                pytest.fail(f"POST {url} without a CSRF token gave {response.status_code}")
        assert len(refused) == len(rules)


def test_a_wrong_csrf_token_is_refused_too(app):
    service = make_service()
    client = app.test_client()
    client.get(f"/aanbod/{service.id}")
    response = client.post(f"/aanbod/{service.id}/melding",
                           data={"csrf_token": "IjAwMDAi.aaaa.bbbb", "onderwerp": "other", "bericht": "x"})
    assert response.status_code == 400


def test_cookies_are_httponly_samesite_and_secure_in_production(tmp_path, monkeypatch):
    monkeypatch.setenv("SOCIALE_KAART_SECRET_KEY", "k" * 64)
    settings = config.load(tmp_path, {"ENV": "production"})
    assert settings["SESSION_COOKIE_SECURE"] and settings["REMEMBER_COOKIE_SECURE"]
    assert settings["SESSION_COOKIE_HTTPONLY"] and settings["REMEMBER_COOKIE_HTTPONLY"]
    assert settings["SESSION_COOKIE_SAMESITE"] == "Lax" == settings["REMEMBER_COOKIE_SAMESITE"]
    assert settings["PREFERRED_URL_SCHEME"] == "https"


def test_production_refuses_to_start_without_a_secret_key(tmp_path, monkeypatch):
    monkeypatch.delenv("SOCIALE_KAART_SECRET_KEY", raising=False)
    with pytest.raises(RuntimeError, match="SOCIALE_KAART_SECRET_KEY"):
        config.load(tmp_path, {"ENV": "production", "SECRET_KEY": None})


def test_session_cookie_flags_on_a_response(tmp_path):
    app = make_app(tmp_path, name="cookie_flags", SESSION_COOKIE_SECURE=True)
    with app.app_context():
        from sociale_kaart.extensions import db
        db.create_all()
        service = make_service()
        response = app.test_client().get(f"/aanbod/{service.id}")   # the report form puts a token in the session
        cookie = response.headers.get("Set-Cookie", "")
        assert "session=" in cookie
        assert "HttpOnly" in cookie and "Secure" in cookie and "SameSite=Lax" in cookie
        db.session.remove()
        db.engine.dispose()


def test_content_security_policy_allows_no_inline_script(client):
    policy = client.get("/").headers["Content-Security-Policy"]
    script = re.search(r"script-src ([^;]+)", policy).group(1)
    assert "'unsafe-inline'" not in script and "'unsafe-eval'" not in script
    assert "frame-ancestors 'none'" in policy and "form-action 'self'" in policy
