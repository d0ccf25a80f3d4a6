"""Volunteer pages (issue #4): profile with the day-part grid, absences, tasks near me, my tasks, e-mail links.

Before approval and acceptance a volunteer sees no requester name, street or phone.
"""

import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from sociale_kaart import clock
from sociale_kaart.extensions import db
from sociale_kaart.matching import links, timeslots
from sociale_kaart.matching.models import Absence, Feedback, Match, PersonalDataView, VolunteerProfile
from sociale_kaart.notify.models import OutboxMessage
from tests.builders import make_user
from tests.matching.factories import load_areas, make_broker, make_match, make_request, make_volunteer
from tests.workspace.helpers import login_as, post


@pytest.fixture
def areas(app):
    return load_areas()


def page_of(response):
    return response.get_data(as_text=True)


def summary_messages(page):
    block = re.search(r'<div class="error-summary".*?</div>', page, re.S)
    return re.findall(r"<li>(?:<a [^>]*>)?([^<]+)", block.group(0)) if block else []


def profile_data(**changes):
    """Return valid POST data of the volunteer profile: Driebergen, bike 5 km, Tuesday and Thursday afternoons."""
    data = {
        "first_name": "Vera",
        "phone": "06 87654321",
        "postcode": "3971 KL",
        "street": "",
        "house_number": "",
        "travel_mode": "bike",
        "max_km": "5",
        "task_types": ["respijt", "boodschappen"],
        "skills": ["dementie"],
        "languages": ["nl", "en"],
        "avail-tue-afternoon": "y",
        "avail-thu-afternoon": "y",
        "max_tasks_per_week": "2",
        "motivation": "Ik heb tijd over.",
    }
    data.update(changes)
    return {key: value for key, value in data.items() if value is not None}


def private_bits(request):
    """Return the requester's private values that a volunteer must not see before acceptance."""
    return [
        request.contact_name,
        request.contact_phone,
        request.contact_email,
        request.recipient_name,
        request.street + " " + request.house_number,
        request.postcode,
        request.description,
    ]


# --- profile ------------------------------------------------------------------------------------


def test_profile_needs_login(app, client, areas):
    response = client.get("/vrijwilliger/profiel")
    assert response.status_code == 302 and "/inloggen" in response.headers["Location"]


def test_grid_is_a_table_with_labelled_checkboxes(app, client, areas):
    login_as(client, make_user(roles=("resident",), name="Vera Jansen"))
    page = page_of(client.get("/vrijwilliger/profiel"))
    assert 'value="Vera"' in page  # first name from the account
    assert "<caption>Dagdelen per week</caption>" in page
    assert page.count('<th scope="row">') == 7 and '<th scope="col">middag</th>' in page
    assert re.search(
        r'<label class="availability__cell" for="avail-tue-afternoon"><input[^>]*'
        r'id="avail-tue-afternoon"[^>]*><span class="visually-hidden">dinsdag middag</span>',
        page,
    )
    assert page.count('type="checkbox"') >= 21


def test_saving_a_new_profile_makes_a_pending_volunteer(app, client, areas):
    user = make_user(roles=("resident",))
    login_as(client, user)
    response = post(client, app, "/vrijwilliger/profiel", profile_data())
    assert response.status_code == 303
    profile = db.session.scalars(select(VolunteerProfile)).one()
    assert profile.status == "pending" and profile.pc4 == "3971" and profile.max_km == 5
    assert profile.availability == timeslots.mask_from_cells([(1, 1), (3, 1)])
    assert sorted(profile.task_types) == ["boodschappen", "respijt"]
    db.session.refresh(user)
    assert user.has_role("volunteer")
    page = page_of(client.get("/vrijwilliger/profiel"))
    assert "Wacht op kennismaking" in page and "Nog geen VOG gecontroleerd" in page
    assert re.search(r'<input checked id="avail-tue-afternoon"', page)
    assert not re.search(r'<input checked id="avail-mon-morning"', page)


def test_editing_keeps_values_and_shows_the_vog_read_only(app, client, areas):
    profile = make_volunteer(
        first_name="Vera", vog_checked_on=clock.today(), vog_valid_until=clock.today() + timedelta(days=700), max_km=7.5
    )
    login_as(client, profile.user)
    page = page_of(client.get("/vrijwilliger/profiel"))
    assert 'value="7,5"' in page and "Gecontroleerd op" in page and "geldig tot" in page
    assert 'name="vog' not in page


