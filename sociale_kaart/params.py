"""Outside input parsed in one place: ids, page numbers, small whole numbers and decimals, text free of
control characters (issue #12), e-mail addresses, phone numbers (issue #13; postcodes are geo's) and house numbers.
Pure rules; only the route converters import Werkzeug.

Views, forms, the route converters (IdConverter, SegmentConverter) and the API call these, never their own
`isdigit()` or `int()`: `'²'.isdigit()` is True but int('²') fails, int('٣') is 3, int(' 3')
is 3, and an id past 2**31 - 1 breaks PostgreSQL's integer column (past 2**63 - 1 SQLite's).
So only ASCII digits count (a minus sign at most; no plus, spaces or leading zeros), and every value
is range-checked.
"""

import re

from email_validator import EmailNotValidError, validate_email
from werkzeug.routing import IntegerConverter, UnicodeConverter, ValidationError

MAX_ID = 2**31 - 1  # PostgreSQL's integer: every id column
MAX_PAGE = 10_000
_WHOLE_NUMBER = re.compile(r"-?(?:0|[1-9][0-9]{0,39})")  # ASCII only; at most 40 digits, so int() stays cheap
_DECIMAL = re.compile(r"-?[0-9]{1,15}(?:[.,][0-9]{1,15})?")  # float() also takes '٣', 'nan', '1e9' and '1_0'
# C0 controls, DEL and C1 controls (Unicode category Cc). Tab, line feed and carriage return are
# allowed in multi-line text only; NUL never (PostgreSQL refuses it in text).
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
_CONTROL_EXCEPT_LINES = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
MAX_EMAIL = 254  # RFC 5321's longest path, and every e-mail column
# What people put between the digits of a phone number: spaces (also a no-break space), hyphens,
# dots, brackets. ASCII digits only count: '٣' or '３' is no digit of a phone number.
_PHONE_SEPARATORS = re.compile(r"[ \u00a0\-.()]")
_INTERNATIONAL_NL = re.compile(r"(?:\+|00)31")
_SERVICE_PREFIXES = ("0800", "0900", "0906", "0909")
# A Dutch house number: 1 to 99999, and up to two parts of an addition ('12a', '12 A', '12-2', '3 hs', '12-II', '7 bis')
# (an addition straight after the digits starts with a letter: '123456' is no house number)
_HOUSE_NUMBER = re.compile(
    r"[1-9][0-9]{0,4}(?:[A-Za-z][A-Za-z0-9]{0,5}|[ \-/.][A-Za-z0-9]{1,6})?(?:[ \-/.][A-Za-z0-9]{1,6})?"
)


def whole_number(text):
    """Return the int of an ASCII whole number such as '12' or '-3', or None for anything else."""
    if isinstance(text, bool):
        return None
    if isinstance(text, int):
        return text
    if not isinstance(text, str) or not _WHOLE_NUMBER.fullmatch(text):
        return None
    return int(text)


def parse_int(text, low, high):
    """Return a whole number from low to high (inclusive) typed in ASCII digits, or None."""
    value = whole_number(text)
    return value if value is not None and low <= value <= high else None


def parse_decimal(text, low, high):
    """Return a number typed as '2,5' or '2.5' (ASCII digits; a comma or a point) from low to high, or None."""
    if isinstance(text, bool):
        return None
    if isinstance(text, (int, float)):
        value = float(text)
    elif isinstance(text, str) and _DECIMAL.fullmatch(text):
        value = float(text.replace(",", "."))
    else:
        return None
    return value if low <= value <= high else None  # NaN is in no range


def parse_id(text):
    """Return a database id (1 to 2**31 - 1) from a URL, a query string or a form, or None."""
    return parse_int(text, 1, MAX_ID)


def parse_page(text):
    """Return the page number a pager link asks for (1 to 10,000); anything else is page 1."""
    return parse_int(text, 1, MAX_PAGE) or 1


def parse_ids(values):
    """Return the ids among values (a form's checked boxes), in order, without the odd ones."""
    ids = (parse_id(value) for value in values or ())
    return [value for value in ids if value is not None]


_MUNICIPALITY_CODE = re.compile(r"[0-9]{4}")


def parse_municipality_code(text):
    """Return a CBS municipality code as typed in a URL or query string: four ASCII digits ('0340'), or None.

    Only its shape; whether the installation serves it is the directory's question (issue #20).
    """
    return text if isinstance(text, str) and _MUNICIPALITY_CODE.fullmatch(text) else None


