"""Issue #4: public pages and every page a volunteer can reach before approval never show a
requester's name, street, phone or e-mail. A crawler follows every link from the start pages.
"""

from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

import pytest

from sociale_kaart.extensions import db
from sociale_kaart.matching import booking
from sociale_kaart.matching.models import Match
from tests.builders import login
from tests.matching.factories import load_areas, make_broker, make_match, make_request, make_volunteer

CONTACT = "Marieke Zonnebloemsma"
RECIPIENT = "Gerrit Zonnebloemsma"
STREET = "Kastanjelaan"
PHONE = "06-11223344"
EMAIL = "marieke.zonnebloemsma@example.org"
POSTCODE = "3941 XZ"
HEALTH = "Korsakov"  # in the description for the broker only
PRIVATE = ("Zonnebloemsma", "Marieke", STREET, PHONE, "0611223344", EMAIL, POSTCODE, HEALTH)
SKIP = ("/uitloggen", "/taal/", "/static/", "/api/")
MAX_PAGES = 400


class _Links(HTMLParser):
    def __init__(self):
        super().__init__()
        self.links = []

    def handle_starttag(self, tag, attrs):
        if tag == "a":
            href = dict(attrs).get("href")
            if href:
                self.links.append(href)


def crawl(client, starts):
    """Visit every same-site page reachable by links from the start paths; return {path: html or JSON}."""
    seen, pages, queue = set(), {}, list(starts)
    while queue and len(pages) < MAX_PAGES:
        path = queue.pop(0)
        if path in seen:
            continue
        seen.add(path)
        response = client.get(path)
        if response.status_code in (301, 302, 303):
            target = urlsplit(response.headers["Location"])
            queue.append(target.path + (f"?{target.query}" if target.query else ""))
            continue
        if response.content_type.startswith("application/json"):
            pages[path] = response.get_data(as_text=True)  # scanned too (the data download)
            continue
        if not response.content_type.startswith("text/html"):
            continue
        html = response.get_data(as_text=True)
        pages[path] = html
        parser = _Links()
        parser.feed(html)
        for href in parser.links:
            url = urlsplit(urljoin("http://localhost" + path, href))
            if url.netloc not in ("localhost", "") or url.scheme not in ("http", "https", ""):
                continue
            if any(url.path.startswith(prefix) for prefix in SKIP):
                continue
            queue.append(url.path + (f"?{url.query}" if url.query else ""))
    assert len(pages) < MAX_PAGES, "the crawl stopped at its limit; raise MAX_PAGES"
    return pages


def leaks(pages):
    return sorted({(path, word) for path, html in pages.items() for word in PRIVATE if word in html})


@pytest.fixture
def world(app):
    load_areas()
    broker = make_broker(areas=("doorn",))
    request = make_request(
        task_type="respijt",
        contact_name=CONTACT,
        recipient_name=RECIPIENT,
        recipient_first_name="Gerrit",
        street=STREET,
        house_number="12",
        contact_phone=PHONE,
        contact_email=EMAIL,
        postcode=POSTCODE,
        description=f"Vader heeft het {HEALTH}-syndroom.",
        summary="Oppas bij vader zodat ik naar de kapper kan.",
    )
    volunteer = make_volunteer(vog_valid_until=request.first_date)
    return broker, request, volunteer


def _volunteer_starts(request_id):
    return [
        "/",
        "/vrijwilliger/klussen",
        f"/vrijwilliger/klussen/{request_id}",
        "/vrijwilliger/mijn-taken",
        "/vrijwilliger/profiel",
        "/mijn-gegevens",
        "/zoeken",
    ]


def test_volunteer_pages_before_approval_show_no_personal_data(app, world):
    broker, request, volunteer = world
    request_id = request.id
    client = app.test_client()
    login(client, volunteer.user)

    # Before signing up: the task is listed, without personal data.
    pages = crawl(client, _volunteer_starts(request_id))
    assert any("Oppas bij vader" in html for html in pages.values())
    assert {
        f"/vrijwilliger/klussen/{request_id}",
        "/vrijwilliger/mijn-taken",
        "/vrijwilliger/profiel",
        "/mijn-gegevens",
        "/mijn-gegevens.json",
    } <= set(pages) and len(pages) > 25
    assert leaks(pages) == []

    # After "Ik wil helpen" and after the broker's approval, but before accepting: still nothing.
    match = make_match(request, volunteer, status="interested", source="interest")
    assert leaks(crawl(client, _volunteer_starts(request_id))) == []
    booking.approve_match(match.id, by=broker)
    assert db.session.get(Match, match.id).status == "approved"
    pages = crawl(client, _volunteer_starts(request_id))
    assert leaks(pages) == []

    # The control: once she accepts, the task page does show the address (so the scan can see it).
    booking.accept_match(match.id, by=volunteer.user)
    html = client.get(f"/vrijwilliger/klussen/{request_id}").get_data(as_text=True)
    assert STREET in html and PHONE in html


def test_public_pages_show_no_personal_data(app, world):
    broker, request, volunteer = world
    make_match(request, volunteer, status="accepted")
    pages = crawl(
        app.test_client(), ["/", "/hulp-vragen", "/zoeken", "/over-deze-kaart", f"/vrijwilliger/klussen/{request.id}"]
    )
    assert "/hulp-vragen" in pages
    assert leaks(pages) == []
