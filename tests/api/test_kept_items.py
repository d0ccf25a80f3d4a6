"""The HSDS list of services shaped from JSON objects kept per process (issue #17, api/views.service_items).

Each service's object is made once per shape and directory version; a change through any server is seen on the
next request, and a kept object is the one the API makes fresh.
"""

import json

from sqlalchemy import event

from sociale_kaart import transactions
from sociale_kaart.api import views
from sociale_kaart.directory import cache
from sociale_kaart.extensions import db

from ..builders import make_service
from ..conftest import make_app

API = "/api/hsds"


def _contents(client, query=""):
    response = client.get(f"{API}/services{query}")
    assert response.status_code == 200
    return response.get_json()["contents"]


def test_kept_objects_are_the_ones_made_fresh_in_every_shape_and_order(app):
    for number in range(5):
        make_service(name=f"Dienst {number}", summary=f"Samenvatting {number}")
    client = app.test_client()
    for query in ("", "?full=true", "?minimal=true", "?page=2&per_page=2", "?search=dienst"):
        first = _contents(client, query)
        kept = _contents(client, query)
        app.extensions[cache._KEPT].clear()  # made fresh
        assert first == kept == _contents(client, query) and first
    assert [item["name"] for item in _contents(client)] == [f"Dienst {number}" for number in range(5)]
    assert "organization" in _contents(client)[0] and "service_at_locations" not in _contents(client)[0]
    assert "service_at_locations" in _contents(client, "?full=true")[0]
    assert set(_contents(client, "?minimal=true")[0]) <= {"id", "name", "status", "last_modified"}


def test_a_kept_page_reads_only_the_ids_and_the_stamp(app):
    for number in range(3):
        make_service(name=f"Dienst {number}")
    client = app.test_client()
    _contents(client)
    statements = []

    def note(connection, cursor, statement, *args):
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", note)
    try:
        assert len(_contents(client)) == 3
    finally:
        event.remove(db.engine, "before_cursor_execute", note)
    assert len(statements) == 2  # the stamp, the page's ids (the count is kept too)


def test_a_kept_object_is_made_again_after_a_change_through_another_server(app, tmp_path):
    other = make_app(tmp_path, name="second_server", SQLALCHEMY_DATABASE_URI=app.config["SQLALCHEMY_DATABASE_URI"])
    service = make_service(name="Boodschappenhulp Doorn", description="Op dinsdag.")
    browser = other.test_client()
    try:
        assert [item["description"] for item in _contents(browser) if item["name"] == service.name] == ["Op dinsdag."]
        service.description = "Op woensdag."
        transactions.commit()  # through app A
        assert [item["description"] for item in _contents(browser)] == ["Op woensdag."]
        service.status = "defunct"
        transactions.commit()
        assert _contents(browser) == []
    finally:
        with other.app_context():
            db.engine.dispose()


def test_the_kept_objects_are_bounded(app, monkeypatch):
    for number in range(4):
        make_service(name=f"Dienst {number}")
    monkeypatch.setitem(views.MAX_KEPT_ITEMS, "listed", 3)
    client = app.test_client()
    assert len(_contents(client, "?per_page=2")) == 2
    assert len(_contents(client, "?per_page=2&page=2")) == 2  # 2 kept + 2 more > 3: started again
    assert len(app.extensions[cache._KEPT]["hsds-services:listed"][1]) == 2


def test_a_page_of_kept_texts_is_the_page_jsonify_wrote_and_ndjson_has_the_same_items(app):
    make_service(name="Café ‘t Hoekje – één keer per week", description="Koffie & thee, “gezellig”")
    make_service(name="Dienst zonder tekens")
    client = app.test_client()
    for _ in range(2):  # made, then kept
        response = client.get(f"{API}/services?per_page=1")
        assert response.status_code == 200 and response.mimetype == "application/json"
        body = response.get_data(as_text=True)
        assert body.endswith("}\n") and "Café ‘t Hoekje – één" in body  # UTF-8, not escaped
        page = response.get_json()
        assert list(page) == sorted(page)  # as jsonify sorts the keys
        contents = page.pop("contents")
        assert page == {
            "total_items": 2,
            "total_pages": 2,
            "page_number": 1,
            "size": 1,
            "first_page": True,
            "last_page": False,
            "empty": False,
        }
        assert [item["name"] for item in contents] == ["Café ‘t Hoekje – één keer per week"]
        assert contents[0]["description"] == "Koffie & thee, “gezellig”"
        lines = client.get(f"{API}/services?format=ndjson").get_data(as_text=True).splitlines()
        assert [json.loads(line) for line in lines] == _contents(client)
        assert lines[0] == views.json_text(contents[0])  # one way of writing an item
    empty = client.get(f"{API}/services?search=onvindbaarwoord").get_json()
    assert empty["contents"] == [] and empty["empty"] is True and empty["size"] == 0
