"""The area analysis's figures on known data (issue #15): every number below is counted by hand from the builders.

The period is the six whole months before this month, so the tests read the same on any day.
"""

from datetime import timedelta

import pytest

from sociale_kaart import clock
from sociale_kaart.directory import search_log
from sociale_kaart.errors import PermissionDenied
from sociale_kaart.extensions import db
from sociale_kaart.insights import periods, services
from sociale_kaart.insights.periods import Period
from sociale_kaart.matching import timeslots
from tests.builders import make_location, make_organization, make_service, make_user
from tests.insights.builders import asked, helper, months_ago, searched, signal
from tests.matching.factories import area, load_areas, make_broker, make_volunteer

SEVENTEEN_HOURS = timeslots.mask_from_cells([(0, 0), (0, 1), (2, 2)])  # 6 + 6 + 5 hours a week


@pytest.fixture
def period():
    """The six whole months before this month."""
    return Period(months_ago(6), months_ago(0) - timedelta(days=1))


@pytest.fixture
def policy(app):
    load_areas()
    return make_user(roles=("policy",))


def texts(table, key):
    """Return the texts of a row of a table (by its key), as the page shows them."""
    row = next(row for row in table.rows if row.key == key)
    return [services.figure_text(cell) for cell in row.cells]


def heat(table, key):
    """Return (demand, volunteers, level) per column of a row of the heat table."""
    row = next(row for row in table.rows if row.key == key)
    return [(services.figure_text(c.demand), services.figure_text(c.supply), c.level) for c in row.cells]


def known_half_year():
    """Doorn: 8 requests for shopping (6 got a volunteer within 2 days, 1 after 10 days, 1 expired), 8 active
    volunteers. Leersum: 5 requests for respite, none got a volunteer, and no volunteer for respite."""
    start = months_ago(6)
    old = [helper("doorn", ("boodschappen", "gezelschap"), availability=SEVENTEEN_HOURS) for _ in range(3)]
    for number in range(6):  # the same person, helped by the same volunteer: 5 times again
        asked(
            start + timedelta(days=10 + number * 7),
            matched_after=2,
            volunteer=old[0],
            requester="els@example.org",
            status="matched" if number == 5 else "done",
        )
    asked(start + timedelta(days=20), matched_after=10, volunteer=old[1], status="done")
    asked(start + timedelta(days=30), status="expired")
    for number, status in enumerate(("expired", "expired", "expired", "cancelled", "cancelled")):
        asked(start + timedelta(days=15 + number), task_type="respijt", area="leersum", status=status)
    # not demand of the period: never confirmed, rejected, before it, after it
    asked(start + timedelta(days=12), confirmed=False, status="submitted")
    asked(start + timedelta(days=12), status="rejected")
    asked(start - timedelta(days=3), status="done")
    for _ in range(5):  # open now (this month): a snapshot, not the period's demand
        asked(clock.today() - timedelta(days=1), task_type="vervoer", status="open")
    # volunteers who started in the period (more than 3 months ago): 5 of 6 still in, one paused
    for status, paused in (("active", False),) * 4 + (("active", True), ("stopped", False)):
        helper(
            "doorn",
            ("boodschappen",),
            approved_on=start + timedelta(days=5),
            status=status,
            paused=paused,
            availability=SEVENTEEN_HOURS,
        )
    helper("doorn", ("boodschappen",), approved_on=months_ago(1) + timedelta(days=2), availability=SEVENTEEN_HOURS)
    make_volunteer(area="doorn", status="pending", approved_at=None)
    return old


# --- who may read it ------------------------------------------------------------------------------------


def test_a_broker_analyses_their_own_areas_and_policy_and_admins_all(app):
    areas = load_areas()
    broker = make_broker(areas=("leersum", "doorn"))
    assert [a.code for a in services.analysis_areas(broker)] == ["doorn", "leersum"]
    for role in ("policy", "admin"):
        assert len(services.analysis_areas(make_user(roles=(role,)))) == len(areas)
    for role in ("resident", "volunteer", "editor"):
        with pytest.raises(PermissionDenied):
            services.analysis_areas(make_user(roles=(role,)))


