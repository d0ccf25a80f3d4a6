"""The PostgreSQL search backend: the Whoosh backend's behaviour tests, and what only it does (issue #16).

Runs in the suite's PostgreSQL run (SOCIALE_KAART_TEST_DATABASE_URL); skipped otherwise.
"""

import logging

import psycopg
import pytest
from flask_migrate import downgrade, upgrade
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.orm import Session

from sociale_kaart import search, transactions
from sociale_kaart.directory import services
from sociale_kaart.extensions import db
from sociale_kaart.search import SearchError, SearchQuery, analysis, postgres_backend
from sociale_kaart.search.postgres_backend import PostgresBackend
from tests.builders import make_service
from tests.conftest import TEST_DATABASE_URL, database_url, make_app

# The behaviour both backends share: run here against PostgreSQL with the fixtures below.
from .test_whoosh_backend import (  # noqa: F401
    CORPUS,
    DOORN,
    Source,
    backend,
    ids,
    make_doc,
    test_a_radius_keeps_the_tier_of_the_best_match_anywhere,
    test_a_result_without_every_word_is_not_called_partial_when_one_has_them_all,
    test_a_suggestion_is_spelled_as_most_services_spell_it,
    test_a_word_in_the_name_ranks_above_the_same_word_in_the_description,
    test_an_origin_needs_a_distance_function,
    test_best_match_with_a_place_weighs_distance_and_breaks_ties_by_name,
    test_count_open_slot_counts_without_filtering,
    test_delete_removes_documents_and_their_facet_counts,
    test_distance_is_filled_on_every_hit_with_an_origin,
    test_distance_sort_is_nearest_first_with_ties_by_score,
    test_distance_sort_puts_documents_without_coordinates_last,
    test_document_without_id_is_refused,
    test_documents_without_coordinates_never_match_a_radius,
    test_dutch_analysis_finds_inflected_and_accented_words,
    test_empty_text_with_an_origin_lists_everything_nearby_by_distance,
    test_empty_text_without_an_origin_lists_everything_by_name,
    test_errors_of_the_distance_function_reach_the_caller,
    test_excluded_ids_are_left_out,
    test_facet_counts_equal_the_totals_of_adding_that_filter,
    test_filters_match_exact_codes,
    test_filters_within_one_facet_must_all_match,
    test_index_adds_and_replaces_documents_by_id,
    test_known_words_empty_text_and_nonsense_get_no_suggestion,
    test_lay_words_find_services_through_synonyms,
    test_medium_fields_rank_above_the_description,
    test_missing_keys_are_treated_as_empty,
    test_misspelled_word_gets_a_suggestion_even_with_results,
    test_only_the_first_12_terms_are_searched,
    test_open_count_is_none_without_count_open_slot,
    test_open_slot_keeps_only_services_open_then,
    test_pages_do_not_overlap,
    test_paging,
    test_query_syntax_is_plain_words,
    test_radius_keeps_documents_within_exact_distance,
    test_rebuild_replaces_everything_and_returns_the_count,
    test_results_with_only_some_of_the_words_are_flagged_partial,
    test_search_never_raises_for_any_text,
    test_services_with_more_of_the_words_come_first,
    test_several_words_fall_back_to_any_word_when_all_find_nothing,
    test_terms_lists_the_expanded_stems_searched,
    test_three_words_need_two_of_them_while_some_service_has_two,
    test_typos_find_results_and_suggest_a_real_word,
    test_unknown_facet_is_a_programming_error,
    test_updates_in_several_commits_keep_totals_and_facets_exact,
    test_when_no_service_has_half_the_words_fewer_will_do_and_the_result_says_so,
    test_words_find_compounds_that_contain_them,
)
from .test_whoosh_backend import (
    search as run_search,
)

pytestmark = pytest.mark.skipif(not TEST_DATABASE_URL, reason="needs PostgreSQL: set SOCIALE_KAART_TEST_DATABASE_URL")


@pytest.fixture(scope="module")
def engine(tmp_path_factory):
    """An engine on a schema of this module's own, with the search tables."""
    engine = create_engine(database_url(tmp_path_factory.mktemp("pg"), "search_backend"))
    with engine.begin() as connection:
        postgres_backend.create_tables(connection)
    yield engine
    engine.dispose()


