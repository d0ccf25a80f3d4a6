"""The Whoosh search backend (RAM index unless a test needs the disk)."""

import ast
import logging
import math
import random
import threading
from collections import Counter
from pathlib import Path

import pytest

from sociale_kaart.search import (
    FACETS,
    SearchBackend,
    SearchError,
    SearchQuery,
    create_backend,
    default_backend,
    whoosh_backend,
)

DOORN = (52.033, 5.345)
MONDAY_10 = 0 * 96 + 40
SUNDAY_10 = 6 * 96 + 40


def haversine_km(a, b):
    lat1, lon1, lat2, lon2 = map(math.radians, (*a, *b))
    h = math.sin((lat2 - lat1) / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    return 2 * 6371.0088 * math.asin(math.sqrt(h))


def make_doc(doc_id, name, at=None, **fields):
    doc = {
        "id": doc_id,
        "service_id": int(doc_id),
        "name": name,
        "lat": at[0] if at else None,
        "lon": at[1] if at else None,
    }
    doc.update(fields)
    return doc


WEEKDAYS_9_TO_17 = [day * 96 + q for day in range(5) for q in range(36, 68)]

CORPUS = [
    make_doc(
        "1",
        "Mantelzorgondersteuning",
        DOORN,
        organization="Stichting Welzijn Heuvelrug",
        category_labels=["Mantelzorg"],
        category=["mantelzorg"],
        target_group=["mantelzorgers"],
        open_slots=WEEKDAYS_9_TO_17,
    ),
    make_doc(
        "2",
        "Boodschappendienst Doorn",
        (52.040, 5.350),
        description="Vrijwilligers halen uw boodschappen.",
        category=["vervoer"],
        target_group=["ouderen"],
    ),
    make_doc("3", "Vrijwilligerswerk in de buurt", (52.090, 5.450), category=["vrijwilligers"]),
    make_doc(
        "4",
        "Schuldhulpverlening",
        None,
        description="Hulp bij geldzorgen en rekeningen.",
        category=["geld"],
        cost=["gratis"],
    ),
    make_doc("5", "Alzheimer Café dementie", (52.000, 5.200), category=["dementie"]),
    make_doc("6", "Dementievriendelijk Leersum", (52.012, 5.431), category=["dementie"]),
    make_doc(
        "7",
        "Respijtzorg aan huis",
        (52.035, 5.347),
        keywords=["logeren"],
        category=["respijtzorg", "mantelzorg"],
        target_group=["mantelzorgers"],
        respite_type=["respijt_aan_huis"],
        open_slots=[SUNDAY_10],
    ),
    make_doc("8", "Maatjesproject tegen eenzaamheid", (52.050, 5.300), category=["eenzaamheid"]),
    make_doc(
        "9",
        "Koffieochtend",
        (52.030, 5.340),
        description="Gezellig koffie drinken, ook voor mantelzorgers.",
        category=["ontmoeting"],
        open_slots=WEEKDAYS_9_TO_17,
    ),
    make_doc(
        "10",
        "Buurthuis De Linde",
        (52.060, 5.380),
        description="Een rolstoeltoegankelijk gebouw met lift.",
        category=["ontmoeting"],
        accessibility=["rolstoeltoegankelijk", "lift"],
    ),
    make_doc(
        "11",
        "Maaltijdservice Maarn",
        (52.064, 5.370),
        description="Warme maaltijden aan huis.",
        category=["maaltijden"],
        mode=["aan_huis"],
    ),
    make_doc(
        "12",
        "Taalcafé",
        (52.010, 5.430),
        description="Nederlands oefenen met elkaar.",
        category=["taal"],
        language=["nl", "ar"],
    ),
]


@pytest.fixture
def make_backend():
    """Return a function that makes an empty backend (test_postgres_backend.py makes its own)."""
    return lambda: create_backend("memory")


@pytest.fixture
def backend(make_backend):
    backend = make_backend()
    backend.rebuild(CORPUS)
    return backend


def ids(result):
    return [hit.id for hit in result.hits]


def search(backend, text="", **kwargs):
    if kwargs.get("origin") is not None:
        kwargs.setdefault("distance", haversine_km)
    kwargs.setdefault("per_page", 100)
    return backend.search(SearchQuery(text=text, **kwargs))


# -- interface -------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["memory", "whoosh"])
def test_create_backend_returns_a_search_backend(kind, tmp_path):
    assert isinstance(create_backend(kind, path=str(tmp_path / "index")), SearchBackend)


@pytest.mark.parametrize("kind, path", [("elastic", None), ("whoosh", None)])
def test_create_backend_rejects_unknown_kinds_and_missing_paths(kind, path):
    with pytest.raises(ValueError):
        create_backend(kind, path=path)


def test_create_backend_postgres_needs_a_session():
    with pytest.raises(ValueError):
        create_backend("postgres")


@pytest.mark.parametrize(
    "url, kind",
    [
        ("postgresql+psycopg://db/x", "postgres"),
        ("postgresql://db/x", "postgres"),
        ("sqlite:///instance/x.db", "whoosh"),
        ("sqlite://", "whoosh"),
    ],
)
def test_the_database_chooses_the_backend(url, kind):
    assert default_backend(url) == kind


def test_search_package_imports_no_flask_and_no_other_project_package():
    folder = Path(whoosh_backend.__file__).parent
    imported = set()
    for source in folder.glob("*.py"):
        for node in ast.walk(ast.parse(source.read_text())):
            if isinstance(node, ast.Import):
                imported.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.level == 0:
                imported.add(node.module)
    assert not {name for name in imported if name.split(".")[0] in ("flask", "sociale_kaart")}


# -- 1-3: Dutch analysis, compounds, synonyms -------------------------------------------------


@pytest.mark.parametrize(
    "text, expected",
    [
        ("cafe", "5"),  # accents fold
        ("ALZHEIMER", "5"),  # case folds
        ("de het een koffie", "9"),  # stop words are dropped
        ("vrijwilliger", "2"),  # stemming: "Vrijwilligers" in a description
        ("maaltijd", "11"),
    ],
)
def test_dutch_analysis_finds_inflected_and_accented_words(backend, text, expected):
    assert expected in ids(search(backend, text))


@pytest.mark.parametrize(
    "text, expected",
    [
        ("mantelzorger", "1"),  # Mantelzorgondersteuning
        ("boodschappen", "2"),  # Boodschappendienst
        ("vrijwilliger", "3"),  # Vrijwilligerswerk
        ("schuld", "4"),  # Schuldhulpverlening
        ("dementie", "6"),  # Dementievriendelijk
        ("dementie", "5"),  # Alzheimer Café dementie
        ("eenzaam", "8"),  # eenzaamheid
        ("mantelzorg", "9"),  # mantelzorgers in a description
        ("hulpverlening", "4"),
    ],
)
def test_words_find_compounds_that_contain_them(backend, text, expected):
    assert expected in ids(search(backend, text))


@pytest.mark.parametrize(
    "text, expected",
    [
        ("oppas", "7"),
        ("geldzorgen", "4"),
        ("schulden", "4"),
        ("rolstoel", "10"),
        ("eten", "11"),
        ("dementerend", "5"),
    ],
)
def test_lay_words_find_services_through_synonyms(backend, text, expected):
    assert expected in ids(search(backend, text))


# -- 4: several words ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text, first, also",
    [
        ("mantelzorgers", {"1", "9"}, set()),
        ("koffie mantelzorgers", {"9"}, {"1"}),
        ("respijtzorg logeren", {"7"}, set()),
    ],
)
def test_services_with_more_of_the_words_come_first(backend, text, first, also):
    """A soft AND (#11): what has every word leads; what has half of them still counts, lower."""
    found = ids(search(backend, text))
    assert set(found[: len(first)]) == first
    assert also <= set(found[len(first) :])


