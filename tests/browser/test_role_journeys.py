"""Issue #14 acceptance: a browser journey per role, on a 360×740 phone and a 1280×800 screen, with JavaScript.

The volunteer signs up and, once approved, accepts a task a broker asked her for; the broker takes an urgent
request from the help queue to a match and, after its date, to "Gedaan"; an organisation editor changes a
listing. Each person clicks and types; every page they reach shows what they need (the answer or next step
on the phone's first screen, without scrolling), fits the screen (no sideways scrolling), keeps wrapped buttons
apart and has no axe-core violations (WCAG 2.1 A and AA). One live server for the module.

Each step is photographed into the test's tmp_path, or into SOCIALE_KAART_SHOTS_DIR when that is set
(as <role>-<viewport>-<step>.png), to look at; the tests never read the pictures.
"""

import os
import re
from datetime import UTC, datetime, time, timedelta
from pathlib import Path

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from sociale_kaart import clock
from sociale_kaart.accounts.models import User
from sociale_kaart.directory.models import Service
from sociale_kaart.extensions import db
from sociale_kaart.matching import booking
from sociale_kaart.matching import volunteers as volunteer_service
from sociale_kaart.matching.models import HelpRequest, Match, VolunteerProfile
from tests.browser.conftest import (
    TOUCHING_BUTTONS,
    WIDEST,
    assert_no_wcag_violations,
    assert_on_first_screen,
    outbox_body,
    serving,
)
from tests.builders import TEST_PASSWORD, make_location, make_organization, make_service, make_user
from tests.conftest import _seed, make_app
from tests.matching.factories import load_areas, make_broker, make_request, make_volunteer

pytestmark = pytest.mark.browser

VIEWPORTS = {"360": {"width": 360, "height": 740}, "1280": {"width": 1280, "height": 800}}
SHOTS = os.environ.get("SOCIALE_KAART_SHOTS_DIR")
AREA_PHONE = "0343 111 222"


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """The demo data with a contact for the Doorn area, served on 127.0.0.1; each test adds its own people."""
    app = make_app(tmp_path_factory.mktemp("role_journeys"), name="role_journeys")
    with app.app_context():
        db.create_all()
        _seed(app)
        doorn = load_areas()["doorn"]
        doorn.contact_phone, doorn.contact_email = AREA_PHONE, "dorpsteam.doorn@example.org"
        db.session.commit()
        db.session.remove()
    with serving(app) as base:
        app.config["PUBLIC_URL"] = base  # links in e-mail queued outside a request (a broker's service call)
        yield app, base
    with app.app_context():
        db.engine.dispose()


class Person:
    """One person's browser at one viewport; `sees` checks and photographs each page they reach."""

    def __init__(self, browser, base, role, viewport, folder):
        self.base, self.role, self.viewport, self.folder = base, role, viewport, folder
        self.context = browser.new_context(viewport=VIEWPORTS[viewport], locale="nl-NL")
        self.context.set_default_timeout(10_000)  # a missing button fails in seconds, not half a minute
        self.page = self.context.new_page()

    def sees(self, step, heading):
        """The page shows its h1, fits the screen, keeps wrapped buttons apart and passes axe-core; photograph it."""
        page = self.page
        page.wait_for_load_state()  # after a click the new document may not be there yet
        expect(page.get_by_role("heading", level=1)).to_have_text(heading)
        self.photograph(step)
        fits = page.evaluate("document.documentElement.scrollWidth <= innerWidth")
        assert fits, f"{step} ({page.url}) scrolls sideways: {page.evaluate(WIDEST)}"
        assert page.evaluate(TOUCHING_BUTTONS) == [], f"{step} ({page.url}): buttons touch"
        assert_no_wcag_violations(page)
        return page.inner_text("main")

    def photograph(self, step):
        """The whole page; with SOCIALE_KAART_SHOTS_DIR also each screenful (-1, -2, …) to look at in full size."""
        page, name = self.page, f"{self.role}-{self.viewport}-{step}"
        page.screenshot(path=str(self.folder / f"{name}.png"), full_page=True)
        if SHOTS:
            size, height = VIEWPORTS[self.viewport], page.evaluate("document.documentElement.scrollHeight")
            for number, top in enumerate(range(0, height, size["height"]), start=1):
                clip = {"x": 0, "y": top, "width": size["width"], "height": min(size["height"], height - top)}
                page.screenshot(path=str(self.folder / f"{name}-{number}.png"), full_page=True, clip=clip)

    def menu(self, name, role="link"):
        """Choose an item of the header menu; on a phone it folds behind "Menu" first."""
        opener = self.page.get_by_role("link", name="Menu", exact=True)
        if opener.is_visible():
            opener.click()
        self.page.get_by_role("navigation", name="Hoofdmenu").get_by_role(role, name=name, exact=True).click()
        self.page.wait_for_load_state()

    def log_in(self, email):
        """Type the e-mail address and password on the login page and press "Inloggen"."""
        expect(self.page.get_by_role("heading", level=1)).to_have_text("Inloggen")
        self.page.get_by_label("E-mailadres").fill(email)
        self.page.get_by_label("Wachtwoord", exact=True).fill(TEST_PASSWORD)
        self.page.get_by_role("main").get_by_role("button", name="Inloggen").click()
        self.page.wait_for_load_state()


