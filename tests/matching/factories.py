"""Builders for the matching tests (issue #4): areas, requests, volunteers, brokers, matches.

Every builder writes rows directly (not through the services), commits, and takes overrides
for any column. Dates are relative to `clock.today()`, so a test that moves the clock first
gets requests in its own future.

    areas = load_areas()                       # the demo areas: "doorn" has PC4 3941, ...
    request = make_request()                   # confirmed, open, one date next week in Doorn
    series = make_request(weeks=8, task_type="respijt")
    volunteer = make_volunteer(postcode="3971 KL")   # active profile; volunteer.user has the role
    broker = make_broker(areas=("doorn",))
    match = make_match(request, volunteer, status="approved")   # books the open dates
"""

import itertools
from datetime import time, timedelta

from sociale_kaart import clock
from sociale_kaart.directory.models import Area
from sociale_kaart.extensions import db
from sociale_kaart.matching import timeslots
from sociale_kaart.matching.models import Booking, HelpRequest, Match, Occurrence, VolunteerProfile
from tests.builders import make_user

_numbers = itertools.count(1)

DOORN = "3941 AB"
DRIEBERGEN = "3971 KL"


def load_areas():
    """Load the areas of the demo's own municipality (Utrechtse Heuvelrug, not its neighbour Rhenen) once
    per test database; return {code: Area}. A test of a region adds Rhenen (municipalities.add_municipality)."""
    from flask import current_app

    from sociale_kaart.directory import seed
    from sociale_kaart.directory.cli import DEMO_FOLDER

    areas = {area.code: area for area in db.session.scalars(db.select(Area))}
    if "doorn" not in areas:
        areas = seed.load_areas(DEMO_FOLDER, _geocoder(), current_app.config["MUNICIPALITY_CODE"], own_only=True)
    return areas


def load_region():
    """Load the demo's areas of both municipalities, Utrechtse Heuvelrug and Rhenen (issue #20); return {code: Area}."""
    from flask import current_app

    from sociale_kaart.directory import seed
    from sociale_kaart.directory.cli import DEMO_FOLDER

    areas = {area.code: area for area in db.session.scalars(db.select(Area))}
    if "doorn" not in areas or "elst" not in areas:
        areas = seed.load_areas(DEMO_FOLDER, _geocoder(), current_app.config["MUNICIPALITY_CODE"])
    return areas


def area(code):
    """Return the demo area with a code (loading the areas when needed)."""
    return load_areas()[code]


def _geocoder():
    from flask import current_app

    return current_app.extensions["sociale_kaart.geocoder"]


def _place(postcode):
    """Return (place, area) for a postcode: coordinates from the app's geocoder, area from its PC4."""
    place = _geocoder().resolve(postcode)
    areas = load_areas()
    found = next((a for a in areas.values() if place.postcode4 in (a.postcodes or [])), None)
    return place, found


def next_weekday(weekday, at_least_days=3):
    """Return the first local date on a weekday (0 = Monday) at least some days after today."""
    day = clock.today() + timedelta(days=at_least_days)
    return day + timedelta(days=(weekday - day.weekday()) % 7)


