"""Municipalities as data (issue #20): an installation serves one municipality or a region of several

Revision ID: 0021_municipalities
Revises: 0020_hsds_free_text
Create Date: 2026-12-05 10:00:00.000000

The table `municipalities` gets one row for every municipality code the areas name, and for the
installation's own (SOCIALE_KAART_MUNICIPALITY_CODE) when no area names it: an existing database
becomes a region of one, every id and row unchanged. The name comes from the settings for the
installation's own municipality, else from the bundled gazetteer. Accounts get the municipality a
staff member works for (empty: the whole region).
"""
import re
import unicodedata

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0021_municipalities'
down_revision = '0020_hsds_free_text'
branch_labels = None
depends_on = None


def _slug(name):
    ascii_name = unicodedata.normalize('NFKD', name).encode('ascii', 'ignore').decode('ascii')
    return re.sub(r'[^a-z0-9]+', '-', ascii_name.lower()).strip('-') or 'gemeente'


def _settings():
    """Return the installation's own (code, name), from the app's settings when there is an app."""
    try:
        from flask import current_app

        return str(current_app.config['MUNICIPALITY_CODE']), str(current_app.config['MUNICIPALITY_NAME'])
    except (ImportError, RuntimeError, KeyError):
        return '1581', 'Utrechtse Heuvelrug'


def _gazetteer_names():
    try:
        from sociale_kaart.geo.gazetteer import shared_gazetteer

        gazetteer = shared_gazetteer()
    except Exception:  # the migration never fails for want of a name: the code stands in
        return lambda code: None
    return lambda code: (gazetteer.municipality(code) or {}).get('name')


def upgrade():
    municipalities = op.create_table(
        'municipalities',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('code', sa.String(length=8), nullable=False),
        sa.Column('slug', sa.String(length=64), nullable=False),
        sa.Column('name', sa.String(length=120), nullable=False),
        sa.Column('brand', sa.String(length=16), nullable=False),
        sa.Column('cross_border_matching', sa.Boolean(), nullable=False),
        sa.Column('contact_name', sa.String(length=120), nullable=True),
        sa.Column('contact_phone', sa.String(length=32), nullable=True),
        sa.Column('contact_email', sa.String(length=254), nullable=True),
        sa.Column('contact_address', sa.String(length=200), nullable=True),
        sa.Column('contact_hours', sa.String(length=200), nullable=True),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_municipalities')),
        sa.UniqueConstraint('code', name=op.f('uq_municipalities_code')),
        sa.UniqueConstraint('slug', name=op.f('uq_municipalities_slug')),
    )
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('municipality_code', sa.String(length=8), nullable=True))
        batch_op.create_index(batch_op.f('ix_users_municipality_code'), ['municipality_code'], unique=False)

    own_code, own_name = _settings()
    connection = op.get_bind()
    codes = [row[0] for row in connection.execute(sa.text('SELECT DISTINCT municipality_code FROM areas'))]
    if own_code not in codes:
        codes.append(own_code)
    names = _gazetteer_names()
    from sociale_kaart import clock

    now = clock.naive_utcnow()
    rows, slugs = [], set()
    for code in sorted(codes):
        name = own_name if code == own_code else names(code) or f'Gemeente {code}'
        slug = _slug(name)
        while slug in slugs:
            slug += '-' + code
        slugs.add(slug)
        rows.append({'code': code, 'slug': slug, 'name': name, 'brand': 'blauw',
                     'cross_border_matching': False, 'created_at': now})
    op.bulk_insert(municipalities, rows)


def downgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_users_municipality_code'))
        batch_op.drop_column('municipality_code')
    op.drop_table('municipalities')