@pytest.fixture(params=list(VIEWPORTS))
def person(request, browser, site, tmp_path):
    """Make a Person(role) on the live server at this test's viewport; their browsers close at the end."""
    _app, base = site
    folder = Path(SHOTS) if SHOTS else tmp_path
    folder.mkdir(parents=True, exist_ok=True)
    people = []

    def make(role):
        people.append(Person(browser, base, role, request.param, folder))
        return people[-1]

    yield make
    for one in people:
        one.context.close()


@pytest.mark.dated  # builds help requests with dates: the moved-clock run takes it too (#10)
def test_volunteer_signs_up_is_approved_and_accepts_a_task(site, person):
    app, base = site
    nora = person("volunteer")
    email = f"nora.{nora.viewport}@example.org"
    with app.app_context():
        broker_id = make_broker(areas=("doorn",), email=f"makelaar.vrijwilliger.{nora.viewport}@example.org").id
        requests = [make_request() for _ in range(3)]  # boodschappen in Doorn: the preview shows kinds of 3 or more
        task = requests[0]
        task_id, address = task.id, f"{task.street} {task.house_number}"
        private = [value for r in requests for value in (r.contact_name, f"{r.street} {r.house_number}", r.summary)]
        db.session.remove()
    page = nora.page

    # 1. From the home page to the way in for volunteers, and an account
    page.goto(base + "/")
    nora.sees("01-home", "Welke hulp is er bij u in de buurt?")
    page.get_by_role("link", name="Vrijwilliger worden", exact=True).click()
    text = nora.sees("02-way-in", "Vrijwilliger worden")
    assert "binnen 5 werkdagen" in text and "VOG" in text
    assert_on_first_screen(page.get_by_role("link", name="Aanmelden als vrijwilliger"))  # how it works below it
    page.get_by_role("link", name="Aanmelden als vrijwilliger").click()
    nora.sees("03-register", "Account aanmaken")
    expect(page.get_by_label("Vrijwilliger worden en anderen helpen")).to_be_checked()
    page.get_by_label("E-mailadres").fill(email)
    page.get_by_label("Uw naam").fill("Nora Nieuw (fictief)")
    page.get_by_label("Wachtwoord", exact=True).fill(TEST_PASSWORD)
    page.get_by_label("Wachtwoord nog een keer").fill(TEST_PASSWORD)
    page.get_by_role("button", name="Account aanmaken").click()
    assert "Klik op de link in die e-mail" in nora.sees("04-check-mail", "Kijk in uw e-mail")

    # 2. The link in the e-mail; log in; fill in the volunteer profile
    page.goto(re.search(r"http://127\.0\.0\.1:\d+/bevestigen/\S+", outbox_body(app, email, "confirm_email")).group(0))
    assert "Uw e-mailadres is bevestigd." in nora.sees("05-confirmed", "Inloggen")
    nora.log_in(email)
    nora.sees("06-first-landing", "Mijn taken")
    page.get_by_role("link", name="Vul uw profiel in").click()
    nora.sees("07-profile-form", "Mijn vrijwilligersprofiel")
    expect(page.get_by_label("Uw voornaam")).to_have_value("Nora")
    page.get_by_label("Postcode").fill("3941 AB")
    page.get_by_label("Hoe ver wilt u hoogstens reizen? (km)").fill("5")
    page.get_by_label("Boodschappen", exact=True).check()
    page.locator("input[name=avail-tue-afternoon]").check()
    page.get_by_role("button", name="Aanmelden als vrijwilliger").click()

    # 3. What happens next: the intake, when and whom to ask; then the kinds of tasks nearby, nothing more
    text = nora.sees("08-next-steps", "Bedankt voor uw aanmelding")
    assert "binnen 5 werkdagen" in text and AREA_PHONE in text
    assert re.search(r"Boodschappen: \d+ klussen", text)
    page.get_by_role("main").get_by_role("link", name="Klussen bij mij in de buurt").last.click()
    text = nora.sees("09-tasks-preview", "Klussen bij mij in de buurt")
    assert re.search(r"Boodschappen: \d+ klussen", text)
    assert not any(value in text for value in private)

    # 4. A broker approves her after the intake and asks her for a task (services, as the broker's pages do)
    with app.app_context():
        profile = db.session.scalars(
            select(VolunteerProfile).join(VolunteerProfile.user).where(User.email == email)
        ).one()
        broker = db.session.get(User, broker_id)
        volunteer_service.approve_volunteer(profile.id, by=broker)
        booking.approve_match(booking.suggest_match(task_id, profile.id, by=broker).id, by=broker)
        db.session.remove()

    # 5. She logs in again, lands on her tasks, accepts, and sees the address and the task under accepted tasks
    nora.menu("Uitloggen", role="button")
    nora.menu("Inloggen")
    nora.log_in(email)
    text = nora.sees("10-offer", "Mijn taken")
    offers = page.get_by_role("main").locator("li.task-card")
    expect(offers).to_have_count(1)
    expect(offers).to_contain_text("Boodschappen")
    assert "U heeft nu geen aangenomen taken." in text
    yes = offers.get_by_role("button", name=re.compile("^Ja, ik help"))
    assert_on_first_screen(yes)
    offers.get_by_role("link", name="Boodschappen", exact=True).click()  # the task's own page asks it first too
    nora.sees("10-offer-task", "Boodschappen")
    assert_on_first_screen(page.get_by_role("button", name="Ja, ik help"))
    page.get_by_role("navigation", name="Kruimelpad").get_by_role("link", name="Mijn taken").click()
    yes.click()
    text = nora.sees("11-accepted", "Boodschappen")
    assert "U heeft de taak aangenomen." in text and address in text
    assert_on_first_screen(page.locator(".private-data dd", has_text=address))  # what the message at the top says
    page.get_by_role("navigation", name="Kruimelpad").get_by_role("link", name="Mijn taken").click()
    nora.sees("12-my-tasks", "Mijn taken")
    accepted = page.locator("h2", has_text="Aangenomen taken").locator("xpath=following-sibling::ul[1]")
    expect(accepted.get_by_role("link", name="Boodschappen", exact=True)).to_have_attribute(
        "href", f"/vrijwilliger/klussen/{task_id}"
    )
    expect(page.get_by_text("Er is nu niets om op te antwoorden.")).to_be_visible()


