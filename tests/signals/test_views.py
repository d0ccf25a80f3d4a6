"""Issue #15: "Zorgen over iemand?" without JavaScript (posted as a browser does, CSRF on), nothing lost
on an error, honeypot and rate limit; the follow-up pages; and who may open each page."""

import re

import pytest
from sqlalchemy import select

from sociale_kaart.extensions import db
from sociale_kaart.signals.models import Signal, SignalView
from tests.accounts.forms_helper import csrf_token, post_form
from tests.builders import login
from tests.conftest import fresh_app, module_app
from tests.signals.helpers import (
    DESCRIPTION,
    NOTE,
    PRIVATE,
    REPORTER,
    REPORTER_EMAIL,
    ROLES,
    STREET,
    SUBJECT,
    make_signal,
    make_world,
)
from tests.url_tables import (
    assert_allowed_or_refused,
    client_as,
    each_role_and_url,
    role_logins,
    uncovered_routes,
    use_url,
)

FORM = "/zorgen-over-iemand"


@pytest.fixture
def world(app):
    return make_world()


def _form_data(world, **overrides):
    data = {
        "themes": ["loneliness", "confusion"],
        "description": DESCRIPTION,
        "subject_name": SUBJECT,
        "subject_address": STREET,
        "area_id": str(world.area_a.id),
        "reporter_name": REPORTER,
        "reporter_email": REPORTER_EMAIL,
        "reporter_phone": "",
        "website": "",
    }
    data.update(overrides)
    return data


def _signals():
    return db.session.scalars(select(Signal).order_by(Signal.id)).all()


# --- the public form, as a browser without JavaScript posts it ------------------------------------------


def test_the_form_is_plain_html(client, world):
    page = client.get(FORM).get_data(as_text=True)
    main = page.split("<main")[1].split("</main>")[0]
    assert "<script" not in main and 'name="csrf_token"' in main
    assert 'type="checkbox" value="loneliness"' in main and "Weet ik niet" in main
    assert "binnen 5 werkdagen" in main.lower() or "Binnen 5 werkdagen" in main


def test_a_signal_is_sent_and_what_happens_next_is_told(client, world):
    response = post_form(client, FORM, _form_data(world))
    assert response.status_code == 303 and response.headers["Location"].endswith("/zorgen-over-iemand/verstuurd")
    (signal,) = _signals()
    assert (signal.themes, signal.subject_name, signal.area_id, signal.reporter_email) == (
        ["loneliness", "confusion"],
        SUBJECT,
        world.area_a.id,
        REPORTER_EMAIL,
    )
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Uw melding is verstuurd" in page and "U krijgt een e-mail" in page


def test_an_anonymous_signal_needs_no_contact_details(client, world):
    data = _form_data(world, reporter_name="", reporter_email="", description="", subject_name="", subject_address="")
    assert post_form(client, FORM, data).status_code == 303
    (signal,) = _signals()
    assert (signal.reporter_name, signal.reporter_email, signal.reporter_id) == ("", "", None)
    assert "U krijgt een e-mail" not in client.get("/zorgen-over-iemand/verstuurd").get_data(as_text=True)


@pytest.mark.parametrize(
    "overrides, field, message",
    [
        ({"themes": [], "description": ""}, "themes", "Kies wat u opviel"),
        ({"subject_name": "", "subject_address": "", "area_id": ""}, "subject_name", "Anders kan het dorpsteam"),
        ({"reporter_email": "piet@"}, "reporter_email", "naam@voorbeeld.nl"),
        ({"area_id": "99999"}, "area_id", "Kies alleen uit de lijst"),
        ({"themes": ["gossip"]}, "themes", "Kies alleen uit de lijst"),
    ],
)
def test_an_error_keeps_everything_typed(client, world, overrides, field, message):
    data = _form_data(world, **overrides)
    response = post_form(client, FORM, data)
    page = response.get_data(as_text=True)
    assert response.status_code == 400 and _signals() == []
    assert "error-summary" in page and message in page and f'href="#{field}"' in page
    assert f'value="{REPORTER}"' in page and f'value="{data["reporter_email"]}"' in page
    if overrides.get("description", DESCRIPTION):
        assert DESCRIPTION in page


def test_every_missing_part_is_named_at_once(client, world):
    data = _form_data(world, themes=[], description="", subject_name="", subject_address="", area_id="")
    page = post_form(client, FORM, data).get_data(as_text=True)
    assert 'href="#themes"' in page and 'href="#subject_name"' in page and f'value="{REPORTER}"' in page


