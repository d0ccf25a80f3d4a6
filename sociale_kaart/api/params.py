"""Strict query parameters of the HSDS API: each one parsed explicitly, described once.

A Param both parses a value and gives its JSON Schema for the OpenAPI spec, so the spec and
the checks cannot drift apart. Anything unknown, repeated, malformed or out of range raises
ParameterError (a 400), never a silent default: Werkzeug's `args.get(..., type=int)` would
quietly turn page=abc into the default, which is why it is not used here. Whole numbers and
control characters are checked by sociale_kaart.params, as everywhere else.
"""

import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta, timezone
from typing import NoReturn

from ..directory import municipalities, open_data, vocabularies
from ..directory import services as directory
from ..geo import POSTCODE_PATTERN, parse_postcode
from ..params import MAX_PAGE, has_control_characters, parse_municipality_code, whole_number

MAX_PER_PAGE = 100
DEFAULT_PER_PAGE = 20
MAX_SEARCH = 200
MAX_AGE = 150
MAX_PROXIMITY = 100_000  # metres
MAX_VALUES = 10

_UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
_DATE_TIME = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(\.\d+)?(?:([Zz])|([+-])(\d{2}):(\d{2}))", re.ASCII
)
NO_CONTROL_CHARACTERS = "^[^\\u0000-\\u001f\\u007f-\\u009f]*$"  # what params.has_control_characters refuses
CLOCK_TIME = "^(?:[01][0-9]|2[0-3]):[0-5][0-9]$"  # HH:MM, 24-hour, ASCII digits
# The Open Referral UK profile's `day`: an English weekday name; index 0 = Monday, as Schedule.weekday.
WEEKDAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
FORMATS = ("json", "ndjson")


class ParameterError(Exception):
    """A query or path parameter the API cannot use."""

    def __init__(self, parameter, error, detail):
        super().__init__(f"{parameter}: {detail}")
        self.parameter, self.error, self.detail = parameter, error, detail


@dataclass(frozen=True)
class Param:
    name: str
    description: str
    schema: Callable  # (SpecContext) -> JSON Schema of one value
    convert: Callable  # (name, text) -> value, raises ParameterError
    multiple: bool = False
    default: object = None


@dataclass
class SpecContext:
    """What dynamic enumerations in the spec are drawn from: the published taxonomies, the areas."""

    term_ids: list = field(default_factory=list)  # the terms services can be filtered on
    all_term_ids: list = field(default_factory=list)
    taxonomy_ids: list = field(default_factory=list)  # the taxonomies services can be filtered on
    all_taxonomy_ids: list = field(default_factory=list)
    area_codes: list = field(default_factory=list)
    municipality_codes: list = field(default_factory=list)


def spec_context():
    """Return the current taxonomy and area identifiers, for the spec."""
    catalogue = open_data.catalogue()
    return SpecContext(
        term_ids=[term.id for term in catalogue.terms if term.filterable],
        all_term_ids=[term.id for term in catalogue.terms],
        taxonomy_ids=[taxonomy.id for taxonomy in catalogue.taxonomies if taxonomy.filterable],
        all_taxonomy_ids=[taxonomy.id for taxonomy in catalogue.taxonomies],
        area_codes=list(directory.facet_labels("area")),
        municipality_codes=sorted(row.code for row in municipalities.municipality_rows()),
    )


def _bad(name: str, detail: str) -> NoReturn:
    raise ParameterError(name, "invalid parameter", detail)


def _integer(minimum, maximum):
    def convert(name, text):
        value = whole_number(text)  # ASCII digits only: not '²', '٣', ' 3' or '1_0' (issue #12)
        if value is None:
            _bad(name, f"{text!r} is not a whole number")
        if not minimum <= value <= maximum:
            _bad(name, f"must be between {minimum} and {maximum}")
        return value

    return convert


def _text(max_length):
    def convert(name, text):
        if len(text) > max_length:
            _bad(name, f"at most {max_length} characters")
        if has_control_characters(text):
            _bad(name, "contains a control character")
        return text.strip()

    return convert


def _uuid(name, text):
    if not _UUID.fullmatch(text):
        _bad(name, f"{text!r} is not a uuid")
    return str(uuid.UUID(text))


def _choice(values):
    def convert(name, text):
        if text not in values():
            _bad(name, f"unknown value {text!r}")
        return text

    return convert


