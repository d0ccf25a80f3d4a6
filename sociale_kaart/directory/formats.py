"""Formats of contact details and postcodes: pure checks that forms and services share.

Moved out of editing.py (issue #11) so that areas.py can use them while editing.py uses areas.py;
editing still offers the same names.
"""
import re
from urllib.parse import urlsplit

_PHONE_SEPARATORS = re.compile(r"[\s\-().]")
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s.]{2,}")
_POSTCODE = re.compile(r"\s*([1-9][0-9]{3})\s?([A-Za-z]{2})\s*")


def valid_phone(text: str | None) -> bool:
    """Return True for a Dutch phone number: 10 digits from 0, +31 and 9 digits, or 0800/0900."""
    number = _PHONE_SEPARATORS.sub("", text or "")
    if number.startswith("+31"):
        return number[3:].isdigit() and len(number) == 12
    if not number.isdigit():
        return False
    if number.startswith(("0800", "0900", "0906", "0909")):
        return 8 <= len(number) <= 11
    return number.startswith("0") and len(number) == 10


def valid_email(text: str | None) -> bool:
    """Return True for something shaped like an e-mail address."""
    return bool(text) and len(text) <= 254 and bool(_EMAIL.fullmatch(text))


def valid_url(text: str | None) -> bool:
    """Return True for an http or https address with a host name."""
    try:
        parts = urlsplit(text or "")
    except ValueError:
        return False
    return parts.scheme in ("http", "https") and "." in (parts.hostname or "") and " " not in (text or "")


def normal_postcode(text: str | None) -> str | None:
    """Return '3941 AB' for a full Dutch postcode, or None."""
    match = _POSTCODE.fullmatch(text or "")
    return f"{match.group(1)} {match.group(2).upper()}" if match else None
