"""search documents: the search index as tables, on PostgreSQL only (issue #16); nothing on SQLite

Revision ID: 0008_search_documents
Revises: 0007_login_sessions
Create Date: 2026-12-04 12:00:00.000000

The postgres search backend (sociale_kaart/search/postgres_backend.py, chosen with a PostgreSQL
database) keeps one weighted tsvector per listing, its facet codes, opening hours and place; a
trigger keeps the vocabulary for "Bedoelde u ...?" and the number of documents of each stem (its
idf) in step. The tables start empty: the first search after the upgrade fills them from the
database (or run `flask search reindex`).
"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql


# revision identifiers, used by Alembic.
revision = '0008_search_documents'
down_revision = '0007_login_sessions'
branch_labels = None
depends_on = None

COUNT_FUNCTION = """
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
    op.create_table('search_documents',
    sa.Column('id', sa.Text(), nullable=False),
    sa.Column('service_id', sa.Integer(), nullable=True),
    sa.Column('sort_name', sa.Text(), nullable=False),
    sa.Column('document', postgresql.TSVECTOR(), nullable=False),
    sa.Column('codes', postgresql.ARRAY(sa.Text()), nullable=False),
    sa.Column('open_hours', postgresql.BIT(length=672), nullable=False),
    sa.Column('lat', sa.Float(precision=53), nullable=True),
    sa.Column('lon', sa.Float(precision=53), nullable=True),
    sa.Column('words', postgresql.ARRAY(sa.Text()), nullable=False),
    sa.Column('folded_words', postgresql.ARRAY(sa.Text()), nullable=False),
    sa.PrimaryKeyConstraint('id', name='search_documents_pkey')
    )
    # read by every search: kept in the row, not fetched from the TOAST table for each use
    op.execute('ALTER TABLE search_documents ALTER COLUMN document SET STORAGE MAIN, '
               'ALTER COLUMN codes SET STORAGE MAIN')
    op.create_index('ix_search_documents_document', 'search_documents', ['document'], unique=False,
                    postgresql_using='gin')
    op.create_index('ix_search_documents_codes', 'search_documents', ['codes'], unique=False,
                    postgresql_using='gin')
    op.create_index('ix_search_documents_position', 'search_documents', [sa.text('point(lon, lat)')],
                    unique=False, postgresql_using='gist')
    op.create_table('search_words',
    sa.Column('word', sa.Text(), nullable=False),
    sa.Column('folded', sa.Text(), nullable=False),
    sa.Column('documents', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('word', name='search_words_pkey')
    )
    op.create_index('ix_search_words_bucket', 'search_words',
                    [sa.text('left(folded, 2)'), sa.text('length(folded)')], unique=False)
    op.create_index('ix_search_words_folded', 'search_words', ['folded'], unique=False)
    op.create_table('search_terms',
    sa.Column('stem', sa.Text(), nullable=False),
    sa.Column('documents', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('stem', name='search_terms_pkey')
    )
    op.create_table('search_state',
    sa.Column('key', sa.Text(), nullable=False),
    sa.Column('value', sa.Text(), nullable=False),
    sa.PrimaryKeyConstraint('key', name='search_state_pkey')
    )
    op.execute(COUNT_FUNCTION)
    op.execute("CREATE TRIGGER search_count_insert AFTER INSERT ON search_documents "
               "REFERENCING NEW TABLE AS added FOR EACH STATEMENT EXECUTE FUNCTION search_count()")
    op.execute("CREATE TRIGGER search_count_update AFTER UPDATE ON search_documents "
               "REFERENCING OLD TABLE AS removed NEW TABLE AS added FOR EACH STATEMENT "
               "EXECUTE FUNCTION search_count()")
    op.execute("CREATE TRIGGER search_count_delete AFTER DELETE ON search_documents "
               "REFERENCING OLD TABLE AS removed FOR EACH STATEMENT EXECUTE FUNCTION search_count()")


def downgrade():
    if op.get_bind().dialect.name != 'postgresql':
        return
    op.drop_table('search_state')
    op.drop_table('search_terms')
    op.drop_index('ix_search_words_folded', table_name='search_words')
    op.drop_index('ix_search_words_bucket', table_name='search_words')
    op.drop_table('search_words')
    op.drop_index('ix_search_documents_position', table_name='search_documents')
    op.drop_index('ix_search_documents_codes', table_name='search_documents')
    op.drop_index('ix_search_documents_document', table_name='search_documents')
    op.drop_table('search_documents')   # its triggers go with it
    op.execute('DROP FUNCTION IF EXISTS search_count()')
