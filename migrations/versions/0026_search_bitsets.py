"""search bitsets: dense document numbers, bitsets of codes, open slots and common stems, and postings by rank, on PostgreSQL only (issue #16); nothing on SQLite

Revision ID: 0026_search_bitsets
Revises: 0025_search_spellings
Create Date: 2026-12-06 18:00:00.000000

A search over many matching documents read every one of them (35,822 of 50,000 for "mantelzorg":
~110 ms). Each document now has a dense number (`docno`, given by a trigger); `search_bitsets`
holds for every facet code, every open slot and every common stem the documents that have it, so
counts, facets and tiers are bit operations, and `search_postings` holds each common stem's
documents grouped by their ts_rank, so a page reads only the best of them. `search_count()` keeps
both in step with every write. Existing documents get their numbers here; the bitsets and postings
come with the rebuild the new format asks for (SCHEMA_VERSION 5): the search answers 503 until
`flask search reindex` (compose's migrate step runs it).
"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql


# revision identifiers, used by Alembic.
revision = '0026_search_bitsets'
down_revision = '0025_search_spellings'
branch_labels = None
depends_on = None

COUNT_FUNCTION = """
CREATE OR REPLACE FUNCTION search_count() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    size int;
    wanted int;
    common int;
    new_stem text;
