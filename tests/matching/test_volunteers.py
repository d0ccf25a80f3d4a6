"""Volunteers: profile, absences, approval, VOG, tasks near me, one task, "Ik wil helpen" (issue #4, items 2 and 4)."""

from datetime import UTC, date, time, timedelta

import pytest
from sqlalchemy import select

from sociale_kaart import clock
from sociale_kaart.errors import NotFound, PermissionDenied, ValidationError
from sociale_kaart.extensions import db
from sociale_kaart.matching import timeslots
from sociale_kaart.matching import volunteers as services
from sociale_kaart.matching.models import Match, PersonalDataView, VolunteerProfile
from sociale_kaart.notify.models import OutboxMessage
from tests.builders import make_user
from tests.matching.factories import load_areas, make_broker, make_match, make_request, make_volunteer, next_weekday

PRIVATE_FIELDS = (
    "contact_name",
    "contact_email",
    "contact_phone",
    "recipient_name",
    "street",
    "house_number",
    "postcode",
    "description",
)


def profile_form(**changes):
    values = {
        "first_name": "Vera",
        "phone": "06 11112222",
        "postcode": "3971 KL",
        "street": "",
        "house_number": "",
        "travel_mode": "bike",
        "max_km": "7,5",
        "task_types": ["respijt", "gezelschap"],
        "skills": ["dementie"],
        "languages": ["nl", "en"],
        "availability": timeslots.mask_from_cells([(1, 1), (3, 0)]),
        "max_tasks_per_week": 2,
        "paused": False,
        "paused_until": None,
        "motivation": "Ik heb tijd over.",
    }
    values.update(changes)
    return values


def assert_public(task, request):
    """Assert that a task dict holds none of the request's private fields, by key or by value."""
    assert not set(task) & set(PRIVATE_FIELDS)
    text = repr(task)
    for field in PRIVATE_FIELDS:
        if field != "house_number":  # a short number; its key is absent
            assert getattr(request, field) not in text, field


def templates():
    return [m.template for m in db.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id))]


@pytest.fixture
def areas(app):
    return load_areas()


# --- profile -------------------------------------------------------------------------------------------


def test_new_profile_waits_for_a_broker_gives_the_role_and_mails_the_area_brokers(app, areas):
    broker_here = make_broker(areas=("driebergen_rijsenburg",))
    make_broker(areas=("doorn",))
    user = make_user(roles=("resident",))
    profile = services.save_profile(user, profile_form(), by=user)
    assert profile.status == "pending" and profile.area.code == "driebergen_rijsenburg"
    assert profile.max_km == 7.5 and profile.pc4 == "3971" and profile.place_name == "Driebergen-Rijsenburg"
    assert user.has_role("volunteer") and user.has_role("resident")
    mails = db.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)).all()
    assert [(m.template, m.to_address) for m in mails] == [
        ("matching_volunteer_signed_up", broker_here.email),
        ("matching_volunteer_welcome", user.email),
    ]
    assert f"/werkplek/hulp/vrijwilligers/{profile.id}" in mails[0].body_text


def test_saving_again_updates_without_new_mail_or_status_change(app, areas):
    profile = make_volunteer()
    user = profile.user
    services.save_profile(user, profile_form(first_name="Vera", max_km=3), by=user)
    assert services.get_profile(user).max_km == 3 and services.get_profile(user).status == "active"
    assert templates() == []