VOLUNTEER_NAMES = {"360": "Vera", "1280": "Wies"}
# The number of lines an element's text takes
LINES = """e => { const range = document.createRange(); range.selectNodeContents(e)
  return new Set([...range.getClientRects()].map(line => Math.round(line.top))).size }"""


@pytest.mark.dated  # builds help requests with dates: the moved-clock run takes it too (#10)
def test_broker_takes_an_urgent_request_from_the_queue_to_done(site, person, app_clock):
    app, base = site
    bram = person("broker")
    email = f"bram.{bram.viewport}@example.org"
    name = VOLUNTEER_NAMES[bram.viewport]
    with app.app_context():
        make_broker(areas=("doorn",), name="Bram Makelaar (fictief)", email=email)
        volunteer_user_id = make_volunteer(first_name=name).user_id
        make_request(summary="Boodschappen voor volgende week.")
        urgent = make_request(urgency="high", first_date=clock.today() + timedelta(days=1))
        urgent_id, date = urgent.id, urgent.first_date
        db.session.remove()
    page = bram.page

    # 1. Log in: the help queue, the urgent request first with its label
    page.goto(base + "/")
    bram.menu("Inloggen")
    bram.log_in(email)
    bram.sees("01-queue", "Hulpvragen en vrijwilligers")
    first = page.locator("section[aria-labelledby=open] tbody tr").first
    expect(first).to_contain_text("Spoed")
    expect(first).to_contain_text(f"Nr. {urgent_id}: Boodschappen")
    if bram.viewport == "360":  # small buttons and a folded filter above the lists on a phone
        assert_on_first_screen(first.get_by_role("link", name=f"Nr. {urgent_id}: Boodschappen"))
    first.get_by_role("link", name=f"Nr. {urgent_id}: Boodschappen").click()

    # 2. The request, its candidates; ask the volunteer
    text = bram.sees("02-request", f"Hulpvraag {urgent_id}: Boodschappen")
    assert "Snel nodig (binnen 2 dagen)" in text and "Beoordeeld (open)" in text
    actions = page.locator("section[aria-labelledby=acties]")  # "Wat wilt u doen?": what fits the state, near the top
    assert_on_first_screen(actions.get_by_role("link", name="Kandidaten bekijken"))
    mail = page.locator("section[aria-labelledby=gegevens] dd", has_text="@")  # whole on its line, not "aanvrager1|2@"
    assert mail.evaluate(LINES) == 1, f"the e-mail address breaks: {mail.inner_text()}"
    page.get_by_role("link", name="Kandidaten bekijken").click()
    text = bram.sees("03-candidates", f"Kandidaten voor hulpvraag {urgent_id}")
    assert name in text and "km per fiets (max 10)" in text
    page.get_by_role("button", name=re.compile(f"^Vraag deze vrijwilliger\\W+{name}$")).click()
    text = bram.sees("04-asked", f"Hulpvraag {urgent_id}: Boodschappen")
    assert f"{name} is gevraagd." in text and "Goedgekeurd, wacht op vrijwilliger" in text
    done_link = page.get_by_role("link", name=re.compile("^Gedaan"))
    expect(done_link).to_have_count(0)

    # 3. The volunteer says yes (by e-mail link or her tasks page); before the date "Gedaan" is not offered
    with app.app_context():
        match = db.session.scalars(select(Match).where(Match.request_id == urgent_id)).one()
        booking.accept_match(match.id, db.session.get(User, volunteer_user_id))
        db.session.remove()
    page.reload()
    text = bram.sees("05-accepted", f"Hulpvraag {urgent_id}: Boodschappen")
    assert "Geaccepteerd" in text and "Gekoppeld" in text
    expect(done_link).to_have_count(0)

    # 4. The day after the date (the live server shares the pinned app clock): log in again, mark it done
    app_clock.start(datetime.combine(date + timedelta(days=1), time(10), tzinfo=UTC))
    page.reload()  # the login session ended while the broker was away
    bram.log_in(email)
    bram.sees("06-after-date", f"Hulpvraag {urgent_id}: Boodschappen")
    assert_on_first_screen(actions.get_by_role("link", name=f"Gedaan: {name}"))
    assert_on_first_screen(actions.get_by_role("link", name=f"Niet gekomen: {name}"))
    actions.get_by_role("link", name=f"Gedaan: {name}").click()
    text = bram.sees("07-confirm", "Markeren als gedaan")
    assert "Weet u het zeker?" in text and f"Vrijwilliger: {name}" in text
    page.get_by_role("button", name="Ja, markeer als gedaan").click()
    text = bram.sees("08-done", f"Hulpvraag {urgent_id}: Boodschappen")
    assert "Gemarkeerd als gedaan." in text
    expect(page.locator("main h1 + p .badge")).to_have_text("Afgerond")
    expect(done_link).to_have_count(0)


