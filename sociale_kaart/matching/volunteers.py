"""Volunteers: their profile, absences, approval and VOG, and the tasks near them (issue #4, items 2 and 4).

Before a broker approved a match and the volunteer accepted it, a volunteer sees only public
fields of a request (task type, village and PC4, day and time, duration, the need-to-know
summary, the first name of who gets help): `public_task` builds them as a plain dict, so no
name, street, phone, e-mail or description can slip into a page.
"""

from collections import Counter
from collections.abc import Mapping, Sequence
from datetime import date, datetime
from typing import Any, cast

from flask import current_app
from flask_babel import format_date
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import CursorResult, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from .. import clock, params, transactions
from ..accounts import permissions
from ..accounts.models import User, UserRole
from ..directory import scopes
from ..directory.areas import area_of_postcode4
from ..errors import NotFound, PermissionDenied, ValidationError
from ..extensions import db
from ..geo import bounding_box, local_distance_km, normal_postcode, parse_postcode
from ..notify import services as notify
from . import pool, ranking, reasons, timeslots
from .models import TRAVEL_MODES, Absence, HelpRequest, Match, VolunteerProfile
from .privacy import log_view
from .queries import area_filter, require_profile_broker
from .requests import MAX_TEXT, optional_km, served_place
from .vocabularies import LANGUAGES, PERIOD_PARTS, SKILLS, TASK_TYPES

MAX_TASKS_PER_WEEK = 7
VISIBLE_REQUEST_STATUSES = ("open", "proposed")
# A volunteer who registered interest again after declining or withdrawing is interested again.
REOPENABLE_MATCH_STATUSES = ("declined", "withdrawn")
# A kind of task nearby shows to a volunteer who waits for approval only from this many on:
# fewer could point at one neighbour (issue #14).
PREVIEW_MIN_COUNT = 3
PROFILE_FIELDS = (
    "first_name",
    "phone",
    "postcode",
    "street",
    "house_number",
    "travel_mode",
    "max_km",
    "task_types",
    "skills",
    "languages",
    "availability",
    "max_tasks_per_week",
    "paused",
    "paused_until",
    "motivation",
)
# Why a task does not fit, as the volunteer reads it (the ranking's exclusion codes).
NOT_FITTING = {
    "inactive": _l("uw profiel staat op pauze"),
    "task_type": _l("u heeft deze soort hulp niet gekozen"),
    "too_far": _l("het is verder dan u wilt reizen"),
    "vog": _l("voor deze klus is een geldige VOG nodig"),
    "language": _l("de aanvrager spreekt een taal die u niet heeft opgegeven"),
    "not_available": _l("u bent dan niet beschikbaar"),
    "overlap": _l("u heeft dan al een andere taak"),
    "full": _l("u heeft die week al genoeg taken"),
}


# --- the volunteer's own profile ------------------------------------------------------------------


def get_profile(user: User) -> VolunteerProfile | None:
    """Return a user's volunteer profile with its absences, or None."""
    if not permissions.is_authenticated(user):
        return None
    return db.session.scalar(
        select(VolunteerProfile)
        .options(selectinload(VolunteerProfile.absences), selectinload(VolunteerProfile.area))
        .where(VolunteerProfile.user_id == user.id)
    )


def _codes(values, name, vocabulary, message, required=False):
    codes = list(dict.fromkeys(values.get(name) or []))
    if any(code not in vocabulary for code in codes) or (required and not codes):
        raise ValidationError(name, message)
    return codes


