"""Results that stay final: leases, an append-only chained audit trail, imports recorded by content.

- ``lease``: named locks across processes and machines (``core.locks``); ``stagerun.lease_token``
  links a stage run to its runner's lease.
- ``auditevent.prev_hash`` and ``hash``: each tenant's rows form a hash chain (``core.audit``); the
  rows already there are chained in id order here. Triggers then refuse UPDATE and DELETE on the
  table (and TRUNCATE on PostgreSQL).
- ``import_record``: each imported file's SHA-256 per tenant and kind.

Revision ID: 0009
Revises: 0007
Create Date: 2026-12-05 12:30:00
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

from bastion.core.audit import digest

revision = "0009"
down_revision = "0007"
branch_labels = None
depends_on = None

APPEND_ONLY = "the audit trail is append-only (审计日志只能追加，不能修改或删除)"


def upgrade() -> None:
    op.create_table(
        "lease",
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("token", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("actor", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column("purpose", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column("host", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column("pid", sa.Integer(), nullable=False),
        sa.Column("acquired_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("name"),
    )
    with op.batch_alter_table("stagerun") as batch_op:
        batch_op.add_column(sa.Column("lease_token", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True))
    op.create_table(
        "import_record",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("sha256", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("filename", sqlmodel.sql.sqltypes.AutoString(length=255), nullable=False),
        sa.Column("rows", sa.Integer(), nullable=False),
        sa.Column("actor", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column("again", sa.Boolean(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["tenant_id"], ["tenant.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(op.f("ix_import_record_tenant_id"), "import_record", ["tenant_id"], unique=False)
    op.create_index(op.f("ix_import_record_sha256"), "import_record", ["sha256"], unique=False)

    with op.batch_alter_table("auditevent") as batch_op:
        batch_op.add_column(sa.Column("prev_hash", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True))
        batch_op.add_column(sa.Column("hash", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True))
    _chain_existing_rows()
    _append_only()


def _chain_existing_rows() -> None:
    conn = op.get_bind()
    audit = sa.table("auditevent", *(sa.column(c) for c in ("id", "tenant_id", "actor", "action", "entity",
                                                            "entity_id", "note", "prev_hash", "hash")),
                     sa.column("at", sa.DateTime(timezone=True)), sa.column("old", sa.JSON), sa.column("new", sa.JSON))
    heads: dict = {}
    updates = []
    for row in conn.execute(sa.select(audit).order_by(audit.c.id)).mappings():
        prev = heads.get(row["tenant_id"])
        heads[row["tenant_id"]] = digest(prev, tenant_id=row["tenant_id"], at=row["at"], actor=row["actor"],
                                         action=row["action"], entity=row["entity"], entity_id=row["entity_id"],
                                         old=row["old"], new=row["new"], note=row["note"])
        updates.append({"row_id": row["id"], "p": prev, "h": heads[row["tenant_id"]]})
    if updates:
        conn.execute(audit.update().where(audit.c.id == sa.bindparam("row_id"))
                     .values(prev_hash=sa.bindparam("p"), hash=sa.bindparam("h")), updates)


def _append_only() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"""
            CREATE FUNCTION bastion_audit_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                RAISE EXCEPTION '{APPEND_ONLY}';
            END $$""")
        op.execute("CREATE TRIGGER auditevent_append_only BEFORE UPDATE OR DELETE ON auditevent "
                   "FOR EACH ROW EXECUTE FUNCTION bastion_audit_append_only()")
        op.execute("CREATE TRIGGER auditevent_no_truncate BEFORE TRUNCATE ON auditevent "
                   "FOR EACH STATEMENT EXECUTE FUNCTION bastion_audit_append_only()")
    else:
        for event in ("UPDATE", "DELETE"):
            op.execute(f"CREATE TRIGGER auditevent_no_{event.lower()} BEFORE {event} ON auditevent "
                       f"BEGIN SELECT RAISE(ABORT, '{APPEND_ONLY}'); END")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER auditevent_no_truncate ON auditevent")
        op.execute("DROP TRIGGER auditevent_append_only ON auditevent")
        op.execute("DROP FUNCTION bastion_audit_append_only()")
    else:
        op.execute("DROP TRIGGER auditevent_no_update")
        op.execute("DROP TRIGGER auditevent_no_delete")
    with op.batch_alter_table("auditevent") as batch_op:
        batch_op.drop_column("hash")
        batch_op.drop_column("prev_hash")
    op.drop_index(op.f("ix_import_record_sha256"), table_name="import_record")
    op.drop_index(op.f("ix_import_record_tenant_id"), table_name="import_record")
    op.drop_table("import_record")
    with op.batch_alter_table("stagerun") as batch_op:
        batch_op.drop_column("lease_token")
    op.drop_table("lease")