def test_editor_changes_a_listing_and_sees_it_waiting_for_review(site, person):
    app, base = site
    els = person("editor")
    email = f"els.{els.viewport}@example.org"
    organisation = f"Buurtkamer De Linde {els.viewport} (fictief)"
    new_summary = "Elke dinsdag koffie en een praatje, nu ook op donderdag."
    with app.app_context():
        organization = make_organization(name=organisation)
        service_id = make_service(location=make_location(organization), name="Koffieochtend (fictief)").id
        make_user(roles=("editor",), organizations=[organization], name="Els Editor (fictief)", email=email)
        db.session.remove()
    page = els.page

    # 1. Log in: the workspace with her organisation; its listings
    page.goto(base + "/")
    els.menu("Inloggen")
    els.log_in(email)
    text = els.sees("01-workspace", "Werkplek")
    assert "Mijn organisaties" in text
    page.get_by_role("link", name=organisation).click()
    els.sees("02-organisation", organisation)
    row = page.get_by_role("row", name=re.compile("Koffieochtend"))
    expect(row).to_contain_text("Gepubliceerd")

    # 2. Change the short description and save
    row.get_by_role("link", name=re.compile(r"^Wijzigen\W+Koffieochtend")).click()
    els.sees("03-form", "Koffieochtend (fictief) wijzigen")
    page.get_by_label("Korte omschrijving (één zin)").fill(new_summary)
    page.get_by_role("button", name="Opslaan en ter controle aanbieden").click()

    # 3. Saved for review: the public version stays until a broker approves; her changes on the workspace
    text = els.sees("04-saved", organisation)
    assert "Uw wijziging staat ter controle." in text
    expect(row).to_contain_text("Ter controle")
    expect(row).to_contain_text("Gepubliceerd")
    page.get_by_role("navigation", name="Kruimelpad").get_by_role("link", name="Werkplek").click()
    els.sees("05-my-changes", "Werkplek")
    changes = page.locator("section[aria-labelledby=mijn-wijzigingen]")
    expect(changes).to_contain_text("Aanbod: Koffieochtend (fictief)")
    expect(changes).to_contain_text("Ter controle")
    expect(changes.get_by_role("button", name=re.compile("^Intrekken"))).to_be_visible()
    with app.app_context():
        assert db.session.get(Service, service_id).summary != new_summary  # the public version until approved
        db.session.remove()


