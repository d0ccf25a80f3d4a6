"""Help requests (hulpvragen): submit, confirm, review, publish, reject, edit, cancel (issue #4, item 1).

Every function takes plain values and the acting user (`by`, None for an anonymous
requester), checks permissions, validates with Dutch messages on the form's field names,
commits once and queues its e-mail in the same transaction.

Status flow (states.py, the one table): submitted (ingediend) → open (beoordeeld) → proposed →
matched → done, or cancelled / expired / rejected; each step is a RequestEvent with who and when. Publish,
reject and cancel are conditional updates (`... WHERE status IN (...)`), so a second click,
or two brokers at once, change nothing and write no second event.
"""

from collections.abc import Mapping, Sequence
from datetime import date, datetime, time, timedelta
from typing import Any, cast

from flask import current_app
from flask_babel import format_date
from flask_babel import gettext as _
from sqlalchemy import CursorResult, case, select, update
from sqlalchemy.orm import selectinload

from .. import clock, params, transactions
from ..accounts import permissions
from ..accounts.models import User
from ..directory import municipalities, scopes
from ..directory.areas import area_of_postcode4
from ..errors import NotFound, PermissionDenied, ValidationError
from ..extensions import db
from ..geo import Geocoder, Place, UnknownLocation, normal_postcode
from ..notify import services as notify
from . import booking, links, mail, privacy, queries, states, timeslots
from .models import (
    HOLDING_MATCH_STATUSES,
    PENDING_MATCH_STATUSES,
    RELATIONS,
    SCHEDULE_KINDS,
    URGENCIES,
    Booking,
    HelpRequest,
    Match,
    Occurrence,
    VolunteerProfile,
)
from .vocabularies import LANGUAGES, REQUEST_STATUS_LABELS, SKILLS, TASK_TYPES

MAX_TEXT = 2000
MAX_SERIES_WEEKS = 26
MIN_KM, MAX_KM = 0.5, 50.0
MIN_DURATION = 15
MAX_DAYS_AHEAD = 366
# Statuses a broker reviews or fills; requests in them are in the broker's queue.
QUEUE_STATUSES = ("submitted", "open", "proposed", "matched")

# The form fields of a request, as submit_request and update_request take them.
FIELDS = (
    "task_type",
    "urgency",
    "relation",
    "contact_name",
    "contact_email",
    "contact_phone",
    "recipient_name",
    "description",
    "summary",
    "street",
    "house_number",
    "postcode",
    "schedule_kind",
    "first_date",
    "window_start",
    "window_end",
    "duration_minutes",
    "weeks",
    "period_weeks",
    "preferred_language",
    "language_required",
    "skills_wanted",
    "same_volunteer",
    "max_km",
    "language",
)
SCHEDULE_FIELDS = ("schedule_kind", "first_date", "window_start", "window_end", "weeks", "period_weeks")


# --- helpers (also used by volunteers.py) --------------------------------------------------


def geocoder() -> Geocoder:
    """Return the app's geocoder."""
    return current_app.extensions["sociale_kaart.geocoder"]


def resolve_postcode(text: str, geocoder_: Geocoder | None = None, field: str = "postcode") -> Place:
    """Return the geocoder's Place of a postcode, or raise ValidationError with a Dutch message."""
    try:
        return (geocoder_ or geocoder()).resolve(text)
    except UnknownLocation:
        raise ValidationError(
            field, _("We kennen postcode ‘%(postcode)s’ niet. Kijk of de postcode klopt.", postcode=text)
        ) from None


