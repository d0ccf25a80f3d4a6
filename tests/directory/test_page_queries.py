"""The SQL statements of the public pages (issue #17): a fixed number, whatever the number of results.

The directory data each process keeps (vocabularies, areas, the freshness exclusion) cost one look at
the version stamp; a results page loads its listings in two statements. The search engine's own
statements (PostgreSQL full-text search) are not counted here: bench/search.py measures the engine.
"""

import re

import pytest
from sqlalchemy import event

from sociale_kaart.directory import cache
from sociale_kaart.extensions import db


@pytest.fixture
def count_statements(seeded_app, monkeypatch):
    """Return count(url, kept_cards=True, kept_pages=True): the statements of a second request of a page (the
    first fills what is kept; with kept_cards=False the listings' card data is dropped before it, with
    kept_pages=False the kept service pages), leaving out those the search engine runs inside its search
    (PostgreSQL full-text search)."""
    client = seeded_app.test_client()
    backend = seeded_app.extensions["sociale_kaart.search"]
    engine_search = backend.search
    statements: list[str] = []
    searching = []

    def search(*args, **kwargs):
        searching.append(True)
        try:
            return engine_search(*args, **kwargs)
        finally:
            searching.pop()

    def note(connection, cursor, statement, *args):
        if not searching:
            statements.append(statement)

    def count(url, kept_cards=True, kept_pages=True):
        assert client.get(url).status_code == 200
        if not kept_cards:
            seeded_app.extensions[cache._KEPT].pop("card_rows")
        if not kept_pages:
            seeded_app.extensions[cache._KEPT].pop("service-pages:nl")
        statements.clear()
        response = client.get(url)
        assert response.status_code == 200
        return len(statements), response.get_data(as_text=True)

    monkeypatch.setattr(backend, "search", search)
    event.listen(db.engine, "before_cursor_execute", note)
    yield count
    event.remove(db.engine, "before_cursor_execute", note)


def _results(page):
    return int(re.search(r'<h1 id="zoek-titel"[^>]*>\s*(\d+) result', page).group(1))


@pytest.mark.parametrize("kept_cards", [True, False])
@pytest.mark.parametrize(
    "many, few",
    [
        ("/zoeken?category=mantelzorgondersteuning", "/zoeken?category=vervoer"),
        ("/zoeken?q=mantelzorg", "/zoeken?q=maaltijd"),
        ("/kaart?q=mantelzorg", "/kaart?q=maaltijd"),
        # the search log finds the area of a place among the kept areas
        ("/zoeken?q=respijtzorg&waar=Doorn&straal=25", "/zoeken?q=maaltijd&waar=Doorn&straal=5"),
    ],
)
def test_a_results_page_runs_the_same_statements_for_many_results_and_few(count_statements, many, few, kept_cards):
    # the stamp and the search log; the listings and their opening hours when their card data is not kept
    statements = 2 if kept_cards else 4
    count_many, page_many = count_statements(many, kept_cards)
    count_few, page_few = count_statements(few, kept_cards)
    assert _results(page_many) >= 20 > _results(page_few) >= 3
    assert count_many == count_few == statements


def test_a_visit_without_a_search_logs_nothing_and_the_home_page_reads_only_the_stamp(count_statements):
    assert count_statements("/zoeken")[0] == 1  # the stamp (the listings' card data is kept)
    assert count_statements("/zoeken", kept_cards=False)[0] == 3  # the stamp, the listings, their opening hours
    assert count_statements("/")[0] == 1
    assert count_statements("/onderwerpen")[0] == 1


def test_a_service_page_runs_a_fixed_number_of_statements(count_statements, seeded_app):
    client = seeded_app.test_client()
    links = re.findall(r'href="(/aanbod/\d+/[^"?]+)', client.get("/zoeken").get_data(as_text=True))
    # a kept page: the stamp
    assert {count_statements(link)[0] for link in links[:6]} == {1}
    # rendered: the service, its categories, target groups, areas, locations and hours; its organisation's
    # others; the stamp; the similar listings nearby in two when their card data is not kept
    assert {count_statements(link, kept_pages=False)[0] for link in links[:6]} == {8}
    assert {count_statements(link, kept_cards=False, kept_pages=False)[0] for link in links[:6]} == {10}
