"""axe-core (WCAG 2.1 A and AA) on the broker's matching pages in Dutch and English, and the phone intake
form with errors, also without JavaScript (issue #4)."""

import threading
from datetime import timedelta

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect
from werkzeug.serving import make_server

from sociale_kaart import clock
from sociale_kaart.extensions import db
from tests.browser.conftest import session_cookie
from tests.conftest import _seed, make_app
from tests.matching.factories import DRIEBERGEN, make_broker, make_match, make_request, make_volunteer

# "dated": these pages show help requests with dates, so the moved-clock run takes them too (#10)
pytestmark = [pytest.mark.browser, pytest.mark.dated]

WCAG = {"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]}}


@pytest.fixture(scope="module")
def broker_site(tmp_path_factory):
    """The demo data plus requests, volunteers and matches in Doorn, and their broker, served on 127.0.0.1."""
    app = make_app(tmp_path_factory.mktemp("broker_browser"), name="broker_browser")
    with app.app_context():
        db.create_all()
        _seed(app)
        broker = make_broker(areas=("doorn", "driebergen_rijsenburg"), name="Bram Makelaar")
        make_request(status="submitted", reviewed_at=None)
        item = make_request(weeks=8, task_type="respijt")
        valid = clock.today() + timedelta(days=1000)
        near = make_volunteer(first_name="Vera (fictief)", vog_checked_on=clock.today(), vog_valid_until=valid)
        far = make_volunteer(postcode=DRIEBERGEN, first_name="Wim (fictief)", vog_valid_until=valid)
        make_volunteer(status="pending", first_name="Nina (fictief)", approved_at=None)
        make_match(item, far, status="interested", source="interest", message="Ik help graag.")
        matched = make_request()
        make_match(matched, near, status="accepted")
        cookie = session_cookie(app, broker)
        urls = {
            "queue": "/werkplek/hulp/",
            "request": f"/werkplek/hulp/vraag/{item.id}",
            "matched-request": f"/werkplek/hulp/vraag/{matched.id}",
            "candidates": f"/werkplek/hulp/vraag/{item.id}/kandidaten",
            "edit-request": f"/werkplek/hulp/vraag/{item.id}/bewerken",
            "volunteers": "/werkplek/hulp/vrijwilligers",
            "volunteer": f"/werkplek/hulp/vrijwilligers/{near.id}",
            "workload": "/werkplek/hulp/werkdruk",
            "new-request": "/werkplek/hulp/nieuw",
        }
        db.session.remove()
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}", cookie, urls
    server.shutdown()
    thread.join(timeout=5)
    with app.app_context():
        db.engine.dispose()


def _log_in(page, base, cookie, language="nl"):
    page.context.add_cookies([{"name": "session", "value": cookie, "url": base}])
    page.goto(f"{base}/taal/{language}?next=/")


@pytest.mark.parametrize("language", ["nl", "en"])
@pytest.mark.parametrize(
    "name",
    [
        "queue",
        "request",
        "matched-request",
        "candidates",
        "edit-request",
        "volunteers",
        "volunteer",
        "workload",
        "new-request",
    ],
)
def test_broker_page_has_no_wcag_violations(page, broker_site, name, language):
    base, cookie, urls = broker_site
    _log_in(page, base, cookie, language)
    response = page.goto(base + urls[name])
    assert response.status == 200
    results = Axe().run(page, options=WCAG)
    assert results.violations_count == 0, results.generate_report()


def _submit_intake_with_errors(page, base, urls):
    page.goto(base + urls["new-request"])
    page.fill("#contact_name", "Greet (fictief)")
    page.fill("#postcode", "3941")
    page.fill("#window_start", "17:00")
    page.fill("#window_end", "13:00")
    page.click("form.workspace-form button[type=submit].button--primary")


@pytest.mark.parametrize("language", ["nl", "en"])
def test_phone_intake_with_errors_has_no_wcag_violations(page, broker_site, language):
    base, cookie, urls = broker_site
    _log_in(page, base, cookie, language)
    _submit_intake_with_errors(page, base, urls)
    expect(page.locator(".error-summary")).to_be_visible()
    results = Axe().run(page, options=WCAG)
    assert results.violations_count == 0, results.generate_report()


def test_phone_intake_without_javascript_keeps_what_was_typed(phone_page_without_js, broker_site):
    page = phone_page_without_js
    base, cookie, urls = broker_site
    _log_in(page, base, cookie)
    _submit_intake_with_errors(page, base, urls)
    expect(page.locator(".error-summary")).to_be_visible()
    assert page.input_value("#contact_name") == "Greet (fictief)"
    assert page.input_value("#window_start") == "17:00"
    assert page.get_attribute("#window_end", "aria-invalid") == "true"