def served_place(postcode: str, geocoder_: Geocoder | None = None, volunteer: bool = False) -> Place:
    """Return the Place of a help request's (or, with `volunteer`, a volunteer's) postcode, or raise
    ValidationError with a Dutch message when we do not know it or it lies outside the installation's
    municipalities (a region serves each of them, issue #20): no broker there could take it up.
    The request form's "where" step and the sending both ask it, and a volunteer's sign-up."""
    place = resolve_postcode(postcode, geocoder_)
    if place.municipality_code and municipalities.by_code(place.municipality_code) is None:
        if volunteer:
            message = _(
                "Postcode ‘%(postcode)s’ ligt niet in %(names)s. Via deze kaart zoeken we vrijwilligers die daar "
                "wonen. Kijk voor vrijwilligerswerk bij u in de buurt bij de vrijwilligerscentrale van uw gemeente.",
                postcode=postcode,
                names=municipalities.region_name(),
            )
        elif municipalities.is_region():
            message = _(
                "Postcode ‘%(postcode)s’ ligt niet in de gemeenten %(names)s. Daar kunnen wij helaas niet helpen.",
                postcode=postcode,
                names=municipalities.region_name(),
            )
        else:
            message = _(
                "Postcode ‘%(postcode)s’ ligt niet in de gemeente %(name)s. Daar kunnen wij helaas niet helpen.",
                postcode=postcode,
                name=municipalities.default_municipality().name,
            )
        raise ValidationError("postcode", message)
    return place


def _text(values, name, limit=MAX_TEXT):
    value = values.get(name)
    return (value or "").strip()[:limit] if isinstance(value, str) or value is None else str(value)[:limit]


def _first_name(full_name):
    parts = (full_name or "").split()
    return parts[0][:60] if parts else ""


def _int(values, name, message):
    value = params.whole_number(values.get(name))
    if value is None:
        raise ValidationError(name, message)
    return value


def optional_km(value: str | float | None, field: str = "max_km") -> float | None:
    """Return a travel limit in km (0.5–50) or None; raise ValidationError otherwise."""
    if value in (None, ""):
        return None
    km = params.parse_decimal(value, MIN_KM, MAX_KM)
    if km is None:
        raise ValidationError(field, _("Kies een afstand van 0,5 tot 50 km."))
    return km


# --- validation -----------------------------------------------------------------------------------


def clean_request_values(
    values: Mapping[str, Any], geocoder_: Geocoder | None = None, check_dates: bool = True
) -> dict[str, Any]:
    """Return the columns of a request from form values, or raise ValidationError(field, message)."""
    task_type = _text(values, "task_type")
    if task_type not in TASK_TYPES:
        raise ValidationError("task_type", _("Kies waarbij u hulp zoekt."))
    urgency = _text(values, "urgency") or "normal"
    if urgency not in URGENCIES:
        raise ValidationError("urgency", _("Kies hoe snel de hulp nodig is."))
    relation = _text(values, "relation") or "self"
    if relation not in RELATIONS:
        raise ValidationError("relation", _("Kies voor wie de hulp is."))

    contact_name = _text(values, "contact_name", 120)
    if not contact_name:
        raise ValidationError("contact_name", _("Vul uw naam in."))
    contact_email = _text(values, "contact_email", 254).lower()
    contact_phone = _text(values, "contact_phone", 32)
    if not contact_email and not contact_phone:
        raise ValidationError("contact_email", _("Vul een e-mailadres of telefoonnummer in."))
    if contact_email and not params.valid_email(contact_email):
        raise ValidationError("contact_email", _("Vul een geldig e-mailadres in, bijvoorbeeld naam@voorbeeld.nl."))
    if contact_phone and not params.valid_phone(contact_phone):
        raise ValidationError("contact_phone", _("Vul een geldig telefoonnummer in, bijvoorbeeld 0343 123 456."))
    recipient_name = _text(values, "recipient_name", 120)
    if relation == "self":
        recipient_name = recipient_name or contact_name
    elif not recipient_name:
        raise ValidationError("recipient_name", _("Vul de naam in van wie de hulp krijgt."))

    description = _text(values, "description")
    summary = _text(values, "summary")
    if not description and not summary:
        raise ValidationError("description", _("Vertel kort waarbij u hulp zoekt."))

    street = _text(values, "street", 120)
    if not street:
        raise ValidationError("street", _("Vul de straat in."))
    house_number = _text(values, "house_number", 16)
    if not house_number:
        raise ValidationError("house_number", _("Vul het huisnummer in."))
    if not params.valid_house_number(house_number):
        raise ValidationError("house_number", _("Typ een huisnummer zoals 12 of 12a."))
    typed_postcode = _text(values, "postcode", 16)
    postcode = normal_postcode(typed_postcode)
    if postcode is None:
        raise ValidationError("postcode", _("Vul een postcode in zoals 3941 AB."))
    place = served_place(postcode, geocoder_)

    schedule = clean_schedule(values, check_dates=check_dates)

    preferred_language = _text(values, "preferred_language") or "nl"
    if preferred_language not in LANGUAGES:
        raise ValidationError("preferred_language", _("Kies een taal uit de lijst."))
    skills_wanted = list(values.get("skills_wanted") or [])
    unknown = [code for code in skills_wanted if code not in SKILLS]
    if unknown:
        raise ValidationError("skills_wanted", _("Kies vaardigheden uit de lijst."))
    language = _text(values, "language") or "nl"
    if language not in current_app.config["LANGUAGES"]:
        language = "nl"
    return {
        "task_type": task_type,
        "urgency": urgency,
        "relation": relation,
        "contact_name": contact_name,
        "contact_email": contact_email,
        "contact_phone": contact_phone,
        "recipient_name": recipient_name,
        "recipient_first_name": _first_name(recipient_name),
        "description": description,
        "summary": summary,
        "street": street,
        "house_number": house_number,
        "postcode": postcode,
        "pc4": place.postcode4 or postcode[:4],
        "place_name": place.place or "",
        "lat": place.lat,
        "lon": place.lon,
        **schedule,
        "preferred_language": preferred_language,
        "language_required": bool(values.get("language_required")),
        "skills_wanted": sorted(set(skills_wanted)),
        "same_volunteer": bool(values.get("same_volunteer")),
        "max_km": optional_km(values.get("max_km")),
        "language": language,
    }


