"""areas: the contact of the area's dorpsteam (name, phone, e-mail, address, spreekuur) (issue #11)

Revision ID: 0005_area_contacts
Revises: 0004_matching
Create Date: 2026-11-30 10:30:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0005_area_contacts'
down_revision = '0004_matching'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('areas', schema=None) as batch_op:
        batch_op.add_column(sa.Column('contact_name', sa.String(length=120), nullable=True))
        batch_op.add_column(sa.Column('contact_phone', sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column('contact_email', sa.String(length=254), nullable=True))
        batch_op.add_column(sa.Column('contact_address', sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column('contact_hours', sa.String(length=200), nullable=True))


def downgrade():
    with op.batch_alter_table('areas', schema=None) as batch_op:
        batch_op.drop_column('contact_hours')
        batch_op.drop_column('contact_address')
        batch_op.drop_column('contact_email')
        batch_op.drop_column('contact_phone')
        batch_op.drop_column('contact_name')
