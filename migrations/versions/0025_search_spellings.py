"""search spellings: each document's words in a table of their own, on PostgreSQL only (issue #16); nothing on SQLite

Revision ID: 0025_search_spellings
Revises: 0024_services_of_organization
Create Date: 2026-12-06 15:00:00.000000

A search reads every matching row of `search_documents`; much of each row were the document's
words (`words`, `folded_words`), which only the vocabulary of "Bedoelde u ...?" uses. They move to
`search_spellings` (the table 97 -> 71 MB at 50,000 documents), with a trigger of their own that keeps
`search_words`; `search_count()` keeps only the stems and the document count. The words move with
their documents, so the counts stay right; the search's format changes (SCHEMA_VERSION 4), so it
answers 503 until `flask search reindex` (compose's migrate step runs it) rewrites the documents.
"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql


# revision identifiers, used by Alembic.
revision = '0025_search_spellings'
down_revision = '0024_services_of_organization'
branch_labels = None
depends_on = None

COUNT_FUNCTION = """
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

SPELL_COUNT_FUNCTION = """
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

OLD_COUNT_FUNCTION = """
CREATE OR REPLACE FUNCTION search_count() RETURNS trigger LANGUAGE plpgsql AS $$
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
        INSERT INTO search_terms AS t (stem, documents)
        SELECT s.stem, count(*) FROM added, unnest(tsvector_to_array(added.document)) AS s(stem)
        GROUP BY s.stem ORDER BY s.stem
        ON CONFLICT (stem) DO UPDATE SET documents = t.documents + EXCLUDED.documents;
        INSERT INTO search_terms AS t (stem, documents) SELECT '', count(*) FROM added HAVING count(*) > 0
        ON CONFLICT (stem) DO UPDATE SET documents = t.documents + EXCLUDED.documents;
    ELSIF TG_OP = 'DELETE' THEN
        INSERT INTO search_words AS v (word, folded, documents)
        SELECT w.word, min(w.folded), -count(*)
        FROM removed, unnest(removed.words, removed.folded_words) AS w(word, folded)
        GROUP BY w.word ORDER BY w.word
        ON CONFLICT (word) DO UPDATE SET documents = v.documents + EXCLUDED.documents;
        INSERT INTO search_terms AS t (stem, documents)
        SELECT s.stem, -count(*) FROM removed, unnest(tsvector_to_array(removed.document)) AS s(stem)
        GROUP BY s.stem ORDER BY s.stem
        ON CONFLICT (stem) DO UPDATE SET documents = t.documents + EXCLUDED.documents;
        INSERT INTO search_terms AS t (stem, documents) SELECT '', -count(*) FROM removed HAVING count(*) > 0
        ON CONFLICT (stem) DO UPDATE SET documents = t.documents + EXCLUDED.documents;
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


def upgrade():
    if op.get_bind().dialect.name != 'postgresql':
        return   # SQLite: the Whoosh folder is the index
    op.create_table('search_spellings',
    sa.Column('id', sa.Text(), nullable=False),
    sa.Column('words', postgresql.ARRAY(sa.Text()), nullable=False),
    sa.Column('folded_words', postgresql.ARRAY(sa.Text()), nullable=False),
    sa.PrimaryKeyConstraint('id', name='search_spellings_pkey')
    )
    # before the triggers: search_words already counts these words
    op.execute('INSERT INTO search_spellings (id, words, folded_words) '
               'SELECT id, words, folded_words FROM search_documents')
    op.execute(COUNT_FUNCTION)
    op.execute(SPELL_COUNT_FUNCTION)
    op.execute("CREATE TRIGGER search_spell_count_insert AFTER INSERT ON search_spellings "
               "REFERENCING NEW TABLE AS added FOR EACH STATEMENT EXECUTE FUNCTION search_spell_count()")
    op.execute("CREATE TRIGGER search_spell_count_update AFTER UPDATE ON search_spellings "
               "REFERENCING OLD TABLE AS removed NEW TABLE AS added FOR EACH STATEMENT "
               "EXECUTE FUNCTION search_spell_count()")
    op.execute("CREATE TRIGGER search_spell_count_delete AFTER DELETE ON search_spellings "
               "REFERENCING OLD TABLE AS removed FOR EACH STATEMENT EXECUTE FUNCTION search_spell_count()")
    op.drop_column('search_documents', 'folded_words')
    op.drop_column('search_documents', 'words')


def downgrade():
    if op.get_bind().dialect.name != 'postgresql':
        return
    op.add_column('search_documents', sa.Column('words', postgresql.ARRAY(sa.Text()), nullable=False,
                                                server_default='{}'))
    op.add_column('search_documents', sa.Column('folded_words', postgresql.ARRAY(sa.Text()), nullable=False,
                                                server_default='{}'))
    op.alter_column('search_documents', 'words', server_default=None)
    op.alter_column('search_documents', 'folded_words', server_default=None)
    op.execute(OLD_COUNT_FUNCTION)
    # the documents' words come back without counting them again (the old trigger skips a rebuild)
    op.execute("SET LOCAL sociale_kaart.search_rebuild = 'on'")
    op.execute('UPDATE search_documents AS d SET words = s.words, folded_words = s.folded_words '
               'FROM search_spellings AS s WHERE s.id = d.id')
    op.execute("SET LOCAL sociale_kaart.search_rebuild = 'off'")
    op.drop_table('search_spellings')   # its triggers go with it
    op.execute('DROP FUNCTION IF EXISTS search_spell_count()')
