"""Demo data of the matching module (issue #4, item 9): volunteers and help requests.

Everyone here is made up, and marked so: every name ends in "(fictief)" and every e-mail
address is @example.org. `flask seed demo` calls load_demo_matching() after the areas are
loaded. Running it again adds nothing (volunteers are found by e-mail address, requests by
their contact address); dates are set relative to the day of the first run.

Rows are written directly rather than through the services, so loading demo data queues
no e-mails; the statuses, bookings and history are what the services would have left.
"""

import secrets
from datetime import time, timedelta

from flask import current_app
from sqlalchemy import select

from .. import clock, transactions
from ..accounts.models import User, UserRole
from ..accounts.passwords import hash_password
from ..directory.areas import area_containing
from ..directory.models import Area
from ..extensions import db
from . import states, timeslots
from .models import Booking, Feedback, HelpRequest, Match, Occurrence, VolunteerProfile

DEMO_DOMAIN = "example.org"
FICTIONAL = "(fictief)"
VOLUNTEER_AGE_DAYS = 90  # a demo volunteer signed up this long before the demo was loaded


def _cells(*pairs):
    """Return a grid mask from ("tue", "afternoon") style pairs."""
    return timeslots.mask_from_cells(
        (timeslots.WEEKDAY_CODES.index(day), timeslots.PART_CODES.index(part)) for day, part in pairs
    )


WEEKDAYS = ("mon", "tue", "wed", "thu", "fri")

# (key, first name, surname, postcode, travel mode, km, task types, skills, languages, grid, per week,
#  status, paused, VOG)
VOLUNTEERS = (
    (
        "vera",
        "Vera",
        "Visser",
        "3971 KL",
        "bike",
        8.0,
        ("respijt", "gezelschap", "boodschappen"),
        ("dementie",),
        ("nl", "en"),
        _cells(("tue", "afternoon"), ("thu", "afternoon"), ("sat", "morning")),
        2,
        "active",
        False,
        True,
    ),
    (
        "johan",
        "Johan",
        "de Boer",
        "3941 GH",
        "car",
        15.0,
        ("vervoer", "klusjes", "tuin"),
        ("rijbewijs", "klussen"),
        ("nl",),
        _cells(*((day, "morning") for day in WEEKDAYS)),
        3,
        "active",
        False,
        True,
    ),
    (
        "fatima",
        "Fatima",
        "El Amrani",
        "3941 BX",
        "walk",
        3.0,
        ("gezelschap", "boodschappen", "digitaal"),
        ("computer", "koken"),
        ("nl", "ar"),
        _cells(*((day, "afternoon") for day in WEEKDAYS)),
        2,
        "active",
        False,
        False,
    ),
    (
        "kees",
        "Kees",
        "van Dam",
        "3956 AA",
        "bike",
        10.0,
        ("tuin", "klusjes", "bewegen"),
        ("tuinieren", "klussen"),
        ("nl",),
        _cells(("wed", "afternoon"), ("sat", "morning"), ("sat", "afternoon")),
        2,
        "active",
        False,
        False,
    ),
    (
        "ingrid",
        "Ingrid",
        "Smit",
        "3958 BC",
        "car",
        20.0,
        ("vervoer", "administratie", "gezelschap"),
        ("papieren", "rijbewijs"),
        ("nl", "de"),
        _cells(*((day, part) for day in WEEKDAYS for part in ("morning", "afternoon"))),
        3,
        "active",
        False,
        True,
    ),
    (
        "sanne",
        "Sanne",
        "Mulder",
        "3951 AA",
        "bike",
        6.0,
        ("digitaal", "administratie", "bewegen"),
        ("computer",),
        ("nl", "en"),
        _cells(*((day, "evening") for day in WEEKDAYS), ("sat", "morning")),
        2,
        "active",
        False,
        False,
    ),
    (
        "pieter",
        "Pieter",
        "Bakker",
        "3972 AB",
        "walk",
        2.0,
        ("bewegen", "gezelschap"),
        (),
        ("nl",),
        _cells(("mon", "morning"), ("fri", "morning")),
        1,
        "pending",
        False,
        False,
    ),
    (
        "noor",
        "Noor",
        "Hendriks",
        "3941 AB",
        "bike",
        5.0,
        ("boodschappen", "gezelschap"),
        ("huisdieren",),
        ("nl", "tr"),
        _cells(("wed", "morning"), ("wed", "afternoon")),
        1,
        "active",
        True,
        False,
    ),
)


