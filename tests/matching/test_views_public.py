"""Public matching pages (issue #4): the help request form, the requester's page by link, my data.

CSRF stays on: every POST carries a token (tests.workspace.helpers.post).
"""

import json
import re
from datetime import UTC, timedelta

import pytest
from sqlalchemy import select

from sociale_kaart import clock
from sociale_kaart.extensions import db
from sociale_kaart.matching import links
from sociale_kaart.matching.forms import step_fields
from sociale_kaart.matching.models import Feedback, HelpRequest, Match, PersonalDataView, RequestDraft
from sociale_kaart.notify.models import OutboxMessage
from tests.builders import TEST_PASSWORD, make_user
from tests.conftest import make_app
from tests.matching.factories import load_areas, make_broker, make_match, make_request, make_volunteer, next_weekday
from tests.matching.form_steps import as_answers, post_step, send_in_steps, step_url
from tests.workspace.helpers import login_as, post


@pytest.fixture
def areas(app):
    return load_areas()


def form_data(**changes):
    """Return the POST data of a valid public request: a carer asks respite for her father in Doorn."""
    data = {
        "task_type": "respijt",
        "relation": "carer",
        "recipient_name": "Jan de Vries",
        "schedule_kind": "series",
        "first_date": next_weekday(1).isoformat(),
        "window_start": "13:00",
        "window_end": "17:00",
        "duration_minutes": "240",
        "weeks": "8",
        "street": "Kerkplein",
        "house_number": "3",
        "postcode": "3941 AB",
        "contact_name": "Anna de Vries",
        "contact_email": "anna@example.org",
        "contact_phone": "06 12345678",
        "summary": "Gezelschap voor een oudere man, zodat zijn dochter even weg kan.",
        "description": "Vader heeft dementie.",
        "urgency": "normal",
        "preferred_language": "nl",
        "skills_wanted": ["dementie"],
        "same_volunteer": "y",
        "website": "",
    }
    data.update(changes)
    return {key: value for key, value in data.items() if value is not None}


def page_of(response):
    return response.get_data(as_text=True)


def summary_messages(page):
    """Return the messages of the error summary."""
    block = re.search(r'<div class="error-summary".*?</div>', page, re.S)
    return re.findall(r"<li>(?:<a [^>]*>)?([^<]+)", block.group(0)) if block else []


def field_error(page, field_id):
    """Return the inline error text of a field, or None."""
    match = re.search(rf'<p class="field__error" id="{re.escape(field_id)}-error">.*?</span>\s*([^<]+)</p>', page, re.S)
    return match.group(1).strip() if match else None


def requests_in_db():
    return db.session.scalars(select(HelpRequest)).all()


# --- the form -----------------------------------------------------------------------------------


def test_the_first_step_asks_what_and_for_whom_with_scope_texts_and_a_honeypot(app, client, areas):
    page = page_of(client.get("/hulp-vragen"))
    assert "stap 1 van 5" in page and "<h1>Wat voor hulp zoekt u?</h1>" in page
    assert "Wel:" in page and "Niet:" in page and "VOG" in page
    assert "Geen persoonlijke verzorging" in page  # the respite scope text
    assert 'name="relation"' in page and 'name="summary"' in page and 'name="skills_wanted"' in page
    assert 'name="recipient_name"' not in page and 'name="street"' not in page and 'name="first_date"' not in page
    assert 'class="honeypot"' in page and 'name="website"' in page
    assert "<script" not in page.split("</footer>")[0].split("<main")[1]  # works without JavaScript
    assert "Vorige" not in page


def test_each_step_asks_only_the_fields_that_apply(app, client, areas):
    data = form_data()
    post_step(client, app, "wat", data)
    post_step(client, app, "wanneer", data)
    page = page_of(client.get("/hulp-vragen/stap/tijd"))
    assert "stap 2 van 5" in page and 'type="date"' in page and 'type="time"' in page and 'name="weeks"' in page
    assert 'name="period_weeks"' not in page
    post_step(client, app, "wanneer", {**data, "schedule_kind": "once"})
    page = page_of(client.get("/hulp-vragen/stap/tijd"))
    assert 'name="first_date"' in page and 'name="weeks"' not in page
    post_step(client, app, "wanneer", {**data, "urgency": "low", "schedule_kind": "period"})
    page = page_of(client.get("/hulp-vragen/stap/tijd"))
    assert 'name="period_weeks"' in page and 'name="day_part"' in page and 'name="first_date"' not in page
    page = page_of(client.get("/hulp-vragen/stap/contact"))
    assert 'name="recipient_name"' in page  # for someone else (a carer asks for her father)
    post_step(client, app, "wat", {**data, "relation": "self"})
    page = page_of(client.get("/hulp-vragen/stap/contact"))
    assert 'name="recipient_name"' not in page and 'name="contact_name"' in page


