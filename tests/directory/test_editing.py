"""Editor use cases: proposals wait for review, the public keeps the published version (issue #3)."""

import pytest
from sqlalchemy import func, select

from sociale_kaart import search
from sociale_kaart.accounts.models import Membership
from sociale_kaart.directory import editing, services
from sociale_kaart.directory.models import (
    ChangeRequest,
    HistoryEntry,
    Location,
    Organization,
    Service,
    ServiceAtLocation,
)
from sociale_kaart.errors import NotFound, PermissionDenied, ValidationError
from sociale_kaart.extensions import db
from sociale_kaart.notify.models import OutboxMessage
from tests.builders import make_location, make_user
from tests.workspace.helpers import make_world, service_values


@pytest.fixture
def world(app):
    return make_world()


def found(text):
    return {hit.id for hit in services.search_backend().search(search.SearchQuery(text=text)).hits}


def mail_to(user):
    return [m for m in db.session.scalars(select(OutboxMessage)) if m.to_address == user.email]


def test_editing_a_published_service_leaves_the_public_version(world):
    editor = world.users["editor_a"]
    change = editing.propose_service_change(
        world.service_a.id, service_values(world.service_a, summary="Nu ook op zaterdag."), by=editor
    )
    db.session.expire_all()
    assert change.status == "pending" and change.action == "update"
    assert change.data["summary"] == "Nu ook op zaterdag."
    assert change.base["summary"] == "Een korte zin." or change.base["summary"] == world.service_a.summary
    assert services.get_public_service(world.service_a.id).summary == "Een maatje voor een wandeling."
    assert found("zaterdag") == set()
    entry = db.session.scalars(select(HistoryEntry).where(HistoryEntry.action == "proposed")).one()
    assert entry.changes == {"summary": ["Een maatje voor een wandeling.", "Nu ook op zaterdag."]}
    assert entry.actor_id == editor.id


def test_a_proposal_mails_the_brokers_of_the_listing_area_only(world):
    editing.propose_service_change(
        world.service_a.id, service_values(world.service_a, summary="Anders."), by=world.users["editor_a"]
    )
    assert len(mail_to(world.users["broker_a"])) == 1
    assert mail_to(world.users["broker_b"]) == []
    assert "Maatjesproject Doorn" in mail_to(world.users["broker_a"])[0].subject


def test_a_second_edit_updates_the_one_pending_request(world):
    editor = world.users["editor_a"]
    first = editing.propose_service_change(
        world.service_a.id, service_values(world.service_a, summary="Een."), by=editor
    )
    second = editing.propose_service_change(
        world.service_a.id, service_values(world.service_a, summary="Twee."), by=editor
    )
    assert first.id == second.id
    assert db.session.scalar(select(func.count(ChangeRequest.id))) == 1
    assert second.data["summary"] == "Twee."
    assert second.base["summary"] == "Een maatje voor een wandeling."
    assert len(mail_to(world.users["broker_a"])) == 1


def test_saving_without_changes_is_refused(world):
    with pytest.raises(ValidationError) as error:
        editing.propose_service_change(world.service_a.id, service_values(world.service_a), by=world.users["editor_a"])
    assert "niets gewijzigd" in error.value.message


@pytest.mark.parametrize("who", ["editor_b", "resident", "volunteer", "broker_a", "anonymous"])
def test_only_the_organisations_editor_may_propose(world, who):
    with pytest.raises(PermissionDenied):
        editing.propose_service_change(
            world.service_a.id, service_values(world.service_a, summary="X."), by=world.users[who]
        )


def test_an_unconfirmed_editor_may_not_propose(world):
    editor = make_user(roles=("editor",), organizations=[world.org_a], confirmed=False)
    with pytest.raises(PermissionDenied):
        editing.propose_service_change(world.service_a.id, service_values(world.service_a, summary="X."), by=editor)


def test_a_missing_service_is_not_found(world):
    with pytest.raises(NotFound):
        editing.propose_service_change(999999, {}, by=world.users["editor_a"])


@pytest.mark.parametrize(
    "changes, field, message",
    [
        ({"name": ""}, "name", "Vul naam in"),
        ({"name": "x" * 201}, "name", "hoogstens 200"),
        ({"categories": []}, "categories", "minstens één categorie"),
        ({"categories": ["bestaat_niet"]}, "categories", "alleen uit de lijst"),
        ({"pyramid_level": "hoog"}, "pyramid_level", "een van de mogelijkheden"),
        ({"cost": ["duur"]}, "cost", "alleen uit de lijst"),
        ({"languages": ["nl", "xx"]}, "languages", "alleen uit de lijst"),
        ({"schedules": [[0, "17:00", "09:00"]]}, "schedules", "na de openingstijd"),
        ({"schedules": [[0, "25:00", "26:00"]]}, "schedules", "uu:mm"),
        ({"schedules": [[0, "09:00", "12:00"], [0, "11:00", "13:00"]]}, "schedules", "overlappen"),
        ({"phone": "12345"}, "phone", "10 cijfers"),
        ({"email": "geen-adres"}, "email", "naam@voorbeeld.nl"),
        ({"url": "ftp://example.org"}, "url", "https://"),
        ({"minimum_age": 200}, "minimum_age", "0 tot en met 120"),
        ({"minimum_age": 18, "maximum_age": 12}, "maximum_age", "niet lager"),
    ],
)
def test_invalid_values_name_the_field(world, changes, field, message):
    with pytest.raises(ValidationError) as error:
        editing.propose_service_change(
            world.service_a.id, service_values(world.service_a, **changes), by=world.users["editor_a"]
        )
    assert error.value.field == field
    assert message in error.value.message


