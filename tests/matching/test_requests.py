"""Help requests: submit, confirm, review, publish, reject, edit, cancel (issue #4, item 1)."""

import re
from datetime import UTC, date, datetime, time, timedelta

import pytest
from sqlalchemy import select

from sociale_kaart import clock
from sociale_kaart.errors import NotFound, PermissionDenied, ValidationError
from sociale_kaart.extensions import db
from sociale_kaart.matching import requests as services
from sociale_kaart.matching import states, timeslots
from sociale_kaart.matching.models import Booking, HelpRequest, Match, PersonalDataView, RequestEvent
from sociale_kaart.notify.models import OutboxMessage
from tests.builders import make_user
from tests.matching.factories import load_areas, make_broker, make_match, make_request, make_volunteer, next_weekday


def form(**changes):
    """Return valid values of the public request form (a carer asks respite for her father in Doorn)."""
    values = {
        "task_type": "respijt",
        "urgency": "normal",
        "relation": "carer",
        "contact_name": "Anna de Vries",
        "contact_email": "Anna@Example.org",
        "contact_phone": "06 12345678",
        "recipient_name": "Jan de Vries",
        "description": "Vader heeft dementie.",
        "summary": "Gezelschap voor een oudere man, zodat zijn dochter even weg kan.",
        "street": "Kerkplein",
        "house_number": "3",
        "postcode": "3941ab",
        "schedule_kind": "series",
        "first_date": next_weekday(1),
        "window_start": time(13, 0),
        "window_end": time(17, 0),
        "duration_minutes": 240,
        "weeks": 8,
        "preferred_language": "nl",
        "language_required": False,
        "skills_wanted": ["dementie"],
        "same_volunteer": True,
        "max_km": None,
        "language": "nl",
    }
    values.update(changes)
    return values


def outbox(template=None):
    query = select(OutboxMessage).order_by(OutboxMessage.id)
    if template:
        query = query.where(OutboxMessage.template == template)
    return db.session.scalars(query).all()


def events(request):
    return [
        (e.action, e.from_status, e.to_status)
        for e in db.session.scalars(
            select(RequestEvent).where(RequestEvent.request_id == request.id).order_by(RequestEvent.id)
        )
    ]


@pytest.fixture
def areas(app):
    return load_areas()


# --- submit --------------------------------------------------------------------------------------


def test_submit_creates_series_with_local_times_across_daylight_saving(app, areas, monkeypatch):
    from datetime import datetime

    monkeypatch.setattr(clock, "utcnow", lambda: datetime(2026, 10, 1, 9, 0, tzinfo=UTC))
    # Tuesdays 13:00-17:00 from 13 October: summer time until 25 October, winter time after.
    request = services.submit_request(form(first_date=datetime(2026, 10, 13).date(), weeks=4))
    starts = [o.starts_at for o in request.occurrences]
    assert starts == [
        datetime(2026, 10, 13, 11),
        datetime(2026, 10, 20, 11),
        datetime(2026, 10, 27, 12),
        datetime(2026, 11, 3, 12),
    ]
    assert [o.sequence for o in request.occurrences] == [1, 2, 3, 4]
    assert all(timeslots.to_local(o.starts_at).hour == 13 for o in request.occurrences)


def test_submit_anonymous_with_email_waits_for_confirmation(app, areas):
    request = services.submit_request(form())
    assert request.status == "submitted" and request.confirmed_at is None
    assert request.contact_email == "anna@example.org"
    assert request.pc4 == "3941" and request.postcode == "3941 AB" and request.place_name == "Doorn"
    assert request.area.code == "doorn" and request.requester_id is None
    assert request.recipient_first_name == "Jan"
    assert len(request.occurrences) == 8 and request.schedule_kind == "series"
    [mail] = outbox()
    assert mail.template == "matching_confirm_request" and mail.to_address == "anna@example.org"
    assert "/hulp-vragen/bevestigen/" in mail.body_text
    assert events(request) == [("submitted", None, "submitted")]


