import csv
import hashlib
import re
import threading
import time
from pathlib import Path

import pytest

import sociale_kaart.geo as geo
from sociale_kaart.geo import gazetteer as gazetteer_module
from sociale_kaart.geo.gazetteer import Gazetteer, UnknownLocation, normal_postcode, normalise_name, parse_postcode

DATA = Path(gazetteer_module.__file__).parent / "data"

HOSTILE_INPUT = [
    "'; DROP TABLE services; --",
    "<script>alert(1)</script>",
    "😀",
    "🏳️‍🌈 Doorn",
    "\x00",
    "Doorn\x00",
    "3941\x00AB",
    "\u202eDoorn",
    "%s%s%n",
    "../../etc/passwd",
    "１２３４ＡＢ",
    "٣٩٤١",
    "'",
    "-",
    "gemeente",
    "gemeente ",
    "'s",
    "0",
    "0000",
    "12345678",
    "1e308",
    "NaN",
    "a" * 100,
    "a" * 2000,
    "Doorn " * 400,
]


@pytest.fixture(scope="module")
def gazetteer():
    return Gazetteer()


def rows(name):
    with (DATA / name).open(encoding="utf-8", newline="") as file:
        return list(csv.DictReader(file))


@pytest.mark.parametrize(
    "text, expected",
    [
        ("3941 AB", ("3941", "AB")),
        ("3941ab", ("3941", "AB")),
        ("3941AB", ("3941", "AB")),
        ("3941 Ab", ("3941", "AB")),
        ("3941  ab", ("3941", "AB")),
        (" 3941 AB ", ("3941", "AB")),
        ("3941\u00a0AB", ("3941", "AB")),
        ("3941\tab", ("3941", "AB")),
        ("3941", ("3941", None)),
        (" 3941 ", ("3941", None)),
        ("1011", ("1011", None)),
    ],
)
def test_parse_postcode_accepts_common_forms(text, expected):
    assert parse_postcode(text) == expected


@pytest.mark.parametrize("text", ["3941 SA", "3941 sd", "3941SS"])
def test_parse_postcode_keeps_digits_of_letters_postnl_never_uses(text):
    assert parse_postcode(text) == ("3941", None)


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   ",
        "0941 AB",
        "394",
        "39411",
        "3941 A",
        "3941 ABC",
        "AB 3941",
        "Doorn",
        "３９４１",
        "٣٩٤١",
        "3941-AB",
        None,
    ],
)
def test_parse_postcode_rejects_other_text(text):
    assert parse_postcode(text) is None


@pytest.mark.parametrize(
    "text, expected",
    [
        ("'s-Graveland", "'s graveland"),
        ("’s-Graveland", "'s graveland"),
        ("‘s-Graveland", "'s graveland"),
        ("`s-Graveland", "'s graveland"),
        ("Driebergen-Rijsenburg", "driebergen rijsenburg"),
        ("  Den   Dolder ", "den dolder"),
        ("DOORN", "doorn"),
        ("Súdwest-Fryslân", "sudwest fryslan"),
        ("Bergen (NH.)", "bergen nh"),
        ("Zvolė", "zvole"),
    ],
)
def test_normalise_name_unifies_case_accents_apostrophes_and_hyphens(text, expected):
    assert normalise_name(text) == expected


@pytest.mark.parametrize(
    "text, label",
    [
        ("3941 AB", "3941 AB Doorn"),
        ("3941ab", "3941 AB Doorn"),
        ("3941AB", "3941 AB Doorn"),
        ("3941  ab", "3941 AB Doorn"),
        ("  3941 AB  ", "3941 AB Doorn"),
        ("3941", "3941 Doorn"),
        (" 3941 ", "3941 Doorn"),
        ("3941 SS", "3941 Doorn"),
        ("3941 Doorn", "3941 Doorn"),
        ("3941 AB Doorn", "3941 AB Doorn"),
    ],
)
def test_resolve_accepts_postcode_forms(gazetteer, text, label):
    place = gazetteer.resolve(text)

    assert (place.label, place.kind, place.postcode4, place.place) == (label, "postcode", "3941", "Doorn")
    assert (place.municipality, place.municipality_code) == ("Utrechtse Heuvelrug", "1581")
    assert (place.lat, place.lon) == (52.0388, 5.3363)