def test_an_edit_keeps_a_language_an_import_brought_beyond_our_list(world):
    """Issue #18: an HSDS import may give any language Babel knows; editing the listing keeps it."""
    world.service_a.languages = ["nl", "ur"]
    db.session.commit()
    change = editing.propose_service_change(
        world.service_a.id, service_values(world.service_a, summary="Ook in het Urdu."), by=world.users["editor_a"]
    )
    assert change.data["languages"] == ["nl", "ur"]


def test_a_location_of_another_organisation_cannot_be_chosen(world):
    with pytest.raises(ValidationError) as error:
        editing.propose_service_change(
            world.service_a.id,
            service_values(world.service_a, locations=[world.location_b.id]),
            by=world.users["editor_a"],
        )
    assert error.value.field == "locations"


def test_a_new_service_waits_hidden_for_review(world):
    values = service_values(
        world.service_a, name="Repair Café Doorn", summary="Samen repareren.", schedules=[[5, "10:00", "13:00"]]
    )
    service = editing.create_service(world.org_a.id, values, by=world.users["editor_a"])
    assert service.publication_status == "pending"
    with pytest.raises(NotFound):
        services.get_public_service(service.id)
    assert found("repair") == set()
    change = editing.pending_change("service", service.id)
    assert change.action == "create" and change.base == {}
    assert [[s.weekday, s.opens_at.isoformat(timespec="minutes")] for s in service.schedules] == [[5, "10:00"]]


def test_editing_a_service_under_review_for_creation_updates_its_row(world):
    editor = world.users["editor_a"]
    service = editing.create_service(world.org_a.id, service_values(world.service_a, name="Koffie-ochtend"), by=editor)
    change = editing.propose_service_change(service.id, service_values(service, summary="Elke dinsdag."), by=editor)
    assert change.action == "create"
    assert service.summary == "Elke dinsdag." and service.publication_status == "pending"
    assert db.session.scalar(select(func.count(ChangeRequest.id))) == 1


def test_a_new_location_gets_coordinates_and_area_from_the_postcode(world):
    location = editing.create_location(
        world.org_a.id,
        {
            "name": "Kerkgebouw",
            "address_1": "Kerkplein 1",
            "postal_code": "3941ab",
            "city": "",
            "accessibility": ["lift"],
        },
        by=world.users["editor_a"],
    )
    assert location.postal_code == "3941 AB"
    assert location.area_id == world.area_a.id
    assert location.lat and location.lon
    assert location.city  # from the postcode


def test_an_unknown_postcode_is_refused_in_dutch(world):
    with pytest.raises(ValidationError) as error:
        editing.create_location(
            world.org_a.id, {"name": "X", "address_1": "Y 1", "postal_code": "0000 AA"}, by=world.users["editor_a"]
        )
    assert error.value.field == "postal_code"


def test_an_unknown_but_well_formed_postcode_says_we_do_not_know_it(world):
    with pytest.raises(ValidationError) as error:
        editing.create_location(
            world.org_a.id, {"name": "X", "address_1": "Y 1", "postal_code": "1234 AB"}, by=world.users["editor_a"]
        )
    assert error.value.field == "postal_code"
    assert "We kennen postcode ‘1234 AB’ niet" in error.value.message


def test_a_location_of_published_services_is_reviewed_an_unused_one_is_not(world):
    editor = world.users["editor_a"]
    values = {**editing.snapshot_location(world.location_a), "name": "Dorpshuis De Linde"}
    change = editing.propose_location_change(world.location_a.id, values, by=editor)
    assert change is not None and change.status == "pending"
    assert db.session.get(Location, world.location_a.id).name == "Dorpshuis"
    spare = editing.create_location(
        world.org_a.id, {"name": "Schuur", "address_1": "Laan 3", "postal_code": "3941 AB"}, by=editor
    )
    assert (
        editing.propose_location_change(spare.id, {**editing.snapshot_location(spare), "name": "Loods"}, by=editor)
        is None
    )
    assert spare.name == "Loods"


def test_an_organisation_with_published_services_is_reviewed(world):
    values = {**editing.snapshot_organization(world.org_a), "phone": "0343 123 456"}
    change = editing.propose_organization_change(world.org_a.id, values, by=world.users["editor_a"])
    assert change.status == "pending"
    assert db.session.get(Organization, world.org_a.id).phone is None


