"""The anonymous search log (issue #11): what is stored, when, retention and the brokers' list."""

import logging
from datetime import UTC, datetime, timedelta

import flask_babel
import pytest
from sqlalchemy import select

from sociale_kaart import clock
from sociale_kaart.directory import freshness, search_log, services
from sociale_kaart.directory.models import Area, Service
from sociale_kaart.directory.search_log import SearchLogEntry
from sociale_kaart.errors import PermissionDenied
from sociale_kaart.extensions import db
from tests.builders import make_location, make_service, make_user
from tests.web.helpers import database_refusing_writes

ALLOWED = {
    "id",
    "searched_on",
    "hour",
    "query",
    "result_count",
    "area_code",
    "place_kind",
    "radius_km",
    "filters",
    "language",
    "source",
}


@pytest.fixture
def areas(app):
    doorn = Area(code="doorn", name="Doorn", kind="dorp", municipality_code="1581", postcodes=["3941"])
    leersum = Area(code="leersum", name="Leersum", kind="dorp", municipality_code="1581", postcodes=["3956"])
    db.session.add_all([doorn, leersum])
    db.session.commit()
    return {"doorn": doorn, "leersum": leersum}


@pytest.fixture
def listing(areas):
    return make_service(
        make_location(area=areas["doorn"]), name="Maaltijdservice Doorn", summary="Warme maaltijden aan huis."
    )


def entries():
    db.session.expire_all()
    return db.session.scalars(select(SearchLogEntry).order_by(SearchLogEntry.id)).all()


def values_of(entry):
    return {name: getattr(entry, name) for name in ALLOWED}


def add_entry(day, query="", result_count=0, area_code=None, **overrides):
    entry = SearchLogEntry(
        searched_on=day,
        hour=10,
        query=query,
        result_count=result_count,
        area_code=area_code,
        place_kind="postcode" if area_code else "none",
        filters=0,
        language="nl",
        source="web",
        **overrides,
    )
    db.session.add(entry)
    return entry


# --- what is stored -----------------------------------------------------------------------------------


def test_the_entry_holds_only_the_allowed_fields():
    assert {column.name for column in SearchLogEntry.__table__.columns} == ALLOWED


def test_a_full_postcode_is_stored_as_its_area_not_as_digits_and_letters(client, listing):
    response = client.get("/zoeken", query_string={"q": "Maaltijden  aan huis", "waar": "3941 AB", "straal": "5"})
    assert response.status_code == 200
    [entry] = entries()
    assert values_of(entry) == {
        "id": entry.id,
        "searched_on": clock.today(),
        "hour": clock.local_now().hour,
        "query": "maaltijden aan huis",
        "result_count": 1,
        "area_code": "doorn",
        "place_kind": "postcode",
        "radius_km": 5,
        "filters": 0,
        "language": "nl",
        "source": "web",
    }
    assert "3941" not in repr(values_of(entry))


def test_a_postcode_typed_among_the_words_keeps_only_its_digits():
    assert search_log.normal_query("hulp 3941 AB boodschappen 3956ab") == "hulp 3941 boodschappen 3956"


@pytest.mark.parametrize(
    "typed, stored",
    [
        ("Hulp\x00 bij\x07 Boodschappen", "hulp bij boodschappen"),
        ("  hulp\t\n bij   \r\nboodschappen ", "hulp bij boodschappen"),
        ("Mantel\u200bzorg", "mantelzorg"),
        ("a" * 250, "a" * 200),
        ("woord " * 40, ("woord " * 34)[:200].rstrip()),
        ("", ""),
    ],
)
def test_the_query_is_normalised(typed, stored):
    assert search_log.normal_query(typed) == stored


def test_a_place_outside_our_areas_has_no_area(client, areas):
    client.get("/zoeken", query_string={"q": "hulp", "waar": "Leersum"})
    client.get("/zoeken", query_string={"q": "hulp", "waar": "3511"})
    client.get("/kaart", query_string={"q": "hulp"})
    assert [(e.place_kind, e.area_code, e.radius_km) for e in entries()] == [
        ("place", "leersum", None),
        ("postcode", None, None),
        ("none", None, None),
    ]


