"""area population: CBS "Kerncijfers wijken en buurten" figures per area, for rates per 1,000 residents (issue #15)

Revision ID: 0011_area_population
Revises: 0010_policy_role
Create Date: 2026-12-05 10:10:00.000000

Filled by `flask insights import-population FILE`; empty until then (the analysis shows absolute
numbers only). A row without an area holds the whole municipality's figures.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0011_area_population'
down_revision = '0010_policy_role'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('area_population',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('area_id', sa.Integer(), nullable=True),
    sa.Column('region_codes', sa.String(length=200), nullable=False),
    sa.Column('year', sa.Integer(), nullable=True),
    sa.Column('residents', sa.Integer(), nullable=True),
    sa.Column('aged_65_plus', sa.Integer(), nullable=True),
    sa.Column('aged_75_plus', sa.Integer(), nullable=True),
    sa.Column('single_person_households', sa.Integer(), nullable=True),
    sa.Column('source', sa.String(length=300), nullable=False),
    sa.Column('imported_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['area_id'], ['areas.id'], name=op.f('fk_area_population_area_id_areas'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_area_population')),
    sa.UniqueConstraint('area_id', name=op.f('uq_area_population_area_id'))
    )


def downgrade():
    op.drop_table('area_population')
