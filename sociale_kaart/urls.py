"""Safe redirects: only local paths are followed after login, language switch and the like."""

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
