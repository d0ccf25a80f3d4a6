"""Broker pages of the matching module (issue #4): who may use each URL, and the flows through the views."""

from datetime import UTC, date, timedelta

import pytest
from sqlalchemy import func, select

from sociale_kaart import clock
from sociale_kaart.extensions import db
from sociale_kaart.matching.models import Booking, HelpRequest, Match, PersonalDataView, VolunteerProfile
from tests.builders import make_user
from tests.conftest import module_app
from tests.matching.factories import (
    DRIEBERGEN,
    load_areas,
    make_broker,
    make_match,
    make_request,
    make_volunteer,
    next_weekday,
)
from tests.url_tables import assert_allowed_or_refused, each_role_and_url, role_logins, uncovered_routes, use_url
from tests.workspace.helpers import login_as, post

ROLES = ("anonymous", "resident", "volunteer", "broker_a", "broker_b", "admin")
BROKERS = {"broker_a", "broker_b", "admin"}
BROKERS_A = {"broker_a", "admin"}

# (name, method, path template, allowed roles); {ids} are filled from the site below
CASES = [
    ("queue", "GET", "/werkplek/hulp/", BROKERS),
    ("queue of Doorn", "GET", "/werkplek/hulp/?gebied={area_a}", BROKERS_A),
    ("phone intake", "GET", "/werkplek/hulp/nieuw", BROKERS),
    ("save phone intake", "POST", "/werkplek/hulp/nieuw", BROKERS),
    ("request", "GET", "/werkplek/hulp/vraag/{request}", BROKERS_A),
    ("publish", "POST", "/werkplek/hulp/vraag/{to_publish}/publiceren", BROKERS_A),
    ("reject", "POST", "/werkplek/hulp/vraag/{to_reject}/afwijzen", BROKERS_A),
    ("edit request", "GET", "/werkplek/hulp/vraag/{request}/bewerken", BROKERS_A),
    ("save request", "POST", "/werkplek/hulp/vraag/{request}/bewerken", BROKERS_A),
    ("candidates", "GET", "/werkplek/hulp/vraag/{request}/kandidaten", BROKERS_A),
    ("suggest", "POST", "/werkplek/hulp/vraag/{request}/voorstellen", BROKERS_A),
    ("approve match", "POST", "/werkplek/hulp/koppeling/{to_approve}/goedkeuren", BROKERS_A),
    ("reject match", "POST", "/werkplek/hulp/koppeling/{to_pass}/niet-kiezen", BROKERS_A),
    ("cancel match", "POST", "/werkplek/hulp/koppeling/{to_cancel}/annuleren", BROKERS_A),
    ("mark done", "POST", "/werkplek/hulp/koppeling/{to_finish}/gedaan", BROKERS_A),
    ("no-show", "POST", "/werkplek/hulp/koppeling/{to_miss}/niet-gekomen", BROKERS_A),
    ("confirm cancel", "GET", "/werkplek/hulp/koppeling/{to_cancel}/annuleren", BROKERS_A),
    ("confirm done", "GET", "/werkplek/hulp/koppeling/{to_finish}/gedaan", BROKERS_A),
    ("confirm no-show", "GET", "/werkplek/hulp/koppeling/{to_miss}/niet-gekomen", BROKERS_A),
    ("feedback", "POST", "/werkplek/hulp/koppeling/{to_hear}/terugkoppeling", BROKERS_A),
    ("confirm reopen", "GET", "/werkplek/hulp/vraag/{to_reopen}/heropenen", BROKERS_A),
    ("reopen", "POST", "/werkplek/hulp/vraag/{to_reopen}/heropenen", BROKERS_A),
    ("propose all", "POST", "/werkplek/hulp/stel-koppelingen-voor", BROKERS_A),
    ("volunteers", "GET", "/werkplek/hulp/vrijwilligers", BROKERS),
    ("volunteer", "GET", "/werkplek/hulp/vrijwilligers/{volunteer}", BROKERS_A),
    ("approve volunteer", "POST", "/werkplek/hulp/vrijwilligers/{newcomer}/goedkeuren", BROKERS_A),
    ("record VOG", "POST", "/werkplek/hulp/vrijwilligers/{volunteer}/vog", BROKERS_A),
    ("workload", "GET", "/werkplek/hulp/werkdruk", BROKERS),
    ("workload of Doorn", "GET", "/werkplek/hulp/werkdruk?gebied={area_a}", BROKERS_A),
]