def test_filters_and_language_are_counted(client, listing):
    with client.session_transaction() as session:
        session["lang"] = "en"
    flask_babel.refresh()  # the test's app context remembers the language of earlier calls
    client.get("/zoeken", query_string={"q": "maaltijd", "cost": ["gratis"], "mode": ["op_locatie"], "open": "1"})
    [entry] = entries()
    assert (entry.filters, entry.language) == (3, "en")


def test_the_local_date_and_hour_are_stored(client, areas, app_clock):
    app_clock.start(datetime(2027, 1, 15, 23, 30, tzinfo=UTC))  # 00:30 on 16 January in Doorn
    client.get("/zoeken", query_string={"q": "hulp"})
    [entry] = entries()
    assert (entry.searched_on.isoformat(), entry.hour) == ("2027-01-16", 0)


# --- when a search is recorded --------------------------------------------------------------------------


def test_only_the_first_page_of_a_search_is_recorded(client, listing):
    client.get("/zoeken", query_string={"q": "maaltijd", "pagina": "2"})
    assert entries() == []
    client.get("/zoeken", query_string={"q": "maaltijd", "pagina": "1"})
    assert [entry.query for entry in entries()] == ["maaltijd"]


@pytest.mark.parametrize(
    "args",
    [
        {"q": "hulp", "waar": "Nergensdorp"},
        {"q": "a" * 300},
        {},
    ],
)
def test_form_errors_and_a_bare_visit_are_not_recorded(client, areas, args):
    assert client.get("/zoeken", query_string=args).status_code == 200
    assert entries() == []


def test_a_failing_log_does_not_break_the_search(client, listing, monkeypatch, caplog):
    def broken(*args, **kwargs):
        raise RuntimeError("geheime zoekwoorden")

    monkeypatch.setattr(search_log, "_entry", broken)
    with caplog.at_level(logging.ERROR):
        response = client.get("/zoeken", query_string={"q": "geheime zoekwoorden"})
    assert response.status_code == 200
    assert 'value="geheime zoekwoorden"' in response.get_data(as_text=True)
    assert entries() == []
    assert "search log" in caplog.text and "geheime" not in caplog.text


def test_a_write_the_database_refuses_is_logged_without_the_words_and_the_page_still_shows(client, listing, caplog):
    with database_refusing_writes(), caplog.at_level(logging.ERROR):
        response = client.get("/kaart", query_string={"q": "maaltijd geheim"})
    assert response.status_code == 200
    assert "Maaltijdservice Doorn" in response.get_data(as_text=True)
    assert "search log: a web search was not recorded" in caplog.text and "geheim" not in caplog.text
    assert entries() == []
    client.get("/zoeken", query_string={"q": "maaltijd"})  # the database takes writes again
    assert [entry.query for entry in entries()] == ["maaltijd"]


def test_the_log_is_committed_apart_from_the_callers_transaction(app, listing):
    page = services.search_listings(services.SearchCriteria(text="maaltijd"))
    listing.name = "Niet bewaard"  # a change of the caller's, not written yet
    search_log.record_search(page.criteria, page, "nl", "web")
    db.session.rollback()  # the caller gives it up: the log neither committed it nor goes with it
    assert [entry.query for entry in entries()] == ["maaltijd"]
    assert db.session.get(Service, listing.id).name == "Maaltijdservice Doorn"


def test_a_caller_holding_sqlites_write_lock_has_the_log_in_its_own_transaction(app, listing):
    page = services.search_listings(services.SearchCriteria(text="maaltijd"))
    listing.name = "Niet bewaard"
    db.session.flush()  # written, not committed: on SQLite the caller holds the single write lock
    assert search_log.record_search(page.criteria, page, "nl", "web") is not None  # did not wait for that lock
    db.session.rollback()
    # SQLite: the row went with the caller's transaction; PostgreSQL locks rows, so it was committed apart
    assert [entry.query for entry in entries()] == ([] if db.engine.dialect.name == "sqlite" else ["maaltijd"])
    assert db.session.get(Service, listing.id).name == "Maaltijdservice Doorn"


# --- the API ----------------------------------------------------------------------------------------------