@pytest.mark.parametrize("text", ["koffie mantelzorgers", "mantelzorgers koffie"])
def test_a_result_without_every_word_is_not_called_partial_when_one_has_them_all(backend, text):
    assert not search(backend, text).partial


def test_results_with_only_some_of_the_words_are_flagged_partial(backend):
    result = search(backend, "koffie logeren")
    assert result.total and result.partial


def test_three_words_need_two_of_them_while_some_service_has_two(backend):
    two = set(ids(search(backend, "koffie mantelzorgers")))
    assert set(ids(search(backend, "koffie mantelzorgers dinosaurus"))) <= two


def test_when_no_service_has_half_the_words_fewer_will_do_and_the_result_says_so(backend):
    result = search(backend, "koffie dinosaurus olifant")
    assert set(ids(result)) == set(ids(search(backend, "koffie"))) and result.partial
    assert ids(search(backend, "dinosaurus olifant giraf")) == []


def test_a_radius_keeps_the_tier_of_the_best_match_anywhere(make_backend):
    """The text and the filters decide how many words a result needs; a radius only removes far ones (#11)."""
    backend = make_backend()
    backend.rebuild(
        [
            make_doc("1", "Koffie en taal", (52.2, 5.6), category=["taal"]),  # far: two of the three words
            make_doc("2", "Koffie", DOORN, category=["eten"]),
            make_doc("3", "Taal", DOORN),
        ]
    )
    assert ids(search(backend, "koffie taal fietsen")) == ["1"]
    assert ids(search(backend, "koffie taal fietsen", origin=DOORN, radius_km=5)) == []
    near_and_eten = search(backend, "koffie taal fietsen", origin=DOORN, radius_km=5, filters={"category": ["eten"]})
    assert ids(near_and_eten) == ["2"]
    assert set(ids(search(backend, "koffie taal", origin=DOORN, radius_km=5))) == {"2", "3"}


