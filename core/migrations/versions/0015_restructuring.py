"""Restructuring (机构调整): ``restructuring``, each dated change of the organisation tree — a merge, a split, a
move, a rename, a dissolution — and ``orglineage``, the predecessor → successor links of merges and splits
(``heir``: the successor that carries a predecessor's history and its facts in periods not yet closed).

Nothing already stored changes: the tree as it is has no recorded restructuring, and no lineage.

Revision ID: 0015_restructuring
Revises: 0014_frozen_inputs
Create Date: 2026-12-06 12:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0015_restructuring"
down_revision = "0014_frozen_inputs"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "restructuring",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("tenant_id", sa.Integer(), sa.ForeignKey("tenant.id"), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("org_id", sa.Integer(), sa.ForeignKey("organization.id"), nullable=True),
        sa.Column("effective_on", sa.Date(), nullable=False),
        sa.Column("actor", sa.String(length=100), nullable=False),
        sa.Column("note", sa.String(), nullable=False),
        sa.Column("detail", sa.JSON(), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_restructuring_org_id", "restructuring", ["org_id"])
    op.create_index("ix_restructuring_tenant_recorded", "restructuring", ["tenant_id", "recorded_at"])
    op.create_table(
        "orglineage",
        sa.Column("restructuring_id", sa.Integer(), sa.ForeignKey("restructuring.id"), primary_key=True),
        sa.Column("predecessor_id", sa.Integer(), sa.ForeignKey("organization.id"), primary_key=True),
        sa.Column("successor_id", sa.Integer(), sa.ForeignKey("organization.id"), primary_key=True),
        sa.Column("heir", sa.Boolean(), nullable=False),
    )
    op.create_index("ix_orglineage_successor_id", "orglineage", ["successor_id"])


def downgrade() -> None:
    op.drop_index("ix_orglineage_successor_id", table_name="orglineage")
    op.drop_table("orglineage")
    op.drop_index("ix_restructuring_tenant_recorded", table_name="restructuring")
    op.drop_index("ix_restructuring_org_id", table_name="restructuring")
    op.drop_table("restructuring")
