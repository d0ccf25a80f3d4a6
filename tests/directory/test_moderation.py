"""Broker use cases: queue per area, diff, approve, edit-then-approve, return, join requests, history (issue #3)."""

from datetime import date

import pytest
from sqlalchemy import select

from sociale_kaart import search, transactions
from sociale_kaart.accounts.models import Membership
from sociale_kaart.directory import editing, moderation, services
from sociale_kaart.directory.models import HistoryEntry, Service
from sociale_kaart.errors import PermissionDenied, ValidationError
from sociale_kaart.extensions import db
from sociale_kaart.notify.models import OutboxMessage
from tests.workspace.helpers import make_world, service_values


@pytest.fixture
def world(app):
    return make_world()


def found(text):
    return {hit.id for hit in services.search_backend().search(search.SearchQuery(text=text)).hits}


def mail_to(user):
    return [m for m in db.session.scalars(select(OutboxMessage)) if m.to_address == user.email]


def propose(world, **changes):
    return editing.propose_service_change(
        world.service_a.id, service_values(world.service_a, **changes), by=world.users["editor_a"]
    )


def actions(kind, target_id):
    return [
        e.action
        for e in db.session.scalars(
            select(HistoryEntry)
            .where(HistoryEntry.kind == kind, HistoryEntry.target_id == target_id)
            .order_by(HistoryEntry.id)
        )
    ]


def test_approving_publishes_the_new_text_everywhere(world):
    change = propose(world, summary="Ook op zaterdag een wandeling.")
    assert moderation.approve_change(change.id, by=world.users["broker_a"]) is True
    db.session.expire_all()
    assert services.get_public_service(world.service_a.id).summary == "Ook op zaterdag een wandeling."
    assert found("zaterdag") == {str(world.service_a.location_links[0].id)}
    assert change.status == "approved" and change.decided_by_id == world.users["broker_a"].id
    assert actions("service", world.service_a.id) == ["proposed", "approved"]
    approved = db.session.scalars(select(HistoryEntry).where(HistoryEntry.action == "approved")).one()
    assert approved.changes == {"summary": ["Een maatje voor een wandeling.", "Ook op zaterdag een wandeling."]}
    assert [m.template for m in mail_to(world.users["editor_a"])] == ["change_approved"]


def test_approving_twice_is_a_no_op(world):
    change = propose(world, summary="Nieuw.")
    assert moderation.approve_change(change.id, by=world.users["broker_a"]) is True
    assert moderation.approve_change(change.id, by=world.users["admin"]) is False
    assert moderation.return_change(change.id, "Toch niet.", by=world.users["broker_a"]) is False
    assert actions("service", world.service_a.id).count("approved") == 1
    assert change.decided_by_id == world.users["broker_a"].id


@pytest.mark.parametrize("who", ["broker_b", "editor_a", "editor_b", "resident", "volunteer", "anonymous"])
def test_only_brokers_of_the_area_and_admins_decide(world, who):
    change = propose(world, summary="Nieuw.")
    with pytest.raises(PermissionDenied):
        moderation.approve_change(change.id, by=world.users[who])
    with pytest.raises(PermissionDenied):
        moderation.return_change(change.id, "Nee.", by=world.users[who])
    with pytest.raises(PermissionDenied):
        moderation.get_change(change.id, by=world.users[who])


def test_returning_shows_the_comment_and_lets_the_editor_try_again(world):
    change = propose(world, summary="Met tikvoutjes.")
    assert moderation.return_change(change.id, "Graag de spelling nakijken.", by=world.users["broker_a"])
    db.session.expire_all()
    assert change.status == "returned" and change.comment == "Graag de spelling nakijken."
    assert services.get_public_service(world.service_a.id).summary == "Een maatje voor een wandeling."
    mail = mail_to(world.users["editor_a"])
    assert [m.template for m in mail] == ["change_returned"] and "Graag de spelling nakijken." in mail[0].body_text
    assert editing.my_changes(world.users["editor_a"])[0].comment == "Graag de spelling nakijken."
    values, latest = editing.draft_values("service", world.service_a)
    assert values["summary"] == "Met tikvoutjes." and latest.id == change.id
    again = propose(world, summary="Zonder tikfoutjes.")
    assert again.id != change.id and again.status == "pending"
    returned = db.session.scalars(select(HistoryEntry).where(HistoryEntry.action == "returned")).one()
    assert returned.comment == "Graag de spelling nakijken."


def test_returning_needs_a_comment(world):
    change = propose(world, summary="Nieuw.")
    with pytest.raises(ValidationError) as error:
        moderation.return_change(change.id, "  ", by=world.users["broker_a"])
    assert error.value.field == "comment"


