"""services of an organisation: an index by organisation, status and name (issue #17)

Revision ID: 0024_services_of_organization
Revises: 0023_signal_municipality
Create Date: 2026-12-06 15:15:00.000000

A service page lists its organisation's other published services by name, and so does the
organisation's page. SQLite answered from ix_services_listed_by_name (0022), which is in name
order: it read every published service to keep an organisation's few (2,000 services: 0.76 ms a
page). With this index it reads the organisation's published services in name order. Nothing
else changes.
"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '0024_services_of_organization'
down_revision = '0023_signal_municipality'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('services', schema=None) as batch_op:
        batch_op.create_index(
            'ix_services_of_organization', ['organization_id', 'publication_status', 'name'], unique=False
        )


def downgrade():
    with op.batch_alter_table('services', schema=None) as batch_op:
        batch_op.drop_index('ix_services_of_organization')
