"""Schemes adopted from files (方案文件): ``tenant_scheme`` keeps each version a tenant adopted, as its document.

New table only.

Revision ID: 0021_tenant_schemes
Revises: 0020_duties
Create Date: 2026-12-07 00:30:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0021_tenant_schemes"
down_revision = "0020_duties"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "tenant_scheme",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("scheme_id", sa.String(length=128), nullable=False),
        sa.Column("version", sa.String(length=64), nullable=False),
        sa.Column("document", sa.JSON(), nullable=False),
        sa.Column("source", sa.String(length=255), nullable=False),
        sa.Column("added_by", sa.String(length=100), nullable=False),
        sa.Column("added_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["tenant_id"], ["tenant.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("tenant_id", "scheme_id", "version"),
    )
    op.create_index(op.f("ix_tenant_scheme_tenant_id"), "tenant_scheme", ["tenant_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_tenant_scheme_tenant_id"), table_name="tenant_scheme")
    op.drop_table("tenant_scheme")