def test_profile_accepts_four_digit_postcode(app, areas):
    user = make_user(roles=("resident",))
    profile = services.save_profile(user, profile_form(postcode="3941"), by=user)
    assert profile.postcode == "3941" and profile.area.code == "doorn"


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"max_km": 0}, "max_km", "Kies een afstand van 0,5 tot 50 km."),
        ({"max_km": 500}, "max_km", "Kies een afstand van 0,5 tot 50 km."),
        ({"max_km": ""}, "max_km", "Kies een afstand van 0,5 tot 50 km."),
        ({"availability": 0}, "availability", "Kies minstens één dagdeel waarop u kunt helpen."),
        ({"availability": 1 << 21}, "availability", "Kies minstens één dagdeel waarop u kunt helpen."),
        ({"postcode": "1000 ZZ"}, "postcode", "We kennen postcode ‘1000 ZZ’ niet. Kijk of de postcode klopt."),
        ({"postcode": "abc"}, "postcode", "Vul een postcode in zoals 3941 AB."),
        ({"task_types": []}, "task_types", "Kies minstens één soort hulp"),
        ({"task_types": ["toveren"]}, "task_types", "Kies minstens één soort hulp"),
        ({"languages": []}, "languages", "Kies minstens één taal"),
        ({"first_name": ""}, "first_name", "Vul uw voornaam in."),
        ({"travel_mode": "boat"}, "travel_mode", "Kies hoe u reist"),
        ({"max_tasks_per_week": 0}, "max_tasks_per_week", "Kies 1 tot 7 taken per week."),
        ({"paused": True, "paused_until": date(2020, 1, 1)}, "paused_until", "Kies een datum vanaf vandaag."),
        ({"phone": "123"}, "phone", "Vul een geldig telefoonnummer in"),
        # no broker of this installation could take up a volunteer from Amsterdam (the help request's rule)
        ({"postcode": "1012 AB"}, "postcode", "Postcode ‘1012 AB’ ligt niet in Utrechtse Heuvelrug."),
        ({"house_number": "xyz"}, "house_number", "Typ een huisnummer zoals 12 of 12a."),
    ],
)
def test_profile_refuses_bad_input_with_a_dutch_message(app, areas, changes, field, message):
    user = make_user(roles=("resident",))
    with pytest.raises(ValidationError) as error:
        services.save_profile(user, profile_form(**changes), by=user)
    assert error.value.field == field and message in error.value.message
    assert services.get_profile(user) is None and not user.has_role("volunteer")


def test_only_the_user_or_an_admin_saves_a_profile(app, areas):
    user = make_user(roles=("resident",))
    with pytest.raises(PermissionDenied):
        services.save_profile(user, profile_form(), by=make_user(roles=("resident",)))
    with pytest.raises(PermissionDenied):
        services.save_profile(user, profile_form(), by=None)
    assert services.save_profile(user, profile_form(), by=make_user(roles=("admin",))).user_id == user.id


def test_absences_add_validate_and_remove_only_own(app, areas):
    profile = make_volunteer()
    today = clock.today()
    absence = services.add_absence(profile.user, today + timedelta(days=3), today + timedelta(days=10), "Vakantie")
    assert [a.note for a in services.get_profile(profile.user).absences] == ["Vakantie"]
    with pytest.raises(ValidationError) as error:
        services.add_absence(profile.user, today + timedelta(days=3), today + timedelta(days=1))
    assert error.value.field == "ends_on"
    with pytest.raises(ValidationError):
        services.add_absence(profile.user, today - timedelta(days=9), today - timedelta(days=2))
    other = make_volunteer()
    with pytest.raises(NotFound):
        services.remove_absence(other.user, absence.id)
    services.remove_absence(profile.user, absence.id)
    assert services.get_profile(profile.user).absences == []


# --- brokers ---------------------------------------------------------------------------------------------


def test_approve_volunteer_once_by_a_broker_of_the_area(app, areas):
    profile = make_volunteer(status="pending", approved_at=None)
    with pytest.raises(PermissionDenied):
        services.approve_volunteer(profile.id, make_broker(areas=("leersum",)))
    broker = make_broker()
    services.approve_volunteer(profile.id, broker)
    services.approve_volunteer(profile.id, broker)
    profile = db.session.get(VolunteerProfile, profile.id)
    assert profile.status == "active" and profile.approved_by_id == broker.id
    assert templates() == ["matching_volunteer_approved"]


