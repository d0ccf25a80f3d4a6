"""Builders for the area analysis tests (issue #15): requests, matches, volunteers, searches, signals with known dates.

Dates are local dates relative to the app clock, so a test reads the same on any day:

    month = months_ago(3)                           # the first day of the month three months back
    asked(month, matched_after=2)                   # a request in Doorn that got a volunteer after 2 days
    asked(month + timedelta(days=4), task_type="respijt", area="leersum", status="expired")
    helper(task_types=("boodschappen",), approved_on=months_ago(6))
    searched(month, "boodschappenhulp", results=0, times=3)
    signal(month, ("loneliness",), followed_after=2)
"""

from datetime import date, datetime, time, timedelta

from sociale_kaart import clock
from sociale_kaart.directory.search_log import SearchLogEntry
from sociale_kaart.extensions import db
from sociale_kaart.insights import periods
from sociale_kaart.matching import timeslots
from sociale_kaart.matching.models import Match
from tests.matching.factories import area as demo_area
from tests.matching.factories import make_request, make_volunteer

NOON = time(12, 0)


def months_ago(months: int) -> date:
    """Return the first day of the month `months` before this month (by the app clock)."""
    return periods.shift_month(clock.today(), -months)


def moment(day: date, at: time = NOON) -> datetime:
    """Return a local day and time as naive UTC, as the models store it."""
    return timeslots.to_utc_naive(timeslots.localize(day, at))


def asked(
    day: date,
    task_type="boodschappen",
    area="doorn",
    status="open",
    matched_after=None,
    volunteer=None,
    requester="",
    confirmed=True,
    **overrides,
):
    """Create a help request asked (and confirmed) at noon on a local day; with matched_after (days), a volunteer
    was approved that long after and helped (done when the request is done, else accepted)."""
    asked_at = moment(day)
    if requester:
        overrides["contact_email"] = requester
    request = make_request(
        task_type=task_type,
        area=area,
        status=status,
        created_at=asked_at,
        confirmed_at=asked_at if confirmed else None,
        reviewed_at=asked_at,
        **overrides,
    )
    if matched_after is not None:
        volunteer = volunteer or helper(area=area)
        match = Match(
            request=request,
            volunteer=volunteer,
            status="done" if status == "done" else "accepted",
            source="broker",
            approved_at=asked_at + timedelta(days=matched_after),
            accepted_at=asked_at + timedelta(days=matched_after),
        )
        db.session.add(match)
        db.session.commit()
    return request


def helper(
    area="doorn",
    task_types=("boodschappen",),
    approved_on=None,
    status="active",
    availability=None,
    max_tasks_per_week=2,
    **overrides,
):
    """Create a volunteer approved on a local day (default: a year ago) for some task types in an area."""
    approved_on = approved_on or periods.shift_month(clock.today(), -12)
    return make_volunteer(
        area=area,
        task_types=list(task_types),
        status=status,
        approved_at=moment(approved_on),
        max_tasks_per_week=max_tasks_per_week,
        availability=timeslots.FULL_WEEK if availability is None else availability,
        **overrides,
    )


def searched(day: date, query: str, results: int = 3, area="doorn", times: int = 1):
    """Log the same anonymous search `times` times on a local day (area: a code, or None for no place)."""
    code = demo_area(area).code if area else None
    for _ in range(times):
        db.session.add(
            SearchLogEntry(
                searched_on=day,
                hour=11,
                query=query,
                result_count=results,
                area_code=code,
                place_kind="place" if code else "none",
            )
        )
    db.session.commit()


def signal(day: date, themes=("loneliness",), area="doorn", followed_after=None, status=None):
    """Create a signal received at noon on a local day; followed_after (days): contact was made that long after."""
    from sociale_kaart.signals import services as signals
    from sociale_kaart.signals.models import Signal

    received_at = moment(day)
    followed = received_at + timedelta(days=followed_after) if followed_after is not None else None
    status = status or ("contact_made" if followed else "new")
    row = Signal(
        status=status,
        outcome="help_arranged" if status == "closed" else None,
        themes=list(themes),
        area=demo_area(area) if area else None,
        description="(test)",
        received_at=received_at,
        due_on=signals.due_date(day),
        followed_up_at=followed,
        closed_at=followed if status == "closed" else None,
    )
    db.session.add(row)
    db.session.commit()
    return row


def busy_municipality():
    """Build a year of work in the demo areas, for pages and screenshots: gaps in Leersum, a good year in Doorn."""
    doorn_helpers = [helper("doorn", ("boodschappen", "gezelschap", "vervoer")) for _ in range(6)]
    helper("leersum", ("tuin",))
    drivers = [helper("driebergen_rijsenburg", ("vervoer", "digitaal"), approved_on=months_ago(8)) for _ in range(5)]
    helper("driebergen_rijsenburg", ("vervoer",), approved_on=months_ago(7), status="stopped")
    for month in range(11, 0, -1):
        start = months_ago(month)
        for number in range(2 + month % 3):
            asked(
                start + timedelta(days=2 + number * 5),
                matched_after=1 + number % 4,
                volunteer=doorn_helpers[number % 6],
                status="done",
            )
        asked(
            start + timedelta(days=3),
            task_type="respijt",
            area="leersum",
            status="expired" if month % 2 else "cancelled",
        )
        asked(
            start + timedelta(days=9),
            task_type="vervoer",
            area="driebergen_rijsenburg",
            matched_after=8 if month % 3 == 0 else 3,
            volunteer=drivers[month % 5],
            status="done",
        )
        searched(start + timedelta(days=1), "boodschappen", results=4, times=3 + month % 4)
        searched(start + timedelta(days=6), "oppas voor mijn moeder", results=0, area="leersum", times=2 + month % 3)
        searched(start + timedelta(days=8), "sportschool", results=0, area=None, times=1 + month % 2)
        signal(start + timedelta(days=4), ("loneliness",), followed_after=2 if month % 4 else 9)
        signal(start + timedelta(days=12), ("carer", "money"), area="leersum", followed_after=3)
