"""The fixed lists of the matching module: task types (with VOG and scope), skills, languages, labels."""

import re
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l


@dataclass(frozen=True)
class TaskType:
    """A kind of task: whether a VOG is required, and what a volunteer does and does not do."""

    code: str
    label: object
    vog_required: bool
    does: object
    does_not: object


TASK_TYPES = {
    task.code: task
    for task in (
        TaskType(
            "boodschappen",
            _l("Boodschappen"),
            False,
            _l("Boodschappen doen met of voor iemand, en ze thuis brengen."),
            _l("Geen geld opnemen of pinnen met de pas van een ander."),
        ),
        TaskType(
            "vervoer",
            _l("Vervoer of begeleiding naar een afspraak"),
            True,
            _l("Iemand brengen en halen, of meegaan naar de dokter, het ziekenhuis of de gemeente."),
            _l("Geen medische hulp, geen tillen uit bed of rolstoel."),
        ),
        TaskType(
            "gezelschap",
            _l("Gezelschap"),
            True,
            _l("Op bezoek gaan, een praatje maken, samen koffie drinken of een spel doen."),
            _l("Geen verzorging, schoonmaak of medicijnen geven."),
        ),
        TaskType(
            "respijt",
            _l("Respijt / oppas bij een naaste"),
            True,
            _l("Bij iemand thuis zijn zodat de mantelzorger even weg kan."),
            _l("Geen persoonlijke verzorging, geen medicijnen geven, geen nachtdiensten."),
        ),
        TaskType(
            "klusjes",
            _l("Klusjes in huis"),
            False,
            _l("Kleine klussen: een lamp ophangen, een kastje in elkaar zetten, een gordijn ophangen."),
            _l("Geen werk aan gas of elektra in de meterkast, geen verbouwing."),
        ),
        TaskType(
            "tuin",
            _l("Tuin"),
            False,
            _l("Licht tuinwerk: onkruid wieden, snoeien, bladeren ruimen."),
            _l("Geen bomen kappen, geen groot onderhoud."),
        ),
        TaskType(
            "administratie",
            _l("Administratie en formulieren"),
            True,
            _l("Helpen met post, formulieren en overzicht in de papieren."),
            _l("Geen schulden regelen, geen bankzaken namens iemand, geen belastingaangifte als gemachtigde."),
        ),
        TaskType(
            "digitaal",
            _l("Digitale hulp"),
            False,
            _l("Uitleg over telefoon, tablet of computer, DigiD of videobellen."),
            _l("Geen reparaties, geen inloggen met de DigiD van een ander."),
        ),
        TaskType(
            "bewegen",
            _l("Wandelen of bewegen"),
            False,
            _l("Samen wandelen of fietsen, of meegaan naar een beweegactiviteit."),
            _l("Geen fysiotherapie of oefeningen op voorschrift."),
        ),
        TaskType(
            "overig",
            _l("Overig"),
            False,
            _l("Een andere korte klus; de sociaal makelaar bespreekt wat kan."),
            _l("Geen werk dat een professional hoort te doen."),
        ),
    )
}

# Search words and directory categories that point to a kind of volunteer task (issue #11): the
# search page (with few results) and a service page offer "Vraag een vrijwilliger" for that task.
# A word of the search text counts when it starts with one of these ("boodschappenhulp").
TASK_HINTS = {
    "boodschappen": {"words": ("boodschap", "supermarkt", "groceries", "shopping"), "categories": ()},
    "vervoer": {
        "words": ("vervoer", "rijden", "chauffeur", "autorit", "meerijden", "rolstoelbus", "transport"),
        "categories": ("vervoer",),
    },
    "klusjes": {"words": ("klus", "lamp", "gordijn"), "categories": ()},
    "tuin": {"words": ("tuin", "onkruid", "snoei", "grasmaai", "garden"), "categories": ()},
    "respijt": {"words": ("oppas", "respijt"), "categories": ("respijtzorg",)},
    "gezelschap": {"words": ("gezelschap", "eenzaam", "bezoek", "praatje", "maatje"), "categories": ("eenzaamheid",)},
    "digitaal": {"words": ("computer", "tablet", "laptop", "smartphone", "digid", "videobel"), "categories": ()},
    "bewegen": {"words": ("wandel",), "categories": ()},
}
_WORD = re.compile(r"\w+")