def intake_form(**changes):
    """POST data of the phone intake: a one-off request for shopping in Doorn next week."""
    data = {
        "task_type": "boodschappen",
        "relation": "carer",
        "recipient_name": "Kees Jansen (fictief)",
        "schedule_kind": "once",
        "first_date": next_weekday(2).isoformat(),
        "window_start": "10:00",
        "window_end": "12:00",
        "duration_minutes": "60",
        "weeks": "",
        "street": "Dorpsstraat",
        "house_number": "4",
        "postcode": "3941 AB",
        "max_km": "",
        "contact_name": "Greet Jansen (fictief)",
        "contact_email": "",
        "contact_phone": "0343 123 456",
        "summary": "Samen naar de supermarkt.",
        "description": "Belde zelf; dochter woont ver weg.",
        "urgency": "normal",
        "preferred_language": "nl",
    }
    data.update(changes)
    return data


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """One app for the whole table: every action has its own request or match, so the order does not matter."""
    with module_app(tmp_path_factory, "broker_permissions") as app:
        with app.app_context():
            areas = load_areas()
            users = {
                "anonymous": None,
                "resident": make_user(roles=("resident",)),
                "volunteer": make_user(roles=("volunteer",)),
                "broker_a": make_broker(areas=("doorn",)),
                "broker_b": make_broker(areas=("leersum",)),
                "admin": make_user(roles=("admin",)),
            }
            request = make_request()
            volunteer = make_volunteer()
            ids = {
                "area_a": areas["doorn"].id,
                "request": request.id,
                "to_publish": make_request(status="submitted", reviewed_at=None).id,
                "to_reject": make_request(status="submitted", reviewed_at=None).id,
                "to_approve": make_match(make_request(), make_volunteer(), status="suggested").id,
                "to_pass": make_match(make_request(), make_volunteer(), status="interested").id,
                "to_cancel": make_match(make_request(), make_volunteer(), status="approved").id,
                "to_finish": make_match(make_request(), make_volunteer(), status="accepted").id,
                "to_miss": make_match(make_request(), make_volunteer(), status="accepted").id,
                "to_hear": make_match(make_request(), make_volunteer(), status="accepted").id,
                "to_reopen": make_request(status="done", closed_at=clock.naive_utcnow()).id,
                "volunteer": volunteer.id,
                "newcomer": make_volunteer(status="pending", approved_at=None).id,
            }
            data = {
                "save phone intake": intake_form(),
                "reject": {"reason": "Dit is werk voor de thuiszorg."},
                "save request": intake_form(summary="Samen naar de markt."),
                "suggest": {"volunteer_id": str(volunteer.id), "step": "suggest"},
                "cancel match": {"reason": "De aanvrager is opgenomen."},
                "feedback": {"role": "requester", "happened": "yes", "rating": "3", "comment": "Fijn."},
                "propose all": {"area_id": str(areas["doorn"].id)},
                "record VOG": {"checked_on": "2026-11-01", "valid_until": "2029-11-01"},
            }
            tokens, login_url = role_logins(app, users)
            db.session.remove()
        yield app, ids, data, tokens, login_url


@each_role_and_url(ROLES, CASES)
def test_who_may_use_each_broker_url(site, name, method, path, allowed, role):
    app, ids, data, tokens, login_url = site
    response = use_url(app, tokens[role], method, path.format(**ids), data.get(name))
    assert_allowed_or_refused(response, role, allowed, login_url)