@pytest.mark.parametrize(
    "text, label, municipality_code",
    [
        ("'s-Graveland", "'s-Graveland", "1696"),
        ("s-graveland", "'s-Graveland", "1696"),
        ("’s-Graveland", "'s-Graveland", "1696"),
        ("Driebergen-Rijsenburg", "Driebergen-Rijsenburg", "1581"),
        ("driebergen rijsenburg", "Driebergen-Rijsenburg", "1581"),
        ("Den Dolder", "Den Dolder", "0355"),
        ("den dolder", "Den Dolder", "0355"),
        ("DOORN", "Doorn", "1581"),
        ("  doorn  ", "Doorn", "1581"),
        ("Amerongen", "Amerongen", "1581"),
        ("Maarn", "Maarn", "1581"),
        ("Maarsbergen", "Maarsbergen", "1581"),
        ("Overberg", "Overberg", "1581"),
        ("Leersum", "Leersum", "1581"),
        ("'s-Gravenhage", "'s-Gravenhage", "0518"),
        ("s gravenhage", "'s-Gravenhage", "0518"),
        ("Den Haag", "Den Haag", "0518"),
        ("Ljouwert", "Ljouwert", "0080"),
        ("Alteveer gem Hoogeveen", "Alteveer gem Hoogeveen", "0118"),
        ("Zeist", "Zeist", "0355"),
        ("Kapelle", "Kapelle", "0678"),
    ],
)
def test_resolve_finds_place_names(gazetteer, text, label, municipality_code):
    place = gazetteer.resolve(text)

    assert (place.kind, place.label, place.place, place.municipality_code) == (
        "place",
        label,
        label,
        municipality_code,
    )


def test_resolve_uses_the_geonames_point_of_a_place(gazetteer):
    place = gazetteer.resolve("Doorn")

    assert (place.lat, place.lon, place.postcode4) == (52.03343, 5.34571, "3941")


@pytest.mark.parametrize(
    "text",
    ["Doorn", "Leersum", "Maarn", "Den Dolder", "Driebergen-Rijsenburg", "'s-Graveland", "Zwolle", "Den Haag"],
)
def test_resolve_gives_a_place_the_nearest_postcode_of_its_municipality(gazetteer, text):
    place = gazetteer.resolve(text)
    postcodes = [row for row in rows("pc4.csv") if row["municipality_code"] == place.municipality_code]

    def squared_km(row):
        dlat = (float(row["lat"]) - place.lat) * 111.2
        dlon = (float(row["lon"]) - place.lon) * 111.3 * 0.616  # cos(52°)
        return dlat**2 + dlon**2

    assert place.postcode4 == min(postcodes, key=squared_km)["postcode4"]


@pytest.mark.parametrize(
    "text",
    ["Utrechtse Heuvelrug", "gemeente Utrechtse Heuvelrug", "utrechtse heuvelrug", "Gemeente utrechtse-heuvelrug"],
)
def test_resolve_finds_municipalities_where_people_live(gazetteer, text):
    place = gazetteer.resolve(text)

    assert place == geo.Place(
        label="gemeente Utrechtse Heuvelrug",
        lat=52.03913,
        lon=5.38346,
        kind="municipality",
        postcode4=place.postcode4,
        place=None,
        municipality="Utrechtse Heuvelrug",
        municipality_code="1581",
    )
    assert place.postcode4 in {"3941", "3951", "3953", "3956", "3958", "3959", "3971", "3972"}


