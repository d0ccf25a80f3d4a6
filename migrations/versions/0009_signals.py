"""signals: "zorgen over iemand" reported to the village team, its history and access log (issue #15)

Revision ID: 0009_signals
Revises: 0008_search_documents
Create Date: 2026-12-05 09:00:00.000000

Three new tables, nothing else changes: `signals` (a report, its status and due date; the
personal fields are erased six months after closing), `signal_events` (received, status changes
with the outcome, notes) and `signal_views` (who opened a signal: the access log).
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0009_signals'
down_revision = '0008_search_documents'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('signals',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('outcome', sa.String(length=16), nullable=True),
    sa.Column('themes', sa.JSON(), nullable=False),
    sa.Column('area_id', sa.Integer(), nullable=True),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('subject_name', sa.String(length=120), nullable=False),
    sa.Column('subject_address', sa.String(length=200), nullable=False),
    sa.Column('reporter_name', sa.String(length=120), nullable=False),
    sa.Column('reporter_email', sa.String(length=254), nullable=False),
    sa.Column('reporter_phone', sa.String(length=32), nullable=False),
    sa.Column('reporter_id', sa.Integer(), nullable=True),
    sa.Column('language', sa.String(length=2), nullable=False),
    sa.Column('received_at', sa.DateTime(), nullable=False),
    sa.Column('due_on', sa.Date(), nullable=False),
    sa.Column('picked_up_at', sa.DateTime(), nullable=True),
    sa.Column('followed_up_at', sa.DateTime(), nullable=True),
    sa.Column('closed_at', sa.DateTime(), nullable=True),
    sa.Column('reminded_at', sa.DateTime(), nullable=True),
    sa.Column('erased_at', sa.DateTime(), nullable=True),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint("outcome IS NULL OR outcome IN ('help_arranged', 'referred', 'no_concern', 'not_reached')", name=op.f('ck_signals_outcome')),
    sa.CheckConstraint("status <> 'closed' OR outcome IS NOT NULL", name=op.f('ck_signals_closed_outcome')),
    sa.CheckConstraint("status IN ('new', 'in_progress', 'contact_made', 'closed')", name=op.f('ck_signals_status')),
    sa.ForeignKeyConstraint(['area_id'], ['areas.id'], name=op.f('fk_signals_area_id_areas'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['reporter_id'], ['users.id'], name=op.f('fk_signals_reporter_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_signals'))
    )
    with op.batch_alter_table('signals', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_signals_area_id'), ['area_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_signals_closed_at'), ['closed_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_signals_received_at'), ['received_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_signals_reporter_id'), ['reporter_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_signals_status'), ['status'], unique=False)

    op.create_table('signal_events',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('signal_id', sa.Integer(), nullable=False),
    sa.Column('action', sa.String(length=16), nullable=False),
    sa.Column('from_status', sa.String(length=16), nullable=True),
    sa.Column('to_status', sa.String(length=16), nullable=True),
    sa.Column('outcome', sa.String(length=16), nullable=True),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('actor_name', sa.String(length=120), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint("action IN ('received', 'status', 'note')", name=op.f('ck_signal_events_action')),
    sa.ForeignKeyConstraint(['actor_id'], ['users.id'], name=op.f('fk_signal_events_actor_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['signal_id'], ['signals.id'], name=op.f('fk_signal_events_signal_id_signals'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_signal_events'))
    )
    with op.batch_alter_table('signal_events', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_signal_events_signal_id'), ['signal_id'], unique=False)

    op.create_table('signal_views',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('signal_id', sa.Integer(), nullable=False),
    sa.Column('viewer_id', sa.Integer(), nullable=True),
    sa.Column('viewer_name', sa.String(length=120), nullable=False),
    sa.Column('viewer_role', sa.String(length=16), nullable=False),
    sa.Column('what', sa.String(length=16), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['signal_id'], ['signals.id'], name=op.f('fk_signal_views_signal_id_signals'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['viewer_id'], ['users.id'], name=op.f('fk_signal_views_viewer_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_signal_views'))
    )
    with op.batch_alter_table('signal_views', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_signal_views_created_at'), ['created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_signal_views_signal_id'), ['signal_id'], unique=False)



def downgrade():
    with op.batch_alter_table('signal_views', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_signal_views_signal_id'))
        batch_op.drop_index(batch_op.f('ix_signal_views_created_at'))

    op.drop_table('signal_views')
    with op.batch_alter_table('signal_events', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_signal_events_signal_id'))

    op.drop_table('signal_events')
    with op.batch_alter_table('signals', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_signals_status'))
        batch_op.drop_index(batch_op.f('ix_signals_reporter_id'))
        batch_op.drop_index(batch_op.f('ix_signals_received_at'))
        batch_op.drop_index(batch_op.f('ix_signals_closed_at'))
        batch_op.drop_index(batch_op.f('ix_signals_area_id'))

    op.drop_table('signals')
