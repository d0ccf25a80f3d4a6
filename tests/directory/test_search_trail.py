"""The "Zoeken" breadcrumb of a service page leads back to the results it was opened from (#14)."""

import re
from html import unescape

import pytest

from tests.builders import make_service


def _breadcrumb(html):
    return unescape(re.search(r'<p class="breadcrumbs"><a href="([^"]*)">', html).group(1))


def test_a_result_links_to_its_service_with_the_search_and_back(client):
    service = make_service(name="Boodschappenhulp Doorn")
    html = client.get("/zoeken?q=boodschappen&straal=5&pagina=1").get_data(as_text=True)
    link = unescape(re.search(rf'href="(/aanbod/{service.id}/[^"]*)"', html).group(1))
    assert "zoek=" in link
    page = client.get(link).get_data(as_text=True)
    assert _breadcrumb(page) == "/zoeken?q=boodschappen&straal=5&pagina=1"
    assert (
        f'<link rel="canonical" href="http://localhost/aanbod/{service.id}/' in page
    )  # one address for search engines


def test_from_the_map_the_breadcrumb_leads_back_to_the_map(client):
    service = make_service(name="Boodschappenhulp Doorn")
    html = client.get("/kaart?q=boodschappen").get_data(as_text=True)
    link = unescape(re.search(rf'href="(/aanbod/{service.id}/[^"]*)"', html).group(1))
    assert _breadcrumb(client.get(link).get_data(as_text=True)) == "/kaart?q=boodschappen"


@pytest.mark.parametrize(
    "trail, back",
    [
        (None, "/zoeken"),
        ("", "/zoeken"),
        ("q=eten&next=//evil.example&x=1", "/zoeken?q=eten"),  # only search parameters survive
        ("q=a%0d%0aSet-Cookie:x", "/zoeken"),  # control characters dropped
        ("q=" + "a" * 500, "/zoeken"),  # too long
        ("&".join(["q=a"] * 500), "/zoeken"),  # too many fields
        ("%zz=%%%", "/zoeken"),
    ],
)
def test_a_crafted_trail_gives_the_plain_search_page_never_an_error(client, trail, back):
    service = make_service()
    url = f"/aanbod/{service.id}/{service.slug}" + ("" if trail is None else "?zoek=" + trail.replace("&", "%26"))
    response = client.get(url)
    assert response.status_code == 200
    assert _breadcrumb(response.get_data(as_text=True)) == back
