"""Account pages: status codes, redirects, sessions, CSRF, rate limits, no enumeration."""

import re
import uuid
from datetime import timedelta

import pytest

from sociale_kaart.accounts import services
from sociale_kaart.accounts.models import User
from sociale_kaart.extensions import db
from sociale_kaart.notify import services as notify
from tests.accounts.forms_helper import csrf_token, links, post_form
from tests.builders import TEST_PASSWORD, login, make_user
from tests.conftest import make_app

GOOD = "Heuvelrug-Zonnebloem-2026"


def register_data(**overrides):
    data = {
        "email": "redacteur@example.org",
        "name": "Els Redacteur",
        "password": GOOD,
        "password_again": GOOD,
        "role": "editor",
        "language": "nl",
    }
    data.update(overrides)
    return data


def test_editor_registers_and_confirms_by_the_link_from_a_real_smtp_server(smtp_app, smtp_server):
    client = smtp_app.test_client()
    response = post_form(client, "/registreren", register_data())
    assert response.status_code == 302 and response.location.endswith("/registreren/verstuurd")
    assert notify.send_due() == (1, 0)
    [message] = smtp_server.messages
    assert message["To"] == "redacteur@example.org"
    url = next(link for link in links(message.get_body(("plain",)).get_content()) if "/bevestigen/" in link)
    path = url.split("localhost", 1)[1]
    # log in before confirming: allowed, with a notice
    response = post_form(client, "/inloggen", {"email": "redacteur@example.org", "password": GOOD})
    assert response.status_code == 302
    assert "nog niet bevestigd" in client.get("/account").get_data(as_text=True)
    response = client.get(path)
    assert response.status_code == 302
    page = client.get("/account").get_data(as_text=True)
    assert "Uw e-mailadres is bevestigd." in page and "nog niet bevestigd" not in page


def test_registering_a_taken_address_looks_the_same(client):
    make_user(email="bestaat@example.org")
    new = post_form(client, "/registreren", register_data(email="nieuw@example.org"))
    taken = post_form(client, "/registreren", register_data(email="bestaat@example.org"))
    assert (new.status_code, new.location) == (taken.status_code, taken.location)


def test_failed_registration_keeps_what_was_typed_except_passwords(client):
    response = post_form(client, "/registreren", register_data(password="qwertyuiop", password_again="qwertyuiop"))
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert 'value="redacteur@example.org"' in html and 'value="Els Redacteur"' in html
    assert "qwertyuiop" not in html
    assert 'href="#password"' in html and "veel gebruikt" in html
    assert re.search(r'value="editor"[^>]*checked|checked[^>]*value="editor"', html)


def test_login_redirects_to_a_safe_next_and_sets_the_language(client):
    user = make_user(language="en")
    response = post_form(client, "/inloggen?next=/account", {"email": user.email, "password": TEST_PASSWORD})
    assert response.location == "/account"
    with client.session_transaction() as session:
        assert session["lang"] == "en"
        token = session["_user_id"]
    assert services.load_session(token).user is user and token != user.session_token


def test_login_ignores_an_external_next(client):
    user = make_user()
    response = post_form(client, "/inloggen?next=//evil.example/", {"email": user.email, "password": TEST_PASSWORD})
    assert response.status_code == 302 and "evil" not in response.location


def test_login_starts_a_fresh_session(client):
    user = make_user()
    with client.session_transaction() as session:
        session["planted"] = "by an attacker"
    post_form(client, "/inloggen", {"email": user.email, "password": TEST_PASSWORD})
    with client.session_transaction() as session:
        assert "planted" not in session


@pytest.mark.parametrize(
    "email, password, active",
    [
        ("gebruiker@example.org", "wrong-password-here", True),
        ("niemand@example.org", TEST_PASSWORD, True),
        ("gebruiker@example.org", TEST_PASSWORD, False),
    ],
)
def test_login_failures_share_one_message(client, email, password, active):
    make_user(email="gebruiker@example.org", active=active)
    response = post_form(client, "/inloggen", {"email": email, "password": password})
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "E-mailadres of wachtwoord klopt niet." in html
    assert f'value="{email}"' in html and password not in html


