"""Issue #19: the pages of the lists — without JavaScript every change is a form; CSRF and a rate limit on
sending; the short link read-only and gone after 90 days; the broker's list for a caller; odd input no 500."""

import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from sociale_kaart import clock
from sociale_kaart.extensions import db
from sociale_kaart.lists import services
from sociale_kaart.lists.models import ServiceList, SharedList
from sociale_kaart.matching.models import RequestEvent
from sociale_kaart.notify.models import OutboxMessage
from tests.builders import make_user
from tests.conftest import make_app
from tests.lists.helpers import TYPED_ADDRESS, make_village, three_services
from tests.matching.factories import make_broker, make_request
from tests.workspace.helpers import login_as, post


@pytest.fixture
def village(app):
    area = make_village()
    return area, three_services(area)


def _ids(client):
    with client.session_transaction() as session:
        return session.get(services.SESSION_KEY)


def test_a_result_card_without_a_session_links_to_a_page_with_the_button(app, client, village):
    _area, (cafe, _shopping, _money) = village
    results = client.get("/zoeken?q=Mantelzorgcaf%C3%A9")
    assert "Set-Cookie" not in results.headers  # a results page stays the same for every visitor without a cookie
    link = re.search(r'href="(/lijstje/toevoegen\?[^"]+)"', results.get_data(as_text=True)).group(1)
    page = client.get(link.replace("&amp;", "&"))
    assert page.status_code == 200 and "Ja, zet op mijn lijstje" in page.get_data(as_text=True)
    response = post(client, app, "/lijstje/toevoegen", {"service_id": str(cafe.id), "next": "/zoeken?q=x"})
    assert response.status_code == 303 and response.headers["Location"] == f"/zoeken?q=x#lijstje-{cafe.id}"
    assert _ids(client) == [cafe.id]
    again = client.get("/zoeken?q=Mantelzorgcaf%C3%A9").get_data(as_text=True)
    assert "Staat op uw lijstje." in again and "Mijn lijstje (1)" in again


def test_the_service_page_has_the_button_as_a_form(client, village):
    _area, (cafe, _shopping, _money) = village
    page = client.get(f"/aanbod/{cafe.id}").get_data(as_text=True)
    assert 'action="/lijstje/toevoegen"' in page and f'name="service_id" value="{cafe.id}"' in page


def test_the_list_page_shows_everything_in_order_and_changes_without_javascript(app, client, village):
    area, (cafe, shopping, money) = village
    for service in (cafe, shopping, money):
        post(client, app, "/lijstje/toevoegen", {"service_id": str(service.id), "next": "/lijstje"})
    page = client.get("/lijstje").get_data(as_text=True)
    for text in ("Mantelzorgcafé", "0343 000 111", "0343 000 101", "Kampweg 12, 3941 HK Doorn", "woensdag 09:00–17:00"):
        assert text in page
    assert "Loop binnen." in page and "Gratis" in page and area.contact_name in page
    assert f"Gemaakt op {clock.today().day}" in page
    response = post(client, app, "/lijstje/wijzigen", {"service_id": str(money.id), "actie": "omhoog"})
    assert response.status_code == 303 and response.headers["Location"].endswith(f"/lijstje#item-{money.id}")
    assert _ids(client) == [cafe.id, money.id, shopping.id]
    post(client, app, "/lijstje/wijzigen", {"service_id": str(cafe.id), "actie": "weghalen"})
    assert _ids(client) == [money.id, shopping.id]
    post(client, app, "/lijstje/leegmaken")
    assert _ids(client) == []


def test_an_account_keeps_its_list_on_another_device(app, client, village):
    _area, (cafe, _shopping, _money) = village
    resident = make_user(roles=("resident",))
    login_as(client, resident)
    post(client, app, "/lijstje/toevoegen", {"service_id": str(cafe.id), "next": "/"})
    assert _ids(client) is None  # kept in the database, not the session
    other_device = app.test_client()
    login_as(other_device, resident)
    assert "Mantelzorgcafé" in other_device.get("/lijstje").get_data(as_text=True)