def test_several_words_fall_back_to_any_word_when_all_find_nothing(backend):
    result = search(backend, "iemand die op mijn moeder past")
    assert ids(result) == ["7"] and not result.fuzzy


def test_terms_lists_the_expanded_stems_searched(backend):
    result = search(backend, "oppas")
    assert {"oppas", "respijtzorg"} <= set(result.terms)


def test_only_the_first_12_terms_are_searched(backend):
    text = " ".join(f"onzin{chr(97 + i)}" for i in range(12)) + " koffie"
    assert search(backend, text).total == 0


# -- 5: typos -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text, suggestion, expected",
    [
        ("respijtsorg", "respijtzorg", "7"),
        ("mantelzorgg", "mantelzorg", "1"),
        ("bootschappen", "boodschappen", "2"),
        ("koffieochtendd", "koffieochtend", "9"),
    ],
)
def test_typos_find_results_and_suggest_a_real_word(backend, text, suggestion, expected):
    result = search(backend, text)
    assert result.fuzzy and result.suggestion == suggestion and expected in ids(result)


def test_misspelled_word_gets_a_suggestion_even_with_results(backend):
    result = search(backend, "mantelzorg respijtsorg")
    assert result.total and not result.fuzzy
    assert result.suggestion == "mantelzorg respijtzorg"


def test_a_suggestion_is_spelled_as_most_services_spell_it(make_backend):
    backend = make_backend()
    backend.rebuild([make_doc("1", "Coördinatie"), make_doc("2", "Coördinatie de Linde"), make_doc("3", "Coordinatie")])
    result = search(backend, "coordinatei")
    assert result.suggestion == "coördinatie" and result.fuzzy and set(ids(result)) == {"1", "2", "3"}


@pytest.mark.parametrize("text", ["mantelzorg", "oppas", "", "   ", "qqqqqqqq"])
def test_known_words_empty_text_and_nonsense_get_no_suggestion(backend, text):
    result = search(backend, text)
    assert result.suggestion is None and not result.fuzzy


# -- 6: field weights ---------------------------------------------------------------------------


def test_a_word_in_the_name_ranks_above_the_same_word_in_the_description(make_backend):
    backend = make_backend()
    backend.rebuild(
        [
            make_doc("1", "Wandelclub", description="Samen wandelen na een verlies, praten over rouw."),
            make_doc("2", "Rouw en verlies", description="Een groep voor lotgenoten."),
            make_doc("3", "Lotgenoten", organization="Rouwcentrum de Linde"),
        ]
    )
    assert ids(search(backend, "rouw"))[0] == "2"


