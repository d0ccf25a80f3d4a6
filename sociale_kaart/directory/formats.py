"""The format of a listing's web address: a pure check that forms and services share.

Phone numbers and e-mail addresses are parsed by sociale_kaart.params, postcodes by geo (issue #13).
"""

from urllib.parse import urlsplit


def valid_url(text: str | None) -> bool:
    """Return True for an http or https address with a host name."""
    try:
        parts = urlsplit(text or "")
    except ValueError:
        return False
    return parts.scheme in ("http", "https") and "." in (parts.hostname or "") and " " not in (text or "")
