"""Signals (issue #15): report a concern, follow it up in the area's village team, aggregates for insights.

Who sees what:
- anyone may report, with or without an account, anonymously if they wish;
- a signal's personal fields are read only by the brokers of its area (every broker of its
  municipality when it has no area, or when nobody is broker of its area: no signal waits unseen;
  directory.scopes, issue #20); each opening is a SignalView row;
- admins manage: they see the queue per area (numbers, status, due dates) but never open a
  signal's personal fields unless they are a broker of its area themselves;
- a reporter with an account sees the status of their own signals, never the team's notes or
  the outcome; a reporter who left an e-mail address gets a receipt and, once, "uw melding is
  opgepakt";
- insights reads `counts` and `daily_counts` only: numbers per day, area and theme, no text.
E-mail to brokers names the signal's number, area and due date, never what was reported.
"""

from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any, cast

from flask_babel import gettext as _
from sqlalchemy import CursorResult, select, update
from sqlalchemy.orm import selectinload

from .. import clock, params
from ..accounts import permissions
from ..accounts.models import User
from ..accounts.queries import areas_with_brokers, brokers_of_areas
from ..directory import municipalities, scopes
from ..directory.models import Area
from ..errors import NotFound, PermissionDenied, ValidationError
from ..extensions import db
from ..notify import services as notify
from . import workdays
from .models import OUTCOMES, STATUSES, THEMES, WAITING_STATUSES, Signal, SignalEvent, SignalView

DUE_WORKING_DAYS = 5
MAX_TEXT = 2000
MAX_NOTE = 2000
LIMITS = {
    "subject_name": 120,
    "subject_address": 200,
    "reporter_name": 120,
    "reporter_email": 254,
    "reporter_phone": 32,
}
RECENTLY_CLOSED = 30  # closed signals the queue still lists
MAX_ID = params.MAX_ID


# --- time -------------------------------------------------------------------------------------------


def due_date(received: date) -> date:
    """Return the date by which the team should have made contact: 5 working days after receipt."""
    return workdays.add_working_days(received, DUE_WORKING_DAYS)


# --- who handles a signal ---------------------------------------------------------------------------


def _covered_area_ids() -> set[int]:
    """Return the areas that have an active broker with a confirmed address (the others fall to every broker)."""
    return areas_with_brokers()


def _handles(user, area_id, covered, code=None) -> bool:
    if not (permissions.is_authenticated(user) and user.is_broker):
        return False
    if area_id is not None and area_id in user.area_ids:
        return True
    if area_id is not None and area_id in covered:
        return False
    return scopes.in_scope(user, scopes.row_code(area_id, code=code))


def may_handle(user: User, signal: Signal) -> bool:
    """Return True when the user is a broker of the signal's area (and so may read its personal fields)."""
    return _handles(user, signal.area_id, _covered_area_ids(), signal.municipality_code)


def handlers_of(area_id: int | None, code: str | None = None) -> list:
    """Return the brokers who get a signal of this area by e-mail (without any: every broker of its municipality,
    `code` for a signal without an area that names one)."""
    brokers = brokers_of_areas(area_id) if area_id is not None else []
    return brokers or scopes.brokers_of(None, scopes.row_code(area_id, code=code))


def _require_handler(user, signal):
    permissions.require_login(user)
    if not may_handle(user, signal):
        raise PermissionDenied("not a broker of this signal's area")


def _require_queue_reader(user):
    permissions.require_login(user)
    if not user.has_role("broker", "admin"):
        raise PermissionDenied("brokers and admins only")


# --- reporting ----------------------------------------------------------------------------------------


def area_choices() -> list[Area]:
    """Return every area by name, for "in which village?"."""
    return list(db.session.scalars(select(Area).order_by(Area.name)))


def municipality_choices() -> list[tuple[str, str]]:
    """Return (CBS code, name) of each municipality of a region, for "somewhere else in ..." (none in one)."""
    if not municipalities.is_region():
        return []
    return [(row.code, row.name) for row in municipalities.municipality_rows()]


def municipality_of_slug(slug: object) -> str | None:
    """Return the CBS code of a region's municipality by its slug (?gemeente= from its pages), else None."""
    row = municipalities.by_slug(slug) if municipalities.is_region() else None
    return row.code if row is not None else None


