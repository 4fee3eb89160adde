"""Standings (分类定级、提档升级): the standing each branch holds across cycles, as an append-only history.

- ``standing``: one row per step of a branch's standing — the starting standing at its first grading, each
  grading's move (up, down, hold), a relapse flagged between gradings (and the standing taken where the scheme
  says), a standing set by the superior by hand — with the cycle, period and evaluation that caused it, the
  reason in Chinese, the actor and when it was recorded. A correction appends a revision (``revises``: the first
  row of the step it replaces, whose place in the order it takes); nothing is updated or deleted (triggers refuse UPDATE and DELETE, as on the audit trail). ``core.standings`` reads and writes it.

Revision ID: 0016_standings
Revises: 0015_restructuring
Create Date: 2026-12-07 10:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0016_standings"
down_revision = "0015_restructuring"
branch_labels = None
depends_on = None

APPEND_ONLY = "the standing history is append-only (档次记录只能追加，不能修改或删除)"


def upgrade() -> None:
    op.create_table(
        "standing",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("tenant_id", sa.Integer(), sa.ForeignKey("tenant.id"), nullable=False),
        sa.Column("org_id", sa.Integer(), sa.ForeignKey("organization.id"), nullable=False),
        sa.Column("standing", sa.String(length=32), nullable=False),
        sa.Column("previous", sa.String(length=32), nullable=True),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("move", sa.String(length=16), nullable=False),
        sa.Column("flagged", sa.Boolean(), nullable=False),
        sa.Column("since", sa.DateTime(timezone=True), nullable=False),
        sa.Column("cycle_id", sa.Integer(), sa.ForeignKey("cycle.id"), nullable=True),
        sa.Column("period", sa.String(length=16), nullable=True),
        sa.Column("evaluation_id", sa.Integer(), sa.ForeignKey("evaluation.id"), nullable=True),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("revises", sa.Integer(), sa.ForeignKey("standing.id"), nullable=True),
        sa.Column("reason", sa.String(), nullable=False),
        sa.Column("actor", sa.String(length=100), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("tenant_id", "org_id", "cycle_id", "period", "kind", "revision"),
    )
    op.create_index("ix_standing_org_id", "standing", ["org_id"])
    op.create_index("ix_standing_revises", "standing", ["revises"])  # an effective step: no revision of it
    op.create_index("ix_standing_tenant_since", "standing", ["tenant_id", "since"])
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"""
            CREATE FUNCTION bastion_standing_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                RAISE EXCEPTION '{APPEND_ONLY}';
            END $$""")
        op.execute("CREATE TRIGGER standing_append_only BEFORE UPDATE OR DELETE ON standing "
                   "FOR EACH ROW EXECUTE FUNCTION bastion_standing_append_only()")
        op.execute("CREATE TRIGGER standing_no_truncate BEFORE TRUNCATE ON standing "
                   "FOR EACH STATEMENT EXECUTE FUNCTION bastion_standing_append_only()")
    else:
        for event in ("UPDATE", "DELETE"):
            op.execute(f"CREATE TRIGGER standing_no_{event.lower()} BEFORE {event} ON standing "
                       f"BEGIN SELECT RAISE(ABORT, '{APPEND_ONLY}'); END")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER standing_no_truncate ON standing")
        op.execute("DROP TRIGGER standing_append_only ON standing")
        op.execute("DROP FUNCTION bastion_standing_append_only()")
    op.drop_index("ix_standing_tenant_since", table_name="standing")
    op.drop_index("ix_standing_revises", table_name="standing")
    op.drop_index("ix_standing_org_id", table_name="standing")
    op.drop_table("standing")
