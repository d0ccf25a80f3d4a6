"""Small-number suppression (issue #15): the one rule for every figure the area analysis shows or exports.

Pure rules, no Flask. A figure about people (help requests, volunteers, searches, signals) that
counts 1 to 4 of them is never shown: its text is "<5". Zero stays 0: it is about nobody, and it is
the very thing the analysis looks for ("no volunteers for this task here"). A figure computed over
fewer than 5 people (a share, a median, hours, a rate per 1,000) is hidden as "×", and so is a
count that a shown total would give away: when one number in a row or column that adds up to a
shown total is hidden, the smallest other number of that line is hidden too (complementary
suppression), so nobody can subtract their way to it.

A hidden Figure carries no value at all, so nothing after this module can leak it: a template,
a chart or a CSV file only ever gets the text.
"""

from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass
from statistics import median as _median

MIN_PEOPLE = 5
SMALL = "small"  # a count of 1 to 4: "<5"
FEW = "few"  # computed over fewer than 5 people: "×"
DISCLOSING = "disclosing"  # would give a hidden count away through a total: "×"
SMALL_TEXT = "<5"
HIDDEN_TEXT = "×"

KINDS = ("count", "share", "median", "rate", "amount", "public")


@dataclass(frozen=True)
class Figure:
    """One number of the analysis: its value, or why it is hidden. value None and no reason: nothing to show."""

    value: float | int | None
    kind: str = "count"
    hidden: str = ""

    @property
    def shown(self) -> bool:
        return not self.hidden and self.value is not None

    @property
    def mark(self) -> str:
        """Return "<5" or "×" for a hidden figure, "" for a shown one."""
        if not self.hidden:
            return ""
        return SMALL_TEXT if self.hidden == SMALL else HIDDEN_TEXT


NOTHING = Figure(None)


def is_small(number: float) -> bool:
    """Return True for a count of people too small to show (1 to 4)."""
    return 0 < number < MIN_PEOPLE


def count(number: int) -> Figure:
    """Return a count of people: "<5" when it is 1 to 4."""
    return Figure(None, "count", SMALL) if is_small(number) else Figure(int(number), "count")


def public(number: int) -> Figure:
    """Return a count of public things (published listings): never hidden, nobody is in it."""
    return Figure(int(number), "public")


def share(part: float, base: float) -> Figure:
    """Return part/base (0 to 1): hidden over fewer than 5 people or when the part is 1 to 4; nothing for base 0."""
    if base <= 0:
        return Figure(None, "share")
    if base < MIN_PEOPLE or is_small(part):
        return Figure(None, "share", FEW)
    return Figure(part / base, "share")


def share_of(part: Figure, base: Figure) -> Figure:
    """Return part/base of two counts the page shows; hidden when either of them is."""
    if part.hidden or base.hidden:
        return Figure(None, "share", FEW)
    return share(part.value or 0, base.value or 0)


def median(values: Sequence[float]) -> Figure:
    """Return the median of some people's values: hidden for fewer than 5 of them."""
    if not values:
        return Figure(None, "median")
    if len(values) < MIN_PEOPLE:
        return Figure(None, "median", FEW)
    return Figure(float(_median(values)), "median")


def amount(value: float, people: Figure) -> Figure:
    """Return a total of what some people gave (hours a week): hidden when the count of them is."""
    if people.hidden:
        return Figure(None, "amount", FEW)
    if not people.value:
        return Figure(0, "amount")
    return Figure(value, "amount")


def rate(people: Figure, residents: int | None, per: int = 1000) -> Figure:
    """Return people per 1,000 residents: hidden when the count is; nothing without a population figure."""
    if not residents:
        return Figure(None, "rate")
    if people.hidden:
        return Figure(None, "rate", FEW)
    return Figure((people.value or 0) * per / residents, "rate")


def hide(figure: Figure) -> Figure:
    """Return the figure hidden as "×" (a count another table hides, so this one must too)."""
    return figure if figure.hidden else Figure(None, figure.kind, DISCLOSING)


Line = tuple[Sequence[Hashable], Hashable]  # (the numbers that add up, their total)


def protect(values: dict, lines: Iterable[Line] = (), hidden: Iterable[Hashable] = ()) -> dict:
    """Return {key: Figure} for counts of people, with primary and complementary suppression.

    `lines` say which numbers add up to which total (rows and columns of a table with totals);
    `hidden` names keys that must be hidden anyway (another table hides the same number).
    """
    lines = [(list(members), total) for members, total in lines]
    small = {key for key, value in values.items() if is_small(value)}
    secret = small | {key for key in hidden if key in values}
    changed = True
    while changed:
        changed = False
        for members, total in lines:
            group = [*members, total]
            if sum(key in secret for key in group) != 1:
                continue
            # exactly one number of this line is hidden: it follows from the others, so hide one more
            candidates = [key for key in members if key not in secret and values[key] > 0]
            if not candidates and total not in secret:
                candidates = [total]
            if not candidates:
                continue
            secret.add(min(candidates, key=lambda key: (values[key], group.index(key))))
            changed = True
    figures = {}
    for key, value in values.items():
        if key in small:
            figures[key] = Figure(None, "count", SMALL)
        elif key in secret:
            figures[key] = Figure(None, "count", DISCLOSING)
        else:
            figures[key] = Figure(int(value), "count")
    return figures