@pytest.mark.parametrize("field", ["organization", "category_labels", "keywords"])
def test_medium_fields_rank_above_the_description(field, make_backend):
    backend = make_backend()
    backend.rebuild(
        [
            make_doc("1", "Inloop", description="Een ochtend met taal en koffie."),
            make_doc("2", "Inloop", **{field: "taal" if field == "organization" else ["taal"]}),
        ]
    )
    assert ids(search(backend, "taal")) == ["2", "1"]


# -- 7-8: filters and facets --------------------------------------------------------------------


def test_filters_within_one_facet_must_all_match(backend):
    result = search(backend, filters={"category": ["mantelzorg", "respijtzorg"]})
    assert ids(result) == ["7"]


@pytest.mark.parametrize(
    "filters, expected",
    [
        ({"category": ["dementie"]}, {"5", "6"}),
        ({"category": ["dementie"], "target_group": ["ouderen"]}, set()),
        ({"accessibility": ["lift"]}, {"10"}),
        ({"language": ["ar"]}, {"12"}),
        ({"category": ["bestaat-niet"]}, set()),
        ({"category": []}, {d["id"] for d in CORPUS}),
    ],
)
def test_filters_match_exact_codes(backend, filters, expected):
    assert set(ids(search(backend, filters=filters))) == expected


def test_unknown_facet_is_a_programming_error(backend):
    with pytest.raises(ValueError):
        search(backend, filters={"colour": ["red"]})


def random_corpus(n=90, seed=7):
    rng = random.Random(seed)
    words = ["hulp", "koffie", "taal", "mantelzorg", "vervoer", "buurt", "advies", "sport"]
    codes = {facet: [f"{facet[:3]}{i}" for i in range(4)] for facet in FACETS}
    corpus = []
    for i in range(n):
        doc = make_doc(
            str(i + 1),
            " ".join(rng.sample(words, 2)),
            None if i % 9 == 0 else (DOORN[0] + rng.uniform(-0.05, 0.05), DOORN[1] + rng.uniform(-0.08, 0.08)),
            description=" ".join(rng.choices(words, k=6)),
            open_slots=rng.sample(range(7 * 96), 50),
        )
        for facet in FACETS:
            doc[facet] = rng.sample(codes[facet], rng.randint(0, 2))
        corpus.append(doc)
    return corpus


@pytest.mark.parametrize(
    "query",
    [
        {},
        {"text": "koffie"},
        {"text": "koffie taal"},
        {"text": "", "origin": DOORN, "radius_km": 3},
        {"text": "hulp", "origin": DOORN, "radius_km": 4, "filters": {"cost": ["cos1"]}},
        {"text": "", "open_slot": 100},
    ],
)
def test_facet_counts_equal_the_totals_of_adding_that_filter(query, make_backend):
    corpus = random_corpus()
    by_id = {doc["id"]: doc for doc in corpus}
    backend = make_backend()
    backend.rebuild(corpus)
    result = search(backend, per_page=1000, **query)
    assert result.total == len(result.hits) > 0
    expected = {facet: dict(Counter(code for hit in result.hits for code in by_id[hit.id][facet])) for facet in FACETS}
    assert result.facets == expected
    for facet, counts in result.facets.items():
        for code, count in counts.items():
            filters = {k: list(v) for k, v in query.get("filters", {}).items()}
            filters.setdefault(facet, []).append(code)
            narrowed = search(backend, **{**query, "filters": filters})
            assert narrowed.total == count, (facet, code)


# -- 9-10: radius, distance, order ---------------------------------------------------------------


def test_radius_keeps_documents_within_exact_distance(backend):
    result = search(backend, origin=DOORN, radius_km=1)
    assert ids(result) == ["1", "7", "9", "2"]
    assert all(hit.distance_km <= 1 for hit in result.hits)
    assert [round(hit.distance_km, 3) for hit in result.hits] == sorted(
        round(haversine_km(DOORN, (d["lat"], d["lon"])), 3) for d in CORPUS if d["id"] in ids(result)
    )


def test_documents_without_coordinates_never_match_a_radius(backend):
    assert "4" not in ids(search(backend, "schuld", origin=DOORN, radius_km=500))