BAD_PROFILE = [
    ({"max_km": "0"}, "max_km", "Kies een afstand van 0,5 tot 50 km", 'value="0"'),
    ({"max_km": "500"}, "max_km", "Kies een afstand van 0,5 tot 50 km", 'value="500"'),
    ({"max_km": "ver"}, "max_km", "Kies een afstand van 0,5 tot 50 km", 'value="ver"'),
    ({"avail-tue-afternoon": None, "avail-thu-afternoon": None}, "beschikbaarheid", "Kies minstens één dagdeel", None),
    ({"postcode": "3949 AA"}, "postcode", "We kennen postcode", 'value="3949 AA"'),
    ({"task_types": []}, "task_types", "Kies minstens één soort hulp", None),
    ({"first_name": ""}, "first_name", "Vul uw voornaam in", None),
]


@pytest.mark.parametrize(
    "changes, field, message, kept", BAD_PROFILE, ids=[case[1] + str(n) for n, case in enumerate(BAD_PROFILE)]
)
def test_bad_profile_input_keeps_what_was_typed(app, client, areas, changes, field, message, kept):
    login_as(client, make_user(roles=("resident",)))
    response = post(client, app, "/vrijwilliger/profiel", profile_data(**changes))
    assert response.status_code == 400
    page = page_of(response)
    assert any(message in text for text in summary_messages(page)), summary_messages(page)
    assert f'href="#{field}"' in page and f'id="{field}-error"' in page
    assert 'aria-invalid="true"' in page
    if kept:
        assert kept in page
    assert 'value="3971 KL"' in page or field == "postcode"
    assert re.search(r">\s*Ik heb tijd over.</textarea>", page)
    if field != "beschikbaarheid":
        assert re.search(r'<input checked id="avail-tue-afternoon"', page)  # ticked boxes stay ticked
    assert db.session.scalars(select(VolunteerProfile)).all() == []


def test_absences_add_and_remove(app, client, areas):
    profile = make_volunteer()
    login_as(client, profile.user)
    start = clock.today() + timedelta(days=10)
    response = post(
        client,
        app,
        "/vrijwilliger/profiel/afwezig",
        {"starts_on": start.isoformat(), "ends_on": (start + timedelta(days=7)).isoformat(), "note": "Vakantie"},
    )
    assert response.status_code == 303
    absence = db.session.scalars(select(Absence)).one()
    assert "Vakantie" in page_of(client.get("/vrijwilliger/profiel"))
    response = post(client, app, f"/vrijwilliger/profiel/afwezig/{absence.id}/verwijderen")
    assert response.status_code == 303
    assert db.session.scalars(select(Absence)).all() == []


def test_absence_ending_before_it_starts_is_refused(app, client, areas):
    profile = make_volunteer()
    login_as(client, profile.user)
    start = clock.today() + timedelta(days=10)
    response = post(
        client,
        app,
        "/vrijwilliger/profiel/afwezig",
        {"starts_on": start.isoformat(), "ends_on": (start - timedelta(days=2)).isoformat(), "note": "Vakantie"},
    )
    assert response.status_code == 400
    page = page_of(response)
    assert "De laatste dag moet na de eerste dag liggen." in summary_messages(page)
    assert 'value="Vakantie"' in page
    assert db.session.scalars(select(Absence)).all() == []


def test_removing_someone_elses_absence_is_not_found(app, client, areas):
    other = make_volunteer()
    absence = Absence(volunteer=other, starts_on=clock.today(), ends_on=clock.today())
    db.session.add(absence)
    db.session.commit()
    login_as(client, make_volunteer().user)
    assert post(client, app, f"/vrijwilliger/profiel/afwezig/{absence.id}/verwijderen").status_code == 404
    assert db.session.get(Absence, absence.id) is not None


# --- tasks near me ------------------------------------------------------------------------------


