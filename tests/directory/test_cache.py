"""Directory data kept per process (issue #17): a change through one server is seen by another on its next request."""

from datetime import timedelta

from sqlalchemy import event, select

from sociale_kaart import clock, transactions
from sociale_kaart.directory import areas, cache, services
from sociale_kaart.directory.models import Area, CacheVersion, Taxonomy, TaxonomyTerm
from sociale_kaart.directory.search_log import SearchLogEntry
from sociale_kaart.extensions import db
from tests.builders import make_service
from tests.conftest import make_app


def _area(**overrides):
    values = {"code": "doorn", "name": "Doorn", "kind": "dorp", "municipality_code": "1581", "postcodes": ["3941"]}
    values.update(overrides)
    area = Area(**values)
    db.session.add(area)
    return area


def _stamp():
    return db.session.scalar(select(CacheVersion.stamp).where(CacheVersion.name == cache.NAME))


def test_a_change_through_one_app_is_seen_by_another_on_its_next_request(app, tmp_path):
    """Two servers on one database: B keeps what it read, and A's commits reach B's very next page."""
    other = make_app(tmp_path, name="second_server", SQLALCHEMY_DATABASE_URI=app.config["SQLALCHEMY_DATABASE_URI"])
    service = make_service(name="Kwebbelkoffie")
    area = _area(contact_name="Dorpsteam Doorn", contact_phone="0343 000 111")
    transactions.commit()
    browser = other.test_client()
    try:
        home = browser.get("/").get_data(as_text=True)
        assert "0343 000 111" in home and "Klusjes" not in home
        assert "Kwebbelkoffie" in browser.get("/zoeken").get_data(as_text=True)
        assert 'id="f-category-klusjes"' not in browser.get("/zoeken?category=klusjes").get_data(as_text=True)

        # Through app A: an area's contact, a new category term, and a listing unchecked for years.
        area.contact_phone = "0343 000 222"
        taxonomy = db.session.scalars(select(Taxonomy).where(Taxonomy.code == "category")).one()
        db.session.add(TaxonomyTerm(taxonomy=taxonomy, code="klusjes", name="Klusjes", position=99))
        transactions.commit()
        home = browser.get("/").get_data(as_text=True)
        assert "0343 000 222" in home and "0343 000 111" not in home  # the dorpsteams of the home page
        assert "Klusjes" in home  # the categories of the home page
        assert 'id="f-category-klusjes" name="category" value="klusjes" checked' in browser.get(
            "/zoeken?category=klusjes"
        ).get_data(as_text=True)  # a known filter now

        service.assured_date = clock.today() - timedelta(days=3 * 366)
        transactions.commit()
        assert "Kwebbelkoffie" not in browser.get("/zoeken").get_data(as_text=True)  # out of search
    finally:
        with other.app_context():
            db.engine.dispose()


def test_each_commit_that_changes_the_directory_writes_a_new_stamp_and_no_other_does(app):
    assert _stamp() is None and cache.version() == (cache.UNCHANGED, None)
    area = _area()
    transactions.commit()
    first = _stamp()
    assert first and cache.version()[0] == first
    db.session.add(SearchLogEntry(searched_on=clock.today(), hour=10, query="", result_count=0, source="web"))
    transactions.commit()
    assert _stamp() == first  # the search log is no directory data
    area.name = "Doorn (dorp)"
    db.session.rollback()
    assert _stamp() == first  # nothing written
    area = db.session.scalars(select(Area)).one()
    area.name = "Doorn (dorp)"
    db.session.commit()  # a plain commit too
    assert _stamp() not in (None, first)


def test_kept_data_is_read_again_after_a_change_and_not_before(app):
    _area(contact_name="Dorpsteam Doorn")
    transactions.commit()
    assert [row.code for row in areas.area_contacts()] == ["doorn"]
    assert services.facet_labels("area") == {"doorn": "Doorn"}
    statements = []
    event.listen(db.engine, "before_cursor_execute", lambda *args: statements.append(args[2]))
    assert [row.code for row in areas.area_contacts()] == ["doorn"]
    assert len(statements) == 1 and "cache_versions" in statements[0]  # outside a request: the stamp, each time
    _area(code="maarn", name="Maarn", postcodes=["3951"], contact_name="Dorpsteam Maarn")
    transactions.commit()
    assert [row.code for row in areas.area_contacts()] == ["doorn", "maarn"]
    assert services.facet_labels("area") == {"doorn": "Doorn", "maarn": "Maarn"}


def test_a_request_reads_the_stamp_once_however_much_it_uses(app, client):
    make_service()
    _area(contact_name="Dorpsteam Doorn")
    transactions.commit()
    client.get("/")
    statements = []
    event.listen(db.engine, "before_cursor_execute", lambda *args: statements.append(args[2]))
    assert client.get("/").status_code == 200  # categories, their counts and the dorpsteams: all kept
    assert len(statements) == 1 and "cache_versions" in statements[0]


def test_a_page_the_same_for_everyone_is_rendered_once_per_stamp_and_day(app, client, app_clock):
    """The bare home page and the categories: kept per process, new after a change or a day; a cookie gets its own."""
    from flask import template_rendered

    make_service(name="Kwebbelkoffie")
    transactions.commit()
    rendered = []

    def note(sender, template, context, **extra):
        if not template.name.startswith("directory/_"):  # the pages, not the kept search form (views.search_form)
            rendered.append(template.name)

    template_rendered.connect(note, app)
    try:
        first, second = client.get("/"), client.get("/")
        assert first.get_data() == second.get_data() and rendered == ["web/home.html"]
        client.get("/onderwerpen"), client.get("/onderwerpen")
        assert rendered == ["web/home.html", "directory/categories.html"]

        client.get("/?q=koffie")  # the form shows the query: rendered for this request
        assert rendered[-1] == "web/home.html" and len(rendered) == 3

        _area(contact_name="Dorpsteam Doorn", contact_phone="0343 000 111")
        transactions.commit()  # a new stamp
        assert "0343 000 111" in client.get("/").get_data(as_text=True) and len(rendered) == 4

        app_clock.start(app_clock() + timedelta(days=1))  # counts leave out listings by date
        client.get("/")
        assert len(rendered) == 5

        english = app.test_client()
        english.get("/taal/en")  # a cookie: perhaps logged in, a list, a message; here the language
        page = english.get("/").get_data(as_text=True)
        assert 'lang="en"' in page and len(rendered) == 6
        english.get("/")
        assert len(rendered) == 7
        assert 'lang="nl"' in client.get("/").get_data(as_text=True) and len(rendered) == 7
    finally:
        template_rendered.disconnect(note, app)