def test_distance_sort_puts_documents_without_coordinates_last(backend):
    result = search(backend, "hulp", origin=DOORN, sort="distance")
    assert result.hits[-1].id == "4" and result.hits[-1].distance_km is None


def test_distance_sort_is_nearest_first_with_ties_by_score(make_backend):
    place = (52.1, 5.3)
    backend = make_backend()
    backend.rebuild(
        [
            make_doc("1", "Koffie", (52.2, 5.3), description="Koffie, koffie."),
            make_doc("2", "Wandelen", place, description="Daarna koffie."),
            make_doc("3", "Koffie en koffie", place),
        ]
    )
    result = search(backend, "koffie", origin=(52.1, 5.3), sort="distance")
    assert ids(result) == ["3", "2", "1"]
    assert result.hits[0].score > result.hits[1].score


def test_best_match_with_a_place_weighs_distance_and_breaks_ties_by_name(make_backend):
    """A closer fit beats a slightly better match 44 km away (#11); equal ones go by name."""
    backend = make_backend()
    backend.rebuild(
        [
            make_doc("1", "Inloop Bb", (52.20, 5.3)),
            make_doc("2", "Inloop Cc", (52.11, 5.3)),
            make_doc("3", "Inloop Aa", (52.11, 5.3)),
            make_doc("4", "Inloop inloop", (52.50, 5.3)),
        ]
    )
    result = search(backend, "inloop", origin=(52.1, 5.3))
    assert ids(result) == ["3", "2", "1", "4"]
    assert ids(search(backend, "inloop")) == ["4", "3", "1", "2"]


def test_distance_is_filled_on_every_hit_with_an_origin(backend):
    result = search(backend, "zorg", origin=DOORN)
    assert result.hits and all(hit.distance_km is not None or hit.id == "4" for hit in result.hits)


def test_empty_text_with_an_origin_lists_everything_nearby_by_distance(backend):
    result = search(backend, origin=DOORN, radius_km=5, sort="relevance")
    distances = [hit.distance_km for hit in result.hits]
    assert distances == sorted(distances) and result.total == len(result.hits) > 3


def test_empty_text_without_an_origin_lists_everything_by_name(backend):
    result = search(backend)
    names = {d["id"]: d["name"].lower() for d in CORPUS}
    assert result.total == len(CORPUS)
    assert [names[i] for i in ids(result)] == sorted(names.values(), key=lambda n: n.replace("é", "e"))


def test_an_origin_needs_a_distance_function(backend):
    with pytest.raises(ValueError):
        backend.search(SearchQuery(origin=DOORN))


def test_errors_of_the_distance_function_reach_the_caller(backend):
    def broken(a, b):
        raise ZeroDivisionError("broken")

    with pytest.raises(ZeroDivisionError):
        search(backend, origin=DOORN, distance=broken)


# -- 11-12: open now, paging, excluded ids --------------------------------------------------------


def test_open_slot_keeps_only_services_open_then(backend):
    assert set(ids(search(backend, open_slot=MONDAY_10))) == {"1", "9"}
    assert ids(search(backend, open_slot=SUNDAY_10)) == ["7"]


@pytest.mark.parametrize("open_slot, expected", [(None, 2), (MONDAY_10, None)])
def test_count_open_slot_counts_without_filtering(backend, open_slot, expected):
    result = backend.search(SearchQuery(open_slot=open_slot), count_open_slot=MONDAY_10)
    assert result.open_count == expected


def test_open_count_is_none_without_count_open_slot(backend):
    assert search(backend).open_count is None


@pytest.mark.parametrize(
    "page, expected_page, hits",
    [
        (1, 1, 5),
        (3, 3, 2),
        (4, 4, 0),
        (99, 99, 0),
        (0, 1, 5),
        (-3, 1, 5),
    ],
)
def test_paging(backend, page, expected_page, hits):
    result = backend.search(SearchQuery(page=page, per_page=5))
    assert (result.page, len(result.hits), result.total, result.pages) == (expected_page, hits, 12, 3)


