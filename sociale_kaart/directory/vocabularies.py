"""Fixed Dutch vocabularies of the directory, with stable codes.

Codes are stable identifiers (used in URLs, the search index and the HSDS export);
labels are Dutch and marked for translation. Categories and target groups are
taxonomies in the database (seeded from CATEGORIES and TARGET_GROUPS) so staff can
extend them; the other lists are fixed by the product.
"""

from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache

from babel import Locale
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l

# When the fixed vocabularies below last changed (UTC): the API's modified_after on
# taxonomies uses it. Update it with any change to a code, label or description here.
CHANGED = datetime(2026, 11, 22, 0, 0)


@dataclass(frozen=True)
class Term:
    code: str
    label: object  # a lazy string
    description: object = ""


def _terms(*rows):
    return tuple(Term(*row) for row in rows)


CATEGORIES = _terms(
    (
        "informatie_advies",
        _l("Informatie en advies"),
        _l("Vragen stellen, uitleg en advies over zorg, welzijn en regels."),
    ),
    (
        "clientondersteuning",
        _l("Cliëntondersteuning"),
        _l("Iemand die gratis met u meedenkt en meegaat naar gesprekken."),
    ),
    ("mantelzorgondersteuning", _l("Mantelzorgondersteuning"), _l("Steun voor wie zorgt voor een naaste.")),
    ("respijtzorg", _l("Respijtzorg"), _l("De zorg even overnemen, zodat de mantelzorger kan uitrusten.")),
    ("ontmoeting_activiteiten", _l("Ontmoeting en activiteiten"), _l("Samen iets doen en andere mensen ontmoeten.")),
    ("vrijwilligerswerk", _l("Vrijwilligerswerk"), _l("Zelf iets doen voor een ander.")),
    ("opvoeden_opgroeien", _l("Opvoeden en opgroeien"), _l("Hulp bij opvoeden en voor kinderen en jongeren.")),
    ("gezondheid_bewegen", _l("Gezondheid en bewegen"), _l("Gezond leven, sporten en bewegen.")),
    ("geld_schulden", _l("Geld en schulden"), _l("Hulp bij geldzaken, formulieren en schulden.")),
    ("wonen", _l("Wonen"), _l("Prettig en veilig wonen, aanpassingen in huis.")),
    ("vervoer", _l("Vervoer"), _l("Ergens naartoe gaan als dat zelf niet lukt.")),
    ("maaltijden", _l("Maaltijden"), _l("Warme maaltijden en samen eten.")),
    ("huishouden", _l("Huishouden"), _l("Hulp bij schoonmaken, wassen en klusjes.")),
    ("dementie", _l("Dementie"), _l("Voor mensen met dementie en hun naasten.")),
    ("eenzaamheid", _l("Eenzaamheid"), _l("Voor wie zich alleen voelt.")),
    ("werk_participatie", _l("Werk en participatie"), _l("Werk vinden, dagbesteding en meedoen.")),
    (
        "taal_digitaal",
        _l("Taal en digitale vaardigheden"),
        _l("Beter lezen, schrijven, rekenen en omgaan met computer en telefoon."),
    ),
)

TARGET_GROUPS = _terms(
    ("iedereen", _l("Alle inwoners")),
    ("ouderen", _l("Ouderen")),
    ("mantelzorgers", _l("Mantelzorgers")),
    ("kinderen", _l("Kinderen")),
    ("jongeren", _l("Jongeren")),
    ("ouders", _l("Ouders")),
    ("mensen_met_beperking", _l("Mensen met een beperking")),
    ("mensen_met_dementie", _l("Mensen met dementie")),
    ("psychische_klachten", _l("Mensen met psychische klachten")),
    ("nieuwkomers", _l("Nieuwkomers en statushouders")),
    ("werkzoekenden", _l("Werkzoekenden")),
    ("vrijwilligers", _l("Vrijwilligers")),
)

PYRAMID_LEVELS = _terms(
    ("gewone_leven", _l("Gewone leven"), _l("Wat mensen zelf en met elkaar doen: buren, verenigingen, initiatieven.")),
    ("vrij_toegankelijk", _l("Vrij toegankelijk"), _l("Voor iedereen, zonder indicatie of verwijzing.")),
    ("met_indicatie", _l("Met indicatie"), _l("Alleen met een indicatie, beschikking of verwijzing.")),
)

ACCESS_ROUTES = _terms(
    ("binnenlopen", _l("Gewoon binnenlopen")),
    ("aanmelden", _l("Zelf aanmelden")),
    ("wijkteam_wmo", _l("Via het dorpsteam of Wmo-loket")),
    ("huisarts", _l("Via de huisarts")),
    ("ciz", _l("Via het CIZ (Wlz)")),
)

