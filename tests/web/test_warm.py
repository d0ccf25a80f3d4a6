"""Warm start (issue #17): a worker renders the public pages once before its first request, and leaves no trace."""

from sqlalchemy import func, select

from sociale_kaart.directory import views
from sociale_kaart.directory.search_log import SearchLogEntry
from sociale_kaart.extensions import db, limiter
from sociale_kaart.web import warm


def _compiled(app):
    return {key[1] for key in app.jinja_env.cache.keys()} if app.jinja_env.cache is not None else set()


def test_warm_up_compiles_the_public_pages_and_logs_no_search(seeded_app):
    enabled = limiter.enabled
    assert warm.warm_up(seeded_app) > 0
    assert {"web/home.html", "directory/search.html", "directory/service.html", "errors/404.html"} <= _compiled(
        seeded_app
    )
    assert db.session.scalar(select(func.count(SearchLogEntry.id))) == 0  # a warm start is no search
    assert limiter.enabled is enabled
    # a results page with words, a place and a radius was rendered and kept: a worker's first search finds its parts
    shapes = [key[2] for key in seeded_app.extensions[views._KEPT_PARTS] if key[0] == "directory/_results.html"]
    assert any(shape.sort and shape.listings for shape in shapes), shapes


def test_a_visitors_search_after_the_warm_up_is_logged(seeded_app):
    warm.warm_up(seeded_app)
    seeded_app.test_client().get("/zoeken?q=hulp&waar=Doorn&straal=5")
    assert db.session.scalar(select(func.count(SearchLogEntry.id))) == 1


def test_warm_up_works_on_an_empty_directory(app):
    assert warm.warm_up(app) > 0
    assert "directory/search.html" in _compiled(app)


def test_warm_up_of_a_region_renders_the_choice_and_every_entry_page(app):
    from sociale_kaart.directory import municipalities
    from tests.builders import make_user
    from tests.matching.factories import load_areas

    with app.test_request_context():
        load_areas()
        municipalities.add_municipality("0340", by=make_user(roles=("admin",)))
    assert warm.warm_up(app) > 0
    assert "web/home.html" in _compiled(app)


def test_after_the_warm_up_a_visitors_search_opens_no_new_connection_to_redis(seeded_app, monkeypatch):
    """The rate limits' and the search log queue's connections are opened by the warm start, not by a visitor."""
    import uuid

    import redis

    from sociale_kaart.directory import search_log
    from tests.conftest import REDIS_URL, redis_or_skip

    store = redis_or_skip()
    key = f"test:search_log:{uuid.uuid4().hex}"
    monkeypatch.setattr(search_log, "QUEUE_KEY", key)
    seeded_app.config["SEARCH_LOG_QUEUE_URI"] = REDIS_URL
    opened = []
    connect = redis.connection.AbstractConnection.connect

    def counted(self, *args, **kwargs):
        if self._sock is None:
            opened.append(self)
        return connect(self, *args, **kwargs)

    monkeypatch.setattr(redis.connection.AbstractConnection, "connect", counted)
    try:
        warm.warm_up(seeded_app)
        assert len(opened) == 1  # the queue's (the tests' rate limits are off and counted in memory)
        opened.clear()
        assert seeded_app.test_client().get("/zoeken?q=hulp&waar=Doorn&straal=5").status_code == 200
        assert opened == [] and store.llen(key) == 1
    finally:
        store.delete(key)
