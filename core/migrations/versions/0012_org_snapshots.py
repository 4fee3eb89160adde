"""Organisations as they were when a period was scored (``orgsnapshot``), so that a published period's results
keep their names, parents and categories after the tree changes.

Periods scored before this revision get a snapshot of the tree as it is now (the best that is known of
it): their organisations' current code, name, level, parent, category, member count and secretary.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-06 02:30:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "orgsnapshot",
        sa.Column("cycle_id", sa.Integer(), sa.ForeignKey("cycle.id"), primary_key=True),
        sa.Column("period", sa.String(length=16), primary_key=True),
        sa.Column("org_id", sa.Integer(), sa.ForeignKey("organization.id"), primary_key=True),
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("level", sa.String(length=32), nullable=False),
        sa.Column("parent_id", sa.Integer(), nullable=True),
        sa.Column("category", sa.String(length=64), nullable=False),
        sa.Column("member_count", sa.Integer(), nullable=False),
        sa.Column("secretary", sa.String(length=100), nullable=True),
        sa.Column("secretary_term_start", sa.Date(), nullable=True),
        sa.Column("secretary_term_end", sa.Date(), nullable=True),
        sqlite_with_rowid=False,
    )
    op.execute("""
        INSERT INTO orgsnapshot (cycle_id, period, org_id, code, name, level, parent_id, category, member_count,
                                 secretary, secretary_term_start, secretary_term_end)
        SELECT p.cycle_id, p.period, o.id, o.code, o.name, o.level, o.parent_id, COALESCE(o.category, ''),
               o.member_count, o.secretary, o.secretary_term_start, o.secretary_term_end
        FROM (SELECT DISTINCT tenant_id, cycle_id, period FROM evaluation) AS p
        JOIN organization AS o ON o.tenant_id = p.tenant_id
        WHERE o.active OR o.id IN (SELECT e.org_id FROM evaluation AS e
                                   WHERE e.cycle_id = p.cycle_id AND e.period = p.period)
    """)


def downgrade() -> None:
    op.drop_table("orgsnapshot")