def test_submit_in_english_sends_the_confirmation_in_english(app, areas):
    services.submit_request(form(language="en"))
    [mail] = outbox()
    assert mail.language == "en" and mail.subject == "Confirm your help request"
    assert "Bevestig" not in mail.body_text


def test_submit_with_phone_only_is_confirmed_at_once(app, areas):
    request = services.submit_request(form(contact_email="", contact_phone="0343-123456"))
    assert request.confirmed_at is not None
    assert outbox() == []


def test_submit_by_a_logged_in_resident_with_own_address_is_confirmed(app, areas):
    resident = make_user(roles=("resident",), email="anna@example.org")
    request = services.submit_request(form(), by=resident)
    assert request.requester_id == resident.id and request.confirmed_at is not None
    assert [m.template for m in outbox()] == ["matching_request_received"]
    assert services.requests_of_user(resident) == [request]


def test_submit_by_a_broker_is_confirmed_but_still_waits_for_review(app, areas):
    broker = make_broker()
    request = services.submit_request(form(), by=broker)
    assert request.status == "submitted" and request.confirmed_at is not None
    assert request.entered_by_id == broker.id and request.requester_id is None
    assert db.session.scalar(select(RequestEvent.actor_role).where(RequestEvent.request_id == request.id)) == "broker"


def test_confirm_request_is_idempotent(app, areas):
    request = services.submit_request(form())
    token = re.search(r"/hulp-vragen/bevestigen/(\S+)", outbox()[0].body_text).group(1)
    assert services.confirm_request(token).confirmed_at is not None
    services.confirm_request(token)
    assert [m.template for m in outbox()] == ["matching_confirm_request", "matching_request_received"]
    assert [e[0] for e in events(request)] == ["submitted", "confirmed"]


@pytest.mark.parametrize("token", ["", "nonsense", "eyJyIjoiMTIzIn0.abc.def"])
def test_confirm_request_refuses_a_bad_token(app, token):
    with pytest.raises(NotFound):
        services.confirm_request(token)