def clean_schedule(values: Mapping[str, Any], check_dates: bool = True) -> dict[str, Any]:
    """Return schedule_kind, first_date, window_start, window_end, duration_minutes and weeks, checked."""
    kind = _text(values, "schedule_kind") or "once"
    if kind not in SCHEDULE_KINDS:
        raise ValidationError("schedule_kind", _("Kies één keer of elke week."))
    period_weeks = _period_weeks(values) if kind == "once" else None
    first_date = values.get("first_date")
    if isinstance(first_date, datetime):
        first_date = first_date.date()
    if period_weeks and first_date is None:
        first_date = clock.today()  # "in de komende twee weken": from today
    if not isinstance(first_date, date):
        raise ValidationError("first_date", _("Kies een datum."))
    today = clock.today()
    if check_dates and first_date < today:
        raise ValidationError("first_date", _("Kies een datum vanaf vandaag."))
    if check_dates and first_date > today + timedelta(days=MAX_DAYS_AHEAD):
        raise ValidationError("first_date", _("Kies een datum binnen een jaar."))
    start, end = values.get("window_start"), values.get("window_end")
    if not isinstance(start, time):
        raise ValidationError("window_start", _("Vul een begintijd in, bijvoorbeeld 13:00."))
    if not isinstance(end, time):
        raise ValidationError("window_end", _("Vul een eindtijd in, bijvoorbeeld 17:00."))
    if end <= start:
        raise ValidationError("window_end", _("De eindtijd moet na de begintijd liggen."))
    if check_dates and not period_weeks and first_date == today and start <= clock.local_now().time():
        raise ValidationError(
            "window_start", _("Deze tijd is vandaag al voorbij. Kies een latere tijd of een andere dag.")
        )
    duration = _int(values, "duration_minutes", _("Vul in hoe lang de hulp duurt, in minuten."))
    window_minutes = (datetime.combine(first_date, end) - datetime.combine(first_date, start)).seconds // 60
    if duration < MIN_DURATION:
        raise ValidationError(
            "duration_minutes", _("De hulp duurt minstens %(minutes)s minuten.", minutes=MIN_DURATION)
        )
    if duration > window_minutes:
        raise ValidationError(
            "duration_minutes",
            _(
                "De duur past niet tussen %(start)s en %(end)s. Kies een kortere duur of een ruimere tijd.",
                start=start.strftime("%H:%M"),
                end=end.strftime("%H:%M"),
            ),
        )
    if kind == "series":
        weeks = _int(values, "weeks", _("Kies 2 tot %(max)s weken.", max=MAX_SERIES_WEEKS))
        if not 2 <= weeks <= MAX_SERIES_WEEKS:
            raise ValidationError("weeks", _("Kies 2 tot %(max)s weken.", max=MAX_SERIES_WEEKS))
    else:
        weeks = 1
    days = timeslots.period_days(first_date, period_weeks) if period_weeks else None
    conflict = (
        timeslots.clock_change_conflict(days[-1], start, end, 1, duration, clock.zone_name())
        if days
        else timeslots.clock_change_conflict(first_date, start, end, weeks, duration, clock.zone_name())
    )
    if conflict is not None:  # issue #12: a date must start before it ends (ck_occurrences_window)
        day, missing = conflict
        if missing is not None:
            raise ValidationError(
                "window_start",
                _(
                    "Op %(date)s gaat de klok een uur vooruit: die nacht bestaat %(time)s niet. "
                    "Kies een andere tijd of een andere dag.",
                    date=format_date(day, "EEEE d MMMM y"),
                    time=missing.strftime("%H:%M"),
                ),
            )
        raise ValidationError(
            "duration_minutes",
            _(
                "Op %(date)s gaat de klok een uur vooruit: dan past de duur niet tussen %(start)s en %(end)s. "
                "Kies een kortere duur, een ruimere tijd of een andere dag.",
                date=format_date(day, "EEEE d MMMM y"),
                start=start.strftime("%H:%M"),
                end=end.strftime("%H:%M"),
            ),
        )
    return {
        "schedule_kind": kind,
        "first_date": first_date,
        "window_start": start,
        "window_end": end,
        "duration_minutes": duration,
        "weeks": weeks,
        "period_weeks": period_weeks,
    }