def test_a_broker_cannot_choose_another_broker_s_area(app, period):
    broker = make_broker(areas=("doorn",))
    with pytest.raises(PermissionDenied):
        services.area_analysis(broker, period, area_code="leersum")


# --- demand, the gap ------------------------------------------------------------------------------------


def test_the_heat_table_sets_requests_against_volunteers_per_task_and_area(policy, period):
    known_half_year()
    table = services.area_analysis(policy, period).tables["tekort"]
    names = table.columns
    assert names == [
        "Amerongen",
        "Doorn",
        "Driebergen-Rijsenburg",
        "Leersum",
        "Maarn",
        "Maarsbergen",
        "Overberg",
        "Totaal",
    ]
    shopping = dict(zip(names, heat(table, "boodschappen"), strict=True))
    assert shopping["Doorn"] == ("8", "8", "gap")  # 2 of 8 without a volunteer within 7 days
    assert shopping["Leersum"] == ("0", "0", "no_demand")
    assert shopping["Totaal"] == ("8", "8", "gap")
    respite = dict(zip(names, heat(table, "respijt"), strict=True))
    assert respite["Leersum"] == ("5", "0", "big")  # none of 5
    company = dict(zip(names, heat(table, "gezelschap"), strict=True))
    assert company["Doorn"] == ("0", "<5", "no_demand")  # 3 volunteers: too few to show
    everything = dict(zip(names, heat(table, services.ALL), strict=True))
    assert everything["Totaal"] == ("13", "8", "big")  # 7 of 13 without a volunteer within 7 days
    assert [row.key for row in table.rows] == ["boodschappen", "gezelschap", "respijt", services.ALL]


def test_the_biggest_gaps_are_read_out_in_one_sentence(policy, period):
    known_half_year()
    analysis = services.area_analysis(policy, period)
    assert analysis.gap_sentence == (
        "Hulp ontbreekt het meest bij respijt / oppas bij een naaste in Leersum (5 van de 5 hulpvragen kregen niet "
        "binnen 7 dagen een vrijwilliger) en boodschappen in Doorn (<5 van de 8 hulpvragen kregen niet binnen 7 "
        "dagen een vrijwilliger)."
    )


def test_the_sentence_says_so_when_there_was_nothing_or_no_gap(policy, period):
    assert services.area_analysis(policy, period).gap_sentence == "Er kwamen in deze periode geen hulpvragen binnen."
    volunteer = helper("doorn")
    for number in range(5):
        asked(months_ago(3) + timedelta(days=number), matched_after=1, volunteer=volunteer, status="done")
    assert services.area_analysis(policy, period).gap_sentence == (
        "Er is geen taak en gebied waar veel hulpvragen zonder vrijwilliger bleven."
    )


@pytest.mark.parametrize(
    "received, base, missing, volunteers, hidden, level",
    [
        (0, 0, 0, 4, False, "no_demand"),
        (10, 8, 0, 2, False, "none"),
        (10, 8, 1, 2, False, "small"),
        (10, 8, 2, 2, False, "gap"),
        (10, 8, 4, 0, False, "big"),
        (10, 4, 4, 2, False, "too_few"),  # fewer than 5 had their 7 days
        (3, 3, 3, 0, True, "no_volunteers"),  # too few to judge, but nobody here does this task
        (3, 3, 3, 1, True, "too_few"),
        (8, 8, 8, 1, True, "too_few"),  # the count itself is hidden: no verdict that would show it
    ],
)
def test_how_much_help_is_missing(received, base, missing, volunteers, hidden, level):
    assert services.gap_level(received, base, missing, volunteers, hidden) == level


