"""The resident's search journey in headless Chromium, with and without JavaScript."""

import re

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser


def test_search_journey_with_javascript_shows_map_markers(page, live_server):
    page.goto(live_server + "/")
    page.get_by_label("Wat zoekt u?").fill("respijtzorg")
    page.get_by_label("Waar? Postcode of plaats").fill("3941")
    page.get_by_role("button", name="Zoeken").first.click()
    page.wait_for_url(re.compile(r"/zoeken\?"))
    distances = page.locator(".listing__distance").all_inner_texts()
    assert distances and all(re.fullmatch(r"[\d,]+ (km|m)", d) for d in distances)

    page.get_by_role("link", name="Bekijk op de kaart").click()
    page.wait_for_url(re.compile(r"/kaart\?"))
    page.wait_for_selector("#kaart .leaflet-marker-icon")
    spots = page.eval_on_selector_all(
        "ol.results > li.listing[data-lat]",
        "items => new Set(items.map(i => i.dataset.lat + ',' + i.dataset.lon)).size",
    )
    markers = page.locator("#kaart .leaflet-marker-icon").count()
    assert markers == spots > 0  # one pin per spot: results at one address share it (#14)
    labels = page.locator("#kaart .map-number").all_inner_texts()
    numbers = [n for label in labels for n in re.sub(r" \(\d+\)$", "", label).split(", ")]
    assert sorted(numbers, key=int) == [str(n) for n in range(1, len(numbers) + 1)]  # every result is numbered once
    assert page.locator("#kaart").is_visible()

    page.locator("ol.results > li.listing a").first.click()
    page.wait_for_url(re.compile(r"/aanbod/\d+/"))
    assert page.locator("h1").inner_text()
    assert page.get_by_text("Volgende stap").is_visible()
    expect(page.get_by_role("button", name="Afdrukken")).to_be_visible()  # print.js unhides it once it has run


def test_search_journey_without_javascript_on_a_phone(phone_page_without_js, live_server):
    page = phone_page_without_js
    page.goto(live_server + "/")
    page.get_by_label("Wat zoekt u?").fill("dementie")
    page.get_by_label("Waar? Postcode of plaats").fill("Leersum")
    page.get_by_label("Afstand").first.select_option("5")
    page.get_by_role("button", name="Zoeken").first.click()
    # the count is the h1 and the filters are folded in a <details> on the results page (#11)
    total_before = int(re.search(r"(\d+) resulta", page.locator("h1").inner_text()).group(1))
    assert total_before > 0

    page.locator("details.filters-disclosure > summary").click()
    page.get_by_label(re.compile(r"^Kost mij niets")).check()
    page.get_by_role("button", name="Filters toepassen").click()
    summary = page.locator("h1").inner_text()
    total_after = int(re.search(r"(\d+) resulta", summary).group(1)) if re.search(r"\d+ resulta", summary) else 0
    assert total_after <= total_before
    assert page.locator(".fact", has_text="Kost geld").count() == 0

    # the page fits a 360 px screen: no horizontal scrolling
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 360

    page.goto(live_server + "/kaart?q=dementie&waar=Leersum")
    assert page.locator("#kaart").is_hidden()
    assert page.locator("ol.results > li.listing").count() > 0


def test_results_at_one_address_share_one_pin_with_a_count(page, live_server):
    page.goto(live_server + "/kaart?q=hulp&waar=Doorn&straal=25")
    page.wait_for_selector("#kaart .leaflet-marker-icon")
    shared = page.eval_on_selector_all(
        "ol.results > li.listing[data-lat]",
        """items => {
        const seen = {};
        items.forEach(i => { const k = i.dataset.lat + ',' + i.dataset.lon; seen[k] = (seen[k] || 0) + 1; });
        return Math.max(...Object.values(seen));
    }""",
    )
    if shared < 2:
        pytest.skip("the demo data has no two results at one address for this search")
    group = page.locator("#kaart .map-number--group").first
    assert re.fullmatch(r"\d+(, \d+)+ \(\d+\)", group.inner_text())


def test_no_map_link_when_nothing_is_found(page, live_server):
    page.goto(live_server + "/zoeken?q=qqxxzzqq")
    assert page.get_by_role("link", name="Bekijk op de kaart").count() == 0


def test_unknown_postcode_in_the_browser_is_announced(page, live_server):
    page.goto(live_server + "/zoeken?q=hulp&waar=1234+AB")
    alert = page.get_by_role("alert")
    assert "We kennen postcode" in alert.inner_text()
    assert page.get_by_label("Waar? Postcode of plaats").input_value() == "1234 AB"