def test_sending_needs_a_csrf_token(app, client, village):
    _area, (cafe, _shopping, _money) = village
    post(client, app, "/lijstje/toevoegen", {"service_id": str(cafe.id), "next": "/"})
    response = client.post("/lijstje/mailen", data={"email": TYPED_ADDRESS})
    assert response.status_code == 400
    assert db.session.scalar(select(OutboxMessage.id)) is None


def test_sending_queues_the_mail_and_neither_the_page_nor_the_session_keeps_the_address(app, client, village):
    _area, (cafe, _shopping, _money) = village
    post(client, app, "/lijstje/toevoegen", {"service_id": str(cafe.id), "next": "/"})
    response = post(client, app, "/lijstje/mailen", {"email": TYPED_ADDRESS})
    assert response.status_code == 303
    assert db.session.scalar(select(OutboxMessage.to_address)) == TYPED_ADDRESS
    with client.session_transaction() as session:
        assert TYPED_ADDRESS not in repr(dict(session))
    assert TYPED_ADDRESS not in client.get("/lijstje").get_data(as_text=True)


def test_a_wrong_address_shows_the_form_again(app, client, village):
    _area, (cafe, _shopping, _money) = village
    post(client, app, "/lijstje/toevoegen", {"service_id": str(cafe.id), "next": "/"})
    response = post(client, app, "/lijstje/mailen", {"email": "geen-adres"})
    assert response.status_code == 400 and 'class="error-summary"' in response.get_data(as_text=True)
    assert db.session.scalar(select(OutboxMessage.id)) is None


def test_sending_is_rate_limited_and_keeps_what_was_typed(tmp_path):
    app = make_app(tmp_path, name="list_limit", RATELIMIT_ENABLED=True, FORM_RATE_LIMIT="2 per minute")
    with app.app_context():
        db.create_all()
        _area, (cafe, _shopping, _money) = (area := make_village()), three_services(area)
        client = app.test_client()
        post(client, app, "/lijstje/toevoegen", {"service_id": str(cafe.id), "next": "/"})
        statuses = [post(client, app, "/lijstje/mailen", {"email": TYPED_ADDRESS}).status_code for _ in range(2)]
        limited = post(client, app, "/lijstje/mailen", {"email": TYPED_ADDRESS})
        assert statuses == [303, 303] and limited.status_code == 429
        body = limited.get_data(as_text=True)
        assert "Wacht een paar minuten" in body and f'value="{TYPED_ADDRESS}"' in body
        assert len(db.session.scalars(select(OutboxMessage.id)).all()) == 2
        db.session.remove()
        db.engine.dispose()


def test_the_short_link_is_read_only_and_gone_after_90_days(app, client, village, app_clock):
    _area, (cafe, shopping, _money) = village
    for service in (cafe, shopping):
        post(client, app, "/lijstje/toevoegen", {"service_id": str(service.id), "next": "/"})
    response = post(client, app, "/lijstje/delen")
    token = db.session.scalar(select(SharedList.token))
    assert response.status_code == 303 and response.headers["Location"] == f"/l/{token}"
    fresh_browser = app.test_client()
    page = fresh_browser.get(f"/l/{token}")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "Mantelzorgcafé" in html and "Boodschappenhulp" in html
    assert "/lijstje/wijzigen" not in html and "Weghalen" not in html and 'method="post"' not in html
    assert "noindex" in html
    app_clock.start(clock.utcnow() + timedelta(days=services.SHARE_DAYS, minutes=1))
    expired = fresh_browser.get(f"/l/{token}")
    assert expired.status_code == 404 and "Deze link werkt niet meer" in expired.get_data(as_text=True)


