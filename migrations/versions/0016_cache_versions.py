"""cache versions: the version stamp of the directory data each process holds in memory (issue #17)

Revision ID: 0016_cache_versions
Revises: 0015_search_log_months
Create Date: 2026-12-20 10:00:00.000000

Every commit that changes a directory row writes a new stamp in the row 'directory'; each process
compares it with the stamp its copy of vocabularies, areas and the freshness exclusion was made at.
The table starts empty: the first change writes the row, and a process reads a missing row as one stamp.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0016_cache_versions'
down_revision = '0015_search_log_months'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('cache_versions',
    sa.Column('name', sa.String(length=32), nullable=False),
    sa.Column('stamp', sa.String(length=32), nullable=False),
    sa.Column('changed_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('name', name=op.f('pk_cache_versions'))
    )


def downgrade():
    op.drop_table('cache_versions')
