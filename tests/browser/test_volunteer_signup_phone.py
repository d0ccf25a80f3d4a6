"""Issue #14: a new volunteer on a 360 px phone without JavaScript: the home tile, the way in, registration,
the profile, the next-steps page and the preview of tasks nearby, each without sideways scrolling."""

import os
import re
import threading

import pytest
from axe_playwright_python.sync_playwright import Axe
from werkzeug.serving import make_server

from sociale_kaart.extensions import db
from tests.browser.conftest import outbox_body, session_cookie
from tests.builders import TEST_PASSWORD
from tests.conftest import _seed, make_app
from tests.matching.factories import load_areas, make_request, make_volunteer

# "dated": the preview counts requests with dates, so the moved-clock run takes it too (#10)
pytestmark = [pytest.mark.browser, pytest.mark.dated]

PHONE = {"width": 360, "height": 740}
EMAIL = "nieuwe.vrijwilliger@example.org"
SHOTS = os.environ.get("SOCIALE_KAART_PHONE_SHOTS")
WCAG = {"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]}}


@pytest.fixture
def signup_site(tmp_path):
    """The demo data, an area contact for Doorn and four open requests there, served on a free port."""
    app = make_app(tmp_path, name="volunteer_signup")
    with app.app_context():
        db.create_all()
        _seed(app)
        doorn = load_areas()["doorn"]
        doorn.contact_phone, doorn.contact_email = "0343 111 222", "dorpsteam.doorn@example.org"
        db.session.commit()
        requests = [make_request(task_type="gezelschap") for _ in range(3)] + [make_request(task_type="vervoer")]
        private = [value for r in requests for value in (r.contact_name, r.street, r.summary, r.recipient_first_name)]
        db.session.remove()
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield app, f"http://127.0.0.1:{server.server_port}", private
    server.shutdown()
    thread.join(timeout=5)
    with app.app_context():
        db.engine.dispose()


def _fits(page, name):
    page.wait_for_load_state()  # after a click the new document may not be there yet
    if SHOTS:
        page.screenshot(path=f"{SHOTS}/volunteer-signup-{name}.png", full_page=True)
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"], name


def test_new_volunteer_signs_up_and_hears_what_happens_next(browser, signup_site):
    app, base, private = signup_site
    context = browser.new_context(viewport=PHONE, java_script_enabled=False, locale="nl-NL")
    page = context.new_page()
    try:
        page.goto(base + "/")
        page.get_by_role("link", name="Vrijwilliger worden", exact=True).click()
        assert page.url == base + "/vrijwilliger"
        _fits(page, "1-start")
        page.get_by_role("link", name="Aanmelden als vrijwilliger").click()
        assert page.is_checked("input[name=role][value=volunteer]")
        page.fill("#email", EMAIL)
        page.fill("#name", "Nora Nieuw (fictief)")
        page.fill("#password", TEST_PASSWORD)
        page.fill("#password_again", TEST_PASSWORD)
        page.click("main button[type=submit]")
        assert page.url.endswith("/registreren/verstuurd")
        mail = outbox_body(app, EMAIL, "confirm_email")
        confirm = re.search(r"http://127\.0\.0\.1:\d+/bevestigen/\S+", mail).group(0)
        page.goto(confirm)
        page.fill("#email", EMAIL)
        page.fill("#password", TEST_PASSWORD)
        page.click("main button[type=submit]")
        page.goto(base + "/vrijwilliger")  # the way in, logged in: the profile form
        assert page.url.endswith("/vrijwilliger/profiel")
        page.fill("#postcode", "3941 AB")
        page.fill("#max_km", "5")
        page.check("input[name=task_types][value=gezelschap]")
        page.check("input[name=avail-tue-afternoon]")
        page.click("main form.matching-form button[type=submit]")
        assert page.url.endswith("/vrijwilliger/aangemeld")
        text = page.inner_text("main")
        assert "binnen 5 werkdagen" in text and "VOG" in text
        assert "0343 111 222" in text and "dorpsteam.doorn@example.org" in text
        _fits(page, "2-next-steps")
        page.get_by_role("link", name="Klussen bij mij in de buurt").last.click()
        assert page.url.endswith("/vrijwilliger/klussen")
        text = page.inner_text("main")
        assert "Gezelschap: 3 klussen" in text and "Vervoer" not in text
        assert not any(value in text for value in private)
        _fits(page, "3-tasks-preview")
        page.goto(base + "/vrijwilliger/profiel")  # the status badge fits next to its explanation
        assert "Wacht op kennismaking" in page.inner_text("main")
        _fits(page, "4-profile")
    finally:
        context.close()
    assert "0343 111 222" in outbox_body(app, EMAIL, "matching_volunteer_welcome")


@pytest.mark.parametrize("path", ["/vrijwilliger", "/vrijwilliger/aangemeld", "/vrijwilliger/klussen"])
def test_pages_of_a_new_volunteer_have_no_wcag_violations(page, signup_site, path):
    app, base, _private = signup_site
    if path != "/vrijwilliger":  # the way in is for visitors; the others for a volunteer before the intake
        with app.app_context():
            cookie = session_cookie(app, make_volunteer(status="pending", approved_at=None).user)
            db.session.remove()
        page.context.add_cookies([{"name": "session", "value": cookie, "url": base}])
    response = page.goto(base + path)
    assert response.status == 200 and page.url == base + path
    results = Axe().run(page, options=WCAG)
    assert results.violations_count == 0, results.generate_report()