def test_an_expired_form_comes_back_filled_in(client, world):
    client.get(FORM)
    response = client.post(FORM, data={**_form_data(world), "csrf_token": "verlopen"})
    page = response.get_data(as_text=True)
    assert response.status_code == 400 and _signals() == []
    assert "Het formulier is verlopen" in page and DESCRIPTION in page and f'value="{SUBJECT}"' in page
    assert re.search(rf'<option selected value="{world.area_a.id}">|<option value="{world.area_a.id}" selected', page)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    again = client.post(FORM, data={**_form_data(world), "csrf_token": token})
    assert again.status_code == 303 and len(_signals()) == 1


def test_a_bot_filling_the_hidden_field_is_ignored(client, world):
    response = post_form(client, FORM, _form_data(world, website="http://spam.example"))
    assert response.status_code == 303 and _signals() == []


def test_a_village_link_from_the_dorpsteam_block_preselects_it(client, world):
    page = client.get(f"{FORM}?dorp=doorn").get_data(as_text=True)
    assert re.search(rf'<option selected value="{world.area_a.id}">|<option value="{world.area_a.id}" selected', page)
    assert client.get(f"{FORM}?dorp=%00%0a").status_code == 200


def test_control_characters_are_refused_and_not_stored(client, world):
    response = post_form(client, FORM, _form_data(world, subject_name="Ans\x1b[31m"))
    assert response.status_code == 400 and _signals() == []


def test_the_home_page_footer_and_dorpsteam_block_link_to_the_form(client, world):
    page = client.get("/").get_data(as_text=True)
    assert page.count('href="/zorgen-over-iemand"') >= 2  # tile and footer
    assert 'href="/zorgen-over-iemand?dorp=doorn"' in page  # Doorn's dorpsteam block


def test_the_form_over_its_rate_limit_keeps_the_text(tmp_path, request):
    app = fresh_app(
        tmp_path, request, RATELIMIT_ENABLED=True, RATELIMIT_STORAGE_URI="memory://", FORM_RATE_LIMIT="2 per minute"
    )
    with app.app_context():
        db.create_all()
        world = make_world()
        client = app.test_client()
        for _ in range(2):
            assert post_form(client, FORM, _form_data(world)).status_code == 303
        response = post_form(client, FORM, _form_data(world))
        page = response.get_data(as_text=True)
        assert response.status_code == 429 and "Wacht een paar minuten" in page and DESCRIPTION in page
        assert len(_signals()) == 2
        db.session.remove()
        db.engine.dispose()


def test_a_logged_in_reporter_sees_the_status_and_nothing_of_the_follow_up(client, world):
    resident = world.users["resident"]
    login(client, resident)
    assert f'value="{resident.email}"' in client.get(FORM).get_data(as_text=True)  # prefilled, may be cleared
    assert post_form(client, FORM, _form_data(world)).status_code == 303
    (signal,) = _signals()
    assert signal.reporter_id == resident.id
    from sociale_kaart.signals import services

    services.change_status(signal.id, "closed", by=world.users["broker_a"], outcome="not_reached", note=NOTE)
    page = client.get("/zorgen-over-iemand/mijn-meldingen").get_data(as_text=True)
    assert f"Nr. {signal.id}" in page and "Afgesloten" in page
    assert NOTE not in page and "Niet bereikt" not in page


# --- the village team's pages ----------------------------------------------------------------------------


