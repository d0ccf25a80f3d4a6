"""The format of a listing's web address and of slugs: pure rules that forms and services share.

Phone numbers and e-mail addresses are parsed by sociale_kaart.params, postcodes by geo (issue #13).
"""

import re
import unicodedata
from urllib.parse import urlsplit


def valid_url(text: str | None) -> bool:
    """Return True for an http or https address with a host name."""
    try:
        parts = urlsplit(text or "")
    except ValueError:
        return False
    return parts.scheme in ("http", "https") and "." in (parts.hostname or "") and " " not in (text or "")


def slugify(text: str) -> str:
    """Return a URL-safe lower-case slug of a name."""
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:150] or "item"
