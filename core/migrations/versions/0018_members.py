"""The party members' register (党员名册) and its history of transfers (组织关系转接).

- ``member``: one row per member of the tenant, keyed by the tenant's member number (``code``), in a branch or a
  party group; birth date and phone are personal data (``core.members.privacy``).
- ``membertransfer``: each move of a member's organisational relationship, dated: onto the register (from none),
  between organisations, off it (to none).

New tables only: nothing there is changes.

Revision ID: 0018_members
Revises: 0017_late_facts
Create Date: 2026-12-06 20:30:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0018_members"
down_revision = "0017_late_facts"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "member",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("org_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("gender", sa.String(length=16), nullable=True),
        sa.Column("birth_date", sa.Date(), nullable=True),
        sa.Column("joined_on", sa.Date(), nullable=True),
        sa.Column("status", sa.String(length=32), nullable=False),
        sa.Column("post", sa.String(length=100), nullable=False),
        sa.Column("phone", sa.String(length=32), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("left_on", sa.Date(), nullable=True),
        sa.ForeignKeyConstraint(["org_id"], ["organization.id"]),
        sa.ForeignKeyConstraint(["tenant_id"], ["tenant.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("tenant_id", "code"),
    )
    op.create_index(op.f("ix_member_tenant_id"), "member", ["tenant_id"], unique=False)
    op.create_index(op.f("ix_member_org_id"), "member", ["org_id"], unique=False)
    op.create_table(
        "membertransfer",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("from_org_id", sa.Integer(), nullable=True),
        sa.Column("to_org_id", sa.Integer(), nullable=True),
        sa.Column("moved_on", sa.Date(), nullable=False),
        sa.Column("note", sa.String(length=300), nullable=False),
        sa.Column("actor", sa.String(length=100), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["from_org_id"], ["organization.id"]),
        sa.ForeignKeyConstraint(["member_id"], ["member.id"]),
        sa.ForeignKeyConstraint(["tenant_id"], ["tenant.id"]),
        sa.ForeignKeyConstraint(["to_org_id"], ["organization.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(op.f("ix_membertransfer_tenant_id"), "membertransfer", ["tenant_id"], unique=False)
    op.create_index("ix_membertransfer_member_moved", "membertransfer", ["member_id", "moved_on"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_membertransfer_member_moved", table_name="membertransfer")
    op.drop_index(op.f("ix_membertransfer_tenant_id"), table_name="membertransfer")
    op.drop_table("membertransfer")
    op.drop_index(op.f("ix_member_org_id"), table_name="member")
    op.drop_index(op.f("ix_member_tenant_id"), table_name="member")
    op.drop_table("member")
