"""Language switch and page-wide behaviour."""

import re

import pytest

from sociale_kaart.directory import vocabularies
from sociale_kaart.urls import from_this_site, safe_next


def test_language_switch_to_english_and_back(demo_client):
    response = demo_client.get("/taal/en", query_string={"next": "/zoeken?q=hulp"})
    assert response.status_code == 302 and response.headers["Location"].endswith("/zoeken?q=hulp")
    body = demo_client.get("/").get_data(as_text=True)
    assert '<html lang="en">' in body
    assert "Search" in body
    demo_client.get("/taal/nl")
    assert '<html lang="nl">' in demo_client.get("/").get_data(as_text=True)


@pytest.mark.parametrize(
    "target, expected",
    [
        ("/zoeken?q=x", "/zoeken?q=x"),
        ("//evil.example", None),
        ("https://evil.example/", None),
        ("/\\evil", None),
        ("", None),
        (None, None),
        ("javascript:alert(1)", None),
        ("/\r\nSet-Cookie: x=1", None),
        ("/zoeken\x00", None),
        ("/zoeken\x85", None),  # issue #12
    ],
)
def test_safe_next_only_allows_local_paths(target, expected):
    assert safe_next(target) == expected


@pytest.mark.parametrize(
    "fetch_site, expected",
    [(None, True), ("same-origin", True), ("none", True), ("same-site", False), ("cross-site", False)],
)
def test_from_this_site_trusts_only_this_origin(fetch_site, expected):
    assert from_this_site(fetch_site) is expected


def test_language_switch_ignores_foreign_next(demo_client):
    response = demo_client.get("/taal/en", query_string={"next": "https://evil.example/"})
    assert response.headers["Location"].endswith("/")
    demo_client.get("/taal/nl")


def test_home_lists_the_dorpsteams(demo_client):
    """Issue #11: "Hulp in uw dorp" with each village's dorpsteam; the search page links here."""
    body = demo_client.get("/").get_data(as_text=True)
    assert 'id="dorpsteams"' in body and "Hulp in uw dorp" in body
    assert body.count("Dorpsteam ") >= 7 and "Dorpsteam Overberg (demo)" in body
    assert 'href="tel:+31343000192"' in body and 'href="mailto:dorpsteam-doorn@heuvelrug.example.org"' in body
    assert "dinsdag 9.00–11.00 in het dorpshuis" in body


def test_home_without_contacts_has_no_dorpsteam_block(client):
    assert 'id="dorpsteams"' not in client.get("/").get_data(as_text=True)


TOPIC_TILE = re.compile(r'href="(/onderwerpen/[a-z_]+(?:\?gemeente=[a-z-]+)?)">[^<]*<span class="count">\((\d+)\)')
RESULT_COUNT = re.compile(r'class="results-summary__count">(?:(\d+) resulta|Geen resultaten)')


def _results_of(client, url):
    """Return the number of results a topic page says it has."""
    summary = RESULT_COUNT.search(client.get(url).get_data(as_text=True))
    assert summary, url
    return int(summary.group(1) or 0)


@pytest.mark.parametrize("path", ["/", "/utrechtse-heuvelrug/", "/rhenen/"])
def test_each_topic_tile_counts_the_results_of_the_page_it_opens(demo_client, path):
    """A tile said "Cliëntondersteuning (10)" while its page listed 12: it counted services, the page listings."""
    tiles = TOPIC_TILE.findall(demo_client.get(path).get_data(as_text=True))
    assert len(tiles) == len(vocabularies.CATEGORIES)
    shown = {url: int(count) for url, count in tiles}
    assert {url: _results_of(demo_client, url) for url in shown} == shown


def test_the_topics_page_counts_as_the_home_pages_tiles(demo_client):
    listed = re.findall(
        r'href="(/onderwerpen/[a-z_]+)"><span class="category-list__name">[^<]*</span> <span class="count">\((\d+) ',
        demo_client.get("/onderwerpen").get_data(as_text=True),
    )
    assert len(listed) == len(vocabularies.CATEGORIES)
    assert listed == TOPIC_TILE.findall(demo_client.get("/").get_data(as_text=True))
