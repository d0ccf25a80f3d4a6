"""Small things from issue #14: a meta description on every page, no empty filter group."""

import re

from sqlalchemy import select

from sociale_kaart.directory.models import Service
from sociale_kaart.extensions import db


def _description(html):
    found = re.search(r'<meta name="description" content="([^"]*)">', html)
    assert found, "no meta description"
    return found.group(1)


def test_home_search_and_service_have_their_own_description(demo_app, demo_client):
    with demo_app.app_context():
        service = db.session.scalars(select(Service).where(Service.publication_status == "published")).first()
        service_id, summary = service.id, service.summary
    home = _description(demo_client.get("/").get_data(as_text=True))
    search = _description(demo_client.get("/zoeken?q=hulp").get_data(as_text=True))
    detail = _description(demo_client.get(f"/aanbod/{service_id}").get_data(as_text=True))
    assert home and search and detail
    assert len({home, search, detail}) == 3
    assert summary[:40] in detail


def test_a_filter_group_without_options_is_not_shown(demo_client):
    html = demo_client.get("/zoeken?q=hulp").get_data(as_text=True)
    for group in re.findall(r'<fieldset class="facet">(.*?)</fieldset>', html, re.S):
        assert 'type="checkbox"' in group, group[:200]
