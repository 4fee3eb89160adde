"""A rectification notice's number is unique in its tenant.

Numbers run on from the count of the tenant's notices; two issued at the same moment would have
shared one. Now the second transaction fails and is retried instead.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-23 21:10:00
"""

from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("rectification") as batch:
        batch.create_unique_constraint("uq_rectification_tenant_id_notice_no", ["tenant_id", "notice_no"])


def downgrade() -> None:
    with op.batch_alter_table("rectification") as batch:
        batch.drop_constraint("uq_rectification_tenant_id_notice_no", type_="unique")