def test_the_table_covers_every_broker_url(site):
    assert uncovered_routes(site[0], {"broker"}, CASES) == set()


# --- flows through the views (fresh database each) -----------------------------------------------


@pytest.fixture
def broker(app):
    load_areas()
    return make_broker(areas=("doorn",), name="Bram Makelaar")


def _page(client, url):
    response = client.get(url)
    assert response.status_code == 200, response.status_code
    return response.get_data(as_text=True)


def test_request_page_shows_personal_data_and_logs_the_view(app, client, broker):
    item = make_request(status="submitted", reviewed_at=None)
    login_as(client, broker)
    page = _page(client, f"/werkplek/hulp/vraag/{item.id}")
    assert item.contact_name in page and item.contact_phone in page and "Dorpsstraat" in page
    assert "beginnende dementie" in page
    views = db.session.scalars(select(PersonalDataView).where(PersonalDataView.request_id == item.id)).all()
    assert [(view.viewer_id, view.viewer_role) for view in views] == [(broker.id, "broker")]


def test_publish_through_the_view(app, client, broker):
    item = make_request(status="submitted", reviewed_at=None)
    login_as(client, broker)
    response = post(client, app, f"/werkplek/hulp/vraag/{item.id}/publiceren")
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/werkplek/hulp/vraag/{item.id}")
    db.session.expire_all()
    assert db.session.get(HelpRequest, item.id).status == "open"
    page = _page(client, f"/werkplek/hulp/vraag/{item.id}")
    assert "gepubliceerd" in page
    assert "Bram Makelaar" in page  # the history says who


def test_publish_without_csrf_changes_nothing(app, client, broker):
    item = make_request(status="submitted", reviewed_at=None)
    login_as(client, broker)
    response = client.post(f"/werkplek/hulp/vraag/{item.id}/publiceren")
    assert response.status_code == 400
    db.session.expire_all()
    assert db.session.get(HelpRequest, item.id).status == "submitted"


def test_reject_needs_a_reason(app, client, broker):
    item = make_request(status="submitted", reviewed_at=None)
    login_as(client, broker)
    response = post(client, app, f"/werkplek/hulp/vraag/{item.id}/afwijzen", {"reason": "  "})
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "Schrijf erbij waarom u de hulpvraag afwijst." in page
    assert 'aria-invalid="true"' in page
    db.session.expire_all()
    assert db.session.get(HelpRequest, item.id).status == "submitted"


def test_reject_with_a_reason(app, client, broker):
    item = make_request(status="submitted", reviewed_at=None)
    login_as(client, broker)
    response = post(
        client, app, f"/werkplek/hulp/vraag/{item.id}/afwijzen", {"reason": "Dit is werk voor de thuiszorg."}
    )
    assert response.status_code == 302
    db.session.expire_all()
    rejected = db.session.get(HelpRequest, item.id)
    assert rejected.status == "rejected"
    assert rejected.rejection_reason == "Dit is werk voor de thuiszorg."


def test_phone_intake_creates_a_confirmed_request(app, client, broker):
    login_as(client, broker)
    response = post(client, app, "/werkplek/hulp/nieuw", intake_form())
    assert response.status_code == 302, response.get_data(as_text=True)
    item = db.session.scalars(select(HelpRequest)).one()
    assert response.headers["Location"].endswith(f"/werkplek/hulp/vraag/{item.id}")
    assert item.status == "submitted" and item.confirmed_at is not None
    assert item.entered_by_id == broker.id and item.contact_name == "Greet Jansen (fictief)"


def test_phone_intake_errors_keep_what_was_typed(app, client, broker):
    login_as(client, broker)
    response = post(
        client,
        app,
        "/werkplek/hulp/nieuw",
        intake_form(window_start="14:00", window_end="12:00", contact_phone="", postcode="9999 ZZ"),
    )
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "error-summary" in page
    assert "De eindtijd moet na de begintijd liggen." in page
    assert "Greet Jansen (fictief)" in page and 'value="14:00"' in page
    assert db.session.scalar(select(func.count()).select_from(HelpRequest)) == 0