def test_remember_me_sets_a_cookie(client):
    user = make_user()
    response = post_form(client, "/inloggen", {"email": user.email, "password": TEST_PASSWORD, "remember": "y"})
    assert "remember_token=" in " ".join(response.headers.getlist("Set-Cookie"))


def test_logout_is_a_post(client):
    user = make_user()
    login(client, user)
    assert client.get("/uitloggen").status_code in (404, 405)
    response = post_form(client, "/uitloggen", {}, page="/account")
    assert response.status_code == 302
    assert client.get("/account").status_code == 302


def test_pages_need_login(client):
    for url in ("/account", "/account/wachtwoord", "/account/e-mail"):
        response = client.get(url)
        assert response.status_code == 302 and "/inloggen" in response.location


@pytest.fixture
def request_app(tmp_path):
    """An app without a pushed app context: each request gets its own, as in production."""
    app = make_app(tmp_path, name="requests_" + uuid.uuid4().hex[:6])
    with app.app_context():
        db.create_all()
    yield app
    with app.app_context():
        db.engine.dispose()


class _Known:
    """What a test keeps of a user made in another app context."""

    def __init__(self, user):
        self.id, self.session_token, self.email = user.id, user.session_token, user.email


def known_user(app, **overrides):
    with app.app_context():
        return _Known(make_user(**overrides))


def test_deactivated_user_is_logged_out(request_app):
    user = known_user(request_app)
    client = request_app.test_client()
    login(client, user)
    assert client.get("/account").status_code == 200
    with request_app.app_context():
        services.set_user_active(user.id, False, by=make_user(roles=("admin",)))
    assert client.get("/account").status_code == 302


def test_password_change_keeps_this_session_and_ends_others(request_app):
    user = known_user(request_app)
    this, other = request_app.test_client(), request_app.test_client()
    login(this, user)
    login(other, user)
    assert other.get("/account").status_code == 200
    response = post_form(
        this,
        "/account/wachtwoord",
        {"current_password": TEST_PASSWORD, "new_password": GOOD, "new_password_again": GOOD},
    )
    assert response.status_code == 302
    assert this.get("/account").status_code == 200
    assert other.get("/account").status_code == 302


def test_logout_everywhere_ends_every_session(request_app):
    user = known_user(request_app)
    this, other = request_app.test_client(), request_app.test_client()
    login(this, user)
    login(other, user)
    assert post_form(this, "/account/overal-uitloggen", {}, page="/account").status_code == 302
    assert this.get("/account").status_code == 302
    assert other.get("/account").status_code == 302


def test_profile_saves_name_and_language(client):
    user = make_user()
    login(client, user)
    response = post_form(client, "/account", {"name": "Nieuwe Naam", "language": "en"})
    assert response.status_code == 302
    assert (user.name, user.language) == ("Nieuwe Naam", "en")


# The language tests run each request in its own app context (request_app), as in production: Flask-Babel keeps
# a request's language on `g`, which the pushed app context of `client` would share between requests.


def _page_language(client, url="/account"):
    return re.search(r'<html lang="(\w+)"', client.get(url).get_data(as_text=True)).group(1)


def _log_in(client, user):
    response = post_form(client, "/inloggen", {"email": user.email, "password": TEST_PASSWORD})
    assert response.status_code == 302


def _account_language(app, user):
    with app.app_context():
        return db.session.get(User, user.id).language


def test_a_language_chosen_before_logging_in_becomes_the_accounts(request_app):
    user, client = known_user(request_app, language="nl"), request_app.test_client()
    client.get("/taal/en", query_string={"next": "/inloggen"})
    _log_in(client, user)
    assert _account_language(request_app, user) == "en"
    account_page = client.get("/account").get_data(as_text=True)
    assert '<html lang="en">' in account_page and '<option selected value="en">' in account_page


@pytest.mark.parametrize("language", ["nl", "en"])
def test_logging_in_without_choosing_keeps_the_accounts_language(request_app, language):
    user, client = known_user(request_app, language=language), request_app.test_client()
    _log_in(client, user)
    assert _account_language(request_app, user) == language and _page_language(client) == language


def test_the_language_kept_after_a_logout_is_not_a_choice_for_the_next_login(request_app):
    english, dutch = known_user(request_app, language="en"), known_user(request_app, language="nl")
    client = request_app.test_client()
    _log_in(client, english)
    assert post_form(client, "/uitloggen", {}, page="/account").status_code == 302
    assert _page_language(client, "/") == "en"  # the browser stays in the language it was in
    _log_in(client, dutch)
    assert _account_language(request_app, dutch) == "nl" and _page_language(client) == "nl"