def test_tasks_show_public_fields_only(app, client, areas):
    request = make_request(summary="Samen naar de markt.", recipient_first_name="Piet")
    volunteer = make_volunteer(postcode="3971 KL")
    login_as(client, volunteer.user)
    page = page_of(client.get("/vrijwilliger/klussen"))
    assert "Boodschappen" in page and "3941" in page and "Samen naar de markt." in page
    assert f"/vrijwilliger/klussen/{request.id}" in page
    for secret in private_bits(request):
        assert secret not in page
    detail = page_of(client.get(f"/vrijwilliger/klussen/{request.id}"))
    assert "Piet" in detail and "Ik wil helpen" in detail
    for secret in private_bits(request):
        assert secret not in detail
    assert db.session.scalars(select(PersonalDataView)).all() == []


def _way_back(page):
    nav = re.search(r'<nav class="breadcrumbs"[^>]*>(.*?)</nav>', page, re.S)
    return re.findall(r'<a href="([^"]+)">([^<]+)</a>', nav.group(1)) if nav else None


def test_a_task_leads_back_to_the_list_it_belongs_to(app, client, areas):
    request = make_request()
    volunteer = make_volunteer(postcode="3971 KL")
    login_as(client, volunteer.user)
    page = page_of(client.get(f"/vrijwilliger/klussen/{request.id}"))
    assert _way_back(page) == [("/vrijwilliger/klussen", "Klussen bij mij in de buurt")]
    make_match(request, volunteer, status="accepted")
    page = page_of(client.get(f"/vrijwilliger/klussen/{request.id}"))
    assert _way_back(page) == [("/vrijwilliger/mijn-taken", "Mijn taken")]


def test_an_accepted_task_without_a_phone_shows_the_contacts_e_mail_address(app, client, areas):
    request = make_request(contact_email="mary@example.org", contact_phone="")
    volunteer = make_volunteer(postcode="3971 KL")
    login_as(client, volunteer.user)
    assert "mary@example.org" not in page_of(client.get(f"/vrijwilliger/klussen/{request.id}"))
    make_match(request, volunteer, status="accepted")
    page = page_of(client.get(f"/vrijwilliger/klussen/{request.id}"))
    assert '<dt>E-mail</dt><dd><a href="mailto:mary@example.org">mary@example.org</a></dd>' in page


def test_pending_volunteer_and_non_volunteer_see_an_explanation(app, client, areas):
    make_request()
    pending = make_volunteer(status="pending")
    login_as(client, pending.user)
    assert "wacht op een kennismaking" in page_of(client.get("/vrijwilliger/klussen"))
    login_as(client, make_user(roles=("resident",)))
    assert "Vrijwilligersprofiel invullen" in page_of(client.get("/vrijwilliger/klussen"))


def test_a_task_that_does_not_fit_is_not_listed(app, client, areas):
    make_request(task_type="tuin")
    volunteer = make_volunteer(task_types=["boodschappen"])
    login_as(client, volunteer.user)
    assert "Er zijn nu geen klussen die bij u passen." in page_of(client.get("/vrijwilliger/klussen"))


def test_ik_wil_helpen_registers_interest(app, client, areas):
    request = make_request()
    volunteer = make_volunteer()
    login_as(client, volunteer.user)
    response = post(client, app, f"/vrijwilliger/klussen/{request.id}/helpen", {"message": "Ik kan ook later."})
    assert response.status_code == 303
    match = db.session.scalars(select(Match)).one()
    assert (match.status, match.message) == ("interested", "Ik kan ook later.")
    page = page_of(client.get(response.headers["Location"]))
    assert "U heeft gezegd dat u wilt helpen" in page
    assert post(client, app, f"/vrijwilliger/klussen/{request.id}/helpen", {}).status_code == 303
    assert len(db.session.scalars(select(Match)).all()) == 1


def test_ik_wil_helpen_without_csrf_is_refused(app, client, areas):
    request = make_request()
    login_as(client, make_volunteer().user)
    assert client.post(f"/vrijwilliger/klussen/{request.id}/helpen").status_code == 400
    assert db.session.scalars(select(Match)).all() == []