def test_back_keeps_what_was_typed_without_checking_it(app, client, areas):
    data = form_data()
    post_step(client, app, "wat", data)
    post_step(client, app, "wanneer", data)
    response = post_step(client, app, "tijd", {**data, "window_end": "12:00"}, actie="vorige")
    assert response.status_code == 303 and response.headers["Location"].endswith("/hulp-vragen/stap/wanneer")
    page = page_of(client.get("/hulp-vragen/stap/tijd"))
    assert 'value="12:00"' in page and 'value="13:00"' in page and "Er ging iets mis" not in page
    page = page_of(client.get("/hulp-vragen"))
    assert re.search(r">\s*Vader heeft dementie.</textarea>", page)


def test_a_later_step_without_a_draft_goes_to_the_start(app, client, areas):
    for name in ("wanneer", "tijd", "waar", "contact", "controleren"):
        response = client.get(step_url(name))
        assert response.status_code == 303 and response.headers["Location"].endswith("/hulp-vragen")
    assert client.get("/hulp-vragen/stap/bestaat-niet").status_code == 404


def test_the_check_page_shows_every_answer_with_a_link_to_change_it(app, client, areas):
    data = form_data()
    for name in ("wat", "wanneer", "tijd", "waar", "contact"):
        assert post_step(client, app, name, data).status_code == 303
    page = page_of(client.get("/hulp-vragen/stap/controleren"))
    assert "<h1>Klopt alles?</h1>" in page and "stap 5 van 5" in page
    for shown in ("Respijt / oppas", "Kerkplein", "3941 AB", "Anna de Vries", "Jan de Vries", "4 uur", "met dementie"):
        assert shown in page, shown
    assert page.count(">Wijzigen<span") == 5
    response = client.get("/hulp-vragen/stap/waar?terug=controleren")
    assert 'name="terug" value="controleren"' in page_of(response)
    response = post_step(client, app, "waar", {**data, "house_number": "5"}, terug="controleren")
    assert response.headers["Location"].endswith("/hulp-vragen/stap/controleren")
    assert "Kerkplein" in page_of(client.get("/hulp-vragen/stap/controleren"))
    assert requests_in_db() == []


def test_a_step_with_an_error_puts_the_summary_first_with_focus_and_fout_in_the_title(app, client, areas):
    data = form_data()
    post_step(client, app, "wat", data)
    response = post_step(client, app, "wanneer", {**data, "urgency": "morgen"})
    assert response.status_code == 400
    page = page_of(response)
    assert re.search(r"<title>Fout: Wanneer is de hulp nodig\?", page)
    main = page.split("<main")[1]
    assert main.index('class="error-summary"') < main.index("<form")
    assert re.search(r'<div class="error-summary"[^>]*autofocus', page)


def test_a_period_instead_of_a_date_when_there_is_no_hurry(app, client, areas):
    data = form_data(urgency="low", schedule_kind="period", period_weeks="2", day_part="morning", duration_minutes="90")
    response = send_in_steps(client, app, data)
    assert response.status_code == 303, summary_messages(page_of(response))
    [created] = requests_in_db()
    assert (created.schedule_kind, created.period_weeks, created.first_date) == ("once", 2, clock.today())
    assert (created.window_start.hour, created.window_end.hour) == (9, 12)
    [occurrence] = created.occurrences  # one date, on the period's last day until a volunteer is booked
    assert clock.to_local(occurrence.starts_at).date() == clock.today() + timedelta(days=13)


def test_a_period_refuses_a_duration_longer_than_the_time_of_day(app, client, areas):
    data = form_data(urgency="low", schedule_kind="period", period_weeks="1", day_part="morning")
    post_step(client, app, "wat", data)
    post_step(client, app, "wanneer", data)
    response = post_step(client, app, "tijd", data)  # 4 hours in a morning of 3
    assert response.status_code == 400
    assert "past niet in dit deel van de dag" in (field_error(page_of(response), "duration_minutes") or "")