def test_approving_a_new_service_publishes_it(world):
    service = editing.create_service(
        world.org_a.id, service_values(world.service_a, name="Repair Café Doorn"), by=world.users["editor_a"]
    )
    change = editing.pending_change("service", service.id)
    moderation.approve_change(change.id, by=world.users["broker_a"])
    assert db.session.get(Service, service.id).publication_status == "published"
    assert found("repair")


def test_returning_a_new_service_makes_it_a_draft(world):
    service = editing.create_service(
        world.org_a.id, service_values(world.service_a, name="Repair Café Doorn"), by=world.users["editor_a"]
    )
    moderation.return_change(editing.pending_change("service", service.id).id, "Welke dag?", by=world.users["admin"])
    assert db.session.get(Service, service.id).publication_status == "draft"


def test_a_broker_may_edit_then_approve(world):
    change = propose(world, summary="Wandelen met een maatje, elke week.")
    edited = service_values(world.service_a, summary="Wandelen met een maatje, elke week.", phone="0343 123 456")
    assert moderation.approve_change(change.id, by=world.users["broker_a"], edited_values=edited)
    db.session.expire_all()
    service = services.get_public_service(world.service_a.id)
    assert service.phone == "0343 123 456" and service.summary == "Wandelen met een maatje, elke week."
    assert actions("service", world.service_a.id) == ["proposed", "edited_by_broker", "approved"]
    by_broker = db.session.scalars(select(HistoryEntry).where(HistoryEntry.action == "edited_by_broker")).one()
    assert by_broker.changes == {"phone": ["", "0343 123 456"]}


def test_edit_then_approve_validates_the_broker_values(world):
    change = propose(world, summary="Nieuw.")
    with pytest.raises(ValidationError):
        moderation.approve_change(
            change.id, by=world.users["broker_a"], edited_values=service_values(world.service_a, categories=[])
        )
    assert editing.pending_change("service", world.service_a.id).id == change.id


def test_the_diff_labels_fields_and_shows_a_conflict(world):
    change = propose(world, summary="Voorstel.", cost=["gratis", "pgb"])
    # another change reached the live row after the proposal was made
    world.service_a.summary = "Intussen gewijzigd."
    world.service_a.name = "Maatjes Doorn"
    transactions.commit()
    view = moderation.get_change(change.id, by=world.users["broker_a"])
    rows = {row.name: row for row in view.rows}
    assert rows["cost"].label == "Kosten" and rows["cost"].proposed == "Gratis, Pgb mogelijk"
    assert rows["cost"].changed and not rows["cost"].conflict
    assert rows["summary"].conflict and rows["summary"].live == "Intussen gewijzigd."
    assert not rows["name"].conflict  # the editor did not touch the name
    assert rows["categories"].live == "Respijtzorg" and not rows["categories"].changed
    moderation.approve_change(change.id, by=world.users["broker_a"])
    db.session.expire_all()
    service = db.session.get(Service, world.service_a.id)
    assert service.summary == "Voorstel."  # the broker saw the conflict and chose the proposal
    assert service.name == "Maatjes Doorn"  # a field the editor left alone keeps its newer value


def test_the_queue_is_per_area(world):
    change_a = propose(world, summary="A.")
    change_b = editing.propose_service_change(
        world.service_b.id, service_values(world.service_b, summary="B."), by=world.users["editor_b"]
    )
    new = editing.create_service(
        world.org_b.id, service_values(world.service_b, name="Nieuw in Leersum"), by=world.users["editor_b"]
    )
    editing.request_membership(world.org_a.id, "", by=world.users["resident"])

    def ids(queue):
        return (
            {item.change.id for item in queue.changed},
            {item.change.target_id for item in queue.new},
            len(queue.memberships),
        )

    assert ids(moderation.moderation_queue(world.users["broker_a"])) == ({change_a.id}, set(), 1)
    assert ids(moderation.moderation_queue(world.users["broker_b"])) == ({change_b.id}, {new.id}, 0)
    assert ids(moderation.moderation_queue(world.users["admin"])) == ({change_a.id, change_b.id}, {new.id}, 1)
    assert ids(moderation.moderation_queue(world.users["admin"], area_id=world.area_b.id)) == (
        {change_b.id},
        {new.id},
        0,
    )
    item = moderation.moderation_queue(world.users["broker_a"]).changed[0]
    assert item.area_names == ["Doorn"] and item.changed == ["Korte omschrijving"]


