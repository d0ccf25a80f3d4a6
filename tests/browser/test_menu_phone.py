"""The header menu on a phone (#14): folded behind one "Menu" link that works without JavaScript."""

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

WCAG = {"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]}}


@pytest.fixture(params=[True, False], ids=["js", "no-js"])
def phone(browser, request):
    context = browser.new_context(
        viewport={"width": 360, "height": 740}, java_script_enabled=request.param, locale="nl-NL"
    )
    page = context.new_page()
    page.javascript = request.param  # axe-core needs JavaScript: without it, axe.run() never settles
    yield page
    context.close()


def test_on_a_phone_the_menu_folds_behind_one_link_and_opens(phone, live_server, tmp_path):
    phone.goto(live_server + "/")
    header = phone.locator(".site-header").bounding_box()
    assert header["height"] < 120  # the page starts in the first screen
    expect(phone.get_by_role("navigation", name="Hoofdmenu")).to_be_hidden()
    phone.get_by_role("link", name="Menu", exact=True).click()
    expect(phone.get_by_role("link", name="Inloggen")).to_be_visible()
    expect(phone.get_by_role("link", name="Menu", exact=True)).to_be_hidden()
    phone.screenshot(path=str(tmp_path / "menu-open.png"))
    assert phone.evaluate("document.documentElement.scrollWidth") <= 360
    if phone.javascript:
        results = Axe().run(phone, options=WCAG)
        assert results.violations_count == 0, results.generate_report()
    phone.get_by_role("link", name="Menu sluiten").click()
    expect(phone.get_by_role("navigation", name="Hoofdmenu")).to_be_hidden()
    phone.get_by_role("link", name="Menu", exact=True).click()
    phone.get_by_role("link", name="Inloggen").click()
    expect(phone.get_by_role("heading", level=1)).to_contain_text("Inloggen")


def test_on_a_wide_screen_the_menu_is_always_shown(page, live_server):
    page.goto(live_server + "/")
    expect(page.get_by_role("navigation", name="Hoofdmenu")).to_be_visible()
    expect(page.get_by_role("link", name="Menu", exact=True)).to_be_hidden()
    expect(page.get_by_role("link", name="Menu sluiten")).to_be_hidden()
