"""Admin pages: per-role access (pages and POSTs), invite, edit, deactivate, outbox retry."""

import re

import pytest
from sqlalchemy import select

from sociale_kaart.accounts.models import User
from sociale_kaart.extensions import db
from sociale_kaart.notify import services as notify
from sociale_kaart.notify.models import OutboxMessage
from tests.accounts.forms_helper import post_form
from tests.builders import login, make_organization, make_user

ROLES = [("resident",), ("volunteer",), ("editor",), ("broker",)]


@pytest.fixture
def target(app):
    user = make_user(roles=("resident",), email="doel@example.org")
    message = notify.queue_message("doel@example.org", "password_changed", name="Doel", reset_url="http://x/")
    message.status = "failed"
    db.session.commit()
    return user, message


def pages(user, message):
    return ["/beheer/gebruikers", "/beheer/gebruikers/uitnodigen", f"/beheer/gebruikers/{user.id}", "/beheer/e-mail"]


def posts(user, message):
    return [
        ("/beheer/gebruikers/uitnodigen", {"email": "nieuw@example.org", "name": "N", "roles": "admin"}),
        (f"/beheer/gebruikers/{user.id}", {"roles": "admin"}),
        (f"/beheer/gebruikers/{user.id}/status", {"active": "0"}),
        (f"/beheer/e-mail/{message.id}/opnieuw", {}),
    ]


def test_anonymous_people_are_sent_to_the_login_page(client, target):
    for url in pages(*target):
        response = client.get(url)
        assert response.status_code == 302 and "/inloggen" in response.location, url
    for url, data in posts(*target):
        response = post_form(client, url, data, page="/inloggen")
        assert response.status_code == 302 and "/inloggen" in response.location, url


@pytest.mark.parametrize("roles", ROLES)
def test_other_roles_get_403_on_pages_and_posts(client, target, roles):
    login(client, make_user(roles=roles))
    for url in pages(*target):
        assert client.get(url).status_code == 403, url
    for url, data in posts(*target):
        assert post_form(client, url, data, page="/account").status_code == 403, url
    user, message = target
    db.session.refresh(user)
    db.session.refresh(message)
    assert user.roles == {"resident"} and user.active and message.status == "failed"
    assert db.session.scalars(select(User).where(User.email == "nieuw@example.org")).first() is None


def test_admin_sees_every_page(client, target):
    login(client, make_user(roles=("admin",)))
    for url in pages(*target):
        assert client.get(url).status_code == 200, url


def test_user_list_search(client):
    login(client, make_user(roles=("admin",)))
    make_user(name="Bert Makelaar", roles=("broker",))
    make_user(name="Carla Vrijwilliger", roles=("volunteer",))
    html = client.get("/beheer/gebruikers?role=broker").get_data(as_text=True)
    assert "Bert Makelaar" in html and "Carla" not in html
    html = client.get("/beheer/gebruikers?q=carla").get_data(as_text=True)
    assert "Carla Vrijwilliger" in html and "Bert" not in html


@pytest.mark.parametrize(
    "query",
    [
        {"pagina": "²"},
        {"pagina": "9223372036854775808"},
        {"q": "carla\x00"},
        {"role": "\x00"},
        {"status": "actief\x1b"},
    ],
)
def test_odd_search_values_list_everyone(client, query):
    """'²' as a page number and NUL in the search (on PostgreSQL) gave a 500 (issue #12)."""
    login(client, make_user(roles=("admin",)))
    make_user(name="Carla Vrijwilliger", roles=("volunteer",))
    response = client.get("/beheer/gebruikers", query_string=query)
    assert response.status_code == 200 and "Carla Vrijwilliger" in response.get_data(as_text=True)


