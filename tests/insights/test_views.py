"""The area analysis pages (issue #15): who may open them, the form, the CSV files and the print view."""

import csv
import io
from datetime import timedelta

import pytest

from sociale_kaart.extensions import db
from tests.builders import make_user
from tests.conftest import make_app
from tests.insights.builders import asked, months_ago
from tests.workspace.helpers import login_as, logout, make_world

ROLES = ("anonymous", "resident", "volunteer", "editor_a", "broker_a", "broker_b", "admin", "policy")
READERS = {"broker_a", "broker_b", "admin", "policy"}
READERS_OF_A = {"broker_a", "admin", "policy"}

# (name, path, roles that get the figures)
CASES = [
    ("analysis", "/werkplek/analyse", READERS),
    ("analysis by quarter", "/werkplek/analyse?per=kwartaal", READERS),
    ("print view", "/werkplek/analyse/afdrukken", READERS),
    ("CSV of the heat table", "/werkplek/analyse/tekort.csv", READERS),
    ("CSV of the headline figures", "/werkplek/analyse/kerncijfers.csv", READERS),
    ("area A", "/werkplek/analyse?gebied=doorn", READERS_OF_A),
    ("CSV of area A", "/werkplek/analyse/hulpvragen.csv?gebied=doorn", READERS_OF_A),
]


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """One app for the whole table: reading changes nothing."""
    app = make_app(tmp_path_factory.mktemp("insights_views"), name="insights_views")
    with app.app_context():
        db.create_all()
        world = make_world()
        yield app, world
        db.session.remove()
        db.engine.dispose()


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("name, path, allowed", CASES, ids=[case[0] for case in CASES])
def test_who_may_open_each_page(site, role, name, path, allowed):
    app, world = site
    client = app.test_client()
    user = world.users[role]
    if user is None:
        logout(client)
    else:
        login_as(client, user)
    response = client.get(path)
    if role in allowed:
        assert response.status_code == 200
        if ".csv" not in path:
            assert "Gebiedsanalyse" in response.get_data(as_text=True)
    elif role == "anonymous":
        assert response.status_code == 302 and "/inloggen" in response.headers["Location"]
    elif role == "broker_b":
        # another broker's area is not among the choices: the page says so and shows their own; a file refuses
        page = response.get_data(as_text=True)
        if ".csv" in path:
            assert response.status_code == 400
        else:
            assert response.status_code == 200 and "Kies alleen uit de lijst." in page
            assert '<th scope="col">Doorn</th>' not in page and '<th scope="col">Leersum</th>' in page
    else:
        assert response.status_code == 403


@pytest.fixture
def policy_client(app, client):
    world = make_world()
    login_as(client, world.users["policy"])
    return client, world


def test_the_page_shows_every_part_and_links_each_table_to_its_file(policy_client):
    client, _world = policy_client
    page = client.get("/werkplek/analyse").get_data(as_text=True)
    for heading in ("Kerncijfers", "Waar ontbreekt hulp?", "Verloop", "Vraag", "Aanbod", "Uitkomsten", "Inwoners"):
        assert f">{heading}</h2>" in page
    for table in (
        "kerncijfers",
        "tekort",
        "verloop",
        "hulpvragen",
        "zoeken",
        "signalen",
        "vrijwilligers",
        "aanbod",
        "aanbod-categorie",
        "uitkomsten",
    ):
        assert f"/werkplek/analyse/{table}.csv" in page
    assert page.count('<svg class="chart"') == 4
    assert "Er zijn nog geen inwonersaantallen geladen" in page


def test_the_chosen_period_and_area_reach_the_file_and_print_links(policy_client):
    client, _world = policy_client
    first, last = months_ago(5), months_ago(2)
    query = f"gebied=leersum&van={first:%Y-%m}&tot={last:%Y-%m}&per=kwartaal"
    page = client.get(f"/werkplek/analyse?{query}").get_data(as_text=True)
    assert (
        f"/werkplek/analyse/afdrukken?gebied=leersum&amp;van={first:%Y-%m}&amp;tot={last:%Y-%m}&amp;per=kwartaal"
        in page
    )
    assert "Verloop per kwartaal" in page and '<th scope="col">Doorn</th>' not in page


