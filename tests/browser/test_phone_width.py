"""Every page a role's menu and main flows reach fits a 360 px phone without sideways scrolling (issue #14):
one browser context per role on one live server with seeded data."""

import os
from datetime import timedelta

import pytest
from sqlalchemy import select

from sociale_kaart import clock
from sociale_kaart.directory.models import Area
from sociale_kaart.extensions import db
from tests.browser.conftest import (
    STICKING_OUT,
    TOUCHING_BUTTONS,
    WIDEST,
    demo_site,
    pending_service_change,
    session_cookie,
)
from tests.builders import make_user
from tests.matching.factories import DRIEBERGEN, make_broker, make_match, make_request, make_volunteer
from tests.signals.helpers import make_signal

# "dated": these pages show help requests with dates, so the moved-clock run takes them too (#10)
pytestmark = [pytest.mark.browser, pytest.mark.dated]

PHONE = {"width": 360, "height": 740}


@pytest.fixture(scope="module")
def phone_site(tmp_path_factory):
    """The demo data plus one person per role with something on each of their pages, served on 127.0.0.1."""
    with demo_site(tmp_path_factory.mktemp("phone_width"), "phone_width") as (app, base):
        with app.app_context():
            service, editor, change = pending_service_change()
            areas = db.session.scalars(select(Area)).all()
            broker = make_broker(areas=("doorn", "driebergen_rijsenburg"), name="Bram Makelaar")
            resident = make_user(roles=("resident",), name="Rita Bewoner")
            make_request(status="submitted", reviewed_at=None)
            item = make_request(weeks=8, task_type="respijt", requester_id=resident.id)
            valid = clock.today() + timedelta(days=1000)
            near = make_volunteer(first_name="Vera (fictief)", vog_checked_on=clock.today(), vog_valid_until=valid)
            far = make_volunteer(postcode=DRIEBERGEN, first_name="Wim (fictief)", vog_valid_until=valid)
            pending = make_volunteer(status="pending", first_name="Nina (fictief)", approved_at=None)
            make_match(item, far, status="interested", source="interest", message="Ik help graag.")
            matched = make_request(requester_id=resident.id)
            make_match(matched, near, status="accepted")
            signal = make_signal(area=areas[0])
            policy = make_user(roles=("policy",), name="Pim Beleid")
            admin = make_user(roles=("admin",), areas=areas, name="Ada Beheer")
            people = {
                "resident": resident,
                "volunteer": near.user,
                "pending volunteer": pending.user,
                "editor": editor,
                "broker": broker,
                "policy": policy,
                "admin": admin,
            }
            common = [
                "/",
                "/zoeken?q=hulp",
                f"/aanbod/{service.id}",
                "/account",
                "/account/wachtwoord",
                "/mijn-gegevens",
            ]
            pages = {
                "resident": [*common, "/mijn-hulpvragen", "/hulp-vragen", "/zorgen-over-iemand", "/api"],
                "volunteer": [
                    *common,
                    "/vrijwilliger/mijn-taken",
                    "/vrijwilliger/klussen",
                    f"/vrijwilliger/klussen/{item.id}",
                    "/vrijwilliger/profiel",
                ],
                # a new volunteer before the intake: next steps, the preview of tasks nearby, the status badge (#14)
                "pending volunteer": [
                    "/vrijwilliger/aangemeld",
                    "/vrijwilliger/klussen",
                    "/vrijwilliger/profiel",
                    "/vrijwilliger/mijn-taken",
                ],
                "editor": [
                    *common,
                    "/werkplek/",
                    f"/werkplek/organisaties/{service.organization_id}",
                    f"/werkplek/aanbod/{service.id}/bewerken",
                    f"/werkplek/organisaties/{service.organization_id}/locaties/nieuw",
                ],
                "broker": [
                    *common,
                    "/werkplek/",
                    "/werkplek/hulp/",
                    f"/werkplek/hulp/vraag/{item.id}",
                    f"/werkplek/hulp/vraag/{matched.id}",
                    f"/werkplek/hulp/vraag/{item.id}/kandidaten",
                    f"/werkplek/hulp/vraag/{item.id}/bewerken",
                    "/werkplek/hulp/nieuw",
                    "/werkplek/hulp/werkdruk",
                    "/werkplek/hulp/vrijwilligers",
                    f"/werkplek/hulp/vrijwilligers/{near.id}",
                    "/werkplek/controle",
                    f"/werkplek/controle/{change.id}",
                    f"/werkplek/controle/{change.id}/aanpassen",
                    f"/werkplek/geschiedenis/service/{service.id}",
                    "/werkplek/overzicht",
                    "/werkplek/analyse",
                    "/werkplek/zorgen/",
                    f"/werkplek/zorgen/{signal.id}",
                ],
                "policy": [*common, "/werkplek/analyse"],
                "admin": [
                    *common,
                    "/werkplek/",
                    "/werkplek/overzicht",
                    "/werkplek/analyse",
                    "/beheer/",
                    "/beheer/gebruikers",
                    "/beheer/gebruikers/uitnodigen",
                    f"/beheer/gebruikers/{broker.id}",
                    "/beheer/e-mail",
                    "/beheer/gebieden",
                    f"/beheer/gebieden/{areas[0].id}",
                    "/beheer/gemeenten",
                    "/beheer/gemeenten/toevoegen",
                    "/beheer/gemeenten/1581",
                ],
            }
            cookies = {role: session_cookie(app, person) for role, person in people.items()}
            db.session.remove()
        yield base, cookies, pages