def clean_profile_values(values: Mapping[str, Any]) -> dict[str, Any]:
    """Return the columns of a volunteer profile from form values, or raise ValidationError(field, message)."""
    first_name = (values.get("first_name") or "").strip()[:60]
    if not first_name:
        raise ValidationError("first_name", _("Vul uw voornaam in."))
    typed = (values.get("postcode") or "").strip()
    parsed = parse_postcode(typed)  # four digits alone will do
    if parsed is None:
        raise ValidationError("postcode", _("Vul een postcode in zoals 3941 AB."))
    postcode = normal_postcode(typed) or parsed[0]
    place = served_place(postcode, volunteer=True)
    travel_mode = values.get("travel_mode") or "bike"
    if travel_mode not in TRAVEL_MODES:
        raise ValidationError("travel_mode", _("Kies hoe u reist: lopend, per fiets of met de auto."))
    max_km = optional_km(values.get("max_km"))
    if max_km is None:
        raise ValidationError("max_km", _("Kies een afstand van 0,5 tot 50 km."))
    task_types = _codes(
        values, "task_types", TASK_TYPES, _("Kies minstens één soort hulp die u wilt geven."), required=True
    )
    skills = _codes(values, "skills", SKILLS, _("Kies vaardigheden uit de lijst."))
    languages = _codes(values, "languages", LANGUAGES, _("Kies minstens één taal die u spreekt."), required=True)
    try:
        availability = int(values.get("availability") or 0)
    except (TypeError, ValueError):
        availability = 0
    if not 0 < availability <= timeslots.FULL_WEEK:
        raise ValidationError("availability", _("Kies minstens één dagdeel waarop u kunt helpen."))
    try:
        per_week = int(values.get("max_tasks_per_week") or 0)
    except (TypeError, ValueError):
        per_week = 0
    if not 1 <= per_week <= MAX_TASKS_PER_WEEK:
        raise ValidationError("max_tasks_per_week", _("Kies 1 tot %(max)s taken per week.", max=MAX_TASKS_PER_WEEK))
    paused = bool(values.get("paused"))
    paused_until = values.get("paused_until") or None
    if paused_until is not None:
        if not isinstance(paused_until, date):
            raise ValidationError("paused_until", _("Kies een datum."))
        if paused_until < clock.today():
            raise ValidationError("paused_until", _("Kies een datum vanaf vandaag."))
    house_number = (values.get("house_number") or "").strip()[:16]
    if house_number and not params.valid_house_number(house_number):
        raise ValidationError("house_number", _("Typ een huisnummer zoals 12 of 12a."))
    phone = (values.get("phone") or "").strip()[:32]
    if phone and not params.valid_phone(phone):
        raise ValidationError("phone", _("Vul een geldig telefoonnummer in, bijvoorbeeld 06 12345678."))
    return {
        "first_name": first_name,
        "phone": phone,
        "postcode": postcode,
        "street": (values.get("street") or "").strip()[:120],
        "house_number": house_number,
        "pc4": place.postcode4 or postcode[:4],
        "place_name": place.place or "",
        "lat": place.lat,
        "lon": place.lon,
        "travel_mode": travel_mode,
        "max_km": max_km,
        "task_types": task_types,
        "skills": skills,
        "languages": languages,
        "availability": availability,
        "max_tasks_per_week": per_week,
        "paused": paused,
        "paused_until": paused_until if paused else None,
        "motivation": (values.get("motivation") or "").strip()[:MAX_TEXT],
    }


def save_profile(user: User, values: Mapping[str, Any], by: User) -> VolunteerProfile:
    """Create or update a volunteer profile; a new one waits for a broker and the area's brokers get an e-mail."""
    permissions.require_login(by)
    if by.id != user.id and not by.is_admin:
        raise PermissionDenied("not your profile")
    columns = clean_profile_values(values)
    profile = get_profile(user)
    if by.id != user.id and profile is not None:
        require_profile_broker(profile, by)  # an admin of one municipality: its volunteers only (issue #20)
    is_new = profile is None
    if profile is None:
        profile = VolunteerProfile(user_id=user.id, status="pending")
        db.session.add(profile)
    for name, value in columns.items():
        setattr(profile, name, value)
    profile.area = area_of_postcode4(profile.pc4)
    if "volunteer" not in user.roles:
        user.role_rows.append(UserRole(role="volunteer"))
    if is_new:
        db.session.flush()
        for broker in scopes.brokers_of(profile.area_id, scopes.row_code(profile.area_id, profile.postcode)):
            notify.queue_message(
                broker.email,
                "matching_volunteer_signed_up",
                broker.language,
                name=broker.name,
                profile=profile,
                volunteer_url=notify.external_url("broker.volunteer", profile_id=profile.id),
            )
        if user.active:
            notify.queue_message(
                user.email,
                "matching_volunteer_welcome",
                user.language,
                name=profile.first_name,
                area=profile.area,
                intake_days=intake_working_days(),
                next_url=notify.external_url("matching.volunteer_next_steps"),
            )
    transactions.commit()
    return profile