@pytest.mark.parametrize("per", ["maand", "kwartaal"])
def test_a_single_month_is_a_period_too(policy_client, per):
    client, _world = policy_client
    month = months_ago(2)
    asked(month + timedelta(days=3))
    response = client.get(f"/werkplek/analyse?van={month:%Y-%m}&tot={month:%Y-%m}&per={per}")
    assert response.status_code == 200  # one month or quarter: the trend has no total column
    page = response.get_data(as_text=True)
    assert 'class="error-summary"' not in page and ">Verloop</h2>" in page


@pytest.mark.parametrize(
    "query",
    [
        "van=2026-05&tot=2026-01",
        "van=1999-01",
        "per=week",
        "gebied=nergens",
        "van=%00",
        "tot=2026-13",
        "gebied=" + "x" * 5000,
    ],
)
def test_a_choice_that_is_not_in_the_lists_gives_the_form_an_error_never_a_500(policy_client, query):
    client, _world = policy_client
    response = client.get(f"/werkplek/analyse?{query}")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert 'class="error-summary"' in page and "Daarom ziet u hieronder de laatste 12 maanden." in page
    assert client.get(f"/werkplek/analyse/tekort.csv?{query}").status_code == 400


def test_an_unknown_table_is_not_found(policy_client):
    client, _world = policy_client
    assert client.get("/werkplek/analyse/bestaat-niet.csv").status_code == 404


def _csv(response):
    text = response.get_data(as_text=True)
    assert text.startswith("\ufeff")
    return list(csv.reader(io.StringIO(text[1:])))


def test_a_csv_file_holds_the_table_with_the_same_hidden_numbers(policy_client):
    client, world = policy_client
    for number in range(3):
        asked(months_ago(2) + timedelta(days=number), area=world.area_a)
    response = client.get("/werkplek/analyse/hulpvragen.csv")
    assert response.mimetype == "text/csv"
    assert response.headers["Content-Disposition"].startswith('attachment; filename="gebiedsanalyse-hulpvragen-')
    rows = _csv(response)
    assert rows[0][:3] == ["Taak", "Ontvangen", "Binnen 7 dagen een vrijwilliger"]
    assert rows[1][:2] == ["Boodschappen", "<5"]
    assert "3" not in [cell for row in rows for cell in row]
    heat = _csv(client.get("/werkplek/analyse/tekort.csv"))
    assert heat[0] == ["Taak", "Gebied", "Hulpvragen", "Actieve vrijwilligers", "Tekort"]
    assert ["Boodschappen", "Doorn", "<5", "0", "geen vrijwilligers"] in heat


def test_a_cell_that_a_spreadsheet_would_run_as_a_formula_is_neutralised(policy_client):
    client, world = policy_client
    world.area_b.name = '=HYPERLINK("http://example.org","klik")'
    db.session.commit()
    rows = _csv(client.get("/werkplek/analyse/vrijwilligers.csv"))
    names = [row[0] for row in rows]
    assert '\'=HYPERLINK("http://example.org","klik")' in names
    assert not any(cell[:1] in ("=", "+", "-", "@", "\t", "\r") for row in rows for cell in row)


def test_the_print_view_has_no_form_and_a_print_button(policy_client):
    client, _world = policy_client
    page = client.get("/werkplek/analyse/afdrukken").get_data(as_text=True)
    assert "insights-form" not in page and "js-print" in page and "js/print.js" in page
    assert ".csv" not in page
    assert "heat-table" in page and "Kerncijfers" in page


def test_a_broker_without_areas_is_told_to_ask_an_admin(app, client):
    make_world()
    broker = make_user(roles=("broker",))
    login_as(client, broker)
    page = client.get("/werkplek/analyse").get_data(as_text=True)
    assert "U bent nog niet aan een gebied gekoppeld." in page


def test_the_workspace_links_to_the_analysis_for_those_who_may_read_it(app, client):
    world = make_world()
    for role, shown in (("policy", True), ("broker_a", True), ("admin", True), ("editor_a", False)):
        login_as(client, world.users[role])
        assert ('href="/werkplek/analyse"' in client.get("/werkplek/").get_data(as_text=True)) is shown
