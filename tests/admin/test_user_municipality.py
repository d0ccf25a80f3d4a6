"""Issue #20: in a region the admin sets the municipality a staff account works for (or the whole region)."""

import re

import pytest
from sqlalchemy import select

from sociale_kaart.accounts import services as accounts
from sociale_kaart.accounts.models import User
from sociale_kaart.errors import ValidationError
from sociale_kaart.extensions import db
from tests.accounts.forms_helper import post_form
from tests.builders import login, make_user
from tests.matching.factories import load_region


def test_one_municipality_shows_no_choice_of_municipality(client):
    login(client, make_user(roles=("admin",)))
    user = make_user(roles=("broker",))
    html = client.get(f"/beheer/gebruikers/{user.id}").get_data(as_text=True)
    assert 'name="municipality"' not in html
    assert post_form(client, f"/beheer/gebruikers/{user.id}", {"roles": ["broker"]}).status_code == 302
    db.session.refresh(user)
    assert user.municipality_code is None


def test_in_a_region_the_admin_sets_and_clears_a_staff_members_municipality(client):
    load_region()  # the demo's areas: Utrechtse Heuvelrug and Rhenen (0340), a region
    login(client, make_user(roles=("admin",)))
    user = make_user(roles=("policy",))
    url = f"/beheer/gebruikers/{user.id}"
    html = client.get(url).get_data(as_text=True)
    assert 'name="municipality"' in html and "Hele regio" in html and "Rhenen" in html
    assert "Kies Hele regio voor iemand die alles ziet." in html
    assert post_form(client, url, {"roles": ["policy"], "municipality": "0340"}).status_code == 302
    db.session.refresh(user)
    assert user.municipality_code == "0340"
    assert re.search(r'<option selected value="0340">', client.get(url).get_data(as_text=True))
    assert post_form(client, url, {"roles": ["policy"], "municipality": ""}).status_code == 302
    db.session.refresh(user)
    assert user.municipality_code is None


def test_in_a_region_an_unknown_municipality_is_refused(client):
    load_region()  # the demo's areas: Utrechtse Heuvelrug and Rhenen (0340), a region
    login(client, make_user(roles=("admin",)))
    user = make_user(roles=("broker",))
    response = post_form(client, f"/beheer/gebruikers/{user.id}", {"roles": ["broker"], "municipality": "0363"})
    assert response.status_code == 400
    db.session.refresh(user)
    assert user.municipality_code is None


def test_an_invitation_sets_the_municipality(client):
    load_region()  # the demo's areas: Utrechtse Heuvelrug and Rhenen (0340), a region
    login(client, make_user(roles=("admin",)))
    data = {"email": "makelaar@example.org", "name": "Mara", "roles": ["broker"], "municipality": "0340"}
    assert post_form(client, "/beheer/gebruikers/uitnodigen", data).status_code == 302
    invited = db.session.scalar(select(User).where(User.email == "makelaar@example.org"))
    assert invited.municipality_code == "0340"


def test_the_service_keeps_sets_and_checks_the_municipality(app):
    load_region()  # the demo's areas: Utrechtse Heuvelrug and Rhenen (0340), a region
    admin = make_user(roles=("admin",))
    user = make_user(roles=("broker",), municipality_code="0340")
    accounts.update_user_access(user.id, ["broker"], [], [], by=admin)  # None: unchanged
    assert user.municipality_code == "0340"
    accounts.update_user_access(user.id, ["broker"], [], [], by=admin, municipality_code="1581")
    assert user.municipality_code == "1581"
    with pytest.raises(ValidationError):
        accounts.update_user_access(user.id, ["broker"], [], [], by=admin, municipality_code="9999")


def test_an_admin_of_one_municipality_makes_nobody_regional_or_anothers(app):
    load_region()  # the demo's areas: Utrechtse Heuvelrug and Rhenen (0340), a region
    admin = make_user(roles=("admin",), municipality_code="1581")
    user = make_user(roles=("broker",))
    for code in ("", "0340"):
        with pytest.raises(ValidationError):
            accounts.update_user_access(user.id, ["broker"], [], [], by=admin, municipality_code=code)
        db.session.rollback()
    with pytest.raises(ValidationError):
        accounts.update_user_access(admin.id, ["admin"], [], [], by=admin, municipality_code="")
    db.session.rollback()
    accounts.update_user_access(user.id, ["broker"], [], [], by=admin, municipality_code="1581")
    assert user.municipality_code == "1581"
    invited = accounts.invite_user("nieuw@example.org", "Nieuw", ["policy"], [], [], by=admin)
    assert invited.municipality_code == "1581"


def test_an_admin_of_one_municipality_is_offered_only_it(client):
    load_region()  # the demo's areas: Utrechtse Heuvelrug and Rhenen (0340), a region
    login(client, make_user(roles=("admin",), municipality_code="1581"))
    user = make_user(roles=("broker",))
    html = client.get(f"/beheer/gebruikers/{user.id}").get_data(as_text=True)
    select = re.search(r'<select[^>]*name="municipality".*?</select>', html, re.S).group(0)
    assert select.count("<option") == 1 and 'value="1581"' in select
    assert "Kies Hele regio" not in html