def test_record_vog(app, areas):
    profile = make_volunteer()
    broker = make_broker()
    today = clock.today()
    with pytest.raises(ValidationError) as error:
        services.record_vog(profile.id, today + timedelta(days=1), today + timedelta(days=400), broker)
    assert error.value.field == "checked_on"
    with pytest.raises(ValidationError) as error:
        services.record_vog(profile.id, today, today, broker)
    assert error.value.field == "valid_until"
    services.record_vog(profile.id, today, today + timedelta(days=3 * 365), broker)
    assert (profile.vog_checked_on, profile.vog_checked_by_id) == (today, broker.id)
    with pytest.raises(PermissionDenied):
        services.record_vog(profile.id, today, today + timedelta(days=9), profile.user)


def test_volunteer_list_and_detail_for_brokers_of_the_area(app, areas):
    here, pending = make_volunteer(), make_volunteer(status="pending")
    there = make_volunteer(postcode="3971 KL")
    broker = make_broker()
    assert {p.id for p in services.volunteer_list(broker)} == {here.id, pending.id}
    assert [p.id for p in services.volunteer_list(broker, status="pending")] == [pending.id]
    assert services.get_volunteer_for_broker(here.id, broker).id == here.id
    with pytest.raises(PermissionDenied):
        services.get_volunteer_for_broker(there.id, broker)
    with pytest.raises(PermissionDenied):
        services.volunteer_list(here.user)
    assert db.session.scalar(select(PersonalDataView.id)) is None


# --- tasks near me -------------------------------------------------------------------------------------


def test_tasks_near_me_shows_only_fitting_tasks_with_public_fields(app, areas):
    volunteer = make_volunteer(
        postcode="3971 KL",
        max_km=8,
        task_types=["respijt", "boodschappen"],
        availability=timeslots.mask_from_cells([(1, 1)]),
    )  # Tuesday afternoon
    fits = make_request(task_type="boodschappen")  # Doorn, ~4 km, Tuesday 13-17
    make_request(task_type="tuin")  # task type not wanted
    make_request(first_date=next_weekday(2))  # Wednesday: not available
    make_request(status="submitted")  # not published
    make_request(postcode="3958 AA")  # Amerongen, too far
    make_request(task_type="respijt")  # needs a VOG
    booked = make_request()
    make_match(booked, make_volunteer(), status="approved")  # its date is taken
    tasks = services.tasks_near_me(volunteer.user)
    assert [task["id"] for task in tasks] == [fits.id]
    [task] = tasks
    assert task["place_name"] == "Doorn" and task["pc4"] == "3941" and task["recipient_first_name"] == "Piet"
    assert task["summary"] == fits.summary and task["duration_minutes"] == 120
    assert "13:00–17:00" in task["when"] and task["total"] == 1 and 3 < task["distance_km"] < 6
    assert_public(task, fits)


def test_tasks_near_me_with_a_vog_shows_respite_and_marks_own_interest(app, areas):
    volunteer = make_volunteer(vog_valid_until=clock.today() + timedelta(days=365))
    respite = make_request(task_type="respijt", weeks=4)
    make_match(respite, volunteer, status="interested")
    [task] = services.tasks_near_me(volunteer.user)
    assert task["id"] == respite.id and task["match_status"] == "interested" and task["total"] == 4
    assert task["when"].startswith("elke dinsdag 13:00–17:00, 4 weken")


def test_tasks_near_me_paused_or_absent_volunteers_see_nothing(app, areas):
    request = make_request()
    paused = make_volunteer(paused=True, paused_until=clock.today() + timedelta(days=30))
    assert services.tasks_near_me(paused.user) == []
    pause_over = make_volunteer(paused=True, paused_until=clock.today() - timedelta(days=1))
    assert [t["id"] for t in services.tasks_near_me(pause_over.user)] == [request.id]
    absent = make_volunteer()
    services.add_absence(absent.user, request.first_date, request.first_date)
    assert services.tasks_near_me(absent.user) == []


@pytest.mark.parametrize("status", ["pending", "stopped"])
def test_tasks_near_me_needs_an_approved_profile(app, areas, status):
    make_request()
    with pytest.raises(PermissionDenied):
        services.tasks_near_me(make_volunteer(status=status).user)
    with pytest.raises(PermissionDenied):
        services.tasks_near_me(make_user(roles=("volunteer",)))
    with pytest.raises(PermissionDenied):
        services.tasks_near_me(make_user(roles=("resident",)))


