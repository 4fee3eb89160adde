"""Evaluation lines no longer copy their indicator's points and rule.

Both are properties of the indicator frozen into the cycle (``indicator.points``, ``indicator.rule``)
and were repeated on every line: millions of copies at enterprise scale. Explanations read them from
the indicator.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23 14:40:00
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("evaluationline", schema=None) as batch_op:
        batch_op.drop_column("max_points")
        batch_op.drop_column("rule")


def downgrade() -> None:
    with op.batch_alter_table("evaluationline", schema=None) as batch_op:
        batch_op.add_column(sa.Column("rule", sqlmodel.sql.sqltypes.AutoString(length=128), nullable=False,
                                      server_default=""))
        batch_op.add_column(sa.Column("max_points", sa.Float(), nullable=False, server_default="0"))
    op.execute(
        "UPDATE evaluationline SET rule = (SELECT i.rule FROM indicator i JOIN evaluation e ON e.cycle_id = i.cycle_id "
        "WHERE e.id = evaluationline.evaluation_id AND i.code = evaluationline.indicator_code), "
        "max_points = (SELECT i.points FROM indicator i JOIN evaluation e ON e.cycle_id = i.cycle_id "
        "WHERE e.id = evaluationline.evaluation_id AND i.code = evaluationline.indicator_code)"
    )