def test_logged_in_resident_gets_name_and_email_filled_in(app, client, areas):
    resident = make_user(roles=("resident",), name="Rita Resident", email="rita@example.org")
    login_as(client, resident)
    page = page_of(client.get("/hulp-vragen/stap/contact"))  # no answers yet: back to the start
    post_step(client, app, "wat", form_data())
    page = page_of(client.get("/hulp-vragen/stap/contact"))
    assert 'value="Rita Resident"' in page and 'value="rita@example.org"' in page


def test_submit_creates_a_request_and_tells_what_happens_next(app, client, areas):
    response = send_in_steps(client, app, form_data())
    assert response.status_code == 303
    assert response.headers["Location"].endswith("/hulp-vragen/verstuurd")
    [created] = requests_in_db()
    assert (created.status, created.task_type, created.weeks, created.pc4) == ("submitted", "respijt", 8, "3941")
    assert created.recipient_first_name == "Jan"
    assert created.confirmed_at is None
    assert db.session.scalars(select(OutboxMessage).where(OutboxMessage.template == "matching_confirm_request")).one()
    page = page_of(client.get("/hulp-vragen/verstuurd"))
    assert "Wat gebeurt er nu?" in page and "bevestigen" in page
    assert f"/mijn-hulpvraag/{created.access_token}" in page


def test_phone_only_request_is_confirmed_at_once(app, client, areas):
    response = send_in_steps(client, app, form_data(contact_email="", relation="self", recipient_name=""))
    assert response.status_code == 303
    [created] = requests_in_db()
    assert created.confirmed_at is not None and created.recipient_name == "Anna de Vries"


def test_honeypot_pretends_success_and_stores_nothing(app, client, areas):
    response = send_in_steps(client, app, form_data(website="http://spam.example"))
    assert response.status_code == 303 and response.headers["Location"].endswith("/hulp-vragen/verstuurd")
    assert requests_in_db() == []


def test_post_without_csrf_token_is_refused(app, client, areas):
    response = client.post("/hulp-vragen", data=form_data())
    assert response.status_code == 400
    assert requests_in_db() == []


def _yesterday():
    return (clock.today() - timedelta(days=1)).isoformat()


BAD_INPUT = [
    # (changes, field, message part, typed value that must be kept)
    (lambda: {"first_date": _yesterday()}, "first_date", "Kies een datum vanaf vandaag", None),
    (
        lambda: {"window_start": "15:00", "window_end": "14:00"},
        "window_end",
        "eindtijd moet na de begintijd",
        'value="15:00"',
    ),
    (lambda: {"postcode": "3949 AA"}, "postcode", "We kennen postcode", 'value="3949 AA"'),
    (lambda: {"postcode": "3999 XX"}, "postcode", "ligt niet in de gemeente", 'value="3999 XX"'),
    (lambda: {"postcode": "12"}, "postcode", "postcode als 1234 AB", 'value="12"'),
    (lambda: {"duration_minutes": "300"}, "duration_minutes", "De duur past niet", None),
    (lambda: {"weeks": "40"}, "weeks", "Kies 2 tot 26 weken", 'value="40"'),
    (lambda: {"weeks": "1"}, "weeks", "Kies 2 tot 26 weken", None),
    (lambda: {"contact_email": "", "contact_phone": ""}, "contact_email", "e-mailadres of een telefoonnummer", None),
    (lambda: {"contact_email": "anna@"}, "contact_email", "naam@voorbeeld.nl", 'value="anna@"'),
    (lambda: {"first_date": "31-02-2027"}, "first_date", "Typ een datum als dd-mm-jjjj", 'value="31-02-2027"'),
    (lambda: {"task_type": None}, "task_type", "Kies waar u hulp bij nodig heeft", None),
    (lambda: {"recipient_name": ""}, "recipient_name", "Vul de naam in van wie de hulp krijgt", None),
    (lambda: {"summary": ""}, "summary", "Schrijf kort wat de vrijwilliger gaat doen", None),
    # issue #12: '²' passed str.isdigit() and gave a 500; a control character is refused on every database
    (lambda: {"weeks": "²"}, "weeks", "Kies 2 tot 26 weken", None),
    (lambda: {"weeks": "٣"}, "weeks", "Kies 2 tot 26 weken", None),
    (lambda: {"street": "Kerk\x00plein"}, "street", "een teken dat niet mag", None),
    (lambda: {"duration_minutes": "²"}, "duration_minutes", "Kies alleen uit de lijst", None),
]


