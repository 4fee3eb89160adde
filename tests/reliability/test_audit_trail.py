"""The audit trail is append-only in the database and chained: a change behind its back is found."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import delete, select, text, update
from sqlalchemy.exc import DBAPIError
from typer.testing import CliRunner

from bastion.cli import app
from bastion.core import audit
from bastion.core.db import transaction
from bastion.core.models import AuditEvent
from bastion.core.settings import Settings
from bastion.demo import DEMO_TENANT, fresh_database
from bastion.core.errors import Conflict
from tests import factories

pytestmark = pytest.mark.storage

a = AuditEvent.__table__


def test_the_database_refuses_to_change_or_delete_an_audit_row(engine, registry):
    factories.tenant(engine, registry)
    for statement in (update(a).values(note="改过"), delete(a)):
        with pytest.raises(DBAPIError, match="append-only"), engine.begin() as conn:
            conn.execute(statement)
    if engine.dialect.name == "postgresql":
        with pytest.raises(DBAPIError, match="append-only"), engine.begin() as conn:
            conn.execute(text("TRUNCATE auditevent"))
    with engine.connect() as conn:
        assert audit.verify(conn, every_tenant=True).intact


def _behind_the_databases_back(engine, statement) -> None:
    """What someone with the database's files or its owner's password could do: triggers off, then write."""
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            conn.execute(text("SET LOCAL session_replication_role = replica"))
            conn.execute(statement)
        else:
            conn.execute(text("DROP TRIGGER IF EXISTS auditevent_no_update"))
            conn.execute(text("DROP TRIGGER IF EXISTS auditevent_no_delete"))
            conn.execute(statement)


def verify_cli(engine, *args: str):
    env = {"BASTION_DATABASE_URL": engine.url.render_as_string(hide_password=False), "BASTION_LANG": "zh_CN"}
    return CliRunner().invoke(app, ["audit", "verify", *args], env=env)


def test_a_row_changed_or_removed_behind_the_databases_back_breaks_the_chain_there(engine, registry, tmp_path):
    tenant = factories.tenant(engine, registry)
    factories.cycle(engine, registry, tenant)
    for n in range(3):
        with transaction(engine) as session:
            audit.record(session, tenant_id=tenant.id, actor="office", action="update", entity="tenant", new={"n": n})
    with engine.connect() as conn:
        ids = [r.id for r in conn.execute(select(a.c.id).where(a.c.tenant_id == tenant.id).order_by(a.c.id))]
    assert len(ids) >= 5
    done = verify_cli(engine, "--tenant", "acme")
    assert done.exit_code == 0 and f"共 {len(ids)} 条记录，均未被修改或删除" in done.output

    _behind_the_databases_back(engine, update(a).where(a.c.id == ids[1]).values(actor="someone else"))
    with engine.connect() as conn:
        found = audit.verify(conn, tenant.id)
    assert [(b["id"], b["problem"]) for b in found.breaks] == [(ids[1], "hash")]
    done = verify_cli(engine, "--tenant", "acme")
    assert done.exit_code == 1 and f"第 {ids[1]} 条记录处，该记录内容被改动" in done.output

    _behind_the_databases_back(engine, delete(a).where(a.c.id == ids[1]))
    with engine.connect() as conn:
        found = audit.verify(conn, tenant.id)
    assert [(b["id"], b["problem"]) for b in found.breaks] == [(ids[2], "prev_hash")]


def test_writers_at_the_same_moment_keep_one_chain(engine, registry):
    tenant = factories.tenant(engine, registry)
    barrier = threading.Barrier(4)
    failures = []

    def writer(n: int) -> None:
        barrier.wait()
        try:
            for i in range(15):
                with transaction(engine) as session:
                    audit.record(session, tenant_id=tenant.id, actor=f"w{n}", action="update", entity="tenant",
                                 new={"i": i})
        except Exception as exc:  # noqa: BLE001 - reported below
            failures.append(exc)

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert failures == []
    with engine.connect() as conn:
        found = audit.verify(conn, tenant.id)
    assert found.intact and found.checked >= 60, found.breaks


def test_the_demo_is_rebuilt_only_in_a_fresh_database(engine, registry, tmp_path):
    """The embedded database is kept as it was beside a new one; any other database is refused."""
    if engine.dialect.name == "sqlite":
        settings = Settings(home=tmp_path / "home", database_url=f"sqlite:///{tmp_path / 'home' / 'bastion.db'}")
        from bastion.core import db

        store = db.connect(settings)
        factories.tenant(store, registry, code=DEMO_TENANT)
        fresh, kept = fresh_database(store, settings)
        assert kept is not None and kept.exists() and kept.parent == settings.home
        with fresh.connect() as conn:
            assert conn.execute(select(a.c.id)).first() is None  # a new database
        old = db.make_engine(f"sqlite:///{kept}")
        with old.connect() as conn:  # the previous one, its audit trail whole
            assert audit.verify(conn, every_tenant=True).intact and audit.verify(conn, every_tenant=True).checked
        old.dispose()
        fresh.dispose()
    else:
        factories.tenant(engine, registry, code=DEMO_TENANT)
        settings = Settings(home=tmp_path / "home", database_url=engine.url.render_as_string(hide_password=False))
        with pytest.raises(Conflict, match="演示只在新数据库中重建"):
            fresh_database(engine, settings)