def _more_volunteers():
    """Return 28 more fictional volunteers spread over the villages, so candidate lists have choice."""
    import random

    chooser = random.Random(4)  # fixed: the same demo every time
    names = (
        "Anouk",
        "Bas",
        "Carla",
        "Dirk",
        "Els",
        "Freek",
        "Gerda",
        "Hans",
        "Ilse",
        "Jeroen",
        "Karin",
        "Luuk",
        "Marleen",
        "Niels",
        "Olga",
        "Paul",
        "Quirine",
        "Rob",
        "Saskia",
        "Teun",
        "Ursula",
        "Victor",
        "Wendy",
        "Xander",
        "Yara",
        "Zeynep",
        "Bart",
        "Lotte",
    )
    surnames = ("Jansen", "de Vries", "van den Berg", "Dekker", "Brouwer", "de Graaf", "Vermeulen", "Kok")
    postcodes = ("3941 AB", "3941 GH", "3941 BX", "3971 KL", "3972 AB", "3956 AA", "3958 BC", "3951 AA")
    modes = (("walk", 2.0), ("walk", 3.0), ("bike", 5.0), ("bike", 8.0), ("bike", 12.0), ("car", 15.0), ("car", 25.0))
    tasks = (
        "boodschappen",
        "vervoer",
        "gezelschap",
        "respijt",
        "klusjes",
        "tuin",
        "administratie",
        "digitaal",
        "bewegen",
        "overig",
    )
    skills = (
        "dementie",
        "rolstoel",
        "rijbewijs",
        "computer",
        "papieren",
        "klussen",
        "tuinieren",
        "koken",
        "huisdieren",
        "ehbo",
    )
    rows = []
    for index, first in enumerate(names):
        mode, km = chooser.choice(modes)
        wanted = tuple(sorted(chooser.sample(tasks, chooser.randint(2, 5))))
        days = chooser.sample(("mon", "tue", "wed", "thu", "fri", "sat", "sun"), chooser.randint(2, 4))
        parts = chooser.sample(("morning", "afternoon", "evening"), chooser.randint(1, 2))
        languages = ("nl",) + ((chooser.choice(("en", "de", "ar", "tr", "pl")),) if index % 3 == 0 else ())
        rows.append(
            (
                first.lower(),
                first,
                chooser.choice(surnames),
                chooser.choice(postcodes),
                mode,
                km,
                wanted,
                tuple(chooser.sample(skills, chooser.randint(0, 2))),
                languages,
                _cells(*((day, part) for day in days for part in parts)),
                chooser.randint(1, 3),
                "pending" if index % 9 == 8 else "active",
                index % 11 == 10,
                index % 2 == 0,
            )
        )
    return tuple(rows)


VOLUNTEERS += _more_volunteers()


