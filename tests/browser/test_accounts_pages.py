"""Account and admin pages in a real browser: axe-core (WCAG 2.1 A/AA) in Dutch and English,
and the forms without JavaScript (issue #3)."""

import threading
import uuid

import pytest
from axe_playwright_python.sync_playwright import Axe
from werkzeug.serving import make_server

from sociale_kaart.extensions import db
from sociale_kaart.notify import services as notify
from tests.builders import TEST_PASSWORD, make_organization, make_user
from tests.conftest import make_app
from tests.matching.factories import load_areas

pytestmark = pytest.mark.browser

WCAG = {"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]}}


@pytest.fixture(scope="module")
def accounts_site(tmp_path_factory):
    """An app with an admin, a resident, an organisation and a failed e-mail, served on 127.0.0.1."""
    folder = tmp_path_factory.mktemp("accounts_site")
    app = make_app(folder, name="accounts_site_" + uuid.uuid4().hex[:6])
    with app.app_context():
        db.create_all()
        make_organization(name="Stichting Welzijn (test)")
        db.session.commit()
        make_user(roles=("admin",), email="beheer@example.org", name="Anna Beheer")
        resident = make_user(roles=("resident",), email="inwoner@example.org", name="Ivo Inwoner", confirmed=False)
        message = notify.queue_message(resident.email, "password_changed", name=resident.name, reset_url="http://x/")
        message.status, message.last_error = "failed", "ConnectionRefusedError: [Errno 111] Connection refused"
        db.session.commit()
        ids = {"resident": resident.id, "area": load_areas()["doorn"].id}
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}", ids
    server.shutdown()
    thread.join(timeout=5)
    with app.app_context():
        db.engine.dispose()