@pytest.fixture(params=["rare stems", "common stems"])
def common(request):
    """The documents a stem needs for a bitset: the default (none has it here) or one (all have it)."""
    return None if request.param == "rare stems" else 1


@pytest.fixture
def session(engine, common):
    with engine.begin() as connection:
        connection.execute(text(f"TRUNCATE {', '.join(search.TABLES)}"))
        if common is not None:
            connection.execute(text("INSERT INTO search_state (key, value) VALUES ('common', :n)"), {"n": str(common)})
    session = Session(engine)
    yield session
    session.rollback()
    session.close()


class CommittingBackend(PostgresBackend):
    """The backend as transactions.commit() uses it: each write is followed by a commit."""

    def index(self, docs):
        super().index(docs)
        self._session.commit()

    def delete(self, ids):
        super().delete(ids)
        self._session.commit()


@pytest.fixture
def make_backend(session):
    return lambda: CommittingBackend(session)


def vocabulary(engine):
    with engine.connect() as connection:
        return dict(connection.execute(text("SELECT word, documents FROM search_words WHERE documents > 0")).all())


def stem_counts(engine):
    with engine.connect() as connection:
        return dict(connection.execute(text("SELECT stem, documents FROM search_terms WHERE documents > 0")).all())


# -- the index is part of the database transaction ----------------------------------------------


def test_the_tables_are_the_search_packages_own(engine):
    assert set(postgres_backend.metadata.tables) == set(search.TABLES)


def test_written_documents_are_found_once_the_transaction_commits(session):
    store = PostgresBackend(session)
    store.rebuild(CORPUS)
    store.index([make_doc("20", "Repair Café", DOORN)])
    store.delete(["9"])
    assert ids(run_search(store, "repair")) == [] and "9" in ids(run_search(store, "koffie"))
    session.commit()
    assert ids(run_search(store, "repair")) == ["20"] and ids(run_search(store, "koffie")) == []


def test_written_documents_are_gone_when_the_transaction_rolls_back(session):
    store = PostgresBackend(session)
    store.rebuild(CORPUS)
    store.index([make_doc("20", "Repair Café", DOORN)])
    session.rollback()
    assert ids(run_search(store, "repair")) == [] and store.count() == len(CORPUS)


TAAL = analysis.default_analysis().stem("taal")
KOFFIE = analysis.default_analysis().stem("koffie")


def test_the_vocabulary_and_stem_counts_follow_every_write(session, engine):
    store = CommittingBackend(session)
    store.rebuild([make_doc("1", "Koffieochtend"), make_doc("2", "Koffie en taal")])
    assert {word: n for word, n in vocabulary(engine).items() if word.startswith("koffie")} == {
        "koffieochtend": 1,
        "koffie": 2,
    }
    assert stem_counts(engine)["koffie"] == 2 and stem_counts(engine)[TAAL] == 1
    store.index([make_doc("1", "Taalcafé")])
    assert vocabulary(engine)["koffie"] == 1 and "koffieochtend" not in vocabulary(engine)
    assert vocabulary(engine)["taal"] == 2 and stem_counts(engine)[TAAL] == 2
    store.delete(["2"])
    assert "koffie" not in vocabulary(engine) and vocabulary(engine)["taal"] == 1
    assert "koffie" not in stem_counts(engine) and stem_counts(engine)[TAAL] == 1


def test_the_document_count_follows_every_write(session, engine):
    """The idf's N is kept by the trigger (the empty stem), not counted by each search (issue #16)."""
    store = CommittingBackend(session)
    store.rebuild(CORPUS[:3])
    assert stem_counts(engine)[""] == 3
    store.index([make_doc("20", "Repair Café"), make_doc("1", "Fietsenmaker")])  # one new, one replaced
    assert stem_counts(engine)[""] == 4
    store.delete(["2", "3", "99"])
    assert stem_counts(engine)[""] == 2 == store.count()