def intake_working_days() -> int:
    """Return within how many working days a broker contacts a new volunteer for the intake (config)."""
    return int(current_app.config["MATCHING_INTAKE_WORKING_DAYS"])


def _own_profile(user):
    profile = get_profile(user)
    if profile is None:
        raise NotFound(_("U heeft nog geen vrijwilligersprofiel."))
    return profile


def add_absence(user: User, starts_on: date | None, ends_on: date | None, note: str | None = "") -> Absence:
    """Add a period in which the volunteer cannot help ("niet beschikbaar van … tot …")."""
    permissions.require_login(user)
    profile = _own_profile(user)
    if not isinstance(starts_on, date):
        raise ValidationError("starts_on", _("Kies een begindatum."))
    if not isinstance(ends_on, date):
        raise ValidationError("ends_on", _("Kies een einddatum."))
    if ends_on < starts_on:
        raise ValidationError("ends_on", _("De einddatum moet op of na de begindatum liggen."))
    if ends_on < clock.today():
        raise ValidationError("ends_on", _("Deze periode is al voorbij. Kies een einddatum vanaf vandaag."))
    absence = Absence(volunteer=profile, starts_on=starts_on, ends_on=ends_on, note=(note or "").strip()[:200])
    db.session.add(absence)
    transactions.commit()
    return absence


def remove_absence(user: User, absence_id: int) -> None:
    """Remove one of the volunteer's own absences."""
    permissions.require_login(user)
    profile = _own_profile(user)
    absence = db.session.get(Absence, absence_id)
    if absence is None or absence.volunteer_id != profile.id:
        raise NotFound(_("Deze periode bestaat niet."))
    db.session.delete(absence)
    transactions.commit()


# --- brokers -----------------------------------------------------------------------------------------------


def _profile_for_broker(profile_id, by):
    profile = db.session.scalar(
        select(VolunteerProfile)
        .options(
            selectinload(VolunteerProfile.user),
            selectinload(VolunteerProfile.area),
            selectinload(VolunteerProfile.absences),
        )
        .where(VolunteerProfile.id == profile_id)
    )
    if profile is None:
        raise NotFound(_("Deze vrijwilliger bestaat niet."))
    require_profile_broker(profile, by)
    return profile


def get_volunteer_for_broker(profile_id: int, by: User) -> VolunteerProfile:
    """Return a volunteer's profile for a broker of their area (not logged: no requester data)."""
    return _profile_for_broker(profile_id, by)


def approve_volunteer(profile_id: int, by: User) -> VolunteerProfile:
    """Approve a new volunteer after the intake (pending → active); a second call changes nothing."""
    profile = _profile_for_broker(profile_id, by)
    if profile.status != "pending":
        return profile
    now = clock.naive_utcnow()
    result = db.session.execute(
        update(VolunteerProfile)
        .where(VolunteerProfile.id == profile.id, VolunteerProfile.status == "pending")
        .values(status="active", approved_at=now, approved_by_id=by.id, updated_at=now)
        .execution_options(synchronize_session=False)
    )
    if cast(CursorResult[Any], result).rowcount != 1:
        db.session.rollback()
        return _profile_for_broker(profile_id, by)
    db.session.refresh(profile)
    user = profile.user
    if user is not None and user.active:
        notify.queue_message(
            user.email,
            "matching_volunteer_approved",
            user.language,
            name=profile.first_name,
            profile=profile,
            tasks_url=notify.external_url("matching.tasks"),
        )
    transactions.commit()
    return profile


