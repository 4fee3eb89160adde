"""Each evaluation's points per block of its scheme, stored beside its lines (``blocksubtotal``).

The dashboard's heatmap summed every line of a period (6 M at 100 000 branches × 60 indicators)
to get each block's points; it now sums these few rows per evaluation. Existing results get
theirs from their lines here, in one ``INSERT … SELECT``: a line's block is its indicator's in
the evaluation's cycle (the frozen scheme), as ``engine.block_subtotals`` has it when scoring.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-24 19:00:00
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

BACKFILL = """
INSERT INTO blocksubtotal (evaluation_id, block_code, points)
SELECT line.evaluation_id, indicator.block_code, SUM(line.points)
FROM evaluationline AS line
JOIN evaluation ON evaluation.id = line.evaluation_id
JOIN indicator ON indicator.cycle_id = evaluation.cycle_id AND indicator.code = line.indicator_code
GROUP BY line.evaluation_id, indicator.block_code
"""


def upgrade() -> None:
    op.create_table(
        "blocksubtotal",
        sa.Column("evaluation_id", sa.Integer(), nullable=False),
        sa.Column("block_code", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("points", sa.Float(), nullable=False),
        sa.ForeignKeyConstraint(["evaluation_id"], ["evaluation.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("evaluation_id", "block_code"),
        sqlite_with_rowid=False,
    )
    op.execute(BACKFILL)


def downgrade() -> None:
    op.drop_table("blocksubtotal")