def log_in(page, base, email):
    page.goto(base + "/inloggen")
    page.fill("#email", email)
    page.fill("#password", TEST_PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_load_state()


def assert_no_violations(page):
    results = Axe().run(page, options=WCAG)
    assert results.violations_count == 0, results.generate_report()


ANONYMOUS = {
    "login": "/inloggen",
    "register": "/registreren",
    "forgot": "/wachtwoord-vergeten",
    "resend": "/bevestiging-opnieuw",
    "registered": "/registreren/verstuurd",
    "bad-link": "/bevestigen/onzin",
}
ADMIN = {
    "profile": "/account",
    "password": "/account/wachtwoord",
    "email": "/account/e-mail",
    "users": "/beheer/gebruikers",
    "invite": "/beheer/gebruikers/uitnodigen",
    "user": "/beheer/gebruikers/{resident}",
    "outbox": "/beheer/e-mail",
    "areas": "/beheer/gebieden",
    "area": "/beheer/gebieden/{area}",
    "municipalities": "/beheer/gemeenten",
    "municipality-add": "/beheer/gemeenten/toevoegen",
    "municipality": "/beheer/gemeenten/1581",
}


@pytest.mark.parametrize("language", ["nl", "en"])
@pytest.mark.parametrize("name", sorted(ANONYMOUS))
def test_public_account_pages_have_no_wcag_violations(page, accounts_site, name, language):
    base, _ = accounts_site
    page.goto(f"{base}/taal/{language}?next=/")
    page.goto(base + ANONYMOUS[name])
    assert_no_violations(page)


@pytest.mark.parametrize("language", ["nl", "en"])
@pytest.mark.parametrize("name", sorted(ADMIN))
def test_account_and_admin_pages_have_no_wcag_violations(page, accounts_site, name, language):
    base, ids = accounts_site
    log_in(page, base, "beheer@example.org")
    page.goto(f"{base}/taal/{language}?next=/")
    page.goto(base + ADMIN[name].format(**ids))
    assert page.locator("h1").count() == 1
    assert_no_violations(page)


@pytest.mark.parametrize("language", ["nl", "en"])
def test_form_errors_have_no_wcag_violations(page, accounts_site, language):
    base, _ = accounts_site
    page.goto(f"{base}/taal/{language}?next=/")
    page.goto(base + "/registreren")
    page.fill("#email", "geen-adres")
    page.click("main button[type=submit]")
    assert page.locator(".error-summary").count() == 1
    assert_no_violations(page)
    page.goto(base + "/beheer/gebruikers")  # anonymous: sent to the login page
    assert "/inloggen" in page.url
    assert_no_violations(page)


@pytest.mark.parametrize("language", ["nl", "en"])
def test_a_wrong_municipality_code_has_no_wcag_violations(page, accounts_site, language):
    base, _ = accounts_site
    log_in(page, base, "beheer@example.org")
    page.goto(f"{base}/taal/{language}?next=/")
    page.goto(base + "/beheer/gemeenten/toevoegen")
    page.fill("#code", "9999")
    page.click("main button[type=submit]")
    assert page.locator(".error-summary").count() == 1
    assert_no_violations(page)


def test_admin_adds_and_sets_a_municipality_without_javascript(phone_page_without_js, accounts_site):
    """Issue #20: add Wijk bij Duurstede by its code, see its kernen on its settings page, choose a colour by its
    swatch and save
    (the demo areas already bring Rhenen)."""
    base, _ = accounts_site
    page = phone_page_without_js
    log_in(page, base, "beheer@example.org")
    page.goto(f"{base}/taal/nl?next=/")  # the account keeps the language the tests above chose last for it
    page.goto(base + "/beheer/gemeenten/toevoegen")
    page.fill("#code", "12")
    page.click("main button[type=submit]")
    assert page.locator(".error-summary").count() == 1 and page.get_attribute("#code", "aria-invalid") == "true"
    page.fill("#code", "0352")
    page.click("main button[type=submit]")
    assert page.url.endswith("/beheer/gemeenten/0352")  # after the POST, its settings page (no second POST on reload)
    added = page.inner_text("main")
    assert "Langbroek (3947)" in added and "Wijk bij Duurstede (3961, 3962)" in added
    page.check("text=Paars")
    page.check("#cross_border_matching")
    page.click("main button[type=submit]")
    assert page.url.endswith("/beheer/gemeenten")
    assert "De instellingen van Wijk bij Duurstede zijn opgeslagen." in page.inner_text("main")


def test_registration_without_javascript_keeps_what_was_typed(phone_page_without_js, accounts_site):
    base, _ = accounts_site
    page = phone_page_without_js
    page.goto(base + "/registreren")
    page.fill("#email", "nieuw@example.org")
    page.fill("#name", "Nina Nieuw")
    page.fill("#password", "qwertyuiop")
    page.fill("#password_again", "qwertyuiop")
    page.check("#role-1")
    page.click("main button[type=submit]")
    assert page.locator(".error-summary").count() == 1
    assert page.input_value("#email") == "nieuw@example.org"
    assert page.input_value("#name") == "Nina Nieuw"
    assert page.input_value("#password") == ""
    assert page.is_checked("#role-1")
    page.fill("#password", "Lindelaan-Kastanje-1987")
    page.fill("#password_again", "Lindelaan-Kastanje-1987")
    page.click("main button[type=submit]")
    assert page.url.endswith("/registreren/verstuurd")


def test_login_and_logout_without_javascript(phone_page_without_js, accounts_site):
    base, _ = accounts_site
    page = phone_page_without_js
    page.goto(base + "/inloggen")
    page.fill("#email", "inwoner@example.org")
    page.fill("#password", "wrong-password-here")
    page.click("main button[type=submit]")
    assert "E-mailadres of wachtwoord klopt niet." in page.inner_text(".error-summary")
    assert page.input_value("#email") == "inwoner@example.org"
    page.fill("#password", TEST_PASSWORD)
    page.click("main button[type=submit]")
    assert "nog niet bevestigd" in page.inner_text("main")  # unconfirmed: logged in, with a notice
    page.click("a.menu-button")  # on a phone the menu folds behind "Menu" (#14)
    page.click("text=Uitloggen")
    assert page.locator("text=Inloggen").count() >= 1
    assert page.goto(base + "/account").url.endswith("/inloggen?next=/account") or "/inloggen" in page.url