def record_vog(profile_id: int, checked_on: date | None, valid_until: date | None, by: User) -> VolunteerProfile:
    """Record that a broker saw the volunteer's VOG (Verklaring Omtrent het Gedrag) and until when it counts."""
    profile = _profile_for_broker(profile_id, by)
    if not isinstance(checked_on, date):
        raise ValidationError("checked_on", _("Kies de datum waarop u de VOG heeft gezien."))
    if checked_on > clock.today():
        raise ValidationError("checked_on", _("Deze datum ligt in de toekomst. Kies vandaag of eerder."))
    if not isinstance(valid_until, date):
        raise ValidationError("valid_until", _("Kies tot wanneer de VOG geldig is."))
    if valid_until <= checked_on:
        raise ValidationError("valid_until", _("De VOG moet na de controledatum nog geldig zijn."))
    profile.vog_checked_on, profile.vog_valid_until, profile.vog_checked_by_id = checked_on, valid_until, by.id
    transactions.commit()
    return profile


def volunteer_list(by: User, status: str | None = None, area_id: int | None = None) -> Sequence[VolunteerProfile]:
    """Return the volunteers in a broker's areas (and those without an area), by status and first name."""
    where, _areas = area_filter(VolunteerProfile.area_id, by, area_id, VolunteerProfile.postcode)
    query = (
        select(VolunteerProfile)
        .options(selectinload(VolunteerProfile.user), selectinload(VolunteerProfile.area))
        .where(where)
    )
    if status is not None:
        query = query.where(VolunteerProfile.status == status)
    return db.session.scalars(
        query.order_by(VolunteerProfile.status, VolunteerProfile.first_name, VolunteerProfile.id)
    ).all()


# --- tasks near the volunteer ---------------------------------------------------------------------------


def _active_profile(user):
    """Return the user's approved volunteer profile, or raise PermissionDenied."""
    permissions.require_role(user, "volunteer")
    profile = get_profile(user)
    if profile is None or profile.status != "active":
        raise PermissionDenied("no approved volunteer profile")
    return profile


def nearby_task_kinds(user: User) -> list[dict[str, Any]]:
    """Return the kinds of open tasks within the volunteer's distance and how many, for a preview before approval.

    Only a task type and a count: no dates, places, names or addresses. A kind with fewer than
    PREVIEW_MIN_COUNT tasks is left out, so the preview never points at one neighbour.
    """
    permissions.require_login(user)
    profile = get_profile(user)
    if profile is None or profile.lat is None or profile.lon is None:
        return []
    min_lat, max_lat, min_lon, max_lon = bounding_box(profile.lat, profile.lon, profile.max_km)
    rows = db.session.execute(
        select(HelpRequest.id, HelpRequest.task_type, HelpRequest.lat, HelpRequest.lon).where(
            HelpRequest.status.in_(VISIBLE_REQUEST_STATUSES),
            HelpRequest.lat.between(min_lat, max_lat),
            HelpRequest.lon.between(min_lon, max_lon),
        )
    ).all()
    windows = pool.open_windows([row.id for row in rows])
    counts = Counter(
        row.task_type
        for row in rows
        if windows.get(row.id) and local_distance_km(profile.lat, profile.lon, row.lat, row.lon) <= profile.max_km
    )
    kinds = [
        {
            "task_type": code,
            "label": str(TASK_TYPES[code].label),
            "count": count,
            "chosen": code in (profile.task_types or []),
        }
        for code, count in counts.items()
        if count >= PREVIEW_MIN_COUNT and code in TASK_TYPES
    ]
    kinds.sort(key=lambda kind: (-kind["count"], kind["label"]))
    return kinds