def _period_weeks(values: Mapping[str, Any]) -> int | None:
    """Return the weeks of a period ("geen haast", 1 to 4), or None for a fixed date."""
    raw = values.get("period_weeks")
    if raw in (None, "", 0):
        return None
    weeks = raw if isinstance(raw, int) and not isinstance(raw, bool) else params.parse_int(str(raw), 1, 99)
    if weeks is None or not 1 <= weeks <= timeslots.MAX_PERIOD_WEEKS:
        raise ValidationError(
            "period_weeks", _("Kies een periode van 1 tot %(max)s weken.", max=timeslots.MAX_PERIOD_WEEKS)
        )
    return weeks


def _occurrences(first_date, start, end, weeks, first_sequence=1, period_weeks=None):
    if period_weeks:
        # one date, on the period's last day until a volunteer is booked for the day that suits them
        first_date = timeslots.period_days(first_date, period_weeks)[-1]
    windows = timeslots.occurrence_windows(first_date, start, end, weeks, clock.zone_name())
    return [
        Occurrence(sequence=first_sequence + index, starts_at=window_start, ends_at=window_end)
        for index, (window_start, window_end) in enumerate(windows)
    ]


# --- submit and confirm -----------------------------------------------------------------------------


def submit_request(values: Mapping[str, Any], by: User | None = None, geocoder: Geocoder | None = None) -> HelpRequest:
    """Create a help request from the public form (anonymous or a resident) or a broker's phone intake."""
    if by is not None and not permissions.is_authenticated(by):
        by = None
    staff = by if by is not None and by.is_staff else None
    columns = clean_request_values(values, geocoder)
    request = HelpRequest(**columns)
    request.area = area_of_postcode4(request.pc4)
    request.occurrences = _occurrences(
        request.first_date, request.window_start, request.window_end, request.weeks, period_weeks=request.period_weeks
    )
    now = clock.naive_utcnow()
    if staff is not None:
        request.entered_by_id = staff.id
        request.confirmed_at = now  # the broker spoke with the requester
        role = queries.staff_role(staff)
    else:
        role = "requester"
        if by is not None:
            request.requester_id = by.id
        own_address = by is not None and by.email_confirmed and request.contact_email == by.email.lower()
        if not request.contact_email or own_address:
            request.confirmed_at = now
    db.session.add(request)
    states.submitted(request, by, role)
    db.session.flush()
    if request.confirmed_at is None:
        token = links.make_token("request-confirm", {"r": request.uuid})
        mail.mail_requester_about_request(
            request,
            "matching_confirm_request",
            confirm_url=notify.external_url("matching.confirm_request", token=token),
            days=links.REQUEST_CONFIRM_MAX_AGE // 86400,
        )
    else:
        mail.mail_requester_about_request(request, "matching_request_received")
    transactions.commit()
    return request


