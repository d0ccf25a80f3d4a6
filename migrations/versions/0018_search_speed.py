"""search speed: facet lanes, the document count, a (lat, lon) index, on PostgreSQL only (issue #16); nothing on SQLite

Revision ID: 0018_search_speed
Revises: 0017_lists
Create Date: 2026-12-22 10:00:00.000000

The postgres search backend counts facets with one addition a document: `search_codes` gives each
facet code a lane of 8 digits, `search_documents.facet_lanes` holds the sum of a document's lanes
but its areas', `area_lanes` that of its areas. The trigger also counts the documents (the empty
stem of `search_terms`, the idf's N) instead of every search counting them. The radius reads a
B-tree index on (lat, lon) instead of the GiST index on point(lon, lat), whose fixed 0.1 % estimate
made the planner read the box even when half the listings were in it. The documents written before
this migration have no lanes: the search's format changes (SCHEMA_VERSION 2), so it answers 503
until `flask search reindex` (compose's migrate step runs it) rewrites them.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0018_search_speed'
down_revision = '0017_lists'
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
    op.execute(COUNT_FUNCTION)
    op.execute("INSERT INTO search_terms (stem, documents) SELECT '', count(*) FROM search_documents "
               "ON CONFLICT (stem) DO UPDATE SET documents = EXCLUDED.documents")
    op.add_column('search_documents', sa.Column('facet_lanes', sa.Numeric(), nullable=False, server_default='0'))
    op.add_column('search_documents', sa.Column('area_lanes', sa.Numeric(), nullable=False, server_default='0'))
    op.alter_column('search_documents', 'facet_lanes', server_default=None)
    op.alter_column('search_documents', 'area_lanes', server_default=None)
    op.drop_index('ix_search_documents_position', table_name='search_documents')
    op.create_index('ix_search_documents_place', 'search_documents', ['lat', 'lon'], unique=False)
    op.create_table('search_codes',
    sa.Column('code', sa.Text(), nullable=False),
    sa.Column('lane', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('code', name='search_codes_pkey'),
    sa.UniqueConstraint('lane', name='search_codes_lane_key')
    )


def downgrade():
    if op.get_bind().dialect.name != 'postgresql':
        return
    op.drop_table('search_codes')
    op.drop_index('ix_search_documents_place', table_name='search_documents')
    op.create_index('ix_search_documents_position', 'search_documents', [sa.text('point(lon, lat)')],
                    unique=False, postgresql_using='gist')
    op.drop_column('search_documents', 'area_lanes')
    op.drop_column('search_documents', 'facet_lanes')
    op.execute("DELETE FROM search_terms WHERE stem = ''")
    op.execute(OLD_COUNT_FUNCTION)

