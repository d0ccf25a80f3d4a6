"""Benchmark the area analysis page (issue #15) for one municipality with 3 years of data.

Run from the project root:

    .venv/bin/python -m bench.insights [--database sqlite|postgres|both] [--database-url URL]
                                       [--requests 40] [--scale 1.0] [--no-gunicorn] [--profile]

It builds, per database (a temporary SQLite file; PostgreSQL in a schema of its own that is
dropped afterwards), the 7 demo areas of the Utrechtse Heuvelrug with 3 years of work up to the
app clock's today (clock.today(): the real date, moved by SOCIALE_KAART_CLOCK_OFFSET_DAYS):
20,000 help requests (with their dates, statuses and repeat requesters), 17,000 matches, 1,600
volunteers, 1,000 services (900 published), 200,000 logged searches, 2,000 signals and the
population per area, spread over the areas and the years and bulk-inserted (core inserts,
executemany). The search log is kept 3 years here (SEARCH_LOG_MONTHS 37, the default is 12), and
the nightly job search-log-months has added up the months that are over, as in production (this
month's searches are counted from the log). Then it logs a policy officer (beleidsmedewerker) in
through the login form and times, after a warm-up, N requests of each page, taking turns page by
page:

- baselines: /over-deze-kaart (public, nothing counted) and /werkplek/ (the workspace home);
- /werkplek/analyse (the default: last 12 months by month, the whole municipality), by quarter,
  all 36 months by quarter, one area, and the CSV file of the heat table.

First through the WSGI app in this process (Flask's test client with the real session cookie;
it also counts the SQL statements per page; what the process holds by then is kept out of the
garbage collector's full runs with gc.freeze(), as wsgi.py does in a server), then over HTTP
against gunicorn (2 workers, as in production) with one client in a loop. It prints p50 / p95 /
max in milliseconds per page, the build time and the load average. Target (issue #15): the
analysis pages ≤ 300 ms p95. --scale 0.1 makes a tenth of everything (a quick look); --profile
prints cProfile's top functions of the default page in this process.
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import os
import pstats
import random
import re
import shutil
import signal as process_signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from contextlib import ExitStack
from datetime import date, datetime, timedelta
from datetime import time as wall

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from sqlalchemy import event, insert, text  # noqa: E402

from bench.database import database_url, postgres_schema  # noqa: E402
from sociale_kaart import clock, create_app  # noqa: E402
from sociale_kaart.accounts.models import User, UserRole  # noqa: E402
from sociale_kaart.accounts.passwords import hash_password  # noqa: E402
from sociale_kaart.directory import (
    search_log,  # noqa: E402
    seed,  # noqa: E402
    vocabularies,  # noqa: E402
)
from sociale_kaart.directory import services as directory  # noqa: E402
from sociale_kaart.directory.cli import DEMO_FOLDER  # noqa: E402
from sociale_kaart.directory.models import (  # noqa: E402
    Location,
    Organization,
    Schedule,
    Service,
    ServiceAtLocation,
    service_areas,
    service_categories,
)
from sociale_kaart.directory.search_log import SearchLogEntry  # noqa: E402
from sociale_kaart.extensions import db  # noqa: E402
from sociale_kaart.insights import periods  # noqa: E402
from sociale_kaart.insights.models import AreaPopulation  # noqa: E402
from sociale_kaart.matching import timeslots  # noqa: E402
from sociale_kaart.matching.models import HelpRequest, Match, Occurrence, VolunteerProfile  # noqa: E402
from sociale_kaart.signals import services as signals  # noqa: E402
from sociale_kaart.signals.models import Signal  # noqa: E402

SEED = 15
YEARS = 3
PASSWORD = "Bench-Beleid-2026-analyse"
POLICY_EMAIL = "beleid@bench.example.org"
TARGET_MS = 300
SEARCH_LOG_MONTHS = 12 * YEARS + 1  # every search built is kept (the default keeps 12 months)
TOKEN = re.compile(r'name="csrf_token"(?: type="hidden")? value="([^"]+)"')

# residents per area (roughly the villages of the Utrechtse Heuvelrug): requests, volunteers and
# searches follow them
RESIDENTS = {
    "driebergen_rijsenburg": 19400,
    "doorn": 10400,
    "leersum": 7700,
    "amerongen": 4700,
    "maarn": 4400,
    "overberg": 1100,
    "maarsbergen": 1300,
}
TASK_WEIGHTS = {
    "boodschappen": 22,
    "vervoer": 24,
    "gezelschap": 14,
    "respijt": 6,
    "klusjes": 9,
    "tuin": 8,
    "administratie": 7,
    "digitaal": 6,
    "bewegen": 3,
    "overig": 1,
}
SEARCHES = [  # (text, share of searches without results)
    ("boodschappen", 0.02),
    ("boodschappenhulp", 0.05),
    ("vervoer", 0.03),
    ("vervoer ziekenhuis", 0.2),
    ("rijdienst", 0.05),
    ("automaatje", 0.1),
    ("oppas voor mijn moeder", 0.6),
    ("respijtzorg", 0.05),
    ("mantelzorg", 0.02),
    ("mantelzorgondersteuning", 0.05),
    ("eenzaam", 0.05),
    ("maatje", 0.1),
    ("dementie", 0.03),
    ("alzheimer cafe", 0.2),
    ("schulden", 0.05),
    ("formulieren invullen", 0.2),
    ("belastingaangifte", 0.4),
    ("computerhulp", 0.2),
    ("digid", 0.3),
    ("klusjes", 0.2),
    ("tuin", 0.3),
    ("tuinonderhoud", 0.5),
    ("wandelen", 0.1),
    ("gym ouderen", 0.3),
    ("maaltijden", 0.05),
    ("eetclub", 0.2),
    ("taalcafe", 0.1),
    ("buurthuis", 0.02),
    ("repair cafe", 0.1),
    ("sportschool", 0.9),
    ("kinderopvang", 0.7),
    ("huisarts", 0.8),
    ("fysiotherapie", 0.6),
    ("wmo", 0.2),
    ("rolstoel", 0.4),
    ("thuiszorg", 0.3),
    ("mantelzorgcafe", 0.2),
    ("respijtsorg", 0.5),
    ("vrijwilliger", 0.1),
    ("rouwverwerking", 0.6),
]


# --- building the data -----------------------------------------------------------------------------


class Builder:
    """Makes the rows with one random generator; dates from the app clock."""

    def __init__(self, scale: float, rng: random.Random):
        self.scale, self.rng = scale, rng
        self.today = clock.today()
        self.first = periods.shift_month(self.today, -12 * YEARS)
        self.now = clock.naive_utcnow()

    def n(self, count: int) -> int:
        return max(1, round(count * self.scale))

    def day(self, first: date | None = None, growth: float = 0.8) -> date:
        """Return a local day between `first` (default: 3 years back) and today; more of them lately."""
        first = first or self.first
        span = (self.today - first).days
        return first + timedelta(days=min(span, int(span * self.rng.random() ** growth)))

    def moment(self, day: date, hour_from=8, hour_to=20) -> datetime:
        local = wall(self.rng.randrange(hour_from, hour_to), self.rng.randrange(60))
        return min(timeslots.to_utc_naive(timeslots.localize(day, local)), self.now)


def insert_rows(model, rows: list[dict], returning: bool = False) -> list[int]:
    """Insert rows with one executemany; return their ids (in the order given) when asked."""
    if not rows:
        return []
    names = {name for row in rows for name in row}  # one executemany wants the same columns in every row
    rows = [{name: row.get(name) for name in names} for row in rows]
    if returning:
        statement = insert(model.__table__).returning(model.id, sort_by_parameter_order=True)
        return list(db.session.connection().execute(statement, rows).scalars())
    db.session.connection().execute(insert(model.__table__), rows)
    return []


def build(scale: float, rng: random.Random) -> dict:
    """Fill an empty database with 3 years of one municipality's work; return how many rows of each."""
    b = Builder(scale, rng)
    counts = {}
    areas = seed.load_areas(DEMO_FOLDER, directory.geocoder(), "1581")
    area_ids = {code: area.id for code, area in areas.items()}
    area_places = {code: (area.lat, area.lon, (area.postcodes or ["3941"])[0]) for code, area in areas.items()}

    def pick_area():
        return rng.choices(list(RESIDENTS), weights=list(RESIDENTS.values()))[0]

    # population (CBS-like figures)
    populations = [
        dict(
            area_id=area_ids[code],
            region_codes=f"WK1581{index:02d}",
            year=b.today.year - 1,
            residents=people,
            aged_65_plus=people * 26 // 100,
            aged_75_plus=people * 12 // 100,
            single_person_households=people * 17 // 100,
            source="CBS Kerncijfers wijken en buurten",
        )
        for index, (code, people) in enumerate(RESIDENTS.items())
    ]
    everyone = sum(RESIDENTS.values())
    populations.append(
        dict(
            area_id=None,
            region_codes="GM1581",
            year=b.today.year - 1,
            residents=everyone,
            aged_65_plus=everyone * 26 // 100,
            aged_75_plus=everyone * 12 // 100,
            single_person_households=everyone * 17 // 100,
            source="CBS Kerncijfers wijken en buurten",
        )
    )
    insert_rows(AreaPopulation, populations)

    # the policy officer who reads the page, and a broker per area
    password = hash_password(PASSWORD)
    policy = User(email=POLICY_EMAIL, name="Beleid (bench)", password_hash=password, email_confirmed_at=b.now)
    policy.role_rows = [UserRole(role="policy")]
    db.session.add(policy)
    for code, area in areas.items():
        broker = User(
            email=f"makelaar-{code}@bench.example.org",
            name=f"Makelaar {area.name}",
            password_hash=password,
            email_confirmed_at=b.now,
        )
        broker.role_rows = [UserRole(role="broker")]
        broker.areas = [area]
        db.session.add(broker)
    db.session.flush()

    counts["services"] = _build_services(b, area_ids, pick_area)
    volunteers, counts["volunteers"] = _build_volunteers(b, area_ids, area_places, pick_area)
    counts["help requests"], counts["matches"] = _build_requests(b, area_ids, area_places, pick_area, volunteers)
    counts["searches"] = _build_searches(b, areas, pick_area)
    counts["signals"] = _build_signals(b, area_ids, pick_area)
    db.session.commit()
    return counts


