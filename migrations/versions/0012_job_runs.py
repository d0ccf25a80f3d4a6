"""job runs: the scheduler's record of each job's run per slot, unique on (job, slot) (issue #16)

Revision ID: 0012_job_runs
Revises: 0011_area_population
Create Date: 2026-12-06 10:00:00.000000

`flask jobs schedule` inserts a row before it runs a job; the unique (job, slot) pair makes a
second scheduler (another server, a restart) skip a slot that is taken.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0012_job_runs'
down_revision = '0011_area_population'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('job_runs',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('job', sa.String(length=40), nullable=False),
    sa.Column('slot', sa.String(length=40), nullable=False),
    sa.Column('status', sa.String(length=8), nullable=False),
    sa.Column('started_at', sa.DateTime(), nullable=False),
    sa.Column('finished_at', sa.DateTime(), nullable=True),
    sa.Column('summary', sa.Text(), nullable=False),
    sa.Column('host', sa.String(length=100), nullable=False),
    sa.CheckConstraint("status IN ('running', 'ok', 'failed')", name=op.f('ck_job_runs_status')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_job_runs')),
    sa.UniqueConstraint('job', 'slot', name=op.f('uq_job_runs_job'))
    )
    with op.batch_alter_table('job_runs', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_job_runs_started_at'), ['started_at'], unique=False)


def downgrade():
    with op.batch_alter_table('job_runs', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_job_runs_started_at'))

    op.drop_table('job_runs')
