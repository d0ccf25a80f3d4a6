"""A region (issue #20) in the browser, 360 px wide: the root's choice, an entry page, a search across the border.

Each page in Dutch and English, axe-core (WCAG 2.1 A and AA) without violations, and a screenshot under the
test's tmp dir (to look at).
"""

from urllib.parse import quote

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect

from sociale_kaart.directory import municipalities
from sociale_kaart.directory.models import Area
from sociale_kaart.extensions import db
from tests.browser.conftest import WCAG, demo_site
from tests.builders import make_location, make_service, make_user

pytestmark = pytest.mark.browser

PHONE = {"width": 360, "height": 740}


@pytest.fixture(scope="module")
def region_site(tmp_path_factory):
    """The demo (Utrechtse Heuvelrug) with Rhenen added, green, its desk and Elst's dorpsteam; a service in Elst."""
    with demo_site(tmp_path_factory.mktemp("region"), "region") as (app, base):
        with app.test_request_context():
            admin = make_user(roles=("admin",))
            if municipalities.by_code("0340") is None:  # the demo brings Rhenen; add it when it is not there
                municipalities.add_municipality("0340", by=admin)
            municipalities.update_municipality(
                "0340",
                {
                    "name": "Rhenen",
                    "brand": "groen",
                    "contact_name": "Sociaal team Rhenen",
                    "contact_phone": "0317 123 456",
                },
                by=admin,
            )
            elst = db.session.scalar(db.select(Area).where(Area.name == "Elst"))
            elst.contact_name, elst.contact_phone = "Dorpsteam Elst", "0317 654 321"
            db.session.commit()
            location = make_location(
                postal_code="3922 AB", city="Elst", lat=51.9893, lon=5.4857, address_1="Veenendaalsestraatweg 1"
            )
            make_service(location=location, name="Breicafé in Elst", summary="Elke week breien, koffie en een praatje.")
            amerongen = make_location(
                postal_code="3958 AB", city="Amerongen", lat=52.0022, lon=5.4595, address_1="Drostestraat 1"
            )
            make_service(location=amerongen, name="Breicafé in Amerongen", summary="Elke week breien en koffie.")
            db.session.remove()
        yield base


@pytest.fixture(params=["nl", "en"])
def phone(browser, request):
    context = browser.new_context(viewport=PHONE, locale="nl-NL")
    page = context.new_page()
    page.language = request.param
    yield page
    context.close()


def _open(page, base, path):
    if page.language == "en":
        page.goto(f"{base}/taal/en?next={quote(path)}")
    else:
        page.goto(base + path)


def _check(page, tmp_path, name):
    results = Axe().run(page, options=WCAG)
    assert results.violations_count == 0, results.generate_report()
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"], "wider than the phone"
    page.screenshot(path=str(tmp_path / f"{name}-{page.language}.png"), full_page=True)


def test_the_root_offers_each_municipality(phone, region_site, tmp_path):
    _open(phone, region_site, "/")
    links = phone.locator("section[aria-labelledby=gemeenten-titel] a.tile")
    assert links.all_inner_texts() == (
        ["Gemeente Rhenen", "Gemeente Utrechtse Heuvelrug"]
        if phone.language == "nl"
        else [links.nth(0).inner_text(), links.nth(1).inner_text()]
    )
    assert phone.locator("form[role=search] input[name=waar]").is_visible()
    _check(phone, tmp_path, "root")
    links.first.click()
    phone.wait_for_url("**/rhenen/")


def test_an_entry_page_shows_its_name_colour_villages_and_contacts(phone, region_site, tmp_path):
    _open(phone, region_site, "/rhenen/")
    assert phone.locator(".site-name__place").inner_text() == "Rhenen"
    colour = phone.evaluate("getComputedStyle(document.querySelector('.site-header')).backgroundColor")
    assert colour == "rgb(29, 86, 49)"  # BRAND_COLOURS["groen"]
    section = phone.locator("#gemeente")
    assert section.locator("a.tile").all_inner_texts() == ["Elst", "Rhenen"]
    assert "0317 123 456" in section.inner_text()
    assert "Dorpsteam Elst" in phone.locator("#dorpsteams").inner_text()
    _check(phone, tmp_path, "entry")
    phone.fill("input[name=q]", "breicafé")
    phone.locator("form[role=search] button[type=submit]").first.click()
    phone.wait_for_url("**/zoeken?*gemeente=rhenen*")
    assert phone.locator("ol.results > li").count() == 1


def test_a_search_from_amerongen_within_5_km_finds_and_marks_elst(phone, region_site, tmp_path):
    _open(phone, region_site, "/kaart?q=breicafé&waar=3958&straal=5")
    assert phone.locator("ol.results > li").count() == 2  # one in Amerongen, and Elst ~2 km across the border
    assert phone.locator(".listing__municipality").count() == 1  # only the neighbour's listing is marked
    card = phone.locator("ol.results > li", has_text="Breicafé in Elst")
    mark = "Gemeente Rhenen" if phone.language == "nl" else card.locator(".listing__municipality").inner_text()
    assert card.locator(".listing__municipality").inner_text() == mark and "Rhenen" in mark
    phone.locator('.leaflet-marker-icon[alt$="Breicafé in Elst"]').click()
    popup = phone.locator(".leaflet-popup-content").inner_text()
    assert f"Breicafé in Elst ({mark})" in popup  # the map's popup marks it too
    # axe-core checks the page with the popup open: after its fade-in, as a person sees it
    expect(phone.locator(".leaflet-popup")).to_have_css("opacity", "1")
    # the whole popup, its close button too, lies inside the map on a phone (it stuck out on the right)
    inside = (
        "(p, m) => { const a = p.getBoundingClientRect(), b = m.getBoundingClientRect();"
        " return a.left >= b.left && a.right <= b.right }"
    )
    assert phone.locator(".leaflet-popup").evaluate(inside, phone.locator("#kaart").element_handle())
    _check(phone, tmp_path, "border-search")


def test_the_signal_form_of_an_entry_page_has_its_municipality_chosen(phone, region_site, tmp_path):
    """From Rhenen's pages, "zorgen over iemand" goes to Rhenen's team unless a village is chosen."""
    _open(phone, region_site, "/rhenen/")
    phone.locator("footer a[href*='zorgen-over-iemand']").click()
    phone.wait_for_url("**/zorgen-over-iemand?gemeente=rhenen")
    chosen = phone.locator("select[name=area_id] option:checked")
    assert chosen.get_attribute("value") == "gemeente:0340"
    if phone.language == "nl":
        assert chosen.inner_text() == "Ergens anders in gemeente Rhenen"
        assert "Elst (Rhenen)" in phone.locator("select[name=area_id]").inner_text()
    _check(phone, tmp_path, "signal-form")