def area_by_code(code: object) -> Area | None:
    """Return the area with this code (a link from a dorpsteam's contact block), or None."""
    if not isinstance(code, str) or not code or len(code) > 64 or params.has_control_characters(code):
        return None  # PostgreSQL refuses a NUL in a query: bad input is simply no area (issue #12)
    return db.session.scalar(select(Area).where(Area.code == code))


def _text(values, name, limit):
    value = values.get(name)
    return " ".join(str(value).split())[:limit] if value else ""


def missing_parts(values: dict) -> list[tuple[str, str]]:
    """Return (field, message) for each part a signal lacks: something noticed, and someone to find."""
    missing = []
    if not values.get("themes") and not str(values.get("description") or "").strip():
        missing.append(("themes", _("Kies wat u opviel, of schrijf het op.")))
    if not any(str(values.get(name) or "").strip() for name in ("subject_name", "subject_address", "area_id")):
        missing.append(
            (
                "subject_name",
                _(
                    "Vertel iets over wie het is of waar de persoon woont: een voornaam, een omschrijving, "
                    "de straat of het dorp. Anders kan het dorpsteam de persoon niet vinden."
                ),
            )
        )
    return missing


def clean_signal_values(values: dict) -> dict:
    """Return the columns of a new signal, or raise ValidationError(field, message) in Dutch."""
    themes = values.get("themes") or []
    if isinstance(themes, str) or any(theme not in THEMES for theme in themes):
        raise ValidationError("themes", _("Kies alleen uit de lijst."))
    description = str(values.get("description") or "").strip()
    if len(description) > MAX_TEXT:
        raise ValidationError("description", _("Schrijf hoogstens %(max)d tekens.", max=MAX_TEXT))
    missing = missing_parts(values)
    if missing:
        raise ValidationError(*missing[0])
    clean = {name: _text(values, name, limit) for name, limit in LIMITS.items()}
    clean["reporter_email"] = clean["reporter_email"].lower()
    area_id = values.get("area_id")
    area = None
    if area_id not in (None, ""):
        known = isinstance(area_id, int) and not isinstance(area_id, bool) and 0 < area_id <= MAX_ID
        area = db.session.get(Area, area_id) if known else None
        if area is None:
            raise ValidationError("area_id", _("Kies een dorp uit de lijst."))
    code = values.get("municipality_code") or None
    if area is not None or not municipalities.is_region():
        code = None  # the area's municipality, or the only one
    elif code is not None and (not isinstance(code, str) or municipalities.by_code(code) is None):
        raise ValidationError("area_id", _("Kies een dorp uit de lijst."))
    if clean["reporter_email"] and not params.valid_email(clean["reporter_email"]):
        raise ValidationError("reporter_email", _("Typ een e-mailadres zoals naam@voorbeeld.nl."))
    if clean["reporter_phone"] and not params.valid_phone(clean["reporter_phone"]):
        raise ValidationError(
            "reporter_phone", _("Typ een telefoonnummer van 10 cijfers, zoals 0343 123 456, of met +31.")
        )
    ordered = [theme for theme in THEMES if theme in themes] or ["other"]
    return {
        **clean,
        "description": description,
        "themes": ordered,
        "area_id": area.id if area else None,
        "municipality_code": code,
    }


def _actor_name(user):
    return (user.name or user.email)[:120] if user is not None else ""


def _record(signal, action, by=None, from_status=None, to_status=None, outcome=None, note=""):
    event = SignalEvent(
        signal=signal,
        action=action,
        from_status=from_status,
        to_status=to_status,
        outcome=outcome,
        note=note,
        actor_id=getattr(by, "id", None),
        actor_name=_actor_name(by),
        created_at=clock.naive_utcnow(),
    )
    db.session.add(event)
    return event


def _workspace_url(signal):
    return notify.external_url("signal_team.detail", signal_id=signal.id)


def _mail_handlers(signal, template, **context):
    """Mail the brokers of the signal's area: number, area, due date and a link; never what was reported."""
    for broker in handlers_of(signal.area_id, signal.municipality_code):
        notify.queue_message(
            broker.email,
            template,
            broker.language,
            name=broker.name,
            number=signal.id,
            area=signal.area,
            due_on=signal.due_on,
            status=signal.status,
            signal_url=_workspace_url(signal),
            **context,
        )