def test_pages_do_not_overlap(backend):
    seen = [hit.id for page in (1, 2, 3) for hit in backend.search(SearchQuery(page=page, per_page=5)).hits]
    assert sorted(seen, key=int) == [d["id"] for d in CORPUS]


def test_excluded_ids_are_left_out(backend):
    result = search(backend, "dementie", exclude_ids=frozenset({"5"}))
    assert ids(result) == ["6"] and result.total == 1


# -- never raises --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "a" * 2000,
        "mantelzorg " * 300,
        "<script>alert('x')</script>",
        "'; DROP TABLE x;--",
        'AND OR NOT ( ) " * ? ~ ^ : [ ] { }',
        'respijtzorg AND (oppas OR "logeren',
        "mantel* zorg~2 name:koffie [a TO z] {x} ^3",
        "\x00koffie\x00",
        "😀🙈 koffie 👍",
        "\ud800",  # a lone surrogate
        "ǅ ß ﬁ ㎏ Ⅷ ١٢٣",
        "\n\t\r",
    ],
)
def test_search_never_raises_for_any_text(backend, text):
    result = search(backend, text, origin=DOORN, radius_km=10, filters={"category": ["taal"]})
    assert result.total >= 0


def test_query_syntax_is_plain_words(backend):
    assert ids(search(backend, "koffie*")) == ids(search(backend, "koffie"))
    assert ids(search(backend, "name:koffie")) == ids(search(backend, "name koffie")) == ["9"]


# -- writing -------------------------------------------------------------------------------------


def test_index_adds_and_replaces_documents_by_id(backend):
    backend.index([make_doc("1", "Fietsenmaker", DOORN), make_doc("13", "Repair Café", DOORN)])
    assert backend.count() == 13
    assert ids(search(backend, "fietsenmaker")) == ["1"]
    assert "1" not in ids(search(backend, "mantelzorgondersteuning"))


def test_delete_removes_documents_and_their_facet_counts(backend):
    backend.delete(["5", "6", "does-not-exist"])
    result = search(backend, "dementie")
    assert result.total == 0 and backend.count() == 10
    assert "dementie" not in search(backend).facets["category"]


def test_rebuild_replaces_everything_and_returns_the_count(backend):
    assert backend.rebuild(CORPUS[:3] + [make_doc("3", "Dubbel")]) == 3
    assert backend.count() == 3 and ids(search(backend, "dubbel")) == ["3"]


def test_document_without_id_is_refused(backend):
    with pytest.raises(ValueError):
        backend.index([{"name": "Zonder id"}])


def test_missing_keys_are_treated_as_empty(make_backend):
    backend = make_backend()
    backend.rebuild([{"id": "1"}, {"id": "2", "name": None, "category": None, "lat": "x"}])
    result = search(backend, origin=DOORN)
    assert result.total == 2 and all(hit.distance_km is None for hit in result.hits)


def test_updates_in_several_commits_keep_totals_and_facets_exact(make_backend):
    corpus = random_corpus(60)
    by_id = {doc["id"]: doc for doc in corpus}
    backend = make_backend()
    backend.rebuild(corpus)
    rng = random.Random(3)
    for round_ in range(6):  # each commit adds a segment and deletes older copies
        changed = [dict(by_id[str(rng.randint(1, 60))], name=f"gewijzigd {round_}") for _ in range(4)]
        by_id.update({doc["id"]: doc for doc in changed})
        backend.index(changed)
        search(backend, "koffie")
    backend.delete(["1", "2"])
    del by_id["1"], by_id["2"]
    result = search(backend, per_page=1000)
    assert sorted(ids(result), key=int) == sorted(by_id, key=int)
    assert result.facets == {facet: dict(Counter(c for d in by_id.values() for c in d[facet])) for facet in FACETS}
    assert {hit.id for hit in search(backend, "gewijzigd", per_page=1000).hits} == {
        i for i, d in by_id.items() if d["name"].startswith("gewijzigd")
    }


def test_memory_index_can_be_larger_than_the_writer_pool():
    backend = whoosh_backend.WhooshBackend(limitmb=1)
    words = " ".join(f"woord{j}" for j in range(60))
    docs = [make_doc(str(i), f"Dienst {i}", description=f"{words} uniek{i}") for i in range(500)]
    assert backend.rebuild(docs) == 500 and ids(search(backend, "uniek7")) == ["7"]


