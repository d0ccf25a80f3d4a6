"""Issue #4 acceptance, in a real browser: a carer asks respite for her father in Doorn, the broker
publishes, a volunteer in Driebergen signs up, the broker approves from the ranked list, the
volunteer accepts and only then sees the address, both get e-mail over real SMTP, the task is
done with feedback, and the carer's page shows who viewed her data.
"""

import re
from datetime import UTC, datetime, time, timedelta

import pytest
from sqlalchemy import select

from sociale_kaart import clock
from sociale_kaart.extensions import db
from sociale_kaart.matching import lifecycle, timeslots
from sociale_kaart.matching.models import HelpRequest, Match
from tests.browser.conftest import deliver, demo_site
from tests.builders import TEST_PASSWORD
from tests.matching.factories import DRIEBERGEN, make_broker, make_volunteer, next_weekday

# "dated": these pages show help requests with dates, so the moved-clock run takes them too (#10)
pytestmark = [pytest.mark.browser, pytest.mark.dated]

CARER_EMAIL = "marieke.zonnebloemsma@example.org"
CARER_NAME = "Marieke Zonnebloemsma"
FATHER = "Gerrit Zonnebloemsma"
STREET = "Kastanjelaan"
PHONE = "06-11223344"
SUMMARY = "Oppas bij mijn vader (82) zodat ik naar de kapper kan. Hij houdt van dammen."
VOLUNTEER_EMAIL = "vera.vrijwilliger@example.org"
BROKER_EMAIL = "bram@example.org"


@pytest.fixture
def journey(tmp_path, smtp_server):
    """The demo directory, a broker for Doorn and four volunteers, served on a free port."""
    tuesday_afternoon = timeslots.bit(1, 1)
    with demo_site(tmp_path, "matching_journey", smtp_server) as (app, base):
        with app.app_context():
            make_broker(areas=("doorn",), name="Bram Broker", email=BROKER_EMAIL)
            valid = clock.today() + timedelta(days=365)
            make_volunteer(
                postcode=DRIEBERGEN,
                first_name="Vera",
                travel_mode="bike",
                max_km=10.0,
                availability=tuesday_afternoon,
                vog_checked_on=clock.today(),
                vog_valid_until=valid,
                user_values={"email": VOLUNTEER_EMAIL, "name": "Vera Visser (fictief)"},
            )
            # Three others, each excluded for another reason: too far, no VOG, not available.
            make_volunteer(
                postcode=DRIEBERGEN,
                first_name="Wim",
                travel_mode="walk",
                max_km=1.0,
                availability=tuesday_afternoon,
                vog_valid_until=valid,
            )
            make_volunteer(first_name="Nina", availability=tuesday_afternoon)
            make_volunteer(first_name="Otto", availability=timeslots.bit(1, 0), vog_valid_until=valid)
            db.session.remove()
        app.config["PUBLIC_URL"] = base  # links in e-mail queued outside a request (the feedback question)
        yield app, base


def _link(body, path):
    return re.search(rf"http://127\.0\.0\.1:\d+{path}\S+", body).group(0)


def _login(page, base, email):
    page.goto(f"{base}/inloggen")
    page.get_by_label("E-mailadres").fill(email)
    page.get_by_label("Wachtwoord", exact=True).fill(TEST_PASSWORD)
    page.get_by_role("button", name="Inloggen").click()
    page.wait_for_load_state()


def _submit(page, name):
    with page.expect_navigation():
        page.get_by_role("button", name=name).first.click()


