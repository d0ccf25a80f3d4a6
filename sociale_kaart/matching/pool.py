"""From database rows to the pure ranking's inputs, and the broker's ranked candidates (issue #4, item 3).

`ranking.py` knows nothing of the database; this module loads volunteers (with their active
bookings, absences, recent work and history with requesters) and requests (with the dates
still to fill) in a few bulk queries and hands them over.
"""

from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from datetime import date, datetime, timedelta
from typing import Any

from flask import current_app
from sqlalchemy import Row, func, select
from sqlalchemy.orm import selectinload

from .. import clock
from ..accounts.models import User
from ..directory import municipalities, scopes
from ..extensions import db
from ..geo import bounding_box
from . import queries, ranking, timeslots
from .models import Absence, Booking, Feedback, HelpRequest, Match, Occurrence, VolunteerProfile
from .vocabularies import TASK_TYPES

# The largest travel limit anyone may set: the database prefilter for one request.
MAX_RADIUS_KM = 50.0
NEW_VOLUNTEER_DAYS = 30
RECENT_DAYS = 28
REPLACEMENTS = 5
# Longer id lists are not sent as IN (...) (SQLite's limit on parameters); rows are filtered in Python.
MAX_IN_LIST = 1000
# Matches that say the volunteer helped this requester before.
HELPED_STATUSES = ("accepted", "done")
# Matches after which a volunteer is not offered the same request again as a replacement.
ENDED_STATUSES = ("declined", "withdrawn", "rejected", "cancelled", "no_show")


def requester_key(request: HelpRequest | Row) -> str:
    """Return who asked, across requests: their account, else their e-mail, else their phone ("" if none)."""
    if request.requester_id is not None:
        return f"u:{request.requester_id}"
    if request.contact_email:
        return f"e:{request.contact_email.strip().lower()}"
    digits = "".join(ch for ch in request.contact_phone or "" if ch.isdigit())
    return f"p:{digits}" if digits else ""


def is_active(profile: VolunteerProfile | Row, today: date | None = None) -> bool:
    """Return True for an approved volunteer who is not paused (a pause ends after paused_until)."""
    if profile.status != "active":
        return False
    if profile.paused:
        today = today or clock.today()
        return profile.paused_until is not None and profile.paused_until < today
    return True


def ranking_settings() -> dict[str, Any]:
    """Return the ranking keywords from the config (weights, minimum series coverage) and today's date."""
    config = current_app.config
    return {
        "weights": config["MATCHING_WEIGHTS"],
        "min_series_coverage": config["MATCHING_MIN_SERIES_COVERAGE"],
        "today": clock.today(),
    }


# --- volunteers --------------------------------------------------------------------------------------


def may_help(profile: VolunteerProfile, request: HelpRequest) -> bool:
    """Return True when the volunteer's municipality lets them help with the request (scopes.may_help_across)."""
    return scopes.may_help_across(queries.profile_code(profile), queries.request_code(request))


def volunteers_for(request_code: str, profiles: Iterable[VolunteerProfile]) -> list[VolunteerProfile]:
    """Return the profiles whose municipality lets them help a request of this municipality (issue #20)."""
    if not municipalities.is_region():
        return list(profiles)
    return [profile for profile in profiles if scopes.may_help_across(queries.profile_code(profile), request_code)]


def volunteer_profiles(
    area_ids: Iterable[int] | None = None,
    near: tuple[float, float, float] | None = None,
    ids: Iterable[int] | None = None,
) -> Sequence[VolunteerProfile]:
    """Return the volunteer profiles (not stopped) in areas, in a box around (lat, lon, km), or with ids."""
    query = select(VolunteerProfile).where(VolunteerProfile.status != "stopped")
    if area_ids is not None:
        query = query.where(VolunteerProfile.area_id.in_(list(area_ids)))
    if near is not None:
        lat, lon, km = near
        min_lat, max_lat, min_lon, max_lon = bounding_box(lat, lon, km)
        query = query.where(
            VolunteerProfile.lat.between(min_lat, max_lat), VolunteerProfile.lon.between(min_lon, max_lon)
        )
    if ids is not None:
        query = query.where(VolunteerProfile.id.in_(list(ids)))
    return db.session.scalars(query.order_by(VolunteerProfile.id)).all()