def test_the_broker_follows_a_signal_up_without_javascript(client, world):
    signal = make_signal(world.area_a)
    broker = world.users["broker_a"]
    login(client, broker)
    queue = client.get("/werkplek/zorgen/").get_data(as_text=True)
    assert f'href="/werkplek/zorgen/{signal.id}"' in queue and SUBJECT not in queue
    detail = client.get(f"/werkplek/zorgen/{signal.id}").get_data(as_text=True)
    assert DESCRIPTION in detail and SUBJECT in detail and REPORTER_EMAIL in detail
    assert "Bram Broker" in detail.split('id="bekeken"')[1]  # the access log shows the view
    url = f"/werkplek/zorgen/{signal.id}/status"
    response = post_form(client, url, {"status": "closed", "note": ""}, page=f"/werkplek/zorgen/{signal.id}")
    assert response.status_code == 400 and "Kies hoe het is afgelopen" in response.get_data(as_text=True)
    response = post_form(
        client, url, {"status": "in_progress", "note": "Morgen langs."}, page=f"/werkplek/zorgen/{signal.id}"
    )
    assert response.status_code == 303
    response = post_form(
        client, f"/werkplek/zorgen/{signal.id}/notitie", {"note": NOTE}, page=f"/werkplek/zorgen/{signal.id}"
    )
    assert response.status_code == 303
    response = post_form(
        client, url, {"status": "closed", "outcome": "help_arranged", "note": ""}, page=f"/werkplek/zorgen/{signal.id}"
    )
    assert response.status_code == 303
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Hulp geregeld" in page and NOTE in page and "Morgen langs." in page
    assert 'id="volgende-stap"' not in page  # closed: no next step
    assert db.session.scalar(select(db.func.count(SignalView.id))) >= 3


def test_a_note_with_an_error_keeps_its_text(client, world):
    signal = make_signal(world.area_a)
    login(client, world.users["broker_a"])
    text = "Lang verhaal. " * 200
    response = post_form(
        client, f"/werkplek/zorgen/{signal.id}/notitie", {"note": text}, page=f"/werkplek/zorgen/{signal.id}"
    )
    assert response.status_code == 400 and text.strip() in response.get_data(as_text=True)


# --- who may open each page (every role) ---------------------------------------------------------------------

EVERYONE = set(ROLES)
LOGGED_IN = EVERYONE - {"anonymous"}
QUEUE_READERS = {"broker_a", "broker_b", "admin"}
BROKER_A = {"broker_a"}

# (name, method, path, allowed roles); {signal} is a signal in area A (Doorn)
CASES = [
    ("form", "GET", "/zorgen-over-iemand", EVERYONE),
    ("form with a village", "GET", "/zorgen-over-iemand?dorp=doorn", EVERYONE),
    ("sent", "GET", "/zorgen-over-iemand/verstuurd", EVERYONE),
    ("my signals", "GET", "/zorgen-over-iemand/mijn-meldingen", LOGGED_IN),
    ("queue", "GET", "/werkplek/zorgen/", QUEUE_READERS),
    ("signal in A", "GET", "/werkplek/zorgen/{signal}", BROKER_A),
    ("status of A", "POST", "/werkplek/zorgen/{signal}/status", BROKER_A),
    ("note on A", "POST", "/werkplek/zorgen/{signal}/notitie", BROKER_A),
]


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """One app for the whole table: a signal in Doorn, reported anonymously with every personal field filled."""
    with module_app(tmp_path_factory, "signal_permissions") as app:
        with app.app_context():
            world = make_world()
            signal = make_signal(world.area_a)
            make_signal(world.area_b, subject_name="Iemand in Leersum")
            tokens, login_url = role_logins(app, world.users)
            ids = {"signal": signal.id}
            db.session.remove()
        yield app, ids, tokens, login_url


def _data(name):
    if name.startswith("status"):
        return {"status": "in_progress", "note": ""}
    if name.startswith("note"):
        return {"note": "Gebeld."}
    return {}


@each_role_and_url(ROLES, CASES)
def test_who_may_use_each_url_and_only_the_areas_broker_sees_personal_data(site, name, method, path, allowed, role):
    app, ids, tokens, login_url = site
    response = use_url(
        app, tokens[role], method, path.format(**ids), _data(name), lambda client: csrf_token(client, FORM)
    )
    assert_allowed_or_refused(response, role, allowed, login_url, done=(200, 303))
    page = response.get_data(as_text=True)
    shown = [text for text in (*PRIVATE, "Iemand in Leersum") if text in page]
    if role == "broker_a" and name == "signal in A":
        assert DESCRIPTION in page and SUBJECT in page
    else:
        assert shown == [], (role, name, shown)


def test_the_table_covers_every_signal_url(site):
    assert uncovered_routes(site[0], {"signals", "signal_team"}, CASES) == set()


def test_the_queue_of_another_areas_broker_and_the_admins_do_not_link_to_the_signal(site):
    app, ids, tokens, _login_url = site
    for role in ("broker_b", "admin"):
        client = client_as(app, tokens[role])
        page = client.get("/werkplek/zorgen/").get_data(as_text=True)
        assert f'href="/werkplek/zorgen/{ids["signal"]}"' not in page, role