def when_text(request: HelpRequest, windows: Sequence[tuple[datetime, datetime]] | None = None) -> str:
    """Return when a request is, in local time: "dinsdag 24 november 2026, 13:00–17:00" or a weekly series."""
    start, end = request.window_start.strftime("%H:%M"), request.window_end.strftime("%H:%M")
    if request.schedule_kind == "series":
        weekday = format_date(request.first_date, "EEEE")
        text = _(
            "elke %(weekday)s %(start)s–%(end)s, %(weeks)s weken vanaf %(first)s",
            weekday=weekday,
            start=start,
            end=end,
            weeks=request.weeks,
            first=format_date(request.first_date, "d MMMM y"),
        )
        if windows and len(windows) < request.weeks:
            text += " " + _(
                "(nog %(left)s, de eerste op %(date)s)",
                left=len(windows),
                date=format_date(timeslots.to_local(windows[0][0], clock.zone_name()).date(), "d MMMM"),
            )
        return text
    if request.is_period:
        booked = [o for o in request.occurrences if o.status in ("booked", "done")]
        if not booked:
            return period_text(request)
        return clock.format_local_window(booked[0].starts_at, booked[0].ends_at)
    return f"{format_date(request.first_date, 'EEEE d MMMM y')}, {start}–{end}"


def request_is_booked(request: HelpRequest) -> bool:
    """Return True when a volunteer is booked for (one of) the request's dates."""
    return any(occurrence.status in ("booked", "done") for occurrence in request.occurrences)


def period_text(request: HelpRequest) -> str:
    """Return when a period request ("geen haast") may be: "een dag tussen 7 december en 20 december, 's ochtends"."""
    part = timeslots.period_part(request.window_start, request.window_end)
    window = f"{request.window_start.strftime('%H:%M')}–{request.window_end.strftime('%H:%M')}"
    times = str(PERIOD_PARTS[part]) if part and part != "any" else window
    return _(
        "een dag naar keuze tussen %(first)s en %(last)s, %(times)s",
        first=format_date(request.first_date, "EEEE d MMMM"),
        last=format_date(request.period_last_day, "EEEE d MMMM y"),
        times=times,
    )


def public_task(
    request: HelpRequest,
    windows: Sequence[tuple[datetime, datetime]] = (),
    candidate: ranking.Candidate | None = None,
    match: Match | None = None,
) -> dict[str, Any]:
    """Return the fields of a request every volunteer may see (never names, address, phone, e-mail, description)."""
    task_type = TASK_TYPES.get(request.task_type)
    local = [timeslots.to_local(start, clock.zone_name()) for start, _end in windows]
    return {
        "id": request.id,
        "task_type": request.task_type,
        "task_label": str(task_type.label) if task_type else request.task_type,
        "does": str(task_type.does) if task_type else "",
        "does_not": str(task_type.does_not) if task_type else "",
        "vog_required": bool(task_type and task_type.vog_required),
        "place_name": request.place_name,
        "pc4": request.pc4,
        "when": when_text(request, list(windows)),
        "dates": [moment.date() for moment in local],
        "window_start": request.window_start,
        "window_end": request.window_end,
        "duration_minutes": request.duration_minutes,
        "schedule_kind": request.schedule_kind,
        "weeks": request.weeks,
        "urgency": request.urgency,
        "summary": request.summary,
        "recipient_first_name": request.recipient_first_name,
        "distance_km": round(candidate.distance_km, 1) if candidate is not None else None,
        "covered": candidate.covered if candidate is not None else None,
        "total": candidate.total if candidate is not None else len(local),
        "explanation": reasons.explain(candidate.reasons) if candidate is not None else "",
        "match_id": match.id if match is not None else None,
        "match_status": match.status if match is not None else None,
    }


def _own_matches(profile, request_ids=None):
    query = select(Match).where(Match.volunteer_id == profile.id)
    if request_ids is not None:
        query = query.where(Match.request_id.in_(list(request_ids)))
    return {match.request_id: match for match in db.session.scalars(query)}