COSTS = _terms(
    ("gratis", _l("Gratis")),
    ("eigen_bijdrage_wmo", _l("Eigen bijdrage Wmo")),
    ("zorgverzekering", _l("Zorgverzekering")),
    ("wlz", _l("Wet langdurige zorg (Wlz)")),
    ("pgb", _l("Pgb mogelijk")),
    ("betaald", _l("U betaalt zelf")),
)

MODES = _terms(
    ("op_locatie", _l("Op locatie")),
    ("aan_huis", _l("Bij u thuis")),
    ("telefonisch", _l("Telefonisch")),
    ("online", _l("Online")),
)

ACCESSIBILITY = _terms(
    ("rolstoeltoegankelijk", _l("Rolstoeltoegankelijk")),
    ("lift", _l("Lift")),
    ("invalidenparkeerplaats", _l("Invalidenparkeerplaats")),
    ("aangepast_toilet", _l("Aangepast toilet")),
    ("ringleiding", _l("Ringleiding")),
    ("prikkelarm", _l("Prikkelarme ruimte")),
    ("geleidehond", _l("Geleidehond welkom")),
)

RESPITE_TYPES = _terms(
    ("dagopvang", _l("Dagopvang")),
    ("logeeropvang", _l("Logeeropvang")),
    ("respijt_aan_huis", _l("Respijt aan huis")),
    ("vrijwillige_oppas", _l("Vrijwillige oppas")),
)

LANGUAGES = _terms(
    ("nl", _l("Nederlands")),
    ("en", _l("Engels")),
    ("de", _l("Duits")),
    ("fr", _l("Frans")),
    ("ar", _l("Arabisch")),
    ("tr", _l("Turks")),
    ("pl", _l("Pools")),
    ("uk", _l("Oekraïens")),
    ("ti", _l("Tigrinya")),
    ("nl-gebaren", _l("Nederlandse Gebarentaal")),
)

PUBLICATION_STATUSES = _terms(
    ("draft", _l("Concept")),
    ("pending", _l("Ter controle")),
    ("published", _l("Gepubliceerd")),
    ("archived", _l("Gearchiveerd")),
)

# HSDS 3.0 service.status
SERVICE_STATUSES = _terms(
    ("active", _l("Actief")),
    ("temporarily closed", _l("Tijdelijk gesloten")),
    ("inactive", _l("Niet actief")),
    ("defunct", _l("Gestopt")),
)

AREA_KINDS = _terms(
    ("kern", _l("Kern")),
    ("dorp", _l("Dorp")),
    ("wijk", _l("Wijk")),
)

VOCABULARIES = {
    "category": CATEGORIES,
    "target_group": TARGET_GROUPS,
    "pyramid_level": PYRAMID_LEVELS,
    "access_route": ACCESS_ROUTES,
    "cost": COSTS,
    "mode": MODES,
    "accessibility": ACCESSIBILITY,
    "respite_type": RESPITE_TYPES,
    "language": LANGUAGES,
}


def codes(vocabulary):
    """Return the codes of a vocabulary in display order."""
    return [term.code for term in vocabulary]


def label(vocabulary, code):
    """Return the label of a code, or the code itself when unknown.

    A language outside LANGUAGES (one an HSDS import brought, issue #18) gets Babel's name for it."""
    for term in vocabulary:
        if term.code == code:
            return term.label
    if vocabulary is LANGUAGES:
        return language_name(code) or code
    return code


# Languages beyond LANGUAGES (issue #18): another system's HSDS package may give any language, so
# every code Babel names in Dutch or English is kept, written as BCP 47 writes it ("ur", "en-GB").


@lru_cache(maxsize=1)
def _babel_languages():
    """Return {folded code: Babel's key} of every language Babel names in Dutch or English."""
    keys = {*Locale("nl").languages, *Locale("en").languages}
    return {key.casefold(): key for key in keys}


def language_code(text):
    """Return our code of a language code: one of LANGUAGES, or another one Babel knows; None for others."""
    folded = (text or "").strip().casefold()
    for term in LANGUAGES:
        if term.code.casefold() == folded:
            return term.code
    key = _babel_languages().get(folded.replace("-", "_"))
    return key.replace("_", "-") if key else None


def language_name(code):
    """Return Babel's name of a language outside LANGUAGES in the user's language (English when it has none)."""
    key = _babel_languages().get((code or "").casefold().replace("-", "_"))
    if key is None:
        return None
    locale = get_locale() or Locale("nl")
    return locale.languages.get(key) or Locale("en").languages.get(key)


def language_labels():
    """Return {code: label} of every language a service may have: LANGUAGES in their order, then Babel's by name."""
    labels = {term.code: str(term.label) for term in LANGUAGES}
    others = {}
    for key in _babel_languages().values():
        code = key.replace("_", "-")
        if code not in labels:
            others[code] = str(language_name(code))
    return labels | dict(sorted(others.items(), key=lambda item: (item[1].casefold(), item[0])))
