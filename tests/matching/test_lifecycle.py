"""After approval (issue #4, item 8): reminders the day before, "Is het doorgegaan?", feedback, expiry."""

from datetime import UTC, timedelta

import pytest
from sqlalchemy import func, select

from sociale_kaart import clock
from sociale_kaart.errors import NotFound, PermissionDenied, ValidationError
from sociale_kaart.extensions import db
from sociale_kaart.matching import lifecycle, links
from sociale_kaart.matching.models import Booking, Feedback, HelpRequest, Match, MatchNotice, PersonalDataView
from sociale_kaart.notify import services as notify
from sociale_kaart.notify.models import OutboxMessage
from tests.builders import make_user
from tests.matching.factories import make_broker, make_match, make_request, make_volunteer


def outbox(template=None):
    query = select(OutboxMessage).order_by(OutboxMessage.id)
    if template:
        query = query.where(OutboxMessage.template == template)
    return db.session.scalars(query).all()


def move_clock(monkeypatch, naive_utc):
    monkeypatch.setattr(clock, "utcnow", lambda: naive_utc.replace(tzinfo=UTC))


@pytest.fixture
def accepted(app):
    broker = make_broker(areas=("doorn",))
    request = make_request()
    volunteer = make_volunteer(first_name="Vera", user_values={"name": "Vera Achternaam"})
    match = make_match(request, volunteer, status="accepted")
    return broker, request, volunteer, match


# --- reminders --------------------------------------------------------------------------------------


def test_reminder_the_day_before_to_both_once(accepted):
    broker, request, volunteer, match = accepted
    start = request.occurrences[0].starts_at
    day_before = start - timedelta(hours=20)
    assert lifecycle.send_reminders(now=day_before) == {"reminders": 1, "emails": 2}
    messages = outbox("matching_reminder")
    assert sorted(m.to_address for m in messages) == sorted([request.contact_email, volunteer.user.email])
    to_volunteer = next(m for m in messages if m.to_address == volunteer.user.email)
    assert request.street in to_volunteer.body_text and "13:00" in to_volunteer.body_text
    to_requester = next(m for m in messages if m.to_address == request.contact_email)
    assert "Vera" in to_requester.body_text and "Achternaam" not in to_requester.body_text
    assert lifecycle.send_reminders(now=day_before + timedelta(hours=1)) == {"reminders": 0, "emails": 0}
    assert db.session.scalar(select(func.count(MatchNotice.id))) == 1


def test_the_reminder_with_the_address_is_in_the_requesters_access_log(accepted):
    """The volunteer's reminder repeats the address, so it counts as a view of it (issue #12)."""
    broker, request, volunteer, match = accepted
    lifecycle.send_reminders(now=request.occurrences[0].starts_at - timedelta(hours=20))
    views = db.session.scalars(select(PersonalDataView)).all()
    assert [(v.viewer_id, v.viewer_role, v.what) for v in views] == [(volunteer.user.id, "volunteer", "address")]


def test_no_reminder_two_days_ahead_or_before_acceptance(app):
    request = make_request()
    make_match(request, make_volunteer(), status="approved")
    start = request.occurrences[0].starts_at
    assert lifecycle.send_reminders(now=start - timedelta(hours=20))["reminders"] == 0
    assert lifecycle.send_reminders(now=start - timedelta(days=2, hours=1))["reminders"] == 0
    assert outbox() == []


def test_each_date_of_a_series_gets_its_reminder(app):
    request = make_request(weeks=3, task_type="respijt")
    make_match(request, make_volunteer(), status="accepted")
    for occurrence in request.occurrences:
        assert lifecycle.send_reminders(now=occurrence.starts_at - timedelta(hours=20))["reminders"] == 1


def test_reminder_goes_out_over_real_smtp(tmp_path, request, smtp_server, smtp_app):
    help_request = make_request()
    volunteer = make_volunteer()
    make_match(help_request, volunteer, status="accepted")
    lifecycle.send_reminders(now=help_request.occurrences[0].starts_at - timedelta(hours=20))
    sent, failed = notify.send_due()
    assert (sent, failed) == (2, 0)
    recipients = sorted(address for message in smtp_server.messages for address in message.envelope_recipients)
    assert recipients == sorted([help_request.contact_email, volunteer.user.email])
    assert all(message["Subject"].startswith("Morgen:") for message in smtp_server.messages)


# --- "Is het doorgegaan?" ------------------------------------------------------------------------------


def test_feedback_question_after_the_date_once_with_one_click_links(accepted):
    broker, request, volunteer, match = accepted
    after = request.occurrences[0].ends_at + timedelta(hours=2)
    assert lifecycle.ask_feedback(now=request.occurrences[0].starts_at) == {"questions": 0, "emails": 0}
    assert lifecycle.ask_feedback(now=after) == {"questions": 1, "emails": 2}
    question = next(m for m in outbox("matching_feedback_request") if m.to_address == request.contact_email)
    assert "/terugkoppeling/" in question.body_text
    assert "doorgegaan=ja" in question.body_text and "doorgegaan=nee" in question.body_text
    assert lifecycle.ask_feedback(now=after + timedelta(hours=1)) == {"questions": 0, "emails": 0}