def make_request(occurrences=True, **overrides):
    """Create and commit a confirmed, open help request in Doorn with its dates.

    Defaults: task type boodschappen (no VOG), next Tuesday at least 3 days ahead, 13:00-17:00,
    120 minutes, one date (pass weeks=8 for a series), contact with e-mail and phone.
    `postcode` resolves the place, PC4 and area; `area` takes a code or an Area.
    """
    number = next(_numbers)
    postcode = overrides.pop("postcode", DOORN)
    place, found_area = _place(postcode)
    area_override = overrides.pop("area", found_area)
    if isinstance(area_override, str):
        area_override = load_areas()[area_override]
    weeks = overrides.get("weeks", 1)
    now = clock.naive_utcnow()
    values = {
        "status": "open",
        "task_type": "boodschappen",
        "urgency": "normal",
        "relation": "carer",
        "contact_name": f"Anna Aanvrager {number}",
        "contact_email": f"aanvrager{number}@example.org",
        "contact_phone": f"06-1234{number:04d}",
        "recipient_name": f"Piet Ontvanger {number}",
        "recipient_first_name": "Piet",
        "description": "Vader heeft beginnende dementie (alleen voor de makelaar).",
        "summary": "Samen boodschappen doen bij de supermarkt in het dorp.",
        "street": "Dorpsstraat",
        "house_number": str(number),
        "postcode": postcode,
        "pc4": place.postcode4,
        "place_name": place.place or "",
        "area": area_override,
        "lat": place.lat,
        "lon": place.lon,
        "schedule_kind": "series" if weeks > 1 else "once",
        "first_date": next_weekday(1),
        "window_start": time(13, 0),
        "window_end": time(17, 0),
        "duration_minutes": 120,
        "weeks": weeks,
        "confirmed_at": now,
        "reviewed_at": now,
    }
    values.update(overrides)
    request = HelpRequest(**values)
    if occurrences:
        windows = timeslots.occurrence_windows(
            request.first_date, request.window_start, request.window_end, request.weeks
        )
        request.occurrences = [
            Occurrence(sequence=index, starts_at=start, ends_at=end)
            for index, (start, end) in enumerate(windows, start=1)
        ]
    db.session.add(request)
    db.session.commit()
    return request


def make_volunteer(user=None, **overrides):
    """Create and commit an active volunteer (user with the volunteer role) and return the profile.

    Defaults: lives in Doorn, bikes up to 10 km, every task type, Dutch, available in every day
    part, 2 tasks a week, no VOG. `postcode` resolves place, PC4 and area; user fields go in
    `user_values`.
    """
    from sociale_kaart.matching.vocabularies import TASK_TYPES

    user_values = overrides.pop("user_values", {})
    if user is None:
        user = make_user(roles=("volunteer",), **user_values)
    number = next(_numbers)
    postcode = overrides.pop("postcode", DOORN)
    place, found_area = _place(postcode)
    area_override = overrides.pop("area", found_area)
    if isinstance(area_override, str):
        area_override = load_areas()[area_override]
    values = {
        "user": user,
        "status": "active",
        "first_name": f"Vera{number}",
        "phone": f"06-8765{number:04d}",
        "postcode": postcode,
        "pc4": place.postcode4,
        "place_name": place.place or "",
        "area": area_override,
        "lat": place.lat,
        "lon": place.lon,
        "travel_mode": "bike",
        "max_km": 10.0,
        "task_types": sorted(TASK_TYPES),
        "skills": [],
        "languages": ["nl"],
        "availability": timeslots.FULL_WEEK,
        "max_tasks_per_week": 2,
        "approved_at": clock.naive_utcnow(),
    }
    values.update(overrides)
    profile = VolunteerProfile(**values)
    db.session.add(profile)
    db.session.commit()
    return profile


def make_broker(areas=("doorn",), **overrides):
    """Create and commit a broker for areas (codes or Area rows)."""
    known = load_areas()
    rows = [known[a] if isinstance(a, str) else a for a in areas]
    overrides.setdefault("name", f"Bram Makelaar {next(_numbers)}")
    return make_user(roles=("broker",), areas=rows, **overrides)


def make_match(request, volunteer, status="suggested", book=None, **overrides):
    """Create and commit a match; approved/accepted ones book the request's open dates (book=False: not)."""
    now = clock.naive_utcnow()
    values = {"request": request, "volunteer": volunteer, "status": status, "source": "broker"}
    if status in ("approved", "accepted", "done"):
        values["approved_at"] = now
    if status in ("accepted", "done"):
        values["accepted_at"] = now
    values.update(overrides)
    match = Match(**values)
    db.session.add(match)
    if book is None:
        book = status in ("approved", "accepted")
    if book:
        for occurrence in request.occurrences:
            if occurrence.status == "open":
                db.session.add(
                    Booking(
                        match=match,
                        occurrence=occurrence,
                        volunteer_id=volunteer.id,
                        starts_at=occurrence.starts_at,
                        ends_at=occurrence.ends_at,
                    )
                )
                occurrence.status = "booked"
        db.session.flush()
    db.session.commit()
    return match