def test_address_only_after_acceptance_and_the_view_is_logged(app, client, areas):
    request = make_request(status="proposed")
    volunteer = make_volunteer()
    match = make_match(request, volunteer, status="approved")
    login_as(client, volunteer.user)
    page = page_of(client.get(f"/vrijwilliger/klussen/{request.id}"))
    assert "Ja, ik help" in page
    for secret in private_bits(request)[:-1]:
        assert secret not in page
    response = post(client, app, f"/vrijwilliger/koppeling/{match.id}/accepteren")
    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"/vrijwilliger/klussen/{request.id}")
    page = page_of(client.get(response.headers["Location"]))
    assert request.street in page and request.contact_phone in page and request.recipient_name in page
    assert request.description not in page
    # two views of the address: the confirmation e-mail that carries it (issue #12), then the page
    views = db.session.scalars(select(PersonalDataView)).all()
    assert [(view.viewer_id, view.viewer_role, view.what) for view in views] == [
        (volunteer.user_id, "volunteer", "address")
    ] * 2


def test_task_of_a_closed_request_is_not_found(app, client, areas):
    request = make_request(status="cancelled")
    login_as(client, make_volunteer().user)
    assert client.get(f"/vrijwilliger/klussen/{request.id}").status_code == 404


def test_volunteer_pages_need_the_volunteer_role(app, client, areas):
    request = make_request()
    login_as(client, make_user(roles=("resident",)))
    assert client.get(f"/vrijwilliger/klussen/{request.id}").status_code == 403


# --- my tasks -----------------------------------------------------------------------------------


def test_my_tasks_groups_offers_accepted_and_waiting(app, client, areas):
    volunteer = make_volunteer()
    offered = make_request(task_type="tuin")
    accepted = make_request(task_type="digitaal", first_date=offered.first_date + timedelta(days=1))
    waiting = make_request(task_type="klusjes")
    make_match(offered, volunteer, status="approved")
    make_match(accepted, volunteer, status="accepted")
    make_match(waiting, volunteer, status="interested")
    login_as(client, volunteer.user)
    page = page_of(client.get("/vrijwilliger/mijn-taken"))
    offers = page.index("Gevraagd door de sociaal makelaar")
    taken = page.index("Aangenomen taken")
    wanting = page.index("U wilt helpen")
    assert offers < page.index("Tuin") < taken < page.index("Digitale hulp") < wanting < page.index("Klusjes in huis")
    assert "Ja, ik help" in page and "Afzeggen" in page
    for request in (offered, accepted, waiting):
        for secret in private_bits(request):
            assert secret not in page


def test_no_show_is_not_shown_to_the_volunteer(app, client, areas):
    volunteer = make_volunteer()
    make_match(make_request(task_type="tuin"), volunteer, status="no_show")
    login_as(client, volunteer.user)
    page = page_of(client.get("/vrijwilliger/mijn-taken"))
    assert "Niet gekomen" not in page and "Tuin" not in page


def test_decline_an_offer(app, client, areas):
    request = make_request(status="proposed")
    volunteer = make_volunteer()
    match = make_match(request, volunteer, status="approved")
    login_as(client, volunteer.user)
    response = post(client, app, f"/vrijwilliger/koppeling/{match.id}/weigeren")
    assert response.status_code == 303 and response.headers["Location"].endswith("/vrijwilliger/mijn-taken")
    db.session.expire_all()
    assert db.session.get(Match, match.id).status == "declined"
    assert all(not booking.active for booking in db.session.get(Match, match.id).bookings)


def test_volunteer_cancels_an_accepted_task(app, client, areas):
    request = make_request(status="matched")
    volunteer = make_volunteer()
    match = make_match(request, volunteer, status="accepted")
    login_as(client, volunteer.user)
    response = post(client, app, f"/vrijwilliger/koppeling/{match.id}/annuleren", {"reason": "Ziek."})
    assert response.status_code == 303
    db.session.expire_all()
    match = db.session.get(Match, match.id)
    assert (match.status, match.cancelled_by, match.cancel_reason) == ("cancelled", "volunteer", "Ziek.")
    assert "U heeft afgezegd." in page_of(client.get(response.headers["Location"]))


def test_another_volunteer_may_not_answer(app, client, areas):
    request = make_request(status="proposed")
    match = make_match(request, make_volunteer(), status="approved")
    login_as(client, make_volunteer().user)
    for action in ("accepteren", "weigeren", "annuleren"):
        assert post(client, app, f"/vrijwilliger/koppeling/{match.id}/{action}").status_code == 403
    db.session.expire_all()
    assert db.session.get(Match, match.id).status == "approved"


