"""Directory services on the demo municipality (read-only: uses the shared demo app)."""

from datetime import datetime, time, timedelta

import pytest

from sociale_kaart import clock, geo
from sociale_kaart.directory import freshness, services
from sociale_kaart.directory.models import Service
from sociale_kaart.errors import NotFound, ValidationError
from sociale_kaart.extensions import db


def wednesday_noon():
    """Return noon on the first Wednesday from the app clock's today (when the demo's hours are tested)."""
    today = clock.today()
    return datetime.combine(today + timedelta(days=(2 - today.weekday()) % 7), time(12))


def search(**kwargs):
    return services.search_listings(services.SearchCriteria(**kwargs), now=wednesday_noon())


def all_listings(**kwargs):
    """Return every listing over all pages."""
    first = search(**kwargs)
    listings = list(first.listings)
    for number in range(2, first.pages + 1):
        listings += search(**kwargs, page=number).listings
    return first, listings


@pytest.fixture(autouse=True)
def _context(demo_app):
    with demo_app.test_request_context():
        yield
        db.session.remove()


def test_respite_near_doorn_is_sorted_nearest_first_with_distances():
    page, listings = all_listings(text="respijtzorg", where="3941", sort="distance")
    assert page.place.postcode4 == "3941"
    assert len(listings) >= 5
    distances = [listing.distance_km for listing in listings]
    assert all(d is not None for d in distances)
    assert distances == sorted(distances)
    assert all(
        "respijtzorg" in {t.code for t in listing.service.categories} or listing.service.respite_types
        for listing in listings[:5]
    )


def test_radius_keeps_only_services_within_it():
    everything, wide = all_listings(text="dementie", where="Leersum")
    page, near = all_listings(text="dementie", where="Leersum", radius_km=5)
    assert near, "the demo data has dementia services within 5 km of Leersum"
    assert len(near) < len(wide), "and some farther away"
    origin = (page.place.lat, page.place.lon)
    for listing in near:
        exact = geo.distance_km(origin, (listing.location.lat, listing.location.lon))
        assert exact <= 5.0
        assert listing.distance_km == pytest.approx(exact, abs=0.01)


def test_free_filter_removes_every_paid_service():
    _, everything = all_listings(text="respijtzorg")
    _, free = all_listings(text="respijtzorg", filters={"cost": ["gratis"]})
    assert any(not listing.service.is_free for listing in everything)
    assert free and all(listing.service.is_free for listing in free)


@pytest.mark.parametrize(
    "criteria",
    [
        {"text": "respijtzorg", "where": "3941", "radius_km": 10},
        {"text": "", "where": "Leersum", "radius_km": 5},
        {"text": "dementie"},
        {"text": "", "filters": {"cost": ["gratis"]}},
    ],
)
def test_facet_counts_equal_the_results_of_each_filter(criteria):
    page = search(**criteria)
    assert sum(len(values) for values in page.facets.values()) >= 10
    for facet, values in page.facets.items():
        for value in values:
            if value.selected:
                continue
            filters = {**criteria.get("filters", {})}
            filters[facet] = [*filters.get(facet, []), value.code]
            narrowed = search(**{**criteria, "filters": filters})
            assert narrowed.total == value.count, (facet, value.code)


def test_nearest_first_can_be_chosen_with_a_place_and_best_match_is_the_default():
    nearest_page, nearest = all_listings(text="respijtzorg", where="3941", sort="distance")
    best_page, best = all_listings(text="respijtzorg", where="3941")
    # the same results, in another order: best match is not simply nearest first
    assert {listing.link.id for listing in nearest} == {listing.link.id for listing in best}
    assert [listing.link.id for listing in nearest] != [listing.link.id for listing in best]
    assert [listing.distance_km for listing in nearest] == sorted(listing.distance_km for listing in nearest)
    assert "respijt" in best[0].service.name.lower()


