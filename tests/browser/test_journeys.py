"""The resident's search journey in headless Chromium, with and without JavaScript."""
import re

import pytest

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
    listed = page.locator("ol.results > li.listing").count()
    markers = page.locator("#kaart .leaflet-marker-icon").count()
    assert markers == listed > 0
    assert page.locator("#kaart").is_visible()

    page.locator("ol.results > li.listing a").first.click()
    assert page.locator("h1").inner_text()
    assert page.get_by_text("Volgende stap").is_visible()
    assert page.get_by_role("button", name="Afdrukken").is_visible()


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


def test_unknown_postcode_in_the_browser_is_announced(page, live_server):
    page.goto(live_server + "/zoeken?q=hulp&waar=1234+AB")
    alert = page.get_by_role("alert")
    assert "We kennen postcode" in alert.inner_text()
    assert page.get_by_label("Waar? Postcode of plaats").input_value() == "1234 AB"
