"""A faulty plugin is reported by name and costs only itself: a stage run ends ``failed``, never stuck
``running``; a plugin whose contribution clashes with another's is left out and the rest keeps working."""

from __future__ import annotations

import csv
import json
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlmodel import Session
from typer.testing import CliRunner

from bastion import hookimpl
from bastion.cli import app
from bastion.core import registry as registry_module, tenants
from bastion.core.contributions import LedgerType
from bastion.core.db import transaction
from bastion.core.models import LedgerEntry, StageRun
from bastion.core.registry import Registry
from bastion.core.stages import service as stages
from bastion.core.stages.runs import StageFailed
from tests import factories

pytestmark = pytest.mark.storage


class Exiting:
    """A notifier that calls ``sys.exit`` on its first cycle event (a stray ``exit()`` in a mail script)."""

    def __init__(self) -> None:
        self.broken, self.told = True, []

    @hookimpl
    def bastion_cycle_event(self, event):
        if self.broken:
            raise SystemExit(3)
        self.told.append(event.name)


def test_a_system_exit_in_a_cycle_event_fails_the_run_naming_the_plugin_and_the_next_run_works(engine, tmp_path):
    plugin = Exiting()
    reg = Registry.load(extra=[("exiting", plugin)])
    tenant, cycle = factories.enterprise(engine, reg, "acme")
    with transaction(engine) as session:
        tenants.enable_plugins(session, tenant, ["exiting"], registry=reg, actor="test")
    ctx = stages.StageContext(engine, reg, tmp_path / "home", "督查组")

    with pytest.raises(StageFailed, match="exiting") as failed:
        stages.run_stage(ctx, cycle, "quarterly", period="2026-Q1", on=date(2026, 4, 8))
    assert "SystemExit: 3" in str(failed.value)
    with Session(engine) as session:
        (run,) = session.exec(select(StageRun).where(StageRun.tenant_id == tenant.id)).scalars().all()
    assert run.status == "failed" and run.finished_at is not None
    assert "'exiting'" in run.error and "bastion_cycle_event" in run.error and "SystemExit: 3" in run.error

    plugin.broken = False  # the plugin mended (or disabled): the next run carries on and succeeds
    done = stages.run_stage(ctx, cycle, "quarterly", period="2026-Q1", on=date(2026, 4, 8))
    assert done.status == "succeeded" and done.attempts == 2
    assert "scored" in plugin.told


class Evaluating:
    """A rule type whose ``evaluate`` calls ``sys.exit``."""

    @hookimpl
    def bastion_rule_types(self):
        from bastion.core.engine import RuleType

        class Quitter(RuleType):
            name = "quitter"
            description = "exits"

            def evaluate(self, batch):
                raise SystemExit("bye")

        return [Quitter()]


def test_a_system_exit_in_a_rule_type_names_the_plugin():
    from bastion.core.plugin_faults import PluginFault, plugin_code

    reg = Registry.load(extra=[("quitting", Evaluating())])
    rule = reg.rule_types()["quitter"].item
    with pytest.raises(PluginFault, match="插件 'quitting'，quitter：抛出异常 SystemExit: bye"):
        with plugin_code("quitting", "quitter"):
            rule.evaluate(None)
    with pytest.raises(KeyboardInterrupt):  # an interruption is not the plugin's fault: it passes through
        with plugin_code("quitting", "quitter"):
            raise KeyboardInterrupt


class Clash:
    """A plugin whose ledger type takes a built-in's code: it must be left out, not break every tenant."""

    @hookimpl
    def bastion_ledger_types(self):
        return [LedgerType("committee_meeting", "冒名支委会"), LedgerType("tea_talk", "谈心谈话")]


def ledger_csv(path: Path, branch: str) -> Path:
    with path.open("w", newline="", encoding="utf-8-sig") as f:
        out = csv.writer(f)
        out.writerow(["org_code", "type", "date", "quantity", "title", "note"])
        out.writerow([branch, "支委会", "2026-03-02", "", "支委会 三月", ""])
    return path


def test_a_clashing_ledger_type_leaves_that_plugin_out_and_every_tenant_imports(engine, tmp_path, monkeypatch):
    reg = Registry.load(extra=[("clash", Clash())])
    monkeypatch.setattr(registry_module, "_default", reg)
    acme = factories.tenant(engine, reg, "acme")
    other = factories.tenant(engine, reg, "other", plugins=(*factories.BUILTINS, "clash"))
    for t in (acme, other):
        factories.cycle(engine, reg, t)
        factories.org_tree(engine, t, {f"{t.code.upper()}1": "A"})

    assert reg.ledger_types()["committee_meeting"].plugin == "standard-ledgers"
    assert "tea_talk" not in reg.ledger_types() and "clash" in reg.left_out

    env = {"BASTION_DATABASE_URL": engine.url.render_as_string(hide_password=False), "BASTION_LANG": "zh_CN",
           "BASTION_HOME": str(tmp_path / "home"), "BASTION_USER": "组织部张三"}
    runner = CliRunner()
    listed = runner.invoke(app, ["plugins", "list"], env=env)
    assert listed.exit_code == 0, listed.output
    assert "clash" in listed.output and "standard-ledgers" in listed.output
    assert "插件 'clash'，台账类型 'committee_meeting'：插件 'standard-ledgers' 也提供了它，本插件被排除" in listed.output
    as_json = runner.invoke(app, ["plugins", "list", "--format", "json"], env=env)
    assert as_json.exit_code == 0, as_json.output
    rows = {r["plugin"]: r for r in json.loads(as_json.stdout)}
    assert rows["clash"]["faults"] and rows["clash"]["tenants"] == ["other"] and not rows["standard-ledgers"]["faults"]

    for t in (acme, other):
        done = runner.invoke(app, ["import", "ledger", str(ledger_csv(tmp_path / f"{t.code}.csv", f"{t.code.upper()}1")),
                                   "--tenant", t.code], env=env)
        assert done.exit_code == 0, done.output
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(LedgerEntry)).scalar() == 2
