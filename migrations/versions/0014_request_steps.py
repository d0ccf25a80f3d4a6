"""help request in steps: drafts of the form in steps, and a period instead of a date (issue #14)

Revision ID: 0014_request_steps
Revises: 0013_ranking_reason_codes
Create Date: 2026-12-13 10:00:00.000000

request_drafts holds what a resident typed on the steps of /hulp-vragen until it is sent (the
browser keeps only a random key). help_requests.period_weeks (nullable) marks a one-off request
for any day within that many weeks ("geen haast"); existing requests keep NULL (a fixed date).
Adding a nullable column needs no table rebuild on SQLite.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0014_request_steps'
down_revision = '0013_ranking_reason_codes'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('request_drafts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('key_hash', sa.String(length=64), nullable=False),
    sa.Column('data', sa.JSON(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_request_drafts')),
    sa.UniqueConstraint('key_hash', name=op.f('uq_request_drafts_key_hash'))
    )
    with op.batch_alter_table('request_drafts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_request_drafts_updated_at'), ['updated_at'], unique=False)
    op.add_column('help_requests', sa.Column('period_weeks', sa.Integer(), nullable=True))


def downgrade():
    # a plain DROP COLUMN (SQLite 3.35+): a batch rebuild of help_requests would cascade to its rows
    op.drop_column('help_requests', 'period_weeks')
    with op.batch_alter_table('request_drafts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_request_drafts_updated_at'))
    op.drop_table('request_drafts')
