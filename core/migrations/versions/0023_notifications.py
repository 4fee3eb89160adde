"""Notifications (通知): the outbox, the channels' settings, the users' e-mail and language, the quiet hours.

Revision ID: 0023_notifications
Revises: 0022_appeals
Create Date: 2026-12-07 03:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0023_notifications"
down_revision = "0022_appeals"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "notification",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("tenant_id", sa.Integer(), sa.ForeignKey("tenant.id"), nullable=False),
        sa.Column("event", sa.String(length=48), nullable=False),
        sa.Column("occurrence", sa.String(length=200), nullable=False),
        sa.Column("recipient", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.Integer(), sa.ForeignKey("user.id"), nullable=True),
        sa.Column("org_id", sa.Integer(), sa.ForeignKey("organization.id"), nullable=True),
        sa.Column("channel", sa.String(length=32), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("body", sa.String(), nullable=False),
        sa.Column("link", sa.String(length=200), nullable=False),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_try_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("claimed_by", sa.String(length=64), nullable=True),
        sa.Column("last_error", sa.String(), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("read_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("tenant_id", "occurrence", "recipient", "channel"),
    )
    for column in ("tenant_id", "user_id", "state"):
        op.create_index(op.f(f"ix_notification_{column}"), "notification", [column], unique=False)
    op.create_table(
        "channel_setting",
        sa.Column("tenant_id", sa.Integer(), sa.ForeignKey("tenant.id"), nullable=False),
        sa.Column("channel", sa.String(length=32), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("settings", sa.JSON(), nullable=False),
        sa.Column("events", sa.JSON(), nullable=False),
        sa.Column("secret", sa.String(length=500), nullable=True),
        sa.Column("updated_by", sa.String(length=100), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("tenant_id", "channel"),
    )
    # Plain ADD COLUMN (no table copy: the tenant and user tables are referenced by every other)
    op.add_column("tenant", sa.Column("quiet_hours", sa.String(length=11), nullable=False, server_default=""))
    op.add_column("user", sa.Column("email", sa.String(length=200), nullable=True))
    op.add_column("user", sa.Column("locale", sa.String(length=8), nullable=False, server_default="zh"))


def downgrade() -> None:
    op.drop_column("user", "locale")
    op.drop_column("user", "email")
    op.drop_column("tenant", "quiet_hours")
    op.drop_table("channel_setting")
    for column in ("tenant_id", "user_id", "state"):
        op.drop_index(op.f(f"ix_notification_{column}"), table_name="notification")
    op.drop_table("notification")
