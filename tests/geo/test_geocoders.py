import ast
import sys
from pathlib import Path

import pytest
from geopy.exc import (
    GeocoderQuotaExceeded,
    GeocoderServiceError,
    GeocoderTimedOut,
    GeocoderUnavailable,
)

import sociale_kaart
from sociale_kaart.geo import (
    FakeGeocoder,
    Geocoder,
    OfflineGeocoder,
    OnlineGeocoder,
    Place,
    UnknownLocation,
    create_geocoder,
)

PACKAGE = Path(sociale_kaart.__file__).parent
GEO = PACKAGE / "geo"
FORBIDDEN_IN_GEO = {"flask", "flask_babel", "werkzeug", "sqlalchemy", "sociale_kaart"}

DOORN = Place("Doorn", 52.03343, 5.34571, "place", "3941", "Doorn", "Utrechtse Heuvelrug", "1581")


class Location:
    """What geopy's geocode() returns, reduced to what OnlineGeocoder reads."""

    def __init__(self, latitude, longitude, address=""):
        self.latitude = latitude
        self.longitude = longitude
        self.address = address


class StubGeocoder:
    """A geopy geocoder that answers from memory or raises, and records its calls."""

    def __init__(self, answer=None, error=None):
        self.answer = answer
        self.error = error
        self.calls = []

    def geocode(self, query, exactly_one=True, timeout=None, country_codes=None):
        self.calls.append(
            {"query": query, "exactly_one": exactly_one, "timeout": timeout, "country_codes": country_codes}
        )
        if self.error is not None:
            raise self.error
        return self.answer


class PlainStubGeocoder:
    """A geopy geocoder without a country_codes parameter, like GoogleV3."""

    def __init__(self):
        self.calls = []

    def geocode(self, query, exactly_one=True, timeout=None):
        self.calls.append(query)
        return Location(52.0384, 5.3371)


@pytest.fixture(scope="module")
def offline():
    return OfflineGeocoder(municipality_code="1581")


@pytest.mark.parametrize(
    "municipality_code, text, expected",
    [
        ("1581", "Overberg", "1581"),
        ("0873", "Overberg", "0873"),
        ("1859", "Zwolle", "1859"),
        (None, "Zwolle", "0193"),
    ],
)
def test_offline_geocoder_prefers_its_municipality_for_ambiguous_names(municipality_code, text, expected):
    geocoder = OfflineGeocoder(municipality_code=municipality_code)

    assert geocoder.resolve(text).municipality_code == expected


def test_offline_geocoder_suggests_its_own_postcodes_first(offline):
    assert offline.suggest("39") == ["3941 Doorn", "3951 Maarn", "3953 Maarsbergen", "3956 Leersum", "3958 Amerongen"]


def test_offline_geocoder_lists_postcodes_of_a_municipality(offline):
    postcodes = offline.postcodes_of_municipality("1581")

    assert [p["postcode4"] for p in postcodes] == ["3941", "3951", "3953", "3956", "3958", "3959", "3971", "3972"]
    assert postcodes[0] == {"postcode4": "3941", "place": "Doorn", "lat": 52.0388, "lon": 5.3363}


@pytest.mark.parametrize("code", ["9999", "", "1581 "])
def test_offline_geocoder_lists_no_postcodes_of_an_unknown_municipality(offline, code):
    assert offline.postcodes_of_municipality(code) == []


def test_offline_geocoder_lists_places_of_a_municipality(offline):
    places = offline.places_of_municipality("1581")
    labels = [place.label for place in places]

    expected = {"Doorn", "Leersum", "Amerongen", "Maarn", "Maarsbergen", "Overberg", "Driebergen-Rijsenburg"}
    assert expected <= set(labels)
    assert labels == sorted(labels, key=str.casefold)
    assert {(p.kind, p.municipality, p.municipality_code) for p in places} == {("place", "Utrechtse Heuvelrug", "1581")}
    assert all(p.postcode4 in {"3941", "3951", "3953", "3956", "3958", "3959", "3971", "3972"} for p in places)


@pytest.mark.parametrize("code, historical", [("0080", "Idaarderadeel"), ("1924", "Roxenisse")])
def test_offline_geocoder_leaves_historical_places_out_of_a_municipality(offline, code, historical):
    labels = [place.label for place in offline.places_of_municipality(code)]

    assert labels and historical not in labels