def test_requests_per_task_with_their_outcomes_and_what_is_open_now(policy, period):
    known_half_year()
    table = services.area_analysis(policy, period).tables["hulpvragen"]
    assert table.columns == [
        "Ontvangen",
        "Binnen 7 dagen een vrijwilliger",
        "Dagen tot een vrijwilliger (mediaan)",
        "Afgerond",
        "Geannuleerd",
        "Verlopen",
        "Nu open",
        "Nu zonder vrijwilliger",
    ]
    assert texts(table, "boodschappen") == ["8", "75%", "2", "6", "0", "<5", "<5", "0"]
    assert texts(table, "respijt") == ["5", "0%", "–", "0", "<5", "<5", "0", "0"]
    # open now: 1 shopping request (<5) beside 5 for transport and 6 in all, so the 5 would give the 1 away
    assert texts(table, "vervoer") == ["0", "–", "–", "0", "0", "0", "×", "5"]
    assert texts(table, services.ALL) == ["13", "46%", "2", "6", "<5", "<5", "6", "5"]


def test_the_headline_figures(policy, period):
    known_half_year()
    headline = services.area_analysis(policy, period).headline
    assert {row.label: services.figure_text(row.cells[0]) for row in headline.rows} == {
        "Hulpvragen ontvangen": "13",
        "Binnen 7 dagen een vrijwilliger": "46%",
        "Dagen tot een vrijwilliger (mediaan)": "2",
        "Actieve vrijwilligers (nu)": "8",
        "Zoekopdrachten": "0",
        "Zoekopdrachten zonder resultaat": "0",
        "Signalen ontvangen": "0",
        "Signalen binnen 5 werkdagen opgevolgd": "–",
    }


def test_the_days_to_a_volunteer_and_the_seven_day_share_count_from_confirmation(policy, period):
    volunteer = helper("doorn")
    for days in (0.5, 1, 3, 7, 7.5, 20):
        asked(months_ago(4), matched_after=days, volunteer=volunteer, status="done")
    table = services.area_analysis(policy, period).tables["hulpvragen"]
    assert texts(table, "boodschappen")[:3] == ["6", "×", "5"]  # 4 of 6 within 7 days: too few to show
    for days in (1, 2, 2, 6):
        asked(months_ago(4), matched_after=days, volunteer=volunteer, status="done")
    table = services.area_analysis(policy, period).tables["hulpvragen"]
    assert texts(table, "boodschappen")[:3] == ["10", "80%", "2,5"]  # 8 of 10; median of 0.5 … 20


def test_the_trend_counts_requests_by_the_month_they_came_in(policy, period):
    for number in range(5):
        asked(months_ago(5) + timedelta(days=number), matched_after=1, status="done")
    for number in range(7):
        asked(months_ago(2) + timedelta(days=number), matched_after=9, status="done")
    trend = services.area_analysis(policy, period).tables["verloop"]
    assert len(trend.columns) == 7 and trend.columns[-1] == "Totaal"
    received = dict(zip(trend.columns, texts(trend, "received"), strict=True))
    month = services.bucket_label(periods.Bucket("", "month", 0, 0, months_ago(5), months_ago(5)))
    later = services.bucket_label(periods.Bucket("", "month", 0, 0, months_ago(2), months_ago(2)))
    assert (received[month], received[later], received["Totaal"]) == ("5", "7", "12")
    assert texts(trend, "within") == ["0", "5", "0", "0", "0", "0", "5"]


def test_per_quarter_the_trend_has_a_column_per_quarter(policy):
    start = periods.shift_month(clock.today(), -((clock.today().month - 1) % 3) - 6)  # two whole quarters back
    period = Period(start, periods.shift_month(start, 6) - timedelta(days=1), "quarter")
    for number in range(6):
        asked(start + timedelta(days=number), status="open")
    trend = services.area_analysis(policy, period).tables["verloop"]
    assert trend.title == "Verloop per kwartaal"
    assert [label[:1] for label in trend.columns] == ["K", "K", "T"]
    assert texts(trend, "received") == ["6", "0", "6"]


# --- supply ---------------------------------------------------------------------------------------------