def tasks_near_me(user: User) -> list[dict[str, Any]]:
    """Return open requests that fit the volunteer's distance, task types and availability, soonest first.

    Each is a plain dict of public fields (see public_task), with the volunteer's own match
    status when they already said "Ik wil helpen".
    """
    profile = _active_profile(user)
    volunteer = pool.volunteer_inputs(profiles=[profile])[0]
    min_lat, max_lat, min_lon, max_lon = bounding_box(profile.lat, profile.lon, profile.max_km)
    requests = db.session.scalars(
        select(HelpRequest).where(
            HelpRequest.status.in_(VISIBLE_REQUEST_STATUSES),
            HelpRequest.task_type.in_(list(volunteer.task_types)),
            HelpRequest.lat.between(min_lat, max_lat),
            HelpRequest.lon.between(min_lon, max_lon),
        )
    ).all()
    windows = pool.open_windows([request.id for request in requests])
    matches = _own_matches(profile, [request.id for request in requests])
    settings = pool.ranking_settings()
    tasks = []
    for request in requests:
        if not windows.get(request.id) or not pool.may_help(profile, request):
            continue
        match = matches.get(request.id)
        if match is not None and match.status in ("rejected", "cancelled", "no_show"):
            continue
        result = ranking.check(pool.task_input(request, windows[request.id]), volunteer, **settings)
        if isinstance(result, str):
            continue
        tasks.append(public_task(request, windows[request.id], result, match))
    tasks.sort(key=lambda task: (task["dates"][0] if task["dates"] else date.max, task["id"]))
    return tasks


def task_for_volunteer(request_id: int, user: User) -> dict[str, Any]:
    """Return one task for a volunteer: public fields, plus address and contact once their match is accepted.

    Showing the private part is written to the requester's access log.
    """
    permissions.require_role(user, "volunteer")
    profile = get_profile(user)
    if profile is None:
        raise PermissionDenied("no volunteer profile")
    request = db.session.get(HelpRequest, request_id)
    if request is None:
        raise NotFound(_("Deze klus bestaat niet."))
    match = _own_matches(profile, [request.id]).get(request.id)
    if match is None and not pool.may_help(profile, request):  # across a closed border (issue #20)
        raise NotFound(_("Deze klus bestaat niet of is al vergeven."))
    windows = pool.open_windows([request.id])[request.id]
    visible = match is not None and match.status not in ("rejected", "cancelled", "no_show")
    if not visible:
        if profile.status != "active" or request.status not in VISIBLE_REQUEST_STATUSES or not windows:
            raise NotFound(_("Deze klus bestaat niet of is al vergeven."))
    if match is not None and match.status in ("approved", "accepted", "done"):
        windows = [(booking.starts_at, booking.ends_at) for booking in match.bookings if booking.active] or windows
    candidate = None
    if profile.status == "active" and windows:
        result = ranking.check(
            pool.task_input(request, windows), pool.volunteer_inputs(profiles=[profile])[0], **pool.ranking_settings()
        )
        candidate = None if isinstance(result, str) else result
    task = public_task(request, windows, candidate, match)
    task["private"] = None
    if match is not None and match.status == "accepted":
        task["private"] = {
            "contact_name": request.contact_name,
            "contact_phone": request.contact_phone,
            # the way to reach them: the phone, else the e-mail address (a request needs one of the two)
            "contact_email": "" if request.contact_phone else request.contact_email,
            "recipient_name": request.recipient_name,
            "street": request.street,
            "house_number": request.house_number,
            "postcode": request.postcode,
        }
        log_view(request, user, "volunteer", "address")
        transactions.commit()
    return task


