"""Public directory pages: status codes, friendly errors, what each page shows."""

import re
from html import escape

import pytest

from sociale_kaart.directory.models import Organization, Service


def html(response):
    return response.get_data(as_text=True)


@pytest.mark.parametrize(
    "args, message",
    [
        ({"q": "hulp", "waar": "1234 AB"}, "We kennen postcode"),
        ({"q": "hulp", "waar": "Nergensdorp"}, "We kennen de plaats"),
        ({"q": "a" * 2000}, "hoogstens 200 tekens"),
        ({"q": "x", "waar": "y" * 500}, "hoogstens 100 tekens"),
    ],
)
def test_bad_input_gets_a_friendly_dutch_page_and_keeps_the_text(demo_client, args, message):
    response = demo_client.get("/zoeken", query_string=args)
    assert response.status_code == 200
    body = html(response)
    assert message in body
    assert 'class="error-summary"' in body and 'role="alert"' in body
    # what was typed is still in the form (escaped)
    assert f'value="{args["q"]}"' in body


def test_unknown_postcode_offers_nearby_postcodes(demo_client):
    body = html(demo_client.get("/zoeken", query_string={"q": "hulp", "waar": "1234 AB"}))
    assert "Bedoelde u een van deze?" in body
    assert re.search(r"waar=12\d\d", body)


def test_postcode_far_outside_the_municipality_gets_a_friendly_notice(demo_client):
    response = demo_client.get("/zoeken", query_string={"q": "hulp", "waar": "9999 ZZ", "straal": "5"})
    assert response.status_code == 200
    body = html(response)
    assert "buiten de gemeente" in body and "Kantens" in body


@pytest.mark.parametrize(
    "args",
    [
        {"q": "", "waar": ""},
        {"q": "hulp", "waar": ""},
        {"q": "<script>alert('x')</script>", "waar": "Doorn"},
        {"q": "' OR 1=1; DROP TABLE services; --", "waar": "3941"},
        {"q": '" AND ( OR ~ * ^', "waar": "'s-Graveland"},
        {"q": "hulp", "straal": "999", "sorteer": "evil", "pagina": "abc"},
        {"q": "hulp", "category": "bestaat-niet", "pagina": "99999"},
        {"q": "hulp", "pagina": "²", "straal": " "},  # issue #12: both gave a 500
        {"q": "hulp\x00", "waar": "Doorn\x1b", "sorteer": "\x00"},
    ],
)
def test_strange_input_never_breaks_the_results_page(demo_client, args):
    response = demo_client.get("/zoeken", query_string=args)
    assert response.status_code == 200
    body = html(response)
    assert "<script>alert" not in body


def test_results_show_distance_and_key_facts(demo_client):
    body = html(demo_client.get("/zoeken", query_string={"q": "respijtzorg", "waar": "3941", "sorteer": "distance"}))
    assert re.search(r'class="listing__distance">[\d,]+ (km|m)<', body)
    assert "Zonder indicatie" in body or "Met indicatie of verwijzing" in body
    assert "resultaten" in body


def test_map_page_lists_the_same_results_with_coordinates(demo_client):
    body = html(demo_client.get("/kaart", query_string={"q": "dementie", "waar": "Leersum", "straal": "5"}))
    assert 'id="kaart"' in body and "leaflet.js" in body
    assert re.search(r'data-lat="52\.\d+"', body)


def test_service_page_shows_all_parts(demo_client, demo_db):
    service = demo_db.query(Service).filter(Service.phone.isnot(None)).first()
    body = html(demo_client.get(f"/aanbod/{service.id}/{service.slug}"))
    for text in (service.name, "Volgende stap", "Gecontroleerd op", "Openingstijden", 'href="tel:+31', "Afdrukken"):
        assert text in body


def test_organization_page_lists_its_services(demo_client, demo_db):
    organization = demo_db.query(Organization).first()
    body = html(demo_client.get(f"/organisatie/{organization.slug}"))
    assert escape(organization.name) in body
    assert all(escape(service.name) in body for service in organization.services if service.is_published)