def confirm_request(token: str) -> HelpRequest:
    """Confirm a request's e-mail address from the link in the e-mail; a second click changes nothing."""
    payload = links.read_token("request-confirm", token, links.REQUEST_CONFIRM_MAX_AGE, now=clock.utcnow())
    if not isinstance(payload, dict) or "r" not in payload:
        raise NotFound(_("Deze link is verlopen of klopt niet."))
    request = db.session.scalar(select(HelpRequest).where(HelpRequest.uuid == payload["r"]))
    if request is None:
        raise NotFound(_("Deze hulpvraag bestaat niet meer."))
    if request.confirmed_at is not None:
        return request
    result = db.session.execute(
        update(HelpRequest)
        .where(HelpRequest.id == request.id, HelpRequest.confirmed_at.is_(None))
        .values(confirmed_at=clock.naive_utcnow())
        .execution_options(synchronize_session=False)
    )
    if cast(CursorResult[Any], result).rowcount != 1:  # confirmed by a simultaneous click
        db.session.rollback()
        db.session.refresh(request)
        return request
    db.session.refresh(request)
    states.record_event(request, "confirmed", request.requester, "requester")
    mail.mail_requester_about_request(request, "matching_request_received")
    transactions.commit()
    return request


# --- loading ------------------------------------------------------------------------------------------------


def get_request_for_requester(access_token: str | None) -> HelpRequest:
    """Return the request behind a requester's secret link, or raise NotFound."""
    if not access_token or not isinstance(access_token, str):
        raise NotFound(_("Deze hulpvraag bestaat niet."))
    request = db.session.scalar(
        select(HelpRequest).options(*queries.load_options()).where(HelpRequest.access_token == access_token)
    )
    if request is None:
        raise NotFound(_("Deze hulpvraag bestaat niet."))
    return request


def requests_of_user(user: User) -> Sequence[HelpRequest]:
    """Return the requests a logged-in resident submitted, newest first."""
    permissions.require_login(user)
    return db.session.scalars(
        select(HelpRequest)
        .options(selectinload(HelpRequest.occurrences))
        .where(HelpRequest.requester_id == user.id)
        .order_by(HelpRequest.created_at.desc(), HelpRequest.id.desc())
    ).all()


def get_request_for_broker(request_id: int, by: User, what: str = "request") -> HelpRequest:
    """Return a request with its personal data for a broker of its area, and log the view."""
    request = queries.get_request(request_id)
    queries.require_request_broker(request, by)
    privacy.log_view(request, by, queries.staff_role(by), what)
    transactions.commit()
    return request


