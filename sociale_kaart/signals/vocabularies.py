"""Labels of the signal codes (issue #15): stored as codes, translated when shown."""

from flask_babel import lazy_gettext as _l

THEME_LABELS = {
    "loneliness": _l("Is eenzaam of vaak alleen"),
    "neglect": _l("Zorgt niet goed voor zichzelf of voor het huis"),
    "money": _l("Heeft geldzorgen of schulden"),
    "confusion": _l("Is in de war of erg vergeetachtig"),
    "carer": _l("Zorgt voor een ander en kan het niet meer aan"),
    "other": _l("Iets anders"),
}
STATUS_LABELS = {
    "new": _l("Nieuw"),
    "in_progress": _l("In behandeling"),
    "contact_made": _l("Contact gelegd"),
    "closed": _l("Afgesloten"),
}
OUTCOME_LABELS = {
    "help_arranged": _l("Hulp geregeld"),
    "referred": _l("Verwezen"),
    "no_concern": _l("Geen zorg nodig"),
    "not_reached": _l("Niet bereikt"),
}
