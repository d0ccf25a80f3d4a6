"""The admin's pages for the region's municipalities (issue #20): who may use them, list, add, edit."""

import pytest

from sociale_kaart.directory import municipalities
from sociale_kaart.directory.models import BRAND_COLOURS, Area, Municipality
from sociale_kaart.extensions import db
from tests.accounts.forms_helper import post_form
from tests.builders import login, make_user
from tests.conftest import module_app
from tests.url_tables import assert_allowed_or_refused, each_role_and_url, role_logins, uncovered_routes, use_url

ROLES = ("anonymous", "resident", "volunteer", "editor", "broker", "policy", "admin")
ADMIN = {"admin"}
SETTINGS = {
    "name": "Heuvelrug",
    "brand": "groen",
    "cross_border_matching": "y",
    "contact_name": "Wmo-loket Heuvelrug",
    "contact_phone": "0343 123 456",
    "contact_email": "loket@heuvelrug.example.org",
    "contact_address": "",
    "contact_hours": "maandag tot en met vrijdag 9.00–12.30",
}
# (name, method, path, allowed roles)
CASES = [
    ("list", "GET", "/beheer/gemeenten", ADMIN),
    ("add form", "GET", "/beheer/gemeenten/toevoegen", ADMIN),
    ("add", "POST", "/beheer/gemeenten/toevoegen", ADMIN),
    ("settings", "GET", "/beheer/gemeenten/1581", ADMIN),
    ("save settings", "POST", "/beheer/gemeenten/1581", ADMIN),
    ("areas", "GET", "/beheer/gemeenten/1581/gebieden", ADMIN),
    ("add area", "POST", "/beheer/gemeenten/1581/gebieden", ADMIN),
    ("area", "GET", "/beheer/gemeenten/1581/gebieden/1", ADMIN),
    ("save area", "POST", "/beheer/gemeenten/1581/gebieden/1", ADMIN),
]
AREAS = {
    "add area": {"name": "Leersum", "kind": "dorp", "postcodes": "3956"},  # the second time: refused, a message
    "save area": {"name": "Doorn", "kind": "dorp", "postcodes": "3941"},
}


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """One app for the table: each role's login; refusals change nothing."""
    with module_app(tmp_path_factory, "municipalities") as app:
        with app.app_context():
            users = {role: (make_user(roles=(role,)) if role != "anonymous" else None) for role in ROLES}
            municipalities.ensure_default()
            db.session.add(Area(code="doorn", name="Doorn", kind="dorp", municipality_code="1581", postcodes=["3941"]))
            db.session.commit()
            tokens, login_url = role_logins(app, users)
            db.session.remove()
        yield app, tokens, login_url


def _data(name):
    if name == "add":
        return {"code": "0340"}  # added once by the admin; the second time it is refused with a message
    return SETTINGS if name == "save settings" else AREAS.get(name, {})


@each_role_and_url(ROLES, CASES)
def test_who_may_use_each_municipality_url(site, name, method, path, allowed, role):
    app, tokens, login_url = site
    response = use_url(app, tokens[role], method, path, _data(name))
    # the admin's second "add" of the same code is refused with a message (400), not an error
    assert_allowed_or_refused(response, role, allowed, login_url, done=(200, 303, 400))


def test_the_table_covers_every_municipality_url(site):
    app = site[0]
    routes = {rule.rule for rule in app.url_map.iter_rules() if rule.rule.startswith("/beheer/gemeenten")}
    assert routes and uncovered_routes(app, {"admin"}, CASES) & routes == set()


def test_admin_start_page_links_to_the_municipalities(client):
    login(client, make_user(roles=("admin",)))
    html = client.get("/beheer/", follow_redirects=True).get_data(as_text=True)
    assert 'href="/beheer/gemeenten"' in html


def test_admin_lists_the_municipalities_with_address_and_number_of_areas(seeded_app, client):
    login(client, make_user(roles=("admin",)))
    html = client.get("/beheer/gemeenten").get_data(as_text=True)
    assert "Utrechtse Heuvelrug" in html and "/utrechtse-heuvelrug/" in html and "1581" in html
    assert "Rhenen" in html and "/rhenen/" in html and "0340" in html
    cells = html.split("<td")
    assert any(">7</td>" in cell for cell in cells) and any(">2</td>" in cell for cell in cells)
    assert 'href="/beheer/gemeenten/0340"' in html and 'href="/beheer/gemeenten/toevoegen"' in html
    assert "alle gemeenten tegelijk" not in html and "ook aanbod over de grens" in html


