"""Privacy by design (issue #4, item 7): access log, data export, account deletion, retention."""

import json
from datetime import UTC, timedelta

import pytest
from sqlalchemy import func, select

from sociale_kaart import clock
from sociale_kaart.accounts import privacy as account_privacy
from sociale_kaart.accounts.models import User
from sociale_kaart.errors import PermissionDenied, ValidationError
from sociale_kaart.extensions import db
from sociale_kaart.matching import booking, privacy, requests, volunteers
from sociale_kaart.matching.models import (
    Booking,
    Feedback,
    HelpRequest,
    Match,
    PersonalDataView,
    RequestEvent,
    VolunteerProfile,
)
from sociale_kaart.notify.models import OutboxMessage
from tests.builders import TEST_PASSWORD, make_user
from tests.matching.factories import make_broker, make_match, make_request, make_volunteer


def outbox(template):
    return db.session.scalars(select(OutboxMessage).where(OutboxMessage.template == template)).all()


@pytest.fixture
def accepted(app):
    """A resident's request in Doorn with an accepted volunteer (surname and e-mail on the account only)."""
    resident = make_user(roles=("resident",), name="Anna de Vries", email="anna@example.org")
    broker = make_broker(areas=("doorn",), name="Bram Makelaar")
    request = make_request(requester_id=resident.id, contact_name="Anna de Vries", contact_email="anna@example.org")
    volunteer = make_volunteer(
        first_name="Vera", user_values={"name": "Vera Achternaam", "email": "vera.achternaam@example.org"}
    )
    match = make_match(request, volunteer, status="accepted")
    return resident, broker, request, volunteer, match


# --- access log ---------------------------------------------------------------------------------


def test_the_requesters_access_log_lists_broker_and_volunteer_views(accepted):
    resident, broker, request, volunteer, match = accepted
    requests.get_request_for_broker(request.id, by=broker)
    task = volunteers.task_for_volunteer(request.id, volunteer.user)
    assert task["private"]["street"] == request.street
    log = privacy.access_log(db.session.get(HelpRequest, request.id))
    assert [(view.viewer_role, view.viewer_name, view.what) for view in log] == [
        ("volunteer", "Vera", "address"),  # newest first; a volunteer by first name only
        ("broker", "Bram Makelaar", "request"),
    ]


def test_log_view_does_not_commit(accepted):
    resident, broker, request, volunteer, match = accepted
    privacy.log_view(request, broker, "broker", "contact")
    db.session.rollback()
    assert db.session.scalar(select(func.count(PersonalDataView.id))) == 0


# --- export -------------------------------------------------------------------------------------------


def test_export_of_an_account_holds_their_data_and_only_the_volunteers_first_name(accepted):
    resident, broker, request, volunteer, match = accepted
    requests.get_request_for_broker(request.id, by=broker)
    data = account_privacy.export_data(user=resident)
    text = json.dumps(data, default=str)
    assert data["account"]["email"] == "anna@example.org"
    [exported] = data["requests"]
    assert exported["contact_name"] == "Anna de Vries"
    assert exported["street"] == request.street and exported["description"] == request.description
    assert exported["volunteers"][0]["volunteer_first_name"] == "Vera"
    assert exported["access_log"][0]["name"] == "Bram Makelaar"
    assert "Achternaam" not in text and "vera.achternaam@example.org" not in text
    assert volunteer.phone not in text
    assert data["volunteer"] is None


def test_export_of_one_request_by_its_link(accepted):
    resident, broker, request, volunteer, match = accepted
    data = privacy.export_request(request)
    text = json.dumps(data, default=str)
    assert data["request"]["contact_phone"] == request.contact_phone
    assert len(data["request"]["dates"]) == 1
    assert "Achternaam" not in text and "vera.achternaam@example.org" not in text


def test_export_of_a_volunteer_shows_tasks_without_the_requesters_details(accepted, app_clock):
    resident, broker, request, volunteer, match = accepted
    last = max(b.starts_at for b in match.bookings)
    app_clock.start(last.replace(tzinfo=UTC) + timedelta(hours=1))  # no-show only after the date (issue #14)
    booking.record_no_show(match.id, by=broker)
    data = account_privacy.export_data(user=volunteer.user)
    text = json.dumps(data, default=str)
    assert data["volunteer"]["first_name"] == "Vera"
    assert data["volunteer"]["tasks"][0]["place"] == request.place_name
    for secret in ("Anna de Vries", request.street, request.contact_phone, "anna@example.org"):
        assert secret not in text
    assert "no_show" not in text  # brokers only


def test_export_of_an_account_needs_a_login(app):
    with pytest.raises(PermissionDenied):
        account_privacy.export_data(user=None)


# --- deleting an account --------------------------------------------------------------------------------


