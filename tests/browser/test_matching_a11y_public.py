"""axe-core (WCAG 2.1 A and AA) on the public and volunteer matching pages in Dutch and English, the
request form and the volunteer profile with errors, and the forms without JavaScript (issue #4)."""

import threading
from datetime import timedelta

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect
from werkzeug.serving import make_server

from sociale_kaart import clock
from sociale_kaart.extensions import db
from tests.browser.conftest import session_cookie
from tests.builders import make_user
from tests.conftest import _seed, make_app
from tests.matching.factories import make_broker, make_match, make_request, make_volunteer, next_weekday

# "dated": these pages show help requests with dates, so the moved-clock run takes them too (#10)
pytestmark = [pytest.mark.browser, pytest.mark.dated]

WCAG = {"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]}}


@pytest.fixture(scope="module")
def public_site(tmp_path_factory):
    """The demo data plus a volunteer with an offer, an accepted task and open tasks near her, served on 127.0.0.1."""
    from sociale_kaart.matching import requests as help_requests

    app = make_app(tmp_path_factory.mktemp("public_browser"), name="public_browser")
    with app.app_context():
        db.create_all()
        _seed(app)
        broker = make_broker(areas=("doorn",), name="Bram Makelaar (fictief)")
        volunteer = make_volunteer(
            first_name="Vera (fictief)",
            vog_checked_on=clock.today(),
            vog_valid_until=clock.today() + timedelta(days=1000),
        )
        # three tasks in three calendar weeks, whatever today's weekday (issue #10): the volunteer
        # takes 2 a week, so "Ik wil helpen" on the open task must not meet a full week
        first = next_weekday(1)
        open_task = make_request(task_type="boodschappen", contact_name="Anna (fictief)", first_date=first)
        offered = make_request(task_type="tuin", first_date=first + timedelta(days=8))
        accepted = make_request(task_type="digitaal", first_date=first + timedelta(days=16), status="matched")
        make_match(offered, volunteer, status="approved")
        make_match(accepted, volunteer, status="accepted")
        series = make_request(weeks=4, task_type="respijt", status="submitted", reviewed_at=None)
        help_requests.publish_request(series.id, broker)
        help_requests.get_request_for_broker(series.id, broker)
        cookie = session_cookie(app, volunteer.user)
        newcomer = make_user(roles=("resident",), name="Nina Nieuw (fictief)")
        newcomer_cookie = session_cookie(app, newcomer)
        urls = {
            "request-form": "/hulp-vragen",
            "request-sent": "/hulp-vragen/verstuurd",
            "my-request": f"/mijn-hulpvraag/{series.access_token}",
            "profile": "/vrijwilliger/profiel",
            "tasks": "/vrijwilliger/klussen",
            "task": f"/vrijwilliger/klussen/{open_task.id}",
            "accepted-task": f"/vrijwilliger/klussen/{accepted.id}",
            "my-tasks": "/vrijwilliger/mijn-taken",
            "my-data": "/mijn-gegevens",
            "volunteer-start": "/vrijwilliger",  # the one way in (issue #14)
        }
        db.session.remove()
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield {
        "base": f"http://127.0.0.1:{server.server_port}",
        "cookie": cookie,
        "newcomer": newcomer_cookie,
        "urls": urls,
        "app": app,
    }
    server.shutdown()
    thread.join(timeout=5)
    with app.app_context():
        db.engine.dispose()


def _open(page, site, language="nl", cookie=None):
    if cookie:
        page.context.add_cookies([{"name": "session", "value": cookie, "url": site["base"]}])
    page.goto(f"{site['base']}/taal/{language}?next=/")


def _axe(page):
    results = Axe().run(page, options=WCAG)
    assert results.violations_count == 0, results.generate_report()


@pytest.mark.parametrize("language", ["nl", "en"])
@pytest.mark.parametrize("name", ["request-form", "request-sent", "my-request", "volunteer-start"])
def test_public_page_has_no_wcag_violations(page, public_site, name, language):
    _open(page, public_site, language)
    response = page.goto(public_site["base"] + public_site["urls"][name])
    assert response.status == 200
    _axe(page)


@pytest.mark.parametrize("language", ["nl", "en"])
@pytest.mark.parametrize("name", ["profile", "tasks", "task", "accepted-task", "my-tasks", "my-data"])
def test_volunteer_page_has_no_wcag_violations(page, public_site, name, language):
    _open(page, public_site, language, public_site["cookie"])
    response = page.goto(public_site["base"] + public_site["urls"][name])
    assert response.status == 200
    _axe(page)


def _next(page):
    """Press the step's main button and wait for the next page."""
    with page.expect_navigation():
        page.click("form.matching-form button[type=submit].button--primary")


def _submit_request_with_errors(page, site):
    """Send the first step of the help request form empty: no kind of help, no summary."""
    page.goto(site["base"] + site["urls"]["request-form"])
    page.fill("#description", "Greet (fictief) woont alleen.")
    _next(page)


@pytest.mark.parametrize("language", ["nl", "en"])
def test_request_form_with_errors_has_no_wcag_violations(page, public_site, language):
    _open(page, public_site, language)
    _submit_request_with_errors(page, public_site)
    expect(page.locator(".error-summary")).to_be_visible()
    _axe(page)


@pytest.mark.parametrize("language", ["nl", "en"])
def test_every_step_of_the_request_form_fits_a_phone_without_wcag_violations(phone_page, public_site, language):
    page = phone_page
    _open(page, public_site, language)
    page.goto(public_site["base"] + public_site["urls"]["request-form"])
    seen = []
    for fill in (
        lambda: (
            page.check("input[name=task_type][value=boodschappen]"),
            page.check("input[name=relation][value=other]"),
            page.fill("#summary", "Samen boodschappen doen."),
        ),
        lambda: (page.check("input[name=urgency][value=low]"), page.check("input[name=schedule_kind][value=period]")),
        lambda: page.select_option("#duration_minutes", "60"),
        lambda: (
            page.fill("#street", "Kerkplein (fictief)"),
            page.fill("#house_number", "3"),
            page.fill("#postcode", "3941 AB"),
        ),
        lambda: (
            page.fill("#contact_name", "Greet (fictief)"),
            page.fill("#recipient_name", "Kees (fictief)"),
            page.fill("#contact_phone", "0343 123 456"),
        ),
    ):
        seen.append(page.url)
        assert page.evaluate("document.documentElement.scrollWidth") <= 360, page.url
        _axe(page)
        fill()
        _next(page)
    assert page.url.endswith("/hulp-vragen/stap/controleren"), page.url
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    _axe(page)
    assert len(set(seen)) == 5


def test_request_form_in_steps_without_javascript(phone_page_without_js, public_site):
    """Issue #14: each step its own page, errors first with focus, nothing typed lost, a period instead of a date."""
    page = phone_page_without_js
    _open(page, public_site)
    _submit_request_with_errors(page, public_site)
    summary = page.locator(".error-summary")
    expect(summary).to_be_visible()
    expect(summary).to_be_focused()
    assert page.title().startswith("Fout: ")
    box = summary.bounding_box()
    assert box is not None and box["y"] + box["height"] <= 740  # on the first screen of the phone
    assert page.input_value("#description") == "Greet (fictief) woont alleen."
    page.check("input[name=task_type][value=boodschappen]")
    page.check("input[name=relation][value=self]")
    page.fill("#summary", "Samen boodschappen doen.")
    _next(page)
    assert page.url.endswith("/hulp-vragen/stap/wanneer")
    page.check("input[name=urgency][value=low]")
    page.check("input[name=schedule_kind][value=period]")
    _next(page)
    assert page.locator("#first_date").count() == 0  # a period: no date, no times
    page.check("input[name=period_weeks][value='2']")
    page.check("input[name=day_part][value=morning]")
    page.select_option("#duration_minutes", "240")  # longer than the morning
    _next(page)
    expect(page.locator(".error-summary")).to_be_focused()
    page.select_option("#duration_minutes", "60")
    _next(page)
    page.fill("#street", "Kerkplein (fictief)")
    page.fill("#house_number", "3")
    page.fill("#postcode", "3941 AB")
    _next(page)
    assert page.locator("#recipient_name").count() == 0  # for myself: no second name asked
    page.fill("#contact_name", "Greet (fictief)")
    page.fill("#contact_phone", "0343 123 456")
    with page.expect_navigation():
        page.click("button[name=actie][value=vorige]")  # back: what was typed on this step stays
    with page.expect_navigation():
        page.click("form.matching-form button[type=submit].button--primary")
    assert page.input_value("#contact_name") == "Greet (fictief)"
    _next(page)
    text = page.locator("main").inner_text()
    assert "Klopt alles?" in text and "Kerkplein (fictief)" in text and "in de komende twee weken" in text
    with page.expect_navigation():
        page.click("form.matching-form button[type=submit].button--primary")
    assert page.url.endswith("/hulp-vragen/verstuurd")
    assert page.locator("h1").inner_text() == "Uw hulpvraag is verstuurd"


@pytest.mark.parametrize("language", ["nl", "en"])
def test_new_volunteer_profile_with_errors_has_no_wcag_violations(page, public_site, language):
    _open(page, public_site, language, public_site["newcomer"])
    page.goto(public_site["base"] + public_site["urls"]["profile"])
    page.fill("#max_km", "500")
    page.click("form.matching-form button[type=submit].button--primary")
    expect(page.locator(".error-summary")).to_be_visible()
    _axe(page)


def next_weekday_iso(site, weekday):
    """Return a date on a weekday, at least 3 days after the app clock's today, as the date field takes it."""
    with site["app"].app_context():
        return next_weekday(weekday).isoformat()


@pytest.mark.parametrize("name", ["my-request", "tasks", "task", "my-tasks", "profile", "my-data"])
def test_pages_load_without_javascript(phone_page_without_js, public_site, name):
    page = phone_page_without_js
    _open(page, public_site, cookie=None if name == "my-request" else public_site["cookie"])
    response = page.goto(public_site["base"] + public_site["urls"][name])
    assert response.status == 200
    assert page.locator("h1").count() == 1


def test_volunteer_profile_saves_without_javascript(phone_page_without_js, public_site):
    page = phone_page_without_js
    _open(page, public_site, cookie=public_site["cookie"])
    page.goto(public_site["base"] + public_site["urls"]["profile"])
    page.check("#avail-sun-evening")
    page.fill("#max_km", "12,5")
    page.click("form.matching-form button[type=submit].button--primary")
    assert page.url.endswith("/vrijwilliger/profiel")
    assert page.is_checked("#avail-sun-evening")
    assert page.input_value("#max_km") == "12,5"
    assert page.locator(".notice").first.inner_text().strip() == "Uw vrijwilligersprofiel is opgeslagen."


def test_ik_wil_helpen_works_without_javascript(phone_page_without_js, public_site):
    page = phone_page_without_js
    _open(page, public_site, cookie=public_site["cookie"])
    page.goto(public_site["base"] + public_site["urls"]["task"])
    page.click("form.matching-form button[type=submit]")
    assert "De sociaal makelaar weet nu dat u wilt helpen" in page.content()


@pytest.mark.parametrize(
    "name", ["request-form", "my-request", "profile", "tasks", "task", "accepted-task", "my-tasks", "my-data"]
)
def test_page_fits_a_phone_without_scrolling_sideways(phone_page_without_js, public_site, name):
    page = phone_page_without_js
    _open(page, public_site, cookie=public_site["cookie"])
    page.goto(public_site["base"] + public_site["urls"][name])
    wide = page.evaluate("""Array.from(document.querySelectorAll('body *'))
        .filter(e => e.getBoundingClientRect().right > 360.5)
        .map(e => e.tagName + '.' + e.className).slice(0, 5)""")
    assert page.evaluate("document.documentElement.scrollWidth") <= 360, wide
