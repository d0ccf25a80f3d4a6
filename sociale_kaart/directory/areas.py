"""Areas (dorpen, kernen, wijken) and their contact, the dorpsteam (issue #11).

Which area a postcode or place lies in is decided here, for the directory, matching and the
seeds alike. Admins keep each area's contact up to date; residents see it on the home page,
next to few search results and on their help request.
"""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from .. import params, transactions
from ..accounts import permissions
from ..errors import NotFound, ValidationError
from ..extensions import db
from ..params import valid_email, valid_phone
from . import cache
from .models import AREA_CONTACT_FIELDS, Area

CONTACT_LABELS = {
    "contact_name": _l("Naam"),
    "contact_phone": _l("Telefoonnummer"),
    "contact_email": _l("E-mailadres"),
    "contact_address": _l("Adres"),
    "contact_hours": _l("Spreekuur"),
}
MAX_ID = params.MAX_ID  # an id in a URL beyond the database's integer is simply not found
CONTACT_MAX_LENGTHS = {
    "contact_name": 120,
    "contact_phone": 32,
    "contact_email": 254,
    "contact_address": 200,
    "contact_hours": 200,
}


# --- where is a postcode or place ------------------------------------------------------------


def area_containing(areas: Iterable[Area], postcode4: str | None) -> Area | None:
    """Return the first of the given areas whose postcodes include a four-digit postcode, or None."""
    if not postcode4:
        return None
    return next((area for area in areas if postcode4 in (area.postcodes or [])), None)


def area_row_of_postcode4(postcode4: str | None) -> "AreaRow | None":
    """Return the kept row (AreaRow) of the area whose postcodes include a four-digit postcode, or None."""
    if not postcode4:
        return None
    return next((area for area in area_rows() if postcode4 in area.postcodes), None)


def area_of_postcode4(postcode4: str | None) -> Area | None:
    """Return the area whose postcodes include a four-digit postcode, or None."""
    # found among the areas this process keeps; only the one found is read (issue #17)
    found = area_row_of_postcode4(postcode4)
    return db.session.get(Area, found.id) if found is not None else None


def area_row_of_place(place: object | None) -> "AreaRow | None":
    """Return the kept row of the area of a resolved place (geo.Place), or None for no place or a whole municipality."""
    if place is None or getattr(place, "kind", None) == "municipality":
        return None
    return area_row_of_postcode4(getattr(place, "postcode4", None))


def area_of_place(place: object | None) -> Area | None:
    """Return the area of a resolved place (geo.Place), or None for no place or a whole municipality."""
    found = area_row_of_place(place)
    return db.session.get(Area, found.id) if found is not None else None


@dataclass(frozen=True)
class AreaRow:
    """An area as plain values, kept per process (cache.py, issue #17): its name and its dorpsteam's contact."""

    id: int
    code: str
    name: str
    postcodes: tuple[str, ...]
    contact_name: str | None
    contact_phone: str | None
    contact_email: str | None
    contact_address: str | None
    contact_hours: str | None

    @property
    def has_contact(self) -> bool:
        """Return True when any contact detail is filled in (as Area.has_contact)."""
        return any(getattr(self, name) for name in AREA_CONTACT_FIELDS)


def area_rows() -> tuple[AreaRow, ...]:
    """Return every area by name, as plain values kept per process."""
    return cache.kept("areas", _area_rows)


def _area_rows() -> tuple[AreaRow, ...]:
    columns = (Area.id, Area.code, Area.name, Area.postcodes, *(getattr(Area, name) for name in AREA_CONTACT_FIELDS))
    rows = db.session.execute(select(*columns).order_by(Area.name))
    return tuple(AreaRow(row[0], row[1], row[2], tuple(row[3] or ()), *row[4:]) for row in rows)


def area_contacts() -> list[AreaRow]:
    """Return the areas that have a contact, by name: the dorpsteams residents can reach."""
    return [area for area in area_rows() if area.has_contact]


# --- the admin keeps the contacts up to date -------------------------------------------------


def list_areas(by: object) -> list[Area]:
    """Return every area by name, for the admin's list."""
    permissions.require_admin(by)
    return list(db.session.scalars(select(Area).order_by(Area.name)))


def get_area(area_id: object, by: object) -> Area:
    """Return an area for the admin's pages, or raise NotFound."""
    permissions.require_admin(by)
    known_id = isinstance(area_id, int) and not isinstance(area_id, bool) and 0 < area_id <= MAX_ID
    area = db.session.get(Area, area_id) if known_id else None
    if area is None:
        raise NotFound(f"area {area_id}")
    return area


def clean_contact_values(values: Mapping[str, object]) -> dict[str, str]:
    """Return the contact fields trimmed; raise ValidationError with a Dutch message on the field."""
    clean = {}
    for name in AREA_CONTACT_FIELDS:
        value = values.get(name)
        value = "" if value is None else " ".join(str(value).split())
        limit = CONTACT_MAX_LENGTHS[name]
        if len(value) > limit:
            raise ValidationError(
                name,
                _("Typ bij %(field)s hoogstens %(max)d tekens.", field=str(CONTACT_LABELS[name]).lower(), max=limit),
            )
        clean[name] = value
    if clean["contact_phone"] and not valid_phone(clean["contact_phone"]):
        raise ValidationError(
            "contact_phone", _("Typ een telefoonnummer van 10 cijfers, zoals 0343 123 456, of met +31.")
        )
    if clean["contact_email"] and not valid_email(clean["contact_email"]):
        raise ValidationError("contact_email", _("Typ een e-mailadres zoals naam@voorbeeld.nl."))
    return clean


def update_area_contact(area_id: object, values: Mapping[str, object], by: object) -> Area:
    """Set the contact of an area (every field optional; an empty field is cleared)."""
    area = get_area(area_id, by)
    for name, value in clean_contact_values(values).items():
        setattr(area, name, value or None)
    transactions.commit()
    return area