def test_admin_adds_a_municipality_and_sees_the_kernen_made(client):
    login(client, make_user(roles=("admin",)))
    page = client.get("/beheer/gemeenten/toevoegen").get_data(as_text=True)
    assert 'name="csrf_token"' in page and 'for="code"' in page
    response = post_form(client, "/beheer/gemeenten/toevoegen", {"code": "0340"})
    assert response.status_code == 303 and response.headers["Location"].endswith("/beheer/gemeenten/0340")
    html = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Rhenen is toegevoegd. Deze kernen zijn gemaakt: Elst (3921, 3922), Rhenen (3911, 3912)." in html
    assert 'value="Rhenen"' in html  # the settings page of the municipality just made
    assert {area.name for area in db.session.scalars(db.select(Area).where(Area.municipality_code == "0340"))} == {
        "Elst",
        "Rhenen",
    }


def test_a_reload_after_adding_posts_nothing_and_no_kernen_made_is_said(client):
    """The settings page comes after a redirect; postcodes already in an area make no kern."""
    taken = ["3911", "3912", "3921", "3922"]
    db.session.add(Area(code="grens", name="Grensgebied", kind="dorp", municipality_code="1581", postcodes=taken))
    db.session.commit()
    login(client, make_user(roles=("admin",)))
    response = post_form(client, "/beheer/gemeenten/toevoegen", {"code": "0340"}, follow_redirects=True)
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and response.request.method == "GET"
    assert "Rhenen is toegevoegd. Er zijn geen kernen gemaakt" in html
    assert db.session.scalar(db.select(Area.id).where(Area.municipality_code == "0340")) is None


@pytest.mark.parametrize(
    "code, message",
    [
        ("", "Typ de CBS-code van de gemeente"),
        ("abc", "Typ de CBS-code van de gemeente"),
        ("9999", "Er is geen gemeente met code 9999"),
        ("1581", "Gemeente 1581 hoort al bij deze installatie."),
    ],
)
def test_a_wrong_code_is_announced_at_its_field(client, code, message):
    login(client, make_user(roles=("admin",)))
    response = post_form(client, "/beheer/gemeenten/toevoegen", {"code": code})
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert 'role="alert"' in html and 'href="#code"' in html and message in html
    assert 'aria-invalid="true"' in html


def test_the_settings_page_shows_every_colour_as_a_labelled_swatch(client):
    login(client, make_user(roles=("admin",)))
    html = client.get("/beheer/gemeenten/1581").get_data(as_text=True)
    assert 'name="csrf_token"' in html and 'value="Utrechtse Heuvelrug"' in html
    for brand, colour in BRAND_COLOURS.items():
        assert f'type="radio" value="{brand}"' in html or f'value="{brand}"' in html
        assert f'fill="{colour}"' in html
        assert str(municipalities.BRAND_LABELS[brand]) in html
    assert 'name="cross_border_matching"' in html and "<legend>Kleur</legend>" in html


def test_admin_saves_a_municipalitys_settings(client):
    login(client, make_user(roles=("admin",)))
    response = post_form(client, "/beheer/gemeenten/1581", SETTINGS)
    assert response.status_code == 303 and response.location.endswith("/beheer/gemeenten")
    row = db.session.scalar(db.select(Municipality).where(Municipality.code == "1581"))
    db.session.refresh(row)
    assert (row.name, row.brand, row.cross_border_matching, row.contact_phone, row.contact_address) == (
        "Heuvelrug",
        "groen",
        True,
        "0343 123 456",
        None,
    )
    assert "De instellingen van Heuvelrug zijn opgeslagen." in client.get("/beheer/gemeenten").get_data(as_text=True)


@pytest.mark.parametrize(
    "change, field",
    [
        ({"name": ""}, "name"),
        ({"brand": "#ff0000"}, "brand"),
        ({"contact_phone": "12"}, "contact_phone"),
    ],
)
def test_wrong_settings_are_announced_and_nothing_is_saved(client, change, field):
    login(client, make_user(roles=("admin",)))
    response = post_form(client, "/beheer/gemeenten/1581", {**SETTINGS, **change})
    html = response.get_data(as_text=True)
    assert response.status_code == 400 and 'role="alert"' in html and f'href="#{field}"' in html
    assert municipalities.by_code("1581").brand == "blauw"


@pytest.mark.parametrize("code", ["0340", "abcd", "15810", "%00"])
def test_an_unknown_or_odd_code_in_the_url_is_a_404(client, code):
    login(client, make_user(roles=("admin",)))
    assert client.get(f"/beheer/gemeenten/{code}").status_code == 404
