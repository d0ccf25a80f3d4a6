"""Issue #3 acceptance, in a real browser: register, confirm by e-mail, join, edit, review, publish.

The e-mail goes through a real SMTP server (aiosmtpd); the app runs on a live server with
its own demo database; the editor, the broker and a resident each have their own browser.
"""

import re

import pytest
from sqlalchemy import select

from sociale_kaart.accounts.models import Membership, User
from sociale_kaart.directory.models import Area, ChangeRequest, Service
from sociale_kaart.extensions import db
from tests.browser.conftest import deliver, demo_site
from tests.builders import TEST_PASSWORD, make_user

pytestmark = pytest.mark.browser

EDITOR_EMAIL = "els.devries@example.org"
EDITOR_PASSWORD = "Zonnebloem-aan-de-Heuvelrug-7"
NEW_SUMMARY = "Wekelijks wandelen met een maatje, nu ook op zaterdagochtend."


@pytest.fixture
def journey(tmp_path, smtp_server):
    """A seeded app sending mail to the test SMTP server, served on a free port."""
    with demo_site(tmp_path, "journey", smtp_server) as (app, base):
        with app.app_context():
            doorn = db.session.scalars(select(Area).where(Area.code == "doorn")).one()
            service = db.session.scalars(
                select(Service)
                .join(Service.service_areas)
                .where(Area.id == doorn.id, Service.publication_status == "published")
                .order_by(Service.id)
            ).first()
            make_user(roles=("broker",), areas=[doorn], name="Bram Broker", email="bram@example.org")
            facts = {
                "service_id": service.id,
                "old_summary": service.summary,
                "org_id": service.organization_id,
                "org_name": service.organization.name,
                "slug": service.slug,
            }
            db.session.remove()
        yield app, base, facts


def _login(page, base, email, password):
    page.goto(f"{base}/inloggen")
    page.get_by_label("E-mailadres").fill(email)
    page.get_by_label("Wachtwoord", exact=True).fill(password)
    page.get_by_role("button", name="Inloggen").click()
    page.wait_for_load_state()


def test_editor_registers_joins_edits_and_broker_publishes(journey, smtp_server, browser):
    app, base, facts = journey
    service_url = f"{base}/aanbod/{facts['service_id']}"
    editor = browser.new_context(locale="nl-NL").new_page()
    broker = browser.new_context(locale="nl-NL").new_page()
    resident = browser.new_context(locale="nl-NL", java_script_enabled=False).new_page()

    # 1. The editor registers; the confirmation link arrives over SMTP and works.
    editor.goto(f"{base}/registreren")
    editor.get_by_label("E-mailadres").fill(EDITOR_EMAIL)
    editor.get_by_label("Uw naam").fill("Els de Vries")
    editor.get_by_label("Wachtwoord", exact=True).fill(EDITOR_PASSWORD)
    editor.get_by_label("Wachtwoord nog een keer").fill(EDITOR_PASSWORD)
    editor.get_by_label("Ik wil de gegevens van mijn organisatie bijhouden").check()
    editor.get_by_role("button", name="Account aanmaken").click()
    editor.wait_for_load_state()
    assert "/registreren/verstuurd" in editor.url
    mails = deliver(app, smtp_server, EDITOR_EMAIL)
    assert len(mails) == 1
    link = re.search(r"http://127\.0\.0\.1:\d+/bevestigen/\S+", mails[0][1]).group(0)
    editor.goto(link)
    _login(editor, base, EDITOR_EMAIL, EDITOR_PASSWORD)
    with app.app_context():
        assert db.session.scalars(select(User).where(User.email == EDITOR_EMAIL)).one().email_confirmed

    # 2. She asks to join her organisation; the broker of Doorn approves.
    editor.goto(f"{base}/werkplek/organisaties/{facts['org_id']}/lid-worden")
    editor.get_by_label("Wat is uw rol bij deze organisatie?").fill("Ik ben coördinator vrijwilligers.")
    editor.get_by_role("button", name="Vraag versturen").click()
    editor.wait_for_load_state()
    with app.app_context():
        membership_id = db.session.scalars(
            select(Membership.id).join(User, Membership.user_id == User.id).where(User.email == EDITOR_EMAIL)
        ).one()
    _login(broker, base, "bram@example.org", TEST_PASSWORD)
    broker.goto(f"{base}/werkplek/lidmaatschappen/{membership_id}")
    assert "Ik ben coördinator vrijwilligers." in broker.content()
    broker.get_by_role("button", name="Goedkeuren").click()
    broker.wait_for_load_state()

    # 3. She edits the service; the public page keeps the published text.
    editor.goto(f"{base}/werkplek/aanbod/{facts['service_id']}/bewerken")
    editor.get_by_label("Korte omschrijving (één zin)").fill(NEW_SUMMARY)
    editor.get_by_role("button", name="Opslaan en ter controle aanbieden").click()
    editor.wait_for_load_state()
    resident.goto(service_url)
    assert facts["old_summary"] in resident.content() and NEW_SUMMARY not in resident.content()
    resident.goto(f"{base}/zoeken?q=zaterdagochtend")
    assert facts["org_name"] not in resident.content()

    # 4. The broker sees the diff in the queue and approves.
    broker.goto(f"{base}/werkplek/controle")
    with app.app_context():
        change_id = db.session.scalars(
            select(ChangeRequest.id).where(ChangeRequest.status == "pending", ChangeRequest.kind == "service")
        ).one()
    broker.goto(f"{base}/werkplek/controle/{change_id}")
    diff = broker.content()
    assert facts["old_summary"] in diff and NEW_SUMMARY in diff
    broker.get_by_role("button", name="Goedkeuren en publiceren").click()
    broker.wait_for_load_state()

    # 5. The public page and search show the new text; the history shows both versions.
    resident.goto(service_url)
    assert NEW_SUMMARY in resident.content()
    resident.goto(f"{base}/zoeken?q=zaterdagochtend")
    assert resident.locator(f"a[href*='/aanbod/{facts['service_id']}/']").count() >= 1
    broker.goto(f"{base}/werkplek/geschiedenis/service/{facts['service_id']}")
    history = broker.content()
    assert history.count(NEW_SUMMARY) >= 2 and history.count(facts["old_summary"]) >= 2
    assert "Els de Vries" in history and "Bram Broker" in history

    # 6. The editor was told by e-mail that her change is published.
    subjects = [subject for subject, body in deliver(app, smtp_server, EDITOR_EMAIL)]
    assert any(subject.startswith("U bent redacteur van") for subject in subjects)
    assert any(subject.startswith("Uw wijziging is gepubliceerd") for subject in subjects)