def test_facet_codes_keep_their_lanes_and_new_ones_get_the_next(session, engine):
    store = CommittingBackend(session)
    store.rebuild([make_doc("1", "Koffie", category=["eten"], target_group=["ouderen"], area=["doorn"])])
    with engine.connect() as connection:
        first = dict(connection.execute(text("SELECT code, lane FROM search_codes")).all())
    assert sorted(first) == ["area:doorn", "category:eten", "target_group:ouderen"]
    store.rebuild([make_doc("2", "Koffie", category=["taal"], area=["leersum"])])
    with engine.connect() as connection:
        lanes = dict(connection.execute(text("SELECT code, lane FROM search_codes")).all())
    assert lanes == {**first, "area:leersum": lanes["area:leersum"], "category:taal": lanes["category:taal"]}
    assert sorted(lanes.values())[-2:] == [max(first.values()) + 1, max(first.values()) + 2]
    result = run_search(store, "koffie")
    assert result.facets["category"] == {"taal": 1} and result.facets["area"] == {"leersum": 1}
    assert result.facets["target_group"] == {}


@pytest.mark.parametrize(
    "total, expected",
    [
        (None, {}),
        ("0", {}),
        ("3", {"a": 3}),
        ("200000000", {"b": 2}),
        ("99999999" + "00000000" + "00000001", {"a": 1, "c": 99_999_999}),
    ],
)
def test_lane_counts_read_each_codes_count_from_the_sum(total, expected):
    assert postgres_backend.lane_counts(total, {"0": "a", "1": "b", "2": "c"}) == expected


def test_a_rebuild_counts_what_writes_counted(session, engine):
    store = CommittingBackend(session)
    store.rebuild([])
    store.index(CORPUS)
    store.delete(["3"])
    store.index([make_doc("1", "Fietsenmaker", DOORN)])
    written = vocabulary(engine), stem_counts(engine)
    store.rebuild([doc for doc in CORPUS if doc["id"] not in ("1", "3")] + [make_doc("1", "Fietsenmaker", DOORN)])
    assert (vocabulary(engine), stem_counts(engine)) == written


def index_sets(engine) -> tuple[dict, dict]:
    """Return the bitsets and postings as sets of document ids: {(kind, key): ids}, {(stem, rank): ids}."""
    with engine.connect() as connection:
        docnos = dict(connection.execute(text("SELECT docno, id FROM search_documents")).all())
        sizes = {length for (length,) in connection.execute(text("SELECT length(bits) FROM search_bitsets"))}
        bits = {
            (kind, key): {docnos[n] for n, bit in enumerate(value) if bit == "1"}
            for kind, key, value in connection.execute(text("SELECT kind, key, bits::text FROM search_bitsets"))
        }
        postings = {
            (stem, rank): {docnos[n] for n in numbers}
            for stem, rank, numbers in connection.execute(text("SELECT stem, rank, docnos FROM search_postings"))
        }
        stored = connection.execute(text("SELECT value::int FROM search_state WHERE key = 'bits'")).scalar()
    assert sizes <= {stored} and (not docnos or max(docnos) < stored)
    return {key: ids for key, ids in bits.items() if ids}, {key: ids for key, ids in postings.items() if ids}


def test_bitsets_and_postings_follow_every_write_as_a_rebuild_makes_them(session, engine, common):
    store = CommittingBackend(session)
    store.rebuild([])
    store.index(CORPUS)
    store.delete(["3"])
    store.index([make_doc("1", "Fietsenmaker", DOORN, category=["vervoer"], open_slots=[5, 6, 7])])
    store.index([make_doc("40", "Taalcafé De Linde", category=["taal"]), make_doc("41", "Koffie en taal")])
    written = index_sets(engine)
    bits, postings = written
    assert bits[("code", "category:vervoer")] >= {"1"} and bits[("slot", "6")] >= {"1"}
    assert "3" not in set().union(*bits.values(), *postings.values())
    assert bool(postings) == (common is not None) and (("stem", TAAL) in bits) == (common is not None)
    with engine.connect() as connection:
        numbers = [n for (n,) in connection.execute(text("SELECT docno FROM search_documents ORDER BY docno"))]
    assert len(set(numbers)) == len(numbers)  # unique: each document its own bit
    store.rebuild(
        [doc for doc in CORPUS if doc["id"] not in ("1", "3")]
        + [
            make_doc("1", "Fietsenmaker", DOORN, category=["vervoer"], open_slots=[5, 6, 7]),
            make_doc("40", "Taalcafé De Linde", category=["taal"]),
            make_doc("41", "Koffie en taal"),
        ]
    )
    assert index_sets(engine) == written


