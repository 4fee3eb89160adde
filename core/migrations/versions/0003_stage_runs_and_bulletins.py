"""Stage runs, bulletins, the source of a rectification notice and the tenant's review policy.

- ``stagerun``: one row per calendar stage a tenant ran (unique key per tenant), linked to its
  Prefect flow run, so a stage is never acted out twice;
- ``bulletin``: the period bulletins (通报) kept in the assessment archive;
- ``rectification.incentive_id``: a notice issued for a rectification incentive; with
  ``finding_id`` both unique, so issuing notices again never duplicates one;
- ``tenant.auto_confirm_review``: annual results are published without a leader's confirmation.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23 17:40:00
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "stagerun",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("cycle_id", sa.Integer(), nullable=True),
        sa.Column("key", sqlmodel.sql.sqltypes.AutoString(length=128), nullable=False),
        sa.Column("stage", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("period", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("flow_run_id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("detail", sa.JSON(), nullable=False),
        sa.Column("error", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.ForeignKeyConstraint(["cycle_id"], ["cycle.id"]),
        sa.ForeignKeyConstraint(["tenant_id"], ["tenant.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("tenant_id", "key"),
    )
    op.create_index(op.f("ix_stagerun_tenant_id"), "stagerun", ["tenant_id"], unique=False)
    op.create_index(op.f("ix_stagerun_cycle_id"), "stagerun", ["cycle_id"], unique=False)
    op.create_table(
        "bulletin",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("cycle_id", sa.Integer(), nullable=False),
        sa.Column("period", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("title", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("docx_path", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("xlsx_path", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["cycle_id"], ["cycle.id"]),
        sa.ForeignKeyConstraint(["tenant_id"], ["tenant.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("cycle_id", "period"),
    )
    op.create_index(op.f("ix_bulletin_tenant_id"), "bulletin", ["tenant_id"], unique=False)
    op.create_index(op.f("ix_bulletin_cycle_id"), "bulletin", ["cycle_id"], unique=False)
    with op.batch_alter_table("rectification", schema=None) as batch_op:
        batch_op.add_column(sa.Column("incentive_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key("fk_rectification_incentive_id", "incentive", ["incentive_id"], ["id"])
        batch_op.create_unique_constraint("uq_rectification_incentive_id", ["incentive_id"])
        batch_op.create_unique_constraint("uq_rectification_finding_id", ["finding_id"])
    with op.batch_alter_table("tenant", schema=None) as batch_op:
        batch_op.add_column(sa.Column("auto_confirm_review", sa.Boolean(), nullable=False,
                                      server_default=sa.false()))


def downgrade() -> None:
    with op.batch_alter_table("tenant", schema=None) as batch_op:
        batch_op.drop_column("auto_confirm_review")
    with op.batch_alter_table("rectification", schema=None) as batch_op:
        batch_op.drop_constraint("uq_rectification_finding_id", type_="unique")
        batch_op.drop_constraint("uq_rectification_incentive_id", type_="unique")
        batch_op.drop_constraint("fk_rectification_incentive_id", type_="foreignkey")
        batch_op.drop_column("incentive_id")
    op.drop_index(op.f("ix_bulletin_cycle_id"), table_name="bulletin")
    op.drop_index(op.f("ix_bulletin_tenant_id"), table_name="bulletin")
    op.drop_table("bulletin")
    op.drop_index(op.f("ix_stagerun_cycle_id"), table_name="stagerun")
    op.drop_index(op.f("ix_stagerun_tenant_id"), table_name="stagerun")
    op.drop_table("stagerun")
