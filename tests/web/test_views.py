"""Language switch and page-wide behaviour."""

import pytest

from sociale_kaart.urls import safe_next


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
