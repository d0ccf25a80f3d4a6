"""Issue #19 acceptance in a real browser: a son picks three services for his mother on a 360 × 740 phone,
prints the list (every item with its phone number, nothing cut off), e-mails it over real SMTP and opens
the short link in a fresh browser; the same without JavaScript. The wegwijzer of a demo village prints on
A4 portrait in few pages and passes axe-core."""

import math
import re

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from sociale_kaart.extensions import db
from sociale_kaart.lists import booklet
from sociale_kaart.lists.models import SharedList
from sociale_kaart.notify import services as notify
from sociale_kaart.notify.models import OutboxMessage
from tests.browser.conftest import WIDEST, assert_no_wcag_violations, demo_site

pytestmark = pytest.mark.browser

SON_TYPES = "zoon.van.mevrouw.jansen@example.org"  # typed into the form once, kept nowhere
A4_POINTS = (595.28, 841.89)  # width and height of A4 in PDF points


@pytest.fixture
def lists_site(tmp_path, smtp_server):
    """The demo directory served on a free port, sending e-mail to a real SMTP server."""
    with demo_site(tmp_path, "lists_journey", smtp_server) as site:
        yield site


def _click(page, locator):
    with page.expect_navigation():
        locator.click()
    page.wait_for_load_state()


def _pick_three(page, base):
    """Put three services on the list from a results page: the first through its own page (no session yet)."""
    page.goto(base + "/zoeken?category=mantelzorgondersteuning&waar=Doorn")
    _click(page, page.locator(".listing a.button", has_text="Zet op mijn lijstje").first)
    _click(page, page.get_by_role("button", name="Ja, zet op mijn lijstje"))
    expect(page.locator(".listing .list-add__done").first).to_be_visible()
    for _ in range(2):
        _click(page, page.locator(".listing").get_by_role("button", name=re.compile("^Zet op mijn lijstje")).first)
    expect(page.locator(".site-nav a", has_text="Mijn lijstje (3)")).to_be_attached()  # the folded menu


def _fits_the_width(page):
    width = page.evaluate("innerWidth")
    assert page.evaluate("document.documentElement.scrollWidth") <= width, page.evaluate(WIDEST)


@pytest.mark.parametrize("javascript", [True, False], ids=["with-js", "without-js"])
def test_pick_three_print_mail_and_open_the_short_link(browser, lists_site, smtp_server, javascript):
    app, base = lists_site
    phone = browser.new_context(viewport={"width": 360, "height": 740}, java_script_enabled=javascript, locale="nl-NL")
    page = phone.new_page()
    _pick_three(page, base)

    page.goto(base + "/lijstje")
    items = page.locator(".handout__item")
    expect(items).to_have_count(3)
    names = [items.nth(i).locator(".handout__name a").inner_text() for i in range(3)]
    _fits_the_width(page)
    _click(page, items.nth(2).get_by_role("button", name=re.compile("^Omhoog")))
    names = [names[0], names[2], names[1]]
    expect(items.nth(1).locator(".handout__name a")).to_have_text(names[1])
    if javascript:
        expect(page.get_by_role("button", name="Lijstje afdrukken")).to_be_visible()
        assert_no_wcag_violations(page)

    # Printed: only the list, each item whole with its phone number, the dorpsteam at the bottom.
    page.emulate_media(media="print")
    for index in range(3):
        item = items.nth(index)
        expect(item).to_be_visible()
        expect(item.locator(".handout__phone")).to_have_text(re.compile(r"^0\d{3} \d{3} \d{3}$"))
        assert item.evaluate("e => e.scrollWidth <= e.clientWidth && e.scrollHeight <= e.clientHeight + 1")
    _fits_the_width(page)
    expect(page.locator(".handover")).to_be_hidden()
    expect(page.locator(".handout__controls").first).to_be_hidden()
    expect(page.locator(".site-footer")).to_be_hidden()
    expect(page.locator(".handout__footer .area-contact")).to_be_visible()
    page.emulate_media(media="screen")

    # E-mailed to a typed address over real SMTP: the address is gone once the mail is sent.
    page.get_by_label("E-mailadres").fill(SON_TYPES)
    _click(page, page.get_by_role("button", name="Lijstje mailen"))
    expect(page.get_by_text("Het lijstje is verstuurd.")).to_be_visible()
    with app.app_context():
        assert notify.send_due() == (1, 0)
        assert db.session.scalar(select(OutboxMessage.id)) is None
        db.session.remove()
    mails = [message for message in smtp_server.messages if SON_TYPES in message.envelope_recipients]
    assert len(mails) == 1
    text = mails[0].get_body(preferencelist=("plain",)).get_content()
    assert all(name in text for name in names)
    link = re.search(rf"{re.escape(base)}/l/[A-Za-z0-9_-]+", text).group(0)

    # The short link in a fresh browser: the same list, read-only.
    fresh = browser.new_context(viewport={"width": 360, "height": 740}, java_script_enabled=javascript)
    other = fresh.new_page()
    other.goto(link)
    shown = other.locator(".handout__item .handout__name a")
    expect(shown).to_have_count(3)
    assert [shown.nth(i).inner_text() for i in range(3)] == names
    assert other.locator("form[method=post]").count() == 0
    _fits_the_width(other)
    if javascript:
        assert_no_wcag_violations(other)
    with app.app_context():
        assert db.session.scalar(select(SharedList.token)) in link
        db.session.remove()
    fresh.close()
    phone.close()


def test_the_wegwijzer_of_a_demo_village_prints_on_a4_portrait_and_passes_axe(page, live_server, demo_app):
    with demo_app.app_context():
        count = booklet.wegwijzer("doorn").service_count
        db.session.remove()
    page.goto(live_server + "/wegwijzer/doorn")
    expect(page.locator(".booklet .handout__item")).to_have_count(count)
    assert_no_wcag_violations(page)
    pdf = page.pdf(prefer_css_page_size=True)
    sizes = {tuple(float(n) for n in box) for box in re.findall(rb"/MediaBox\s*\[\s*0 0 ([\d.]+) ([\d.]+)\s*\]", pdf)}
    assert sizes and all(abs(w - A4_POINTS[0]) < 1 and abs(h - A4_POINTS[1]) < 1 for w, h in sizes)  # A4 portrait
    pages = len(re.findall(rb"/Type\s*/Page\b(?!s)", pdf))
    print(f"wegwijzer Doorn: {count} services on {pages} A4 pages")
    assert 1 <= pages <= math.ceil(count / 4) + 1  # four services a page or more, and the cover lines


def test_the_wegwijzer_on_a_phone_without_javascript(phone_page_without_js, live_server):
    page = phone_page_without_js
    page.goto(live_server + "/wegwijzer")
    _click(page, page.get_by_role("link", name="Wegwijzer Maarn"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Wegwijzer Maarn")
    expect(page.locator(".handout__footer .area-contact")).to_be_visible()
    _fits_the_width(page)