def volunteer_inputs(
    area_ids: Iterable[int] | None = None,
    near: tuple[float, float, float] | None = None,
    profiles: Sequence[VolunteerProfile] | None = None,
    now: datetime | None = None,
) -> list[ranking.VolunteerInput]:
    """Return VolunteerInputs of the volunteers in areas or near (lat, lon, km), or of given profiles.

    Loads in bulk: active bookings from four weeks back (their windows, recent and total task
    counts), absences that have not ended, and which requesters each volunteer helped before.
    """
    if profiles is None:
        profiles = volunteer_profiles(area_ids, near)
    if not profiles:
        return []
    now = now or clock.naive_utcnow()
    today = clock.today()
    ids = [profile.id for profile in profiles]
    wanted = set(ids)
    booked: defaultdict[int, list[tuple[datetime, datetime]]] = defaultdict(list)
    recent: defaultdict[int, int] = defaultdict(int)
    since = now - timedelta(days=RECENT_DAYS)
    for volunteer_id, starts_at, ends_at in db.session.execute(
        select(Booking.volunteer_id, Booking.starts_at, Booking.ends_at)
        .where(
            Booking.active.is_(True), _among(Booking.volunteer_id, ids), Booking.ends_at >= since - timedelta(days=7)
        )
        .order_by(Booking.starts_at)
    ):
        if volunteer_id in wanted:
            booked[volunteer_id].append((starts_at, ends_at))
            if since <= starts_at <= now:
                recent[volunteer_id] += 1
    totals: dict[int, int] = dict(
        db.session.execute(
            select(Booking.volunteer_id, func.count(Booking.id))
            .where(Booking.active.is_(True), _among(Booking.volunteer_id, ids))
            .group_by(Booking.volunteer_id)
        ).all()
    )
    absences = defaultdict(list)
    for volunteer_id, starts_on, ends_on in db.session.execute(
        select(Absence.volunteer_id, Absence.starts_on, Absence.ends_on)
        .where(_among(Absence.volunteer_id, ids), Absence.ends_on >= today)
        .order_by(Absence.starts_on)
    ):
        absences[volunteer_id].append((starts_on, ends_on))
    history = _histories(ids)
    new_since = now - timedelta(days=NEW_VOLUNTEER_DAYS)
    return [
        ranking.VolunteerInput(
            id=profile.id,
            lat=profile.lat,
            lon=profile.lon,
            travel_mode=profile.travel_mode,
            max_km=profile.max_km,
            task_types=frozenset(profile.task_types or ()),
            skills=frozenset(profile.skills or ()),
            languages=frozenset(profile.languages or ()),
            availability=profile.availability,
            absences=tuple(absences[profile.id]),
            max_per_week=profile.max_tasks_per_week,
            active=is_active(profile, today),
            vog_valid_until=profile.vog_valid_until,
            booked=tuple(booked[profile.id]),
            tasks_last_28_days=recent[profile.id],
            tasks_total=totals.get(profile.id, 0),
            is_new=profile.created_at >= new_since and not totals.get(profile.id, 0),
            history=history.get(profile.id, {}),
        )
        for profile in profiles
    ]


def _among(column, ids):
    """Return `column IN ids`, or no condition for a long list (the caller keeps only its ids)."""
    return column.in_(ids) if len(ids) <= MAX_IN_LIST else db.true()


def _histories(volunteer_ids):
    """Return {volunteer_id: {requester_key: "good" | "earlier"}} from accepted and done matches.

    "good" unless the requester's feedback on that match was negative (rating 1, or it did not
    happen); one good match is enough.
    """
    negative = (
        select(Feedback.id)
        .where(
            Feedback.match_id == Match.id,
            Feedback.author_role == "requester",
            (Feedback.rating == 1) | Feedback.happened.is_(False),
        )
        .exists()
    )
    rows = db.session.execute(
        select(
            Match.volunteer_id,
            HelpRequest.requester_id,
            HelpRequest.contact_email,
            HelpRequest.contact_phone,
            negative.label("negative"),
        )
        .join(HelpRequest, Match.request_id == HelpRequest.id)
        .where(_among(Match.volunteer_id, volunteer_ids), Match.status.in_(HELPED_STATUSES))
    ).all()
    wanted = set(volunteer_ids)
    history: defaultdict[int, dict[str, str]] = defaultdict(dict)
    for row in rows:
        key = requester_key(row)
        if not key or row.volunteer_id not in wanted:
            continue
        verdict = "earlier" if row.negative else "good"
        if history[row.volunteer_id].get(key) != "good":
            history[row.volunteer_id][key] = verdict
    return history


# --- requests -------------------------------------------------------------------------------------------