def _municipality(name, text):
    """A CBS code of one of the installation's municipalities (issue #20)."""
    code = parse_municipality_code(text)
    if code is None:
        _bad(name, f"{text!r} is not a CBS municipality code such as 1581 (four digits)")
    if municipalities.by_code(code) is None:
        _bad(name, f"unknown municipality {code!r}: this installation serves {', '.join(_municipality_codes())}")
    return code


def _municipality_codes():
    return sorted(row.code for row in municipalities.municipality_rows())


def _postcode(name, text):
    if parse_postcode(text, exact=True) is None:
        _bad(name, f"{text!r} is not a Dutch postcode such as 3941 or 3941 AB")
    return text


def _date_time(name, text):
    """Parse an RFC 3339 date-time into naive UTC."""
    match = _DATE_TIME.fullmatch(text)
    if not match:
        _bad(name, f"{text!r} is not an RFC 3339 date-time such as 2026-01-31T12:00:00Z")
    year, month, dayno, hour, minute, second = (int(part) for part in match.groups()[:6])
    try:
        moment = datetime(year, month, dayno, hour, minute, min(second, 59))  # RFC 3339 allows leap second 60
        offset = (
            timedelta(0)
            if match.group(8)
            else (1 if match.group(9) == "+" else -1)
            * timedelta(hours=int(match.group(10)), minutes=int(match.group(11)))
        )
        if abs(offset) >= timedelta(hours=24) or int(match.group(11) or 0) > 59:
            raise ValueError("offset out of range")
    except ValueError:
        _bad(name, f"{text!r} is not a valid date-time")
    try:
        return moment.replace(tzinfo=timezone(offset)).astimezone(UTC).replace(tzinfo=None)
    except OverflowError:
        return datetime.min if offset > timedelta(0) else datetime.max


def _boolean(name, text):
    """Parse a boolean as OpenAPI writes one in a query: true or false, nothing else."""
    if text not in ("true", "false"):
        _bad(name, f"{text!r} is not true or false")
    return text == "true"


def _clock_time(name, text):
    if not re.fullmatch(CLOCK_TIME, text, re.ASCII):
        _bad(name, f"{text!r} is not a time such as 09:30 (HH:MM, 24-hour)")
    return time(int(text[:2]), int(text[3:]))


def _weekday(name, text):
    if text not in WEEKDAY_NAMES:
        _bad(name, f"{text!r} is not a weekday: {', '.join(WEEKDAY_NAMES)}")
    return WEEKDAY_NAMES.index(text)


def _static(schema):
    return lambda context: dict(schema)


def _enum(values):
    def schema(context):
        found = values(context)
        return {"type": "string", "enum": found} if found else {"type": "string", "maxLength": 0, "minLength": 1}

    return schema


