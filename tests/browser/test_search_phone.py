"""Phone first (#11): after a search the count has the focus and the first result shows on a 360 × 740 screen."""

import re
from urllib.parse import parse_qs, urlsplit

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

PHONE = {"width": 360, "height": 740}
WCAG = {"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]}}
QUERIES = [
    "/zoeken?q=boodschappen",
    "/zoeken?q=hulp+bij+boodschappen&waar=Doorn&straal=5",
    "/zoeken?q=dementie&waar=3941",
]
COUNT = re.compile(r"^(\d+) result")  # "6 resultaten voor …", "1 resultaat …", "6 results for …"
FIRST_RESULT = "ol.results > li"
FILTERS = "details.filters-disclosure > summary"
SEARCH_EDIT = "details.search-edit > summary"


@pytest.fixture(params=[True, False], ids=["js", "no-js"])
def phone(browser, request):
    """A 360 × 740 page, with and without JavaScript."""
    context = browser.new_context(viewport=PHONE, java_script_enabled=request.param, locale="nl-NL")
    page = context.new_page()
    yield page
    context.close()


def goto_results(page, url):
    """Open a results page and wait for autofocus, which the browser applies just after load."""
    page.goto(url)
    expect(page.locator("h1")).to_be_focused()


@pytest.mark.parametrize("query", QUERIES)
def test_first_result_shows_without_scrolling(phone, live_server, query):
    goto_results(phone, live_server + query)
    box = phone.locator(FIRST_RESULT).first.bounding_box()
    assert phone.evaluate("window.scrollY") == 0
    assert box["y"] + min(box["height"], 48) < PHONE["height"], f"first result starts at {box['y']:.0f} px"


@pytest.mark.parametrize("query", QUERIES)
def test_focus_and_title_start_with_the_result_count(phone, live_server, query):
    goto_results(phone, live_server + query)
    text = phone.locator("h1").inner_text().strip()
    assert int(COUNT.match(text).group(1)) > 0
    assert phone.title().startswith(text)


@pytest.mark.parametrize("query", QUERIES)
def test_filters_are_reached_within_five_tab_presses(phone, live_server, query):
    goto_results(phone, live_server + query)
    reached = []
    for _ in range(5):
        phone.keyboard.press("Tab")
        reached.append(
            phone.evaluate(
                "document.activeElement.matches('details.search-edit > summary') ? 'edit'"
                " : document.activeElement.matches('details.filters-disclosure > summary') ? 'filters' : 'other'"
            )
        )
        if reached[-1] == "filters":
            break
    assert reached == ["edit", "filters"]


def test_filters_open_and_apply(phone, live_server):
    phone.goto(live_server + "/zoeken?q=dementie&waar=3941")
    assert phone.locator(FILTERS).inner_text().strip().endswith("Filters")
    checkboxes = phone.locator(".facets input[type=checkbox]:not([name=open])")
    assert not checkboxes.first.is_visible()

    phone.locator(FILTERS).click()
    checkbox = checkboxes.first
    assert checkbox.is_visible()
    name, value = checkbox.get_attribute("name"), checkbox.get_attribute("value")
    checkbox.check()
    phone.get_by_role("button", name="Filters toepassen").click()

    phone.wait_for_url(re.compile(r"/zoeken\?"))
    args = parse_qs(urlsplit(phone.url).query)
    assert args[name] == [value] and args["q"] == ["dementie"] and args["waar"] == ["3941"]
    assert phone.locator(FILTERS).inner_text().strip().endswith("Filters (1)")
    assert phone.locator("details.filters-disclosure").get_attribute("open") is None


def test_a_keyboard_applies_a_filter_of_a_folded_group_in_few_key_presses(phone_page, live_server):
    """Tab to "Filters", open it and a group with Enter, tick a filter with Space, and reach "Filters toepassen":
    the groups fold, so that is 25 presses or fewer (it took 60 with every filter in a row)."""
    phone_page.goto(live_server + "/zoeken?q=dementie&waar=3941")
    phone_page.locator(FILTERS).focus()
    phone_page.keyboard.press("Enter")
    presses = 0
    while not phone_page.evaluate("document.activeElement.matches('.facet-group > summary')"):
        phone_page.keyboard.press("Tab")
        presses += 1
        assert presses < 10
    phone_page.keyboard.press("Enter")  # the first group opens
    phone_page.keyboard.press("Tab")
    phone_page.keyboard.press("Space")
    ticked = phone_page.evaluate("[document.activeElement.name, document.activeElement.value]")
    presses += 3
    while phone_page.evaluate("document.activeElement.textContent.trim()") != "Filters toepassen":
        phone_page.keyboard.press("Tab")
        presses += 1
        assert presses <= 25, "too many key presses to reach Filters toepassen"
    with phone_page.expect_navigation():
        phone_page.keyboard.press("Enter")
    assert parse_qs(urlsplit(phone_page.url).query)[ticked[0]] == [ticked[1]]


def test_open_now_counts_as_a_filter(phone_page_without_js, live_server):
    page = phone_page_without_js
    page.goto(live_server + "/zoeken?q=dementie&waar=3941&open=y&cost=gratis")
    assert page.locator(FILTERS).inner_text().strip().endswith("Filters (2)")


def test_search_edit_opens_the_form_and_searches_again(phone, live_server):
    phone.goto(live_server + "/zoeken?q=hulp+bij+boodschappen&waar=Doorn&straal=5")
    summary = phone.locator(SEARCH_EDIT)
    assert re.search(r"hulp bij boodschappen · Doorn · binnen 5\s+km\s+wijzigen", summary.inner_text())
    assert not phone.get_by_label("Wat zoekt u?").is_visible()

    summary.click()
    phone.get_by_label("Wat zoekt u?").fill("dementie")
    phone.get_by_label("Waar? Postcode of plaats").fill("Leersum")
    phone.get_by_role("button", name="Zoeken", exact=True).click()

    phone.wait_for_url(re.compile(r"q=dementie"))
    assert "Leersum" in phone.locator("h1").inner_text()
    assert phone.locator(FIRST_RESULT).count() > 0


@pytest.mark.parametrize("query", QUERIES)
def test_results_page_is_never_wider_than_a_phone(phone, live_server, query):
    phone.goto(live_server + query)
    assert phone.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    phone.locator(SEARCH_EDIT).click()
    phone.locator(FILTERS).click()
    assert phone.locator(".facets").is_visible() and phone.locator(".search-form").is_visible()
    assert phone.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]