def test_accepting_twice_is_harmless(app, client, areas):
    request = make_request(status="proposed")
    volunteer = make_volunteer()
    match = make_match(request, volunteer, status="approved")
    login_as(client, volunteer.user)
    assert post(client, app, f"/vrijwilliger/koppeling/{match.id}/accepteren").status_code == 303
    assert post(client, app, f"/vrijwilliger/koppeling/{match.id}/accepteren").status_code == 303
    db.session.expire_all()
    assert db.session.get(Match, match.id).status == "accepted"


def _in_the_past(match):
    for booking in match.bookings:
        booking.starts_at -= timedelta(days=30)
        booking.ends_at -= timedelta(days=30)
    for occurrence in match.request.occurrences:
        occurrence.starts_at -= timedelta(days=30)
        occurrence.ends_at -= timedelta(days=30)
    db.session.commit()
    return match


def test_volunteer_feedback_after_the_date(app, client, areas):
    volunteer = make_volunteer()
    match = _in_the_past(make_match(make_request(status="matched"), volunteer, status="accepted"))
    login_as(client, volunteer.user)
    url = f"/vrijwilliger/koppeling/{match.id}/terugkoppeling"
    assert url in page_of(client.get("/vrijwilliger/mijn-taken"))
    response = post(client, app, url, {"happened": "no", "comment": "Niemand thuis."})
    assert response.status_code == 303
    feedback = db.session.scalars(select(Feedback)).one()
    assert (feedback.author_role, feedback.happened, feedback.comment) == ("volunteer", False, "Niemand thuis.")
    assert url not in page_of(client.get("/vrijwilliger/mijn-taken"))


def test_feedback_page_of_someone_elses_match_is_not_found(app, client, areas):
    match = _in_the_past(make_match(make_request(status="matched"), make_volunteer(), status="accepted"))
    login_as(client, make_volunteer().user)
    assert client.get(f"/vrijwilliger/koppeling/{match.id}/terugkoppeling").status_code == 404


# --- links from e-mails -------------------------------------------------------------------------


def test_match_link_accepts_without_login(app, client, areas):
    request = make_request(status="proposed")
    volunteer = make_volunteer()
    match = make_match(request, volunteer, status="approved")
    token = links.make_token("match-link", {"m": match.id, "v": volunteer.id})
    page = page_of(client.get(f"/koppeling/{token}"))
    assert "Wilt u deze taak doen?" in page and "Ja, ik help" in page
    for secret in private_bits(request):
        assert secret not in page
    response = post(client, app, f"/koppeling/{token}", {"decision": "accept"})
    assert response.status_code == 303
    db.session.expire_all()
    assert db.session.get(Match, match.id).status == "accepted"
    assert "U heeft deze taak aangenomen" in page_of(client.get(f"/koppeling/{token}"))


def test_match_link_declines_with_a_reason(app, client, areas):
    request = make_request(status="proposed")
    volunteer = make_volunteer()
    match = make_match(request, volunteer, status="approved")
    token = links.make_token("match-link", {"m": match.id, "v": volunteer.id})
    assert post(client, app, f"/koppeling/{token}", {"decision": "decline", "reason": "Op reis."}).status_code == 303
    db.session.expire_all()
    assert (db.session.get(Match, match.id).status, db.session.get(Match, match.id).cancel_reason) == (
        "declined",
        "Op reis.",
    )


def test_a_broken_match_link_says_so(app, client, areas):
    response = client.get("/koppeling/niet-goed")
    assert response.status_code == 400 and "Deze link werkt niet" in page_of(response)


def test_feedback_link_one_click(app, client, areas):
    volunteer = make_volunteer()
    match = _in_the_past(make_match(make_request(status="matched"), volunteer, status="accepted"))
    token = links.make_token("feedback-link", {"m": match.id, "r": "requester"})
    page = page_of(client.get(f"/terugkoppeling/{token}?doorgegaan=ja"))
    assert "Is het doorgegaan?" in page
    assert re.search(r'<input checked id="happened-0"', page)
    response = post(client, app, f"/terugkoppeling/{token}", {"happened": "yes", "rating": "2"})
    assert response.status_code == 303
    feedback = db.session.scalars(select(Feedback)).one()
    assert (feedback.author_role, feedback.happened, feedback.rating) == ("requester", True, 2)


