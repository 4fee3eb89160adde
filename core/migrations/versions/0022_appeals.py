"""Appeals (申诉) and reviews written as their authors.

``appeal``: a branch's appeal against one line of a published result and the office's decision;
``evidence.appeal_id``: files backing an appeal; ``reviewcomment.reviewer_id``: the user who wrote a review
(reviews written before this revision keep their typed name and no user).

Revision ID: 0022_appeals
Revises: 0021_tenant_schemes
Create Date: 2026-12-07 02:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0022_appeals"
down_revision = "0021_tenant_schemes"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "appeal",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("tenant_id", sa.Integer(), sa.ForeignKey("tenant.id"), nullable=False),
        sa.Column("cycle_id", sa.Integer(), sa.ForeignKey("cycle.id"), nullable=False),
        sa.Column("org_id", sa.Integer(), sa.ForeignKey("organization.id"), nullable=False),
        sa.Column("evaluation_id", sa.Integer(), sa.ForeignKey("evaluation.id"), nullable=False),
        sa.Column("period", sa.String(length=16), nullable=False),
        sa.Column("indicator_code", sa.String(length=64), nullable=False),
        sa.Column("points_then", sa.Float(), nullable=False),
        sa.Column("reason", sa.String(), nullable=False),
        sa.Column("lodged_by", sa.String(length=100), nullable=False),
        sa.Column("lodged_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("decided_by", sa.String(length=100), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("decision", sa.String(), nullable=False),
        sa.Column("points_after", sa.Float(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("evaluation_id", "indicator_code"),
    )
    for column in ("tenant_id", "cycle_id", "org_id", "evaluation_id"):
        op.create_index(op.f(f"ix_appeal_{column}"), "appeal", [column], unique=False)
    with op.batch_alter_table("evidence") as batch:
        batch.add_column(sa.Column("appeal_id", sa.Integer(), nullable=True))
        batch.create_foreign_key("fk_evidence_appeal_id_appeal", "appeal", ["appeal_id"], ["id"])
        batch.create_index(batch.f("ix_evidence_appeal_id"), ["appeal_id"], unique=False)
    with op.batch_alter_table("reviewcomment") as batch:
        batch.add_column(sa.Column("reviewer_id", sa.Integer(), nullable=True))
        batch.create_foreign_key("fk_reviewcomment_reviewer_id_user", "user", ["reviewer_id"], ["id"])


def downgrade() -> None:
    with op.batch_alter_table("reviewcomment") as batch:
        batch.drop_constraint("fk_reviewcomment_reviewer_id_user", type_="foreignkey")
        batch.drop_column("reviewer_id")
    with op.batch_alter_table("evidence") as batch:
        batch.drop_index(batch.f("ix_evidence_appeal_id"))
        batch.drop_constraint("fk_evidence_appeal_id_appeal", type_="foreignkey")
        batch.drop_column("appeal_id")
    for column in ("tenant_id", "cycle_id", "org_id", "evaluation_id"):
        op.drop_index(op.f(f"ix_appeal_{column}"), table_name="appeal")
    op.drop_table("appeal")
