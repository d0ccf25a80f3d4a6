"""Check the fictional demo data in seed/demo against the rules the loader and the search tests rely on."""

import importlib.util
import json
import math
import re
from collections import Counter
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DEMO = ROOT / "seed" / "demo"


def _load_json(name):
    return json.loads((DEMO / f"{name}.json").read_text(encoding="utf-8"))


def _load_vocabularies():
    # Load the module from its file so the test needs neither an app nor the package __init__.
    path = ROOT / "sociale_kaart" / "directory" / "vocabularies.py"
    spec = importlib.util.spec_from_file_location("_seed_test_vocabularies", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


VOCAB = _load_vocabularies()
AREAS = _load_json("areas")
ORGANIZATIONS = _load_json("organizations")
LOCATIONS = _load_json("locations")
SERVICES = _load_json("services")

ORG_BY_KEY = {org["key"]: org for org in ORGANIZATIONS}
LOCATION_BY_KEY = {location["key"]: location for location in LOCATIONS}
AREA_BY_CODE = {area["code"]: area for area in AREAS}


def codes(vocabulary):
    return {term.code for term in vocabulary}


CATEGORY_CODES = codes(VOCAB.CATEGORIES)
TARGET_GROUP_CODES = codes(VOCAB.TARGET_GROUPS)
PYRAMID_CODES = codes(VOCAB.PYRAMID_LEVELS)
ACCESS_ROUTE_CODES = codes(VOCAB.ACCESS_ROUTES)
COST_CODES = codes(VOCAB.COSTS)
MODE_CODES = codes(VOCAB.MODES)
ACCESSIBILITY_CODES = codes(VOCAB.ACCESSIBILITY)
RESPITE_CODES = codes(VOCAB.RESPITE_TYPES)
LANGUAGE_CODES = codes(VOCAB.LANGUAGES)
STATUS_CODES = codes(VOCAB.SERVICE_STATUSES)
AREA_KIND_CODES = codes(VOCAB.AREA_KINDS)

# The villages of Utrechtse Heuvelrug (CBS 1581) with their PC4 codes.
HEUVELRUG_VILLAGES = {
    "amerongen": ("Amerongen", ["3958"]),
    "doorn": ("Doorn", ["3941"]),
    "driebergen_rijsenburg": ("Driebergen-Rijsenburg", ["3971", "3972"]),
    "leersum": ("Leersum", ["3956"]),
    "maarn": ("Maarn", ["3951"]),
    "maarsbergen": ("Maarsbergen", ["3953"]),
    "overberg": ("Overberg", ["3959"]),
}
# The kernen of the neighbouring municipality Rhenen (CBS 0340), the demo's second one (issue #20).
RHENEN_KERNEN = {
    "rhenen": ("Rhenen", ["3911", "3912"]),
    "elst": ("Elst", ["3921", "3922"]),
}
VILLAGES = {**HEUVELRUG_VILLAGES, **RHENEN_KERNEN}
# PC4 points from the bundled gazetteer (shared/data/geo/pc4.csv); see seed/demo/generate_coordinates.py.
PC4_POINTS = {
    "3941": (52.0388, 5.3363),
    "3951": (52.0643, 5.3714),
    "3953": (52.0553, 5.4119),
    "3956": (52.0140, 5.4275),
    "3958": (52.0022, 5.4595),
    "3959": (52.0314, 5.4985),
    "3971": (52.0571, 5.2876),
    "3972": (52.0499, 5.2750),
    "3911": (51.9658, 5.5702),
    "3912": (51.9658, 5.5645),
    "3921": (51.9861, 5.5014),
    "3922": (51.9893, 5.4857),
}

KEYS = {
    "areas": {
        "code",
        "name",
        "kind",
        "postcodes",
        "contact_name",
        "contact_phone",
        "contact_email",
        "contact_address",
        "contact_hours",
    },
    "organizations": {"key", "name", "description", "email", "website", "phone", "kind"},
    "locations": {
        "key",
        "organization",
        "name",
        "address_1",
        "postal_code",
        "city",
        "area",
        "lat",
        "lon",
        "accessibility",
        "transportation",
        "description",
    },
    "services": {
        "key",
        "organization",
        "name",
        "summary",
        "description",
        "for_whom",
        "how_to_apply",
        "categories",
        "target_groups",
        "pyramid_level",
        "access_route",
        "cost",
        "cost_note",
        "modes",
        "languages",
        "keywords",
        "areas",
        "locations",
        "schedule",
        "phone",
        "email",
        "url",
        "minimum_age",
        "maximum_age",
        "respite",
        "assured_days_ago",
        "status",
        "alert",
    },
}
DATA = {"areas": AREAS, "organizations": ORGANIZATIONS, "locations": LOCATIONS, "services": SERVICES}

# 0343 is the Heuvelrug's area code, 0317 Rhenen's.
PHONE = re.compile(r"^0(?:343|317) 000 1\d\d$")
EMAIL = re.compile(r"^[a-z0-9._-]+@[a-z0-9-]+(\.[a-z0-9-]+)*\.example\.org$")
URL = re.compile(r"^https://[a-z0-9-]+(\.[a-z0-9-]+)*\.example\.org(/[a-z0-9/_-]*)?$")
POSTAL_CODE = re.compile(r"^(\d{4}) ([A-Z]{2})$")
TIME = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")
# Dutch postcodes never use these letters or letter pairs.
POSTCODE_LETTERS_UNUSED = set("FIOQUY")
POSTCODE_PAIRS_UNUSED = {"SA", "SD", "SS"}
# Real organisations and brands that the fictional data must not name.
REAL_NAMES = [
    r"\bMEE\b",
    "Humanitas",
    "Rode Kruis",
    "Vluchtelingenwerk",
    "Welzijn Utrechtse Heuvelrug",
    "Sociaal Dorpsteam",
    "Zonnebloem",
    "Alzheimer Nederland",
    "Alzheimer Café",
    "Voedselbank ",
    "SchuldHulpMaatje",
    "AutoMaatje",
    "MantelzorgNL",
    "Stichting Present",
    "Tafeltje Dekje",
]
EXPECTED_REAL_NAME_FIELDS = {
    "organizations": ("name", "description"),
    "locations": ("name", "description"),
    "services": ("name", "summary", "description"),
}


def sentences(text):
    return [part for part in re.split(r"(?<=[.!?])\s+", text.strip()) if part]


def distance_km(a, b):
    """Return the great-circle distance in km between two (lat, lon) points."""
    lat1, lon1, lat2, lon2 = map(math.radians, (*a, *b))
    h = math.sin((lat2 - lat1) / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    return 2 * 6371.0 * math.asin(math.sqrt(h))


def point(location):
    return location["lat"], location["lon"]


def located_villages(service):
    return {LOCATION_BY_KEY[key]["area"] for key in service["locations"]}


def nearest_km(service, origin):
    return min(distance_km(origin, point(LOCATION_BY_KEY[key])) for key in service["locations"])


def all_strings(value):
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from all_strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from all_strings(item)


# --- shape -----------------------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(KEYS))
def test_records_have_exactly_the_agreed_keys(name):
    optional = {"municipality_code"} if name == "areas" else set()
    wrong = [record for record in DATA[name] if not KEYS[name] <= set(record) <= KEYS[name] | optional]
    assert DATA[name] and not wrong, wrong[:1]


@pytest.mark.parametrize(
    "name, key",
    [
        ("areas", "code"),
        ("organizations", "key"),
        ("locations", "key"),
        ("services", "key"),
    ],
)
def test_keys_are_unique(name, key):
    counts = Counter(record[key] for record in DATA[name])
    assert [k for k, n in counts.items() if n > 1] == []


def test_areas_are_the_seven_villages_and_rhenens_two_kernen():
    assert {a["code"]: (a["name"], a["postcodes"]) for a in AREAS} == {
        code: (name, postcodes) for code, (name, postcodes) in VILLAGES.items()
    }
    assert {a["kind"] for a in AREAS} <= AREA_KIND_CODES
    # Without a code an area is the installation's own municipality's (Utrechtse Heuvelrug's).
    assert {a["code"]: a.get("municipality_code") for a in AREAS if a["code"] in RHENEN_KERNEN} == {
        "rhenen": "0340",
        "elst": "0340",
    }
    assert all(a.get("municipality_code") is None for a in AREAS if a["code"] in HEUVELRUG_VILLAGES)


def test_rhenen_has_services_in_elst_near_amerongen_and_across_the_border():
    """Issue #20: a service in Elst 3922 about 2 km from Amerongen, and one serving both municipalities."""
    amerongen = PC4_POINTS["3958"]
    in_elst_3922 = [
        s for s in SERVICES if any(LOCATION_BY_KEY[key]["postal_code"].startswith("3922") for key in s["locations"])
    ]
    assert in_elst_3922 and min(nearest_km(s, amerongen) for s in in_elst_3922) < 2.6
    both = [s for s in SERVICES if set(s["areas"]) & set(RHENEN_KERNEN) and set(s["areas"]) & set(HEUVELRUG_VILLAGES)]
    assert len(both) >= 1
    rhenen = [s for s in SERVICES if located_villages(s) & set(RHENEN_KERNEN)]
    assert 8 <= len(rhenen) <= 12


def test_counts_are_large_enough():
    assert len(ORGANIZATIONS) >= 45
    assert len(LOCATIONS) >= 60
    assert len(SERVICES) >= 150
    assert len({s["organization"] for s in SERVICES}) >= 45


# --- fictional and safe ----------------------------------------------------------------------


@pytest.mark.parametrize("name", ["organizations", "locations"])
def test_names_are_marked_demo(name):
    assert [r["name"] for r in DATA[name] if not r["name"].endswith(" (demo)")] == []


@pytest.mark.parametrize("pattern", REAL_NAMES)
def test_no_real_organisation_is_named(pattern):
    hits = [
        record[field]
        for name, fields in EXPECTED_REAL_NAME_FIELDS.items()
        for record in DATA[name]
        for field in fields
        if re.search(pattern, record[field])
    ]
    assert hits == []


def test_organisation_contact_details_reach_nobody():
    for org in ORGANIZATIONS:
        assert PHONE.match(org["phone"]), org["key"]
        assert EMAIL.match(org["email"]), org["key"]
        assert URL.match(org["website"]), org["key"]


def test_dorpsteam_contacts_are_fictional_and_reach_nobody():
    """Issue #11: every village has a made-up dorpsteam whose phone and e-mail reach nobody."""
    for area in AREAS:
        assert area["contact_name"].endswith(" (demo)"), area["code"]
        assert PHONE.match(area["contact_phone"]), area["code"]
        assert EMAIL.match(area["contact_email"]), area["code"]
        assert area["contact_address"].strip() and area["contact_hours"].strip(), area["code"]
    phones = [area["contact_phone"] for area in AREAS]
    used = {record.get("phone") for record in ORGANIZATIONS + SERVICES}
    assert len(set(phones)) == len(phones) and not set(phones) & used


def test_service_contact_details_reach_nobody():
    for service in SERVICES:
        assert service["phone"] is None or PHONE.match(service["phone"]), service["key"]
        assert service["email"] is None or EMAIL.match(service["email"]), service["key"]
        assert service["url"] is None or URL.match(service["url"]), service["key"]


@pytest.mark.parametrize("name", sorted(DATA))
def test_free_text_holds_no_other_contact_details(name):
    text = list(all_strings(DATA[name]))
    emails = [m for t in text for m in re.findall(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+", t)]
    urls = [m for t in text for m in re.findall(r"(?:https?://|www\.)\S+", t)]
    phones = [m for t in text for m in re.findall(r"(?<!\d)0\d{1,3}[ -]?\d{3}[ -]?\d{2,4}(?!\d)", t)]
    assert [e for e in emails if not EMAIL.match(e)] == []
    assert [u for u in urls if not URL.match(u)] == []
    assert [p for p in phones if not PHONE.match(p)] == []


# --- organisations ---------------------------------------------------------------------------


def test_organisations_are_described_briefly():
    for org in ORGANIZATIONS:
        assert org["kind"].strip(), org["key"]
        assert 1 <= len(sentences(org["description"])) <= 2, org["key"]
    descriptions = [org["description"] for org in ORGANIZATIONS]
    assert len(set(descriptions)) == len(descriptions)


def test_every_organisation_offers_a_service():
    assert set(ORG_BY_KEY) - {s["organization"] for s in SERVICES} == set()


# --- locations -------------------------------------------------------------------------------


@pytest.mark.parametrize("location", LOCATIONS, ids=lambda location: location["key"])
def test_location_is_a_plausible_address_in_its_village(location):
    assert location["organization"] in ORG_BY_KEY
    assert location["area"] in VILLAGES
    name, postcodes = VILLAGES[location["area"]]
    assert location["city"] == name
    match = POSTAL_CODE.match(location["postal_code"])
    assert match, location["postal_code"]
    pc4, letters = match.groups()
    assert pc4 in postcodes
    assert not set(letters) & POSTCODE_LETTERS_UNUSED
    assert letters not in POSTCODE_PAIRS_UNUSED
    assert re.search(r"\s\d+[A-Z]?$", location["address_1"]), location["address_1"]
    assert set(location["accessibility"]) <= ACCESSIBILITY_CODES
    assert location["transportation"].strip()


@pytest.mark.parametrize("location", LOCATIONS, ids=lambda location: location["key"])
def test_location_is_near_its_pc4_point(location):
    lat, lon = PC4_POINTS[location["postal_code"][:4]]
    assert abs(location["lat"] - lat) <= 0.006
    assert abs(location["lon"] - lon) <= 0.006
    assert round(location["lat"], 5) == location["lat"]
    assert round(location["lon"], 5) == location["lon"]


@pytest.mark.parametrize("village", sorted(VILLAGES))
def test_every_village_has_four_locations(village):
    assert sum(1 for location in LOCATIONS if location["area"] == village) >= 4


def test_some_location_is_shared_by_several_organisations():
    organisations_per_location = Counter()
    for location_key in LOCATION_BY_KEY:
        organisations_per_location[location_key] = len(
            {s["organization"] for s in SERVICES if location_key in s["locations"]}
        )
    assert sum(1 for n in organisations_per_location.values() if n >= 2) >= 3


@pytest.mark.parametrize("code", sorted(ACCESSIBILITY_CODES))
def test_every_accessibility_code_is_used_twice(code):
    assert sum(code in location["accessibility"] for location in LOCATIONS) >= 2


# --- services: references and vocabularies ---------------------------------------------------


@pytest.mark.parametrize("service", SERVICES, ids=lambda service: service["key"])
def test_service_references_exist_and_fit(service):
    assert service["organization"] in ORG_BY_KEY
    assert 1 <= len(service["locations"]) <= 3
    for key in service["locations"]:
        location = LOCATION_BY_KEY[key]
        # A service uses its own organisation's building, or a shared dorpshuis.
        owner = ORG_BY_KEY[location["organization"]]
        assert owner["key"] == service["organization"] or owner["kind"] == "dorpshuis", key
    assert service["areas"] and set(service["areas"]) <= set(VILLAGES)
    assert located_villages(service) <= set(service["areas"])


@pytest.mark.parametrize("service", SERVICES, ids=lambda service: service["key"])
def test_service_uses_known_codes(service):
    assert 1 <= len(service["categories"]) <= 3
    assert set(service["categories"]) <= CATEGORY_CODES
    assert service["target_groups"] and set(service["target_groups"]) <= TARGET_GROUP_CODES
    assert service["pyramid_level"] in PYRAMID_CODES
    assert service["access_route"] in ACCESS_ROUTE_CODES
    assert service["cost"] and set(service["cost"]) <= COST_CODES
    assert service["modes"] and set(service["modes"]) <= MODE_CODES
    assert service["languages"] and set(service["languages"]) <= LANGUAGE_CODES
    assert service["status"] in STATUS_CODES
    for field in ("categories", "target_groups", "cost", "modes", "languages", "areas", "locations"):
        assert len(set(service[field])) == len(service[field]), field


@pytest.mark.parametrize("service", SERVICES, ids=lambda service: service["key"])
def test_service_values_are_well_formed(service):
    # "gratis" means the resident pays nothing.
    assert not ({"gratis"} & set(service["cost"]) and {"betaald", "eigen_bijdrage_wmo"} & set(service["cost"]))
    assert isinstance(service["cost_note"], str)
    assert service["keywords"] and all(isinstance(k, str) and k.strip() for k in service["keywords"])
    for slot in service["schedule"]:
        assert set(slot) == {"weekday", "opens", "closes"}
        assert slot["weekday"] in range(7)
        assert TIME.match(slot["opens"]) and TIME.match(slot["closes"])
        assert slot["opens"] < slot["closes"]
    low, high = service["minimum_age"], service["maximum_age"]
    assert low is None or isinstance(low, int) and 0 <= low <= 120
    assert high is None or isinstance(high, int) and 0 <= high <= 120
    assert low is None or high is None or low <= high
    assert isinstance(service["assured_days_ago"], int) and 5 <= service["assured_days_ago"] <= 400
    if service["status"] == "active":
        assert service["alert"] is None
    else:
        assert service["alert"] and service["alert"].strip()


@pytest.mark.parametrize("service", SERVICES, ids=lambda service: service["key"])
def test_service_respite_is_consistent(service):
    respite = service["respite"]
    assert (respite is not None) == ("respijtzorg" in service["categories"])
    if respite is not None:
        assert set(respite) == {"types", "for_whom", "lead_time_days"}
        assert respite["types"] and set(respite["types"]) <= RESPITE_CODES
        assert respite["for_whom"].strip()
        assert isinstance(respite["lead_time_days"], int) and 0 <= respite["lead_time_days"] <= 56


# --- services: plain Dutch -------------------------------------------------------------------


@pytest.mark.parametrize("service", SERVICES, ids=lambda service: service["key"])
def test_service_texts_are_short_plain_sentences(service):
    assert len(sentences(service["summary"])) == 1
    assert 2 <= len(sentences(service["description"])) <= 4
    assert len(sentences(service["for_whom"])) == 1
    assert 1 <= len(sentences(service["how_to_apply"])) <= 2
    for field in ("summary", "description", "for_whom", "how_to_apply"):
        assert service[field].rstrip()[-1] in ".?!", field
        for sentence in sentences(service[field]):
            # B1: short sentences.
            assert len(sentence.split()) <= 22, sentence


@pytest.mark.parametrize("field", ["name", "summary", "description", "how_to_apply"])
def test_service_texts_are_not_copied(field):
    counts = Counter(service[field] for service in SERVICES)
    assert [text for text, n in counts.items() if n > 1] == []


def test_average_sentence_is_short():
    words = [len(s.split()) for service in SERVICES for s in sentences(service["description"])]
    assert sum(words) / len(words) <= 14


def test_respite_care_is_explained_in_plain_words():
    explained = [
        s for s in SERVICES if re.search(r"zorg (even )?(van u )?overneemt|zorg even overnemen", s["description"])
    ]
    assert len(explained) >= 2


# --- coverage of vocabularies ----------------------------------------------------------------


@pytest.mark.parametrize("code", sorted(CATEGORY_CODES))
def test_every_category_is_used_three_times(code):
    assert sum(code in s["categories"] for s in SERVICES) >= 3


@pytest.mark.parametrize("code", sorted(PYRAMID_CODES))
def test_every_pyramid_level_is_used_fifteen_times(code):
    assert sum(s["pyramid_level"] == code for s in SERVICES) >= 15


@pytest.mark.parametrize(
    "field, code",
    [
        *[("access_route", code) for code in sorted(ACCESS_ROUTE_CODES)],
        *[("cost", code) for code in sorted(COST_CODES)],
        *[("modes", code) for code in sorted(MODE_CODES)],
    ],
)
def test_every_code_is_used_twice(field, code):
    values = [s[field] if isinstance(s[field], list) else [s[field]] for s in SERVICES]
    assert sum(code in v for v in values) >= 2


@pytest.mark.parametrize("code", sorted(RESPITE_CODES))
def test_every_respite_type_is_used_twice(code):
    assert sum(bool(s["respite"]) and code in s["respite"]["types"] for s in SERVICES) >= 2


def test_every_target_group_is_used():
    used = {group for s in SERVICES for group in s["target_groups"]}
    assert TARGET_GROUP_CODES - used == set()


@pytest.mark.parametrize("village", sorted(VILLAGES))
def test_every_village_has_services_located_in_it_and_serving_it(village):
    # Rhenen is the demo's small second municipality (issue #20): fewer services per kern.
    enough = 12 if village in HEUVELRUG_VILLAGES else 4
    assert sum(village in located_villages(s) for s in SERVICES) >= enough
    assert sum(village in s["areas"] for s in SERVICES) >= enough


# --- content the product features rely on ----------------------------------------------------


def test_respite_care_is_rich_enough():
    respite = [s for s in SERVICES if s["respite"]]
    assert len(respite) >= 12
    assert {t for s in respite for t in s["respite"]["types"]} == RESPITE_CODES
    lead_times = [s["respite"]["lead_time_days"] for s in respite]
    assert min(lead_times) == 0 and max(lead_times) == 56


@pytest.mark.parametrize("word", ["repair café", "boodschappendienst", "maatje", "oppas", "eetclub", "wandel", "buren"])
def test_informal_initiatives_are_at_gewone_leven_level(word):
    assert any(word in s["name"].lower() for s in SERVICES if s["pyramid_level"] == "gewone_leven")


def test_respite_near_doorn_and_farther_away():
    doorn = PC4_POINTS["3941"]
    respite = [s for s in SERVICES if s["respite"] and s["status"] == "active"]
    assert sum(nearest_km(s, doorn) <= 3 for s in respite) >= 3
    for village in ("amerongen", "overberg"):
        far = [s for s in respite if village in located_villages(s) and nearest_km(s, doorn) > 7]
        assert len(far) >= 2, village


def test_dementia_services_near_and_beyond_five_km_of_leersum():
    leersum = PC4_POINTS["3956"]
    dementia = [s for s in SERVICES if "dementie" in s["categories"]]
    assert sum("leersum" in located_villages(s) for s in dementia) >= 3
    assert sum(nearest_km(s, leersum) <= 5 for s in dementia) >= 4
    assert sum(nearest_km(s, leersum) > 8 for s in dementia) >= 2


def test_compound_word_and_carer_content_exist():
    names = [s["name"] for s in SERVICES]
    assert any(name.startswith("Boodschappendienst") for name in names)
    assert any(name.startswith(("Mantelzorgondersteuning", "Mantelzorgcafé")) for name in names)
    assert sum("mantelzorger" in " ".join(all_strings(s)).lower() for s in SERVICES) >= 10


def test_paid_and_free_services_among_respite_and_dementia():
    selection = [s for s in SERVICES if s["respite"] or "dementie" in s["categories"]]
    paid = [s for s in selection if {"betaald", "eigen_bijdrage_wmo"} & set(s["cost"])]
    free = [s for s in selection if s["cost"] == ["gratis"]]
    assert len(paid) >= 4 and len(free) >= 4


def test_opening_hours_cover_evenings_and_saturdays():
    with_schedule = [s for s in SERVICES if s["schedule"]]
    assert len(with_schedule) >= 0.7 * len(SERVICES)
    assert sum(any(slot["closes"] > "19:00" for slot in s["schedule"]) for s in SERVICES) >= 8
    assert sum(any(slot["weekday"] == 5 for slot in s["schedule"]) for s in SERVICES) >= 8


def test_freshness_is_spread():
    days = [s["assured_days_ago"] for s in SERVICES]
    assert sum(d < 180 for d in days) >= 0.8 * len(days)
    assert 8 <= sum(270 <= d <= 360 for d in days) <= 15
    assert 4 <= sum(d > 365 for d in days) <= 7


def test_a_few_services_are_temporarily_closed():
    closed = [s for s in SERVICES if s["status"] == "temporarily closed"]
    assert 2 <= len(closed) <= 5
    assert all(s["alert"] for s in closed)
