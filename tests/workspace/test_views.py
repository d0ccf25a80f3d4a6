"""Workspace pages: the editor-to-broker journey, form errors that keep what was typed, the diff page."""

import pytest
from sqlalchemy import select

from sociale_kaart import search
from sociale_kaart.directory import editing, services
from sociale_kaart.directory.models import ChangeRequest, Location
from sociale_kaart.extensions import db
from tests.workspace.helpers import login_as, make_world, post, service_form


@pytest.fixture
def world(app):
    return make_world()


def found(text):
    return {hit.id for hit in services.search_backend().search(search.SearchQuery(text=text)).hits}


def test_join_edit_approve_journey(app, client, world):
    resident, broker = world.users["resident"], world.users["broker_a"]
    service = world.service_a
    public_url = f"/aanbod/{service.id}"

    login_as(client, resident)
    response = post(client, app, f"/werkplek/organisaties/{world.org_a.id}/lid-worden", {"message": "Coördinator."})
    assert response.status_code == 302
    membership_id = resident.memberships[0].id

    login_as(client, broker)
    assert "Coördinator." in client.get(f"/werkplek/lidmaatschappen/{membership_id}").get_data(as_text=True)
    response = post(client, app, f"/werkplek/lidmaatschappen/{membership_id}", {"besluit": "goedkeuren"})
    assert response.status_code == 302

    login_as(client, resident)
    page = client.get("/werkplek/").get_data(as_text=True)
    assert "Stichting Welzijn Doorn" in page
    response = post(
        client,
        app,
        f"/werkplek/aanbod/{service.id}/bewerken",
        service_form(service, summary="Wandelen met een maatje, ook op zaterdag."),
    )
    assert response.status_code == 302
    assert "Een maatje voor een wandeling." in client.get(public_url).get_data(as_text=True)
    assert "ook op zaterdag" not in client.get(public_url).get_data(as_text=True)
    assert found("zaterdag") == set()
    assert "Ter controle" in client.get(f"/werkplek/organisaties/{world.org_a.id}").get_data(as_text=True)

    login_as(client, broker)
    change = db.session.scalars(select(ChangeRequest).where(ChangeRequest.status == "pending")).one()
    diff = client.get(f"/werkplek/controle/{change.id}").get_data(as_text=True)
    assert "Nu gepubliceerd" in diff and "Voorstel" in diff and "gewijzigd" in diff
    assert "Wandelen met een maatje, ook op zaterdag." in diff
    response = post(client, app, f"/werkplek/controle/{change.id}/goedkeuren")
    assert response.status_code == 302
    assert "ook op zaterdag" in client.get(public_url).get_data(as_text=True)
    assert found("zaterdag") == {str(service.location_links[0].id)}

    history = client.get(f"/werkplek/geschiedenis/service/{service.id}").get_data(as_text=True)
    assert history.count("Een maatje voor een wandeling.") == 2  # old value in both entries
    assert history.count("Wandelen met een maatje, ook op zaterdag.") == 2
    assert history.index("Goedgekeurd") < history.index("Voorgesteld")  # newest first


def test_a_returned_change_shows_the_comment_to_the_editor(app, client, world):
    editor = world.users["editor_a"]
    change = editing.propose_service_change(
        world.service_a.id, {**editing.snapshot_service(world.service_a), "summary": "Foutje."}, by=editor
    )
    login_as(client, world.users["broker_a"])
    response = post(client, app, f"/werkplek/controle/{change.id}/terugsturen", {"comment": "Welke dagen precies?"})
    assert response.status_code == 302
    login_as(client, editor)
    assert "Welke dagen precies?" in client.get("/werkplek/").get_data(as_text=True)
    form = client.get(f"/werkplek/aanbod/{world.service_a.id}/bewerken").get_data(as_text=True)
    assert "Welke dagen precies?" in form and 'value="Foutje."' in form