def test_two_writers_take_turns_and_each_document_gets_a_bit_of_its_own(session, engine):
    """The second writer waits for the first one's commit (WRITE_LOCK): no docno twice, no deadlock."""
    import threading

    store = CommittingBackend(session)
    store.rebuild(CORPUS[:2])
    PostgresBackend(session).index([make_doc("30", "Koffie", category=["eten"])])  # not committed yet
    other = Session(engine)
    done = threading.Event()

    def write():
        PostgresBackend(other).index([make_doc("31", "Koffie en taal", category=["eten"])])
        other.commit()
        done.set()

    writer = threading.Thread(target=write)
    writer.start()
    try:
        assert not done.wait(0.5)  # it waits for the first writer
        session.commit()
        writer.join(10)
        assert done.is_set()
    finally:
        other.close()
    bits, _ = index_sets(engine)
    assert bits[("code", "category:eten")] == {"30", "31"}
    with engine.connect() as connection:
        numbers = [n for (n,) in connection.execute(text("SELECT docno FROM search_documents"))]
    assert len(set(numbers)) == len(numbers) == 4


def test_a_stem_becomes_common_with_its_documents_so_far(session, engine):
    """A stem that reaches the threshold gets its bitset and postings of every document having it."""
    with engine.begin() as connection:
        connection.execute(
            text("INSERT INTO search_state VALUES ('common', '3') ON CONFLICT (key) DO UPDATE SET value = '3'")
        )
    store = CommittingBackend(session)
    store.index([make_doc("1", "Koffie"), make_doc("2", "Koffie en taal")])
    assert ("stem", KOFFIE) not in index_sets(engine)[0]
    store.index([make_doc("3", "Koffieochtend koffie")])
    bits, postings = index_sets(engine)
    assert bits[("stem", KOFFIE)] == {"1", "2", "3"}
    assert set().union(*(ids for (stem, _), ids in postings.items() if stem == KOFFIE)) == {"1", "2", "3"}
    assert run_search(store, "koffie").total == 3


def test_the_bitsets_grow_with_the_document_numbers(session, engine):
    store = CommittingBackend(session)
    store.index([make_doc(str(n), f"Koffie {n}", category=["eten"]) for n in range(1, 1100)])
    bits, _ = index_sets(engine)
    assert len(bits[("code", "category:eten")]) == 1099
    with engine.connect() as connection:
        assert connection.execute(text("SELECT value FROM search_state WHERE key = 'bits'")).scalar() == "2048"


@pytest.mark.parametrize("excluding", [False, True], ids=["all listings", "some excluded"])
@pytest.mark.parametrize("depth", [1, 3, 200])
def test_a_search_from_bitsets_answers_as_the_one_statement_does(session, monkeypatch, depth, common, excluding):
    """Totals, facets, open counts, hits, scores, pages and partial equal those of reading every match; with
    excluded ids (the long-unchecked listings) too, among them ones that would be on the first pages."""
    from bench.search import generate

    store = CommittingBackend(session)
    store.rebuild(generate(400))
    queries = ["mantelzorg", "hulp ouderen", "vrijwilliger maatje", "koffie buurthuis", "mantelzorgg", "taal"]
    queries += ["eten samen wonen", "zzzonbekend", "vervoer ziekenhuis rolstoel"]
    exclude: frozenset[str] = frozenset()
    if excluding:
        tops = [hit.id for words in queries[:4] for hit in store.search(SearchQuery(text=words, per_page=3)).hits]
        exclude = frozenset([*tops, "no-such-id"])
        assert len(exclude) >= 8

    def answers():
        found = []
        for words in queries:
            for page in (1, 2, 7):
                query = SearchQuery(text=words, page=page, per_page=10, exclude_ids=exclude)
                result = store.search(query, count_open_slot=330)
                assert not exclude & {hit.id for hit in result.hits}
                found.append((words, page, result))
        return found

    monkeypatch.setattr(postgres_backend, "DEPTH", depth)
    monkeypatch.setattr(postgres_backend, "BITSETS_FROM", 0)  # 400 documents: the bitsets whatever the size
    rounds = []
    complete = postgres_backend._Bitsets.complete

    def counted(self, row, depth, page):
        rounds.append(depth)
        return complete(self, row, depth, page)

    monkeypatch.setattr(postgres_backend._Bitsets, "complete", counted)
    fast = answers()
    assert len(rounds) >= len(queries) * 3 - 3  # the bitsets answered (not a misspelling's first try)
    assert depth == 200 or common is None or max(rounds) > min(rounds)  # some pages read deeper
    monkeypatch.setattr(postgres_backend._Bitsets, "applies", staticmethod(lambda plan, words, documents=None: False))
    assert fast == answers()