@pytest.mark.parametrize("who", ["editor_a", "resident", "volunteer", "anonymous"])
def test_the_queue_is_for_brokers(world, who):
    with pytest.raises(PermissionDenied):
        moderation.moderation_queue(world.users[who])


def test_approving_a_join_request_makes_an_editor(world):
    resident = world.users["resident"]
    membership = editing.request_membership(world.org_a.id, "", by=resident)
    with pytest.raises(PermissionDenied):
        moderation.decide_membership(membership.id, True, "", by=world.users["broker_b"])
    assert moderation.decide_membership(membership.id, True, "Welkom!", by=world.users["broker_a"]) is True
    assert moderation.decide_membership(membership.id, False, "", by=world.users["broker_a"]) is False
    db.session.expire_all()
    assert world.org_a.id in resident.organization_ids and "editor" in resident.roles
    assert [m.template for m in mail_to(resident)] == ["membership_decided"]
    editing.propose_service_change(world.service_a.id, service_values(world.service_a, summary="Mag nu."), by=resident)


def test_refusing_a_join_request(world):
    membership = editing.request_membership(world.org_a.id, "", by=world.users["volunteer"])
    moderation.decide_membership(membership.id, False, "Onbekend bij de organisatie.", by=world.users["admin"])
    db.session.expire_all()
    assert membership.status == "refused" and "editor" not in world.users["volunteer"].roles
    assert "Onbekend bij de organisatie." in mail_to(world.users["volunteer"])[0].body_text


def test_approving_a_registered_organisation_activates_its_registrant(world):
    volunteer = world.users["volunteer"]
    organization = editing.register_organization({"name": "Buurtkracht Maarn"}, by=volunteer)
    change = editing.pending_change("organization", organization.id)
    moderation.approve_change(change.id, by=world.users["broker_b"])  # no area yet: every broker
    db.session.expire_all()
    membership = db.session.scalars(select(Membership).where(Membership.user_id == volunteer.id)).one()
    assert membership.status == "active" and "editor" in volunteer.roles
    assert editing.list_my_organizations(volunteer)[0].name == "Buurtkracht Maarn"


def test_a_location_change_is_applied_on_approval(world):
    values = {**editing.snapshot_location(world.location_a), "name": "Dorpshuis De Linde"}
    change = editing.propose_location_change(world.location_a.id, values, by=world.users["editor_a"])
    with pytest.raises(PermissionDenied):
        moderation.approve_change(change.id, by=world.users["broker_b"])
    moderation.approve_change(change.id, by=world.users["broker_a"])
    assert world.location_a.name == "Dorpshuis De Linde"
    assert found("linde") == {str(world.service_a.location_links[0].id)}


@pytest.mark.parametrize(
    "who, allowed",
    [
        ("broker_a", True),
        ("admin", True),
        ("editor_a", True),
        ("broker_b", False),
        ("editor_b", False),
        ("resident", False),
        ("volunteer", False),
        ("anonymous", False),
    ],
)
def test_history_is_for_staff_and_the_organisations_editors(world, who, allowed):
    if allowed:
        assert moderation.history("service", world.service_a.id, by=world.users[who]).title == "Maatjesproject Doorn"
    else:
        with pytest.raises(PermissionDenied):
            moderation.history("service", world.service_a.id, by=world.users[who])


def test_history_shows_both_versions_newest_first(world):
    change = propose(world, summary="Nieuwe tekst.")
    moderation.approve_change(change.id, by=world.users["broker_a"])
    page = moderation.history("service", world.service_a.id, by=world.users["broker_a"])
    assert [row.entry.action for row in page.rows] == ["approved", "proposed"]
    assert page.rows[0].fields == [("Korte omschrijving", "Een maatje voor een wandeling.", "Nieuwe tekst.")]
    assert page.rows[0].entry.actor.name == "Bram Broker" and page.rows[1].entry.actor.name == "Els Editor"
    assert page.rows[0].at_local.utcoffset() is not None


def test_the_dashboard_counts_per_area(world):
    propose(world, summary="A.")
    world.service_b.assured_date = date(2020, 1, 1)
    transactions.commit()
    board = moderation.dashboard(world.users["admin"], today=date(2026, 10, 2))
    rows = {row.area.code if row.area else None: row for row in board.rows}
    assert (rows["doorn"].changes, rows["doorn"].overdue) == (1, 0)
    assert (rows["leersum"].changes, rows["leersum"].overdue) == (0, 1)
    assert [o.service.id for o in board.overdue] == [world.service_b.id]
    mine = moderation.dashboard(world.users["broker_a"], today=date(2026, 10, 2))
    assert [row.area.code for row in mine.rows if row.area] == ["doorn"] and mine.overdue == []