def register_interest(request_id: int, user: User, message: str | None = "") -> Match:
    """Say "Ik wil helpen" for an open request; the area's brokers get an e-mail. A second call changes nothing."""
    profile = _active_profile(user)
    request = db.session.get(HelpRequest, request_id)
    if request is None:
        raise NotFound(_("Deze klus bestaat niet."))
    message = (message or "").strip()[:MAX_TEXT]
    match = _own_matches(profile, [request.id]).get(request.id)
    if match is not None and match.status not in REOPENABLE_MATCH_STATUSES:
        if match.status == "suggested":
            match.status, match.message = "interested", message or match.message
            transactions.commit()
        elif match.status in ("rejected", "cancelled", "no_show"):
            raise ValidationError(None, _("De sociaal makelaar heeft al iemand anders gevraagd voor deze klus."))
        return match
    windows = pool.open_windows([request.id])[request.id]
    if request.status not in VISIBLE_REQUEST_STATUSES or not windows or not pool.may_help(profile, request):
        raise ValidationError(None, _("Deze klus is al vergeven of gaat niet meer door."))
    result = ranking.check(
        pool.task_input(request, windows), pool.volunteer_inputs(profiles=[profile])[0], **pool.ranking_settings()
    )
    if isinstance(result, str):
        raise ValidationError(
            None, _("Deze klus past niet bij uw profiel: %(reason)s.", reason=NOT_FITTING.get(result, result))
        )
    if match is None:
        match = Match(
            request_id=request.id,
            volunteer_id=profile.id,
            status="interested",
            source="interest",
            created_by_id=user.id,
            message=message,
            score=result.score,
            explanation=reasons.breakdown(result),
        )
        db.session.add(match)
    else:
        match.status, match.message, match.score = "interested", message, result.score
        match.explanation = reasons.breakdown(result)
    try:
        db.session.flush()
    except IntegrityError:  # a simultaneous click made it
        db.session.rollback()
        return _own_matches(profile, [request_id])[request_id]
    for broker in scopes.brokers_of(request.area_id, scopes.row_code(request.area_id, request.postcode)):
        notify.queue_message(
            broker.email,
            "matching_interest_registered",
            broker.language,
            name=broker.name,
            recipient=broker,
            request=request,
            match=match,
            profile=profile,
            volunteer_name=profile.first_name,
            task_label=str(TASK_TYPES[request.task_type].label),
            place_name=request.place_name or request.pc4,
            message=message,
            url=notify.external_url("broker.candidates", request_id=request.id),
        )
    transactions.commit()
    return match


# --- the volunteer's own tasks, and a volunteer's matches for the broker ----------------------------

MY_TASK_GROUPS = ("offers", "accepted", "waiting", "done", "ended")


def task_of_match(match: Match) -> dict[str, Any]:
    """Return the public fields of a match's request, with its booked dates (or its open ones)."""
    active = [(b.starts_at, b.ends_at) for b in match.bookings if b.active]
    windows = active or [(o.starts_at, o.ends_at) for o in match.request.occurrences if o.status in ("open", "booked")]
    return public_task(match.request, windows, None, match)


def my_tasks(user: User) -> tuple[VolunteerProfile | None, dict[str, list[dict[str, Any]]]]:
    """Return the volunteer's profile and their matches grouped for "Mijn taken" (public task fields only).

    Each task goes through public_task, so no requester data can slip in; no-shows are for
    brokers only (issue #4, item 8).
    """
    permissions.require_login(user)
    profile = get_profile(user)
    groups: dict[str, list] = {name: [] for name in MY_TASK_GROUPS}
    if profile is None:
        return None, groups
    now = clock.naive_utcnow()
    matches = db.session.scalars(
        select(Match)
        .options(selectinload(Match.request), selectinload(Match.bookings), selectinload(Match.feedback))
        .where(Match.volunteer_id == profile.id)
        .order_by(Match.id.desc())
    ).all()
    for match in matches:
        if match.status == "no_show":  # recorded for brokers only (issue #4, item 8)
            continue
        started = any(b.starts_at <= now for b in match.bookings)
        given = any(f.author_role == "volunteer" for f in match.feedback)
        entry = {
            "match": match,
            "task": task_of_match(match),
            "feedback_due": (match.status == "done" or (match.status == "accepted" and started)) and not given,
        }
        group = {
            "approved": "offers",
            "accepted": "accepted",
            "suggested": "waiting",
            "interested": "waiting",
            "done": "done",
        }.get(match.status, "ended")
        if group == "done" and (match.accepted_at is None or not started):
            # never accepted, or its dates are still to come: not done (issue #14); a broker can reopen it
            group, entry["feedback_due"] = "ended", False
        groups[group].append(entry)
    return profile, groups


def volunteer_with_matches(profile_id: int, by: User) -> tuple[VolunteerProfile, Sequence[Match]]:
    """Return a volunteer's profile and matches (newest first) for a broker of their area."""
    profile = _profile_for_broker(profile_id, by)
    matches = db.session.scalars(
        select(Match)
        .options(selectinload(Match.request))
        .where(Match.volunteer_id == profile.id)
        .order_by(Match.created_at.desc(), Match.id.desc())
    ).all()
    return profile, matches
