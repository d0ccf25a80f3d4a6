"""search log months: each month of the anonymous search log that is over, added up for the area analysis (issue #15)

Revision ID: 0015_search_log_months
Revises: 0014_request_steps
Create Date: 2026-12-14 10:00:00.000000

search_log_months marks a month added up (`flask directory search-log-months`, nightly);
search_log_month_counts holds its counts per area and text. Both start empty: the analysis counts
every month from the entries until the job has added it up, so nothing needs filling here.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0015_search_log_months'
down_revision = '0014_request_steps'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('search_log_months',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('month', sa.Date(), nullable=False),
    sa.Column('searches', sa.Integer(), nullable=False),
    sa.Column('added_up_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_search_log_months')),
    sa.UniqueConstraint('month', name=op.f('uq_search_log_months_month'))
    )
    op.create_table('search_log_month_counts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('month_id', sa.Integer(), nullable=False),
    sa.Column('area_code', sa.String(length=64), nullable=True),
    sa.Column('query', sa.String(length=200), nullable=False),
    sa.Column('searches', sa.Integer(), nullable=False),
    sa.Column('zero', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['month_id'], ['search_log_months.id'], name=op.f('fk_search_log_month_counts_month_id_search_log_months'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_search_log_month_counts'))
    )
    with op.batch_alter_table('search_log_month_counts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_search_log_month_counts_month_id'), ['month_id'], unique=False)


def downgrade():
    with op.batch_alter_table('search_log_month_counts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_search_log_month_counts_month_id'))

    op.drop_table('search_log_month_counts')
    op.drop_table('search_log_months')
