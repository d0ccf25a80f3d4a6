"""Dutch analysis: words, accents, stop words, stems, compounds, synonyms and typo distance."""

import pytest

from sociale_kaart.search import analysis


@pytest.fixture(scope="module")
def dutch():
    return analysis.default_analysis()


@pytest.mark.parametrize(
    "word, folded",
    [
        ("Café", "cafe"),
        ("financiële", "financiele"),
        ("geïnteresseerd", "geinteresseerd"),
        ("ĳsclub", "ijsclub"),
        ("OUDEREN", "ouderen"),
    ],
)
def test_fold_lowercases_and_removes_accents(word, folded):
    assert analysis.fold(word) == folded


@pytest.mark.parametrize(
    "text, expected",
    [
        ("Hulp bij schulden!", ["hulp", "bij", "schulden"]),
        ("<script>alert(1)</script>", ["script", "alert", "script"]),
        ("'; DROP TABLE x;--", ["drop", "table"]),
        ("koffie ☕ 😀 en thee", ["koffie", "en", "thee"]),
        ("a\x00b c\x00d", []),
        ("Cafe\u0301 café", ["cafe", "cafe"]),  # decomposed and composed accents fold alike
    ],
)
def test_words_are_plain_alphanumeric_runs(text, expected):
    assert [folded for _, folded in analysis.words(text)] == expected


@pytest.mark.parametrize(
    "first, second",
    [
        ("vrijwilligers", "vrijwilliger"),
        ("ouderen", "oudere"),
        ("schulden", "schuld"),
        ("eenzaamheid", "eenzaam"),
        ("maaltijden", "maaltijd"),
        ("boodschappen", "boodschap"),  # Snowball keeps the double p; we undo it
        ("klussen", "klus"),
        ("huizen", "huis"),
        ("brieven", "brief"),
    ],
)
def test_inflections_share_a_stem(dutch, first, second):
    assert dutch.stem(first) == dutch.stem(second)


@pytest.mark.parametrize(
    "compound, part",
    [
        ("mantelzorgondersteuning", "mantelzorg"),
        ("boodschappendienst", "boodschappen"),
        ("vrijwilligerswerk", "vrijwilliger"),
        ("schuldhulpverlening", "schuld"),
        ("schuldhulpverlening", "hulp"),
        ("dementievriendelijk", "dementie"),
        ("buurthuizen", "buurt"),
        ("rolstoeltoegankelijk", "rolstoel"),
        ("activiteitencentrum", "activiteit"),
    ],
)
def test_compounds_index_their_parts(dutch, compound, part):
    assert dutch.stem(part) in dutch.index_terms(compound)


@pytest.mark.parametrize("word", ["zorgen", "netwerk", "ondersteuning", "alzheimer", "huis"])
def test_words_without_a_full_split_are_not_split(dutch, word):
    assert dutch.segmentations(word) == ()


@pytest.mark.parametrize(
    "word, base",
    [
        ("mantelzorger", "mantelzorg"),
        ("mantelzorgers", "mantelzorg"),
        ("vrijwilligster", "vrijwilliger"),
        ("eenzaamheid", "eenzaam"),
    ],
)
def test_derivational_suffix_strips_to_a_lexicon_word(dutch, word, base):
    assert base in dutch.bases(word)


def test_stop_words_are_dropped_from_queries(dutch):
    words = dutch.query_words("iemand die op mijn moeder past")
    assert [w.folded for w in words] == ["moeder", "past"]


@pytest.mark.parametrize(
    "term, expansion",
    [
        ("oppas", ("respijtzorg",)),
        ("past", ("respijtzorg",)),
        ("schulden", ("schuldhulp",)),
        ("schulden", ("geld", "schuld")),
        ("geldzorgen", ("schuld",)),
        ("eenzaam", ("eenzam",)),
        ("rolstoel", ("rolstoeltoegank",)),
        ("dementerend", ("dementie",)),
        ("eten", ("maaltijd",)),
    ],
)
def test_synonyms_are_alternatives_of_the_word(dutch, term, expansion):
    (word,) = dutch.query_words(term)
    assert expansion in [alt.stems for alt in word.alternatives]


def test_synonyms_are_matched_on_the_stem(dutch):
    (word,) = dutch.query_words("schuld")
    assert ("schuldhulp",) in [alt.stems for alt in word.alternatives]


def test_the_word_itself_is_the_strongest_alternative(dutch):
    (word,) = dutch.query_words("mantelzorger")
    first = word.alternatives[0]
    assert first.kind == "word" and first.weight == max(alt.weight for alt in word.alternatives)


def test_query_reads_at_most_12_distinct_terms(dutch):
    text = " ".join(f"woord{chr(97 + i)}" for i in range(20)) + " woorda"
    assert len(dutch.query_words(text)) == analysis.MAX_TERMS