def test_an_api_search_is_recorded_with_source_api(client, listing):
    assert client.get("/api/hsds/services", query_string={"search": "Maaltijd"}).status_code == 200
    response = client.get(
        "/api/hsds/service_at_locations",
        query_string={"search": "rolstoeltaxi", "postcode": "3941 AB", "proximity": "2500"},
    )
    assert response.status_code == 200
    assert [(e.source, e.query, e.result_count, e.area_code, e.place_kind, e.radius_km) for e in entries()] == [
        ("api", "maaltijd", 1, None, "none", None),
        ("api", "rolstoeltaxi", 0, "doorn", "postcode", 3),
    ]


@pytest.mark.parametrize(
    "url, args",
    [
        ("/api/hsds/services", {}),
        ("/api/hsds/services", {"search": "maaltijd", "page": "2"}),
        ("/api/hsds/service_at_locations", {"postcode": "3941"}),
        ("/api/hsds/organizations", {"search": "maaltijd"}),
    ],
)
def test_api_lists_without_text_or_after_page_one_are_not_recorded(client, listing, url, args):
    assert client.get(url, query_string=args).status_code == 200
    assert entries() == []


# --- retention ----------------------------------------------------------------------------------------------


def test_retention_deletes_only_entries_older_than_twelve_months(app, app_clock):
    app_clock.start(app_clock() + timedelta(days=500))
    today = clock.today()
    year_ago = freshness.add_months(today, -12)
    add_entry(year_ago - timedelta(days=1), "te oud")
    add_entry(year_ago, "net op tijd")
    add_entry(today, "vandaag")
    db.session.commit()
    result = app.test_cli_runner().invoke(args=["directory", "search-log-retention"])
    assert result.exit_code == 0, result.output
    assert "1 entries" in result.output
    assert [entry.query for entry in entries()] == ["net op tijd", "vandaag"]


def test_retention_months_come_from_the_setting_or_the_option(app, app_clock):
    today = clock.today()
    add_entry(freshness.add_months(today, -3), "drie maanden")
    add_entry(today, "vandaag")
    db.session.commit()
    app.config["SEARCH_LOG_MONTHS"] = 6
    assert search_log.delete_old_entries() == 0
    result = app.test_cli_runner().invoke(args=["directory", "search-log-retention", "--months", "2"])
    assert result.exit_code == 0, result.output
    assert [entry.query for entry in entries()] == ["vandaag"]


# --- months added up for the area analysis (issue #15) -------------------------------------------------------


def months_added_up():
    db.session.expire_all()
    return {
        row.month: row.searches
        for row in db.session.scalars(select(search_log.SearchLogMonth).order_by(search_log.SearchLogMonth.month))
    }


def month_counts(month):
    rows = db.session.execute(
        select(
            search_log.SearchLogMonthCount.area_code,
            search_log.SearchLogMonthCount.query,
            search_log.SearchLogMonthCount.searches,
            search_log.SearchLogMonthCount.zero,
        )
        .join(search_log.SearchLogMonth)
        .where(search_log.SearchLogMonth.month == month)
    )
    return sorted((tuple(row) for row in rows), key=lambda row: (row[0] or "", row[1]))


def test_each_month_that_is_over_is_added_up_per_area_and_text_once(app, app_clock):
    this_month = clock.today().replace(day=1)
    last_month = freshness.add_months(this_month, -1)
    before = freshness.add_months(this_month, -2)
    for day, query, results, area in (
        (last_month, "boodschappen", 0, "doorn"),
        (last_month + timedelta(days=3), "boodschappen", 0, "doorn"),
        (last_month + timedelta(days=5), "boodschappen", 4, "doorn"),
        (last_month + timedelta(days=9), "boodschappen", 0, None),
        (last_month + timedelta(days=27), "tuin", 2, "leersum"),
        (before + timedelta(days=10), "vervoer", 0, None),
        (this_month, "vandaag of deze maand", 0, "doorn"),
    ):
        add_entry(day, query, results, area)
    db.session.commit()
    result = app.test_cli_runner().invoke(args=["directory", "search-log-months"])
    assert result.exit_code == 0, result.output
    assert "2 months" in result.output
    assert months_added_up() == {before: 1, last_month: 5}  # not this month: it is not over
    assert month_counts(last_month) == [
        (None, "boodschappen", 1, 1),
        ("doorn", "boodschappen", 3, 2),
        ("leersum", "tuin", 1, 0),
    ]
    add_entry(last_month + timedelta(days=2), "te laat", 0, "doorn")  # (never happens: a month that is over)
    db.session.commit()
    assert search_log.add_up_months() == 0  # a month is added up once
    assert months_added_up() == {before: 1, last_month: 5}