def test_feedback_question_skips_who_answered_already(accepted, monkeypatch):
    broker, request, volunteer, match = accepted
    after = request.occurrences[0].ends_at + timedelta(hours=1)
    move_clock(monkeypatch, after)
    lifecycle.save_feedback(match.id, "volunteer", True, 3, "", by=volunteer.user)
    lifecycle.ask_feedback(now=after)
    assert [m.to_address for m in outbox("matching_feedback_request")] == [request.contact_email]


def test_feedback_question_not_for_old_dates(accepted):
    broker, request, volunteer, match = accepted
    long_after = request.occurrences[0].ends_at + timedelta(days=lifecycle.FEEDBACK_WINDOW_DAYS + 1)
    assert lifecycle.ask_feedback(now=long_after)["questions"] == 0


def test_one_click_link_saves_feedback_and_closes_the_task(accepted, monkeypatch):
    broker, request, volunteer, match = accepted
    move_clock(monkeypatch, request.occurrences[0].ends_at + timedelta(hours=1))
    token = links.make_token("feedback-link", {"m": match.id, "r": "requester"})
    found, role = lifecycle.feedback_for_token(token)
    assert (found.id, role) == (match.id, "requester")
    saved = lifecycle.save_feedback(match.id, "requester", True, 3, "Fijn geholpen", token=token)
    assert (saved.happened, saved.rating, saved.comment, saved.author_role) == (True, 3, "Fijn geholpen", "requester")
    assert db.session.get(Match, match.id).status == "done"
    assert db.session.get(HelpRequest, request.id).status == "done"
    # a second answer corrects the first
    lifecycle.save_feedback(match.id, "requester", True, 2, "", token=token)
    assert db.session.scalar(select(func.count(Feedback.id))) == 1
    assert db.session.scalar(select(Feedback.rating)) == 2


def test_feedback_links_are_bound_to_match_and_role(accepted, monkeypatch):
    broker, request, volunteer, match = accepted
    move_clock(monkeypatch, request.occurrences[0].ends_at + timedelta(hours=1))
    volunteer_token = links.make_token("feedback-link", {"m": match.id, "r": "volunteer"})
    with pytest.raises(PermissionDenied):
        lifecycle.save_feedback(match.id, "requester", True, token=volunteer_token)
    with pytest.raises(NotFound):
        lifecycle.feedback_for_token(links.make_token("match-link", {"m": match.id, "r": "volunteer"}))
    with pytest.raises(NotFound):
        lifecycle.feedback_for_token("nonsense")


def test_feedback_by_request_link_phone_or_app(accepted, monkeypatch):
    broker, request, volunteer, match = accepted
    move_clock(monkeypatch, request.occurrences[0].ends_at + timedelta(hours=1))
    lifecycle.save_feedback(match.id, "requester", False, None, "Niemand gekomen", access_token=request.access_token)
    lifecycle.save_feedback(match.id, "volunteer", False, 1, "Niemand thuis", by=broker)  # heard by phone
    with pytest.raises(PermissionDenied):
        lifecycle.save_feedback(match.id, "volunteer", True, by=make_user(roles=("volunteer",)))
    with pytest.raises(PermissionDenied):
        lifecycle.save_feedback(match.id, "requester", True, access_token="wrong")
    rows = {f.author_role: f for f in db.session.scalars(select(Feedback))}
    assert rows["volunteer"].author_id == broker.id and rows["requester"].happened is False
    # it did not happen: the match stays for the broker to decide (no-show or not)
    assert db.session.get(Match, match.id).status == "accepted"


def test_no_feedback_before_the_date(accepted):
    broker, request, volunteer, match = accepted
    with pytest.raises(ValidationError):
        lifecycle.save_feedback(match.id, "volunteer", True, 3, by=volunteer.user)


def test_feedback_rating_must_be_one_to_three(accepted, monkeypatch):
    broker, request, volunteer, match = accepted
    move_clock(monkeypatch, request.occurrences[0].ends_at + timedelta(hours=1))
    with pytest.raises(ValidationError) as error:
        lifecycle.save_feedback(match.id, "volunteer", True, 5, by=volunteer.user)
    assert error.value.field == "rating"


# --- expiry -------------------------------------------------------------------------------------------


def test_open_requests_whose_date_passed_expire(app):
    passed = make_request()
    proposed = make_request(status="proposed")
    approved = make_match(proposed, make_volunteer(), status="approved")
    waiting = make_match(passed, make_volunteer(), status="interested")
    matched = make_request(status="matched")
    make_match(matched, make_volunteer(), status="accepted")
    future = make_request(first_date=passed.first_date + timedelta(days=14))
    after = passed.occurrences[0].starts_at + timedelta(hours=1)
    assert lifecycle.expire_requests(now=after) == 2
    assert db.session.get(HelpRequest, passed.id).status == "expired"
    assert db.session.get(HelpRequest, passed.id).closed_at is not None
    assert db.session.get(HelpRequest, proposed.id).status == "expired"
    assert db.session.get(Match, approved.id).status == "cancelled"
    assert db.session.get(Match, waiting.id).status == "withdrawn"
    assert (
        db.session.scalar(
            select(func.count(Booking.id)).where(Booking.match_id == approved.id, Booking.active.is_(True))
        )
        == 0
    )
    assert db.session.get(HelpRequest, matched.id).status == "matched"
    assert db.session.get(HelpRequest, future.id).status == "open"
    assert lifecycle.expire_requests(now=after) == 0