PAGE = Param(
    "page",
    "Page number, from 1.",
    _static({"type": "integer", "minimum": 1, "maximum": MAX_PAGE}),
    _integer(1, MAX_PAGE),
    default=1,
)
PER_PAGE = Param(
    "per_page",
    f"Results per page (default {DEFAULT_PER_PAGE}).",
    _static({"type": "integer", "minimum": 1, "maximum": MAX_PER_PAGE}),
    _integer(1, MAX_PER_PAGE),
)
SEARCH = Param(
    "search",
    "Words to search for, in Dutch (stemming, compounds, synonyms, typos); no control characters.",
    _static({"type": "string", "maxLength": MAX_SEARCH, "pattern": NO_CONTROL_CHARACTERS}),
    _text(MAX_SEARCH),
    default="",
)
MODIFIED_AFTER = Param(
    "modified_after",
    "Only what changed at or after this moment (RFC 3339).",
    _static({"type": "string", "format": "date-time"}),
    _date_time,
)
TAXONOMY_TERM_ID = Param(
    "taxonomy_term_id",
    "Only services with this taxonomy term (repeat for several: all must match).",
    _enum(lambda c: c.term_ids),
    _uuid,
    multiple=True,
    default=(),
)
TAXONOMY_ID = Param(
    "taxonomy_id", "Only services with any term of this taxonomy.", _enum(lambda c: c.taxonomy_ids), _uuid
)
ANY_TAXONOMY_ID = Param("taxonomy_id", "Only terms of this taxonomy.", _enum(lambda c: c.all_taxonomy_ids), _uuid)
ORGANIZATION_ID = Param(
    "organization_id", "Only services of this organisation.", _static({"type": "string", "format": "uuid"}), _uuid
)
MINIMUM_AGE = Param(
    "minimum_age",
    "Only services open to people of this age or older (the service's maximum age is absent or at least this).",
    _static({"type": "integer", "minimum": 0, "maximum": MAX_AGE}),
    _integer(0, MAX_AGE),
)
MAXIMUM_AGE = Param(
    "maximum_age",
    "Only services open to people of this age or younger (the service's minimum age is absent or at most this).",
    _static({"type": "integer", "minimum": 0, "maximum": MAX_AGE}),
    _integer(0, MAX_AGE),
)
PYRAMID_LEVEL = Param(
    "pyramid_level",
    "Wmo pyramid level (gewone_leven, vrij_toegankelijk, met_indicatie).",
    _static({"type": "string", "enum": vocabularies.codes(vocabularies.PYRAMID_LEVELS)}),
    _choice(lambda: vocabularies.codes(vocabularies.PYRAMID_LEVELS)),
    multiple=True,
    default=(),
)
COST = Param(
    "cost",
    "Cost route, e.g. gratis ('kost mij niets'); repeat for several: all must match.",
    _static({"type": "string", "enum": vocabularies.codes(vocabularies.COSTS)}),
    _choice(lambda: vocabularies.codes(vocabularies.COSTS)),
    multiple=True,
    default=(),
)
AREA = Param(
    "area",
    "Village or neighbourhood code (the service area or the location is in it).",
    _enum(lambda c: c.area_codes),
    _choice(lambda: list(directory.facet_labels("area"))),
    multiple=True,
    default=(),
)
MUNICIPALITY = Param(
    "municipality",
    "CBS code of one of the installation's municipalities (four digits, e.g. 1581): only services that "
    "serve it. A service serves the municipalities of its service areas and of its locations (a location's "
    "village or neighbourhood, else its postcode's municipality); one with none of these serves the "
    "installation's own municipality. Without it: the whole region.",
    _enum(lambda c: c.municipality_codes),
    _municipality,
)
POSTCODE = Param(
    "postcode",
    "Dutch postcode (3941 or 3941 AB): with `search`, the best matches weighed by "
    "distance from its centre; without, nearest first.",
    _static({"type": "string", "format": "nl-postcode", "pattern": POSTCODE_PATTERN}),
    _postcode,
)
PROXIMITY = Param(
    "proximity",
    "Only results within this many metres of the postcode (needs postcode).",
    _static({"type": "integer", "minimum": 1, "maximum": MAX_PROXIMITY}),
    _integer(1, MAX_PROXIMITY),
)

DAY = Param(
    "day",
    "Only services open on this weekday (Monday to Sunday), as in the Open Referral UK profile; with "
    "start_time or end_time, one and the same opening time must fit all of them.",
    _static({"type": "string", "enum": list(WEEKDAY_NAMES)}),
    _weekday,
)
START_TIME = Param(
    "start_time",
    "Only services with an opening time that starts at or after this time (HH:MM, 24-hour, the "
    "municipality's local time), as in the Open Referral UK profile.",
    _static({"type": "string", "pattern": CLOCK_TIME}),
    _clock_time,
)
END_TIME = Param(
    "end_time",
    "Only services with an opening time that ends at or before this time (HH:MM, 24-hour, the "
    "municipality's local time), as in the Open Referral UK profile.",
    _static({"type": "string", "pattern": CLOCK_TIME}),
    _clock_time,
)
FORMAT = Param(
    "format",
    "`json` (the default): one page, an HSDS Page. `ndjson`: every result at once, streamed as "
    "application/x-ndjson, one item (as in a page's contents) per line, without paging: `page` and "
    "`per_page` do not apply to it.",
    _static({"type": "string", "enum": list(FORMATS)}),
    _choice(lambda: FORMATS),
    default="json",
)
_BOOLEAN = _static({"type": "boolean"})
MINIMAL = Param(
    "minimal",
    "true: each service with only id, name, status and last_modified (HSDS requires name and status), "
    "and without `per_page` every service on one page, for a quick comparison with a copy. It wins over `full`.",
    _BOOLEAN,
    _boolean,
    default=False,
)
FULL_SERVICES = Param(
    "full", "true: each service fully nested, as /services/{id} gives it.", _BOOLEAN, _boolean, default=False
)
FULL_LISTINGS = Param(
    "full",
    "true: each service at a location fully nested, as /service_at_locations/{id} gives it.",
    _BOOLEAN,
    _boolean,
    default=False,
)
FULL_ORGANIZATIONS = Param(
    "full",
    "true: each organisation fully nested, as /organizations/{id} gives it.",
    _BOOLEAN,
    _boolean,
    default=False,
)
FULL_SERVICE = Param(
    "full_service",
    "true: the services in the answer fully nested, as /services/{id} gives them (else their one-to-one "
    "fields and organisation).",
    _BOOLEAN,
    _boolean,
    default=False,
)
TOP_ONLY = Param(
    "top_only",
    "true: only terms without a parent term (the top of each hierarchy).",
    _BOOLEAN,
    _boolean,
    default=False,
)
PARENT_ID = Param(
    "parent_id",
    "Only the terms directly below this taxonomy term.",
    _enum(lambda c: c.all_term_ids),
    _uuid,
)