def _next(page):
    """Press the step's main button ("Volgende", or "Hulpvraag versturen" on the check page)."""
    with page.expect_navigation():
        page.locator("form.matching-form button[type=submit].button--primary").click()


def test_resident_with_an_account_asks_help_without_a_fixed_day(site, person):
    """A resident logs in, lands on her requests, asks for help "in de komende twee weken, 's ochtends" in steps."""
    app, base = site
    rita = person("resident")
    email = f"rita.{rita.viewport}@example.org"
    with app.app_context():
        make_user(roles=("resident",), name="Rita Verhoef", email=email)
        db.session.remove()
    page = rita.page
    page.goto(base + "/")
    rita.menu("Inloggen")
    rita.log_in(email)
    text = rita.sees("01-landing", "Mijn hulpvragen")
    rita.menu("Hulp vragen")
    rita.sees("02-what", "Wat voor hulp zoekt u?")
    page.check("input[name=task_type][value=boodschappen]")
    page.check("input[name=relation][value=self]")
    page.get_by_label("Korte omschrijving voor de vrijwilliger").fill("Samen boodschappen doen in het dorp.")
    _next(page)
    rita.sees("03-when", "Wanneer is de hulp nodig?")
    page.get_by_label("Geen haast").check()
    page.get_by_label("Eén keer, geen vaste dag: ergens in de komende weken").check()
    _next(page)
    text = rita.sees("04-day", "Welke dag en tijd?")
    assert "Datum" not in text
    page.get_by_label("in de komende twee weken").check()
    page.get_by_label("'s ochtends (9:00–12:00)").check()
    page.get_by_label("Hoe lang duurt de hulp?").select_option("90")
    _next(page)
    rita.sees("05-where", "Waar is de hulp?")
    page.get_by_label("Straat").fill("Kerkplein")
    page.get_by_label("Huisnummer").fill("3")
    page.get_by_label("Postcode").fill("3941 AB")
    _next(page)
    text = rita.sees("06-contact", "Hoe bereiken we u?")
    assert page.get_by_label("Uw naam").input_value() == "Rita Verhoef"  # from her account
    assert page.get_by_label("Naam van wie de hulp krijgt").count() == 0  # for herself
    page.get_by_label("Telefoonnummer").fill("0343 123 456")
    _next(page)
    text = rita.sees("07-check", "Klopt alles?")
    assert "in de komende twee weken" in text and "Kerkplein" in text and "1,5 uur" in text
    _next(page)
    rita.sees("08-sent", "Uw hulpvraag is verstuurd")
    page.get_by_role("link", name="Al mijn hulpvragen").click()
    text = rita.sees("09-my-requests", "Mijn hulpvragen")
    assert "Boodschappen" in text