# (key, status, task type, postcode, place of the fictional street, weekday, days ahead at least,
#  start, end, minutes, weeks, relation, contact, recipient, description, summary, volunteer key,
#  match status, extra)
REQUESTS: tuple[tuple, ...] = (
    (
        "respijt-doorn",
        "submitted",
        "respijt",
        "3941 AB",
        "Dorpsstraat",
        1,
        5,
        time(13, 0),
        time(17, 0),
        240,
        8,
        "carer",
        "Marije Bos",
        "Henk Bos",
        "Vader (82) heeft beginnende dementie. Moeder is overleden; ik zorg voor hem naast mijn werk.",
        "Elke dinsdagmiddag gezelschap bij een meneer thuis, zodat zijn dochter even vrij is. Samen koffie, "
        "een wandelingetje in de tuin.",
        None,
        None,
        {"urgency": "normal", "same_volunteer": True},
    ),
    (
        "boodschappen-driebergen",
        "open",
        "boodschappen",
        "3971 KL",
        "Hoofdstraat",
        3,
        3,
        time(10, 0),
        time(12, 0),
        90,
        1,
        "self",
        "Gerrit Jansen",
        "Gerrit Jansen",
        "Heup gebroken, loopt met rollator. Tijdelijk hulp nodig.",
        "Boodschappen doen bij de supermarkt in het dorp; het lijstje ligt klaar.",
        None,
        None,
        {},
    ),
    (
        "tuin-leersum",
        "open",
        "tuin",
        "3956 AA",
        "Rijksstraatweg",
        5,
        4,
        time(9, 0),
        time(12, 0),
        150,
        1,
        "other",
        "Wijkteam Leersum",
        "Truus de Wit",
        "Mevrouw woont alleen, de tuin groeit dicht. Aangemeld door het wijkteam.",
        "Onkruid wieden en de heg knippen in een kleine achtertuin. Gereedschap is er.",
        None,
        None,
        {"urgency": "low", "period_weeks": 2},  # "geen haast": any morning in two weeks (issue #14)
    ),
    (
        "vervoer-doorn",
        "proposed",
        "vervoer",
        "3941 GH",
        "Amersfoortseweg",
        2,
        4,
        time(9, 0),
        time(11, 30),
        150,
        1,
        "carer",
        "Esther Koster",
        "Wim Koster",
        "Vader moet naar de polikliniek in Zeist; ik kan die ochtend niet vrij krijgen.",
        "Iemand naar het ziekenhuis in Zeist brengen, wachten en weer thuis brengen.",
        "johan",
        "approved",
        {"urgency": "high"},
    ),
    (
        "administratie-amerongen",
        "matched",
        "administratie",
        "3958 BC",
        "Drostestraat",
        0,
        3,
        time(10, 0),
        time(12, 0),
        90,
        1,
        "self",
        "Annie Verbeek",
        "Annie Verbeek",
        "Weduwe sinds kort; de post stapelt zich op.",
        "Samen de post doorlopen en een overzicht maken van wat betaald moet worden.",
        "ingrid",
        "accepted",
        {},
    ),
    (
        "gezelschap-driebergen",
        "done",
        "gezelschap",
        "3971 KL",
        "Traay",
        3,
        -14,
        time(14, 0),
        time(16, 0),
        120,
        1,
        "carer",
        "Sophie Claassen",
        "Jan Claassen",
        "Vader is eenzaam sinds hij niet meer autorijdt.",
        "Een middag op bezoek: een praatje, samen een spelletje.",
        "vera",
        "done",
        {"feedback": True},
    ),
    (
        "digitaal-maarn",
        "open",
        "digitaal",
        "3951 AA",
        "Tuindorpweg",
        1,
        4,
        time(19, 0),
        time(21, 0),
        60,
        1,
        "self",
        "Ria Peters",
        "Ria Peters",
        "Kreeg een tablet van de kinderen en wil leren videobellen.",
        "Uitleg over videobellen op een tablet, aan de keukentafel.",
        "sanne",
        "interested",
        {"message": "Ik woon om de hoek en help graag."},
    ),
    (
        "gezelschap-doorn-ar",
        "open",
        "gezelschap",
        "3941 BX",
        "Kampweg",
        2,
        6,
        time(14, 0),
        time(16, 0),
        120,
        4,
        "carer",
        "Youssef Haddad",
        "Amina Haddad",
        "Moeder spreekt weinig Nederlands en zit veel alleen thuis.",
        "Wekelijks een uurtje gezelschap; Arabisch spreken is fijn.",
        None,
        None,
        {"preferred_language": "ar", "language_required": True},
    ),
)


def _email(kind, key):
    return f"demo-{kind}-{key}@{DEMO_DOMAIN}"


def _geocode(postcode):
    return current_app.extensions["sociale_kaart.geocoder"].resolve(postcode)


def _areas():
    areas = {area.code: area for area in db.session.scalars(select(Area))}
    if not areas:
        from ..directory import seed as directory_seed
        from ..directory.cli import DEMO_FOLDER

        areas = directory_seed.load_areas(
            DEMO_FOLDER, current_app.extensions["sociale_kaart.geocoder"], current_app.config["MUNICIPALITY_CODE"]
        )
    return areas


