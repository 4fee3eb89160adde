"""Member duties and responsibility lists (党员岗位职责、责任清单), and their records through the year.

- ``member_duty``: a member's duty for a year — 以岗定责 (``post``), 设岗定责 (``set``), 认岗定责 (``claimed``) — and its
  text, kept per person;
- ``duty_record``: a duty fulfilled, dated — a fact scored as ledger entries are (``recorded_at`` freezes it);
- ``responsibility_item``: an item of a unit's responsibility list for its class of secretary, for a year;
- ``responsibility_tick``: an item done, with its evidence, dated — a fact as well.

New tables only.

Revision ID: 0020_duties
Revises: 0019_ballot_rounds
Create Date: 2026-12-07 00:10:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0020_duties"
down_revision = "0019_ballot_rounds"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "responsibility_item",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("org_id", sa.Integer(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("text", sa.String(length=300), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("removed_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["org_id"],
            ["organization.id"],
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenant.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        op.f("ix_responsibility_item_org_id"),
        "responsibility_item",
        ["org_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_responsibility_item_tenant_id"),
        "responsibility_item",
        ["tenant_id"],
        unique=False,
    )
    op.create_table(
        "member_duty",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("org_id", sa.Integer(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("text", sa.String(length=300), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["member_id"],
            ["member.id"],
        ),
        sa.ForeignKeyConstraint(
            ["org_id"],
            ["organization.id"],
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenant.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        op.f("ix_member_duty_member_id"), "member_duty", ["member_id"], unique=False
    )
    op.create_index(
        op.f("ix_member_duty_tenant_id"), "member_duty", ["tenant_id"], unique=False
    )
    op.create_table(
        "responsibility_tick",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("org_id", sa.Integer(), nullable=False),
        sa.Column("date", sa.Date(), nullable=False),
        sa.Column("evidence", sa.String(length=500), nullable=False),
        sa.Column("recorded_by", sa.String(length=100), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["item_id"],
            ["responsibility_item.id"],
        ),
        sa.ForeignKeyConstraint(
            ["org_id"],
            ["organization.id"],
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenant.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        op.f("ix_responsibility_tick_item_id"),
        "responsibility_tick",
        ["item_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_responsibility_tick_org_id"),
        "responsibility_tick",
        ["org_id"],
        unique=False,
    )
    op.create_index(
        "ix_responsibility_tick_tenant_date",
        "responsibility_tick",
        ["tenant_id", "date"],
        unique=False,
    )
    op.create_index(
        "ix_responsibility_tick_tenant_recorded",
        "responsibility_tick",
        ["tenant_id", "recorded_at"],
        unique=False,
    )
    op.create_table(
        "duty_record",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("duty_id", sa.Integer(), nullable=False),
        sa.Column("org_id", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("date", sa.Date(), nullable=False),
        sa.Column("note", sa.String(length=300), nullable=False),
        sa.Column("recorded_by", sa.String(length=100), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["duty_id"],
            ["member_duty.id"],
        ),
        sa.ForeignKeyConstraint(
            ["member_id"],
            ["member.id"],
        ),
        sa.ForeignKeyConstraint(
            ["org_id"],
            ["organization.id"],
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenant.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        op.f("ix_duty_record_duty_id"), "duty_record", ["duty_id"], unique=False
    )
    op.create_index(
        op.f("ix_duty_record_org_id"), "duty_record", ["org_id"], unique=False
    )
    op.create_index(
        "ix_duty_record_tenant_date", "duty_record", ["tenant_id", "date"], unique=False
    )
    op.create_index(
        "ix_duty_record_tenant_recorded",
        "duty_record",
        ["tenant_id", "recorded_at"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index("ix_duty_record_tenant_recorded", table_name="duty_record")
    op.drop_index("ix_duty_record_tenant_date", table_name="duty_record")
    op.drop_index(op.f("ix_duty_record_org_id"), table_name="duty_record")
    op.drop_index(op.f("ix_duty_record_duty_id"), table_name="duty_record")
    op.drop_table("duty_record")
    op.drop_index(
        "ix_responsibility_tick_tenant_recorded", table_name="responsibility_tick"
    )
    op.drop_index(
        "ix_responsibility_tick_tenant_date", table_name="responsibility_tick"
    )
    op.drop_index(
        op.f("ix_responsibility_tick_org_id"), table_name="responsibility_tick"
    )
    op.drop_index(
        op.f("ix_responsibility_tick_item_id"), table_name="responsibility_tick"
    )
    op.drop_table("responsibility_tick")
    op.drop_index(op.f("ix_member_duty_tenant_id"), table_name="member_duty")
    op.drop_index(op.f("ix_member_duty_member_id"), table_name="member_duty")
    op.drop_table("member_duty")
    op.drop_index(
        op.f("ix_responsibility_item_tenant_id"), table_name="responsibility_item"
    )
    op.drop_index(
        op.f("ix_responsibility_item_org_id"), table_name="responsibility_item"
    )
    op.drop_table("responsibility_item")