@pytest.mark.dated
def test_carer_without_an_account_asks_help_for_her_father_and_changes_an_answer(site, person):
    """A carer asks weekly respite for her father; on the check page she changes the house number."""
    app, base = site
    anna = person("carer")
    with app.app_context():
        tuesday = clock.today() + timedelta(days=(1 - clock.today().weekday()) % 7 or 7)
        db.session.remove()
    page = anna.page
    page.goto(base + "/")
    page.get_by_role("main").get_by_role("link", name="Hulp vragen").first.click()
    anna.sees("01-what", "Wat voor hulp zoekt u?")
    page.check("input[name=task_type][value=respijt]")
    page.get_by_label("Voor iemand voor wie ik zorg (ik ben mantelzorger)").check()
    page.get_by_label("Korte omschrijving voor de vrijwilliger").fill("Gezelschap voor mijn vader op dinsdagmiddag.")
    page.get_by_label("Toelichting voor de sociaal makelaar (niet verplicht)").fill("Vader heeft dementie.")
    _next(page)
    anna.sees("02-when", "Wanneer is de hulp nodig?")
    page.get_by_label("Elke week op dezelfde dag en tijd").check()
    _next(page)
    anna.sees("03-day", "Welke dag en tijd?")
    page.get_by_label("Datum").fill(tuesday.isoformat())
    page.get_by_label("Vanaf (tijd)").fill("13:00")
    page.get_by_label("Tot (tijd)").fill("17:00")
    page.get_by_label("Hoe lang duurt de hulp?").select_option("180")
    page.get_by_label("Hoeveel weken?").fill("6")
    _next(page)
    page.get_by_label("Straat").fill("Dorpsstraat")
    page.get_by_label("Huisnummer").fill("12")
    page.get_by_label("Postcode").fill("3941 AB")
    _next(page)
    text = anna.sees("04-contact", "Hoe bereiken we u?")
    page.get_by_label("Uw naam").fill("Anna de Vries")
    page.get_by_label("Naam van wie de hulp krijgt").fill("Gerrit de Vries")
    page.get_by_label("E-mailadres").fill(f"anna.{anna.viewport}@example.org")
    _next(page)
    text = anna.sees("05-check", "Klopt alles?")
    assert "Gerrit de Vries" in text and "Dorpsstraat" in text and "6" in text
    page.get_by_role("link", name=re.compile(r"^Wijzigen\W+Waar is de hulp")).click()
    anna.sees("06-change", "Waar is de hulp?")
    page.get_by_label("Huisnummer").fill("14")
    _next(page)  # "Opslaan en terug naar het overzicht"
    text = anna.sees("07-check-again", "Klopt alles?")
    assert "14" in text
    _next(page)
    text = anna.sees("08-sent", "Uw hulpvraag is verstuurd")
    assert "bevestigen" in text  # a link by e-mail confirms her address
    assert "/hulp-vragen/bevestigen/" in outbox_body(
        app, f"anna.{anna.viewport}@example.org", "matching_confirm_request"
    )
    with app.app_context():
        sent = db.session.scalars(
            select(HelpRequest).where(HelpRequest.contact_email == f"anna.{anna.viewport}@example.org")
        ).one()
        assert (sent.house_number, sent.weeks, sent.recipient_first_name) == ("14", 6, "Gerrit")
        db.session.remove()