def _area_of(areas, postcode4):
    return area_containing(areas.values(), postcode4)


def _day(weekday, days_ahead, today):
    """Return a local date on a weekday: the first at least days_ahead away (or that many days back)."""
    day = today + timedelta(days=days_ahead)
    return day + timedelta(days=(weekday - day.weekday()) % 7)


def _age_days(days_ahead):
    """Return how many days before the load a demo request was made (a month for past ones)."""
    return 30 if days_ahead < 0 else 3


def _volunteer(number, row, areas, password_hash, now, today):
    (key, first, surname, postcode, mode, km, tasks, skills, languages, grid, per_week, status, paused, vog) = row
    email = _email("vrijwilliger", key)
    user = db.session.scalar(select(User).where(User.email == email))
    if user is not None:
        return db.session.scalar(select(VolunteerProfile).where(VolunteerProfile.user_id == user.id)), False
    user = User(email=email, name=f"{first} {surname} {FICTIONAL}", password_hash=password_hash, email_confirmed_at=now)
    user.role_rows = [UserRole(role="volunteer")]
    db.session.add(user)
    place = _geocode(postcode)
    profile = VolunteerProfile(
        user=user,
        status=status,
        first_name=first,
        phone=f"06-0000{number:04d}",
        postcode=postcode,
        pc4=place.postcode4,
        place_name=place.place or "",
        area=_area_of(areas, place.postcode4),
        lat=place.lat,
        lon=place.lon,
        travel_mode=mode,
        max_km=km,
        task_types=list(tasks),
        skills=list(skills),
        languages=list(languages),
        availability=grid,
        max_tasks_per_week=per_week,
        paused=paused,
        paused_until=today + timedelta(days=21) if paused else None,
        motivation=f"{FICTIONAL} Ik heb tijd over en help graag mensen in mijn dorp.",
        vog_checked_on=today - timedelta(days=60) if vog else None,
        vog_valid_until=today + timedelta(days=3 * 365) if vog else None,
        created_at=now - timedelta(days=VOLUNTEER_AGE_DAYS),
        approved_at=now - timedelta(days=80) if status == "active" else None,
    )
    db.session.add(profile)
    return profile, True


def _event(request, action, role, at, from_status=None, to_status=None, note=""):
    states.record_event(request, action, None, role, note, from_status, to_status, at=at)


