"""等保-grade access: account lockout after failed logins, and the auditor role.

- ``user.locked_until``: when a lockout after too many failed logins ends (``core.users``).
- ``login_failure``: the failed logins of each user that still count towards a lockout.
- The auditor role (审计管理员) is a new value of ``grant.role``, a plain string: no change there.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-05 17:15:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("user") as batch:
        batch.add_column(sa.Column("locked_until", sa.DateTime(timezone=True), nullable=True))
    op.create_table(
        "login_failure",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["user.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(op.f("ix_login_failure_user_id"), "login_failure", ["user_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_login_failure_user_id"), table_name="login_failure")
    op.drop_table("login_failure")
    with op.batch_alter_table("user") as batch:
        batch.drop_column("locked_until")