def open_windows(
    request_ids: Sequence[int], now: datetime | None = None
) -> defaultdict[int, list[tuple[datetime, datetime]]]:
    """Return {request_id: [(starts_at, ends_at), ...]}: future dates that are not cancelled and not booked."""
    now = now or clock.naive_utcnow()
    booked = select(Booking.id).where(Booking.occurrence_id == Occurrence.id, Booking.active.is_(True))
    windows: defaultdict[int, list[tuple[datetime, datetime]]] = defaultdict(list)
    if not request_ids:
        return windows
    for request_id, starts_at, ends_at, first_date, start, end, period_weeks in db.session.execute(
        select(
            Occurrence.request_id,
            Occurrence.starts_at,
            Occurrence.ends_at,
            HelpRequest.first_date,
            HelpRequest.window_start,
            HelpRequest.window_end,
            HelpRequest.period_weeks,
        )
        .join(HelpRequest, Occurrence.request_id == HelpRequest.id)
        .where(
            Occurrence.request_id.in_(list(request_ids)),
            Occurrence.starts_at > now,
            Occurrence.status != "cancelled",
            ~booked.exists(),
        )
        .order_by(Occurrence.starts_at)
    ):
        if period_weeks:  # "geen haast": every day of the period that is still to come (issue #14)
            days = timeslots.period_windows(first_date, start, end, period_weeks, clock.zone_name())
            windows[request_id].extend(window for window in days if window[0] > now)
        else:
            windows[request_id].append((starts_at, ends_at))
    return windows


def task_input(
    request: HelpRequest, windows: Sequence[tuple[datetime, datetime]] | None = None, now: datetime | None = None
) -> ranking.TaskInput:
    """Return the TaskInput of a request: where, what, and the dates still to fill."""
    if windows is None:
        windows = open_windows([request.id], now)[request.id]
    task_type = TASK_TYPES.get(request.task_type)
    return ranking.TaskInput(
        id=request.id,
        lat=request.lat,
        lon=request.lon,
        task_type=request.task_type,
        vog_required=bool(task_type and task_type.vog_required),
        windows=tuple(windows),
        max_km=request.max_km,
        language=request.preferred_language,
        language_required=request.language_required,
        skills_wanted=frozenset(request.skills_wanted or ()),
        requester_key=requester_key(request),
        same_volunteer=request.same_volunteer,
        zone=clock.zone_name(),
        urgency=request.urgency,
        any_one=request.is_period,
    )


# --- the broker's lists ------------------------------------------------------------------------------------


def _broker_request(request_id, by):
    request = queries.get_request(request_id)
    queries.require_request_broker(request, by)
    return request


def _rank(request, exclude_ids=(), limit=None):
    task = task_input(request)
    if request.lat is None or request.lon is None or not task.windows:
        return ranking.Ranking([], Counter(), 0), {}
    profiles = [
        profile
        for profile in volunteers_for(
            queries.request_code(request), volunteer_profiles(near=(request.lat, request.lon, MAX_RADIUS_KM))
        )
        if profile.id not in exclude_ids
    ]
    inputs = volunteer_inputs(profiles=profiles)
    result = ranking.rank(task, inputs, limit=limit, **ranking_settings())
    wanted = {candidate.volunteer_id for candidate in result.candidates}
    by_id = {profile.id: profile for profile in profiles if profile.id in wanted}
    if by_id:  # eager-load what the candidate page shows
        db.session.scalars(
            select(VolunteerProfile)
            .options(selectinload(VolunteerProfile.user))
            .where(VolunteerProfile.id.in_(list(by_id)))
        ).all()
    return result, by_id


def candidates(request_id: int, by: User) -> tuple[ranking.Ranking, dict[int, VolunteerProfile]]:
    """Return the ranked candidates of a request for its broker: (Ranking, {volunteer_id: VolunteerProfile})."""
    request = _broker_request(request_id, by)
    return _rank(request)


def replacement_list(
    request_id: int, by: User | None = None, limit: int = REPLACEMENTS
) -> list[tuple[ranking.Candidate, VolunteerProfile]]:
    """Return [(Candidate, VolunteerProfile)] who could take over a request's open dates, best first.

    Leaves out volunteers who already declined, withdrew, were not chosen, cancelled or did
    not show up for this request. by=None is the system (a late cancellation's alert to the
    brokers); a user must be a broker of the request's area.
    """
    if by is None:
        request = queries.get_request(request_id)
    else:
        request = _broker_request(request_id, by)
    exclude = {match.volunteer_id for match in request.matches if match.status in ENDED_STATUSES}
    result, profiles = _rank(request, exclude_ids=exclude, limit=limit)
    return [(candidate, profiles[candidate.volunteer_id]) for candidate in result.candidates]