SERVICE_FILTERS = (
    SEARCH,
    PAGE,
    PER_PAGE,
    TAXONOMY_TERM_ID,
    TAXONOMY_ID,
    ORGANIZATION_ID,
    MODIFIED_AFTER,
    MINIMUM_AGE,
    MAXIMUM_AGE,
    PYRAMID_LEVEL,
    COST,
    AREA,
    MUNICIPALITY,
    DAY,
    START_TIME,
    END_TIME,
)
SERVICES = SERVICE_FILTERS + (FORMAT, MINIMAL, FULL_SERVICES)
SERVICE_AT_LOCATIONS = SERVICE_FILTERS + (POSTCODE, PROXIMITY, FORMAT, FULL_LISTINGS, FULL_SERVICE)
ORGANIZATIONS = (SEARCH, PAGE, PER_PAGE, MODIFIED_AFTER, MUNICIPALITY, FORMAT, FULL_ORGANIZATIONS, FULL_SERVICE)
ORGANIZATION = (FULL_SERVICE,)
TAXONOMIES = (SEARCH, PAGE, PER_PAGE, MODIFIED_AFTER, FORMAT)
TAXONOMY_TERMS = (SEARCH, PAGE, PER_PAGE, ANY_TAXONOMY_ID, MODIFIED_AFTER, FORMAT, TOP_ONLY, PARENT_ID)
NONE = ()


def parse(args, params):
    """Return {name: value} for a route's parameters; raise ParameterError for anything else."""
    known = {param.name: param for param in params}
    for name in args:
        if name not in known:
            raise ParameterError(
                name, "unknown parameter", "this route takes " + (", ".join(sorted(known)) or "no query parameters")
            )
    values = {}
    for param in params:
        raw = args.getlist(param.name)
        if not raw:
            values[param.name] = param.default
        elif param.multiple:
            if len(raw) > MAX_VALUES:
                _bad(param.name, f"at most {MAX_VALUES} values")
            values[param.name] = tuple(dict.fromkeys(param.convert(param.name, text) for text in raw))
        elif len(raw) > 1:
            _bad(param.name, "given more than once")
        else:
            values[param.name] = param.convert(param.name, raw[0])
    return values


def parse_id(text, name="id"):
    """Return a path id as a lower-case uuid, or raise ParameterError."""
    return _uuid(name, text)


def service_query(values):
    """Return the directory's ServiceQuery for parsed service filters."""
    return open_data.ServiceQuery(
        text=values["search"],
        term_ids=values["taxonomy_term_id"],
        taxonomy_ids=(values["taxonomy_id"],) if values["taxonomy_id"] else (),
        organization_id=values["organization_id"],
        modified_after=values["modified_after"],
        minimum_age=values["minimum_age"],
        maximum_age=values["maximum_age"],
        filters={facet: list(values[facet]) for facet in open_data.API_FACETS if values[facet]},
        day=values["day"],
        opens_from=values["start_time"],
        closes_by=values["end_time"],
        municipality=values["municipality"],
    )


def per_page(values, everything=False):
    """Return the page size asked for; without one, the default or (everything) all results on one page."""
    if values["per_page"] is not None:
        return values["per_page"]
    return open_data.ALL_RESULTS if everything else DEFAULT_PER_PAGE


def proximity_km(values):
    """Return the radius in km of a proximity search; proximity needs a postcode."""
    if values["proximity"] is not None and not values["postcode"]:
        raise ParameterError("proximity", "invalid parameter", "proximity needs a postcode")
    return values["proximity"] / 1000 if values["proximity"] is not None else None
