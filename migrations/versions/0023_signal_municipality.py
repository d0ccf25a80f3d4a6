"""signal municipality: in a region, the municipality of a signal without a village (issue #20)

Revision ID: 0023_signal_municipality
Revises: 0022_services_by_name
Create Date: 2026-12-06 12:00:00.000000

A resident of a region who does not know the village, or lives outside one, names the
municipality instead, so the signal goes to that municipality's team and no other. A signal
with a village belongs to the village's municipality; existing signals keep NULL: the
municipality of their area, or without one the installation's own, as before.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0023_signal_municipality'
down_revision = '0022_services_by_name'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('signals', schema=None) as batch_op:
        batch_op.add_column(sa.Column('municipality_code', sa.String(length=8), nullable=True))


def downgrade():
    with op.batch_alter_table('signals', schema=None) as batch_op:
        batch_op.drop_column('municipality_code')