def test_carer_broker_and_volunteer_journey(journey, smtp_server, browser, monkeypatch):
    app, base = journey
    carer = browser.new_context(locale="nl-NL", viewport={"width": 360, "height": 740}).new_page()
    broker = browser.new_context(locale="nl-NL").new_page()
    volunteer = browser.new_context(locale="nl-NL", java_script_enabled=False).new_page()
    with app.app_context():
        tuesday = next_weekday(1, at_least_days=7)

    # 1. The carer asks respite for her father, without an account; she confirms by e-mail.
    carer.goto(f"{base}/hulp-vragen")
    carer.get_by_label("Respijt / oppas bij een naaste").check()
    carer.get_by_label("Voor iemand voor wie ik zorg (ik ben mantelzorger)").check()
    carer.get_by_label("Korte omschrijving voor de vrijwilliger").fill(SUMMARY)
    carer.get_by_label("Toelichting voor de sociaal makelaar (niet verplicht)").fill("Vader heeft dementie.")
    _submit(carer, "Volgende")
    carer.get_by_label("Eén keer, op een vaste dag").check()
    _submit(carer, "Volgende")
    carer.get_by_label("Datum").fill(tuesday.isoformat())
    carer.get_by_label("Vanaf (tijd)").fill("13:00")
    carer.get_by_label("Tot (tijd)").fill("17:00")
    carer.get_by_label("Hoe lang duurt de hulp?").select_option("240")
    _submit(carer, "Volgende")
    carer.get_by_label("Straat").fill(STREET)
    carer.get_by_label("Huisnummer").fill("12")
    carer.get_by_label("Postcode").fill("3941 AB")
    _submit(carer, "Volgende")
    carer.get_by_label("Uw naam").fill(CARER_NAME)
    carer.get_by_label("Naam van wie de hulp krijgt").fill(FATHER)
    carer.get_by_label("E-mailadres").fill(CARER_EMAIL)
    carer.get_by_label("Telefoonnummer").fill(PHONE)
    _submit(carer, "Volgende")
    assert FATHER in carer.content() and STREET in carer.content()  # the check page
    _submit(carer, "Hulpvraag versturen")
    assert "/hulp-vragen/verstuurd" in carer.url
    mails = deliver(app, smtp_server, CARER_EMAIL)
    assert len(mails) == 1
    carer.goto(_link(mails[0][1], "/hulp-vragen/bevestigen/"))
    with app.app_context():
        item = db.session.scalars(select(HelpRequest).where(HelpRequest.contact_email == CARER_EMAIL)).one()
        request_id, token = item.id, item.access_token
        assert item.confirmed_at is not None and item.status == "submitted"
        assert item.task_type == "respijt" and item.pc4 == "3941" and item.recipient_first_name == "Gerrit"

    # 2. The broker of Doorn reviews and publishes.
    _login(broker, base, BROKER_EMAIL)
    broker.goto(f"{base}/werkplek/hulp/")
    assert SUMMARY in broker.content() or "Respijt" in broker.content()
    broker.goto(f"{base}/werkplek/hulp/vraag/{request_id}")
    assert CARER_NAME in broker.content() and "Vader heeft dementie." in broker.content()
    _submit(broker, "Publiceren")
    with app.app_context():
        assert db.session.get(HelpRequest, request_id).status == "open"

    # 3. The volunteer in Driebergen sees the task without the address, and signs up.
    _login(volunteer, base, VOLUNTEER_EMAIL)
    volunteer.goto(f"{base}/vrijwilliger/klussen")
    listing = volunteer.content()
    assert SUMMARY in listing and "Doorn" in listing
    for private in (STREET, PHONE, CARER_NAME, "Zonnebloemsma", CARER_EMAIL, "3941 AB", "dementie"):
        assert private not in listing
    volunteer.goto(f"{base}/vrijwilliger/klussen/{request_id}")
    detail = volunteer.content()
    assert "Gerrit" in detail and STREET not in detail and PHONE not in detail and "Zonnebloemsma" not in detail
    _submit(volunteer, "Ik wil helpen")

    # 4. The broker sees the ranked list with reasons and exclusion counts, and approves.
    broker.goto(f"{base}/werkplek/hulp/vraag/{request_id}/kandidaten")
    ranked = broker.content()
    assert "Vera" in ranked and "km per fiets (max 10)" in ranked and "heeft geldige VOG" in ranked
    assert "3 uitgesloten" in ranked
    for reason in ("te ver", "zonder geldige VOG", "niet beschikbaar"):
        assert reason in ranked
    broker.goto(f"{base}/werkplek/hulp/vraag/{request_id}")
    _submit(broker, "Vraag deze vrijwilliger")
    with app.app_context():
        match = db.session.scalars(select(Match).where(Match.request_id == request_id)).one()
        match_id = match.id
        assert match.status == "approved" and len(match.bookings) == 1

    # 5. Approved but not yet accepted: still no address. She accepts; now she sees it.
    volunteer.goto(f"{base}/vrijwilliger/klussen/{request_id}")
    assert STREET not in volunteer.content() and PHONE not in volunteer.content()
    volunteer.goto(f"{base}/vrijwilliger/mijn-taken")
    _submit(volunteer, "Ja, ik help")
    volunteer.goto(f"{base}/vrijwilliger/klussen/{request_id}")
    accepted = volunteer.content()
    assert f"{STREET} 12" in accepted and PHONE in accepted
    with app.app_context():
        assert db.session.get(Match, match_id).status == "accepted"
        assert db.session.get(HelpRequest, request_id).status == "matched"

    # 6. Both got e-mail on every step, over SMTP.
    volunteer_subjects = [subject for subject, _ in deliver(app, smtp_server, VOLUNTEER_EMAIL)]
    carer_mails = deliver(app, smtp_server, CARER_EMAIL)
    assert len(volunteer_subjects) >= 2  # the offer, then the confirmation with the address
    assert len(carer_mails) >= 4  # confirm, published, proposed, accepted
    assert not any(STREET in body for subject, body in carer_mails[:1])

    # 7. After the date: "Is het doorgegaan?" by a one-click link; the task is done, with feedback.
    after = datetime.combine(tuesday + timedelta(days=1), time(10), tzinfo=UTC)
    monkeypatch.setattr(clock, "utcnow", lambda: after)
    with app.app_context():
        lifecycle.ask_feedback(after)
        db.session.remove()
    question = [body for subject, body in deliver(app, smtp_server, CARER_EMAIL) if "/terugkoppeling/" in body]
    carer.goto(_link(question[-1], "/terugkoppeling/"))
    carer.get_by_label("Ja", exact=True).first.check()
    carer.get_by_label("Goed", exact=True).first.check()
    carer.get_by_label(re.compile("Wilt u nog iets kwijt")).fill("Vader vond het gezellig.")
    carer.get_by_role("button").filter(has_text=re.compile("Versturen|Opslaan")).first.click()
    carer.wait_for_load_state()
    with app.app_context():
        match = db.session.get(Match, match_id)
        assert match.status == "done"
        assert [(f.author_role, f.happened, f.rating) for f in match.feedback] == [("requester", True, 3)]

    # 8. The carer's page shows who viewed her data: the broker and the volunteer.
    carer.goto(f"{base}/mijn-hulpvraag/{token}")
    page = carer.content()
    assert "Wie heeft uw gegevens bekeken" in page
    assert "Bram Broker" in page and "Vera" in page
