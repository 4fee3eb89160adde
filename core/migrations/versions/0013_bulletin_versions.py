"""Bulletins re-issued after a correction: ``bulletin.version`` (the issue in force) and ``bulletin.reason``
(why it replaced the last), and ``supersededbulletin``, the issues replaced (their files stay in the archive).

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-06 02:40:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("bulletin") as batch:
        batch.add_column(sa.Column("version", sa.Integer(), nullable=False, server_default="1"))
        batch.add_column(sa.Column("reason", sa.String(length=500), nullable=False, server_default=""))
    op.create_table(
        "supersededbulletin",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("bulletin_id", sa.Integer(), sa.ForeignKey("bulletin.id"), nullable=False, index=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("reason", sa.String(length=500), nullable=False, server_default=""),
        sa.Column("docx_path", sa.String(), nullable=False),
        sa.Column("xlsx_path", sa.String(), nullable=False),
        sa.Column("issued_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("superseded_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("supersededbulletin")
    with op.batch_alter_table("bulletin") as batch:
        batch.drop_column("reason")
        batch.drop_column("version")
