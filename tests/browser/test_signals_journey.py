"""Issue #15 acceptance, in a real browser without JavaScript on a 360×740 phone: a belbus driver tells
the dorpsteam of Doorn about a lonely passenger, the broker of Doorn follows it up to "hulp geregeld",
and the driver hears only that it was picked up. axe-core finds no WCAG 2.1 A/AA violation on the new
pages in Dutch and English. Screenshots of the journey go to /tmp/shots/ (SOCIALE_KAART_SHOTS moves them).
"""

import os
import threading
from pathlib import Path

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect
from sqlalchemy import select
from werkzeug.serving import make_server

from sociale_kaart.directory.models import Area
from sociale_kaart.extensions import db
from sociale_kaart.notify.models import OutboxMessage
from sociale_kaart.signals import services
from sociale_kaart.signals.models import Signal
from tests.browser.conftest import session_cookie
from tests.builders import TEST_PASSWORD, make_user
from tests.conftest import _seed, make_app

pytestmark = pytest.mark.browser

WCAG = {"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]}}
PHONE = {"width": 360, "height": 740}
SHOTS = Path(os.environ.get("SOCIALE_KAART_SHOTS", "/tmp/shots"))

DRIVER_EMAIL = "kees.belbus@example.org"
DRIVER_NAME = "Kees Belbus"
PASSENGER = "Mevrouw Zonnebloem"
NOTICED = "Ze zegt dat ze al weken niemand spreekt. Haar koelkast was leeg toen ik haar boodschappen bracht."
BROKER_EMAIL = "bram.signal@example.org"
NOTE = "Langs geweest; de buurtvrouw doet voortaan mee boodschappen."


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """The demo municipality, a broker for Doorn, an admin and a resident who reported once, served on 127.0.0.1."""
    app = make_app(tmp_path_factory.mktemp("signals_browser"), name="signals_browser")
    with app.app_context():
        db.create_all()
        _seed(app)
        doorn = db.session.scalar(select(Area).where(Area.code == "doorn"))
        broker = make_user(roles=("broker",), areas=[doorn], name="Bram Makelaar (fictief)", email=BROKER_EMAIL)
        admin = make_user(roles=("admin",), name="Ada Beheer (fictief)")
        resident = make_user(roles=("resident",), name="Rita Buur (fictief)")
        shown = services.submit_signal(
            {
                "themes": ["money", "confusion"],
                "description": "Post stapelt zich op.",
                "subject_name": "Meneer met de rode fiets",
                "area_id": doorn.id,
            },
            by=resident,
        )
        services.add_note(shown.id, "Eerst de wijkverpleegkundige vragen.", by=broker)
        cookies = {
            "broker": session_cookie(app, broker),
            "admin": session_cookie(app, admin),
            "resident": session_cookie(app, resident),
        }
        urls = {
            "form": "/zorgen-over-iemand",
            "sent": "/zorgen-over-iemand/verstuurd",
            "mine": "/zorgen-over-iemand/mijn-meldingen",
            "queue": "/werkplek/zorgen/",
            "detail": f"/werkplek/zorgen/{shown.id}",
        }
        db.session.remove()
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield {"app": app, "base": f"http://127.0.0.1:{server.server_port}", "cookies": cookies, "urls": urls}
    server.shutdown()
    thread.join(timeout=5)
    with app.app_context():
        db.engine.dispose()


def _phone(browser):
    return browser.new_context(viewport=PHONE, java_script_enabled=False, locale="nl-NL").new_page()


def _shot(page, name):
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"signals-{name}.png"), full_page=True)


def _fits(page):
    page.wait_for_load_state()  # a click starts the navigation; the new document may not be there yet
    wide = page.evaluate("""Array.from(document.querySelectorAll('body *'))
        .filter(e => e.getBoundingClientRect().right > 360.5).map(e => e.tagName + '.' + e.className).slice(0, 5)""")
    assert page.evaluate("document.documentElement.scrollWidth") <= 360, wide


def _submit(page, name):
    page.get_by_role("button", name=name).click()
    page.wait_for_load_state()


