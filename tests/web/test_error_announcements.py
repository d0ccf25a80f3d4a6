"""A form sent with errors says so at once: the page title starts with "Fout:" and the error summary takes the
focus when the page opens (WCAG 3.3.1, 4.1.3), on every form of the site, not only the help request's steps."""

import re

import pytest

from sociale_kaart.extensions import db
from tests.builders import make_service
from tests.workspace.helpers import post

SUMMARY_WITH_FOCUS = re.compile(r'<div class="error-summary"[^>]*\bautofocus\b')


def _title(response) -> str:
    found = re.search(r"<title>(.*?)</title>", response.get_data(as_text=True), re.S)
    assert found, "the page has no title"
    return found.group(1).strip()


@pytest.fixture
def service_id(app):
    service = make_service()
    db.session.commit()
    return service.id


SENT_WRONG = {
    "a place we do not know": ("GET", "/zoeken?q=hulp&waar=Blablaburg", None),
    "a wrong password": ("POST", "/inloggen", {"email": "niemand@example.org", "password": "fout-wachtwoord"}),
    "an empty registration": ("POST", "/registreren", {}),
    "an empty worry about someone": ("POST", "/zorgen-over-iemand", {}),
    "an empty report on a listing": ("POST", "/aanbod/{service_id}/melding", {}),
}


@pytest.mark.parametrize("method, url, data", SENT_WRONG.values(), ids=SENT_WRONG.keys())
def test_a_form_sent_with_errors_says_so_in_the_title_and_takes_the_focus(app, client, service_id, method, url, data):
    url = url.format(service_id=service_id)
    response = client.get(url) if method == "GET" else post(client, app, url, data)
    page = response.get_data(as_text=True)
    assert 'class="error-summary"' in page, f"{url} shows no error summary"
    assert _title(response).startswith("Fout: ")
    assert SUMMARY_WITH_FOCUS.search(page)


@pytest.mark.parametrize("url", ["/zoeken?q=hulp", "/inloggen", "/zorgen-over-iemand", "/aanbod/{service_id}/melding"])
def test_a_page_without_errors_has_its_own_title(app, client, service_id, url):
    response = client.get(url.format(service_id=service_id))
    assert response.status_code == 200
    assert not _title(response).startswith("Fout")
    assert 'class="error-summary"' not in response.get_data(as_text=True)