def test_below_bitsets_from_documents_text_alone_is_answered_by_the_one_statement(session, monkeypatch):
    store = CommittingBackend(session)
    store.rebuild(CORPUS)
    ways = []
    run = postgres_backend._Bitsets.run

    def counted(self, reader):
        ways.append(len(ways))
        return run(self, reader)

    monkeypatch.setattr(postgres_backend._Bitsets, "run", counted)
    first = store.search(SearchQuery(text="koffie"))
    assert len(ways) == 1  # the size not known yet: the bitsets
    assert store._documents == len(CORPUS) < postgres_backend.BITSETS_FROM
    assert store.search(SearchQuery(text="koffie")) == first and len(ways) == 1  # a small index: the one statement
    monkeypatch.setattr(postgres_backend, "BITSETS_FROM", len(CORPUS))
    assert store.search(SearchQuery(text="koffie")) == first and len(ways) == 2
    store.search(SearchQuery(text="koffie", origin=DOORN, radius_km=5, distance=lambda a, b: 0.0))
    assert len(ways) == 2 and store._documents == len(CORPUS)  # a place: the one statement, which reads the size too


def test_documents_written_by_another_version_are_rebuilt_from_doc_source(session, engine, caplog):
    CommittingBackend(session).rebuild(CORPUS[:2])
    with engine.begin() as connection:
        connection.execute(
            text("UPDATE search_state SET value = 'pg0-written-by-an-older-release' WHERE key = 'format'")
        )
    source = Source(CORPUS)
    store = PostgresBackend(session, doc_source=source)
    assert not store.check()
    with caplog.at_level(logging.WARNING, logger=postgres_backend.__name__):
        result = run_search(store, "mantelzorg")
    assert set(ids(result)) == {"1", "9"} and "rebuilding" in caplog.text
    run_search(store, "koffie")
    assert source.calls == 1 and store.check() and store.count() == len(CORPUS)


def test_missing_tables_are_a_search_error(tmp_path):
    empty = create_engine(database_url(tmp_path, "search_no_tables"))
    try:
        with Session(empty) as session:
            backend = PostgresBackend(session)
            assert not backend.check()
            with pytest.raises(SearchError):
                run_search(backend, "koffie")
            session.execute(text("SELECT 1"))  # the caller's transaction is not broken by it
    finally:
        empty.dispose()


SHOW_SETTINGS = (
    "SELECT current_setting('work_mem') AS work_mem, current_setting('jit') AS jit, "
    "current_setting('plan_cache_mode') AS plan_cache_mode, current_setting('random_page_cost') AS random_page_cost"
)


def test_a_search_statement_has_the_search_settings_and_leaves_none_behind(engine):
    store = PostgresBackend(Session(engine))
    with store._reading() as connection:
        before = connection.execute(text(SHOW_SETTINGS)).mappings().one()
        reader = postgres_backend._Reader(connection)
        row = reader.one(SHOW_SETTINGS + ", %(word)s AS word", {"word": "koffie"})
        assert row == {
            "work_mem": "64MB",
            "jit": "off",
            "plan_cache_mode": "force_custom_plan",
            "random_page_cost": "1.1",
            "word": "koffie",
        }
        # its own transaction ended with it: the connection is idle, with its own settings again
        assert connection.connection.driver_connection.info.transaction_status.name == "IDLE"
        assert connection.execute(text(SHOW_SETTINGS)).mappings().one() == before
        assert before["work_mem"] != "64MB" and before["plan_cache_mode"] == "auto"