def test_a_broken_feedback_link_says_so(app, client, areas):
    assert client.get("/terugkoppeling/niet-goed").status_code == 400


# --- a new volunteer: one way in, what happens next, a preview of the tasks (issue #14) ----------------


def test_both_home_tiles_and_the_menu_lead_to_the_one_way_in(app, client, areas):
    page = page_of(client.get("/"))
    tiles = re.findall(r'<a class="tile" href="([^"]*)">(?:Ik wil vrijwilliger worden|Vrijwilliger worden)</a>', page)
    assert tiles == ["/vrijwilliger", "/vrijwilliger"]
    login_as(client, make_volunteer().user)
    assert 'href="/vrijwilliger"' in page_of(client.get("/vrijwilliger/mijn-taken"))


def test_the_way_in_explains_and_leads_to_registration_as_volunteer(app, client, areas):
    response = client.get("/vrijwilliger")
    page = page_of(response)
    assert response.status_code == 200 and "binnen 5 werkdagen" in page and "VOG" in page
    assert 'href="/registreren?rol=vrijwilliger"' in page
    register = page_of(client.get("/registreren?rol=vrijwilliger"))
    assert re.search(r'<input[^>]*checked[^>]*value="volunteer"|<input[^>]*value="volunteer"[^>]*checked', register)


@pytest.mark.parametrize(
    ("status", "where"),
    [(None, "/vrijwilliger/profiel"), ("pending", "/vrijwilliger/aangemeld"), ("active", "/vrijwilliger/mijn-taken")],
)
def test_the_way_in_sends_a_logged_in_user_on(app, client, areas, status, where):
    user = make_volunteer(status=status, approved_at=None).user if status else make_user(roles=("resident",))
    login_as(client, user)
    response = client.get("/vrijwilliger")
    assert response.status_code == 302 and response.headers["Location"].endswith(where)


def test_sign_up_shows_the_next_steps_with_the_area_contact_and_mails_them_once(app, client, areas):
    area = areas["driebergen_rijsenburg"]
    area.contact_phone, area.contact_email = "0343 123 456", "dt@example.org"
    db.session.commit()
    broker = make_broker(areas=("driebergen_rijsenburg",), name="Bram Makelaar")
    other = make_volunteer(first_name="Wim (fictief)")
    user = make_user(roles=("resident",), name="Vera Jansen")
    login_as(client, user)
    response = post(client, app, "/vrijwilliger/profiel", profile_data())
    assert response.status_code == 303 and response.headers["Location"].endswith("/vrijwilliger/aangemeld")
    page = page_of(client.get("/vrijwilliger/aangemeld"))
    assert "binnen 5 werkdagen" in page and "VOG" in page
    assert "0343 123 456" in page and "dt@example.org" in page
    post(client, app, "/vrijwilliger/profiel", profile_data(first_name="Vera"))  # saved again: no new mail
    mails = db.session.scalars(select(OutboxMessage).where(OutboxMessage.to_address == user.email)).all()
    assert [mail.template for mail in mails] == ["matching_volunteer_welcome"]
    assert "0343 123 456" in mails[0].body_text and "dt@example.org" in mails[0].body_html
    for private in (broker.name, broker.email, other.first_name, other.phone, other.user.email):
        assert private not in mails[0].body_text and private not in mails[0].body_html and private not in page


def test_pending_volunteer_sees_a_preview_of_task_kinds_without_details(app, client, areas):
    pending = make_volunteer(status="pending", approved_at=None, max_km=5.0)
    requests = [make_request(task_type="gezelschap") for _ in range(3)]
    make_request(task_type="vervoer")
    login_as(client, pending.user)
    page = page_of(client.get("/vrijwilliger/klussen"))
    assert "Dit soort klussen is er nu bij u in de buurt" in page and "3 klussen" in page
    assert "Gezelschap" in page and "Vervoer" not in page
    assert "/vrijwilliger/klussen/" not in page  # no task links before approval
    for request in requests:
        for bit in [*private_bits(request), request.summary, request.recipient_first_name]:
            assert bit not in page