def _request(row, areas, profiles, now, today):
    (
        key,
        status,
        task_type,
        postcode,
        street,
        weekday,
        days_ahead,
        start,
        end,
        minutes,
        weeks,
        relation,
        contact,
        recipient,
        description,
        summary,
        volunteer_key,
        match_status,
        extra,
    ) = row
    email = _email("aanvrager", key)
    if db.session.scalar(select(HelpRequest.id).where(HelpRequest.contact_email == email)) is not None:
        return False
    place = _geocode(postcode)
    period_weeks = extra.get("period_weeks")
    first_date = today if period_weeks else _day(weekday, days_ahead, today)
    created = now - timedelta(days=_age_days(days_ahead))
    request = HelpRequest(
        status=status,
        task_type=task_type,
        urgency=extra.get("urgency", "normal"),
        relation=relation,
        contact_name=f"{contact} {FICTIONAL}",
        contact_email=email,
        contact_phone="0343-000000",
        recipient_name=f"{recipient} {FICTIONAL}",
        recipient_first_name=recipient.split(" ")[0],
        description=f"{FICTIONAL} {description}",
        summary=summary,
        street=f"{street} {FICTIONAL}",
        house_number=str(10 + len(key)),
        postcode=postcode,
        pc4=place.postcode4,
        place_name=place.place or "",
        area=_area_of(areas, place.postcode4),
        lat=place.lat,
        lon=place.lon,
        schedule_kind="series" if weeks > 1 else "once",
        first_date=first_date,
        window_start=start,
        window_end=end,
        duration_minutes=minutes,
        weeks=weeks,
        period_weeks=period_weeks,
        preferred_language=extra.get("preferred_language", "nl"),
        language_required=extra.get("language_required", False),
        same_volunteer=extra.get("same_volunteer", False),
        created_at=created,
        confirmed_at=created,
        reviewed_at=None if status == "submitted" else created + timedelta(hours=20),
    )
    last_day = timeslots.period_days(first_date, period_weeks)[-1] if period_weeks else first_date
    windows = timeslots.occurrence_windows(last_day, start, end, weeks, clock.zone_name())
    request.occurrences = [
        Occurrence(sequence=index, starts_at=s, ends_at=e) for index, (s, e) in enumerate(windows, start=1)
    ]
    db.session.add(request)
    _event(request, "submitted", "requester", created, None, "submitted")
    if status != "submitted":
        _event(request, "status", "broker", created + timedelta(hours=20), "submitted", "open")
    if volunteer_key:
        profile = profiles[volunteer_key]
        match = Match(
            request=request,
            volunteer=profile,
            status=match_status,
            source="interest" if match_status == "interested" else "broker",
            message=extra.get("message", ""),
            created_at=created + timedelta(days=1),
        )
        db.session.add(match)
        if match_status in ("approved", "accepted", "done"):
            match.approved_at = created + timedelta(days=1)
            _event(request, "status", "broker", match.approved_at, "open", "proposed")
            for occurrence in request.occurrences:
                occurrence.status = "done" if match_status == "done" else "booked"
                db.session.add(
                    Booking(
                        match=match,
                        occurrence=occurrence,
                        volunteer_id=profile.id,
                        starts_at=occurrence.starts_at,
                        ends_at=occurrence.ends_at,
                        created_at=match.approved_at,
                    )
                )
        if match_status in ("accepted", "done"):
            match.accepted_at = created + timedelta(days=1, hours=3)
            _event(request, "status", "volunteer", match.accepted_at, "proposed", "matched")
        if match_status == "done":
            match.done_at = request.occurrences[-1].ends_at + timedelta(hours=2)
            profile.last_task_at = request.occurrences[-1].ends_at
            request.closed_at = match.done_at
            _event(request, "status", "system", match.done_at, "matched", "done")
            if extra.get("feedback"):
                match.feedback = [
                    Feedback(
                        author_role="requester",
                        happened=True,
                        rating=3,
                        comment=f"{FICTIONAL} Vader keek er de hele week naar uit.",
                        created_at=match.done_at,
                    ),
                    Feedback(
                        author_role="volunteer",
                        happened=True,
                        rating=3,
                        comment=f"{FICTIONAL} Gezellige middag, we hebben gesjoeld.",
                        created_at=match.done_at,
                    ),
                ]
    return True


def load_demo_matching(password=None):
    """Add the fictional volunteers and help requests once; return counts of demo rows present and added.

    password: give the demo volunteer accounts this password (to log in as one); without it they
    have none and can set one with "Wachtwoord vergeten".
    """
    now = clock.naive_utcnow()
    today = clock.today()
    areas = _areas()
    password_hash = hash_password(password) if password else None
    profiles, added_volunteers = {}, 0
    for number, row in enumerate(VOLUNTEERS, start=1):
        profile, added = _volunteer(number, row, areas, password_hash, now, today)
        profiles[row[0]] = profile
        added_volunteers += added
    db.session.flush()
    added_requests = sum(_request(row, areas, profiles, now, today) for row in REQUESTS)
    transactions.commit()
    return {
        "volunteers": len(VOLUNTEERS),
        "requests": len(REQUESTS),
        "volunteers_added": added_volunteers,
        "requests_added": added_requests,
    }


# --- moving the demo to today (issue #10) ------------------------------------------------------

_REQUEST_MOMENTS = ("created_at", "confirmed_at", "reviewed_at", "closed_at")
_MATCH_MOMENTS = ("created_at", "approved_at", "accepted_at", "declined_at", "cancelled_at", "done_at", "no_show_at")
_VOLUNTEER_MOMENTS = ("created_at", "approved_at", "last_task_at", "paused_until", "vog_checked_on", "vog_valid_until")


