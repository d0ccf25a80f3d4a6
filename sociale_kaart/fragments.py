"""Kept fragments of HTML (issue #17): rendered once with markers where a page's own values go, split at the
markers, and filled in for each page. The directory's cards, forms and service pages and every page's header
are kept this way."""

from collections.abc import Callable, Hashable

from markupsafe import Markup


def marker(name: str) -> Markup:
    """Return the marker of a value in a fragment rendered to be kept (a name between NUL characters)."""
    return Markup(f"\0{name}\0")


def split(html: str) -> tuple[str, ...]:
    """Return a rendered fragment split at its markers: kept HTML, a marker's name, kept HTML, ..."""
    return tuple(html.split("\0"))


def fill(parts: tuple[str, ...], values: dict) -> Markup:
    """Return a kept fragment (its HTML split at the markers) with this page's values in place of the markers."""
    return Markup(fill_text(parts, values))


def fill_text(parts: tuple[str, ...], values: dict) -> str:
    """Return fill() as a plain string: for fragments joined into a larger one, made Markup once (a results page
    fills about 120 filter checkboxes)."""
    # the parts alternate: kept HTML, a marker's name, kept HTML, ...; the names replaced in one slice
    filled = list(parts)
    filled[1::2] = [values[name] for name in parts[1::2]]
    return "".join(filled)


def kept_parts(kept: dict, key: Hashable, render: Callable[[], object], limit: int) -> tuple[str, ...]:
    """Return the parts of the fragment kept under `key`, rendering and splitting it the first time; `kept` is
    emptied when it holds `limit` fragments (a process keeps a bounded number)."""
    parts = kept.get(key)
    if parts is None:
        if len(kept) >= limit:
            kept.clear()
        parts = kept[key] = split(str(render()))
    return parts
