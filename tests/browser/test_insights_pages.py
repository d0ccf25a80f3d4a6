"""The area analysis in a browser (issue #15): axe-core (WCAG 2.1 A and AA) in Dutch and English, a phone of
360×740 without sideways scrolling and without JavaScript, the print view; screenshots go to /tmp/shots/."""

import threading
from pathlib import Path

import pytest
from axe_playwright_python.sync_playwright import Axe
from werkzeug.serving import make_server

from sociale_kaart.extensions import db
from tests.browser.conftest import session_cookie
from tests.builders import make_user
from tests.conftest import _seed, make_app
from tests.insights.builders import busy_municipality
from tests.matching.factories import make_broker

# "dated": the page shows a year of help requests by month, so the moved-clock run takes it too (#10)
pytestmark = [pytest.mark.browser, pytest.mark.dated]

WCAG = {"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]}}
SHOTS = Path("/tmp/shots")


@pytest.fixture(scope="module")
def insights_site(tmp_path_factory):
    """The demo municipality with a year of requests, volunteers, searches and signals, served on 127.0.0.1."""
    app = make_app(tmp_path_factory.mktemp("insights_browser"), name="insights_browser")
    with app.app_context():
        db.create_all()
        _seed(app)
        busy_municipality()
        policy = make_user(roles=("policy",), name="Pim Beleid")
        broker = make_broker(areas=("doorn", "leersum"), name="Bram Makelaar")
        cookies = {"policy": session_cookie(app, policy), "broker": session_cookie(app, broker)}
        db.session.remove()
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}", cookies
    server.shutdown()
    thread.join(timeout=5)
    with app.app_context():
        db.engine.dispose()


def _open(page, site, who, path, language="nl"):
    base, cookies = site
    page.context.add_cookies([{"name": "session", "value": cookies[who], "url": base}])
    page.goto(f"{base}/taal/{language}?next=/")
    return page.goto(base + path)


def _shot(page, name):
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


@pytest.mark.parametrize("language", ["nl", "en"])
@pytest.mark.parametrize(
    "who, path",
    [
        ("policy", "/werkplek/analyse"),
        ("broker", "/werkplek/analyse"),
        ("broker", "/werkplek/analyse?gebied=leersum&per=kwartaal"),
        ("policy", "/werkplek/analyse/afdrukken?per=kwartaal"),
    ],
    ids=["policy", "broker", "broker-one-area-by-quarter", "print"],
)
def test_analysis_page_has_no_wcag_violations(page, insights_site, who, path, language):
    response = _open(page, insights_site, who, path, language)
    assert response.status == 200
    results = Axe().run(page, options=WCAG)
    assert results.violations_count == 0, results.generate_report()


def test_analysis_fits_a_phone_without_javascript(phone_page_without_js, insights_site):
    page = phone_page_without_js
    response = _open(page, insights_site, "policy", "/werkplek/analyse")
    assert response.status == 200
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    assert page.locator("svg.chart").count() == 4
    assert page.locator(".heat-table").is_visible()
    _shot(page, "analyse-360-policy")


def test_wide_tables_scroll_in_their_own_region_on_a_phone(phone_page_without_js, insights_site):
    page = phone_page_without_js
    _open(page, insights_site, "policy", "/werkplek/analyse")
    region = page.locator("#tekort .table-scroll")
    assert region.evaluate("element => element.scrollWidth > element.clientWidth")
    assert region.get_attribute("tabindex") == "0"
    assert page.evaluate("document.documentElement.scrollWidth") <= 360


def test_analysis_on_a_large_screen_and_for_a_broker(page, insights_site):
    _open(page, insights_site, "policy", "/werkplek/analyse")
    _shot(page, "analyse-1280-policy")
    _open(page, insights_site, "broker", "/werkplek/analyse?per=kwartaal")
    assert "Leersum" in page.locator("#tekort").inner_text()
    assert "Amerongen" not in page.locator("#tekort").inner_text()
    _shot(page, "analyse-1280-broker-kwartaal")


def test_print_view_prints_every_table_without_the_form(page, insights_site):
    _open(page, insights_site, "policy", "/werkplek/analyse/afdrukken")
    page.emulate_media(media="print")
    assert page.locator("form.insights-form").count() == 0
    assert page.locator(".insights-table").count() >= 9
    _shot(page, "analyse-print")
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.pdf(path=str(SHOTS / "analyse-print.pdf"), prefer_css_page_size=True)  # A4 landscape (print.css)