def test_index_on_a_missing_index_builds_it_from_doc_source_first():
    source = Source(CORPUS)
    backend = create_backend("memory", doc_source=source)
    backend.index([make_doc("13", "Repair Café", DOORN)])
    assert source.calls == 1 and backend.count() == 13


def test_updates_are_visible_to_searchers_in_other_threads(backend):
    search(backend, "koffie")
    backend.index([make_doc("20", "Repair Café", DOORN)])
    found = []
    thread = threading.Thread(target=lambda: found.extend(ids(search(backend, "repair"))))
    thread.start()
    thread.join()
    assert found == ["20"] and ids(search(backend, "repair")) == ["20"]


def test_concurrent_searches_and_writes_do_not_fail(backend):
    errors = []

    def reader():
        try:
            for i in range(25):
                search(backend, ["koffie", "mantelzorg", "", "respijtsorg"][i % 4], origin=DOORN, radius_km=5)
        except Exception as error:  # noqa: BLE001 - collected and asserted below
            errors.append(error)

    threads = [threading.Thread(target=reader) for _ in range(4)]
    for thread in threads:
        thread.start()
    for i in range(5):
        backend.index([make_doc(str(100 + i), f"Nieuw {i}", DOORN)])
    for thread in threads:
        thread.join()
    assert errors == [] and backend.count() == 17


def test_a_second_writer_waits_for_the_lock_then_fails_cleanly(tmp_path, monkeypatch):
    monkeypatch.setattr(whoosh_backend, "WRITE_TIMEOUT", 0.2)
    backend = create_backend("whoosh", path=str(tmp_path / "index"))
    backend.rebuild(CORPUS)
    holder = backend._open_index().writer()  # as another process would hold the file lock
    try:
        with pytest.raises(SearchError):
            backend.index([make_doc("30", "Wacht", DOORN)])
    finally:
        holder.cancel()
    backend.index([make_doc("30", "Wacht", DOORN)])
    assert ids(search(backend, "wacht")) == ["30"]


# -- missing or corrupt index ---------------------------------------------------------------------


class Source:
    """A doc_source that counts how often it was read."""

    def __init__(self, docs):
        self.docs, self.calls = docs, 0

    def __call__(self):
        self.calls += 1
        return iter(self.docs)


def test_missing_index_is_built_from_doc_source():
    source = Source(CORPUS)
    backend = create_backend("memory", doc_source=source)
    assert ids(search(backend, "oppas")) == ["7"] and source.calls == 1
    search(backend, "koffie")
    assert source.calls == 1


def test_missing_index_without_doc_source_is_empty(tmp_path):
    backend = create_backend("whoosh", path=str(tmp_path / "index"))
    assert search(backend, "koffie").total == 0 and backend.count() == 0