def broker_queue(by: User, area_id: int | None = None) -> dict[str, Any]:
    """Return what waits for a broker, per status, for their areas (or one of them).

    Keys: submitted (confirmed, to review), unconfirmed (waiting for the requester's e-mail
    click), open, proposed, matched: lists of requests, spoed first, then oldest first; volunteers (profiles
    waiting for approval), interested (matches of volunteers who said "Ik wil helpen"),
    areas (the areas the broker may filter on), counts.
    """
    where, areas = queries.area_filter(HelpRequest.area_id, by, area_id, HelpRequest.postcode)
    rows = db.session.scalars(
        select(HelpRequest)
        .options(
            selectinload(HelpRequest.occurrences), selectinload(HelpRequest.area), selectinload(HelpRequest.matches)
        )
        .where(where, HelpRequest.status.in_(QUEUE_STATUSES))
        # spoed first, then oldest first (issue #14, item 5)
        .order_by(case((HelpRequest.urgency == "high", 0), else_=1), HelpRequest.created_at, HelpRequest.id)
    ).all()
    queue: dict[str, Any] = {"submitted": [], "unconfirmed": [], "open": [], "proposed": [], "matched": []}
    for request in rows:
        if request.status == "submitted" and request.confirmed_at is None:
            queue["unconfirmed"].append(request)
        else:
            queue[request.status].append(request)
    volunteer_where, _areas = queries.area_filter(VolunteerProfile.area_id, by, area_id, VolunteerProfile.postcode)
    queue["volunteers"] = db.session.scalars(
        select(VolunteerProfile)
        .options(selectinload(VolunteerProfile.user), selectinload(VolunteerProfile.area))
        .where(volunteer_where, VolunteerProfile.status == "pending")
        .order_by(VolunteerProfile.created_at, VolunteerProfile.id)
    ).all()
    queue["interested"] = db.session.scalars(
        select(Match)
        .join(HelpRequest, Match.request_id == HelpRequest.id)
        .options(selectinload(Match.volunteer), selectinload(Match.request))
        .where(where, Match.status == "interested", HelpRequest.status.in_(("open", "proposed")))
        .order_by(Match.created_at, Match.id)
    ).all()
    queue["areas"] = areas
    queue["counts"] = {
        key: len(queue[key])
        for key in ("submitted", "unconfirmed", "open", "proposed", "matched", "volunteers", "interested")
    }
    return queue


# --- broker decisions ---------------------------------------------------------------------------------


def publish_request(request_id: int, by: User) -> HelpRequest:
    """Publish a reviewed request (submitted → open) so volunteers see it; a second call changes nothing."""
    request = queries.get_request(request_id)
    queries.require_request_broker(request, by)
    if request.status != "submitted":
        if request.status in ("open", "proposed", "matched", "done"):
            return request
        raise ValidationError(
            None,
            _(
                "Deze hulpvraag is %(status)s en kan niet meer worden gepubliceerd.",
                status=_status_label(request.status),
            ),
        )
    if request.confirmed_at is None:
        raise ValidationError(
            None,
            _(
                "De aanvrager heeft het e-mailadres nog niet bevestigd. "
                "Bel de aanvrager, of wacht tot de bevestiging binnen is."
            ),
        )
    if not states.claim(request, ("submitted",), "open", reviewed_at=clock.naive_utcnow(), reviewed_by_id=by.id):
        return queries.get_request(request_id)
    states.record_transition(request, "published", "submitted", "open", by, queries.staff_role(by))
    mail.mail_requester_about_request(request, "matching_request_published")
    transactions.commit()
    return request


def reject_request(request_id: int, reason: str | None, by: User) -> HelpRequest:
    """Reject a request with a reason that the requester gets by e-mail; a second call changes nothing."""
    request = queries.get_request(request_id)
    queries.require_request_broker(request, by)
    reason = (reason or "").strip()[:MAX_TEXT]
    if request.status == "rejected":
        return request
    if request.status not in ("submitted", "open"):
        raise ValidationError(
            None,
            _(
                "Deze hulpvraag is %(status)s. Annuleer haar in plaats van af te wijzen.",
                status=_status_label(request.status),
            ),
        )
    if not reason:
        raise ValidationError("reason", _("Schrijf kort waarom. De aanvrager krijgt dit te lezen."))
    from_status = request.status
    now = clock.naive_utcnow()
    if not states.claim(
        request,
        ("submitted", "open"),
        "rejected",
        rejection_reason=reason,
        reviewed_at=now,
        reviewed_by_id=by.id,
        closed_at=now,
    ):
        return queries.get_request(request_id)
    _reject_pending_matches(request, now)
    states.record_transition(request, "rejected", from_status, "rejected", by, queries.staff_role(by), note=reason)
    mail.mail_requester_about_request(request, "matching_request_rejected", reason=reason)
    transactions.commit()
    return request


