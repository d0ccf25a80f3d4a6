"""HSDS import keeps what a package carries (issue #18): phone details, schedule dates and recurrence,
cost options, imported taxonomies and their links to services

Revision ID: 0019_hsds_import_fields
Revises: 0018_search_speed
Create Date: 2026-12-23 10:00:00.000000

Organisations and services get the HSDS phone object around their one number (id, extension, type,
description); schedules the HSDS fields besides weekday and hours (validity dates, dtstart, until,
count, interval, wkst, byweekno, bymonthday, byyearday, UTC offset, link, attending type, notes);
taxonomies their uri and version, terms their language and uri. Two new tables: `cost_options` (an
imported package's prices) and `service_attributes` (a service's terms of an imported taxonomy).
Existing rows keep their values; the new columns are empty.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0019_hsds_import_fields'
down_revision = '0018_search_speed'
branch_labels = None
depends_on = None


def _phone_columns():
    return [
        sa.Column('phone_uuid', sa.String(length=36), nullable=True),
        sa.Column('phone_extension', sa.Integer(), nullable=True),
        sa.Column('phone_type', sa.String(length=16), nullable=True),
        sa.Column('phone_description', sa.Text(), nullable=False, server_default=''),
    ]


def upgrade():
    for table in ('organizations', 'services'):
        with op.batch_alter_table(table, schema=None) as batch_op:
            for column in _phone_columns():
                batch_op.add_column(column)

    with op.batch_alter_table('schedules', schema=None) as batch_op:
        batch_op.add_column(sa.Column('valid_from', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('valid_to', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('dtstart', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('until', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('occurrences', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('interval_weeks', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('wkst', sa.String(length=2), nullable=True))
        batch_op.add_column(sa.Column('byweekno', sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column('bymonthday', sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column('byyearday', sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column('utc_offset', sa.Float(), nullable=True))
        batch_op.add_column(sa.Column('schedule_link', sa.String(length=500), nullable=True))
        batch_op.add_column(sa.Column('attending_type', sa.Text(), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('notes', sa.Text(), nullable=False, server_default=''))

    with op.batch_alter_table('taxonomies', schema=None) as batch_op:
        batch_op.add_column(sa.Column('uri', sa.String(length=500), nullable=True))
        batch_op.add_column(sa.Column('version', sa.String(length=64), nullable=True))

    with op.batch_alter_table('taxonomy_terms', schema=None) as batch_op:
        batch_op.add_column(sa.Column('language', sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column('term_uri', sa.String(length=500), nullable=True))

    op.create_table('cost_options',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('uuid', sa.String(length=36), nullable=False),
    sa.Column('service_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('option', sa.Text(), nullable=False),
    sa.Column('amount', sa.Float(), nullable=True),
    sa.Column('currency', sa.String(length=3), nullable=True),
    sa.Column('amount_description', sa.Text(), nullable=False),
    sa.Column('valid_from', sa.Date(), nullable=True),
    sa.Column('valid_to', sa.Date(), nullable=True),
    sa.ForeignKeyConstraint(['service_id'], ['services.id'], name=op.f('fk_cost_options_service_id_services'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_cost_options')),
    sa.UniqueConstraint('uuid', name=op.f('uq_cost_options_uuid'))
    )
    with op.batch_alter_table('cost_options', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_cost_options_service_id'), ['service_id'], unique=False)

    op.create_table('service_attributes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('uuid', sa.String(length=36), nullable=False),
    sa.Column('service_id', sa.Integer(), nullable=False),
    sa.Column('term_id', sa.Integer(), nullable=False),
    sa.Column('link_type', sa.String(length=64), nullable=True),
    sa.Column('value', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['service_id'], ['services.id'], name=op.f('fk_service_attributes_service_id_services'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['term_id'], ['taxonomy_terms.id'], name=op.f('fk_service_attributes_term_id_taxonomy_terms'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_service_attributes')),
    sa.UniqueConstraint('uuid', name=op.f('uq_service_attributes_uuid'))
    )
    with op.batch_alter_table('service_attributes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_service_attributes_service_id'), ['service_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_service_attributes_term_id'), ['term_id'], unique=False)


def downgrade():
    with op.batch_alter_table('service_attributes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_service_attributes_term_id'))
        batch_op.drop_index(batch_op.f('ix_service_attributes_service_id'))
    op.drop_table('service_attributes')

    with op.batch_alter_table('cost_options', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_cost_options_service_id'))
    op.drop_table('cost_options')

    with op.batch_alter_table('taxonomy_terms', schema=None) as batch_op:
        batch_op.drop_column('term_uri')
        batch_op.drop_column('language')

    with op.batch_alter_table('taxonomies', schema=None) as batch_op:
        batch_op.drop_column('version')
        batch_op.drop_column('uri')

    with op.batch_alter_table('schedules', schema=None) as batch_op:
        for name in ('notes', 'attending_type', 'schedule_link', 'utc_offset', 'byyearday', 'bymonthday',
                     'byweekno', 'wkst', 'interval_weeks', 'occurrences', 'until', 'dtstart', 'valid_to',
                     'valid_from'):
            batch_op.drop_column(name)

    for table in ('services', 'organizations'):
        with op.batch_alter_table(table, schema=None) as batch_op:
            for name in ('phone_description', 'phone_type', 'phone_extension', 'phone_uuid'):
                batch_op.drop_column(name)