def test_confirm_request_refuses_another_purposes_token(app, areas):
    from sociale_kaart.matching import links

    request = services.submit_request(form())
    with pytest.raises(NotFound):
        services.confirm_request(links.make_token("match-link", {"r": request.uuid}))


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"first_date": "yesterday"}, "first_date", "Kies een datum vanaf vandaag."),
        ({"window_end": time(12, 0)}, "window_end", "De eindtijd moet na de begintijd liggen."),
        ({"window_end": time(13, 0)}, "window_end", "De eindtijd moet na de begintijd liggen."),
        ({"postcode": "1000 ZZ"}, "postcode", "We kennen postcode ‘1000 ZZ’ niet. Kijk of de postcode klopt."),
        ({"postcode": "39411"}, "postcode", "Vul een postcode in zoals 3941 AB."),
        ({"postcode": "9999 ZZ"}, "postcode", "ligt niet in de gemeente Utrechtse Heuvelrug"),
        ({"contact_email": "", "contact_phone": ""}, "contact_email", "Vul een e-mailadres of telefoonnummer in."),
        ({"contact_email": "anna@"}, "contact_email", "Vul een geldig e-mailadres in"),
        ({"contact_phone": "12"}, "contact_phone", "Vul een geldig telefoonnummer in"),
        ({"contact_name": " "}, "contact_name", "Vul uw naam in."),
        ({"recipient_name": ""}, "recipient_name", "Vul de naam in van wie de hulp krijgt."),
        ({"task_type": "schoonmaak"}, "task_type", "Kies waarbij u hulp zoekt."),
        ({"duration_minutes": 300}, "duration_minutes", "De duur past niet tussen 13:00 en 17:00"),
        ({"duration_minutes": 0}, "duration_minutes", "De hulp duurt minstens 15 minuten."),
        ({"duration_minutes": ""}, "duration_minutes", "Vul in hoe lang de hulp duurt"),
        ({"weeks": 1}, "weeks", "Kies 2 tot 26 weken."),
        ({"weeks": 27}, "weeks", "Kies 2 tot 26 weken."),
        ({"max_km": 0}, "max_km", "Kies een afstand van 0,5 tot 50 km."),
        ({"max_km": 500}, "max_km", "Kies een afstand van 0,5 tot 50 km."),
        ({"skills_wanted": ["toveren"]}, "skills_wanted", "Kies vaardigheden uit de lijst."),
        ({"description": "", "summary": ""}, "description", "Vertel kort waarbij u hulp zoekt."),
        ({"street": ""}, "street", "Vul de straat in."),
        ({"house_number": "xyz"}, "house_number", "Typ een huisnummer zoals 12 of 12a."),
        ({"first_date": None}, "first_date", "Kies een datum."),
    ],
)
def test_submit_refuses_bad_input_with_a_dutch_message_on_the_field(app, areas, changes, field, message):
    if changes.get("first_date") == "yesterday":
        changes["first_date"] = clock.today() - timedelta(days=1)
    with pytest.raises(ValidationError) as error:
        services.submit_request(form(**changes))
    assert error.value.field == field
    assert message in error.value.message
    assert db.session.scalar(select(HelpRequest.id)) is None and outbox() == []


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        (
            {"first_date": date(2027, 3, 28), "window_start": time(2, 0), "window_end": time(3, 30)},
            "window_start",
            "Op zondag 28 maart 2027 gaat de klok een uur vooruit: die nacht bestaat 02:00 niet.",
        ),
        (
            {"first_date": date(2027, 3, 28), "window_start": time(1, 0), "window_end": time(2, 30)},
            "window_start",
            "die nacht bestaat 02:30 niet",
        ),
        (
            {
                "first_date": date(2027, 3, 28),
                "window_start": time(1, 30),
                "window_end": time(3, 30),
                "duration_minutes": 120,
            },
            "duration_minutes",
            "dan past de duur niet tussen 01:30 en 03:30",
        ),
        (
            {
                "first_date": date(2027, 3, 7),
                "weeks": 4,
                "window_start": time(2, 15),
                "window_end": time(2, 45),
                "duration_minutes": 30,
            },
            "window_start",
            "Op zondag 28 maart 2027",
        ),
    ],
)
def test_a_date_in_the_spring_clock_change_is_refused(app, areas, monkeypatch, changes, field, message):
    """Issue #12: 2027-03-28 02:00-03:00 does not exist in Amsterdam; the dates gave a 500 (ck_occurrences_window)."""
    monkeypatch.setattr(clock, "utcnow", lambda: datetime(2027, 1, 15, 9, 0, tzinfo=UTC))
    values = {"schedule_kind": "series" if changes.get("weeks", 1) > 1 else "once", "duration_minutes": 60, **changes}
    with pytest.raises(ValidationError) as error:
        services.submit_request(form(**values))
    assert error.value.field == field
    assert message in error.value.message
    assert db.session.scalar(select(HelpRequest.id)) is None


def test_the_repeated_autumn_hour_is_taken_in_summer_time(app, areas, monkeypatch):
    monkeypatch.setattr(clock, "utcnow", lambda: datetime(2027, 9, 1, 9, 0, tzinfo=UTC))
    request = services.submit_request(
        form(
            schedule_kind="once",
            first_date=date(2027, 10, 31),
            window_start=time(2, 15),
            window_end=time(2, 45),
            duration_minutes=30,
        )
    )
    (occurrence,) = request.occurrences
    assert (occurrence.starts_at, occurrence.ends_at) == (datetime(2027, 10, 31, 0, 15), datetime(2027, 10, 31, 0, 45))


def test_submit_once_ignores_weeks_and_accepts_today_later(app, areas, monkeypatch):
    from datetime import datetime

    monkeypatch.setattr(clock, "utcnow", lambda: datetime(2026, 11, 24, 8, 0, tzinfo=UTC))  # 09:00 local
    request = services.submit_request(
        form(
            schedule_kind="once",
            weeks=8,
            first_date=clock.today(),
            window_start=time(10, 0),
            window_end=time(12, 0),
            duration_minutes=60,
        )
    )
    assert request.weeks == 1 and len(request.occurrences) == 1
    with pytest.raises(ValidationError) as error:
        services.submit_request(
            form(
                schedule_kind="once",
                first_date=clock.today(),
                window_start=time(8, 0),
                window_end=time(12, 0),
                duration_minutes=60,
            )
        )
    assert error.value.field == "window_start"