@pytest.mark.parametrize("role", ["resident", "volunteer", "pending volunteer", "editor", "broker", "policy", "admin"])
def test_every_page_of_a_role_fits_a_phone(browser, phone_site, role):
    base, cookies, pages = phone_site
    context = browser.new_context(viewport=PHONE, locale="nl-NL")
    context.add_cookies([{"name": "session", "value": cookies[role], "url": base}])
    page = context.new_page()
    too_wide, touching, sticking_out = {}, {}, {}
    try:
        for path in pages[role]:
            response = page.goto(base + path)
            assert response.status == 200, path
            width = page.evaluate("document.documentElement.scrollWidth")
            if os.environ.get("SOCIALE_KAART_PHONE_SHOTS"):
                name = path.strip("/").replace("/", "_").replace("?", "_") or "home"
                page.screenshot(path=f"{os.environ['SOCIALE_KAART_PHONE_SHOTS']}/{role}-{name}.png", full_page=True)
            if width > PHONE["width"]:
                too_wide[path] = (width, page.evaluate(WIDEST))
            if buttons := page.evaluate(TOUCHING_BUTTONS):  # wrapped buttons keep a gap between them (#14)
                touching[path] = buttons
            if boxes := page.evaluate(STICKING_OUT):
                sticking_out[path] = boxes
    finally:
        context.close()
    assert too_wide == {}, "\n".join(f"{path}: {width} px, {parts}" for path, (width, parts) in too_wide.items())
    assert touching == {}, "\n".join(f"{path}: buttons touch: {pairs}" for path, pairs in touching.items())
    assert sticking_out == {}, "\n".join(f"{path}: sticks out: {boxes}" for path, boxes in sticking_out.items())


def test_the_volunteers_pages_fit_a_phone_in_english_too(browser, phone_site):
    """English words are longer ("Wednesday", "afternoon"): the availability grid was 397 px wide in English."""
    base, cookies, pages = phone_site
    context = browser.new_context(viewport=PHONE, locale="en-GB")
    context.add_cookies([{"name": "session", "value": cookies["volunteer"], "url": base}])
    page = context.new_page()
    try:
        page.goto(base + "/taal/en?next=/vrijwilliger/profiel")
        assert page.locator("html").get_attribute("lang") == "en"
        for path in pages["volunteer"]:
            assert page.goto(base + path).status == 200, path
            assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"], page.evaluate(WIDEST)
            assert page.evaluate(STICKING_OUT) == [], path
    finally:
        page.goto(base + "/taal/nl")  # the account keeps the language it had for the other tests of this site
        context.close()