# --- every matching e-mail renders, in Dutch and English -------------------------------------------


def _mail_contexts(request, match, broker):
    """Return {template: context} with the keys the services pass (booking, lifecycle, requests, volunteers)."""
    from sociale_kaart.matching import mail

    dates = [mail.local_when(o) for o in request.occurrences]
    start, end = dates[0]
    requester = {
        "request": request,
        "name": request.contact_name,
        "request_url": "https://x.example/r",
        "page_url": "https://x.example/r",
        "task_label": "Boodschappen",
    }
    to_broker = {
        "recipient": broker,
        "name": broker.name,
        "request": request,
        "url": "https://x.example/b",
        "broker_url": "https://x.example/b",
    }
    volunteer = {"request": request, "match": match, "name": match.volunteer.first_name}
    return {
        "matching_confirm_request": dict(requester, confirm_url="https://x.example/c", days=7),
        "matching_request_received": requester,
        "matching_request_published": requester,
        "matching_request_rejected": dict(requester, reason="Dit doen vrijwilligers niet."),
        "matching_volunteer_signed_up": dict(to_broker, profile=match.volunteer, place_name="Doorn"),
        "matching_volunteer_approved": {
            "recipient": match.volunteer.user,
            "name": "Vera",
            "url": "https://x.example/t",
        },
        "matching_volunteer_welcome": {
            "name": "Vera",
            "area": match.volunteer.area,
            "intake_days": 5,
            "next_url": "https://x.example/v",
        },
        "matching_interest_registered": dict(
            to_broker, volunteer_name="Vera", task_label="Tuin", place_name="Doorn", message="Ik help graag."
        ),
        "matching_match_offered": dict(
            volunteer, dates=dates, link_url="https://x.example/k", tasks_url="https://x.example/t"
        ),
        "matching_request_proposed": dict(requester, dates=dates),
        "matching_match_accepted": dict(requester, volunteer_first_name="Vera", dates=dates),
        "matching_match_confirmed": dict(volunteer, dates=dates, task_url="https://x.example/t"),
        "matching_match_declined": dict(to_broker, match=match, reason="Vakantie", volunteer_first_name="Vera"),
        "matching_match_cancelled": dict(
            volunteer,
            audience="volunteer",
            cancelled_by="requester",
            reason="",
            dates=dates,
            page_url="https://x.example/t",
        ),
        "matching_late_cancellation": dict(
            to_broker,
            match=match,
            cancelled_by="volunteer",
            reason="Ziek",
            first_start=start,
            candidates_url="https://x.example/k",
            replacements=[
                {
                    "first_name": "Ruud",
                    "place": "Doorn",
                    "phone": "06-1",
                    "score": 80,
                    "reasons": [{"code": "distance", "km": 2.1, "mode": "bike", "max": 5}],
                }
            ],
        ),
        "matching_reminder": dict(
            volunteer, audience="volunteer", start=start, end=end, task_label="Tuin", url="https://x.example/t"
        ),
        "matching_request_reopened": dict(requester, audience="requester"),
        "matching_request_waiting": dict(to_broker, task_label="Tuin", urgent=True, hours=25),
        "matching_feedback_request": dict(
            requester,
            audience="requester",
            match=match,
            start=start,
            volunteer_first_name="Vera",
            yes_url="https://x.example/j",
            no_url="https://x.example/n",
        ),
    }


@pytest.mark.parametrize("language", ["nl", "en"])
def test_every_matching_mail_renders(accepted, language):
    from pathlib import Path

    broker, request, volunteer, match = accepted
    contexts = _mail_contexts(request, match, broker)
    folder = Path(__file__).resolve().parents[2] / "templates" / "mail"
    assert {path.stem for path in folder.glob("matching_*.txt")} == set(contexts)
    for template, context in contexts.items():
        subject, text, html = notify.render_message(template, language, **context)
        assert subject and "{" not in subject, template
        assert text.strip() and html.strip(), template
        assert "https://x.example/" in text and "https://x.example/" in html, template
    # the same cancellation mail, as requests.cancel_request queues it, and to the requester
    subject, text, _html = notify.render_message(
        "matching_match_cancelled",
        language,
        request=request,
        name="Vera",
        by_role="requester",
        reason="",
        page_url="https://x.example/t",
    )
    assert "https://x.example/t" in text
    subject, text, _html = notify.render_message(
        "matching_match_cancelled",
        language,
        request=request,
        name=request.contact_name,
        audience="requester",
        cancelled_by="volunteer",
        volunteer_first_name="Vera",
        dates=[],
        request_url="https://x.example/r",
    )
    assert "Vera" in text and "https://x.example/r" in text