def task_type_for(text="", categories=()):
    """Return the task type a search text points to, else the first of some category codes that does, or None."""
    for word in _WORD.findall((text or "").lower()):
        for code, hint in TASK_HINTS.items():
            if word.startswith(hint["words"]):
                return TASK_TYPES[code]
    for category in categories:
        for code, hint in TASK_HINTS.items():
            if category in hint["categories"]:
                return TASK_TYPES[code]
    return None


SKILLS = {
    "dementie": _l("Ervaring met dementie"),
    "rolstoel": _l("Kan met een rolstoel omgaan"),
    "rijbewijs": _l("Heeft rijbewijs en auto"),
    "computer": _l("Handig met computer en telefoon"),
    "papieren": _l("Goed met papieren en formulieren"),
    "klussen": _l("Handig met klussen"),
    "tuinieren": _l("Tuinieren"),
    "koken": _l("Koken"),
    "huisdieren": _l("Kan met huisdieren omgaan"),
    "ehbo": _l("EHBO-diploma"),
}

LANGUAGES = {
    "nl": _l("Nederlands"),
    "en": _l("Engels"),
    "de": _l("Duits"),
    "fr": _l("Frans"),
    "tr": _l("Turks"),
    "ar": _l("Arabisch"),
    "pl": _l("Pools"),
    "uk": _l("Oekraïens"),
    "ti": _l("Tigrinya"),
    "pap": _l("Papiaments"),
}

URGENCIES = {
    "high": _l("Snel nodig (binnen 2 dagen)"),
    "normal": _l("Deze week of volgende week"),
    "low": _l("Geen haast"),
}

RELATIONS = {
    "self": _l("Voor mijzelf"),
    "carer": _l("Voor iemand voor wie ik zorg (ik ben mantelzorger)"),
    "other": _l("Voor iemand anders (buur, familie, cliënt)"),
}

TRAVEL_MODES = {
    "walk": _l("lopend"),
    "bike": _l("per fiets"),
    "car": _l("met de auto"),
}

# Weekday and day-part labels of the availability grid; bit = weekday * 3 + part.
WEEKDAYS = (_l("maandag"), _l("dinsdag"), _l("woensdag"), _l("donderdag"), _l("vrijdag"), _l("zaterdag"), _l("zondag"))
# Short weekday names: the availability cells in words ("di-middag") and the grid's rows on a phone
WEEKDAY_SHORT = (_l("ma"), _l("di"), _l("wo"), _l("do"), _l("vr"), _l("za"), _l("zo"))
DAY_PARTS = (_l("ochtend"), _l("middag"), _l("avond"))

# "Geen haast" (issue #14): how long the period may be, and the preferred time of day
# (timeslots.PERIOD_PARTS holds their windows).
PERIOD_WEEKS = {1: _l("in de komende week"), 2: _l("in de komende twee weken"), 4: _l("in de komende vier weken")}
PERIOD_PARTS = {
    "morning": _l("'s ochtends (9:00–12:00)"),
    "afternoon": _l("'s middags (13:00–17:00)"),
    "evening": _l("'s avonds (18:00–21:00)"),
    "any": _l("maakt niet uit (9:00–21:00)"),
}

REQUEST_STATUS_LABELS = {
    "submitted": _l("Ingediend"),
    "open": _l("Beoordeeld (open)"),
    "proposed": _l("Voorgesteld"),
    "matched": _l("Gekoppeld"),
    "done": _l("Afgerond"),
    "cancelled": _l("Geannuleerd"),
    "expired": _l("Verlopen"),
    "rejected": _l("Afgewezen"),
}

MATCH_STATUS_LABELS = {
    "suggested": _l("Voorstel"),
    "interested": _l("Wil helpen"),
    "approved": _l("Goedgekeurd, wacht op vrijwilliger"),
    "accepted": _l("Geaccepteerd"),
    "declined": _l("Geweigerd door vrijwilliger"),
    "withdrawn": _l("Ingetrokken"),
    "rejected": _l("Niet gekozen"),
    "cancelled": _l("Geannuleerd"),
    "done": _l("Gedaan"),
    "no_show": _l("Niet gekomen"),
}

VOLUNTEER_STATUS_LABELS = {
    "pending": _l("Wacht op kennismaking"),
    "active": _l("Actief"),
    "stopped": _l("Gestopt"),
}