BEGIN
    IF current_setting('sociale_kaart.search_rebuild', true) = 'on' THEN
        RETURN NULL;
    END IF;
    PERFORM pg_advisory_xact_lock(6203077);
    IF TG_OP = 'INSERT' THEN
        INSERT INTO search_terms AS t (stem, documents)
        SELECT s.stem, count(*) FROM added, unnest(tsvector_to_array(added.document)) AS s(stem)
        GROUP BY s.stem ORDER BY s.stem
        ON CONFLICT (stem) DO UPDATE SET documents = t.documents + EXCLUDED.documents;
        INSERT INTO search_terms AS t (stem, documents) SELECT '', count(*) FROM added HAVING count(*) > 0
        ON CONFLICT (stem) DO UPDATE SET documents = t.documents + EXCLUDED.documents;
    ELSIF TG_OP = 'DELETE' THEN
        INSERT INTO search_terms AS t (stem, documents)
        SELECT s.stem, -count(*) FROM removed, unnest(tsvector_to_array(removed.document)) AS s(stem)
        GROUP BY s.stem ORDER BY s.stem
        ON CONFLICT (stem) DO UPDATE SET documents = t.documents + EXCLUDED.documents;
        INSERT INTO search_terms AS t (stem, documents) SELECT '', -count(*) FROM removed HAVING count(*) > 0
        ON CONFLICT (stem) DO UPDATE SET documents = t.documents + EXCLUDED.documents;
    ELSE
        INSERT INTO search_terms AS t (stem, documents)
        SELECT stem, sum(delta) FROM (
            SELECT s.stem, 1 AS delta FROM added, unnest(tsvector_to_array(added.document)) AS s(stem)
            UNION ALL
            SELECT s.stem, -1 FROM removed, unnest(tsvector_to_array(removed.document)) AS s(stem)
        ) AS changes
        GROUP BY stem HAVING sum(delta) <> 0 ORDER BY stem
        ON CONFLICT (stem) DO UPDATE SET documents = t.documents + EXCLUDED.documents;
    END IF;
    -- the bitsets and postings: the removed documents out, the added ones in (an UPDATE: both)
    size := coalesce((SELECT value::int FROM search_state WHERE key = 'bits'), 0);
    IF TG_OP <> 'INSERT' THEN
        UPDATE search_bitsets AS b SET bits = search_set_bits(b.bits, c.docnos, 0)
        FROM (SELECT k.kind, k.key, array_agg(k.docno) AS docnos FROM (SELECT 'code' AS kind, c.key, d.docno FROM removed AS d, unnest(d.codes) AS c(key) UNION ALL SELECT 'slot', s.slot::text, d.docno FROM removed AS d, generate_series(0, 671) AS s(slot) WHERE get_bit(d.open_hours, s.slot) = 1 UNION ALL SELECT 'stem', s.stem, d.docno FROM removed AS d, unnest(tsvector_to_array(d.document)) AS s(stem)) AS k
              GROUP BY k.kind, k.key) AS c
        WHERE b.kind = c.kind AND b.key = c.key;
        UPDATE search_postings AS p
        SET docnos = CASE WHEN cardinality(g.docnos) = 1 THEN array_remove(p.docnos, g.docnos[1])
                ELSE ARRAY(SELECT n FROM unnest(p.docnos) AS n WHERE n <> ALL(g.docnos)) END,
            documents = p.documents - cardinality(g.docnos)
        FROM (SELECT s.stem, ts_rank('{0.3333333,0.5000000,0.6666667,1.0000000}', d.document, search_lexeme(s.stem)) AS rank, array_agg(d.docno ORDER BY d.docno) AS docnos FROM removed AS d, unnest(tsvector_to_array(d.document)) AS s(stem) WHERE EXISTS (SELECT 1 FROM search_bitsets AS b WHERE b.kind = 'stem' AND b.key = s.stem) GROUP BY 1, 2) AS g
        WHERE p.stem = g.stem AND p.rank = g.rank;
    END IF;
    IF TG_OP <> 'DELETE' THEN
        wanted := (SELECT max(docno) + 1 FROM added);
        IF wanted > size THEN
            wanted := (greatest(wanted, size + size / 4) + 1023) / 1024 * 1024;
            UPDATE search_bitsets SET bits = bits || CAST(repeat('0', wanted - size) AS varbit);
            INSERT INTO search_state AS s (key, value) VALUES ('bits', wanted::text)
            ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value;
            size := wanted;
        END IF;
        INSERT INTO search_bitsets (kind, key, bits)
        SELECT DISTINCT k.kind, k.key, CAST(repeat('0', size) AS varbit) FROM (SELECT 'code' AS kind, c.key, d.docno FROM added AS d, unnest(d.codes) AS c(key) UNION ALL SELECT 'slot', s.slot::text, d.docno FROM added AS d, generate_series(0, 671) AS s(slot) WHERE get_bit(d.open_hours, s.slot) = 1 UNION ALL SELECT 'stem', s.stem, d.docno FROM added AS d, unnest(tsvector_to_array(d.document)) AS s(stem)) AS k
        WHERE k.kind <> 'stem' ORDER BY k.kind, k.key
        ON CONFLICT DO NOTHING;
        UPDATE search_bitsets AS b SET bits = search_set_bits(b.bits, c.docnos, 1)
        FROM (SELECT k.kind, k.key, array_agg(k.docno) AS docnos FROM (SELECT 'code' AS kind, c.key, d.docno FROM added AS d, unnest(d.codes) AS c(key) UNION ALL SELECT 'slot', s.slot::text, d.docno FROM added AS d, generate_series(0, 671) AS s(slot) WHERE get_bit(d.open_hours, s.slot) = 1 UNION ALL SELECT 'stem', s.stem, d.docno FROM added AS d, unnest(tsvector_to_array(d.document)) AS s(stem)) AS k
              GROUP BY k.kind, k.key) AS c
        WHERE b.kind = c.kind AND b.key = c.key;
        INSERT INTO search_postings AS p (stem, rank, documents, docnos)
        SELECT g.stem, g.rank, cardinality(g.docnos), g.docnos FROM (SELECT s.stem, ts_rank('{0.3333333,0.5000000,0.6666667,1.0000000}', d.document, search_lexeme(s.stem)) AS rank, array_agg(d.docno ORDER BY d.docno) AS docnos FROM added AS d, unnest(tsvector_to_array(d.document)) AS s(stem) WHERE EXISTS (SELECT 1 FROM search_bitsets AS b WHERE b.kind = 'stem' AND b.key = s.stem) GROUP BY 1, 2) AS g ORDER BY g.stem, g.rank
        ON CONFLICT (stem, rank) DO UPDATE
        SET docnos = p.docnos || EXCLUDED.docnos, documents = p.documents + EXCLUDED.documents;
        -- a stem that has become common gets its bitset and postings
        common := coalesce((SELECT value::int FROM search_state WHERE key = 'common'), 1000);
        FOR new_stem IN
            SELECT t.stem FROM search_terms AS t
            WHERE t.stem IN (SELECT unnest(tsvector_to_array(a.document)) FROM added AS a)
            AND t.documents >= common AND t.stem <> ''
            AND NOT EXISTS (SELECT 1 FROM search_bitsets AS b WHERE b.kind = 'stem' AND b.key = t.stem)
            ORDER BY t.stem
        LOOP
            INSERT INTO search_postings (stem, rank, documents, docnos)
            SELECT new_stem, g.rank, count(*), array_agg(g.docno ORDER BY g.docno)
            FROM (SELECT d.docno, ts_rank('{0.3333333,0.5000000,0.6666667,1.0000000}', d.document, search_lexeme(new_stem)) AS rank
                  FROM search_documents AS d WHERE d.document @@ search_lexeme(new_stem)) AS g
            GROUP BY g.rank;
            INSERT INTO search_bitsets (kind, key, bits)
            VALUES ('stem', new_stem, search_bits(ARRAY(
                SELECT d.docno FROM search_documents AS d WHERE d.document @@ search_lexeme(new_stem)), size));
        END LOOP;
    END IF;
    RETURN NULL;