def _mail_reporter(signal, template):
    """Mail a reporter who left an address: only that the signal arrived or was picked up.

    Not even the reporter's own name: nothing the form took goes into an e-mail (issue #15).
    """
    if signal.reporter_email and signal.erased_at is None:
        notify.queue_message(
            signal.reporter_email,
            template,
            signal.language,
            received_on=clock.local_date(signal.received_at),
            area=signal.area,
        )


def submit_signal(values: dict, by: User | None = None, language: str = "nl") -> Signal:
    """Record a "zorgen over iemand" signal (no account needed) and tell the area's brokers."""
    columns = clean_signal_values(values)
    now = clock.naive_utcnow()
    signal = Signal(
        **columns,
        language=language if language in ("nl", "en") else "nl",
        received_at=now,
        due_on=due_date(clock.local_date(now)),
        status="new",
    )
    if by is not None and permissions.is_authenticated(by):
        signal.reporter_id = by.id
    db.session.add(signal)
    _record(signal, "received", to_status="new")
    db.session.flush()
    _mail_handlers(signal, "signal_new")
    _mail_reporter(signal, "signal_received")
    db.session.commit()
    return signal


def signals_of_reporter(by: User) -> list[Signal]:
    """Return the signals a logged-in user reported, newest first (their status, not the team's work)."""
    permissions.require_login(by)
    return list(
        db.session.scalars(
            select(Signal)
            .options(selectinload(Signal.area))
            .where(Signal.reporter_id == by.id)
            .order_by(Signal.received_at.desc(), Signal.id.desc())
        )
    )


# --- the village team's queue --------------------------------------------------------------------------


@dataclass
class AreaCount:
    """How many signals of one area are in each status, and how many wait past their due date."""

    area: Area | None
    statuses: dict = field(default_factory=dict)
    overdue: int = 0


@dataclass
class Queue:
    """A broker's signals (waiting, contact made, recently closed) and, for everyone, counts per area."""

    waiting: list = field(default_factory=list)  # new and in behandeling, earliest due first
    contact_made: list = field(default_factory=list)
    closed: list = field(default_factory=list)  # closed in the last RECENTLY_CLOSED days
    areas: list = field(default_factory=list)  # AreaCount rows (an admin's overview)
    may_open: bool = False  # the user handles signals (a broker)
    today: date | None = None


def signal_queue(by: User) -> Queue:
    """Return the signals a broker handles; for an admin the counts per area without opening any signal."""
    _require_queue_reader(by)
    today = clock.today()
    covered = _covered_area_ids()
    queue = Queue(may_open=by.is_broker, today=today)
    since = clock.start_of_day(today - timedelta(days=RECENTLY_CLOSED))
    rows = db.session.scalars(
        select(Signal)
        .options(selectinload(Signal.area))
        .where(Signal.erased_at.is_(None), (Signal.closed_at.is_(None)) | (Signal.closed_at >= since))
        .order_by(Signal.due_on, Signal.id)
    ).all()
    mine = [signal for signal in rows if _handles(by, signal.area_id, covered, signal.municipality_code)]
    queue.waiting = [signal for signal in mine if signal.is_waiting]
    queue.contact_made = [signal for signal in mine if signal.status == "contact_made"]
    queue.closed = sorted((signal for signal in mine if signal.is_closed), key=lambda s: s.closed_at, reverse=True)
    if by.is_admin:
        queue.areas = _area_counts(today, by)
    return queue


def _area_counts(today, by):
    """Return AreaCount rows of the signals not yet erased, per area of the admin's municipality (empty ones too)."""
    in_scope = scopes.scope_area_ids(by)
    counts = {
        area.id: AreaCount(area=area, statuses=dict.fromkeys(STATUSES, 0))
        for area in area_choices()
        if in_scope is None or area.id in in_scope
    }
    without = AreaCount(area=None, statuses=dict.fromkeys(STATUSES, 0))
    rows = db.session.execute(
        select(Signal.area_id, Signal.status, Signal.due_on, Signal.municipality_code).where(Signal.erased_at.is_(None))
    ).all()
    for area_id, status, due_on, code in rows:
        if not scopes.in_scope(by, scopes.row_code(area_id, code=code)):
            continue  # another municipality's signal (issue #20)
        row = counts.get(area_id, without)
        row.statuses[status] += 1
        if status in WAITING_STATUSES and today > due_on:
            row.overdue += 1
    return [*counts.values(), *([without] if any(without.statuses.values()) else [])]


