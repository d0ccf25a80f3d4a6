"""Where each role lands after logging in, and the menu items of each role (issue #14)."""

import pytest

from tests.accounts.forms_helper import post_form
from tests.builders import TEST_PASSWORD, make_user


@pytest.mark.parametrize(
    "roles, landing",
    [
        (("resident",), "/mijn-hulpvragen"),
        (("volunteer",), "/vrijwilliger/mijn-taken"),
        (("editor",), "/werkplek/"),
        (("broker",), "/werkplek/hulp/"),
        (("policy",), "/werkplek/analyse"),
        (("admin",), "/beheer/gebruikers"),
        (("volunteer", "broker"), "/werkplek/hulp/"),  # the most responsible role first
        (("resident", "editor"), "/werkplek/"),
        ((), "/account"),
    ],
)
def test_each_role_lands_on_its_own_start_page(client, roles, landing):
    user = make_user(roles=roles)
    response = post_form(client, "/inloggen", {"email": user.email, "password": TEST_PASSWORD})
    assert response.status_code == 302 and response.location == landing


def test_a_safe_next_still_wins_over_the_landing(client):
    user = make_user(roles=("volunteer",))
    response = post_form(client, "/inloggen?next=/zoeken?q=eten", {"email": user.email, "password": TEST_PASSWORD})
    assert response.location == "/zoeken?q=eten"


@pytest.mark.parametrize(
    "roles, shown, hidden",
    [
        (("resident",), ["Mijn hulpvragen"], ["Mijn werkplek", "Vrijwilligerswerk", "Beheer"]),
        (("volunteer",), ["Vrijwilligerswerk"], ["Mijn werkplek", "Mijn hulpvragen", "Beheer"]),
        (("editor",), ["Mijn werkplek"], ["Vrijwilligerswerk", "Mijn hulpvragen", "Beheer"]),
        (("broker",), ["Mijn werkplek", "Hulpvragen"], ["Vrijwilligerswerk", "Beheer"]),
        (("admin",), ["Mijn werkplek", "Beheer"], ["Vrijwilligerswerk", "Mijn hulpvragen"]),
    ],
)
def test_the_menu_shows_the_pages_of_the_roles_a_user_has(client, roles, shown, hidden):
    user = make_user(roles=roles)
    post_form(client, "/inloggen", {"email": user.email, "password": TEST_PASSWORD})
    html = client.get("/over").get_data(as_text=True)
    menu = html[html.index('id="menu"') : html.index("</nav>")]
    for label in shown:
        assert f">{label}</a>" in menu
    for label in hidden:
        assert f">{label}</a>" not in menu


def test_the_phone_menu_opens_without_javascript(client):
    html = client.get("/").get_data(as_text=True)
    assert '<a class="menu-button" href="#menu"' in html and '<nav class="site-nav" id="menu"' in html
    assert '<a class="menu-close" href="#">' in html
