"""policy role: the beleidsmedewerker, who reads the area analysis's aggregated figures only (issue #15)

Revision ID: 0010_policy_role
Revises: 0009_signals
Create Date: 2026-12-05 10:00:00.000000

Only the check constraint on user_roles.role changes. Downgrading first removes the role from
everyone who has it (an account left without any role keeps working as one without rights).
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0010_policy_role'
down_revision = '0009_signals'
branch_labels = None
depends_on = None

OLD_ROLES = "role IN ('resident', 'volunteer', 'editor', 'broker', 'admin')"
NEW_ROLES = "role IN ('resident', 'volunteer', 'editor', 'broker', 'admin', 'policy')"


def upgrade():
    with op.batch_alter_table('user_roles', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_user_roles_role'), type_='check')
        batch_op.create_check_constraint('role', sa.text(NEW_ROLES))


def downgrade():
    op.execute("DELETE FROM user_roles WHERE role = 'policy'")
    with op.batch_alter_table('user_roles', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_user_roles_role'), type_='check')
        batch_op.create_check_constraint('role', sa.text(OLD_ROLES))