def test_relation_self_uses_the_contact_as_recipient(app, areas):
    request = services.submit_request(form(relation="self", recipient_name=""))
    assert request.recipient_name == "Anna de Vries" and request.recipient_first_name == "Anna"


# --- requester access -------------------------------------------------------------------------------


def test_get_request_for_requester_needs_the_exact_token(app, areas):
    request = make_request()
    assert services.get_request_for_requester(request.access_token).id == request.id
    for token in ("", None, request.access_token[:-1], "x" * 32):
        with pytest.raises(NotFound):
            services.get_request_for_requester(token)


def test_requests_of_user_needs_login_and_lists_only_own(app, areas):
    resident, other = make_user(roles=("resident",)), make_user(roles=("resident",))
    mine = make_request(requester_id=resident.id)
    make_request(requester_id=other.id)
    assert [r.id for r in services.requests_of_user(resident)] == [mine.id]
    with pytest.raises(PermissionDenied):
        services.requests_of_user(None)


# --- broker: queue, view, publish, reject ------------------------------------------------------------


def test_broker_queue_lists_own_areas_per_status(app, areas):
    broker = make_broker(areas=("doorn",))
    review = make_request(status="submitted", reviewed_at=None)
    unconfirmed = make_request(status="submitted", confirmed_at=None, reviewed_at=None)
    open_request = make_request()
    elsewhere = make_request(postcode="3971 KL", status="submitted")
    assert elsewhere.area.code == "driebergen_rijsenburg"
    pending = make_volunteer(status="pending")
    interested = make_match(open_request, make_volunteer(), status="interested")
    queue = services.broker_queue(broker)
    assert [r.id for r in queue["submitted"]] == [review.id]
    assert [r.id for r in queue["unconfirmed"]] == [unconfirmed.id]
    assert [r.id for r in queue["open"]] == [open_request.id]
    assert [p.id for p in queue["volunteers"]] == [pending.id]
    assert [m.id for m in queue["interested"]] == [interested.id]
    assert queue["counts"]["submitted"] == 1 and [a.code for a in queue["areas"]] == ["doorn"]
    with pytest.raises(PermissionDenied):
        services.broker_queue(broker, area_id=areas["driebergen_rijsenburg"].id)
    admin = make_user(roles=("admin",))
    assert {r.id for r in services.broker_queue(admin)["submitted"]} == {review.id, elsewhere.id}


@pytest.mark.parametrize("role", [None, "resident", "volunteer", "editor"])
def test_broker_queue_refuses_non_brokers(app, areas, role):
    user = make_user(roles=(role,)) if role else None
    with pytest.raises(PermissionDenied):
        services.broker_queue(user)


def test_get_request_for_broker_logs_the_view(app, areas):
    broker, admin = make_broker(), make_user(roles=("admin",), name="Ada Admin")
    request = make_request()
    assert services.get_request_for_broker(request.id, broker).contact_name == request.contact_name
    services.get_request_for_broker(request.id, admin, what="contact")
    views = db.session.scalars(select(PersonalDataView).order_by(PersonalDataView.id)).all()
    assert [(v.viewer_id, v.viewer_name, v.viewer_role, v.what) for v in views] == [
        (broker.id, broker.name, "broker", "request"),
        (admin.id, "Ada Admin", "admin", "contact"),
    ]


def test_get_request_for_broker_of_another_area_is_refused_and_not_logged(app, areas):
    request = make_request()
    for user in (make_broker(areas=("driebergen_rijsenburg",)), make_volunteer().user, None):
        with pytest.raises(PermissionDenied):
            services.get_request_for_broker(request.id, user)
    assert db.session.scalar(select(PersonalDataView.id)) is None
    with pytest.raises(NotFound):
        services.get_request_for_broker(request.id + 100, make_broker())