def test_switching_language_when_logged_in_saves_it_for_the_pages_and_the_emails(request_app):
    from sociale_kaart.notify.models import OutboxMessage
    from tests.accounts.test_services import run_sender

    user, client = known_user(request_app, language="nl"), request_app.test_client()
    _log_in(client, user)
    response = client.get("/taal/en", query_string={"next": "/account"})
    assert response.status_code == 302 and response.location == "/account"
    assert _account_language(request_app, user) == "en" and _page_language(client) == "en"
    with request_app.app_context():
        services.request_password_reset(user.email)
        run_sender()
        message = db.session.query(OutboxMessage).one()
        assert message.language == "en" and "You asked for a new password" in message.body_text


def test_a_switch_started_by_another_site_changes_no_account(request_app):
    user, client = known_user(request_app, language="nl"), request_app.test_client()
    login(client, user)
    assert client.get("/taal/en", headers={"Sec-Fetch-Site": "cross-site"}).status_code == 302
    assert _account_language(request_app, user) == "nl" and _page_language(client) == "nl"


def test_the_account_language_decides_the_pages_of_a_logged_in_user(request_app):
    user, client = known_user(request_app, language="en"), request_app.test_client()
    login(client, user)
    with client.session_transaction() as session:
        session["lang"] = "nl"  # this browser's language from before: the account's is the one that counts
    assert _page_language(client) == "en"


def test_saving_the_profile_language_shows_the_next_page_in_it(request_app):
    user, client = known_user(request_app, language="nl"), request_app.test_client()
    login(client, user)
    response = post_form(client, "/account", {"name": "Jan", "language": "en"}, follow_redirects=True)
    page = response.get_data(as_text=True)
    assert '<html lang="en">' in page and "Uw gegevens zijn opgeslagen." not in page


def test_reset_link_page_works_once(client, app):
    user = make_user()
    response = post_form(client, "/wachtwoord-vergeten", {"email": user.email})
    assert response.status_code == 200 and "Kijk in uw e-mail" in response.get_data(as_text=True)
    from sociale_kaart.notify.models import OutboxMessage
    from tests.accounts.test_services import run_sender

    run_sender()  # the worker turns the request into the e-mail (issue #12)
    message = db.session.query(OutboxMessage).one()
    path = "/" + next(link for link in links(message.body_text) if "/wachtwoord-herstellen/" in link).split("/", 3)[3]
    assert client.get(path).status_code == 200
    response = post_form(client, path, {"password": GOOD, "password_again": GOOD})
    assert response.status_code == 302 and response.location.endswith("/inloggen")
    assert client.get(path).status_code == 400


def test_reset_request_looks_the_same_for_unknown_addresses(client):
    make_user(email="bestaat@example.org")
    known = post_form(client, "/wachtwoord-vergeten", {"email": "bestaat@example.org"}).get_data(as_text=True)
    unknown = post_form(client, "/wachtwoord-vergeten", {"email": "niemand@example.org"}).get_data(as_text=True)
    assert known.replace("bestaat", "X") == unknown.replace("niemand", "X")


def test_invalid_links_get_a_helpful_page(client):
    for url in ("/bevestigen/onzin", "/wachtwoord-herstellen/onzin", "/account/e-mail/onzin", "/welkom/onzin"):
        response = client.get(url)
        assert response.status_code == 400 and "Deze link werkt niet meer" in response.get_data(as_text=True)


FORMS = [
    "/inloggen",
    "/registreren",
    "/bevestiging-opnieuw",
    "/wachtwoord-vergeten",
    "/uitloggen",
    "/account",
    "/account/wachtwoord",
    "/account/e-mail",
    "/account/overal-uitloggen",
]


@pytest.mark.parametrize("url", FORMS)
def test_post_without_csrf_token_is_refused(client, url):
    user = make_user()
    login(client, user)
    response = client.post(url, data={"email": user.email, "password": TEST_PASSWORD, "name": "X"})
    assert response.status_code == 400
    assert user.name != "X"