@pytest.mark.parametrize(
    "changes, field, message, kept",
    BAD_INPUT,
    ids=[case[1] + "-" + str(number) for number, case in enumerate(BAD_INPUT)],
)
def test_bad_input_keeps_what_was_typed_with_a_dutch_message(app, client, areas, changes, field, message, kept):
    response = send_in_steps(client, app, form_data(**changes()))
    assert response.status_code == 400
    page = page_of(response)
    assert any(message in text for text in summary_messages(page)), summary_messages(page)
    if field == "task_type":
        assert f'id="{field}-error"' in page
    else:
        assert message in (field_error(page, field) or "")
        assert re.search(
            rf'<[^>]*id="{field}"[^>]*aria-invalid="true"|<[^>]*aria-invalid="true"[^>]*id="{field}"', page
        ), f"{field} has no aria-invalid"
    assert f'href="#{field}"' in page
    if kept:
        assert kept in page
    assert requests_in_db() == []
    # what was typed on the steps before is kept too
    assert re.search(r">\s*Vader heeft dementie.</textarea>", page_of(client.get("/hulp-vragen")))


def test_a_postcode_outside_the_municipality_is_refused_at_the_where_step_itself(app, client, areas):
    data = form_data(postcode="3999 XX")
    for name in ("wat", "wanneer", "tijd"):
        assert post_step(client, app, name, data).status_code == 303
    response = post_step(client, app, "waar", data)
    assert response.status_code == 400  # not after the contact step, on sending
    page = page_of(response)
    assert "ligt niet in de gemeente Utrechtse Heuvelrug" in (field_error(page, "postcode") or "")
    assert 'value="3999 XX"' in page


def test_a_resident_of_each_municipality_of_a_region_can_send_a_request(app, client):
    from sociale_kaart.directory import municipalities
    from tests.matching.factories import load_region

    regional_areas = load_region()
    if municipalities.by_code("0340") is None:
        municipalities.add_municipality("0340")
        db.session.commit()
    response = send_in_steps(client, app, form_data(postcode="3911 AB", street="Markt"))  # Rhenen
    assert response.status_code == 303 and response.headers["Location"].endswith("/hulp-vragen/verstuurd")
    (sent,) = requests_in_db()
    assert sent.area.municipality_code == "0340" and sent.area_id in {a.id for a in regional_areas.values()}
    # outside both, the message names the region's municipalities
    response = send_in_steps(client, app, form_data(postcode="3999 XX"))
    assert response.status_code == 400
    message = field_error(page_of(response), "postcode") or ""
    assert "ligt niet in de gemeenten Rhenen, Utrechtse Heuvelrug" in message


HOSTILE = ["\x00", "\x1b[31m", "²", "٣", "9" * 5000, "<script>alert(1)</script>", "' OR 1=1 --", "\u202e", ""]


@pytest.mark.parametrize("step", ["wat", "wanneer", "tijd", "waar", "contact"])
@pytest.mark.parametrize("kind", ["once", "period", "series"])
def test_hostile_values_on_every_step_never_give_a_500(app, client, areas, step, kind):
    data = form_data(schedule_kind=kind, period_weeks="2", day_part="any")
    for earlier in ("wat", "wanneer", "tijd", "waar", "contact")[
        : ("wat", "wanneer", "tijd", "waar", "contact").index(step)
    ]:
        assert post_step(client, app, earlier, data).status_code == 303, earlier
    fields = step_fields(step, as_answers(data))
    for value in HOSTILE:
        response = post_step(client, app, step, {name: [value, value] for name in fields})
        assert response.status_code in (303, 400), (step, value, response.status_code)
        assert "\x00" not in page_of(response) and "\x1b" not in page_of(response)
        for check in (client.get(step_url(step)), client.get("/hulp-vragen/stap/controleren")):
            assert check.status_code in (200, 303)
    drafts = db.session.scalars(select(RequestDraft)).all()
    assert all("\x00" not in value for draft in drafts for values in draft.data.values() for value in values)
    assert requests_in_db() == []


