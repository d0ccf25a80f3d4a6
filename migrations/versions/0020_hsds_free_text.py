"""HSDS import keeps the last valid rows of Open Referral's example (issue #18): another country's
postcode, accessibility and a service area in words

Revision ID: 0020_hsds_free_text
Revises: 0019_hsds_import_fields
Create Date: 2026-12-24 10:00:00.000000

locations.postal_code widens from 7 to 16 characters, so a postcode of another country fits (a Dutch
one keeps its strict check in the import and the editor). Locations get the accessibility an HSDS
package describes in words (description, details, id); services a service area in words that is none
of our areas (name, description, id). Existing rows keep their values; the new columns are empty.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0020_hsds_free_text'
down_revision = '0019_hsds_import_fields'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('locations', schema=None) as batch_op:
        batch_op.alter_column(
            'postal_code', existing_type=sa.String(length=7), type_=sa.String(length=16), existing_nullable=False
        )
        batch_op.add_column(sa.Column('accessibility_note', sa.Text(), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('accessibility_details', sa.Text(), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('accessibility_note_uuid', sa.String(length=36), nullable=True))

    with op.batch_alter_table('services', schema=None) as batch_op:
        batch_op.add_column(sa.Column('area_note', sa.Text(), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('area_note_details', sa.Text(), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('area_note_uuid', sa.String(length=36), nullable=True))


def downgrade():
    with op.batch_alter_table('services', schema=None) as batch_op:
        for name in ('area_note_uuid', 'area_note_details', 'area_note'):
            batch_op.drop_column(name)

    # a foreign postcode longer than the old column is cut to fit
    op.execute("UPDATE locations SET postal_code = substr(postal_code, 1, 7) WHERE length(postal_code) > 7")
    with op.batch_alter_table('locations', schema=None) as batch_op:
        for name in ('accessibility_note_uuid', 'accessibility_details', 'accessibility_note'):
            batch_op.drop_column(name)
        batch_op.alter_column(
            'postal_code', existing_type=sa.String(length=16), type_=sa.String(length=7), existing_nullable=False
        )
