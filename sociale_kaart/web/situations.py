"""Life situations: the home page's tiles ("Ik zorg voor iemand", ...), each a way into the directory.

One home for them (issue #19): the home page links each to a search, the printed wegwijzer of a
village groups its services by them.
"""

from dataclasses import dataclass

from flask_babel import lazy_gettext as _l


@dataclass(frozen=True)
class Situation:
    """A life situation: its key, its label and the directory category that answers it."""

    key: str
    label: object  # a lazy string
    category: str


SITUATIONS = (
    Situation("care", _l("Ik zorg voor iemand"), "mantelzorgondersteuning"),
    Situation("lonely", _l("Ik wil minder alleen zijn"), "eenzaamheid"),
    Situation("money", _l("Ik heb geldzorgen"), "geld_schulden"),
    Situation("respite", _l("Ik wil de zorg even overdragen"), "respijtzorg"),
    Situation("dementia", _l("Iemand in mijn omgeving heeft dementie"), "dementie"),
    Situation("volunteer", _l("Ik wil vrijwilliger worden"), "vrijwilligerswerk"),
)