def test_joining_asks_a_broker_and_cannot_be_asked_twice(world):
    resident = world.users["resident"]
    membership = editing.request_membership(world.org_a.id, "Ik ben coördinator.", by=resident)
    assert membership.status == "requested"
    assert world.org_a.id not in resident.organization_ids
    assert len(mail_to(world.users["broker_a"])) == 1 and mail_to(world.users["broker_b"]) == []
    with pytest.raises(ValidationError):
        editing.request_membership(world.org_a.id, "", by=resident)
    with pytest.raises(ValidationError):
        editing.request_membership(world.org_a.id, "", by=world.users["editor_a"])


def test_an_unconfirmed_user_may_not_ask_to_join(world):
    user = make_user(roles=("resident",), confirmed=False)
    with pytest.raises(PermissionDenied):
        editing.request_membership(world.org_a.id, "", by=user)


def test_registering_an_organisation_waits_for_a_broker(world):
    volunteer = world.users["volunteer"]
    organization = editing.register_organization(
        {
            "name": "Buurtkracht Maarn",
            "description": "Buren helpen buren.",
            "email": "info@buurtkracht.nl",
            "website": "",
            "phone": "",
            "message": "Ik ben voorzitter.",
        },
        by=volunteer,
    )
    change = editing.pending_change("organization", organization.id)
    assert change.action == "create"
    membership = db.session.scalars(select(Membership).where(Membership.user_id == volunteer.id)).one()
    assert membership.status == "requested" and membership.message == "Ik ben voorzitter."
    assert mail_to(world.users["broker_a"]) and mail_to(world.users["broker_b"])
    with pytest.raises(ValidationError) as error:
        editing.register_organization({"name": "buurtkracht maarn"}, by=world.users["resident"])
    assert error.value.field == "name"


def test_the_registrant_may_correct_a_registration_before_approval(world):
    volunteer = world.users["volunteer"]
    organization = editing.register_organization({"name": "Buurtkracht Maarn"}, by=volunteer)
    change = editing.propose_organization_change(
        organization.id, {"name": "Buurtkracht Maarn", "description": "Buren helpen buren."}, by=volunteer
    )
    assert change.action == "create" and change.data["description"] == "Buren helpen buren."
    with pytest.raises(PermissionDenied):
        editing.propose_organization_change(organization.id, {"name": "Anders"}, by=world.users["resident"])


def test_withdrawing_a_new_service_makes_it_a_draft(world):
    editor = world.users["editor_a"]
    service = editing.create_service(world.org_a.id, service_values(world.service_a, name="Koffie-ochtend"), by=editor)
    change = editing.pending_change("service", service.id)
    editing.withdraw_change(change.id, by=editor)
    assert change.status == "withdrawn"
    assert db.session.get(Service, service.id).publication_status == "draft"
    with pytest.raises(PermissionDenied):
        editing.withdraw_change(change.id, by=world.users["editor_b"])


def test_editors_list_only_their_own_organisations(world):
    assert [o.name for o in editing.list_my_organizations(world.users["editor_a"])] == ["Stichting Welzijn Doorn"]
    assert editing.list_my_organizations(world.users["resident"]) == []
    with pytest.raises(PermissionDenied):
        editing.organization_overview(world.org_b.id, by=world.users["editor_a"])


@pytest.mark.parametrize(
    "number, valid",
    [
        ("0343 123 456", True),
        ("06-12345678", True),
        ("+31 343 123 456", True),
        ("0800-0113", True),
        ("12345", False),
        ("0343 12 34", False),
        ("+32 2 123 45 67", False),
        ("bel ons", False),
    ],
)
def test_phone_format(number, valid):
    assert editing.valid_phone(number) is valid


@pytest.mark.parametrize(
    "address, valid",
    [
        ("https://www.example.org/pad", True),
        ("http://example.nl", True),
        ("www.example.org", False),
        ("javascript:alert(1)", False),
        ("https://localhost", False),
    ],
)
def test_url_format(address, valid):
    assert editing.valid_url(address) is valid


def test_a_service_given_at_another_organisations_location_can_be_edited(world):
    """Services often meet in a community centre of another organisation: editing must keep it."""
    centre = make_location(world.org_b, name="Dorpshuis De Linde", address_1="Brink 1")
    service = world.service_a
    service.location_links = [*service.location_links, ServiceAtLocation(location=centre)]
    db.session.commit()
    editor = world.users["editor_a"]
    values = {**editing.snapshot_service(service), "summary": "Nu ook in De Linde."}
    change = editing.propose_service_change(service.id, values, by=editor)
    assert set(change.data["locations"]) == {world.location_a.id, centre.id}
    # but an editor cannot add another organisation's location the service does not use
    stranger = world.location_b
    with pytest.raises(ValidationError):
        editing.propose_service_change(
            service.id, {**values, "locations": [world.location_a.id, stranger.id]}, by=editor
        )