def _limited_app(tmp_path, **config):
    app = make_app(tmp_path, name="limits_" + uuid.uuid4().hex[:6], RATELIMIT_ENABLED=True, **config)
    with app.app_context():
        db.create_all()
    return app


def test_the_eleventh_wrong_password_in_a_minute_is_rate_limited(tmp_path):
    app = _limited_app(tmp_path)
    with app.app_context():
        user = make_user()
        email = user.email
    client = app.test_client()
    token = csrf_token(client, "/inloggen")
    statuses = [
        client.post("/inloggen", data={"csrf_token": token, "email": email, "password": f"fout-{n}"}).status_code
        for n in range(11)
    ]
    assert statuses == [400] * 10 + [429]
    assert "Even wachten" in client.post(
        "/inloggen", data={"csrf_token": token, "email": email, "password": TEST_PASSWORD}
    ).get_data(as_text=True)
    # the same account from another address is limited too (per account) ...
    other_ip = client.post(
        "/inloggen",
        data={"csrf_token": token, "email": email, "password": TEST_PASSWORD},
        environ_base={"REMOTE_ADDR": "10.0.0.9"},
    )
    assert other_ip.status_code == 429
    with app.app_context():
        db.engine.dispose()


def test_successful_logins_do_not_count(tmp_path):
    app = _limited_app(tmp_path)
    with app.app_context():
        user = make_user()
        email = user.email
    client = app.test_client()
    statuses = [
        post_form(client, "/inloggen", {"email": email, "password": TEST_PASSWORD}).status_code for _ in range(12)
    ]
    assert statuses == [302] * 12
    with app.app_context():
        db.engine.dispose()


@pytest.mark.parametrize("url", ["/registreren", "/wachtwoord-vergeten", "/bevestiging-opnieuw"])
def test_public_forms_are_rate_limited_per_ip(tmp_path, url):
    app = _limited_app(tmp_path, FORM_RATE_LIMIT="3 per minute")
    client = app.test_client()
    token = csrf_token(client, url)
    statuses = [client.post(url, data={"csrf_token": token, "email": "x@example.org"}).status_code for _ in range(4)]
    assert statuses[-1] == 429 and 429 not in statuses[:3]
    with app.app_context():
        db.engine.dispose()


# --- login sessions (issue #12) ----------------------------------------------------------------


def _cookies(client):
    return {cookie.key: cookie.value for cookie in client._cookies.values()}


@pytest.fixture
def broker_site(request_app):
    """The request app with a broker of Doorn (who may open /werkplek/hulp/)."""
    from tests.matching.factories import make_broker

    with request_app.app_context():
        broker = make_broker(areas=("doorn",))
        return request_app, broker.email


def test_a_copied_session_or_remember_me_cookie_stops_working_at_logout(broker_site):
    """The repro of issue #12: cookies saved before "Uitloggen" opened /werkplek/hulp/ for 31 days."""
    app, email = broker_site
    client = app.test_client()
    response = post_form(client, "/inloggen", {"email": email, "password": TEST_PASSWORD, "remember": "y"})
    assert response.status_code == 302
    saved = _cookies(client)
    assert {"session", "remember_token"} <= set(saved)
    for name in ("session", "remember_token"):
        thief = app.test_client()
        thief.set_cookie(name, saved[name])
        assert thief.get("/werkplek/hulp/").status_code == 200, f"the {name} cookie logs in before logout"
    assert post_form(client, "/uitloggen", {}, page="/account").status_code == 302
    for name in ("session", "remember_token"):
        thief = app.test_client()
        thief.set_cookie(name, saved[name])
        response = thief.get("/werkplek/hulp/")
        assert response.status_code == 302 and "/inloggen" in response.location, name


def test_logging_out_on_one_device_keeps_the_other_logged_in(request_app):
    user = known_user(request_app)
    phone, laptop = request_app.test_client(), request_app.test_client()
    for client in (phone, laptop):
        assert post_form(client, "/inloggen", {"email": user.email, "password": TEST_PASSWORD}).status_code == 302
    post_form(phone, "/uitloggen", {}, page="/account")
    assert phone.get("/account").status_code == 302
    assert laptop.get("/account").status_code == 200