def test_returning_without_a_comment_shows_an_error(app, client, world):
    change = editing.propose_service_change(
        world.service_a.id,
        {**editing.snapshot_service(world.service_a), "summary": "Iets."},
        by=world.users["editor_a"],
    )
    login_as(client, world.users["broker_a"])
    response = post(client, app, f"/werkplek/controle/{change.id}/terugsturen", {"comment": ""})
    assert response.status_code == 200
    assert "Schrijf erbij wat de redacteur moet aanpassen." in response.get_data(as_text=True)
    assert change.status == "pending"


def test_service_form_errors_keep_what_was_typed(app, client, world):
    login_as(client, world.users["editor_a"])
    data = service_form(world.service_a, summary="Mijn nieuwe tekst", phone="12345")
    data.update({"d0_1_van": "17:00", "d0_1_tot": "09:00", "categories": []})
    response = post(client, app, f"/werkplek/aanbod/{world.service_a.id}/bewerken", data)
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Er ging iets mis" in page
    assert "Typ een telefoonnummer van 10 cijfers" in page
    assert "Kies minstens één categorie." in page
    assert "Maandag: de eindtijd moet na de begintijd liggen." in page
    assert 'value="Mijn nieuwe tekst"' in page and 'value="12345"' in page and 'value="17:00"' in page
    assert db.session.scalars(select(ChangeRequest)).all() == []


