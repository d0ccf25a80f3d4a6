"""HTTP caching (issue #17): ETag and 304, Cache-Control, fingerprinted static files, compression."""

import gzip
import hashlib
import re
from pathlib import Path

import pytest

from sociale_kaart import transactions
from sociale_kaart.web import caching
from tests.builders import login, make_service, make_user

BROWSER = {"Accept-Encoding": "gzip"}


@pytest.mark.parametrize("url", ["/", "/zoeken", "/zoeken?category=respijtzorg", "/onderwerpen", "/api/hsds/services"])
def test_a_public_page_has_an_etag_and_answers_304_while_it_is_the_same(demo_client, url):
    first = demo_client.get(url)
    assert first.status_code == 200 and first.headers["ETag"]
    assert first.headers["Cache-Control"] in ("no-cache, public", "public, no-cache")  # kept, asked again each time
    again = demo_client.get(url, headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304 and again.data == b""
    assert again.headers["ETag"] == first.headers["ETag"]


def test_a_change_gives_a_new_etag_and_a_full_answer(seeded_app):
    client = seeded_app.test_client()
    first = client.get("/api/hsds/services")
    assert first.headers["Last-Modified"]
    since = {"If-Modified-Since": first.headers["Last-Modified"]}
    assert client.get("/api/hsds/services", headers=since).status_code == 304
    service = make_service(name="Aaa eerste in de lijst")
    changed = client.get("/api/hsds/services", headers={"If-None-Match": first.headers["ETag"]})
    assert changed.status_code == 200 and changed.headers["ETag"] != first.headers["ETag"]
    assert service.name in changed.get_data(as_text=True)
    home = client.get("/")
    service.publication_status = "archived"
    transactions.commit()
    assert client.get("/", headers={"If-None-Match": home.headers["ETag"]}).status_code == 200  # its category count


def test_a_page_with_a_session_or_a_login_is_private(app, client):
    service = make_service()
    user = make_user(roles=("editor",))
    # first: the test's requests share one app context, and Flask-WTF keeps a form token in it
    service_page = app.test_client().get(f"/aanbod/{service.id}/{service.slug}")  # a visitor without a cookie
    assert service_page.status_code == 200 and "Set-Cookie" in service_page.headers
    assert service_page.cache_control.private  # its report form's token sets a session cookie
    client.get("/taal/en")  # a session cookie: the language
    page = client.get("/zoeken")
    assert page.cache_control.private and not page.cache_control.public
    assert "Cookie" in page.headers["Vary"]
    login(client, user)
    assert client.get("/").cache_control.private


def test_pages_for_one_person_and_errors_get_no_validators(demo_client):
    assert "ETag" not in demo_client.get("/bestaat-niet").headers
    assert "ETag" not in demo_client.get("/inloggen").headers


def test_static_urls_carry_a_hash_of_the_content_and_are_kept_a_year(app, client):
    page = client.get("/over-deze-kaart").get_data(as_text=True)
    url = re.search(r'href="(/static/css/main\.css\?v=([0-9a-f]{12}))"', page)
    assert url, "the style sheet's URL has no content hash"
    content = (Path(app.static_folder) / "css" / "main.css").read_bytes()
    assert url.group(2) == hashlib.sha256(content).hexdigest()[:12]
    kept = client.get(url.group(1))
    assert kept.status_code == 200
    assert kept.cache_control.max_age == caching.STATIC_MAX_AGE and kept.cache_control.immutable
    for other in ("/static/css/main.css", "/static/css/main.css?v=000000000000"):
        response = client.get(other)
        assert response.status_code == 200
        assert not response.cache_control.immutable and not response.cache_control.max_age
        response.close()
    kept.close()


def test_pages_json_and_style_sheets_are_compressed_when_the_client_accepts_it(demo_client):
    plain = demo_client.get("/zoeken")
    packed = demo_client.get("/zoeken", headers=BROWSER)
    assert "Content-Encoding" not in plain.headers
    assert packed.headers["Content-Encoding"] == "gzip" and "Accept-Encoding" in packed.headers["Vary"]
    assert gzip.decompress(packed.data) == plain.data
    assert packed.headers["ETag"] != plain.headers["ETag"]  # one validator per encoding
    assert demo_client.get("/zoeken", headers={**BROWSER, "If-None-Match": packed.headers["ETag"]}).status_code == 304
    api = demo_client.get("/api/hsds/services", headers=BROWSER)
    assert api.headers["Content-Encoding"] == "gzip"
    css = demo_client.get("/static/css/main.css", headers=BROWSER)
    plain_css = demo_client.get("/static/css/main.css")
    assert css.headers["Content-Encoding"] == "gzip" and gzip.decompress(css.get_data()) == plain_css.get_data()
    css.close()
    plain_css.close()
