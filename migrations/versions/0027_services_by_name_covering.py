"""services by name, covering: the API's list read from the index alone (issue #17)

Revision ID: 0027_services_by_name_covering
Revises: 0026_search_bitsets
Create Date: 2026-12-07 13:00:00.000000

ix_services_listed_by_name (0022) gives the HSDS API's list in its order (published, by name and uuid), but
the list also leaves out defunct services and returns ids, so the database read the table row of every
service it skipped past: page 50 of a 2,000-service list read 1,000 rows (0.36 ms of a 2.3 ms request on
SQLite). With status and id in the index, SQLite and PostgreSQL (an index-only scan) answer from the index:
0.06 ms. Nothing else changes.
"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '0027_services_by_name_covering'
down_revision = '0026_search_bitsets'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('services', schema=None) as batch_op:
        batch_op.drop_index('ix_services_listed_by_name')
        batch_op.create_index(
            'ix_services_listed_by_name', ['publication_status', 'name', 'uuid', 'status', 'id'], unique=False
        )


def downgrade():
    with op.batch_alter_table('services', schema=None) as batch_op:
        batch_op.drop_index('ix_services_listed_by_name')
        batch_op.create_index('ix_services_listed_by_name', ['publication_status', 'name', 'uuid'], unique=False)