@pytest.mark.parametrize(
    "url",
    [
        "/",
        "/onderwerpen",
        "/onderwerpen/respijtzorg",
        "/over-deze-kaart",
        "/onderwerpen/respijtzorg?waar=Doorn&straal=5",
        "/kaart",
        "/zoeken",
    ],
)
def test_public_pages_render(demo_client, url):
    response = demo_client.get(url)
    assert response.status_code == 200
    # headings go down one level at a time (axe heading-order: a category's cards are h3 under an h2)
    main = html(response).split("<main", 1)[1].split("</main>", 1)[0]
    levels = [int(level) for level in re.findall(r"<h([1-6])\b", main)]
    assert levels and levels[0] == 1, levels
    assert all(after - before <= 1 for before, after in zip(levels, levels[1:], strict=False)), levels


@pytest.mark.parametrize(
    "url", ["/aanbod/999999", "/organisatie/bestaat-niet", "/onderwerpen/bestaat-niet", "/nergens"]
)
def test_unknown_pages_get_a_dutch_404(demo_client, url):
    response = demo_client.get(url)
    assert response.status_code == 404
    assert "Deze pagina bestaat niet" in html(response)


def test_about_page_credits_geonames(demo_client):
    body = html(demo_client.get("/over-deze-kaart"))
    assert "GeoNames" in body and "CC BY 4.0" in body and "creativecommons.org/licenses/by/4.0" in body


def test_home_has_search_form_situations_and_emergency_numbers(demo_client):
    body = html(demo_client.get("/"))
    for text in (
        'name="q"',
        'name="waar"',
        "Ik zorg voor iemand",
        "Ik wil minder alleen zijn",
        "Ik heb geldzorgen",
        'href="tel:112"',
        'href="tel:113"',
        "huisartsenpost",
    ):
        assert text in body


