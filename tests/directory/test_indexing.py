"""The search index follows every commit that changes a listing."""

from sqlalchemy import event

from sociale_kaart import search, transactions
from sociale_kaart.directory import indexing, services
from sociale_kaart.extensions import db
from tests.builders import make_location, make_service


def found(text):
    return {hit.id for hit in services.search_backend().search(search.SearchQuery(text=text)).hits}


def test_new_published_service_is_searchable_after_commit(app):
    service = make_service(name="Logeerhuis De Linde")
    assert found("logeerhuis") == {str(service.location_links[0].id)}


def test_renaming_updates_the_index(app):
    service = make_service(name="Logeerhuis De Linde")
    service.name = "Zorgboerderij De Eik"
    transactions.commit()
    assert found("logeerhuis") == set()
    assert found("zorgboerderij")


def test_unpublishing_removes_from_search_and_public_page(app, client):
    service = make_service(name="Logeerhuis De Linde")
    service.publication_status = "pending"
    transactions.commit()
    assert found("logeerhuis") == set()
    assert client.get(f"/aanbod/{service.id}").status_code == 404


def test_moving_a_location_updates_distance_results(app):
    location = make_location(lat=52.0388, lon=5.3363)
    make_service(location=location, name="Logeerhuis De Linde")
    location.lat, location.lon = 52.0022, 5.4595  # to Amerongen
    transactions.commit()
    backend = services.search_backend()
    query = search.SearchQuery(origin=(52.0022, 5.4595), radius_km=1, distance=lambda a, b: 0.0 if a == b else 99.0)
    assert backend.search(query).total == 1


def test_deleting_a_service_removes_its_documents(app):
    service = make_service(name="Logeerhuis De Linde")
    db.session.delete(service)
    transactions.commit()
    assert found("logeerhuis") == set()


def test_reindex_rebuilds_from_the_database(app):
    make_service(name="Logeerhuis De Linde")
    make_service(name="Maaltijdservice Thuis", categories=("maaltijden",))
    assert services.reindex_all() == 2
    assert found("maaltijdservice")


def test_a_rebuild_reads_the_directory_stamp_once(app):
    """Each document asks for the kept municipalities and areas (#20): outside a request the stamp is read once."""
    with app.test_request_context():
        for number in range(3):
            make_service(location=make_location(postal_code=f"3922 A{'BCD'[number]}", city="Elst"))
    statements = []

    def note(conn, cursor, statement, *args):
        statements.append(statement)

    with app.app_context():
        event.listen(db.engine, "before_cursor_execute", note)
        try:
            documents = list(indexing.documents())
        finally:
            event.remove(db.engine, "before_cursor_execute", note)
    assert len(documents) == 3
    assert sum("FROM cache_versions" in statement for statement in statements) == 1