def _load(signal_id, populate=False) -> Signal:
    known = isinstance(signal_id, int) and not isinstance(signal_id, bool) and 0 < signal_id <= MAX_ID
    statement = (
        select(Signal)
        .where(Signal.id == signal_id)
        .options(selectinload(Signal.area), selectinload(Signal.events), selectinload(Signal.views))
    )
    if populate:
        statement = statement.execution_options(populate_existing=True)
    signal = db.session.scalar(statement) if known else None
    if signal is None:
        raise NotFound(f"signal {signal_id}")
    return signal


def get_signal_for_broker(signal_id: int, by: User) -> Signal:
    """Return a signal with its personal fields for a broker of its area, and log the view."""
    signal = _load(signal_id)
    _require_handler(by, signal)
    db.session.add(
        SignalView(
            signal_id=signal.id,
            viewer_id=by.id,
            viewer_name=_actor_name(by),
            viewer_role="broker",
            what="signal",
            created_at=clock.naive_utcnow(),
        )
    )
    db.session.commit()
    return _load(signal_id, populate=True)


def get_signal_status(signal_id: int, by: User) -> Signal:
    """Return a signal for a broker of its area without logging a view: for its status, not its personal fields."""
    signal = _load(signal_id)
    _require_handler(by, signal)
    return signal


def next_statuses(signal: Signal) -> tuple:
    """Return the statuses a signal may move to: the later steps; none once closed."""
    return STATUSES[STATUSES.index(signal.status) + 1 :]


def change_status(signal_id: int, to_status: str, by: User, outcome: str | None = None, note: str = "") -> Signal:
    """Move a signal on (nieuw → in behandeling → contact gelegd → afgesloten, with an outcome)."""
    signal = _load(signal_id)
    _require_handler(by, signal)
    if to_status not in next_statuses(signal):
        raise ValidationError("status", _("Kies een volgende stap."))
    if to_status == "closed" and outcome not in OUTCOMES:
        raise ValidationError("outcome", _("Kies hoe het is afgelopen."))
    if to_status != "closed":
        outcome = None
    note = (note or "").strip()
    if len(note) > MAX_NOTE:
        raise ValidationError("note", _("Schrijf hoogstens %(max)d tekens.", max=MAX_NOTE))
    now = clock.naive_utcnow()
    columns = {"status": to_status, "outcome": outcome, "updated_at": now}
    first_pickup = signal.picked_up_at is None
    if first_pickup:
        columns["picked_up_at"] = now
    if to_status in ("contact_made", "closed") and signal.followed_up_at is None:
        columns["followed_up_at"] = now
    if to_status == "closed":
        columns["closed_at"] = now
    # Conditional: two brokers changing the same signal at once cannot both move it (nor mail twice).
    result = db.session.execute(
        update(Signal)
        .where(Signal.id == signal.id, Signal.status == signal.status)
        .values(**columns)
        .execution_options(synchronize_session=False)
    )
    if cast(CursorResult[Any], result).rowcount != 1:
        db.session.rollback()
        raise ValidationError("status", _("Iemand anders heeft de status net veranderd. Bekijk de melding opnieuw."))
    _record(signal, "status", by, from_status=signal.status, to_status=to_status, outcome=outcome, note=note)
    signal = _load(signal_id, populate=True)
    if first_pickup:
        _mail_reporter(signal, "signal_picked_up")
    db.session.commit()
    return signal


def add_note(signal_id: int, text: str, by: User) -> SignalEvent:
    """Add a note to a signal's history."""
    signal = _load(signal_id)
    _require_handler(by, signal)
    text = (text or "").strip()
    if not text:
        raise ValidationError("note", _("Schrijf een notitie."))
    if len(text) > MAX_NOTE:
        raise ValidationError("note", _("Schrijf hoogstens %(max)d tekens.", max=MAX_NOTE))
    if signal.erased_at is not None:
        raise ValidationError("note", _("Deze melding is gewist. Er kan niets meer bij."))
    event = _record(signal, "note", by, note=text)
    db.session.commit()
    return event


# --- daily jobs --------------------------------------------------------------------------------------