def test_offline_geocoder_shows_dutch_names_of_places(offline):
    labels = [place.label for place in offline.places_of_municipality("0518")]

    assert "'s-Gravenhage" in labels and "The Hague" not in labels


@pytest.mark.parametrize(
    "geocoder",
    [OfflineGeocoder(), OnlineGeocoder(StubGeocoder()), FakeGeocoder()],
    ids=["offline", "online", "fake"],
)
def test_every_geocoder_follows_the_protocol(geocoder):
    assert isinstance(geocoder, Geocoder)


def test_online_geocoder_answers_known_locations_offline(offline):
    stub = StubGeocoder(answer=Location(0, 0))
    geocoder = OnlineGeocoder(stub, fallback=offline)

    assert geocoder.resolve("Doorn").label == "Doorn"
    assert geocoder.resolve("3941 AB").postcode4 == "3941"
    assert stub.calls == []


def test_online_geocoder_asks_online_for_what_the_csvs_do_not_know(offline):
    stub = StubGeocoder(answer=Location(52.0401, 5.3352, "Dorpsstraat, Doorn, Utrechtse Heuvelrug"))
    geocoder = OnlineGeocoder(stub, fallback=offline, timeout=2)

    place = geocoder.resolve("  Dorpsstraat 1, Doorn ")

    assert place == Place(
        "Dorpsstraat 1, Doorn", 52.0401, 5.3352, "place", "3941", "Doorn", "Utrechtse Heuvelrug", "1581"
    )
    assert stub.calls == [{"query": "Dorpsstraat 1, Doorn", "exactly_one": True, "timeout": 2, "country_codes": "nl"}]


def test_online_geocoder_looks_up_postcodes_missing_from_the_csvs(offline):
    stub = StubGeocoder(answer=Location(52.2517, 6.1586))

    place = OnlineGeocoder(stub, fallback=offline).resolve("7146 AB")

    assert (place.kind, place.postcode4, place.municipality_code) == ("postcode", "7146", "0150")


def test_online_geocoder_omits_country_codes_for_geocoders_without_them(offline):
    stub = PlainStubGeocoder()

    place = OnlineGeocoder(stub, fallback=offline).resolve("Dorpsstraat 1, Doorn")

    assert (stub.calls, place.postcode4) == (["Dorpsstraat 1, Doorn"], "3941")


@pytest.mark.parametrize(
    "error",
    [
        GeocoderTimedOut("Service timed out"),
        GeocoderServiceError("HTTP Error 500"),
        GeocoderUnavailable("Service not available"),
        GeocoderQuotaExceeded("HTTP Error 429"),
        ConnectionResetError("reset by peer"),
    ],
    ids=lambda error: type(error).__name__,
)
def test_online_geocoder_turns_failures_into_unknown_location_with_offline_suggestions(offline, error):
    geocoder = OnlineGeocoder(StubGeocoder(error=error), fallback=offline)

    with pytest.raises(UnknownLocation) as raised:
        geocoder.resolve("Dorn")

    assert (raised.value.reason, raised.value.query, raised.value.suggestions[0]) == ("unknown_place", "Dorn", "Doorn")


@pytest.mark.parametrize(
    "answer",
    [None, [], Location(48.8566, 2.3522), Location("north", "east"), Location(91.0, 5.0), object()],
    ids=["nothing", "empty list", "paris", "not numbers", "off the globe", "no coordinates"],
)
def test_online_geocoder_rejects_answers_outside_the_netherlands(offline, answer):
    geocoder = OnlineGeocoder(StubGeocoder(answer=answer), fallback=offline)

    with pytest.raises(UnknownLocation) as raised:
        geocoder.resolve("9990 ZZ")

    assert (raised.value.reason, raised.value.suggestions[0]) == ("unknown_postcode", "9991 Middelstum")


@pytest.mark.parametrize("text, reason", [("", "empty"), ("   ", "empty"), ("x" * 101, "too_long")])
def test_online_geocoder_does_not_send_empty_or_long_text(offline, text, reason):
    stub = StubGeocoder(answer=Location(52.0, 5.3))

    with pytest.raises(UnknownLocation) as raised:
        OnlineGeocoder(stub, fallback=offline).resolve(text)

    assert (raised.value.reason, stub.calls) == (reason, [])


def test_online_geocoder_suggests_offline_only(offline):
    stub = StubGeocoder(answer=Location(52.0, 5.3))

    assert "Driebergen-Rijsenburg" in OnlineGeocoder(stub, fallback=offline).suggest("Drie")
    assert stub.calls == []


