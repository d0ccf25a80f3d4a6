"""One consistent result set (#11): the text decides what matches, the place and radius only remove far ones."""

import pytest

from sociale_kaart.directory import services
from sociale_kaart.extensions import db

QUERIES = [
    "hulp bij boodschappen",
    "boodschappen",
    "dementie",
    "hulp bij dementie",
    "hulp voor mantelzorgers",
    "iemand die met mijn moeder wandelt",
    "koffie",
    "eenzaam",
    "respijtzorg logeren",
    "shopping",
    "vervoer naar het ziekenhuis",
    "ik zoek hulp met formulieren",
]
PLACES = ["Doorn", "3941", "Leersum", "Maarn", "3972 AB"]
RADII = [1, 2, 5, 10, 25, None]  # None: the whole municipality (no radius)


@pytest.fixture(autouse=True)
def _context(demo_app):
    with demo_app.test_request_context():
        yield
        db.session.remove()


def found(text, where, radius_km):
    """Return the ids of every listing a search finds, over all pages."""
    page = services.search_listings(services.SearchCriteria(text=text, where=where, radius_km=radius_km, per_page=500))
    assert page.pages <= 1
    return {listing.link.id for listing in page.listings}


@pytest.mark.parametrize("text", QUERIES)
@pytest.mark.parametrize("where", PLACES)
def test_a_smaller_radius_never_finds_more(text, where):
    sets = [found(text, where, radius) for radius in RADII]
    for smaller, larger, radius in zip(sets[:-1], sets[1:], RADII[1:], strict=True):
        assert smaller <= larger, f"{text!r} at {where}: more within a smaller radius than within {radius} km"
    assert sets[-1] == found(text, "", None), "a place without a radius removes nothing"


@pytest.mark.parametrize("text", ["hulp bij boodschappen", "boodschappen"])
def test_need_less_words_change_nothing(text):
    assert found("hulp bij boodschappen", "", None) == found("boodschappen", "", None)


def test_within_a_radius_every_result_is_as_good_as_without_one():
    """The order with a place weighs distance; nothing is added that the text did not match."""
    everywhere = found("hulp bij boodschappen", "Doorn", None)
    for radius in (1, 2, 5, 10):
        assert found("hulp bij boodschappen", "Doorn", radius) <= everywhere