@pytest.mark.parametrize("organization", ["²", "٣", "2147483648", "1\x00"])
def test_an_odd_organisation_id_is_a_form_error(client, organization):
    login(client, make_user(roles=("admin",)))
    make_organization()
    db.session.commit()
    response = post_form(
        client,
        "/beheer/gebruikers/uitnodigen",
        {
            "email": "nieuw@example.org",
            "name": "Nieuw",
            "language": "nl",
            "roles": "editor",
            "organizations": organization,
        },
    )
    assert response.status_code == 400
    assert db.session.scalars(select(User).where(User.email == "nieuw@example.org")).first() is None


def test_admin_invites_a_user(client):
    login(client, make_user(roles=("admin",)))
    organization = make_organization()
    db.session.commit()
    response = post_form(
        client,
        "/beheer/gebruikers/uitnodigen",
        {
            "email": "Nieuw@Example.org",
            "name": "Nieuwe Redacteur",
            "language": "nl",
            "roles": "editor",
            "organizations": str(organization.id),
        },
    )
    assert response.status_code == 302
    user = db.session.scalars(select(User).where(User.email == "nieuw@example.org")).one()
    assert user.roles == {"editor"} and user.organization_ids == {organization.id}
    message = db.session.scalars(select(OutboxMessage)).one()
    assert message.template == "invitation" and "/welkom/" in message.body_text