@pytest.mark.parametrize(
    "text, kind, label",
    [
        ("Zeist", "place", "Zeist"),
        ("gemeente Zeist", "municipality", "gemeente Zeist"),
        ("Hellevoetsluis", "place", "Hellevoetsluis"),
        ("gemeente Hellevoetsluis", "municipality", "gemeente Voorne aan Zee"),
        ("gemeente Bergen (L.)", "municipality", "gemeente Bergen (L.)"),
    ],
)
def test_resolve_prefers_a_place_over_a_municipality_of_the_same_name(gazetteer, text, kind, label):
    place = gazetteer.resolve(text)

    assert (place.kind, place.label) == (kind, label)


@pytest.mark.parametrize(
    "text, prefer, municipality_code",
    [
        ("Overberg", None, "1581"),
        ("Overberg", "1581", "1581"),
        ("Overberg", "0873", "0873"),
        ("Zwolle", None, "0193"),
        ("Zwolle", "1859", "1859"),
        ("Zwolle", "1581", "0193"),
        ("Driebergen", None, "1581"),
    ],
)
def test_resolve_prefers_the_given_municipality_then_the_largest_place(gazetteer, text, prefer, municipality_code):
    assert gazetteer.resolve(text, prefer=prefer).municipality_code == municipality_code


@pytest.mark.parametrize(
    "text, first_suggestion",
    [
        ("1234", "1231 Loosdrecht"),
        ("1954", "1951 Velsen-Noord"),
        ("5217", "5216 's-Hertogenbosch"),
        ("5442", "5441 Oeffelt"),
        ("7146", "7142 Groenlo"),
        ("9990 ZZ", "9991 Middelstum"),
        ("9990", "9991 Middelstum"),
    ],
)
def test_resolve_rejects_unknown_postcodes_with_nearby_known_ones(gazetteer, text, first_suggestion):
    with pytest.raises(UnknownLocation) as raised:
        gazetteer.resolve(text)

    error = raised.value
    assert (error.reason, error.query, error.suggestions[0]) == ("unknown_postcode", text, first_suggestion)
    assert len(error.suggestions) == 5
    known = {row["postcode4"]: row["place"] for row in rows("pc4.csv")}
    assert all(known[s[:4]] == s[5:] for s in error.suggestions)


def test_resolve_suggests_postcodes_with_the_longest_common_prefix_first(gazetteer):
    with pytest.raises(UnknownLocation) as raised:
        gazetteer.resolve("5217 AB")

    assert raised.value.suggestions == (
        "5216 's-Hertogenbosch",
        "5215 's-Hertogenbosch",
        "5213 's-Hertogenbosch",
        "5212 's-Hertogenbosch",
        "5211 's-Hertogenbosch",
    )


@pytest.mark.parametrize("text", ["39", "123", "12345", "0123", "39 41 12"])
def test_resolve_treats_other_numbers_as_unknown_postcodes(gazetteer, text):
    with pytest.raises(UnknownLocation) as raised:
        gazetteer.resolve(text)

    assert raised.value.reason == "unknown_postcode"
    assert raised.value.suggestions


@pytest.mark.parametrize(
    "text, expected",
    [
        ("Dorn", "Doorn"),
        ("Leersun", "Leersum"),
        ("Driebergen-Rijsenberg", "Driebergen-Rijsenburg"),
        ("Amerogen", "Amerongen"),
        ("Maarsbergn", "Maarsbergen"),
        ("'s-Gravelandd", "'s-Graveland"),
        ("Utrechtse Heuvelrg", "gemeente Utrechtse Heuvelrug"),
        ("gemeente Utrechtse Heuvelrg", "gemeente Utrechtse Heuvelrug"),
    ],
)
def test_resolve_does_not_correct_a_typo_but_suggests_the_fix(gazetteer, text, expected):
    with pytest.raises(UnknownLocation) as raised:
        gazetteer.resolve(text)

    error = raised.value
    assert (error.reason, error.query, error.suggestions[0]) == ("unknown_place", text, expected)
    assert len(error.suggestions) <= 5


def test_resolve_prefers_suggestions_in_the_given_municipality(gazetteer):
    with pytest.raises(UnknownLocation) as raised:
        gazetteer.resolve("Overbergg", prefer="0873")

    assert raised.value.suggestions[0] == "Overberg"


