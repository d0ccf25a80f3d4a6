"""Security baseline (issue #3): CSRF on every POST, cookie flags, headers, safe redirects."""

import re

import pytest

from sociale_kaart import config
from tests.builders import login_token, make_service, make_user
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
                session["_user_id"] = login_token(app, admin)
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
    response = client.post(
        f"/aanbod/{service.id}/melding", data={"csrf_token": "IjAwMDAi.aaaa.bbbb", "onderwerp": "other", "bericht": "x"}
    )
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
        response = app.test_client().get(f"/aanbod/{service.id}")  # the report form puts a token in the session
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


# --- production hardening (issue #12) -------------------------------------------------------------


def _production_app(tmp_path, **overrides):
    return make_app(tmp_path, name="production", ENV="production", SECRET_KEY="k" * 64, **overrides)


def test_production_pages_send_hsts_for_a_year_with_subdomains(tmp_path):
    app = _production_app(tmp_path)
    response = app.test_client().get("/over-deze-kaart")
    assert response.headers["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"
    with app.app_context():
        from sociale_kaart.extensions import db

        db.engine.dispose()


def test_development_sends_no_hsts(client):
    """HSTS on http://127.0.0.1 would make a browser refuse every other local site on plain http."""
    assert "Strict-Transport-Security" not in client.get("/over-deze-kaart").headers


@pytest.mark.parametrize("how", ["environment", "config"])
def test_production_refuses_to_start_with_the_debugger_on(tmp_path, monkeypatch, how):
    overrides = {}
    if how == "environment":
        monkeypatch.setenv("FLASK_DEBUG", "1")  # what `flask run --debug` sets too
    else:
        overrides["DEBUG"] = True
    with pytest.raises(RuntimeError, match="FLASK_DEBUG is on while SOCIALE_KAART_ENV=production"):
        _production_app(tmp_path, **overrides)


def test_development_may_use_the_debugger(tmp_path, monkeypatch):
    monkeypatch.setenv("FLASK_DEBUG", "1")
    app = make_app(tmp_path, name="debugging", ENV="development")
    assert app.debug
    with app.app_context():
        from sociale_kaart.extensions import db

        db.engine.dispose()


def test_the_werkzeug_server_names_no_versions(app):
    """`make run` serves with Werkzeug, which would send `Server: Werkzeug/3.1.9 Python/3.11.2`."""
    import threading
    import urllib.request

    from werkzeug.serving import make_server

    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{server.server_port}/over-deze-kaart") as response:
            assert response.headers.get_all("Server") == ["Werkzeug"]
    finally:
        server.shutdown()
        thread.join(timeout=5)