def test_logging_in_again_ends_the_earlier_login_of_that_browser(request_app):
    user = known_user(request_app)
    client = request_app.test_client()
    post_form(client, "/inloggen", {"email": user.email, "password": TEST_PASSWORD})
    earlier = _cookies(client)["session"]
    post_form(client, "/inloggen", {"email": user.email, "password": TEST_PASSWORD})
    copy = request_app.test_client()
    copy.set_cookie("session", earlier)
    assert copy.get("/account").status_code == 302


@pytest.mark.parametrize("url", ["/werkplek/hulp/", "/account"])  # a service's refusal; @login_required
def test_an_idle_broker_is_sent_to_the_login_page_with_one_notice(broker_site, app_clock, url):
    app, email = broker_site
    client = app.test_client()
    post_form(client, "/inloggen", {"email": email, "password": TEST_PASSWORD, "remember": "y"})
    assert client.get(url).status_code == 200
    app_clock.start(app_clock() + timedelta(minutes=121))
    response = client.get(url)
    assert response.status_code == 302 and "/inloggen" in response.location
    assert "remember_token=;" in " ".join(response.headers.getlist("Set-Cookie"))  # forgotten too
    page = client.get(response.location).get_data(as_text=True)
    assert page.count("U was een tijd niet actief. Log opnieuw in.") == 1
    assert "Log in om verder te gaan." not in page
    response = post_form(client, "/inloggen", {"email": email, "password": TEST_PASSWORD})
    assert response.status_code == 302 and client.get(url).status_code == 200


def test_a_broker_who_keeps_working_is_logged_out_after_twelve_hours(broker_site, app_clock):
    app, email = broker_site
    client = app.test_client()
    post_form(client, "/inloggen", {"email": email, "password": TEST_PASSWORD})
    start = app_clock()
    for hours in range(1, 12):
        app_clock.start(start + timedelta(hours=hours))
        assert client.get("/werkplek/hulp/").status_code == 200
    app_clock.start(start + timedelta(hours=12, minutes=5))
    response = client.get("/werkplek/hulp/", follow_redirects=True)
    assert "U bent automatisch uitgelogd. Log opnieuw in." in response.get_data(as_text=True)


def test_an_idle_editor_stays_logged_in(request_app, app_clock):
    user = known_user(request_app, roles=("editor",))
    client = request_app.test_client()
    post_form(client, "/inloggen", {"email": user.email, "password": TEST_PASSWORD})
    app_clock.start(app_clock() + timedelta(days=3))
    assert client.get("/account").status_code == 200


# --- rate limits behind a proxy (issue #12) -------------------------------------------------------


def _wrong_logins(app, count, forwarded_for=None):
    client = app.test_client()
    token = csrf_token(client, "/inloggen")
    statuses = []
    for n in range(count):
        headers = {"X-Forwarded-For": forwarded_for(n)} if forwarded_for else {}
        statuses.append(
            client.post(
                "/inloggen",
                headers=headers,
                data={"csrf_token": token, "email": f"iemand{n}@example.org", "password": "fout-wachtwoord"},
            ).status_code
        )
    return statuses


def test_without_trusted_proxies_a_forged_forwarded_for_does_not_dodge_the_limit(tmp_path):
    app = _limited_app(tmp_path)
    statuses = _wrong_logins(app, 11, forwarded_for=lambda n: f"203.0.113.{n}")
    assert statuses == [400] * 10 + [429]
    with app.app_context():
        db.engine.dispose()


def test_behind_a_trusted_proxy_each_client_has_its_own_limit(tmp_path):
    app = _limited_app(tmp_path, TRUSTED_PROXIES=1)
    # a client's own X-Forwarded-For comes before the proxy's entry, which is the one trusted
    assert _wrong_logins(app, 11, forwarded_for=lambda n: f"10.9.9.9, 203.0.113.{n}") == [400] * 11
    assert _wrong_logins(app, 11, forwarded_for=lambda n: "10.9.9.9, 198.51.100.7")[-1] == 429
    with app.app_context():
        db.engine.dispose()


def test_the_rate_limit_key_of_an_account_does_not_hold_the_address(tmp_path):
    from sociale_kaart.extensions import limiter

    app = _limited_app(tmp_path)
    _wrong_logins(app, 1)
    keys = " ".join(str(key) for key in limiter.storage.storage)
    assert "login-email:" in keys and "iemand0" not in keys
    with app.app_context():
        db.engine.dispose()