END
$$
"""

SPELL_COUNT_FUNCTION = """
CREATE OR REPLACE FUNCTION search_spell_count() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF current_setting('sociale_kaart.search_rebuild', true) = 'on' THEN
        RETURN NULL;
    END IF;
    PERFORM pg_advisory_xact_lock(6203077);
    IF TG_OP = 'INSERT' THEN
        INSERT INTO search_words AS v (word, folded, documents)
        SELECT w.word, min(w.folded), count(*)
        FROM added, unnest(added.words, added.folded_words) AS w(word, folded)
        GROUP BY w.word ORDER BY w.word
        ON CONFLICT (word) DO UPDATE SET documents = v.documents + EXCLUDED.documents;
    ELSIF TG_OP = 'DELETE' THEN
        INSERT INTO search_words AS v (word, folded, documents)
        SELECT w.word, min(w.folded), -count(*)
        FROM removed, unnest(removed.words, removed.folded_words) AS w(word, folded)
        GROUP BY w.word ORDER BY w.word
        ON CONFLICT (word) DO UPDATE SET documents = v.documents + EXCLUDED.documents;
    ELSE
        INSERT INTO search_words AS v (word, folded, documents)
        SELECT word, min(folded), sum(delta) FROM (
            SELECT w.word, w.folded, 1 AS delta
            FROM added, unnest(added.words, added.folded_words) AS w(word, folded)
            UNION ALL
            SELECT w.word, w.folded, -1
            FROM removed, unnest(removed.words, removed.folded_words) AS w(word, folded)
        ) AS changes
        GROUP BY word HAVING sum(delta) <> 0 ORDER BY word
        ON CONFLICT (word) DO UPDATE SET documents = v.documents + EXCLUDED.documents;
    END IF;
    RETURN NULL;
END
$$
"""

DOCNO_FUNCTION = """
CREATE OR REPLACE FUNCTION search_docno() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.docno IS NULL THEN
        PERFORM pg_advisory_xact_lock(6203077);
        NEW.docno := coalesce((SELECT max(docno) + 1 FROM search_documents), 0);
    END IF;
    RETURN NEW;
END
$$
"""

BIT_FUNCTIONS = (
    r"""
CREATE OR REPLACE FUNCTION search_set_bits(bits varbit, positions int[], value int) RETURNS varbit
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $$
DECLARE
    position int;
BEGIN
    FOREACH position IN ARRAY positions LOOP
        bits := set_bit(bits, position, value);
    END LOOP;
    RETURN bits;
END
$$
""",
    r"""
CREATE OR REPLACE FUNCTION search_bits(positions int[], size int) RETURNS varbit
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT search_set_bits(CAST(repeat('0', size) AS varbit), positions, 1)
$$
""",
    r"""
