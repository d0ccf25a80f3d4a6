"""A ranking's reasons in words (issue #13): codes and parameters, worded with gettext when shown.

ranking.py (pure rules) gives each candidate Reason(code, params) and counts exclusions by code;
a match stores them as JSON records such as {"code": "distance", "km": 2.1, "mode": "bike", "max": 5}.
They are put into words here, in the page's (or e-mail's) language, never stored as sentences.
"""

from collections.abc import Callable, Iterable, Mapping
from datetime import date
from typing import Any

from babel.lists import format_list
from flask_babel import format_decimal, get_locale, ngettext
from flask_babel import gettext as _

from .ranking import EXCLUSION_CODES, Candidate, Reason
from .vocabularies import DAY_PARTS, TRAVEL_MODES, WEEKDAY_SHORT

# "16 willen deze taak niet": a count and its reason, in the singular or plural (ngettext at the moment of wording)
EXCLUSION_LABELS: dict[str, Callable[[int], str]] = {
    "inactive": lambda n: ngettext("%(num)d niet actief", "%(num)d niet actief", n),
    "task_type": lambda n: ngettext("%(num)d wil deze taak niet", "%(num)d willen deze taak niet", n),
    "too_far": lambda n: ngettext("%(num)d te ver", "%(num)d te ver", n),
    "vog": lambda n: ngettext("%(num)d zonder geldige VOG", "%(num)d zonder geldige VOG", n),
    "language": lambda n: ngettext("%(num)d spreekt de taal niet", "%(num)d spreken de taal niet", n),
    "not_available": lambda n: ngettext("%(num)d niet beschikbaar", "%(num)d niet beschikbaar", n),
    "overlap": lambda n: ngettext("%(num)d heeft dan al een taak", "%(num)d hebben dan al een taak", n),
    "full": lambda n: ngettext("%(num)d vol deze week", "%(num)d vol deze week", n),
}


def breakdown(candidate: Candidate) -> dict[str, Any]:
    """Return the JSON-able breakdown of a ranking candidate, as a match stores it: figures and reason codes."""
    return {
        "score": candidate.score,
        "distance_km": round(candidate.distance_km, 2) if candidate.distance_km is not None else None,
        "covered": candidate.covered,
        "total": candidate.total,
        "components": {name: round(value, 3) for name, value in (candidate.components or {}).items()},
        "reasons": [record(reason) for reason in candidate.reasons],
        "covered_windows": [start.isoformat() for start, _end in candidate.covered_windows],
    }


def record(reason: Reason) -> dict:
    """Return a reason as a JSON record: {"code": ..., and its parameters}."""
    return {"code": reason.code, **{name: _plain(value) for name, value in reason.params.items()}}


def _plain(value):
    if isinstance(value, (tuple, list)):
        return [_plain(item) for item in value]
    if isinstance(value, date):
        return value.isoformat()
    return value


def _code_and_params(reason) -> tuple[str, Mapping]:
    if isinstance(reason, Reason):
        return reason.code, reason.params
    params = dict(reason)
    return params.pop("code", ""), params


def _cells(cells) -> str:
    texts = [_("%(weekday)s-%(part)s", weekday=WEEKDAY_SHORT[weekday], part=DAY_PARTS[part]) for weekday, part in cells]
    return format_list(texts, locale=get_locale() or "nl") if texts else ""


def reason_text(reason: Reason | Mapping[str, Any]) -> str:
    """Return one reason (a Reason or a stored record) in words, in the current language."""
    code, p = _code_and_params(reason)
    if code == "distance":
        mode = p.get("mode")
        return _(
            "%(km)s km %(mode)s (max %(max)s)",
            km=format_decimal(p["km"], "0.0"),
            mode=TRAVEL_MODES[mode] if mode in TRAVEL_MODES else mode,
            max=format_decimal(p["max"], "0.#"),
        )
    if code == "available":
        text = _("beschikbaar %(cells)s", cells=_cells(p["cells"]))
        if p.get("period"):  # any one day of a period (issue #14)
            text = ngettext(
                "%(text)s, %(num)s dag in de periode", "%(text)s, %(num)s dagen in de periode", p["covered"], text=text
            )
        elif p["total"] > 1:
            text = _("%(text)s, %(covered)s van %(total)s weken", text=text, covered=p["covered"], total=p["total"])
        return text
    if code == "vog":
        return _("heeft geldige VOG")
    if code == "helped_before":
        return _("hielp eerder bij deze aanvrager")
    if code == "helped_earlier":
        return _("hielp al eens bij deze aanvrager")
    if code == "same_volunteer":
        return _("gevraagd: dezelfde vrijwilliger")
    if code == "language":
        return _("spreekt de gevraagde taal")
    if code == "skills":
        return _("vaardigheden: %(matched)s van %(wanted)s gevraagd", matched=p["matched"], wanted=p["wanted"])
    if code == "new":
        return _("nieuw, nog geen taak")
    if code == "load":
        return ngettext("laatste 4 weken: %(num)d taak", "laatste 4 weken: %(num)d taken", p["tasks"])
    return code


def explain(reasons: Iterable) -> str:
    """Return reasons (a candidate's, or a match's stored records) as one line of text."""
    return " · ".join(reason_text(reason) for reason in reasons)


def explain_exclusions(excluded: Mapping[str, int]) -> str:
    """Return "41 uitgesloten: 22 te ver, …", largest count first; "" when nobody was excluded."""
    counts = [(code, n) for code, n in excluded.items() if n]
    if not counts:
        return ""
    order = {code: index for index, code in enumerate(EXCLUSION_CODES)}
    counts.sort(key=lambda item: (-item[1], order.get(item[0], len(order)), item[0]))
    parts = ", ".join(EXCLUSION_LABELS[code](n) if code in EXCLUSION_LABELS else f"{n} {code}" for code, n in counts)
    return _("%(total)s uitgesloten: %(parts)s", total=sum(n for _code, n in counts), parts=parts)