def test_failed_invite_keeps_the_input(client):
    admin = make_user(roles=("admin",))
    login(client, admin)
    response = post_form(
        client,
        "/beheer/gebruikers/uitnodigen",
        {"email": admin.email, "name": "Dubbel", "language": "nl", "roles": "broker"},
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "Er is al een account met dit e-mailadres." in html and 'value="Dubbel"' in html
    assert re.search(r'<input checked[^>]*value="broker"', html)
    assert not re.search(r'<input checked[^>]*value="admin"', html)


def test_admin_edits_roles_and_deactivates(client):
    login(client, make_user(roles=("admin",)))
    user = make_user(roles=("resident",))
    old_token = user.session_token
    assert post_form(client, f"/beheer/gebruikers/{user.id}", {"roles": ["volunteer", "broker"]}).status_code == 302
    db.session.refresh(user)
    assert user.roles == {"volunteer", "broker"}
    response = post_form(
        client, f"/beheer/gebruikers/{user.id}/status", {"active": "0"}, page=f"/beheer/gebruikers/{user.id}"
    )
    assert response.status_code == 302
    db.session.refresh(user)
    assert not user.active and user.session_token != old_token


def test_admin_retries_a_failed_message(client, target):
    login(client, make_user(roles=("admin",)))
    _, message = target
    html = client.get("/beheer/e-mail").get_data(as_text=True)
    assert "doel@example.org" in html and "Opnieuw versturen" in html
    response = post_form(client, f"/beheer/e-mail/{message.id}/opnieuw", {}, page="/beheer/e-mail")
    assert response.status_code == 302
    db.session.refresh(message)
    assert message.status == "queued" and message.attempts == 0


@pytest.mark.parametrize(
    "url",
    [
        "/beheer/gebruikers/uitnodigen",
        "/beheer/gebruikers/1",
        "/beheer/gebruikers/1/status",
        "/beheer/e-mail/1/opnieuw",
    ],
)
def test_admin_posts_without_csrf_token_are_refused(client, url):
    login(client, make_user(roles=("admin",)))
    assert client.post(url, data={"roles": "admin", "active": "0"}).status_code == 400


# --- areas and their dorpsteam contact (issue #11) ----------------------------------------------


@pytest.fixture
def doorn(app):
    from tests.matching.factories import load_areas

    return load_areas()["doorn"]


AREA_CONTACT = {
    "contact_name": "Dorpsteam Doorn",
    "contact_phone": "0343 123 456",
    "contact_email": "dorpsteam@doorn.example.org",
    "contact_address": "Kampweg 12, Doorn",
    "contact_hours": "dinsdag 9.00–11.00 in het dorpshuis",
}


def test_area_pages_send_anonymous_people_to_the_login_page(client, doorn):
    for url in ("/beheer/gebieden", f"/beheer/gebieden/{doorn.id}"):
        response = client.get(url)
        assert response.status_code == 302 and "/inloggen" in response.location, url
    response = post_form(client, f"/beheer/gebieden/{doorn.id}", AREA_CONTACT, page="/inloggen")
    assert response.status_code == 302 and "/inloggen" in response.location


@pytest.mark.parametrize("roles", ROLES)
def test_area_pages_are_for_admins_only(client, doorn, roles):
    login(client, make_user(roles=roles))
    assert client.get("/beheer/gebieden").status_code == 403
    assert client.get(f"/beheer/gebieden/{doorn.id}").status_code == 403
    assert post_form(client, f"/beheer/gebieden/{doorn.id}", AREA_CONTACT, page="/account").status_code == 403
    db.session.refresh(doorn)
    assert doorn.contact_name == "Dorpsteam Doorn (demo)"


def test_admin_start_page_links_to_the_areas(client, doorn):
    login(client, make_user(roles=("admin",)))
    html = client.get("/beheer/", follow_redirects=True).get_data(as_text=True)
    assert 'href="/beheer/gebieden"' in html


def test_admin_lists_the_areas_with_their_contact(client, doorn):
    login(client, make_user(roles=("admin",)))
    html = client.get("/beheer/gebieden").get_data(as_text=True)
    assert "Dorpsteam Doorn (demo)" in html and "0343 000 192" in html and "Overberg" in html
    assert f'href="/beheer/gebieden/{doorn.id}"' in html


def test_admin_edits_an_areas_contact(client, doorn):
    login(client, make_user(roles=("admin",)))
    html = client.get(f"/beheer/gebieden/{doorn.id}").get_data(as_text=True)
    assert 'value="Dorpsteam Doorn (demo)"' in html and 'value="0343 000 192"' in html
    response = post_form(client, f"/beheer/gebieden/{doorn.id}", {**AREA_CONTACT, "contact_address": ""})
    assert response.status_code == 303 and response.location.endswith("/beheer/gebieden")
    db.session.refresh(doorn)
    assert (doorn.contact_name, doorn.contact_phone, doorn.contact_email, doorn.contact_hours) == (
        "Dorpsteam Doorn",
        "0343 123 456",
        "dorpsteam@doorn.example.org",
        "dinsdag 9.00–11.00 in het dorpshuis",
    )
    assert doorn.contact_address is None
    assert "Het contact van Doorn is opgeslagen." in client.get("/beheer/gebieden").get_data(as_text=True)


def test_bad_phone_and_email_get_a_dutch_message_per_field(client, doorn):
    login(client, make_user(roles=("admin",)))
    response = post_form(
        client,
        f"/beheer/gebieden/{doorn.id}",
        {**AREA_CONTACT, "contact_phone": "12345", "contact_email": "dorpsteam-at-doorn", "contact_hours": "x" * 201},
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert 'id="contact_phone-error"' in html and "Typ een telefoonnummer van 10 cijfers" in html
    assert 'id="contact_email-error"' in html and "Dit e-mailadres klopt niet." in html
    assert 'id="contact_hours-error"' in html and "hoogstens 200 tekens" in html
    assert 'value="12345"' in html  # what was typed stays
    db.session.refresh(doorn)
    assert doorn.contact_phone == "0343 000 192"


@pytest.mark.parametrize(
    "url",
    [
        "/beheer/gebieden/999999",
        "/beheer/gebieden/99999999999999999999",
        "/beheer/gebieden/0",
        "/beheer/gebieden/abc",
        "/beheer/gebieden/-1",
    ],
)
def test_an_unknown_area_is_not_found(client, doorn, url):
    login(client, make_user(roles=("admin",)))
    assert client.get(url).status_code == 404


def test_area_post_without_csrf_token_is_refused(client, doorn):
    login(client, make_user(roles=("admin",)))
    assert client.post(f"/beheer/gebieden/{doorn.id}", data=AREA_CONTACT).status_code == 400
    db.session.refresh(doorn)
    assert doorn.contact_phone == "0343 000 192"