CREATE OR REPLACE FUNCTION search_lexeme(stem text) RETURNS tsquery
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT CAST('''' || replace(replace(stem, '\', '\\'), '''', '''''') || '''' AS tsquery)
$$
""",
)

OLD_COUNT_FUNCTION = """
CREATE OR REPLACE FUNCTION search_count() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF current_setting('sociale_kaart.search_rebuild', true) = 'on' THEN
        RETURN NULL;
    END IF;
    IF TG_OP = 'INSERT' THEN
        INSERT INTO search_terms AS t (stem, documents)
        SELECT s.stem, count(*) FROM added, unnest(tsvector_to_array(added.document)) AS s(stem)
        GROUP BY s.stem ORDER BY s.stem
        ON CONFLICT (stem) DO UPDATE SET documents = t.documents + EXCLUDED.documents;
        INSERT INTO search_terms AS t (stem, documents) SELECT '', count(*) FROM added HAVING count(*) > 0
        ON CONFLICT (stem) DO UPDATE SET documents = t.documents + EXCLUDED.documents;
    ELSIF TG_OP = 'DELETE' THEN
        INSERT INTO search_terms AS t (stem, documents)
        SELECT s.stem, -count(*) FROM removed, unnest(tsvector_to_array(removed.document)) AS s(stem)
        GROUP BY s.stem ORDER BY s.stem
        ON CONFLICT (stem) DO UPDATE SET documents = t.documents + EXCLUDED.documents;
        INSERT INTO search_terms AS t (stem, documents) SELECT '', -count(*) FROM removed HAVING count(*) > 0
        ON CONFLICT (stem) DO UPDATE SET documents = t.documents + EXCLUDED.documents;
    ELSE
        INSERT INTO search_terms AS t (stem, documents)
        SELECT stem, sum(delta) FROM (
            SELECT s.stem, 1 AS delta FROM added, unnest(tsvector_to_array(added.document)) AS s(stem)
            UNION ALL
            SELECT s.stem, -1 FROM removed, unnest(tsvector_to_array(removed.document)) AS s(stem)
        ) AS changes
        GROUP BY stem HAVING sum(delta) <> 0 ORDER BY stem
        ON CONFLICT (stem) DO UPDATE SET documents = t.documents + EXCLUDED.documents;
    END IF;
    RETURN NULL;
END
$$
"""

OLD_SPELL_COUNT_FUNCTION = """
CREATE OR REPLACE FUNCTION search_spell_count() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF current_setting('sociale_kaart.search_rebuild', true) = 'on' THEN
        RETURN NULL;
    END IF;
    IF TG_OP = 'INSERT' THEN
        INSERT INTO search_words AS v (word, folded, documents)
        SELECT w.word, min(w.folded), count(*)
        FROM added, unnest(added.words, added.folded_words) AS w(word, folded)
        GROUP BY w.word ORDER BY w.word
        ON CONFLICT (word) DO UPDATE SET documents = v.documents + EXCLUDED.documents;
    ELSIF TG_OP = 'DELETE' THEN
        INSERT INTO search_words AS v (word, folded, documents)
        SELECT w.word, min(w.folded), -count(*)
        FROM removed, unnest(removed.words, removed.folded_words) AS w(word, folded)
        GROUP BY w.word ORDER BY w.word
        ON CONFLICT (word) DO UPDATE SET documents = v.documents + EXCLUDED.documents;
    ELSE
        INSERT INTO search_words AS v (word, folded, documents)
        SELECT word, min(folded), sum(delta) FROM (
            SELECT w.word, w.folded, 1 AS delta
            FROM added, unnest(added.words, added.folded_words) AS w(word, folded)
            UNION ALL
            SELECT w.word, w.folded, -1
            FROM removed, unnest(removed.words, removed.folded_words) AS w(word, folded)
        ) AS changes
        GROUP BY word HAVING sum(delta) <> 0 ORDER BY word
        ON CONFLICT (word) DO UPDATE SET documents = v.documents + EXCLUDED.documents;
    END IF;
    RETURN NULL;
END
$$
"""



def upgrade():
    if op.get_bind().dialect.name != 'postgresql':
        return   # SQLite: the Whoosh folder is the index
    op.add_column('search_documents', sa.Column('docno', sa.Integer(), nullable=True))
    op.execute('UPDATE search_documents AS d SET docno = n.docno FROM '
               '(SELECT id, row_number() OVER (ORDER BY id) - 1 AS docno FROM search_documents) AS n '
               'WHERE n.id = d.id')
    op.alter_column('search_documents', 'docno', nullable=False)
    op.create_index('ix_search_documents_docno', 'search_documents', ['docno'], unique=True)
    op.create_table('search_bitsets',
    sa.Column('kind', sa.Text(), nullable=False),
    sa.Column('key', sa.Text(), nullable=False),
    sa.Column('bits', postgresql.BIT(varying=True), nullable=False),
    sa.PrimaryKeyConstraint('kind', 'key', name='search_bitsets_pkey')
    )
    op.execute('ALTER TABLE search_bitsets ALTER COLUMN bits SET STORAGE EXTERNAL')
    op.create_table('search_postings',
    sa.Column('stem', sa.Text(), nullable=False),
    sa.Column('rank', postgresql.REAL(), nullable=False),
    sa.Column('documents', sa.Integer(), nullable=False),
    sa.Column('docnos', postgresql.ARRAY(sa.Integer()), nullable=False),
    sa.PrimaryKeyConstraint('stem', 'rank', name='search_postings_pkey')
    )
    op.execute('ALTER TABLE search_postings ALTER COLUMN docnos SET STORAGE EXTERNAL')
    for function in (*BIT_FUNCTIONS, COUNT_FUNCTION, SPELL_COUNT_FUNCTION, DOCNO_FUNCTION):
        op.execute(function)
    op.execute('CREATE TRIGGER search_docno BEFORE INSERT ON search_documents '
               'FOR EACH ROW EXECUTE FUNCTION search_docno()')


def downgrade():
    if op.get_bind().dialect.name != 'postgresql':
        return
    op.execute('DROP TRIGGER search_docno ON search_documents')
    op.execute(OLD_COUNT_FUNCTION)
    op.execute(OLD_SPELL_COUNT_FUNCTION)
    op.execute('DROP FUNCTION search_docno(), search_bits(int[], int), search_set_bits(varbit, int[], int), '
               'search_lexeme(text)')
    op.drop_table('search_postings')
    op.drop_table('search_bitsets')
    op.drop_index('ix_search_documents_docno', table_name='search_documents')
    op.drop_column('search_documents', 'docno')
    op.execute("DELETE FROM search_state WHERE key IN ('bits', 'common')")