def _build_services(b: Builder, area_ids: dict, pick_area) -> int:
    rng = b.rng
    directory.ensure_taxonomies()
    terms = [term.id for term in directory.taxonomy_terms("category")]
    organizations = insert_rows(
        Organization,
        [dict(slug=f"bench-org-{i}", name=f"Organisatie {i} (bench)", kind="stichting") for i in range(b.n(120))],
        returning=True,
    )
    locations = []
    for i in range(b.n(700)):
        code = pick_area()
        locations.append(
            dict(
                organization_id=rng.choice(organizations),
                name=f"Locatie {i}",
                address_1=f"Dorpsstraat {i}",
                postal_code="3941 AB",
                city=code.title(),
                area_id=None if rng.random() < 0.1 else area_ids[code],
                lat=52.04 + rng.uniform(-0.03, 0.03),
                lon=5.38 + rng.uniform(-0.08, 0.08),
            )
        )
    location_ids = insert_rows(Location, locations, returning=True)
    levels = vocabularies.codes(vocabularies.PYRAMID_LEVELS)
    routes = vocabularies.codes(vocabularies.ACCESS_ROUTES)
    costs = [["gratis"], ["gratis"], ["gratis"], ["eigen_bijdrage_wmo"], ["betaald"], ["zorgverzekering"]]
    count = b.n(1000)
    service_ids = insert_rows(
        Service,
        [
            dict(
                organization_id=rng.choice(organizations),
                slug=f"bench-dienst-{i}",
                name=f"Dienst {i} (bench)",
                summary="Een korte zin over deze hulp.",
                pyramid_level=rng.choice(levels),
                access_route=rng.choice(routes),
                cost=rng.choice(costs),
                modes=["op_locatie"],
                languages=["nl"],
                keywords=[],
                publication_status="published" if rng.random() < 0.9 else rng.choice(("draft", "pending", "archived")),
                status="active" if rng.random() < 0.97 else "defunct",
                assured_date=b.today - timedelta(days=rng.randrange(300)),
            )
            for i in range(count)
        ],
        returning=True,
    )
    links, categories, areas_of, schedules = [], [], [], []
    for service_id in service_ids:
        for location_id in rng.sample(location_ids, 1 if rng.random() < 0.85 else 2):
            links.append(dict(service_id=service_id, location_id=location_id))
        for term_id in rng.sample(terms, rng.choice((1, 1, 2, 3))):
            categories.append(dict(service_id=service_id, term_id=term_id))
        if rng.random() < 0.3:
            for code in rng.sample(list(area_ids), rng.choice((1, 2))):
                areas_of.append(dict(service_id=service_id, area_id=area_ids[code]))
        for weekday in rng.sample(range(7), rng.choice((0, 1, 2, 3, 5))):
            opens = rng.choice((9, 10, 13, 19))
            schedules.append(
                dict(
                    service_id=service_id,
                    weekday=weekday,
                    opens_at=wall(opens),
                    closes_at=wall(min(opens + rng.choice((2, 3, 4, 8)), 23)),
                )
            )
    insert_rows(ServiceAtLocation, links)
    db.session.execute(insert(service_categories), categories)
    if areas_of:
        db.session.execute(insert(service_areas), areas_of)
    insert_rows(Schedule, schedules)
    return count