def test_tasks_near_me_leaves_out_past_dates(app, areas, monkeypatch):
    from datetime import datetime

    request = make_request()
    volunteer = make_volunteer()
    later = datetime.combine(request.first_date + timedelta(days=1), time(9)).replace(tzinfo=UTC)
    monkeypatch.setattr(clock, "utcnow", lambda: later)
    assert request.id not in [t["id"] for t in services.tasks_near_me(volunteer.user)]


# --- one task ---------------------------------------------------------------------------------------------


def test_task_for_volunteer_shows_the_address_only_after_acceptance_and_logs_it(app, areas):
    request = make_request()
    volunteer = make_volunteer()
    task = services.task_for_volunteer(request.id, volunteer.user)
    assert task["private"] is None and task["summary"] == request.summary
    assert_public(task, request)
    match = make_match(request, volunteer, status="approved")
    assert services.task_for_volunteer(request.id, volunteer.user)["private"] is None
    assert db.session.scalar(select(PersonalDataView.id)) is None
    match.status = "accepted"
    db.session.commit()
    task = services.task_for_volunteer(request.id, volunteer.user)
    assert task["private"] == {
        "contact_name": request.contact_name,
        "contact_phone": request.contact_phone,
        "contact_email": "",  # the phone is there: the e-mail address is not needed to reach them
        "recipient_name": request.recipient_name,
        "street": request.street,
        "house_number": request.house_number,
        "postcode": request.postcode,
    }
    assert task["match_status"] == "accepted"
    [view] = db.session.scalars(select(PersonalDataView)).all()
    assert (view.request_id, view.viewer_id, view.viewer_role, view.what) == (
        request.id,
        volunteer.user.id,
        "volunteer",
        "address",
    )
    assert view.viewer_name == volunteer.first_name  # the requester sees the volunteer's first name


def test_task_for_volunteer_hides_unpublished_and_taken_tasks(app, areas):
    volunteer = make_volunteer()
    for request in (make_request(status="submitted"), make_request(status="cancelled")):
        with pytest.raises(NotFound):
            services.task_for_volunteer(request.id, volunteer.user)
    taken = make_request()
    make_match(taken, make_volunteer(), status="accepted")
    with pytest.raises(NotFound):
        services.task_for_volunteer(taken.id, volunteer.user)
    with pytest.raises(NotFound):
        services.task_for_volunteer(99999, volunteer.user)
    with pytest.raises(PermissionDenied):
        services.task_for_volunteer(taken.id, make_user(roles=("resident",)))


# --- Ik wil helpen --------------------------------------------------------------------------------------------


def test_register_interest_is_idempotent_and_mails_the_area_brokers(app, areas):
    broker = make_broker()
    make_broker(areas=("leersum",))
    request = make_request()
    volunteer = make_volunteer()
    match = services.register_interest(request.id, volunteer.user, "Ik woon om de hoek.")
    again = services.register_interest(request.id, volunteer.user, "Nog een keer")
    assert again.id == match.id and match.status == "interested" and match.source == "interest"
    assert match.message == "Ik woon om de hoek." and match.score is not None
    assert match.explanation["reasons"][0]["code"] == "distance" and "text" not in match.explanation  # codes (#13)
    mails = db.session.scalars(select(OutboxMessage)).all()
    assert [(m.template, m.to_address) for m in mails] == [("matching_interest_registered", broker.email)]
    assert "Ik woon om de hoek." in mails[0].body_text


def test_register_interest_turns_a_suggestion_into_interest(app, areas):
    request = make_request()
    volunteer = make_volunteer()
    suggested = make_match(request, volunteer, status="suggested", source="batch")
    assert services.register_interest(request.id, volunteer.user).id == suggested.id
    assert db.session.get(Match, suggested.id).status == "interested"


