"""axe-core (WCAG 2.1 A and AA) on the workspace pages in Dutch and English, and a form without JavaScript
(issue #3)."""

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect
from sqlalchemy import select

from sociale_kaart.directory.models import Area
from sociale_kaart.extensions import db
from tests.browser.conftest import WCAG, demo_site, pending_service_change, session_cookie
from tests.builders import make_user

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def workspace_site(tmp_path_factory):
    """The demo data plus an editor with a pending change and a broker, served on 127.0.0.1."""
    with demo_site(tmp_path_factory.mktemp("workspace_browser"), "workspace_browser") as (app, base):
        with app.app_context():
            broker = make_user(roles=("broker",), areas=db.session.scalars(select(Area)).all(), name="Bram Broker")
            service, editor, change = pending_service_change()
            cookies = {role: session_cookie(app, user) for role, user in (("editor", editor), ("broker", broker))}
            urls = {
                "editor-home": ("editor", "/werkplek/"),
                "organisation": ("editor", f"/werkplek/organisaties/{service.organization_id}"),
                "service-form": ("editor", f"/werkplek/aanbod/{service.id}/bewerken"),
                "new-location": ("editor", f"/werkplek/organisaties/{service.organization_id}/locaties/nieuw"),
                "broker-home": ("broker", "/werkplek/"),
                "queue": ("broker", "/werkplek/controle"),
                "change": ("broker", f"/werkplek/controle/{change.id}"),
                "edit-then-approve": ("broker", f"/werkplek/controle/{change.id}/aanpassen"),
                "history": ("broker", f"/werkplek/geschiedenis/service/{service.id}"),
                "dashboard": ("broker", "/werkplek/overzicht"),
            }
            db.session.remove()
        yield base, cookies, urls


def _log_in(page, base, cookie):
    page.context.add_cookies([{"name": "session", "value": cookie, "url": base}])


@pytest.mark.parametrize("language", ["nl", "en"])
@pytest.mark.parametrize(
    "name",
    [
        "editor-home",
        "organisation",
        "service-form",
        "new-location",
        "broker-home",
        "queue",
        "change",
        "edit-then-approve",
        "history",
        "dashboard",
    ],
)
def test_workspace_page_has_no_wcag_violations(page, workspace_site, name, language):
    base, cookies, urls = workspace_site
    role, path = urls[name]
    _log_in(page, base, cookies[role])
    page.goto(f"{base}/taal/{language}?next=/")
    response = page.goto(base + path)
    assert response.status == 200
    results = Axe().run(page, options=WCAG)
    assert results.violations_count == 0, results.generate_report()


def _submit_with_errors(page, base, urls):
    page.goto(base + urls["service-form"][1])
    page.fill("#summary", "Wandelen met een maatje")
    page.fill("#phone", "12345")
    page.fill("#d0_1_van", "17:00")
    page.fill("#d0_1_tot", "09:00")
    page.click("button[type=submit].button--primary")


def test_service_form_without_javascript_keeps_what_was_typed(phone_page_without_js, workspace_site):
    page = phone_page_without_js
    base, cookies, urls = workspace_site
    _log_in(page, base, cookies["editor"])
    _submit_with_errors(page, base, urls)
    expect(page.locator(".error-summary")).to_be_visible()
    assert page.input_value("#summary") == "Wandelen met een maatje"
    assert page.input_value("#phone") == "12345"
    assert page.input_value("#d0_1_van") == "17:00"
    assert page.get_attribute("#phone", "aria-invalid") == "true"


@pytest.mark.parametrize("language", ["nl", "en"])
def test_service_form_with_errors_has_no_wcag_violations(page, workspace_site, language):
    base, cookies, urls = workspace_site
    _log_in(page, base, cookies["editor"])
    page.goto(f"{base}/taal/{language}?next=/")
    _submit_with_errors(page, base, urls)
    expect(page.locator(".error-summary")).to_be_visible()
    results = Axe().run(page, options=WCAG)
    assert results.violations_count == 0, results.generate_report()