def test_signal_journey_on_a_phone_without_javascript(site, browser):
    base, app = site["base"], site["app"]
    driver, broker = _phone(browser), _phone(browser)

    # 1. The driver finds the form from the home page, without an account.
    driver.goto(base + "/")
    _shot(driver, "0-home")
    driver.get_by_role("link", name="Meld uw zorg bij het dorpsteam", exact=True).click()
    assert driver.url == base + "/zorgen-over-iemand"
    _fits(driver)
    _shot(driver, "1-form")

    # 2. Sending too little gives an error summary; what was typed stays.
    driver.get_by_label("Uw naam").fill(DRIVER_NAME)
    _submit(driver, "Melding versturen")
    expect(driver.locator(".error-summary")).to_be_visible()
    assert driver.input_value("#reporter_name") == DRIVER_NAME
    _shot(driver, "2-errors")

    # 3. He ticks what he noticed, tells it, says who and where, and leaves his e-mail address.
    driver.get_by_label("Is eenzaam of vaak alleen").check()
    driver.get_by_label("Vertel wat u zag of hoorde (niet verplicht)").fill(NOTICED)
    driver.get_by_label("Voornaam of omschrijving").fill(PASSENGER)
    # the demo is a region (issue #20): each village is named with its municipality
    driver.get_by_label("Dorp").select_option(label="Doorn (Utrechtse Heuvelrug)")
    driver.get_by_label("Uw e-mailadres").fill(DRIVER_EMAIL)
    _submit(driver, "Melding versturen")
    assert driver.url == base + "/zorgen-over-iemand/verstuurd"
    assert driver.locator("h1").inner_text() == "Uw melding is verstuurd"
    _shot(driver, "3-sent")
    with app.app_context():
        signal = db.session.scalars(select(Signal).where(Signal.reporter_email == DRIVER_EMAIL)).one()
        signal_id = signal.id
        assert signal.themes == ["loneliness"] and signal.subject_name == PASSENGER

    # 4. The broker of Doorn logs in and finds it in the workspace.
    broker.goto(base + "/inloggen")
    broker.get_by_label("E-mailadres").fill(BROKER_EMAIL)
    broker.get_by_label("Wachtwoord", exact=True).fill(TEST_PASSWORD)
    _submit(broker, "Inloggen")
    broker.goto(base + "/werkplek/")
    broker.get_by_role("link", name="Zorgen over iemand", exact=True).click()
    assert PASSENGER not in broker.content()  # the queue shows no personal fields
    _fits(broker)
    _shot(broker, "4-queue")
    broker.get_by_role("link", name=f"Nr. {signal_id}", exact=True).click()
    assert NOTICED in broker.content() and DRIVER_EMAIL in broker.content()
    _fits(broker)
    _shot(broker, "5-detail")

    # 5. She picks it up (the driver hears that), then closes it: hulp geregeld, with a note.
    broker.get_by_label("In behandeling").check()
    _submit(broker, "Status opslaan")
    assert "De status is nu: In behandeling." in broker.content()
    broker.get_by_label("Afgesloten").check()
    _submit(broker, "Status opslaan")
    expect(broker.locator(".error-summary")).to_be_visible()  # closing asks how it ended
    broker.get_by_label("Afgesloten").check()
    broker.get_by_label("Hulp geregeld").check()
    broker.get_by_label("Notitie (niet verplicht)").fill(NOTE)
    _submit(broker, "Status opslaan")
    assert "De status is nu: Afgesloten." in broker.content() and NOTE in broker.content()
    _shot(broker, "6-closed")

    # 6. The driver got a receipt and "opgepakt", nothing of what he wrote or what was done.
    with app.app_context():
        mails = db.session.scalars(
            select(OutboxMessage).where(OutboxMessage.to_address == DRIVER_EMAIL).order_by(OutboxMessage.id)
        ).all()
        assert [mail.template for mail in mails] == ["signal_received", "signal_picked_up"]
        for mail in db.session.scalars(select(OutboxMessage).where(OutboxMessage.template.like("signal_%"))):
            for private in (NOTICED, PASSENGER, "Zonnebloem", DRIVER_NAME, NOTE, "Hulp geregeld"):
                assert private not in mail.body_text + mail.body_html + mail.subject, (mail.template, private)
        db.session.remove()
    driver.context.close()
    broker.context.close()


def _open(page, site, language, cookie=None):
    if cookie:
        page.context.add_cookies([{"name": "session", "value": site["cookies"][cookie], "url": site["base"]}])
    page.goto(f"{site['base']}/taal/{language}?next=/")


def _axe(page):
    results = Axe().run(page, options=WCAG)
    assert results.violations_count == 0, results.generate_report()


@pytest.mark.parametrize("language", ["nl", "en"])
@pytest.mark.parametrize(
    "name, cookie",
    [
        ("form", None),
        ("sent", None),
        ("mine", "resident"),
        ("queue", "broker"),
        ("detail", "broker"),
        ("queue", "admin"),
    ],
)
def test_signal_pages_have_no_wcag_violations(page, site, name, cookie, language):
    _open(page, site, language, cookie)
    response = page.goto(site["base"] + site["urls"][name])
    assert response.status == 200
    _axe(page)


@pytest.mark.parametrize("language", ["nl", "en"])
def test_the_form_with_errors_has_no_wcag_violations(page, site, language):
    _open(page, site, language)
    page.goto(site["base"] + site["urls"]["form"])
    page.fill("#reporter_email", "kees@")
    page.click("form.matching-form button[type=submit]")
    expect(page.locator(".error-summary")).to_be_visible()
    _axe(page)


@pytest.mark.parametrize(
    "name, cookie",
    [
        ("form", None),
        ("sent", None),
        ("mine", "resident"),
        ("queue", "broker"),
        ("detail", "broker"),
        ("queue", "admin"),
    ],
)
def test_signal_pages_fit_a_phone(browser, site, name, cookie):
    page = _phone(browser)
    _open(page, site, "nl", cookie)
    assert page.goto(site["base"] + site["urls"][name]).status == 200
    _fits(page)
    page.context.close()