def test_delete_account_needs_the_password(accepted):
    resident, broker, request, volunteer, match = accepted
    with pytest.raises(ValidationError) as error:
        account_privacy.delete_account(resident, "verkeerd", by=resident)
    assert error.value.field == "password" and error.value.message == "Het wachtwoord klopt niet."
    with pytest.raises(PermissionDenied):
        account_privacy.delete_account(resident, TEST_PASSWORD, by=broker)
    assert db.session.get(User, resident.id) is not None


def test_delete_account_of_a_requester_anonymises_and_cancels(accepted):
    resident, broker, request, volunteer, match = accepted
    requests.get_request_for_broker(request.id, by=broker)
    account_privacy.delete_account(resident, TEST_PASSWORD, by=resident)
    db.session.expire_all()
    assert db.session.get(User, resident.id) is None
    row = db.session.get(HelpRequest, request.id)
    assert row.status == "cancelled" and row.anonymised_at is not None and row.requester_id is None
    assert (row.contact_name, row.contact_email, row.street, row.postcode) == ("", "", "", "")
    assert row.pc4 == "3941"
    assert db.session.get(Match, match.id).status == "cancelled"
    assert db.session.scalar(select(func.count(Booking.id)).where(Booking.active.is_(True))) == 0
    # the volunteer hears it; the access log keeps who looked
    assert [m.to_address for m in outbox("matching_match_cancelled")] == [volunteer.user.email]
    assert [v.viewer_name for v in privacy.access_log(row)] == ["Bram Makelaar"]


def test_delete_account_of_a_volunteer_cancels_their_matches_and_removes_the_profile(accepted):
    resident, broker, request, volunteer, match = accepted
    user_id, profile_id = volunteer.user.id, volunteer.id
    account_privacy.delete_account(volunteer.user, TEST_PASSWORD, by=volunteer.user)
    db.session.expire_all()
    assert db.session.get(User, user_id) is None
    assert db.session.get(VolunteerProfile, profile_id) is None
    assert db.session.scalar(select(func.count(Booking.id))) == 0
    row = db.session.get(HelpRequest, request.id)
    assert row.status == "open" and row.anonymised_at is None
    assert [m.to_address for m in outbox("matching_match_cancelled")] == [request.contact_email]


def test_an_admin_cannot_delete_their_own_account_here(app):
    admin = make_user(roles=("admin",))
    with pytest.raises(ValidationError):
        account_privacy.delete_account(admin, TEST_PASSWORD, by=admin)


# --- retention --------------------------------------------------------------------------------------------


def _closed(days_ago, status="done", **overrides):
    closed_at = clock.naive_utcnow() - timedelta(days=days_ago)
    return make_request(status=status, closed_at=closed_at, **overrides)


def test_retention_anonymises_only_closed_requests_older_than_the_period(accepted):
    resident, broker, request, volunteer, match = accepted
    old_done = _closed(200)
    old_cancelled = _closed(181, status="cancelled")
    recent = _closed(100)
    old_but_open = make_request(status="open", closed_at=clock.naive_utcnow() - timedelta(days=300))
    helper = make_volunteer()
    done_match = make_match(old_done, helper, status="done", book=False)
    db.session.add(
        Feedback(
            match=done_match,
            author_role="requester",
            happened=True,
            rating=3,
            comment="Mijn vader, meneer Jansen, vond het fijn.",
        )
    )
    db.session.add(RequestEvent(request=old_done, action="rejected", note="Belde met mevrouw Jansen"))
    db.session.commit()

    assert privacy.run_retention() == 2
    db.session.expire_all()
    row = db.session.get(HelpRequest, old_done.id)
    assert row.anonymised_at is not None
    for column in (
        "contact_name",
        "contact_email",
        "contact_phone",
        "recipient_name",
        "street",
        "house_number",
        "postcode",
        "description",
        "summary",
    ):
        assert getattr(row, column) == "", column
    assert row.pc4 == "3941" and row.place_name and row.task_type == "boodschappen"
    assert db.session.get(Feedback, done_match.feedback[0].id).comment == ""
    assert all(event.note == "" for event in row.events)
    assert db.session.get(HelpRequest, old_cancelled.id).anonymised_at is not None
    for untouched in (recent, old_but_open, request):
        assert db.session.get(HelpRequest, untouched.id).contact_name != ""
    # idempotent
    assert privacy.run_retention() == 0


def test_retention_takes_the_period_and_moment_given(app):
    request = _closed(10)
    assert privacy.run_retention(days=30) == 0
    assert privacy.run_retention(now=clock.naive_utcnow() + timedelta(days=25), days=30) == 1
    assert db.session.get(HelpRequest, request.id).contact_email == ""


def test_an_anonymised_requests_old_link_shows_nothing(app):
    request = _closed(400)
    token = request.access_token
    privacy.run_retention()
    from sociale_kaart.errors import NotFound

    with pytest.raises(NotFound):
        requests.get_request_for_requester(token)