def test_publish_opens_the_request_once_and_mails_the_requester(app, areas):
    broker = make_broker()
    request = make_request(status="submitted", reviewed_at=None)
    services.publish_request(request.id, broker)
    again = services.publish_request(request.id, broker)
    assert again.status == "open" and again.reviewed_by_id == broker.id and again.reviewed_at is not None
    assert [e for e in events(request)] == [("published", "submitted", "open")]
    assert [m.template for m in outbox()] == ["matching_request_published"]


def test_publish_refuses_unconfirmed_and_other_areas(app, areas):
    request = make_request(status="submitted", confirmed_at=None)
    with pytest.raises(ValidationError):
        services.publish_request(request.id, make_broker())
    with pytest.raises(PermissionDenied):
        services.publish_request(make_request(status="submitted").id, make_broker(areas=("leersum",)))
    assert db.session.get(HelpRequest, request.id).status == "submitted"


def test_reject_needs_a_reason_mails_it_and_closes(app, areas):
    broker = make_broker()
    request = make_request(status="submitted")
    interested = make_match(request, make_volunteer(), status="interested")
    with pytest.raises(ValidationError) as error:
        services.reject_request(request.id, "  ", broker)
    assert error.value.field == "reason"
    services.reject_request(request.id, "Dit is werk voor de thuiszorg.", broker)
    services.reject_request(request.id, "Nog een keer", broker)
    request = db.session.get(HelpRequest, request.id)
    assert request.status == "rejected" and request.closed_at is not None
    assert request.rejection_reason == "Dit is werk voor de thuiszorg."
    assert db.session.get(Match, interested.id).status == "rejected"
    [mail] = outbox()
    assert mail.template == "matching_request_rejected" and "thuiszorg" in mail.body_text
    assert [e[0] for e in events(request)] == ["rejected"]


def test_reject_refuses_a_matched_request(app, areas):
    request = make_request(status="matched")
    with pytest.raises(ValidationError):
        services.reject_request(request.id, "Reden", make_broker())


# --- broker: edit ---------------------------------------------------------------------------------------


def test_update_request_changes_fields_and_rebuilds_dates(app, areas):
    broker = make_broker()
    request = make_request(weeks=2)
    updated = services.update_request(
        request.id,
        {"summary": "Korte uitleg.", "weeks": 3, "schedule_kind": "series", "window_start": time(14, 0)},
        broker,
    )
    assert updated.summary == "Korte uitleg." and updated.weeks == 3
    assert len(updated.occurrences) == 3 and [o.sequence for o in updated.occurrences] == [1, 2, 3]
    assert all(timeslots.to_local(o.starts_at).hour == 14 for o in updated.occurrences)
    [event] = [e for e in updated.events if e.action == "edited"]
    assert "summary" in event.note and "weeks" in event.note


def test_update_request_keeps_dates_when_the_schedule_is_unchanged(app, areas):
    request = make_request(weeks=2)
    ids = [o.id for o in request.occurrences]
    updated = services.update_request(request.id, {"summary": "Nieuw"}, make_broker())
    assert [o.id for o in updated.occurrences] == ids


def test_update_request_refuses_a_new_date_when_someone_is_booked(app, areas):
    request = make_request()
    make_match(request, make_volunteer(), status="approved")
    with pytest.raises(ValidationError) as error:
        services.update_request(request.id, {"first_date": request.first_date + timedelta(days=7)}, make_broker())
    assert error.value.field == "first_date"


def test_update_request_validates_and_checks_the_broker(app, areas):
    request = make_request()
    with pytest.raises(ValidationError):
        services.update_request(request.id, {"window_end": time(9, 0)}, make_broker())
    with pytest.raises(PermissionDenied):
        services.update_request(request.id, {"summary": "x"}, make_broker(areas=("leersum",)))
    with pytest.raises(PermissionDenied):  # moving it to an area the broker does not serve
        services.update_request(request.id, {"postcode": "3971 KL"}, make_broker(areas=("doorn",)))