def test_active_volunteers_with_the_hours_and_tasks_they_offer(policy, period):
    known_half_year()
    table = services.area_analysis(policy, period).tables["vrijwilligers"]
    assert texts(table, area("doorn").id) == ["8", "136", "16"]  # 8 × 17 hours, 8 × 2 tasks
    assert texts(table, area("leersum").id) == ["0", "0", "0"]
    assert texts(table, services.TOTAL) == ["8", "136", "16"]


def test_hours_of_fewer_than_five_volunteers_are_hidden(policy, period):
    for _ in range(3):
        helper("leersum", availability=SEVENTEEN_HOURS)
    table = services.area_analysis(policy, period).tables["vrijwilligers"]
    assert texts(table, area("leersum").id) == ["<5", "×", "×"]


def test_hours_offered_come_from_the_day_parts_ticked():
    assert services.hours_offered(SEVENTEEN_HOURS) == 17
    assert services.hours_offered(timeslots.FULL_WEEK) == 7 * 17
    assert services.hours_offered(0) == 0


def _published(name, location, **values):
    return make_service(location, name=name, **values)


def test_published_services_per_area_category_and_level(app, period):
    load_areas()
    broker = make_broker(areas=("doorn",))
    organization = make_organization()
    doorn = make_location(organization, area=area("doorn"))
    leersum = make_location(organization, name="Buurthuis", city="Leersum", postal_code="3956 AA", area=area("leersum"))
    nowhere = make_location(organization, name="Online", area=None)
    _published(
        "Koffie",
        doorn,
        categories=("ontmoeting_activiteiten",),
        pyramid_level="gewone_leven",
        schedule=((5, "10:00", "12:00"),),
    )
    _published(
        "Avondspreekuur", doorn, categories=("informatie_advies",), cost=["betaald"], schedule=((1, "17:00", "20:30"),)
    )
    _published(
        "Respijthuis",
        doorn,
        categories=("respijtzorg", "mantelzorgondersteuning"),
        pyramid_level="met_indicatie",
        cost=["wlz"],
    )
    _published("Hulplijn", nowhere, categories=("informatie_advies",))
    _published("Leersum", leersum, categories=("respijtzorg",))
    _published("Concept", doorn, publication_status="draft")
    table = services.area_analysis(broker, period).tables["aanbod"]
    assert table.columns == ["Doorn", "Voor de hele gemeente", "Totaal"]
    assert texts(table, "published") == ["3", "1", "4"]
    assert texts(table, "gewone_leven") == ["1", "0", "1"]
    assert texts(table, "vrij_toegankelijk") == ["1", "1", "2"]
    assert texts(table, "met_indicatie") == ["1", "0", "1"]
    assert texts(table, "free") == ["1", "1", "2"]
    assert texts(table, "evening") == ["1", "0", "1"]
    assert texts(table, "weekend") == ["1", "0", "1"]
    categories = services.area_analysis(broker, period).tables["aanbod-categorie"]
    assert texts(categories, "informatie_advies") == ["1", "1", "2"]
    assert texts(categories, "respijtzorg") == ["1", "0", "1"]  # Leersum's is not this broker's
    assert texts(categories, "vervoer") == ["0", "0", "0"]  # public listings: small numbers are shown


# --- searches and signals -------------------------------------------------------------------------------


def _searches(period_start):
    day = period_start + timedelta(days=1)
    searched(day, "boodschappen hulp", results=6, area="doorn", times=7)
    searched(day, "oppas voor mijn vader", results=0, area="leersum", times=5)
    searched(day, "sportschool", results=0, area=None, times=5)
    searched(period_start - timedelta(days=1), "oppas", results=0, area="leersum", times=9)  # before it


def test_searches_and_searches_without_results_per_topic(policy, period):
    _searches(period.start)
    table = services.area_analysis(policy, period).tables["zoeken"]
    assert texts(table, "boodschappen") == ["7", "0", "0%"]
    assert texts(table, "respijt") == ["5", "5", "100%"]
    assert texts(table, services.OTHER_TOPIC) == ["5", "5", "100%"]
    assert texts(table, services.ALL) == ["17", "10", "59%"]