def snapshot(request: HelpRequest) -> dict[str, Any]:
    """Return a request's form values (as submit_request and update_request take them)."""
    return {name: getattr(request, name) for name in FIELDS}


def update_request(request_id: int, values: Mapping[str, Any], by: User) -> HelpRequest:
    """Edit a request as its broker (all form fields; missing ones keep their value)."""
    request = queries.get_request(request_id)
    queries.require_request_broker(request, by)
    if request.is_closed:
        raise ValidationError(None, _("Deze hulpvraag is gesloten en kan niet meer worden gewijzigd."))
    current = snapshot(request)
    merged = {**current, **{key: value for key, value in values.items() if key in FIELDS}}
    columns = clean_request_values(merged, check_dates=any(merged[name] != current[name] for name in SCHEDULE_FIELDS))
    new_area = area_of_postcode4(columns["pc4"])
    if new_area is not None and new_area.id != request.area_id:
        scopes.require_moderator(by, [new_area.id])
    windows_changed = any(columns[name] != current[name] for name in SCHEDULE_FIELDS)
    if windows_changed and any(match.status in HOLDING_MATCH_STATUSES for match in request.matches):
        raise ValidationError(
            "first_date",
            _("Er is al een vrijwilliger gekoppeld. Annuleer die koppeling eerst als de datum of tijd verandert."),
        )
    changed = sorted(name for name in columns if getattr(request, name) != columns[name])
    if not changed:
        return request
    for name, value in columns.items():
        setattr(request, name, value)
    request.area = new_area
    if windows_changed:
        _replace_occurrences(request)
    states.record_event(request, "edited", by, queries.staff_role(by), note=", ".join(changed))
    transactions.commit()
    return queries.get_request(request_id)


def _replace_occurrences(request):
    """Give a request new dates: drop the old ones, or cancel those with (released) bookings as history."""
    booked_ids = set(
        db.session.scalars(
            select(Booking.occurrence_id)
            .join(Occurrence, Booking.occurrence_id == Occurrence.id)
            .where(Occurrence.request_id == request.id)
        )
    )
    last = 0
    for occurrence in list(request.occurrences):
        if occurrence.id in booked_ids:
            occurrence.status = "cancelled"
            last = max(last, occurrence.sequence)
        else:
            request.occurrences.remove(occurrence)
    db.session.flush()
    request.occurrences.extend(
        _occurrences(
            request.first_date,
            request.window_start,
            request.window_end,
            request.weeks,
            last + 1,
            period_weeks=request.period_weeks,
        )
    )


# --- cancel ----------------------------------------------------------------------------------------------


def _reject_pending_matches(request, now):
    """End the suggested and interested matches of a rejected request (no bookings: nothing to release)."""
    db.session.execute(
        update(Match)
        .where(Match.request_id == request.id, Match.status.in_(PENDING_MATCH_STATUSES))
        .values(status="rejected", updated_at=now)
        .execution_options(synchronize_session=False)
    )
    db.session.expire(request)


def _canceller(request, by, access_token):
    """Return the role of whoever may cancel a request, or raise PermissionDenied."""
    if access_token is not None:
        if access_token == request.access_token:
            return "requester"
        raise PermissionDenied("wrong link")
    permissions.require_login(by)
    if request.requester_id is not None and request.requester_id == by.id:
        return "requester"
    queries.require_request_broker(request, by)
    return "broker"


