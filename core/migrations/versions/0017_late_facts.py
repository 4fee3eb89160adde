"""Late facts (迟到的事实): a tenant may take them, and a ledger entry or a finding keeps the date it bore.

- ``tenant.late_facts``: a fact dated in a period whose results are under review or published is refused (as
  before) unless this is set; then the user books it in the next period or keeps it for a correction
  (``core.periods.place``). False for every tenant there is.
- ``ledgerentry.late_date`` and ``finding.late_date``: the date the fact bore when it arrived late; its ``date`` is
  the first day of the period it was booked in (计入下一考核期), or the same (走更正). None for every row there is:
  each came in time.

Added in place (``ALTER TABLE … ADD COLUMN``): rebuilding a fact table would break the foreign keys to it
(evidence → ledger entry, finding), as migration 0014 says.

Revision ID: 0017_late_facts
Revises: 0016_standings
Create Date: 2026-12-07 10:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0017_late_facts"
down_revision = "0016_standings"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("tenant", sa.Column("late_facts", sa.Boolean(), nullable=False, server_default=sa.false()))
    for table in ("ledgerentry", "finding"):
        op.add_column(table, sa.Column("late_date", sa.Date(), nullable=True))


def downgrade() -> None:
    for table in ("ledgerentry", "finding"):  # in place (SQLite ≥ 3.35), as added
        op.drop_column(table, "late_date")
    op.drop_column("tenant", "late_facts")