def test_open_now_filter_matches_open_count():
    page = search(text="")
    open_page = search(text="", open_now=True)
    assert open_page.total == page.open_count
    assert all(listing.open_now for listing in open_page.listings)


def test_empty_text_lists_everything_near_the_place_by_distance():
    page, listings = all_listings(where="Maarn", radius_km=25)
    # every listing, except those unchecked for over 12 months (they leave search, issue #3)
    hidden = freshness.hidden_listing_ids()
    assert len(hidden) == 5
    assert page.total == db.session.query(services.ServiceAtLocation).count() - len(hidden)
    distances = [listing.distance_km for listing in listings]
    assert distances == sorted(distances)


@pytest.mark.parametrize("where", ["1234 AB", "1954", "Nergensdorp"])
def test_unknown_place_raises_a_dutch_message_with_suggestions(where):
    with pytest.raises(services.LocationNotFound) as caught:
        search(text="hulp", where=where)
    assert caught.value.field == "waar"
    assert "kennen" in caught.value.message
    assert caught.value.suggestions


@pytest.mark.parametrize(
    "where, outside", [("9999 ZZ", True), ("Zeist", True), ("3941", False), ("Utrechtse Heuvelrug", False)]
)
def test_place_outside_the_municipality_is_flagged(where, outside):
    page = search(text="", where=where)
    assert page.outside_region is outside


def test_too_long_text_is_a_validation_error():
    with pytest.raises(ValidationError) as caught:
        search(text="a" * 2000)
    assert caught.value.field == "q"


@pytest.mark.parametrize(
    "text, expected",
    [
        ("<script>alert(1)</script>", "none"),
        ("'; DROP TABLE services;--", "fewer"),  # the words drop/table/services, nothing more
        ("\x00", "all"),  # no words: lists everything
        ("🙂 hulp", "some"),  # the emoji is ignored, "hulp" is searched
        ("mantelzorg AND (oppas OR ~respijt*)", "some"),  # query syntax is plain words
    ],
)
def test_hostile_text_is_searched_as_plain_words(text, expected):
    everything = search(text="").total
    total = search(text=text).total
    assert {
        "none": total == 0,
        "fewer": total < everything,
        "all": total == everything,
        "some": 0 < total < everything,
    }[expected]
    assert db.session.query(Service).count() >= 150  # nothing was dropped


def test_compound_words_and_synonyms_find_listings():
    assert search(text="mantelzorger").total > 0
    boodschappen = search(text="boodschappen")
    assert any("boodschappendienst" in listing.service.name.lower() for listing in boodschappen.listings)
    assert search(text="oppas").total > 0


def test_typo_gives_a_suggestion():
    page = search(text="respijtsorg")
    assert page.total > 0
    assert page.suggestion == "respijtzorg"


def test_paging_covers_all_results_once():
    first, listings = all_listings(text="")
    ids = [listing.link.id for listing in listings]
    assert len(ids) == len(set(ids)) == first.total


def test_get_public_service_raises_not_found_for_unknown_id():
    service = db.session.query(Service).first()
    assert services.get_public_service(service.id).id == service.id
    with pytest.raises(NotFound):
        services.get_public_service(10**6)


def test_similar_nearby_excludes_itself_and_shares_a_category():
    service = db.session.query(Service).filter(Service.slug.like("%respijt%")).first()
    nearby = services.similar_nearby(service)
    assert nearby
    category = service.categories[0].code
    for listing in nearby:
        assert listing.service.id != service.id
        assert category in {term.code for term in listing.service.categories}


@pytest.mark.parametrize("municipality", [None, "1581", "0340"])
def test_category_counts_are_the_totals_of_the_topic_searches(municipality):
    """A service at several locations counts once per listing, as its topic page lists it (the demo has some)."""
    counts = {term.code: count for term, count in services.category_counts(municipality)}
    totals = {
        code: services.search_listings(
            services.SearchCriteria(filters={"category": [code]}, stay_in_municipality=True, municipality=municipality)
        ).total
        for code in counts
    }
    assert counts == totals