def test_query_reads_at_most_200_characters(dutch):
    text = "w" * 199 + " mantelzorg"
    assert [w.folded for w in dutch.query_words(text)] == ["w" * analysis.MAX_WORD]


@pytest.mark.parametrize(
    "a, b, limit, distance",
    [
        ("respijtsorg", "respijtzorg", 1, 1),
        ("mantelzorgg", "mantelzorg", 1, 1),
        ("dementei", "dementie", 1, 1),  # a swap is one edit
        ("vrijwiliger", "vrijwilliger", 2, 1),
        ("schuld", "schuld", 1, 0),
        ("taal", "taxi", 1, 2),  # above the limit: limit + 1
        ("mantelzorg", "ouderen", 2, 3),
    ],
)
def test_edit_distance(a, b, limit, distance):
    assert analysis.edit_distance(a, b, limit) == distance


@pytest.mark.parametrize(
    "word, limit",
    [
        ("hup", 0),
        ("taal", 1),
        ("respijt", 1),
        ("respijtsorg", 2),
        ("1234", 0),
    ],
)
def test_fuzzy_limit_grows_with_word_length(word, limit):
    assert analysis.fuzzy_limit(word) == limit


def test_data_files_are_documented_and_large_enough():
    lexicon_head = analysis.data_text("lexicon.txt").splitlines()[0]
    synonyms_head = analysis.data_text("synonyms.csv").splitlines()[:2]
    needless_head = analysis.data_text("needless.txt").splitlines()[0]
    assert lexicon_head.startswith("#") and synonyms_head[0].startswith("#") and needless_head.startswith("#")
    assert synonyms_head[1] == "term,expansion,weight"
    assert len(analysis.load_lexicon()) >= 200
    assert len(analysis.load_synonyms()) >= 200
    assert all(0 < float(row[2]) <= 1 for row in analysis.load_synonyms() if len(row) > 2 and row[2])
    assert {"hulp", "iemand", "nodig", "help", "someone"} <= set(analysis.load_needless())


def test_lexicon_words_are_folded_and_long_enough():
    words = analysis.load_lexicon()
    assert all(w == analysis.fold(w) and len(w) >= analysis.MIN_PART for w in words)


# -- issue #11: the resident's own words ------------------------------------------------------------


@pytest.mark.parametrize(
    "text, searched",
    [
        ("hulp bij boodschappen", ["boodschappen"]),
        ("iemand die met mijn moeder wandelt", ["moeder", "wandelt"]),
        ("ik zoek hulp voor mantelzorgers", ["mantelzorgers"]),
        ("I need help with shopping", ["shopping"]),
        ("bijbaantje zoeken, ik ben 15", ["bijbaantje"]),
        ("hulp", ["hulp"]),  # nothing else: the need-less word is the need
        ("hulp nodig", ["hulp", "nodig"]),
    ],
)
def test_words_that_carry_no_need_are_searched_only_when_nothing_else_is_left(dutch, text, searched):
    assert [w.folded for w in dutch.query_words(text)] == searched


@pytest.mark.parametrize("word, base", [("wandelt", "wandelen"), ("zorgt", "zorg"), ("kookt", "koken")])
def test_a_verb_in_the_present_tense_finds_its_stem(dutch, word, base):
    (query_word,) = dutch.query_words(word)
    assert (dutch.stem(base),) in [alt.stems for alt in query_word.alternatives]


@pytest.mark.parametrize("word", ["markt", "kunst", "gaat"])
def test_a_word_ending_in_t_is_not_cut_without_a_known_base(dutch, word):
    (query_word,) = dutch.query_words(word)
    assert [alt.kind for alt in query_word.alternatives if alt.kind == "base"] == []


@pytest.mark.parametrize(
    "english, dutch_stems",
    [
        ("shopping", ("boodschap",)),
        ("loneliness", ("eenzam",)),
        ("respite", ("respijtzorg",)),
        ("dementia", ("dementie",)),
        ("carer", ("mantelzorger",)),
        ("debt", ("schuld",)),
    ],
)
def test_english_words_search_the_dutch_vocabulary(dutch, english, dutch_stems):
    (word,) = dutch.query_words(english)
    weights = {alt.stems: alt.weight for alt in word.alternatives}
    assert weights[dutch_stems] == 1.0


def test_english_words_are_known_so_no_typo_is_suggested(dutch):
    assert dutch.is_known_word("respite") and dutch.is_known_word("care")


def test_a_synonym_row_can_weigh_less_than_the_word(dutch):
    (word,) = dutch.query_words("ziekenhuis")
    weights = {alt.stems: alt.weight for alt in word.alternatives}
    assert weights[("ziekenhuis",)] == 1.0 and weights[("vervoer",)] == 0.6


def test_a_diminutive_finds_its_word(dutch):
    (word,) = dutch.query_words("bijbaantje")
    assert (dutch.stem("bijbaan"),) in [alt.stems for alt in word.alternatives]