def _build_volunteers(b: Builder, area_ids: dict, places: dict, pick_area):
    """Return ({area code: [(volunteer id, approved day, active)]}, count)."""
    rng = b.rng
    count = b.n(1600)
    users = insert_rows(
        User,
        [
            dict(email=f"vrijwilliger{i}@bench.example.org", name=f"Vrijwilliger {i}", email_confirmed_at=b.now)
            for i in range(count)
        ],
        returning=True,
    )
    insert_rows(UserRole, [dict(user_id=user_id, role="volunteer") for user_id in users])
    tasks, weights = list(TASK_WEIGHTS), list(TASK_WEIGHTS.values())
    profiles, kept = [], []
    for user_id in users:
        code = pick_area()
        lat, lon, pc4 = places[code]
        approved = b.day(b.first - timedelta(days=365), growth=0.9) if rng.random() < 0.95 else None
        status = (
            "pending"
            if approved is None
            else ("stopped" if rng.random() < 0.12 + 0.1 * ((b.today - approved).days / 1500) else "active")
        )
        paused = status == "active" and rng.random() < 0.06
        profiles.append(
            dict(
                user_id=user_id,
                status=status,
                first_name="Vrijwilliger",
                postcode=f"{pc4} AB",
                pc4=pc4,
                place_name=code.title(),
                area_id=area_ids[code],
                lat=lat + rng.uniform(-0.01, 0.01),
                lon=lon + rng.uniform(-0.01, 0.01),
                task_types=sorted(set(rng.choices(tasks, weights, k=rng.choice((1, 2, 3))))),
                availability=sum(1 << bit for bit in rng.sample(range(21), rng.randrange(2, 12))),
                max_tasks_per_week=rng.choice((1, 1, 2, 2, 3, 5)),
                paused=paused,
                paused_until=b.today + timedelta(days=rng.randrange(-20, 60))
                if paused and rng.random() < 0.5
                else None,
                approved_at=b.moment(approved) if approved else None,
            )
        )
        kept.append((code, approved, status))
    ids = insert_rows(VolunteerProfile, profiles, returning=True)
    by_area = {}
    for volunteer_id, (code, approved, status) in zip(ids, kept, strict=True):
        if approved is not None:
            by_area.setdefault(code, []).append((volunteer_id, approved, status))
    return by_area, count