def test_fake_geocoder_resolves_mapped_text_in_any_case():
    geocoder = FakeGeocoder({"Doorn": DOORN})

    assert geocoder.resolve("  DOORN ") is DOORN


@pytest.mark.parametrize(
    "text, reason, suggestions",
    [
        ("Dorn", "unknown_place", ("Doorn",)),
        ("Leersum", "unknown_place", ()),
        ("", "empty", ()),
        ("x" * 101, "too_long", ()),
    ],
)
def test_fake_geocoder_rejects_text_it_does_not_know(text, reason, suggestions):
    with pytest.raises(UnknownLocation) as raised:
        FakeGeocoder({"doorn": DOORN}).resolve(text)

    assert (raised.value.reason, raised.value.suggestions) == (reason, suggestions)


@pytest.mark.parametrize("text, expected", [("do", ["Doorn"]), ("", []), ("zzz", []), ("Dorn", ["Doorn"])])
def test_fake_geocoder_suggests_mapped_labels(text, expected):
    assert FakeGeocoder({"doorn": DOORN, "3941": DOORN}).suggest(text) == expected


@pytest.mark.parametrize("limit", [0, 1])
def test_fake_geocoder_suggests_at_most_limit_labels(limit):
    geocoder = FakeGeocoder({"doorn": DOORN, "dorst": Place("Dorst", 51.59, 4.86, "place", None, "Dorst", None, None)})

    assert len(geocoder.suggest("do", limit=limit)) == len(geocoder.suggest("dorn", limit=limit)) == limit


def test_fake_geocoder_lists_mapped_places_of_a_municipality():
    geocoder = FakeGeocoder({"doorn": DOORN})

    assert (geocoder.places_of_municipality("1581"), geocoder.postcodes_of_municipality("1581")) == ([DOORN], [])


@pytest.mark.parametrize(
    "name, kind",
    [
        ("offline", OfflineGeocoder),
        ("Offline ", OfflineGeocoder),
        ("nominatim", OnlineGeocoder),
        ("fake", FakeGeocoder),
    ],
)
def test_create_geocoder_builds_the_named_backend_from_shared_options(name, kind):
    geocoder = create_geocoder(name, municipality_code="1581", user_agent="sociale-kaart-tests")

    assert type(geocoder) is kind


def test_create_geocoder_defaults_to_offline():
    assert type(create_geocoder()) is OfflineGeocoder


def test_create_geocoder_configures_nominatim():
    geocoder = create_geocoder("nominatim", user_agent="sociale-kaart-tests", municipality_code="0873", timeout=5)

    assert geocoder.geopy_geocoder.headers["User-Agent"] == "sociale-kaart-tests"
    assert (geocoder.country_codes, geocoder.timeout, geocoder.fallback.municipality_code) == ("nl", 5, "0873")


def test_create_geocoder_passes_places_to_the_fake():
    assert create_geocoder("fake", places={"doorn": DOORN}).resolve("Doorn") is DOORN


@pytest.mark.parametrize(
    "name, options, error",
    [
        ("google", {}, ValueError),
        ("nominatim", {}, ValueError),
        ("nominatim", {"user_agent": ""}, ValueError),
        ("offline", {"api_key": "secret"}, TypeError),
    ],
)
def test_create_geocoder_rejects_unknown_backends_and_options(name, options, error):
    with pytest.raises(error):
        create_geocoder(name, **options)


def imported_modules(path):
    """Yield (module, level) for every import in a Python file."""
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            yield from ((alias.name, 0) for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            yield node.module or "", node.level


def test_only_the_geo_package_imports_geopy():
    importers = [
        path.relative_to(PACKAGE).as_posix()
        for path in PACKAGE.rglob("*.py")
        if GEO not in path.parents
        and any(module.split(".")[0] == "geopy" for module, level in imported_modules(path) if level == 0)
    ]

    assert importers == []


@pytest.mark.parametrize("path", sorted(GEO.glob("*.py")), ids=lambda path: path.name)
def test_geo_imports_neither_flask_nor_other_project_packages(path):
    for module, level in imported_modules(path):
        assert level <= 1, module
        assert level == 1 or module.split(".")[0] not in FORBIDDEN_IN_GEO, module


def test_gazetteer_needs_only_the_standard_library():
    modules = {module.split(".")[0] for module, level in imported_modules(GEO / "gazetteer.py") if level == 0}

    assert modules <= set(sys.stdlib_module_names) | {"__future__"}