# --- cancel -------------------------------------------------------------------------------------------


def test_requester_cancels_by_link_releasing_bookings_and_matches(app, areas):
    request = make_request(weeks=3, status="matched")
    volunteer = make_volunteer()
    accepted = make_match(request, volunteer, status="accepted")
    suggested = make_match(request, make_volunteer(), status="suggested")
    with pytest.raises(PermissionDenied):
        services.cancel_request(request.id, access_token="wrong")
    services.cancel_request(request.id, access_token=request.access_token, reason="Vader is opgenomen.")
    services.cancel_request(request.id, access_token=request.access_token)
    request = db.session.get(HelpRequest, request.id)
    assert request.status == "cancelled" and request.closed_at is not None
    assert {db.session.get(Match, m.id).status for m in (accepted, suggested)} == {"cancelled"}
    assert db.session.scalar(select(Booking.id).where(Booking.active.is_(True))) is None
    assert {o.status for o in request.occurrences} == {"cancelled"}
    cancelled = [e for e in events(request) if e[0] == "cancelled"]
    assert cancelled == [("cancelled", "matched", "cancelled")]
    assert [m.to_address for m in outbox("matching_match_cancelled")] == [volunteer.user.email]
    # the volunteer's dates are free again for another request at the same time
    other = make_request(first_date=request.first_date, weeks=3)
    make_match(other, volunteer, status="approved")


def test_cancel_by_own_account_or_broker_and_not_by_others(app, areas):
    resident = make_user(roles=("resident",))
    mine = make_request(requester_id=resident.id)
    with pytest.raises(PermissionDenied):
        services.cancel_request(mine.id, by=make_user(roles=("resident",)))
    with pytest.raises(PermissionDenied):
        services.cancel_request(mine.id, by=make_broker(areas=("leersum",)))
    with pytest.raises(PermissionDenied):
        services.cancel_request(mine.id)
    assert services.cancel_request(mine.id, by=resident).status == "cancelled"
    other = make_request()
    broker = make_broker()
    assert services.cancel_request(other.id, by=broker, reason="Dubbel").status == "cancelled"
    event = db.session.scalar(
        select(RequestEvent).where(RequestEvent.request_id == other.id, RequestEvent.action == "cancelled")
    )
    assert (event.actor_id, event.actor_role, event.note) == (broker.id, "broker", "Dubbel")


def test_set_status_records_the_event_and_closes(app, areas):
    broker = make_broker()
    request = make_request()
    states.set_status(request, "done", broker, "broker", note="Klaar")
    db.session.commit()
    assert request.closed_at is not None
    assert events(request)[-1] == ("status", "open", "done")


# --- the dorpsteam in the requester's e-mails (issue #11) ----------------------------------------


def test_confirmation_and_received_mails_name_the_dorpsteam(app, areas):
    services.submit_request(form())
    token = re.search(r"/hulp-vragen/bevestigen/(\S+)", outbox()[0].body_text).group(1)
    services.confirm_request(token)
    line = "Vragen? Bel het dorpsteam: Dorpsteam Doorn (demo), 0343 000 192."
    mails = outbox()
    assert [mail.template for mail in mails] == ["matching_confirm_request", "matching_request_received"]
    for mail in mails:
        assert line in mail.body_text and line in mail.body_html


def test_a_dorpsteam_without_a_phone_is_mailed(app, areas):
    areas["doorn"].contact_phone = None
    db.session.commit()
    services.submit_request(form())
    [mail] = outbox()
    assert (
        "Vragen? Mail het dorpsteam: Dorpsteam Doorn (demo), dorpsteam-doorn@heuvelrug.example.org." in mail.body_text
    )


def test_a_dorpsteam_without_phone_or_email_gets_no_line(app, areas):
    areas["doorn"].contact_phone = areas["doorn"].contact_email = None
    db.session.commit()
    services.submit_request(form())
    [mail] = outbox()
    assert "dorpsteam" not in mail.body_text.lower() and "dorpsteam" not in mail.body_html.lower()