def test_a_broker_picks_for_a_caller_and_the_request_shows_it(app, client, village):
    area, (cafe, shopping, _money) = village
    broker = make_broker(areas=("doorn",))
    request = make_request(area=area)
    login_as(client, broker)
    assert "Voorzieningen kiezen voor de beller" in client.get(f"/werkplek/hulp/vraag/{request.id}").get_data(
        as_text=True
    )
    assert "Voorzieningen kiezen voor de beller" in client.get("/werkplek/hulp/nieuw").get_data(as_text=True)
    page = client.get(f"/lijstje/beller?hulpvraag={request.id}")
    assert page.status_code == 200 and f'value="{request.id}"' in page.get_data(as_text=True)
    started = post(client, app, "/lijstje/beller/beginnen", {"request_id": str(request.id), "houden": "nee"})
    assert started.status_code == 303 and started.headers["Location"] == "/zoeken"
    for service in (cafe, shopping):
        post(client, app, "/lijstje/toevoegen", {"service_id": str(service.id), "next": "/zoeken"})
    assert f"voor de beller van hulpvraag {request.id}" in client.get("/lijstje").get_data(as_text=True)
    assert post(client, app, "/lijstje/mailen", {"email": TYPED_ADDRESS}).status_code == 303
    assert post(client, app, "/lijstje/afgedrukt").status_code == 303
    history = client.get(f"/werkplek/hulp/vraag/{request.id}").get_data(as_text=True)
    assert "Lijstje met voorzieningen gemaild: Mantelzorgcafé; Boodschappenhulp" in history
    assert "Lijstje met voorzieningen afgedrukt" in history
    assert TYPED_ADDRESS not in history
    notes = db.session.scalars(select(RequestEvent.note).where(RequestEvent.action.like("list_%"))).all()
    assert len(notes) == 2 and not [note for note in notes if TYPED_ADDRESS in note]


@pytest.mark.parametrize("role", ["anonymous", "resident", "broker of another village"])
def test_only_a_broker_of_the_area_starts_a_list_for_its_caller(app, client, village, role):
    area, _services = village
    request = make_request(area=area)
    if role == "resident":
        login_as(client, make_user(roles=("resident",)))
    elif role != "anonymous":
        make_village(code="leersum", name="Leersum")
        login_as(client, make_broker(areas=("leersum",)))
    page = client.get(f"/lijstje/beller?hulpvraag={request.id}")
    started = post(client, app, "/lijstje/beller/beginnen", {"request_id": str(request.id), "houden": "nee"})
    if role == "anonymous":
        assert page.status_code == started.status_code == 302 and "/inloggen" in page.headers["Location"]
    else:
        assert page.status_code == started.status_code == 403
    assert db.session.scalar(select(ServiceList.id)) is None


ODD = ["0", "-1", "2147483648", "9223372036854775808", "²", "٣", "abc", "\x00", "", " ", "1" * 50]


@pytest.mark.parametrize("odd", ODD)
def test_odd_ids_never_give_a_500(app, client, village, odd):
    broker = make_broker(areas=("doorn",))
    checks = [
        ("GET", "/lijstje/toevoegen", {"aanbod": odd, "terug": odd}),
        ("POST", "/lijstje/toevoegen", {"service_id": odd, "next": odd}),
        ("POST", "/lijstje/wijzigen", {"service_id": odd, "actie": "omhoog"}),
        ("POST", "/lijstje/wijzigen", {"service_id": "1", "actie": odd}),
        ("GET", "/lijstje/beller", {"hulpvraag": odd}),
        ("POST", "/lijstje/beller/beginnen", {"request_id": odd, "houden": odd}),
    ]
    for user in (None, broker):
        if user is not None:
            login_as(client, user)
        for method, url, data in checks:
            if method == "GET":
                response = client.get(url, query_string=data)
            else:
                response = post(client, app, url, data)
            assert response.status_code < 500, (method, url, data, response.status_code)
    for path in ("/l/", "/wegwijzer/"):
        response = client.get(path + (odd or "x").replace("\x00", "%00"))
        assert response.status_code == 404