def test_the_request_form_is_rate_limited_per_ip(tmp_path):
    app = make_app(tmp_path, name="matching_limit", RATELIMIT_ENABLED=True, MATCHING_REQUEST_RATE_LIMIT="2 per hour")
    with app.app_context():
        db.create_all()
        load_areas()
        client = app.test_client()
        statuses = [send_in_steps(client, app, form_data(website="bot")).status_code for _ in range(3)]
        assert statuses == [303, 303, 429]  # sending is limited; the steps before it have a limit of their own
        assert client.get("/hulp-vragen").status_code == 200  # reading the form is not limited
        db.session.remove()
        db.engine.dispose()


# --- confirmation and the requester's page --------------------------------------------------------


def test_confirmation_link_confirms_and_opens_the_page(app, client, areas):
    send_in_steps(client, app, form_data())
    [created] = requests_in_db()
    token = links.make_token("request-confirm", {"r": created.uuid})
    response = client.get(f"/hulp-vragen/bevestigen/{token}")
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/mijn-hulpvraag/{created.access_token}")
    db.session.refresh(created)
    assert created.confirmed_at is not None
    assert client.get(f"/hulp-vragen/bevestigen/{token}").status_code == 302  # a second click is fine


def test_a_broken_confirmation_link_says_so(app, client, areas):
    response = client.get("/hulp-vragen/bevestigen/niet-goed")
    assert response.status_code == 400
    assert "Deze link werkt niet" in page_of(response)


def test_requester_page_shows_status_history_dates_and_who_viewed(app, client, areas):
    from sociale_kaart.matching import requests as help_requests

    request = make_request(task_type="respijt", weeks=3, status="submitted")
    broker = make_broker(name="Bram Makelaar")
    help_requests.publish_request(request.id, broker)
    help_requests.get_request_for_broker(request.id, broker)  # logs the view
    page = page_of(client.get(f"/mijn-hulpvraag/{request.access_token}"))
    assert "Beoordeeld (open)" in page
    assert "Wie heeft uw gegevens bekeken" in page
    assert "Bram Makelaar" in page and "sociaal makelaar" in page
    assert page.count("13:00–17:00") == 3
    assert "Hulpvraag annuleren" in page
    assert "/gegevens.json" in page


def test_unknown_requester_link_is_not_found(app, client, areas):
    assert client.get("/mijn-hulpvraag/bestaat-niet").status_code == 404


def test_volunteer_first_name_only_once_accepted(app, client, areas):
    request = make_request(status="proposed")
    volunteer = make_volunteer(first_name="Vera")
    match = make_match(request, volunteer, status="approved")
    assert "Vera" not in page_of(client.get(f"/mijn-hulpvraag/{request.access_token}"))
    match.status = "accepted"
    request.status = "matched"
    db.session.commit()
    page = page_of(client.get(f"/mijn-hulpvraag/{request.access_token}"))
    assert "Uw vrijwilliger" in page and "Vera" in page
    assert volunteer.user.email not in page and volunteer.phone not in page


def test_requester_cancels_by_link(app, client, areas):
    request = make_request()
    volunteer = make_volunteer()
    match = make_match(request, volunteer, status="accepted")
    response = post(client, app, f"/mijn-hulpvraag/{request.access_token}/annuleren", {"reason": "Opgelost."})
    assert response.status_code == 303
    db.session.expire_all()
    assert db.session.get(HelpRequest, request.id).status == "cancelled"
    assert db.session.get(Match, match.id).status == "cancelled"
    assert "Uw hulpvraag is geannuleerd." in page_of(client.get(response.headers["Location"]))


def test_cancel_needs_the_right_link(app, client, areas):
    request = make_request()
    assert post(client, app, "/mijn-hulpvraag/fout/annuleren", {}).status_code == 404
    assert db.session.get(HelpRequest, request.id).status == "open"


def _past_match(request, volunteer, status="accepted"):
    """Make a match whose (only) date has passed."""
    match = make_match(request, volunteer, status=status)
    for booking in match.bookings:
        booking.starts_at -= timedelta(days=30)
        booking.ends_at -= timedelta(days=30)
    for occurrence in request.occurrences:
        occurrence.starts_at -= timedelta(days=30)
        occurrence.ends_at -= timedelta(days=30)
    db.session.commit()
    return match


