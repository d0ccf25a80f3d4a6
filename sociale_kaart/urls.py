"""Safe redirects (only local paths, after login, language switch and the like) and where a request came from."""

from urllib.parse import urlsplit

from .params import has_control_characters


def safe_next(target):
    """Return target when it is a local path on this site, else None."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return None
    if has_control_characters(target):  # a line break in a Location header gave a 500 (issue #12)
        return None
    parts = urlsplit(target)
    return target if not parts.scheme and not parts.netloc else None


def from_this_site(fetch_site: str | None) -> bool:
    """Return False when the browser says (its Sec-Fetch-Site header) another site started this request.

    "none" is a typed address or a bookmark; a browser without the header counts as this site."""
    return fetch_site in (None, "same-origin", "none")