def test_a_failing_search_statement_is_a_search_error_and_the_connection_stays_usable(engine):
    store = PostgresBackend(Session(engine))
    with store._reading() as connection:
        reader = postgres_backend._Reader(connection)
        with pytest.raises(psycopg.errors.DivisionByZero):
            reader.one("SELECT 1 / %(zero)s AS never", {"zero": 0})
        # the failed statement's transaction was rolled back: the next statement runs on the same connection
        assert connection.connection.driver_connection.info.transaction_status.name == "IDLE"
        assert reader.one("SELECT 2 AS two", {}) == {"two": 2}
    with pytest.raises(SearchError, match="cannot be read"):
        with store._searching() as reader:
            reader.one("SELECT 1 / %(zero)s AS never", {"zero": 0})


def _schema_of(connection) -> dict:
    """Return the search tables' columns, indexes and triggers as the database describes them."""
    names = {"tables": list(search.TABLES)}
    columns = connection.execute(
        text(
            "SELECT c.table_name, c.column_name, c.data_type, c.udt_name, c.is_nullable, c.column_default, "
            "c.character_maximum_length, a.attstorage FROM information_schema.columns AS c "
            "JOIN pg_attribute AS a ON a.attrelid = (c.table_schema || '.' || c.table_name)::regclass "
            "AND a.attname = c.column_name "
            "WHERE c.table_schema = current_schema() AND c.table_name = ANY(:tables) ORDER BY 1, 2"
        ),
        names,
    ).all()
    indexes = connection.execute(
        text(
            "SELECT tablename, indexname, regexp_replace(indexdef, ' ON \\S+\\.', ' ON ') FROM pg_indexes "
            "WHERE schemaname = current_schema() AND tablename = ANY(:tables) ORDER BY 1, 2"
        ),
        names,
    ).all()
    triggers = connection.execute(
        text(
            "SELECT trigger_name, event_manipulation, action_timing, action_orientation, action_statement, "
            "action_reference_old_table, action_reference_new_table FROM information_schema.triggers "
            "WHERE trigger_schema = current_schema() ORDER BY 1, 2"
        ),
        names,
    ).all()
    functions = connection.execute(
        text(
            "SELECT proname, prosrc FROM pg_proc WHERE proname = ANY(:functions) "
            "AND pronamespace = current_schema()::regnamespace ORDER BY 1"
        ),
        {"functions": list(postgres_backend.FUNCTIONS)},
    ).all()
    assert len(functions) == len(postgres_backend.FUNCTIONS)
    return {
        "columns": columns,
        "indexes": indexes,
        "triggers": triggers,
        "functions": [(name, " ".join(source.split())) for name, source in functions],
    }


def test_the_migrations_make_the_same_tables_as_create_tables(tmp_path, engine):
    app = make_app(tmp_path, name="search_migration")
    disabled = {lg: lg.disabled for lg in logging.root.manager.loggerDict.values() if isinstance(lg, logging.Logger)}
    with app.app_context():
        try:
            upgrade()  # 0008 made them; later ones changed them (issue #16: facet lanes, the document count)
        finally:  # alembic's fileConfig disables every logger that exists: the tests after this read logs
            for logger, was in disabled.items():
                logger.disabled = was
        with db.engine.connect() as connection:
            migrated = _schema_of(connection)
        db.engine.dispose()
    with engine.connect() as connection:
        assert migrated == _schema_of(connection)


def test_migration_0025_moves_the_words_with_their_counts(tmp_path):
    """The words leave search_documents for search_spellings; the vocabulary still counts them."""
    app = make_app(tmp_path, name="search_spellings_migration")
    disabled = {lg: lg.disabled for lg in logging.root.manager.loggerDict.values() if isinstance(lg, logging.Logger)}
    with app.app_context():
        try:
            upgrade(revision="0024_services_of_organization")
            with db.engine.begin() as connection:  # a document as the code before 0025 wrote it
                connection.execute(
                    text(
                        "INSERT INTO search_documents (id, sort_name, document, codes, facet_lanes, area_lanes, "
                        "open_hours, words, folded_words) VALUES ('7', 'koffie', 'koffi:1A', '{}', 0, 0, "
                        "repeat('0', 672)::bit(672), '{Koffie,café}', '{koffie,cafe}')"
                    )
                )
            upgrade()
        finally:  # alembic's fileConfig disables every logger that exists: the tests after this read logs
            for logger, was in disabled.items():
                logger.disabled = was
        with db.engine.connect() as connection:
            spellings = connection.execute(text("SELECT id, words, folded_words FROM search_spellings")).all()
        assert spellings == [("7", ["Koffie", "café"], ["koffie", "cafe"])]
        assert (vocabulary(db.engine), stem_counts(db.engine)) == ({"Koffie": 1, "café": 1}, {"": 1, "koffi": 1})
        with Session(db.engine) as session:
            PostgresBackend(session).delete(["7"])
            session.commit()
        assert (vocabulary(db.engine), stem_counts(db.engine)) == ({}, {})
        db.engine.dispose()