def corrupt(folder: Path, how: str):
    files = sorted(folder.iterdir())
    if how == "garbage toc":
        for f in files:
            if f.suffix == ".toc":
                f.write_bytes(b"this is not a table of contents")
    elif how == "truncated segment":
        for f in files:
            if f.suffix == ".seg":
                f.write_bytes(f.read_bytes()[: f.stat().st_size // 3])
    elif how == "deleted segment":
        for f in files:
            if f.suffix != ".toc":
                f.unlink()
    elif how == "deleted index":
        for f in files:
            f.unlink()
        folder.rmdir()
    elif how == "older version":
        (folder / whoosh_backend.FORMAT_FILE).write_text("0-written-by-an-older-release")


@pytest.mark.parametrize(
    "how", ["garbage toc", "truncated segment", "deleted segment", "deleted index", "older version"]
)
def test_corrupt_or_missing_index_on_disk_is_rebuilt_from_doc_source(tmp_path, caplog, how):
    folder = tmp_path / "index"
    create_backend("whoosh", path=str(folder)).rebuild(CORPUS)
    corrupt(folder, how)
    source = Source(CORPUS)
    backend = create_backend("whoosh", path=str(folder), doc_source=source)
    assert not backend.check()
    with caplog.at_level(logging.WARNING, logger=whoosh_backend.__name__):
        result = search(backend, "mantelzorg")
    assert set(ids(result)) == {"1", "9"}
    assert source.calls == 1 and backend.check() and backend.count() == len(CORPUS)
    assert "rebuilding" in caplog.text


def test_corrupt_index_without_doc_source_raises_search_error(tmp_path):
    folder = tmp_path / "index"
    create_backend("whoosh", path=str(folder)).rebuild(CORPUS)
    corrupt(folder, "garbage toc")
    with pytest.raises(SearchError):
        search(create_backend("whoosh", path=str(folder)), "koffie")


def test_rebuild_on_disk_swaps_in_a_complete_index(tmp_path):
    folder = tmp_path / "index"
    backend = create_backend("whoosh", path=str(folder))
    backend.rebuild(CORPUS[:4])
    totals, stop = [], threading.Event()

    def reader():
        while not stop.is_set():
            totals.append(search(backend).total)

    thread = threading.Thread(target=reader)
    thread.start()
    try:
        for size in (len(CORPUS), 4, len(CORPUS)):
            backend.rebuild(CORPUS[:size])
    finally:
        stop.set()
        thread.join()
    assert set(totals) <= {4, len(CORPUS)} and search(backend).total == len(CORPUS)
    assert [p.name for p in tmp_path.iterdir()] == ["index"]


def test_rebuild_refuses_to_replace_a_folder_that_is_not_an_index(tmp_path):
    (tmp_path / "notes.txt").write_text("keep me")
    with pytest.raises(SearchError):
        create_backend("whoosh", path=str(tmp_path)).rebuild(CORPUS)
    assert (tmp_path / "notes.txt").read_text() == "keep me"


def test_check_reports_a_readable_index(tmp_path):
    backend = create_backend("whoosh", path=str(tmp_path / "index"))
    assert not backend.check()
    backend.rebuild(CORPUS)
    assert backend.check()


def test_warm_loads_lengths_words_and_grid_so_a_first_search_reads_only_its_terms(monkeypatch):
    """Warm start (#17): a new worker's first search read every field length and grid cell; now only its own terms."""
    cold, backend = create_backend("memory"), create_backend("memory")
    cold.rebuild(CORPUS)
    expected = ids(search(cold, "koffie taal", origin=DOORN, radius_km=5))
    backend.rebuild(CORPUS)
    backend.warm()
    read = []
    real = whoosh_backend._read_postings
    monkeypatch.setattr(
        whoosh_backend, "_read_postings", lambda reader, field, text: read.append(field) or real(reader, field, text)
    )
    lengths = []
    monkeypatch.setattr(
        whoosh_backend._Segment, "lengths", lambda self, field, reader: lengths.append(field) or self._lengths[field]
    )

    result = search(backend, "koffie taal", origin=DOORN, radius_km=5)
    assert expected and ids(result) == expected  # the same answer as without warming
    assert read and not {"lat_grid", "lon_grid"} & set(read)  # the words' postings, no grid cell
    assert lengths  # scored from the lengths warm() loaded (the stand-in fails on any not loaded)


def test_the_distances_from_a_place_are_worked_out_once_per_distance_function(backend):
    calls = []

    def counted(a, b):
        calls.append(b)
        return haversine_km(a, b)

    def other(a, b):
        calls.append(b)
        return haversine_km(a, b) * 2

    first = search(backend, origin=DOORN, radius_km=5, distance=counted)
    worked_out = len(calls)
    assert worked_out > 0
    again = search(backend, "hulp", origin=DOORN, radius_km=5, distance=counted)
    assert len(calls) == worked_out  # the same place: kept by the index's snapshot
    assert {hit.id: hit.distance_km for hit in again.hits} == {
        hit.id: hit.distance_km for hit in first.hits if hit.id in ids(again)
    }
    doubled = search(backend, origin=DOORN, radius_km=5, distance=other)
    assert len(calls) > worked_out  # another function: its own distances
    assert {hit.id: hit.distance_km / 2 for hit in doubled.hits} == {
        hit.id: hit.distance_km for hit in first.hits if hit.id in ids(doubled)
    }