def test_a_broker_sees_the_searches_of_their_own_areas_only(app, period):
    load_areas()
    _searches(period.start)
    table = services.area_analysis(make_broker(areas=("leersum",)), period).tables["zoeken"]
    assert [row.key for row in table.rows] == ["respijt", services.ALL]
    assert texts(table, services.ALL) == ["5", "5", "100%"]


def test_months_added_up_give_the_same_search_figures_as_the_log_and_today_counts_at_once(policy, app):
    """The nightly job adds up each month that is over; the page counts those from the sums, the rest from the log."""
    load_areas()
    broker = make_broker(areas=("leersum",))
    today = clock.today()
    period = Period(months_ago(3) + timedelta(days=10), today)  # starts on the 11th: that month in part
    for back, times in ((3, 6), (2, 8), (1, 5)):
        searched(months_ago(back) + timedelta(days=12), "boodschappen hulp", results=0, area="doorn", times=times)
        searched(months_ago(back) + timedelta(days=2), "oppas voor mijn vader", results=2, area="leersum", times=5)
    searched(today, "vervoer naar het ziekenhuis", results=0, area="doorn", times=5)

    def figures():
        analysis = services.area_analysis(policy, period)
        search, trend = analysis.tables["zoeken"], analysis.tables["verloop"]
        own = services.area_analysis(broker, period).tables["zoeken"]
        return (
            [texts(search, topic) for topic in ("boodschappen", "respijt", "vervoer", services.ALL)],
            texts(trend, "searches"),
            texts(trend, "zero"),
            texts(own, services.ALL),
        )

    from_the_log = figures()
    assert from_the_log == (
        [["19", "19", "100%"], ["10", "0", "0%"], ["5", "5", "100%"], ["34", "24", "71%"]],
        ["6", "13", "10", "5", "34"],  # the 3rd of the first month is before the period: its 5 do not count
        ["6", "8", "5", "5", "24"],
        ["10", "0", "0%"],
    )
    assert search_log.add_up_months() == 3
    assert figures() == from_the_log
    searched(today, "vervoer naar het ziekenhuis", results=0, area="doorn", times=5)  # after the job: counted at once
    search, trend, zero, own = figures()
    assert search[2:] == [["10", "10", "100%"], ["39", "29", "74%"]]
    assert (trend[-2:], zero[-2:], own) == (["10", "39"], ["10", "29"], ["10", "0", "0%"])


def test_signals_per_theme_and_followed_up_within_five_working_days(policy, period):
    day = period.start + timedelta(days=3)
    for number in range(6):
        signal(day, ("loneliness",), followed_after=2 if number else 10)
    for _ in range(5):
        signal(day, ("carer", "money"), area="leersum", followed_after=1)
    analysis = services.area_analysis(policy, period)
    table = analysis.tables["signalen"]
    assert texts(table, "loneliness") == ["6", "5", "0", "83%"]
    assert texts(table, "carer") == ["5", "5", "0", "100%"]
    assert texts(table, "money") == ["5", "5", "0", "100%"]
    assert texts(table, "neglect") == ["0", "0", "0", "–"]
    assert texts(table, services.ALL) == ["11", "10", "0", "91%"]  # each signal once, though 5 have two themes
    assert texts(analysis.tables["uitkomsten"], "signals")[-1] == "91%"  # 10 of 11 signals, not 15 of 16 themes
    assert texts(analysis.headline, 6) == ["11"]  # "Signalen ontvangen"
    assert texts(analysis.headline, 7) == ["91%"]


def test_signals_in_the_trend_count_each_signal_once_in_its_month(policy):
    first = periods.first_of_month(clock.today())
    period = Period(periods.shift_month(first, -3), first - timedelta(days=1))
    for months_back, number in ((3, 6), (2, 5), (1, 7)):
        for _ in range(number):
            signal(periods.shift_month(first, -months_back) + timedelta(days=9), ("carer", "money"), area="leersum")
    trend = services.area_analysis(policy, period).tables["verloop"]
    assert texts(trend, "signals") == ["6", "5", "7", "18"]  # not 12, 10, 14, 36: two themes, one signal


