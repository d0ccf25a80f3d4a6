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


def test_each_filter_group_folds_and_opens_with_a_count_when_one_of_its_filters_is_on(demo_client):
    """The groups fold (a keyboard reaches "Filters toepassen" past ten summaries, not sixty checkboxes); a group
    with a filter on is open and says how many."""
    html = demo_client.get("/zoeken?q=hulp").get_data(as_text=True)
    groups = re.findall(r'<details class="facet-group"( open)?>\s*<summary>([^<]*)</summary>', html)
    assert len(groups) >= 5 and all(opened == "" for opened, _title in groups)
    html = demo_client.get("/zoeken?q=hulp&category=respijtzorg").get_data(as_text=True)
    groups = dict(
        (title, opened)
        for opened, title in re.findall(r'<details class="facet-group"( open)?>\s*<summary>([^<]*)<', html)
    )
    assert groups["Onderwerp (1)"] == " open"
    assert [title for title, opened in groups.items() if opened] == ["Onderwerp (1)"]