def test_location_form_names_an_unknown_postcode(app, client, world):
    login_as(client, world.users["editor_a"])
    response = post(
        client,
        app,
        f"/werkplek/organisaties/{world.org_a.id}/locaties/nieuw",
        {"name": "Kerkzaal", "address_1": "Kerkplein 1", "postal_code": "1234 AB"},
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "We kennen postcode ‘1234 AB’ niet." in page and 'value="Kerkzaal"' in page
    response = post(
        client,
        app,
        f"/werkplek/organisaties/{world.org_a.id}/locaties/nieuw",
        {"name": "Kerkzaal", "address_1": "Kerkplein 1", "postal_code": "3941 AB"},
    )
    assert response.status_code == 302
    assert db.session.scalars(select(Location).where(Location.name == "Kerkzaal")).one().area_id == world.area_a.id


def test_registering_an_organisation(app, client, world):
    login_as(client, world.users["volunteer"])
    response = post(
        client,
        app,
        "/werkplek/organisaties/aanmelden",
        {"name": "Buurtkracht Maarn", "website": "buurtkracht", "message": "Voorzitter"},
    )
    assert response.status_code == 200 and "Typ een webadres" in response.get_data(as_text=True)
    response = post(
        client,
        app,
        "/werkplek/organisaties/aanmelden",
        {"name": "Buurtkracht Maarn", "website": "https://buurtkracht.example.org"},
    )
    assert response.status_code == 302
    login_as(client, world.users["broker_b"])
    queue = client.get("/werkplek/controle").get_data(as_text=True)
    assert "Buurtkracht Maarn" in queue


def test_the_queue_filters_on_area(app, client, world):
    editing.propose_service_change(
        world.service_a.id,
        {**editing.snapshot_service(world.service_a), "summary": "In Doorn."},
        by=world.users["editor_a"],
    )
    login_as(client, world.users["admin"])
    assert "Maatjesproject Doorn" in client.get("/werkplek/controle?gebied=doorn").get_data(as_text=True)
    assert "Maatjesproject Doorn" not in client.get("/werkplek/controle?gebied=leersum").get_data(as_text=True)
    assert client.get("/werkplek/controle?gebied=nergens").status_code == 404


def test_mark_checked_from_the_organisation_page(app, client, world):
    login_as(client, world.users["editor_a"])
    response = post(client, app, f"/werkplek/aanbod/{world.service_a.id}/gecontroleerd")
    assert response.status_code == 302
    assert world.service_a.assured_by_id == world.users["editor_a"].id


def test_the_form_keeps_a_location_of_another_organisation_the_service_uses(app, client, world):
    from sociale_kaart.directory.models import ServiceAtLocation
    from tests.builders import make_location

    centre = make_location(world.org_b, name="Dorpshuis De Linde", address_1="Brink 1")
    world.service_a.location_links = [*world.service_a.location_links, ServiceAtLocation(location=centre)]
    db.session.commit()
    login_as(client, world.users["editor_a"])
    page = client.get(f"/werkplek/aanbod/{world.service_a.id}/bewerken").get_data(as_text=True)
    assert "Dorpshuis De Linde" in page and f'value="{centre.id}"' in page
    response = post(
        client,
        app,
        f"/werkplek/aanbod/{world.service_a.id}/bewerken",
        service_form(world.service_a, summary="Ook in De Linde."),
    )
    assert response.status_code == 302
    change = db.session.scalars(select(ChangeRequest).where(ChangeRequest.status == "pending")).one()
    assert centre.id in change.data["locations"]


@pytest.mark.parametrize("age", ["²", "٣", "121", "-1", "9223372036854775808"])
def test_an_odd_age_is_a_form_error(app, client, world, age):
    """'²' passes str.isdigit() but not int(): it gave a 500 (issue #12)."""
    login_as(client, world.users["editor_a"])
    response = post(
        client, app, f"/werkplek/aanbod/{world.service_a.id}/bewerken", service_form(world.service_a, minimum_age=age)
    )
    assert response.status_code == 200
    assert "Typ een leeftijd van 0 tot en met 120, alleen cijfers." in response.get_data(as_text=True)
    assert db.session.scalars(select(ChangeRequest)).all() == []


@pytest.mark.parametrize(
    "note, resolved", [("Aangepast.\r\nDank u.", True), ("Aangepast\x00", False), ("x" * 2001, False)]
)
def test_resolving_a_report_checks_the_note(app, client, world, note, resolved):
    from sociale_kaart.directory import reports
    from sociale_kaart.directory.models import Report

    report = reports.submit_report(world.service_a.id, "hours", "Dinsdag is het dicht.")
    login_as(client, world.users["broker_a"])
    response = post(client, app, f"/werkplek/meldingen/{report.id}/afhandelen", {"note": note})
    assert response.status_code == 302
    db.session.expire_all()
    stored = db.session.get(Report, report.id)
    assert (stored.status == "resolved") is resolved
    assert stored.resolution == ("Aangepast.\r\nDank u." if resolved else "")


def test_the_service_form_shows_and_keeps_a_language_an_import_brought_beyond_our_list(app, client, world):
    """Issue #18: the form keeps its fixed languages and adds the listing's others, labelled by Babel."""
    service = world.service_a
    service.languages = ["nl", "ur"]
    db.session.commit()
    login_as(client, world.users["editor_a"])
    page = client.get(f"/werkplek/aanbod/{service.id}/bewerken").get_data(as_text=True)
    assert (
        'checked id="languages-10" name="languages" type="checkbox" value="ur"> <label for="languages-10">Urdu' in page
    )
    assert 'value="ar"' in page

    response = post(client, app, f"/werkplek/aanbod/{service.id}/bewerken", service_form(service, summary="Ook Urdu."))

    assert response.status_code == 302
    change = db.session.scalars(select(ChangeRequest).where(ChangeRequest.status == "pending")).one()
    assert change.data["languages"] == ["nl", "ur"]


def test_the_workspace_offers_to_keep_an_organisation_only_to_who_could(app, client, world):
    """A resident may register their organisation or join one; the municipality's staff are not offered it."""
    from tests.builders import make_user

    offer = "Meld een nieuwe organisatie aan"
    login_as(client, world.users["resident"])
    assert offer in client.get("/werkplek/").get_data(as_text=True)
    for roles in (("policy",), ("broker",), ("admin",)):
        login_as(client, make_user(roles=roles))
        assert offer not in client.get("/werkplek/").get_data(as_text=True), roles