def test_pages_send_a_strict_content_security_policy(demo_client):
    policy = demo_client.get("/").headers["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "unsafe-inline" not in policy


def test_search_engine_failure_gets_a_friendly_page(app, client, monkeypatch):
    from sociale_kaart import search
    from sociale_kaart.directory import services

    def broken(*args, **kwargs):
        raise search.SearchError("index unavailable")

    monkeypatch.setattr(services.search_backend(), "search", broken)
    response = client.get("/zoeken", query_string={"q": "hulp", "waar": "Doorn"})
    assert response.status_code == 200
    assert "Zoeken lukt nu even niet" in html(response)
    assert 'value="hulp"' in html(response)


# --- from a listing to help (issue #11) --------------------------------------------------------


@pytest.fixture
def areas(app):
    from tests.matching.factories import load_areas

    return load_areas()


def test_no_results_for_a_volunteer_task_offer_a_volunteer_and_the_dorpsteam(areas, client):
    body = html(client.get("/zoeken", query_string={"q": "hulp bij boodschappen", "waar": "Doorn"}))
    assert "Geen resultaten gevonden" in body
    assert 'href="/hulp-vragen?taak=boodschappen"' in body and "Vraag een vrijwilliger" in body
    assert "Dorpsteam Doorn (demo)" in body and 'href="tel:+31343000192"' in body and "0343 000 192" in body
    assert "dinsdag 9.00–11.00 in het dorpshuis" in body
    assert body.count("Liever iemand spreken?") == 1  # the tips leave it to the box with the dorpsteam


def test_without_a_place_the_offer_links_to_the_dorpsteams_on_the_home_page(areas, client):
    body = html(client.get("/zoeken", query_string={"q": "iemand voor de tuin"}))
    assert 'href="/hulp-vragen?taak=tuin"' in body
    assert 'href="/#dorpsteams"' in body and "(demo)" not in body


def test_few_results_offer_the_task_of_their_category(areas, client):
    from tests.builders import make_service

    make_service(name="Logeeropvang Doorn")  # category respijtzorg
    body = html(client.get("/zoeken", query_string={"q": "logeeropvang", "waar": "3941"}))
    assert "Logeeropvang Doorn" in body
    assert 'href="/hulp-vragen?taak=respijt"' in body and "Dorpsteam Doorn (demo)" in body


def test_a_search_without_a_volunteer_task_offers_only_the_dorpsteam(areas, client):
    body = html(client.get("/zoeken", query_string={"q": "schuldhulp", "waar": "Leersum"}))
    assert "Vraag een vrijwilliger" not in body and "/hulp-vragen?taak=" not in body
    assert "Dorpsteam Leersum (demo)" in body


def test_many_results_need_no_offer(demo_client):
    body = html(demo_client.get("/zoeken", query_string={"q": "respijtzorg", "waar": "Doorn"}))
    assert "Vraag een vrijwilliger" not in body and "Dorpsteam Doorn (demo)" not in body


def test_service_page_offers_a_volunteer_for_a_volunteer_kind_of_service(app, client):
    from tests.builders import make_service

    respite = make_service(categories=("respijtzorg",))
    money = make_service(categories=("geld_schulden",))
    body = html(client.get(f"/aanbod/{respite.id}"))
    assert "Liever hulp van een vrijwilliger?" in body and 'href="/hulp-vragen?taak=respijt"' in body
    body = html(client.get(f"/aanbod/{money.id}"))
    assert "Liever hulp van een vrijwilliger?" not in body and "Vraag een vrijwilliger" not in body


def test_service_page_shows_the_werkgebied_and_accessibility_an_import_gave_in_words(app, client):
    """Issue #18: a service area and accessibility in words, and a language beyond our list, as imported."""
    from tests.builders import make_location, make_service

    location = make_location(
        postal_code="ABC 1234",
        country="US",
        accessibility=["ringleiding"],
        accessibility_note="The building is equipped with induction loops.",
        accessibility_details="Switch hearing aid to T-coil.",
    )
    service = make_service(
        location=location,
        area_note="All residents of the MyCity area.",
        area_note_details="Including all postcodes starting with AB1.",
        languages=["nl", "so"],
    )
    body = html(client.get(f"/aanbod/{service.id}/{service.slug}"))
    assert "Werkgebied: All residents of the MyCity area." in body
    assert "<p>Including all postcodes starting with AB1.</p>" in body
    assert "<li>Ringleiding</li>" in body
    assert "<p>The building is equipped with induction loops.</p>" in body
    assert "<p>Switch hearing aid to T-coil.</p>" in body
    assert "ABC 1234 Doorn" in body
    assert "Talen: Nederlands, Somalisch" in body  # in English too: tests/directory/test_vocabularies.py


def test_service_page_without_those_words_shows_no_werkgebied_and_says_accessibility_is_unknown(app, client):
    from tests.builders import make_service

    service = make_service()
    body = html(client.get(f"/aanbod/{service.id}/{service.slug}"))
    assert "Werkgebied" not in body
    assert "Over de toegankelijkheid van deze plek weten we niets." in body


def test_a_language_beyond_our_list_is_a_search_filter_with_babels_name(app, client):
    from tests.builders import make_service

    service = make_service(languages=["so"])
    body = html(client.get("/zoeken", query_string={"language": "so"}))
    assert escape(service.name) in body
    assert re.search(r'value="so" checked>\s*<label for="f-language-so">Somalisch <span class="count">\(1\)', body)


def test_a_later_results_page_says_which_page_it_is_and_one_past_the_end_leads_back(areas, client):
    from tests.builders import make_service

    for number in range(25):
        make_service(name=f"Koffieochtend {number}")
    first = html(client.get("/zoeken", query_string={"q": "koffieochtend"}))
    assert "pagina 1 van" not in first
    second = html(client.get("/zoeken", query_string={"q": "koffieochtend", "pagina": 2}))
    assert re.search(r"<title>\d+ resultaten voor ‘koffieochtend’, pagina 2 van 2 –", second)
    assert re.search(r'<h1 id="zoek-titel"[^>]*>\d+ resultaten voor ‘koffieochtend’, pagina 2 van 2</h1>', second)
    past = html(client.get("/zoeken", query_string={"q": "koffieochtend", "pagina": 9}))
    assert "Zoveel pagina’s met resultaten zijn er niet." in past
    assert 'href="/zoeken?q=koffieochtend&amp;pagina=2">Naar de laatste pagina (2)</a>' in past