def test_a_small_month_of_signals_is_hidden_with_one_more_so_the_total_gives_nothing_away(policy):
    first = periods.first_of_month(clock.today())
    period = Period(periods.shift_month(first, -3), first - timedelta(days=1))
    for months_back, number in ((3, 6), (2, 2), (1, 7)):
        for _ in range(number):
            signal(periods.shift_month(first, -months_back) + timedelta(days=9), ("loneliness",))
    trend = services.area_analysis(policy, period).tables["verloop"]
    assert texts(trend, "signals") == ["×", "<5", "7", "15"]  # 15 - 6 - 7 would tell the hidden 2


def test_signals_are_read_through_the_counts_of_the_signals_capability(policy, period, monkeypatch):
    asked_for = []

    def daily_counts(period_start, period_end, area_ids=None):
        asked_for.append((period_start, period_end, area_ids))
        numbers = {"received": 7, "followed_up_in_time": 2, "closed": 6}
        return {(period_start, area("doorn").id, ("money",)): numbers}

    from sociale_kaart.signals import services as signals

    monkeypatch.setattr(signals, "daily_counts", daily_counts)
    table = services.area_analysis(policy, period).tables["signalen"]
    assert texts(table, "money") == ["7", "<5", "6", "×"]
    assert asked_for == [(period.start, period.end, None)]  # one query for every figure of signals


def test_the_in_time_share_leaves_out_signals_still_within_their_term(policy, monkeypatch):
    from sociale_kaart.signals import services as signals

    today = clock.today()
    start = today - timedelta(days=40)
    doorn = area("doorn").id
    counted = {  # 8 of 10 in time 20 days ago; 10 in the last two weeks, not yet followed up (their term runs)
        (today - timedelta(days=20), doorn, ("money",)): {"received": 10, "followed_up_in_time": 8, "closed": 8},
        (today - timedelta(days=13), doorn, ("money",)): {"received": 10, "followed_up_in_time": 0, "closed": 0},
    }
    calls = []
    monkeypatch.setattr(
        signals, "daily_counts", lambda first, last, area_ids=None: calls.append((first, last)) or counted
    )
    analysis = services.area_analysis(policy, Period(start, today))
    assert calls == [(start, today)]  # the counts of the period, once
    assert texts(analysis.tables["signalen"], "money") == ["20", "8", "8", "80%"]  # the share: two weeks back
    assert texts(analysis.headline, 7) == ["80%"]


def test_without_the_signals_capability_the_page_has_no_signals(policy, period, monkeypatch):
    monkeypatch.setattr(services, "signals_installed", lambda: False)
    analysis = services.area_analysis(policy, period)
    assert "signalen" not in analysis.tables and not analysis.signals_available
    assert "signals" not in [row.key for row in analysis.tables["uitkomsten"].rows]


# --- outcomes ---------------------------------------------------------------------------------------------


def test_outcomes_over_the_whole_period(policy, period):
    known_half_year()
    table = services.area_analysis(policy, period).tables["uitkomsten"]
    assert table.columns[-1] == "Hele periode"
    whole = {row.key: services.figure_text(row.cells[-1]) for row in table.rows}
    assert whole == {
        "within": "46%",
        "days": "2",
        "done": "6",
        "cancelled": "<5",
        "expired": "<5",
        "repeat": "71%",  # 5 of 7 helps were the same volunteer for the same person again
        "retention": "83%",  # 5 of the 6 who started more than 3 months ago
        "signals": "–",
    }