@pytest.mark.parametrize("text", ["", " ", "\t\n ", None])
def test_resolve_rejects_empty_text(gazetteer, text):
    with pytest.raises(UnknownLocation) as raised:
        gazetteer.resolve(text)

    assert (raised.value.reason, raised.value.query, raised.value.suggestions) == ("empty", "", ())


@pytest.mark.parametrize("text", ["D" * 101, "Doorn" * 400, " 3941 AB " + " " * 100 + "x"])
def test_resolve_rejects_text_longer_than_100_characters(gazetteer, text):
    with pytest.raises(UnknownLocation) as raised:
        gazetteer.resolve(text)

    assert (raised.value.reason, raised.value.query) == ("too_long", text.strip()[:100])


@pytest.mark.parametrize("text", HOSTILE_INPUT)
def test_resolve_raises_nothing_but_unknown_location(gazetteer, text):
    try:
        place = gazetteer.resolve(text)
    except UnknownLocation as error:
        assert error.reason in {"empty", "unknown_postcode", "unknown_place", "too_long"}
        assert len(error.query) <= 100
        assert len(error.suggestions) <= 5
    else:
        assert isinstance(place, geo.Place)


def test_unknown_location_carries_data_and_survives_pickling():
    import pickle

    error = pickle.loads(pickle.dumps(UnknownLocation("unknown_place", "Dorn", ["Doorn"] * 7)))

    assert (error.reason, error.query, error.suggestions) == ("unknown_place", "Dorn", ("Doorn",) * 5)


@pytest.mark.parametrize(
    "text, expected",
    [
        ("Drie", "Driebergen-Rijsenburg"),
        ("drieb", "Driebergen-Rijsenburg"),
        ("Amer", "Amerongen"),
        ("den dol", "Den Dolder"),
        ("'s-Gravel", "'s-Graveland"),
        ("Gravela", "'s-Graveland"),
        ("'s-Grave", "'s-Gravenhage"),
        ("Den H", "Den Haag"),
        ("Utrechtse", "gemeente Utrechtse Heuvelrug"),
        ("gemeente utr", "gemeente Utrechtse Heuvelrug"),
    ],
)
def test_suggest_completes_names(gazetteer, text, expected):
    assert expected in gazetteer.suggest(text)


def test_suggest_completes_postcodes_labelled_with_their_place(gazetteer):
    suggestions = gazetteer.suggest("39", limit=100)

    assert "3941 Doorn" in suggestions
    assert all(re.fullmatch(r"39[0-9]{2} \S.*", label) for label in suggestions)


@pytest.mark.parametrize(
    "text, prefer, expected",
    [
        ("394", None, ["3941 Doorn", "3945 Cothen", "3947 Langbroek"]),
        ("39", "1581", ["3941 Doorn", "3951 Maarn", "3953 Maarsbergen", "3956 Leersum", "3958 Amerongen"]),
        ("3940", None, ["3941 Doorn", "3945 Cothen", "3947 Langbroek", "3931 Woudenberg", "3951 Maarn"]),
    ],
)
def test_suggest_orders_postcodes(gazetteer, text, prefer, expected):
    assert gazetteer.suggest(text, prefer=prefer) == expected


def test_suggest_falls_back_to_similar_names(gazetteer):
    assert "Leersum" in gazetteer.suggest("Leersun")


@pytest.mark.parametrize("limit", [0, 1, 3, 5, 10])
def test_suggest_returns_at_most_limit_distinct_labels(gazetteer, limit):
    suggestions = gazetteer.suggest("Zw", limit=limit)

    assert len(suggestions) == limit
    assert len({label.casefold() for label in suggestions}) == limit


@pytest.mark.parametrize("text", ["", "   ", None, "x" * 101, *HOSTILE_INPUT])
def test_suggest_never_fails(gazetteer, text):
    suggestions = gazetteer.suggest(text)

    assert isinstance(suggestions, list) and len(suggestions) <= 5


