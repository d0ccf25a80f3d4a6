"""services by name: an index in the API's order (issue #17)

Revision ID: 0022_services_by_name
Revises: 0021_municipalities
Create Date: 2026-12-06 10:00:00.000000

The HSDS API lists published services by name (and id) a page at a time; without an index in that order the
database sorted every published service for each page (6 ms of a 2,000-service list's request on
SQLite). Nothing else changes.
"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '0022_services_by_name'
down_revision = '0021_municipalities'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('services', schema=None) as batch_op:
        batch_op.create_index('ix_services_listed_by_name', ['publication_status', 'name', 'uuid'], unique=False)


def downgrade():
    with op.batch_alter_table('services', schema=None) as batch_op:
        batch_op.drop_index('ix_services_listed_by_name')
