"""A period instead of a date (issue #14): "geen haast, in de komende twee weken, liefst 's ochtends".

The request has one date that stands on the period's last day; ranking sees every day of the
period as an alternative (one is enough); approving a volunteer books the first day that suits
them and moves the date there; releasing the booking puts the date back on the last day.
"""

from datetime import UTC, datetime, time, timedelta

import pytest

from sociale_kaart import clock
from sociale_kaart.errors import ValidationError
from sociale_kaart.extensions import db
from sociale_kaart.matching import booking, pool, timeslots, volunteers
from sociale_kaart.matching import requests as services
from sociale_kaart.matching.models import HelpRequest
from tests.matching.factories import load_areas, make_broker, make_volunteer
from tests.matching.test_requests import form

MORNING = timeslots.PERIOD_PARTS["morning"]


@pytest.fixture
def broker(app, app_clock):
    # a Monday 08:00 local time: the period's days are Monday to Sunday twice
    app_clock.start(datetime(2027, 3, 1, 7, 0, tzinfo=UTC))
    load_areas()
    return make_broker(areas=("doorn",), name="Bram Makelaar")


def period_request(weeks=2, publish_by=None, **changes):
    values = form(
        schedule_kind="once",
        first_date=None,
        period_weeks=weeks,
        window_start=MORNING[0],
        window_end=MORNING[1],
        duration_minutes=90,
        weeks=1,
        urgency="low",
        task_type="boodschappen",  # no VOG asked
        skills_wanted=[],
        contact_email="",
        **changes,
    )
    request = services.submit_request(values)
    return services.publish_request(request.id, publish_by) if publish_by is not None else request


def local_day(moment):
    return clock.to_local(moment).date()


def test_a_period_request_has_one_date_on_its_last_day(broker):
    request = period_request()
    assert (request.period_weeks, request.first_date, request.is_period) == (2, clock.today(), True)
    [occurrence] = request.occurrences
    assert local_day(occurrence.starts_at) == clock.today() + timedelta(days=13)
    assert volunteers.when_text(request).startswith("een dag naar keuze tussen maandag 1 maart en zondag 14 maart 2027")


@pytest.mark.parametrize("weeks", [0, 5, "drie", -1])
def test_a_period_is_one_to_four_weeks(broker, weeks):
    values = form(schedule_kind="once", period_weeks=weeks, window_start=MORNING[0], window_end=MORNING[1])
    values["duration_minutes"] = 60
    if weeks == 0:  # no period: a fixed date as before
        assert services.submit_request(values).period_weeks is None
        return
    with pytest.raises(ValidationError) as error:
        services.submit_request(values)
    assert error.value.field == "period_weeks"


def test_ranking_sees_every_day_of_the_period_and_one_is_enough(broker):
    request = period_request(publish_by=broker)
    thursday_mornings = timeslots.bit(3, 0)
    only_thursday = make_volunteer(availability=thursday_mornings)
    never = make_volunteer(availability=timeslots.bit(3, 2))  # thursday evenings only
    task = pool.task_input(request)
    assert len(task.windows) == 14 and task.any_one
    result, profiles = pool.candidates(request.id, broker)
    found = {candidate.volunteer_id: candidate for candidate in result.candidates}
    assert only_thursday.id in found and never.id not in found
    assert found[only_thursday.id].covered == 2  # two Thursdays in two weeks
    assert result.excluded["not_available"] >= 1


def test_approving_books_the_first_day_that_suits_and_releasing_puts_the_date_back(broker):
    request = period_request(publish_by=broker)
    volunteer = make_volunteer(availability=timeslots.bit(3, 0))  # Thursday mornings
    result, _profiles = pool.candidates(request.id, broker)
    [candidate] = [c for c in result.candidates if c.volunteer_id == volunteer.id]
    match = booking.suggest_match(request.id, volunteer.id, broker, explanation=booking.explanation_of(candidate))
    booking.approve_match(match.id, broker)
    request = db.session.get(HelpRequest, request.id)
    [occurrence] = request.occurrences
    assert (occurrence.status, local_day(occurrence.starts_at)) == ("booked", datetime(2027, 3, 4).date())
    assert clock.to_local(occurrence.starts_at).time() == time(9, 0)
    assert volunteers.when_text(request) == "donderdag 4 maart 2027, 09:00–12:00"
    booking.cancel_match(match.id, by=broker)
    db.session.expire_all()
    [occurrence] = db.session.get(HelpRequest, request.id).occurrences
    assert (occurrence.status, local_day(occurrence.starts_at)) == ("open", datetime(2027, 3, 14).date())


def test_a_volunteer_who_cannot_on_any_day_of_the_period_is_refused(broker):
    request = period_request(weeks=1, publish_by=broker)
    away = make_volunteer(availability=timeslots.FULL_WEEK)
    from sociale_kaart.matching.models import Absence

    db.session.add(Absence(volunteer_id=away.id, starts_on=clock.today(), ends_on=clock.today() + timedelta(days=10)))
    db.session.commit()
    match = booking.suggest_match(request.id, away.id, broker)
    with pytest.raises(ValidationError, match="geen dag in de gevraagde periode"):
        booking.approve_match(match.id, broker)
    [occurrence] = db.session.get(HelpRequest, request.id).occurrences
    assert occurrence.status == "open" and local_day(occurrence.starts_at) == datetime(2027, 3, 7).date()


def test_done_only_after_the_booked_day(broker, app_clock):
    request = period_request(publish_by=broker)
    volunteer = make_volunteer(availability=timeslots.bit(2, 0))  # Wednesday mornings
    match = booking.suggest_match(request.id, volunteer.id, broker)
    booking.approve_match(match.id, broker)
    booking.accept_match(match.id, volunteer.user)
    match = booking.match_for_broker(match.id, broker)
    assert booking.closing_refusal_now(match) is not None  # before Wednesday 3 March
    app_clock.start(datetime(2027, 3, 3, 11, 0, tzinfo=UTC))  # Wednesday 12:00 local: it began at 09:00
    assert booking.closing_refusal_now(match) is None
    assert booking.mark_done(match.id, broker).status == "done"