def _shift(row, names, move):
    for name in names:
        value = getattr(row, name)
        if value is not None:
            setattr(row, name, move(value))


def _move_request(request, days_ahead, now, today, zone):
    """Put a demo request back where a load today would put it, with its matches and history.

    The dates move by whole weeks (same weekday, same local times). What happened before the
    first date (asked, reviewed, proposed) moves with the day the request was made, as the
    seeder sets it; what happened after (done, feedback) moves with the dates.
    """
    first_start = min(occurrence.starts_at for occurrence in request.occurrences)
    if request.is_period:  # a period starts on the day of the load
        dates = today - request.first_date
    else:
        dates = _day(request.first_date.weekday(), days_ahead, today) - request.first_date
    history = now - timedelta(days=_age_days(days_ahead)) - request.created_at

    def move(moment):
        return moment + (dates if moment >= first_start else history)

    request.first_date += dates
    _shift(request, _REQUEST_MOMENTS, move)
    windows = timeslots.occurrence_windows(
        request.period_last_day or request.first_date, request.window_start, request.window_end, request.weeks, zone
    )
    for occurrence, (start, end) in zip(sorted(request.occurrences, key=lambda o: o.sequence), windows, strict=False):
        occurrence.starts_at, occurrence.ends_at = start, end
    for event in request.events:
        event.created_at = move(event.created_at)
    for match in request.matches:
        _shift(match, _MATCH_MOMENTS, move)
        for booking in match.bookings:
            booking.starts_at, booking.ends_at = booking.occurrence.starts_at, booking.occurrence.ends_at
            _shift(booking, ("created_at", "released_at"), move)
        for feedback in match.feedback:
            feedback.created_at = move(feedback.created_at)


def refresh_demo_matching():
    """Move the demo's requests and volunteers so that their dates are those of a load today.

    Returns how many requests and volunteers moved.
    """
    now, today, zone = clock.naive_utcnow(), clock.today(), clock.zone_name()
    moved_requests = moved_volunteers = 0
    for row in REQUESTS:
        key, days_ahead = row[0], row[6]
        request = db.session.scalar(select(HelpRequest).where(HelpRequest.contact_email == _email("aanvrager", key)))
        if request is not None and request.occurrences:
            before = request.first_date, request.created_at
            _move_request(request, days_ahead, now, today, zone)
            moved_requests += (request.first_date, request.created_at) != before
    for row in VOLUNTEERS:
        profile = db.session.scalar(
            select(VolunteerProfile).join(VolunteerProfile.user).where(User.email == _email("vrijwilliger", row[0]))
        )
        if profile is None:
            continue
        delta = timedelta(days=(now - timedelta(days=VOLUNTEER_AGE_DAYS) - profile.created_at).days)
        if delta:
            _shift(profile, _VOLUNTEER_MOMENTS, lambda value, delta=delta: value + delta)
            for absence in profile.absences:
                absence.starts_on += delta
                absence.ends_on += delta
            moved_volunteers += 1
    transactions.commit()
    return {"requests": moved_requests, "volunteers": moved_volunteers}


def demo_refresher():
    """Move the matching demo to today; return the lines `flask seed demo --refresh-dates` prints."""
    counts = refresh_demo_matching()
    return [
        f"Matching demo: moved the dates of {counts['requests']} help requests and "
        f"{counts['volunteers']} volunteers to today."
    ]


def demo_seeder():
    """Load the matching demo data; return the lines `flask seed demo` prints.

    The new demo volunteers get one random password, printed once, so one can log in as one.
    """
    password = secrets.token_urlsafe(12)
    counts = load_demo_matching(password=password)
    lines = [
        f"Matching demo: {counts['volunteers']} fictional volunteers ({counts['volunteers_added']} new), "
        f"{counts['requests']} help requests ({counts['requests_added']} new)."
    ]
    if counts["volunteers_added"]:
        lines.append(
            "The new demo volunteers (demo-vrijwilliger-…@example.org, listed on /werkplek/hulp/vrijwilligers) "
            f"share the password: {password}"
        )
    return lines