def cancel_request(
    request_id: int, by: User | None = None, access_token: str | None = None, reason: str | None = ""
) -> HelpRequest:
    """Cancel a request (its requester by link or account, or its broker); releases the dates.

    The status moves with a conditional UPDATE, then booking.release_request cancels the
    pending and holding matches and releases their bookings; volunteers who were booked get
    an e-mail. A second call changes nothing.
    """
    request = queries.get_request(request_id)
    role = _canceller(request, by, access_token)
    if request.is_closed:
        return request
    from_status = request.status
    now = clock.naive_utcnow()
    reason = (reason or "").strip()[:MAX_TEXT]
    if not states.claim(request, ("submitted", "open", "proposed", "matched"), "cancelled", closed_at=now):
        return queries.get_request(request_id)
    actor = by if permissions.is_authenticated(by) else None
    # Booking cancels each match with its own conditional update, releases its bookings and
    # mails the volunteers who were booked.
    booking.release_request(request, role, reason, by=actor)
    db.session.execute(
        update(Occurrence)
        .where(Occurrence.request_id == request.id, Occurrence.status.in_(("open", "booked")))
        .values(status="cancelled")
        .execution_options(synchronize_session=False)
    )
    db.session.expire(request)
    states.record_transition(request, "cancelled", from_status, "cancelled", actor, role, note=reason)
    transactions.commit()
    return queries.get_request(request_id)


# --- reopen (issue #14) ----------------------------------------------------------------------------------


def reopen_refusal(request: HelpRequest, now: datetime) -> str | None:
    """Return why a broker may not reopen this request now, or None when they may."""
    if not request.is_closed:
        return _("Deze hulpvraag is niet gesloten.")
    if not states.may_reopen(request, now):
        return _(
            "Deze hulpvraag kan niet meer worden heropend. Dat kan tot %(days)d dagen na het sluiten.",
            days=states.REOPEN_DAYS,
        )
    return None


def request_to_reopen(request_id: int, by: User) -> tuple[HelpRequest, str | None]:
    """Return a request for its broker's "Heropenen" page and why it may not be reopened (None: it may)."""
    request = queries.get_request(request_id)
    queries.require_request_broker(request, by)
    return request, reopen_refusal(request, clock.naive_utcnow())


def reopened_volunteers(request: HelpRequest) -> list[Match]:
    """Return the matches whose volunteer hears that a request was reopened: those marked done."""
    return [match for match in request.matches if match.status == "done"]


def reopen_request(request_id: int, by: User, note: str | None = "") -> HelpRequest:
    """A broker reopens a request closed by mistake (done or cancelled, at most 14 days ago).

    The request goes back to open (a step of TRANSITIONS, recorded as 'reopened'); its future
    dates that were closed open again. The requester and the volunteers whose match was done
    get an e-mail. Matches keep their status: they are the history of what happened.
    """
    request = queries.get_request(request_id)
    queries.require_request_broker(request, by)
    now = clock.naive_utcnow()
    refusal = reopen_refusal(request, now)
    if refusal is not None:
        raise ValidationError(None, refusal)
    from_status = request.status
    note = (note or "").strip()[:MAX_TEXT]
    if not states.claim(request, (from_status,), "open", closed_at=None):
        return queries.get_request(request_id)
    future = [o.id for o in request.occurrences if o.starts_at > now and o.status in ("cancelled", "done")]
    if future:
        db.session.execute(
            update(Booking)
            .where(Booking.occurrence_id.in_(future), Booking.active.is_(True))
            .values(active=False, released_at=now)
            .execution_options(synchronize_session=False)
        )
        db.session.execute(
            update(Occurrence)
            .where(Occurrence.id.in_(future))
            .values(status="open")
            .execution_options(synchronize_session=False)
        )
    db.session.expire(request)
    states.record_transition(request, "reopened", from_status, "open", by, "broker", note=note)
    mail.mail_requester(request, "matching_request_reopened", audience="requester")
    for match in reopened_volunteers(request):
        mail.mail_volunteer(
            match, "matching_request_reopened", audience="volunteer", page_url=notify.external_url("matching.my_tasks")
        )
    transactions.commit()
    return queries.get_request(request_id)


def _status_label(status):
    return str(REQUEST_STATUS_LABELS.get(status, status)).lower()