def _request_status(rng, age: int) -> str:
    if age > 60:
        table = (("done", 76), ("cancelled", 10), ("expired", 10), ("rejected", 4))
    elif age > 14:
        table = (
            ("done", 48),
            ("matched", 22),
            ("cancelled", 8),
            ("expired", 6),
            ("open", 10),
            ("proposed", 2),
            ("rejected", 4),
        )
    else:
        table = (("submitted", 10), ("open", 35), ("proposed", 15), ("matched", 35), ("rejected", 5))
    return rng.choices([s for s, _ in table], [w for _, w in table])[0]


def _build_requests(b: Builder, area_ids: dict, places: dict, pick_area, volunteers: dict):
    rng = b.rng
    count = b.n(20000)
    tasks, weights = list(TASK_WEIGHTS), list(TASK_WEIGHTS.values())
    requesters = {
        code: [f"inwoner{code}{i}@bench.example.org" for i in range(max(1, b.n(people // 5)))]
        for code, people in RESIDENTS.items()
    }
    rows, plans = [], []
    for asked in sorted(b.day() for _ in range(count)):  # in the order they came in, as ids are
        code = pick_area()
        lat, lon, pc4 = places[code]
        created = b.moment(asked)
        age = (b.today - asked).days
        status = _request_status(rng, age)
        confirmed = (
            None if status == "submitted" and rng.random() < 0.5 else created + timedelta(minutes=rng.randrange(1, 300))
        )
        if confirmed is not None and confirmed > b.now:
            confirmed = b.now
        weeks = 1 if rng.random() < 0.85 else rng.choice((4, 6, 8))
        first_date = asked + timedelta(days=rng.randrange(2, 15))
        start = wall(rng.choice((9, 10, 13, 14)))
        # a few requesters ask often: repeat help by the same volunteer shows on the page
        contact = rng.choice(
            requesters[code][: max(1, len(requesters[code]) // 8)] if rng.random() < 0.4 else requesters[code]
        )
        rows.append(
            dict(
                status=status,
                task_type=rng.choices(tasks, weights)[0],
                urgency=rng.choice(("normal", "normal", "high")),
                relation=rng.choice(("self", "carer", "other")),
                contact_name="Inwoner (bench)",
                contact_email=contact,
                contact_phone="",
                recipient_first_name="Piet",
                description="(bench)",
                summary="(bench)",
                postcode=f"{pc4} AB",
                pc4=pc4,
                place_name=code.title(),
                area_id=area_ids[code],
                lat=lat + rng.uniform(-0.01, 0.01),
                lon=lon + rng.uniform(-0.01, 0.01),
                schedule_kind="series" if weeks > 1 else "once",
                first_date=first_date,
                window_start=start,
                window_end=wall(start.hour + 3),
                duration_minutes=rng.choice((60, 90, 120)),
                weeks=weeks,
                created_at=created,
                updated_at=created,
                confirmed_at=confirmed,
                reviewed_at=confirmed if status != "submitted" else None,
                closed_at=confirmed + timedelta(days=rng.randrange(3, 40))
                if status in ("done", "cancelled", "expired", "rejected")
                else None,
            )
        )
        plans.append((code, asked, status, confirmed, contact, weeks))
    ids = insert_rows(HelpRequest, rows, returning=True)

    occurrences, matches, helper_of = [], [], {}
    for request_id, row, (code, asked, status, confirmed, contact, weeks) in zip(ids, rows, plans, strict=True):
        windows = timeslots.occurrence_windows(row["first_date"], row["window_start"], row["window_end"], weeks)
        occurrence_status = {
            "done": "done",
            "cancelled": "cancelled",
            "expired": "cancelled",
            "rejected": "cancelled",
        }.get(status, "open")
        for sequence, (starts, ends) in enumerate(windows, start=1):
            occurrences.append(
                dict(request_id=request_id, sequence=sequence, starts_at=starts, ends_at=ends, status=occurrence_status)
            )
        if confirmed is None or status in ("submitted", "rejected", "open", "expired"):
            continue
        pool = [v for v in volunteers.get(code, ()) if v[1] <= asked] or [
            v for vs in volunteers.values() for v in vs if v[1] <= asked
        ]
        if not pool:
            continue
        if status == "proposed":
            matches.append(
                dict(
                    request_id=request_id,
                    volunteer_id=rng.choice(pool)[0],
                    status="suggested",
                    source="batch",
                    created_at=confirmed,
                )
            )
            continue
        if status == "cancelled" and rng.random() < 0.6:
            continue
        # same requester, same volunteer half of the time
        volunteer_id = helper_of.get(contact) if rng.random() < 0.5 else None
        volunteer_id = volunteer_id or rng.choice(pool)[0]
        if rng.random() < 0.12:  # somebody else was approved first and declined
            other = rng.choice(pool)[0]
            if other != volunteer_id:
                declined = confirmed + timedelta(hours=rng.randrange(2, 72))
                matches.append(
                    dict(
                        request_id=request_id,
                        volunteer_id=other,
                        status="declined",
                        source="broker",
                        created_at=confirmed,
                        approved_at=declined,
                        declined_at=declined,
                    )
                )
        approved = confirmed + timedelta(hours=rng.expovariate(1 / 90))  # median about 2.6 days
        if approved > b.now:
            approved = b.now
        match_status = {"done": "done", "matched": "accepted", "cancelled": "cancelled"}[status]
        matches.append(
            dict(
                request_id=request_id,
                volunteer_id=volunteer_id,
                status=match_status,
                source="broker",
                created_at=confirmed,
                approved_at=approved,
                accepted_at=approved,
                done_at=approved + timedelta(days=7) if match_status == "done" else None,
                cancelled_at=approved + timedelta(days=1) if match_status == "cancelled" else None,
            )
        )
        helper_of[contact] = volunteer_id
    insert_rows(Occurrence, occurrences)
    insert_rows(Match, sorted(matches, key=lambda row: row["created_at"]))
    return count, len(matches)


def _build_searches(b: Builder, areas: dict, pick_area) -> int:
    rng = b.rng
    count = b.n(200000)
    texts = [text for text, _ in SEARCHES]
    zipf = [1 / (rank + 1) ** 0.9 for rank in range(len(texts))]
    zero_share = dict(SEARCHES)
    rows = []
    for _ in range(count):
        query = rng.choices(texts, zipf)[0] if rng.random() < 0.9 else f"{rng.choice(texts)} {rng.randrange(100)}"
        zero = rng.random() < zero_share.get(query, 0.7)
        code = pick_area() if rng.random() < 0.8 else None
        rows.append(
            dict(
                searched_on=b.day(growth=0.9),
                hour=rng.randrange(7, 23),
                query=query,
                result_count=0 if zero else rng.randrange(1, 40),
                area_code=code,
                place_kind=rng.choice(("place", "postcode")) if code else "none",
                radius_km=rng.choice((5, 10, None)),
                filters=rng.choice((0, 0, 1)),
                language="nl" if rng.random() < 0.95 else "en",
                source="web" if rng.random() < 0.9 else "api",
            )
        )
    rows.sort(key=lambda row: row["searched_on"])  # a log is written day by day
    for start in range(0, len(rows), 20000):
        insert_rows(SearchLogEntry, rows[start : start + 20000])
    return count


def _build_signals(b: Builder, area_ids: dict, pick_area) -> int:
    rng = b.rng
    count = b.n(2000)
    themes = ("loneliness", "neglect", "money", "confusion", "carer", "other")
    rows = []
    for _ in range(count):
        day = b.day()
        received = b.moment(day)
        age = (b.today - day).days
        followed = (
            received + timedelta(days=rng.choice((0, 1, 1, 2, 3, 4, 6, 9, 15)))
            if (age > 20 or rng.random() < 0.5)
            else None
        )
        if followed is not None and followed > b.now:
            followed = None
        status = (
            ("closed" if age > 40 and rng.random() < 0.9 else "contact_made")
            if followed
            else rng.choice(("new", "in_progress"))
        )
        rows.append(
            dict(
                status=status,
                outcome=rng.choice(("help_arranged", "referred", "no_concern", "not_reached"))
                if status == "closed"
                else None,
                themes=sorted(set(rng.choices(themes, k=rng.choice((1, 1, 2))))),
                area_id=area_ids[pick_area()] if rng.random() < 0.92 else None,
                description="(bench)",
                received_at=received,
                due_on=signals.due_date(day),
                picked_up_at=followed,
                followed_up_at=followed,
                closed_at=followed + timedelta(days=rng.randrange(1, 30)) if status == "closed" else None,
                updated_at=received,
            )
        )
    insert_rows(Signal, sorted(rows, key=lambda row: row["received_at"]))
    return count


# --- measuring --------------------------------------------------------------------------------------


def pages(today: date) -> list[tuple[str, str]]:
    """Return (name, path) of every page timed; the first two are the baselines."""
    first = periods.shift_month(today, 1 - periods.CHOICE_MONTHS)
    whole = f"van={first.year}-{first.month:02d}&tot={today.year}-{today.month:02d}"
    return [
        ("baseline /over-deze-kaart", "/over-deze-kaart"),
        ("baseline /werkplek/ (home)", "/werkplek/"),
        ("analyse (12 months by month)", "/werkplek/analyse"),
        ("analyse by quarter", "/werkplek/analyse?per=kwartaal"),
        ("analyse 36 months by quarter", f"/werkplek/analyse?{whole}&per=kwartaal"),
        ("analyse one area (Doorn)", "/werkplek/analyse?gebied=doorn"),
        ("CSV tekort.csv", "/werkplek/analyse/tekort.csv"),
    ]


def percentile(values, p):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def load() -> str:
    return "load average (1, 5, 15 min) " + " ".join(f"{value:.2f}" for value in os.getloadavg())


def report(title: str, timings: dict, statements: dict | None = None):
    print(f"== {title} ==")
    print(f"{'page':<32} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8} {'queries':>8} {'KB':>6}  target")
    for name, (values, size) in timings.items():
        queries = f"{statements[name]:>8}" if statements else f"{'':>8}"
        verdict = "" if name.startswith("baseline") else ("ok" if percentile(values, 95) <= TARGET_MS else "SLOW")
        print(
            f"{name:<32} {statistics.median(values):>8.1f} {percentile(values, 95):>8.1f} {max(values):>8.1f} "
            f"{queries} {size / 1024:>6.0f}  {verdict}"
        )
    print(load())


def run_in_process(app, requests: int, warm_up: int):
    """Time each page through the WSGI app (Flask's test client, a real login session); count SQL statements."""
    client = app.test_client()
    token = TOKEN.search(client.get("/inloggen").get_data(as_text=True)).group(1)
    response = client.post("/inloggen", data={"csrf_token": token, "email": POLICY_EMAIL, "password": PASSWORD})
    assert response.status_code == 302, response.get_data(as_text=True)[:300]
    with app.app_context():
        engine = db.engine
        today = clock.today()
    statements = {"count": 0}

    def counted(*_args):
        statements["count"] += 1

    event.listen(engine, "before_cursor_execute", counted)
    try:
        chosen = pages(today)
        timings, per_page = {name: ([], 0) for name, _ in chosen}, {}
        for round_number in range(warm_up + requests):
            for name, path in chosen:
                statements["count"] = 0
                started = time.perf_counter()
                response = client.get(path)
                elapsed = (time.perf_counter() - started) * 1000
                assert response.status_code == 200, (path, response.status_code)
                if round_number >= warm_up:
                    timings[name][0].append(elapsed)
                    timings[name] = (timings[name][0], len(response.data))
                    per_page[name] = statements["count"]
    finally:
        event.remove(engine, "before_cursor_execute", counted)
    return timings, per_page


def profile(app, requests: int):
    client = app.test_client()
    token = TOKEN.search(client.get("/inloggen").get_data(as_text=True)).group(1)
    client.post("/inloggen", data={"csrf_token": token, "email": POLICY_EMAIL, "password": PASSWORD})
    client.get("/werkplek/analyse")
    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(requests):
        client.get("/werkplek/analyse")
    profiler.disable()
    pstats.Stats(profiler).sort_stats("cumulative").print_stats(35)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def run_gunicorn(url: str, folder: str, today: date, requests: int, warm_up: int, workers: int):
    """Time each page over HTTP against gunicorn (the app as production runs it), one client in a loop."""
    import requests as http

    port = free_port()
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    environment = {
        **os.environ,
        "SOCIALE_KAART_DATABASE_URL": url,
        "SOCIALE_KAART_SECRET_KEY": "bench",
        "SOCIALE_KAART_SEARCH_BACKEND": "memory",
        "SOCIALE_KAART_SEARCH_DIR": f"{folder}/index",
        "SOCIALE_KAART_MAIL_DIR": f"{folder}/mail",
        "SOCIALE_KAART_MAP_TILE_URL": "",
        "SOCIALE_KAART_SEARCH_LOG_MONTHS": str(SEARCH_LOG_MONTHS),
    }
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "-w",
            str(workers),
            "-b",
            f"127.0.0.1:{port}",
            "--log-level",
            "warning",
            "wsgi:app",
        ],
        cwd=root,
        env=environment,
        stdout=subprocess.DEVNULL,
    )  # development mode logs every request
    base = f"http://127.0.0.1:{port}"
    try:
        session = http.Session()
        for _ in range(100):
            try:  # the first page of a new worker may take a while on a busy machine
                page = session.get(f"{base}/inloggen", timeout=30)
                break
            except (http.ConnectionError, http.Timeout):
                time.sleep(0.2)
        else:
            raise RuntimeError("gunicorn did not start")
        token = TOKEN.search(page.text).group(1)
        response = session.post(
            f"{base}/inloggen",
            data={"csrf_token": token, "email": POLICY_EMAIL, "password": PASSWORD},
            allow_redirects=False,
        )
        assert response.status_code == 302, response.text[:300]
        chosen = pages(today)
        timings = {name: ([], 0) for name, _ in chosen}
        for round_number in range(warm_up + requests):
            for name, path in chosen:
                started = time.perf_counter()
                response = session.get(base + path, allow_redirects=False)
                elapsed = (time.perf_counter() - started) * 1000
                assert response.status_code == 200, (path, response.status_code)
                if round_number >= warm_up:
                    timings[name] = (timings[name][0] + [elapsed], len(response.content))
        return timings
    finally:
        server.send_signal(process_signal.SIGTERM)
        server.wait(timeout=30)


def run(kind: str, url: str | None, args):
    folder = tempfile.mkdtemp(prefix="bench-insights-")
    url = url or f"sqlite:///{folder}/bench.db"
    app = create_app(
        {
            "ENV": "testing",
            "SECRET_KEY": "bench",
            "RATELIMIT_ENABLED": False,
            "SQLALCHEMY_DATABASE_URI": url,
            "SEARCH_BACKEND": "memory",
            "SEARCH_DIR": f"{folder}/index",
            "MAIL_DIR": f"{folder}/mail",
            "MAP_TILE_URL": "",
            "SEARCH_LOG_MONTHS": SEARCH_LOG_MONTHS,
        }
    )
    with app.app_context():
        db.create_all()
        started = time.perf_counter()
        counts = build(args.scale, random.Random(SEED))
        built = time.perf_counter() - started
        started = time.perf_counter()
        months = search_log.add_up_months()  # what the nightly job search-log-months does
        added_up = time.perf_counter() - started
        if kind == "postgres":
            with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
                connection.execute(text("ANALYZE"))  # as autovacuum would after a load
        db.session.remove()
    print(
        f"== {kind}: built in {built:.1f} s: "
        + ", ".join(f"{number:,} {name}" for name, number in counts.items())
        + f" (up to {clock_today(app)}); {months} months of searches added up in {added_up:.1f} s =="
    )
    gc.collect()
    gc.freeze()  # what the app holds now lives as long as the process, as wsgi.py has it in a server
    if args.profile:
        profile(app, 5)
    timings, statements = run_in_process(app, args.requests, args.warm_up)
    report(f"{kind}, through the WSGI app in this process, {args.requests} requests a page", timings, statements)
    with app.app_context():
        db.engine.dispose()
    if not args.no_gunicorn:
        timings = run_gunicorn(url, folder, clock_today(app), args.requests, args.warm_up, args.workers)
        report(f"{kind}, over HTTP against gunicorn -w {args.workers}, {args.requests} requests a page", timings)
    shutil.rmtree(folder, ignore_errors=True)


def clock_today(app) -> date:
    with app.app_context():
        return clock.today()


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", choices=("sqlite", "postgres", "both"), default="both")
    parser.add_argument(
        "--database-url",
        help="PostgreSQL server (a schema of its own is made and dropped; default: "
        "SOCIALE_KAART_TEST_DATABASE_URL or the local server)",
    )
    parser.add_argument("--requests", type=int, default=40, help="timed requests a page (default 40)")
    parser.add_argument("--warm-up", type=int, default=3, help="untimed rounds first (default 3)")
    parser.add_argument("--scale", type=float, default=1.0, help="fraction of the data (default 1: 20,000 requests)")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers (default 2)")
    parser.add_argument("--no-gunicorn", action="store_true", help="only time through the WSGI app in this process")
    parser.add_argument("--profile", action="store_true", help="print cProfile's top of the default page")
    args = parser.parse_args(argv)
    print(f"== area analysis (issue #15), {os.cpu_count()} CPUs, {load()} ==")
    if args.database in ("sqlite", "both"):
        run("sqlite", None, args)
    if args.database in ("postgres", "both"):
        with ExitStack() as stack:
            url = stack.enter_context(postgres_schema(database_url(args.database_url), "insights"))
            run("postgres", url, args)


if __name__ == "__main__":
    main()