def test_gazetteer_reads_the_csvs_once_even_from_many_threads(monkeypatch):
    built = []
    real_index = gazetteer_module._Index

    def counting_index(data_dir):
        built.append(data_dir)
        return real_index(data_dir)

    monkeypatch.setattr(gazetteer_module, "_Index", counting_index)
    gazetteer = Gazetteer()
    results = []
    threads = [threading.Thread(target=lambda: results.append(gazetteer.resolve("Doorn"))) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert len(built) == 1
    assert len(results) == 8 and len(set(results)) == 1


def test_gazetteer_reads_nothing_until_first_use(monkeypatch):
    monkeypatch.setattr(gazetteer_module, "_Index", lambda data_dir: pytest.fail("read too early"))

    Gazetteer()


def test_gazetteer_keeps_codes_as_text_with_leading_zeros(gazetteer):
    assert gazetteer.resolve("Zeist").municipality_code == "0355"
    assert [row["postcode4"] for row in gazetteer.postcodes_of_municipality("0355")][:2] == ["3701", "3702"]


def test_lookups_after_loading_are_dictionary_fast(gazetteer):
    gazetteer.resolve("Doorn")
    texts = ["Doorn", "3941 AB", "Den Dolder", "gemeente Utrechtse Heuvelrug", "'s-Graveland"] * 40

    started = time.perf_counter()
    for text in texts:
        gazetteer.resolve(text)
    elapsed = time.perf_counter() - started

    # Measured about 0.03 ms per lookup; the bound only catches a lost index.
    assert elapsed / len(texts) < 0.005


def test_data_files_are_the_documented_build():
    sources = (DATA / "SOURCES.md").read_text(encoding="utf-8")
    documented = dict(re.findall(r"\* `(\w+\.csv)`: `([0-9a-f]{32})`", sources))

    assert set(documented) == {"pc4.csv", "places.csv", "municipalities.csv"}
    for name, md5 in documented.items():
        assert hashlib.md5((DATA / name).read_bytes()).hexdigest() == md5


def test_attribution_repeats_the_credit_line_of_the_sources():
    sources = (DATA / "SOURCES.md").read_text(encoding="utf-8")
    quoted = " ".join(line[2:] for line in sources.splitlines() if line.startswith("> "))
    english = re.search(r"English version: \*(.+?)\*", sources)[1]
    attribution = (DATA / "ATTRIBUTION.md").read_text(encoding="utf-8")

    assert geo.ATTRIBUTION_NL == quoted
    assert geo.ATTRIBUTION_EN == english
    assert geo.ATTRIBUTION_NL in attribution and geo.ATTRIBUTION_EN in attribution
    assert geo.ATTRIBUTION_URL in geo.ATTRIBUTION_NL and geo.LICENSE_URL in geo.ATTRIBUTION_NL


@pytest.mark.parametrize(
    "text, expected",
    [
        ("3941 AB", "3941 AB"),
        ("3941ab", "3941 AB"),
        (" 3941  Ab ", "3941 AB"),
        ("3941\u00a0ab", "3941 AB"),
        ("1011 ZZ", "1011 ZZ"),
        ("3941", None),
        ("3941 SA", None),
        ("0941 AB", None),
        ("39411 AB", None),
        ("3941 A", None),
        ("3941-AB", None),
        ("３９４１ AB", None),
        ("٣٩٤١ AB", None),
        ("3941 ÄB", None),
        ("", None),
        (None, None),
    ],
)
def test_normal_postcode_writes_a_full_postcode_or_refuses(text, expected):
    assert normal_postcode(text) == expected


@pytest.mark.parametrize(
    "text, expected",
    [
        ("3941", ("3941", None)),
        ("3941 AB", ("3941", "AB")),
        ("3941ab", ("3941", "AB")),
        (" 3941", None),
        ("3941 ", None),
        ("3941  AB", None),
        ("3941\u00a0AB", None),
        ("3941\tAB", None),
    ],
)
def test_parse_postcode_exact_takes_only_the_written_form(text, expected):
    assert parse_postcode(text, exact=True) == expected
