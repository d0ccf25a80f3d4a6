"""Warm start (issue #17): a gunicorn worker loads what its first request would otherwise wait for.

The first results page of a new worker took 0.7–1.9 s: the gazetteer (0.4 s), compiling the templates
(0.4 s), opening the search index, the first statements of each kind and the directory data each process
keeps (directory/cache.py). gunicorn.conf.py's post_worker_init calls warm_up() before the worker takes
its first request; it asks the public pages once through the app itself, nothing over the network, and
records no search (its results pages are marked as no visitor's: search_log.NOT_A_VISITOR) and counts no rate
limit. Then it opens its connections to Redis (rate limits, the search log's queue).
"""

import time
from urllib.parse import urlencode

import redis
from flask import Flask

from ..directory import areas, municipalities, search_log
from ..directory import services as directory
from ..errors import ValidationError
from ..extensions import db, limiter
from ..search import SearchError

# The pages asked once, without a query that would be a search; a service page is added when there is one.
PAGES = ("/", "/over-deze-kaart", "/zoeken", "/kaart", "/onderwerpen", "/api/hsds/services", "/niet-gevonden")


def warm_up(app: Flask) -> float:
    """Load the gazetteer, open the search index, fill the kept data, render each public page once; return seconds."""
    started = time.perf_counter()
    geocoder = app.extensions["sociale_kaart.geocoder"]
    if hasattr(geocoder, "load"):
        geocoder.load()
    pages = list(PAGES)
    # a results page with words, a place and a radius, as a visitor's first search: the place's box and distances,
    # the word lists, and the kept parts of a results page with a place (issue #17: the first request of a
    # worker took 2.6-3.4 x the median without it)
    middle_radius = directory.RADIUS_CHOICES[len(directory.RADIUS_CHOICES) // 2]
    query = urlencode({"q": "hulp", "waar": app.config["MUNICIPALITY_NAME"], "straal": middle_radius})
    pages += [f"/zoeken?{query}", f"/kaart?{query}"]
    with app.test_request_context("/zoeken"):
        try:  # a text and a place: the analyser, the gazetteer and distances, without a search log entry
            directory.search_backend().warm()
            found = directory.search_cards(directory.SearchCriteria(text="hulp", where=app.config["MUNICIPALITY_NAME"]))
            pages += [f"/aanbod/{card.service.id}/{card.service.slug}" for card in found.listings[:1]]
            if municipalities.is_region():  # each entry page is a home page of its own (issue #20)
                pages += [f"/{row.slug}/" for row in municipalities.municipality_rows()]
            for area in areas.area_rows()[:1]:  # the area of a place, as the search log asks it (no entry written)
                areas.area_of_postcode4(area.postcodes[0] if area.postcodes else None)
        except (SearchError, ValidationError) as error:
            app.logger.warning("warm start: no search (%s)", type(error).__name__)
        finally:
            db.session.remove()
    enabled, limiter.enabled = limiter.enabled, False  # the worker takes no request yet: nothing to count
    try:
        client = app.test_client()
        for page in pages:
            client.get(page, environ_overrides={search_log.NOT_A_VISITOR: True})
    finally:
        limiter.enabled = enabled
    _open_redis(app)
    return time.perf_counter() - started


def _open_redis(app: Flask) -> None:
    """Open the worker's connections to Redis before its first request: the rate limits' and the search log
    queue's (a first connection costs round trips of its own; the pages above count and log nothing)."""
    with app.app_context():
        if limiter.enabled:
            limiter.storage.check()  # False when Redis does not answer: the first request then counts in memory
        try:
            search_log.connect()
        except redis.RedisError as error:  # the first search then writes its row at once (search_log.py)
            app.logger.warning("warm start: the search log's Redis does not answer (%s)", type(error).__name__)