def has_control_characters(text, multiline=False):
    """Return True when text holds a control character (multiline: tab, CR and LF are allowed)."""
    pattern = _CONTROL_EXCEPT_LINES if multiline else _CONTROL
    return isinstance(text, str) and pattern.search(text) is not None


def without_control_characters(text, multiline=False):
    """Return text with its control characters removed (multiline: tab, CR and LF stay)."""
    pattern = _CONTROL_EXCEPT_LINES if multiline else _CONTROL
    return pattern.sub("", text) if isinstance(text, str) else text


def parse_email(text):
    """Return an e-mail address with its domain in lower case, or None when it is not one.

    The one e-mail rule (issue #13): email-validator's syntax check (the one WTForms' Email validator
    uses), without a DNS look-up, at most 254 characters, no control characters.
    """
    if not isinstance(text, str) or has_control_characters(text):
        return None
    text = text.strip()
    if not text or len(text) > MAX_EMAIL:
        return None
    try:
        return validate_email(text, check_deliverability=False).normalized
    except EmailNotValidError:
        return None


def valid_email(text):
    """Return True for an e-mail address (see parse_email)."""
    return parse_email(text) is not None


def parse_phone(text):
    """Return a Dutch phone number as its national digits ('0343123456'), or None.

    The one phone rule (issue #13), for every form and service:
    - a regular number: 0 and nine digits ('0343 123 456', '06-12345678'), or the same after +31 or 0031,
      with or without '(0)' ('+31 (0)6 1234 5678');
    - an information number: 0800, 0900, 0906 or 0909 and four or seven digits ('0800-1234', '0900 123 4567');
    - a municipality's short number: 14 and the area code ('14 030', '14 0343').
    Spaces, hyphens, dots and brackets may stand between the digits; other characters, Unicode digits and
    foreign numbers are refused (a foreign number can go in the message).
    """
    if not isinstance(text, str) or has_control_characters(text) or len(text) > 40:
        return None
    compact = text.strip()
    match = _INTERNATIONAL_NL.match(compact)
    if match:
        compact = _PHONE_SEPARATORS.sub("", compact[match.end() :])
        # '+31 (0)6 ...' and '+31 06 ...': the trunk 0 written anyway
        compact = compact if compact.startswith("0") else "0" + compact
    else:
        compact = _PHONE_SEPARATORS.sub("", compact)
    if not compact.isascii() or not compact.isdigit():
        return None
    if compact.startswith(_SERVICE_PREFIXES) and len(compact) in (8, 11):
        return compact
    if compact.startswith("140") and len(compact) in (5, 6) and not match:
        return compact
    if len(compact) == 10 and compact[0] == "0" and compact[1] != "0":
        return compact
    return None


def valid_phone(text):
    """Return True for a Dutch phone number (see parse_phone)."""
    return parse_phone(text) is not None


def valid_house_number(text):
    """Return True for a Dutch house number with or without an addition ('12', '12a', '12-2', '3 hs')."""
    return isinstance(text, str) and _HOUSE_NUMBER.fullmatch(text.strip()) is not None


class IdConverter(IntegerConverter):
    """`<int:name>` in every route (issue #12): an id in ASCII digits, 1 to 2**31 - 1.

    Werkzeug's own int converter takes any Unicode digit ('٣') and any size, so an id past the
    database's integer range reached the query and gave a 500; here such a URL matches no route (404).
    """

    regex = r"[0-9]{1,40}"

    def to_python(self, value):
        number = parse_id(value)
        if number is None:
            raise ValidationError()
        return number


class SegmentConverter(UnicodeConverter):
    """`<name>` in every route (issue #12): one path segment without control characters (a 404
    otherwise), so a token or slug with NUL never reaches a query."""

    def __init__(self, map, minlength=1, maxlength=None, length=None):
        super().__init__(map, minlength, maxlength, length)
        self.regex = self.regex.replace("[^/]", "[^/\\x00-\\x1f\\x7f-\\x9f]", 1)


def install_converters(app):
    """Replace Werkzeug's int and string converters; call before any blueprint is registered."""
    app.url_map.converters["int"] = IdConverter
    app.url_map.converters["default"] = SegmentConverter
    app.url_map.converters["string"] = SegmentConverter