def test_repeat_help_needs_the_same_volunteer_for_the_same_person(policy, period):
    first, second = helper("doorn"), helper("doorn")
    start = period.start + timedelta(days=5)
    for number in range(5):
        asked(
            start + timedelta(days=number),
            matched_after=1,
            volunteer=first,
            requester="piet@example.org",
            status="done",
        )
        asked(
            start + timedelta(days=number),
            matched_after=1,
            volunteer=second if number % 2 else first,
            requester=f"ander{number}@example.org",
            status="done",
        )
    whole = {row.key: row.cells[-1] for row in services.area_analysis(policy, period).tables["uitkomsten"].rows}
    assert services.figure_text(whole["repeat"]) == "×"  # 4 of 10: too few to show
    for number in range(2):
        asked(
            start + timedelta(days=9 + number),
            matched_after=1,
            volunteer=first,
            requester="piet@example.org",
            status="done",
        )
    whole = {row.key: row.cells[-1] for row in services.area_analysis(policy, period).tables["uitkomsten"].rows}
    assert services.figure_text(whole["repeat"]) == "50%"  # 6 of 12


# --- areas and suppression ------------------------------------------------------------------------------


def test_requests_without_an_area_count_for_the_whole_municipality_only(policy, period):
    for number in range(5):
        asked(period.start + timedelta(days=number), area=None)
    table = services.area_analysis(policy, period).tables["tekort"]
    assert table.columns[-2:] == ["Zonder gebied", "Totaal"]
    assert heat(table, services.ALL)[-2][0] == "5"
    broker = make_broker(areas=("doorn",))
    assert "Zonder gebied" not in services.area_analysis(broker, period).tables["tekort"].columns


def test_a_small_number_in_a_row_with_a_total_takes_another_with_it(policy, period):
    for number in range(6):
        asked(period.start + timedelta(days=number))  # Doorn: 6
    for number in range(3):
        asked(period.start + timedelta(days=number), area="leersum")  # Leersum: 3
    table = services.area_analysis(policy, period).tables["tekort"]
    shopping = dict(zip(table.columns, heat(table, "boodschappen"), strict=True))
    assert (shopping["Doorn"][0], shopping["Leersum"][0], shopping["Totaal"][0]) == ("×", "<5", "9")
    everything = dict(zip(table.columns, heat(table, services.ALL), strict=True))
    assert (everything["Doorn"][0], everything["Leersum"][0], everything["Totaal"][0]) == ("×", "<5", "9")


def test_one_area_chosen_shows_that_area_only(app, period):
    load_areas()
    broker = make_broker(areas=("doorn", "leersum"))
    for number in range(5):
        asked(period.start + timedelta(days=number), area="leersum")
    analysis = services.area_analysis(broker, period, area_code="leersum")
    assert analysis.tables["tekort"].columns == ["Leersum"]
    assert heat(analysis.tables["tekort"], services.ALL) == [("5", "0", "big")]  # none of 5 got one
    assert analysis.headline.rows[0].cells[0].value == 5


def test_no_free_text_of_requests_or_signals_reaches_the_analysis(policy, period):
    asked(
        period.start + timedelta(days=1),
        description="Mevrouw Jansen heeft dementie",
        summary="Boodschappen bij de Plus",
    )
    signal(period.start + timedelta(days=1), ("loneliness",))
    analysis = services.area_analysis(policy, period)
    words = repr(analysis)
    assert "Jansen" not in words and "Plus" not in words and "(test)" not in words
    db.session.rollback()


def test_a_summary_says_a_hidden_or_unknown_share_in_words_not_as_a_mark(app):
    """The sentence over a table read "6 hulpvragen …; × kreeg binnen 7 dagen een vrijwilliger" (a walk)."""
    from sociale_kaart.insights.suppression import count, share

    with app.test_request_context():
        builder = services._Builder
        shown = builder._received_summary(count(12), share(9, 12))
        assert shown == "12 hulpvragen kwamen in deze periode binnen; 75% kreeg binnen 7 dagen een vrijwilliger."
        hidden = builder._received_summary(count(6), share(1, 3))
        assert "tonen we niet" in hidden and "×" not in hidden
        unknown = builder._received_summary(count(6), share(0, 0))
        assert "nog niet bekend" in unknown and "–" not in unknown
        assert "tonen we niet" in builder._signal_summary(share(1, 3))
        assert builder._signal_summary(share(0, 0)).startswith("Er zijn nog geen signalen")
        assert builder._signal_summary(share(8, 10)).endswith("werd 80% binnen 5 werkdagen opgevolgd.")