@pytest.mark.parametrize("language", ["nl", "en"])
def test_phone_results_page_has_no_wcag_violations(phone_page, live_server, language):
    page = phone_page
    page.goto(f"{live_server}/taal/{language}?next=/")
    page.goto(live_server + QUERIES[1])
    assert COUNT.match(page.locator("h1").inner_text().strip())
    results = Axe().run(page, options=WCAG)
    assert results.violations_count == 0, results.generate_report()

    page.locator(SEARCH_EDIT).click()
    page.locator(FILTERS).click()
    results = Axe().run(page, options=WCAG)
    assert results.violations_count == 0, results.generate_report()


def test_summaries_are_large_enough_to_tap(phone_page, live_server):
    phone_page.goto(live_server + QUERIES[1])
    for selector in (SEARCH_EDIT, FILTERS):
        assert phone_page.locator(selector).bounding_box()["height"] >= 44


def test_map_view_keeps_the_same_structure(phone, live_server, request):
    goto_results(phone, live_server + "/kaart?q=dementie&waar=3941")
    assert COUNT.match(phone.locator("h1").inner_text().strip())
    assert phone.locator("details.search-edit").count() == 1
    assert phone.locator("details.filters-disclosure").count() == 1
    listed = phone.locator("ol.results > li.listing").count()
    assert listed > 0
    if request.node.callspec.params["phone"]:  # with JavaScript
        phone.wait_for_selector("#kaart .leaflet-marker-icon")
        spots = phone.eval_on_selector_all(
            "ol.results > li.listing[data-lat]",
            "items => new Set(items.map(i => i.dataset.lat + ',' + i.dataset.lon)).size",
        )
        assert phone.locator("#kaart .leaflet-marker-icon").count() == spots  # one pin per spot (#14)
    else:
        assert phone.locator("#kaart").is_hidden()


@pytest.mark.parametrize(
    "url, title",
    [
        ("/zoeken", "Zoeken in de sociale kaart"),
        ("/zoeken?q=hulp&waar=1234+AB", "Zoeken in de sociale kaart"),
    ],
)
def test_without_results_the_full_form_stays(phone_page_without_js, live_server, url, title):
    page = phone_page_without_js
    page.goto(live_server + url)
    assert page.locator("h1").inner_text().strip() == title
    assert page.locator("details.search-edit").count() == 0
    assert page.get_by_label("Wat zoekt u?").is_visible()


def test_phone_screenshots(phone_page, live_server):
    """Pictures of the phone results page for a person to look at (not compared)."""
    page = phone_page
    page.goto(live_server + QUERIES[1])
    page.screenshot(path="/tmp/phone-search-closed.png")
    page.locator(FILTERS).click()
    page.screenshot(path="/tmp/phone-search-filters-open.png")
    page.locator(FILTERS).click()
    page.locator(SEARCH_EDIT).click()
    page.screenshot(path="/tmp/phone-search-edit-open.png")