def test_register_interest_refuses_tasks_that_do_not_fit_or_are_gone(app, areas):
    volunteer = make_volunteer(task_types=["boodschappen"])
    with pytest.raises(ValidationError) as error:
        services.register_interest(make_request(task_type="tuin").id, volunteer.user)
    assert "niet gekozen" in error.value.message
    with pytest.raises(ValidationError):
        services.register_interest(make_request(status="submitted").id, volunteer.user)
    rejected = make_request()
    make_match(rejected, volunteer, status="rejected")
    with pytest.raises(ValidationError):
        services.register_interest(rejected.id, volunteer.user)
    with pytest.raises(PermissionDenied):
        services.register_interest(make_request().id, make_volunteer(status="pending").user)
    assert db.session.scalar(select(Match.id).where(Match.status == "interested")) is None


# --- before approval: a preview of the kinds of tasks nearby (issue #14) --------------------------------


def test_preview_counts_task_kinds_within_the_distance_and_leaves_out_fewer_than_three(app, areas):
    pending = make_volunteer(status="pending", approved_at=None, max_km=5.0)  # Doorn
    for _ in range(3):
        make_request(task_type="boodschappen")
    for _ in range(4):
        make_request(task_type="gezelschap")
    make_request(task_type="vervoer")  # one alone could point at a neighbour
    make_request(task_type="vervoer")
    for _ in range(3):
        make_request(task_type="boodschappen", postcode="3911 AA")  # Rhenen: farther than 5 km
    make_request(task_type="boodschappen", status="matched")  # no longer open
    kinds = services.nearby_task_kinds(pending.user)
    assert [(kind["task_type"], kind["count"]) for kind in kinds] == [("gezelschap", 4), ("boodschappen", 3)]


def test_preview_holds_only_type_label_and_count(app, areas):
    pending = make_volunteer(status="pending", approved_at=None, task_types=["boodschappen"])
    requests = [make_request() for _ in range(3)]
    kinds = services.nearby_task_kinds(pending.user)
    assert [set(kind) for kind in kinds] == [{"task_type", "label", "count", "chosen"}]
    assert kinds[0]["chosen"] is True
    text = repr(kinds)
    for request in requests:
        for field in ("contact_name", "recipient_first_name", "street", "postcode", "pc4", "place_name", "summary"):
            assert str(getattr(request, field)) not in text, field


def test_preview_follows_the_volunteers_own_distance(app, areas):
    near = make_volunteer(status="pending", approved_at=None, postcode="3971 KL", max_km=0.5)  # Driebergen
    far = make_volunteer(status="pending", approved_at=None, postcode="3971 KL", max_km=50.0)
    for _ in range(3):
        make_request()  # Doorn, several km from Driebergen
    assert services.nearby_task_kinds(near.user) == []
    assert [kind["count"] for kind in services.nearby_task_kinds(far.user)] == [3]


def test_preview_is_empty_without_a_profile(app, areas):
    make_request()
    assert services.nearby_task_kinds(make_user(roles=("resident",))) == []
    with pytest.raises(PermissionDenied):
        services.nearby_task_kinds(None)


def test_new_volunteer_gets_one_mail_with_the_intake_and_the_area_contact(app, areas):
    area = areas["driebergen_rijsenburg"]
    area.contact_name, area.contact_phone, area.contact_email = "Dorpsteam Driebergen", "0343 123 456", "dt@example.org"
    broker = make_broker(areas=("driebergen_rijsenburg",), name="Bram Makelaar")
    other = make_volunteer(first_name="Wim (fictief)")
    user = make_user(roles=("resident",))
    services.save_profile(user, profile_form(), by=user)
    services.save_profile(user, profile_form(first_name="Vera"), by=user)  # saving again: no second mail
    mails = db.session.scalars(select(OutboxMessage).where(OutboxMessage.to_address == user.email)).all()
    assert [mail.template for mail in mails] == ["matching_volunteer_welcome"]
    text = mails[0].body_text
    assert "binnen 5 werkdagen" in text and "VOG" in text
    assert "Dorpsteam Driebergen" in text and "0343 123 456" in text and "dt@example.org" in text
    assert "/vrijwilliger/aangemeld" in text
    for private in (broker.name, broker.email, other.first_name, other.phone, other.user.email):
        assert private not in text and private not in mails[0].body_html