def test_migration_0026_numbers_the_documents_and_downgrades_without_its_tables(tmp_path):
    """Existing documents get docnos 0..n-1 in id order; later writes the next; down again, no trace."""
    app = make_app(tmp_path, name="search_bitsets_migration")
    disabled = {lg: lg.disabled for lg in logging.root.manager.loggerDict.values() if isinstance(lg, logging.Logger)}
    with app.app_context():
        try:
            upgrade(revision="0025_search_spellings")
            with db.engine.begin() as connection:  # documents as the code before 0026 wrote them
                for doc_id in ("8", "7"):
                    connection.execute(
                        text(
                            "INSERT INTO search_documents (id, sort_name, document, codes, facet_lanes, area_lanes, "
                            "open_hours) VALUES (:id, 'koffie', 'koffi:1A', '{}', 0, 0, repeat('0', 672)::bit(672))"
                        ),
                        {"id": doc_id},
                    )
            upgrade()
            with Session(db.engine) as session:
                PostgresBackend(session).index([make_doc("9", "Koffie", category=["eten"])])
                session.commit()
            with db.engine.connect() as connection:
                numbers = dict(connection.execute(text("SELECT id, docno FROM search_documents")).all())
                codes = connection.execute(text("SELECT kind, key, bits::text FROM search_bitsets WHERE kind = 'code'"))
                assert numbers == {"7": 0, "8": 1, "9": 2}
                assert ("code", "category:eten", "001") in [(kind, key, bits[:3]) for kind, key, bits in codes]
            downgrade(revision="0025_search_spellings")
            with db.engine.connect() as connection:
                assert "docno" not in {c["name"] for c in inspect(connection).get_columns("search_documents")}
                assert not {"search_bitsets", "search_postings"} & set(inspect(connection).get_table_names())
            with Session(db.engine) as session:  # the trigger of 0025 is back
                PostgresBackend(session).delete(["7"])
                session.commit()
            assert stem_counts(db.engine)[""] == 2
        finally:  # alembic's fileConfig disables every logger that exists: the tests after this read logs
            for logger, was in disabled.items():
                logger.disabled = was
        db.engine.dispose()


def test_a_page_past_the_end_is_empty_and_keeps_the_total(session):
    store = CommittingBackend(session)
    store.rebuild(CORPUS)
    result = store.search(SearchQuery(text="koffie", page=10**15, per_page=20))
    assert result.hits == [] and result.total == run_search(store, "koffie").total > 0


# -- two servers, one database ------------------------------------------------------------------


def test_a_change_committed_through_one_server_is_found_by_another(tmp_path):
    """No reindex call, no shared disk: the second app sees the first one's commit (issue #16)."""
    url = database_url(tmp_path, "two_servers")
    one = make_app(tmp_path, name="one", SQLALCHEMY_DATABASE_URI=url)
    two = make_app(tmp_path, name="two", SQLALCHEMY_DATABASE_URI=url)

    def found(app, text):
        with app.app_context():
            hits = services.search_backend().search(search.SearchQuery(text=text)).hits
            db.session.remove()
            return {hit.id for hit in hits}

    try:
        with one.app_context():
            db.create_all()
            service = make_service(name="Logeerhuis De Linde")
            listing = str(service.location_links[0].id)
            db.session.remove()
        assert found(two, "logeerhuis") == {listing}
        with one.app_context():
            db.session.get(type(service), service.id).name = "Zorgboerderij De Eik"
            db.session.commit()  # a plain commit: the documents are written just before it
            db.session.remove()
        assert found(two, "zorgboerderij") == {listing} and found(two, "logeerhuis") == set()
        with two.app_context():
            db.session.get(type(service), service.id).publication_status = "pending"
            transactions.commit()
            db.session.remove()
        assert found(one, "zorgboerderij") == set()
    finally:
        for app in (one, two):
            with app.app_context():
                db.engine.dispose()