def test_requester_feedback_after_the_date(app, client, areas):
    request = make_request(status="matched")
    match = _past_match(request, make_volunteer(first_name="Vera"))
    page = page_of(client.get(f"/mijn-hulpvraag/{request.access_token}"))
    url = f"/mijn-hulpvraag/{request.access_token}/terugkoppeling/{match.id}"
    assert url in page
    form = page_of(client.get(url))
    assert "Is het doorgegaan?" in form and "Vera" in form
    response = post(client, app, url, {"happened": "", "comment": "x"})
    assert response.status_code == 400
    assert "Kies of de hulp is doorgegaan." in page_of(response) and re.search(r">\s*x</textarea>", page_of(response))
    response = post(client, app, url, {"happened": "yes", "rating": "3", "comment": "Fijne man."})
    assert response.status_code == 303
    feedback = db.session.scalars(select(Feedback)).one()
    assert (feedback.author_role, feedback.happened, feedback.rating, feedback.comment) == (
        "requester",
        True,
        3,
        "Fijne man.",
    )
    assert url not in page_of(client.get(f"/mijn-hulpvraag/{request.access_token}"))


def test_feedback_for_a_match_of_another_request_is_not_found(app, client, areas):
    request, other = make_request(), make_request()
    match = _past_match(other, make_volunteer())
    assert client.get(f"/mijn-hulpvraag/{request.access_token}/terugkoppeling/{match.id}").status_code == 404


def test_requester_downloads_the_data_as_json(app, client, areas):
    request = make_request(contact_name="Anna de Vries")
    response = client.get(f"/mijn-hulpvraag/{request.access_token}/gegevens.json")
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    assert "attachment" in response.headers["Content-Disposition"]
    assert "Anna de Vries" in json.dumps(response.get_json(), ensure_ascii=False)


# --- logged-in residents: my requests, my data, delete the account -----------------------------


def test_my_requests_needs_login(app, client, areas):
    response = client.get("/mijn-hulpvragen")
    assert response.status_code == 302 and "/inloggen" in response.headers["Location"]


def test_my_requests_lists_own_requests(app, client, areas):
    resident = make_user(roles=("resident",))
    mine = make_request(requester_id=resident.id, task_type="tuin")
    make_request(task_type="digitaal")
    login_as(client, resident)
    page = page_of(client.get("/mijn-hulpvragen"))
    assert f"/mijn-hulpvraag/{mine.access_token}" in page and "Tuin" in page and "Digitale hulp" not in page


def test_my_data_download_and_page(app, client, areas):
    resident = make_user(roles=("resident",), name="Rita Resident")
    make_request(requester_id=resident.id)
    assert client.get("/mijn-gegevens").status_code == 302
    login_as(client, resident)
    page = page_of(client.get("/mijn-gegevens"))
    assert "/mijn-gegevens.json" in page and "Account verwijderen" in page
    response = client.get("/mijn-gegevens.json")
    assert response.status_code == 200 and response.mimetype == "application/json"
    assert "Rita Resident" in json.dumps(response.get_json(), ensure_ascii=False)


def test_delete_account_with_a_wrong_password_keeps_the_account(app, client, areas):
    resident = make_user(roles=("resident",))
    login_as(client, resident)
    response = post(client, app, "/mijn-gegevens/verwijderen", {"password": "fout-wachtwoord", "confirm": "y"})
    assert response.status_code == 400
    page = page_of(response)
    assert summary_messages(page) and 'aria-invalid="true"' in page
    assert "fout-wachtwoord" not in page  # a password is never echoed
    response = post(client, app, "/mijn-gegevens/verwijderen", {"password": TEST_PASSWORD})
    assert response.status_code == 400
    assert "Vink aan dat u uw account wilt verwijderen." in page_of(response)
    from sociale_kaart.accounts.models import User

    assert db.session.get(User, resident.id) is not None


def test_delete_account_anonymises_and_logs_out(app, client, areas):
    from sociale_kaart.accounts.models import User

    resident = make_user(roles=("resident",))
    request = make_request(requester_id=resident.id, contact_name="Rita Resident")
    user_id = resident.id
    login_as(client, resident)
    response = post(client, app, "/mijn-gegevens/verwijderen", {"password": TEST_PASSWORD, "confirm": "y"})
    assert response.status_code == 303
    db.session.expire_all()
    assert db.session.get(User, user_id) is None
    assert db.session.get(HelpRequest, request.id).contact_name != "Rita Resident"
    assert client.get("/mijn-gegevens").status_code == 302  # logged out