def send_overdue_reminders() -> int:
    """Mail the brokers once about each signal still waiting after its due date; return how many. Idempotent."""
    today = clock.today()
    overdue = db.session.scalars(
        select(Signal)
        .options(selectinload(Signal.area))
        .where(
            Signal.status.in_(WAITING_STATUSES),
            Signal.due_on < today,
            Signal.reminded_at.is_(None),
            Signal.erased_at.is_(None),
        )
        .order_by(Signal.id)
    ).all()
    now = clock.naive_utcnow()
    for signal in overdue:
        signal.reminded_at = now
        _mail_handlers(signal, "signal_overdue")
    db.session.commit()
    return len(overdue)


# --- aggregates for insights ---------------------------------------------------------------------------


def counts(period_start: date, period_end: date, area_ids: Iterable[int] | None = None, by_theme: bool = True) -> dict:
    """Return {(area_id, theme): {"received", "followed_up_in_time", "closed"}} for signals received in a period.

    period_start and period_end are local dates, both included (a quarter: 1 October to 31 December).
    Of the signals received then: how many, how many reached "contact gelegd" or "afgesloten" on or
    before their due date, how many are closed by now. A signal counts once for each of its themes;
    area_id None is a signal without an area. area_ids limits the areas (None: all, and no area).
    by_theme=False gives {area_id: {...}} instead, each signal counted once (totals and shares over
    all themes). Numbers only: no text, no person. Small-number suppression is the caller's.
    """
    return added_up(daily_counts(period_start, period_end, area_ids), by_theme)


DayKey = tuple[date, int | None, tuple[str, ...]]  # (local day received, area_id, themes)


def daily_counts(period_start: date, period_end: date, area_ids: Iterable[int] | None = None) -> dict[DayKey, dict]:
    """Return counts() per local day received, area and set of themes: {(day, area_id, themes): {...}}.

    One query for every figure the area analysis shows of signals (per theme, per area, per quarter,
    per day), which added_up() and received_per_day() add up for any part of the period. Numbers
    only, as counts().
    """
    result: defaultdict[DayKey, dict[str, int]] = defaultdict(
        lambda: {"received": 0, "followed_up_in_time": 0, "closed": 0}
    )
    local_date = clock.LocalDates()
    for area_id, themes, due_on, followed_up_at, status, received_at in _received(period_start, period_end, area_ids):
        row = result[(local_date(received_at), area_id, tuple(themes or ()))]
        row["received"] += 1
        row["followed_up_in_time"] += int(followed_up_at is not None and local_date(followed_up_at) <= due_on)
        row["closed"] += int(status == "closed")
    return dict(result)


def added_up(
    daily: dict[DayKey, dict], by_theme: bool = True, first: date | None = None, last: date | None = None
) -> dict:
    """Return daily_counts() added up as counts() gives them, over the days from `first` to `last` (default: all)."""
    result: defaultdict[object, dict[str, int]] = defaultdict(
        lambda: {"received": 0, "followed_up_in_time": 0, "closed": 0}
    )
    for (day, area_id, themes), numbers in daily.items():
        if (first is not None and day < first) or (last is not None and day > last):
            continue
        for key in [(area_id, theme) for theme in themes or ("other",)] if by_theme else [area_id]:
            row = result[key]
            for name, number in numbers.items():
                row[name] += number
    return dict(result)


def received_per_day(period_start: date, period_end: date, area_ids: Iterable[int] | None = None) -> Counter:
    """Return how many signals came in on each local day of a period (for a trend line; each signal once)."""
    days: Counter[date] = Counter()
    for (day, _area_id, _themes), numbers in daily_counts(period_start, period_end, area_ids).items():
        days[day] += numbers["received"]
    return days


def _received(period_start: date, period_end: date, area_ids):
    """Yield (area_id, themes, due_on, followed_up_at, status, received_at) of the signals of a period."""
    statement = select(
        Signal.area_id, Signal.themes, Signal.due_on, Signal.followed_up_at, Signal.status, Signal.received_at
    ).where(
        Signal.received_at >= clock.start_of_day(period_start),
        Signal.received_at < clock.start_of_day(period_end + timedelta(days=1)),
    )
    if area_ids is not None:
        statement = statement.where(Signal.area_id.in_(list(area_ids)))
    yield from db.session.execute(statement)
