"""Warm start (issue #17): a worker renders the public pages once before its first request, and leaves no trace."""

from sqlalchemy import func, select

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