def test_phone_intake_unknown_postcode(app, client, broker):
    login_as(client, broker)
    response = post(client, app, "/werkplek/hulp/nieuw", intake_form(postcode="9999 ZZ"))
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert '<a href="#postcode">' in page and "9999 ZZ" in page
    assert db.session.scalar(select(func.count()).select_from(HelpRequest)) == 0


def test_edit_request(app, client, broker):
    item = make_request()
    login_as(client, broker)
    page = _page(client, f"/werkplek/hulp/vraag/{item.id}/bewerken")
    assert item.contact_name in page
    response = post(
        client, app, f"/werkplek/hulp/vraag/{item.id}/bewerken", intake_form(summary="Samen naar de markt op dinsdag.")
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(HelpRequest, item.id).summary == "Samen naar de markt op dinsdag."


def test_candidates_page_shows_reasons_and_exclusions(app, client, broker):
    item = make_request()
    make_volunteer(first_name="Vera")  # Doorn, by bike, 10 km
    make_volunteer(first_name="Wim", postcode=DRIEBERGEN, max_km=1.0)  # too far
    make_volunteer(first_name="Tom", task_types=["tuin"])  # does not want this task
    login_as(client, broker)
    page = _page(client, f"/werkplek/hulp/vraag/{item.id}/kandidaten")
    assert "Vera" in page and "Wim" not in page and "Tom" not in page
    assert "per fiets (max 10)" in page
    assert "2 uitgesloten:" in page and "1 te ver" in page and "1 wil deze taak niet" in page
    assert "Vraag deze vrijwilliger" in page
    logged = db.session.scalar(select(func.count()).select_from(PersonalDataView))
    assert logged == 0  # the candidate page shows no personal data of the requester


def test_unconfirmed_request_cannot_be_published_yet(app, client, broker):
    item = make_request(status="submitted", reviewed_at=None, confirmed_at=None)
    login_as(client, broker)
    page = _page(client, f"/werkplek/hulp/vraag/{item.id}")
    assert "nog niet bevestigd" in page and ">Publiceren<" not in page
    response = post(client, app, f"/werkplek/hulp/vraag/{item.id}/publiceren", follow_redirects=True)
    assert "nog niet bevestigd" in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(HelpRequest, item.id).status == "submitted"


def test_ask_a_candidate_books_the_dates(app, client, broker):
    item = make_request(weeks=3)
    volunteer = make_volunteer(first_name="Vera")
    login_as(client, broker)
    response = post(
        client, app, f"/werkplek/hulp/vraag/{item.id}/voorstellen", {"volunteer_id": str(volunteer.id), "step": "ask"}
    )
    assert response.status_code == 302
    match = db.session.scalars(select(Match)).one()
    assert match.status == "approved" and match.volunteer_id == volunteer.id
    assert db.session.scalar(select(func.count()).select_from(Booking).where(Booking.active.is_(True))) == 3
    db.session.expire_all()
    assert db.session.get(HelpRequest, item.id).status == "proposed"


def test_suggest_then_approve(app, client, broker):
    item = make_request()
    volunteer = make_volunteer(first_name="Vera")
    login_as(client, broker)
    post(
        client,
        app,
        f"/werkplek/hulp/vraag/{item.id}/voorstellen",
        {"volunteer_id": str(volunteer.id), "step": "suggest"},
    )
    match = db.session.scalars(select(Match)).one()
    assert match.status == "suggested"
    assert "Vera" in _page(client, f"/werkplek/hulp/vraag/{item.id}/kandidaten")
    response = post(client, app, f"/werkplek/hulp/koppeling/{match.id}/goedkeuren")
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/werkplek/hulp/vraag/{item.id}")
    db.session.expire_all()
    assert db.session.get(Match, match.id).status == "approved"
    again = post(client, app, f"/werkplek/hulp/koppeling/{match.id}/goedkeuren")  # idempotent
    assert again.status_code == 302
    assert db.session.scalar(select(func.count()).select_from(Booking)) == 1


def test_approve_an_interested_volunteer_and_pass_over_another(app, client, broker):
    item = make_request()
    chosen = make_match(item, make_volunteer(first_name="Vera"), status="interested", source="interest")
    other = make_match(item, make_volunteer(first_name="Wim"), status="interested", source="interest")
    login_as(client, broker)
    page = _page(client, f"/werkplek/hulp/vraag/{item.id}")
    assert "Vera" in page and "Wim" in page
    post(client, app, f"/werkplek/hulp/koppeling/{chosen.id}/goedkeuren")
    post(client, app, f"/werkplek/hulp/koppeling/{other.id}/niet-kiezen")
    db.session.expire_all()
    assert db.session.get(Match, chosen.id).status == "approved"
    assert db.session.get(Match, other.id).status == "rejected"


def test_cancel_done_no_show_and_phone_feedback(app, client, broker, app_clock):
    first = make_match(make_request(), make_volunteer(), status="accepted")
    second = make_match(make_request(), make_volunteer(), status="accepted")
    third = make_match(make_request(), make_volunteer(), status="approved")
    last = max(b.starts_at for match in (first, second) for b in match.bookings)
    app_clock.start(last.replace(tzinfo=UTC) + timedelta(hours=1))
    login_as(client, broker)
    post(client, app, f"/werkplek/hulp/koppeling/{first.id}/gedaan")
    post(client, app, f"/werkplek/hulp/koppeling/{second.id}/niet-gekomen")
    post(client, app, f"/werkplek/hulp/koppeling/{third.id}/annuleren", {"reason": "Opgenomen in het ziekenhuis."})
    response = post(
        client,
        app,
        f"/werkplek/hulp/koppeling/{first.id}/terugkoppeling",
        {"role": "requester", "happened": "yes", "rating": "3", "comment": "Heel fijn geholpen."},
    )
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(Match, first.id).status == "done"
    assert db.session.get(Match, second.id).status == "no_show"
    assert db.session.get(Match, third.id).status == "cancelled"
    page = _page(client, f"/werkplek/hulp/vraag/{first.request_id}")
    assert "Heel fijn geholpen." in page
    assert "Terugkoppeling: aanvrager" in page  # the history says the broker noted it
    assert [(f.author_role, f.happened, f.rating, f.author_id) for f in db.session.get(Match, first.id).feedback] == [
        ("requester", True, 3, broker.id)
    ]


def test_volunteer_approval_vog_and_no_shows(app, client, broker):
    newcomer = make_volunteer(status="pending", approved_at=None, first_name="Nina")
    login_as(client, broker)
    listing = _page(client, "/werkplek/hulp/vrijwilligers")
    assert "Nina" in listing
    response = post(client, app, f"/werkplek/hulp/vrijwilligers/{newcomer.id}/goedkeuren")
    assert response.status_code == 302
    bad = post(
        client,
        app,
        f"/werkplek/hulp/vrijwilligers/{newcomer.id}/vog",
        {"checked_on": "2026-11-01", "valid_until": "2020-01-01"},
    )
    assert bad.status_code == 200 and "De einddatum moet na de controledatum liggen." in bad.get_data(as_text=True)
    typo = post(client, app, f"/werkplek/hulp/vrijwilligers/{newcomer.id}/vog", {"checked_on": "1-13-2026"})
    assert "Typ een datum als dd-mm-jjjj" in typo.get_data(as_text=True)  # the forms' one date rule
    post(
        client,
        app,
        f"/werkplek/hulp/vrijwilligers/{newcomer.id}/vog",
        {"checked_on": "01-11-2026", "valid_until": "2029-11-01"},  # typed day first, or from a date picker
    )
    db.session.expire_all()
    profile = db.session.get(VolunteerProfile, newcomer.id)
    assert profile.status == "active" and profile.vog_valid_until == date(2029, 11, 1)
    make_match(make_request(), profile, status="no_show", book=False)
    page = _page(client, f"/werkplek/hulp/vrijwilligers/{newcomer.id}")
    assert "Niet gekomen" in page


def test_queue_lists_requests_volunteers_and_sign_ups(app, client, broker):
    waiting = make_request(status="submitted", reviewed_at=None, summary="Hulp bij de tuin achter.")
    open_item = make_request(summary="Samen wandelen in het bos.")
    make_match(open_item, make_volunteer(first_name="Wim"), status="interested", source="interest")
    make_volunteer(status="pending", approved_at=None, first_name="Nina")
    login_as(client, broker)
    page = _page(client, "/werkplek/hulp/")
    assert f"/werkplek/hulp/vraag/{waiting.id}" in page and f"/werkplek/hulp/vraag/{open_item.id}" in page
    assert "Nina" in page and "Wim" in page
    assert "Stel koppelingen voor" in page


def test_propose_all_flashes_a_summary(app, client, broker):
    area = load_areas()["doorn"]
    make_request()
    make_volunteer()
    login_as(client, broker)
    response = post(client, app, "/werkplek/hulp/stel-koppelingen-voor", {"area_id": str(area.id)})
    assert response.status_code == 302
    assert db.session.scalar(select(func.count()).select_from(Match).where(Match.status == "suggested")) == 1
    page = _page(client, response.headers["Location"])
    # one of each: the nouns in the singular (#14: not "1 open hulpvragen")
    assert "Klaar. 1 open hulpvraag bekeken, 1 nieuw voorstel; 0 hulpvragen zonder passende vrijwilliger." in page


def test_workload_page(app, client, broker):
    make_request(status="submitted", reviewed_at=None)
    make_request(task_type="tuin")
    make_volunteer(first_name="Stille Sam")
    login_as(client, broker)
    page = _page(client, "/werkplek/hulp/werkdruk")
    assert "Tuin" in page


# --- odd input (issue #12) ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "data",
    [
        {"happened": "yes"},  # no role: the form error, not a 500
        {"role": "", "happened": "yes"},
        {"role": "requester"},
        {"role": "requester", "happened": "yes", "comment": "fijn\x00"},
    ],
)
def test_phone_feedback_with_a_missing_or_odd_field_is_a_message(app, client, broker, data):
    match = make_match(make_request(), make_volunteer(), status="accepted")
    login_as(client, broker)
    response = post(client, app, f"/werkplek/hulp/koppeling/{match.id}/terugkoppeling", data)
    assert response.status_code == 302
    with client.session_transaction() as session:
        assert [category for category, _message in session["_flashes"]] == ["error"]
    db.session.expire_all()
    assert db.session.get(Match, match.id).feedback == []


@pytest.mark.parametrize("area_id", ["²", "٣", "2147483648", "-1", "abc", ""])
def test_odd_area_ids_show_every_area(client, broker, area_id):
    login_as(client, broker)
    for url in ("/werkplek/hulp/", "/werkplek/hulp/werkdruk"):
        assert client.get(url, query_string={"gebied": area_id}).status_code == 200


@pytest.mark.parametrize("area_id", ["²", "2147483648", "abc\x00"])
def test_propose_all_with_an_odd_area_is_refused(app, client, broker, area_id):
    login_as(client, broker)
    response = post(client, app, "/werkplek/hulp/stel-koppelingen-voor", {"area_id": area_id})
    assert response.status_code == 302 and response.headers["Location"].endswith("/werkplek/hulp/")
    assert db.session.scalar(select(func.count()).select_from(Match)) == 0