def test_access_log_lists_a_volunteer_who_saw_the_address(app, client, areas):
    request = make_request(status="matched")
    volunteer = make_volunteer(first_name="Vera", user_values={"name": "Vera Vrijwilliger"})
    make_match(request, volunteer, status="accepted")
    login_as(client, volunteer.user)
    assert client.get(f"/vrijwilliger/klussen/{request.id}").status_code == 200
    assert db.session.scalars(select(PersonalDataView)).one().viewer_role == "volunteer"
    page = page_of(client.get(f"/mijn-hulpvraag/{request.access_token}"))
    assert "Vera" in page and "vrijwilliger" in page


def test_requester_history_leaves_out_no_shows_and_internal_steps(app, client, areas):
    from sociale_kaart.matching.models import RequestEvent

    request = make_request(status="matched")
    for action in ("no_show", "match_suggested", "batch_proposal", "match_rejected"):
        db.session.add(RequestEvent(request=request, action=action, actor_role="broker"))
    db.session.add(
        RequestEvent(
            request=request, action="status", from_status="proposed", to_status="matched", actor_role="volunteer"
        )
    )
    db.session.commit()
    page = page_of(client.get(f"/mijn-hulpvraag/{request.access_token}"))
    assert "Nieuwe status: Gekoppeld" in page
    for hidden in ("no_show", "match_suggested", "batch_proposal", "match_rejected", "Niet gekomen"):
        assert hidden not in page


# --- from a listing to help (issue #11) ---------------------------------------------------------


def checked_task_types(page):
    return re.findall(
        r'<input[^>]*\bchecked\b[^>]*name="task_type"[^>]*value="([^"]+)"'
        r'|<input[^>]*name="task_type"[^>]*\bchecked\b[^>]*value="([^"]+)"'
        r'|<input[^>]*value="([^"]+)"[^>]*name="task_type"[^>]*\bchecked\b',
        page,
    )


def test_a_link_preselects_the_task_type(app, client, areas):
    page = page_of(client.get("/hulp-vragen?taak=boodschappen"))
    assert [value for match in checked_task_types(page) for value in match if value] == ["boodschappen"]


@pytest.mark.parametrize("taak", ["bestaat-niet", "", "BOODSCHAPPEN", "<script>"])
def test_an_unknown_task_type_in_the_link_is_ignored(app, client, areas, taak):
    response = client.get("/hulp-vragen", query_string={"taak": taak})
    assert response.status_code == 200
    assert checked_task_types(page_of(response)) == []


def test_the_posted_task_type_wins_over_the_link(app, client, areas):
    response = send_in_steps(client, app, form_data(task_type="boodschappen"), url="/hulp-vragen?taak=tuin")
    assert response.status_code == 303
    assert requests_in_db()[0].task_type == "boodschappen"


def test_requester_page_names_the_dorpsteam(app, client, areas):
    request = make_request()
    page = page_of(client.get(f"/mijn-hulpvraag/{request.access_token}"))
    assert "Vragen? Bel het dorpsteam" in page
    assert "Dorpsteam Doorn (demo)" in page and 'href="tel:+31343000192"' in page


def test_requester_page_without_a_dorpsteam_says_nothing_about_it(app, client, areas):
    request = make_request(area=None)
    page = page_of(client.get(f"/mijn-hulpvraag/{request.access_token}"))
    assert "Vragen? Bel het dorpsteam" not in page and "(demo)" not in page


def test_a_time_the_clocks_skip_gets_a_dutch_message(app, client, areas, monkeypatch):
    """Issue #12: 02:30 on 28 March 2027 does not exist in Amsterdam; it broke ck_occurrences_window (a 500)."""
    from datetime import datetime

    monkeypatch.setattr(clock, "utcnow", lambda: datetime(2027, 3, 1, 9, 0, tzinfo=UTC))
    response = send_in_steps(
        client,
        app,
        form_data(
            schedule_kind="once",
            first_date="2027-03-28",
            window_start="02:30",
            window_end="03:30",
            duration_minutes="30",
            weeks="",
        ),
    )
    assert response.status_code == 400
    assert (
        "Op zondag 28 maart 2027 gaat de klok een uur vooruit: die nacht bestaat 02:30 niet."
        in summary_messages(page_of(response))[0]
    )
    assert requests_in_db() == []
