"""Demo data of the matching module (issue #4, item 9): fictional, marked so, loaded once."""

from sqlalchemy import func, select

from sociale_kaart.accounts import privacy as account_privacy
from sociale_kaart.accounts.models import User, UserRole
from sociale_kaart.accounts.passwords import verify_password
from sociale_kaart.extensions import db
from sociale_kaart.matching import booking
from sociale_kaart.matching.models import (
    Booking,
    Feedback,
    HelpRequest,
    Match,
    Occurrence,
    RequestEvent,
    VolunteerProfile,
)
from sociale_kaart.matching.seed import FICTIONAL, load_demo_matching
from sociale_kaart.notify.models import OutboxMessage
from tests.builders import TEST_PASSWORD
from tests.matching.factories import load_areas

TABLES = (User, VolunteerProfile, HelpRequest, Occurrence, Match, Booking, Feedback, RequestEvent)


def counts():
    return {model.__name__: db.session.scalar(select(func.count()).select_from(model)) for model in TABLES}


def test_demo_data_loads_once(app):
    load_areas()
    first = load_demo_matching()
    assert first["volunteers_added"] == first["volunteers"] >= 6
    assert first["requests_added"] == first["requests"] >= 6
    before = counts()
    second = load_demo_matching()
    assert second["volunteers_added"] == second["requests_added"] == 0
    assert counts() == before
    assert db.session.scalar(select(func.count(OutboxMessage.id))) == 0  # no e-mails for demo data


def test_demo_data_is_fictional_and_marked(app):
    load_demo_matching()
    for user in db.session.scalars(select(User)):
        assert user.name.endswith(FICTIONAL) and user.email.endswith("@example.org")
        assert user.has_role("volunteer")
    for request in db.session.scalars(select(HelpRequest)):
        assert request.contact_name.endswith(FICTIONAL) and request.recipient_name.endswith(FICTIONAL)
        assert request.contact_email.endswith("@example.org")
        assert FICTIONAL in request.street and FICTIONAL in request.description


def test_demo_data_covers_every_step(app):
    load_demo_matching()
    statuses = set(db.session.scalars(select(HelpRequest.status)))
    assert {"submitted", "open", "proposed", "matched", "done"} <= statuses
    assert set(db.session.scalars(select(Match.status))) >= {"interested", "approved", "accepted", "done"}
    assert db.session.scalar(select(func.count(Feedback.id))) == 2
    villages = set(db.session.scalars(select(HelpRequest.place_name)))
    assert {"Doorn", "Driebergen-Rijsenburg", "Leersum", "Amerongen", "Maarn"} <= villages
    assert all(request.area_id for request in db.session.scalars(select(HelpRequest)))
    assert {"pending", "active"} <= set(db.session.scalars(select(VolunteerProfile.status)))


def test_demo_data_works_with_the_services(app):
    """The demo's open requests can be proposed, and its bookings are valid ones."""
    from tests.matching.factories import make_broker

    load_demo_matching(password=TEST_PASSWORD)
    broker = make_broker(areas=("doorn", "driebergen_rijsenburg", "leersum", "maarn", "amerongen"))
    doorn = db.session.scalar(
        select(HelpRequest).where(HelpRequest.status == "open", HelpRequest.place_name == "Doorn")
    )
    result = booking.run_batch_proposals(doorn.area_id, by=broker)
    assert result.requests >= 1
    volunteer = db.session.scalar(select(VolunteerProfile).where(VolunteerProfile.first_name == "Vera"))
    data = account_privacy.export_data(user=volunteer.user)
    assert data["volunteer"]["tasks"][0]["status"] == "done"


def test_demo_seeder_reports_what_it_added(app):
    from sociale_kaart.matching.seed import demo_seeder

    first = demo_seeder()
    assert first[0] == "Matching demo: 36 fictional volunteers (36 new), 8 help requests (8 new)."
    password = first[1].rpartition(": ")[2]
    volunteer = db.session.scalars(select(User).join(UserRole).where(UserRole.role == "volunteer")).first()
    assert len(password) >= 16 and verify_password(volunteer.password_hash, password)  # printed once, and it works
    assert demo_seeder() == ["Matching demo: 36 fictional volunteers (0 new), 8 help requests (0 new)."]
