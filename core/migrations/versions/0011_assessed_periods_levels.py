"""Scores a real scheme can be published on: assessed points, the rate, every level, the publication date.

- ``evaluation.assessed_points``: the points assessed in the period (本期考核分值), the lines not assessed
  (本期不考核) left out; ``evaluation.rate``: the total as a share of them, × 100 (得分率).
- ``evaluation.level``: the level of the organisation assessed (党支部, 党总支 …): results rank within it.
- ``evaluation.published_at``: when the period's results were first published; policies count their
  deadlines from it, and publishing again keeps it.
- ``evaluationline.assessed``: whether the line was assessed in the period.

Rows scored before this revision were scored as if every line was assessed: their assessed points are
the scheme's total, their rate their total.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-05 21:50:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("evaluation") as batch:
        batch.add_column(sa.Column("assessed_points", sa.Float(), nullable=False, server_default="100"))
        batch.add_column(sa.Column("rate", sa.Float(), nullable=False, server_default="0"))
        batch.add_column(sa.Column("level", sa.String(length=32), nullable=False, server_default="branch"))
        batch.add_column(sa.Column("published_at", sa.DateTime(timezone=True), nullable=True))
    op.execute("UPDATE evaluation SET rate = total")
    with op.batch_alter_table("evaluationline") as batch:
        batch.add_column(sa.Column("assessed", sa.Boolean(), nullable=False, server_default=sa.true()))


def downgrade() -> None:
    with op.batch_alter_table("evaluationline") as batch:
        batch.drop_column("assessed")
    with op.batch_alter_table("evaluation") as batch:
        batch.drop_column("published_at")
        batch.drop_column("level")
        batch.drop_column("rate")
        batch.drop_column("assessed_points")