def test_only_months_the_retention_leaves_whole_are_added_up(app, app_clock):
    app.config["SEARCH_LOG_MONTHS"] = 3
    today = clock.today()
    cutoff = freshness.add_months(today, -3)
    for months_back in range(6):
        add_entry(freshness.add_months(today.replace(day=1), -months_back), "maatje")
    db.session.commit()
    search_log.add_up_months()
    first_whole = cutoff if cutoff.day == 1 else freshness.add_months(cutoff.replace(day=1), 1)
    over = [freshness.add_months(today.replace(day=1), -back) for back in range(1, 6)]
    assert sorted(months_added_up()) == sorted(month for month in over if month >= first_whole)
    assert len(months_added_up()) == (3 if cutoff.day == 1 else 2)


def test_the_retention_deletes_the_months_added_up_with_their_entries(app, app_clock):
    this_month = clock.today().replace(day=1)
    old, kept = freshness.add_months(this_month, -3), freshness.add_months(this_month, -1)
    add_entry(old + timedelta(days=20), "oud")
    add_entry(kept + timedelta(days=20), "nieuw")
    db.session.commit()
    assert search_log.add_up_months() == 3
    cutoff = old + timedelta(days=25)  # the retention's cutoff falls in the old month, after its entry
    search_log.delete_old_entries(1, today=freshness.add_months(cutoff, 1))
    assert [entry.query for entry in entries()] == ["nieuw"]
    assert sorted(months_added_up()) == [freshness.add_months(this_month, -2), kept]  # the month cut is gone
    assert month_counts(old) == []


# --- this month's searches without results --------------------------------------------------------------


def test_unanswered_searches_are_this_months_of_the_brokers_areas_most_frequent_first(app, areas):
    today = clock.today()
    last_month = freshness.add_months(today.replace(day=1), -1)
    for _ in range(3):
        add_entry(today, "rolstoeltaxi", area_code="doorn")
    add_entry(today.replace(day=1), "maaltijd", area_code="doorn")
    add_entry(today, "hulp", result_count=4, area_code="doorn")
    add_entry(today, "klusjesman", area_code="leersum")
    add_entry(last_month, "vorige maand", area_code="doorn")
    add_entry(today, "zonder plaats")
    db.session.commit()
    broker = make_user(roles=("broker",), areas=[areas["doorn"]])
    admin = make_user(roles=("admin",))

    mine = search_log.unanswered_searches(broker)
    assert (mine.queries, mine.total) == ([("rolstoeltaxi", 3), ("maaltijd", 1)], 5)
    everything = search_log.unanswered_searches(admin)
    assert everything.queries == [("rolstoeltaxi", 3), ("klusjesman", 1), ("maaltijd", 1), ("zonder plaats", 1)]
    assert everything.total == 7


def test_unanswered_searches_show_the_top_twenty(app, areas):
    for number in range(25):
        for _ in range(number + 1):
            add_entry(clock.today(), f"zoekwoord {number:02d}", area_code="doorn")
    db.session.commit()
    board = search_log.unanswered_searches(make_user(roles=("broker",), areas=[areas["doorn"]]))
    assert len(board.queries) == 20
    assert board.queries[0] == ("zoekwoord 24", 25) and board.queries[-1] == ("zoekwoord 05", 6)


def test_a_broker_without_areas_sees_nothing(app, areas):
    add_entry(clock.today(), "rolstoeltaxi", area_code="doorn")
    db.session.commit()
    board = search_log.unanswered_searches(make_user(roles=("broker",)))
    assert (board.queries, board.total, board.areas) == ([], 0, [])


@pytest.mark.parametrize("roles", [("editor",), ("resident",), ("volunteer",)])
def test_only_brokers_and_admins_see_unanswered_searches(app, roles):
    with pytest.raises(PermissionDenied):
        search_log.unanswered_searches(make_user(roles=roles))


def test_an_unknown_language_is_stored_as_dutch(app, listing):
    page = services.search_listings(services.SearchCriteria(text="maaltijd"))
    entry = search_log.record_search(page.criteria, page, "de", "web")
    assert (entry["language"], entry["result_count"], entry["source"]) == ("nl", 1, "web")
