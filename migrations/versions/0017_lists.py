"""lists: "Mijn lijstje" of an account and short links to a read-only copy of a list (issue #19)

Revision ID: 0017_lists
Revises: 0016_cache_versions
Create Date: 2026-12-21 10:00:00.000000

Four new tables, nothing else changes: `service_lists` (one per account, optionally for a caller's
help request) with `service_list_items`, and `shared_lists` (a random token, an area for the dorpsteam
contact, an expiry; no person) with `shared_list_items`. A list without an account lives in the session.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0017_lists'
down_revision = '0016_cache_versions'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('shared_lists',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('token', sa.String(length=32), nullable=False),
    sa.Column('area_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('expires_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['area_id'], ['areas.id'], name=op.f('fk_shared_lists_area_id_areas'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_shared_lists')),
    sa.UniqueConstraint('token', name=op.f('uq_shared_lists_token'))
    )
    with op.batch_alter_table('shared_lists', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_shared_lists_expires_at'), ['expires_at'], unique=False)

    op.create_table('service_lists',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('owner_id', sa.Integer(), nullable=False),
    sa.Column('request_id', sa.Integer(), nullable=True),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['owner_id'], ['users.id'], name=op.f('fk_service_lists_owner_id_users'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['request_id'], ['help_requests.id'], name=op.f('fk_service_lists_request_id_help_requests'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_service_lists')),
    sa.UniqueConstraint('owner_id', name=op.f('uq_service_lists_owner_id'))
    )
    with op.batch_alter_table('service_lists', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_service_lists_request_id'), ['request_id'], unique=False)

    op.create_table('shared_list_items',
    sa.Column('shared_list_id', sa.Integer(), nullable=False),
    sa.Column('service_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['service_id'], ['services.id'], name=op.f('fk_shared_list_items_service_id_services'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['shared_list_id'], ['shared_lists.id'], name=op.f('fk_shared_list_items_shared_list_id_shared_lists'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('shared_list_id', 'service_id', name=op.f('pk_shared_list_items'))
    )
    with op.batch_alter_table('shared_list_items', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_shared_list_items_service_id'), ['service_id'], unique=False)

    op.create_table('service_list_items',
    sa.Column('list_id', sa.Integer(), nullable=False),
    sa.Column('service_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['list_id'], ['service_lists.id'], name=op.f('fk_service_list_items_list_id_service_lists'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['service_id'], ['services.id'], name=op.f('fk_service_list_items_service_id_services'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('list_id', 'service_id', name=op.f('pk_service_list_items'))
    )
    with op.batch_alter_table('service_list_items', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_service_list_items_service_id'), ['service_id'], unique=False)



def downgrade():
    with op.batch_alter_table('service_list_items', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_service_list_items_service_id'))

    op.drop_table('service_list_items')
    with op.batch_alter_table('shared_list_items', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_shared_list_items_service_id'))

    op.drop_table('shared_list_items')
    with op.batch_alter_table('service_lists', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_service_lists_request_id'))

    op.drop_table('service_lists')
    with op.batch_alter_table('shared_lists', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_shared_lists_expires_at'))

    op.drop_table('shared_lists')
