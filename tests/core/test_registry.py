"""The plugin contract: loading, isolation of faulty plugins, conflicts, per-tenant enablement."""

from __future__ import annotations

import copy
import inspect
import logging
import os
import re
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from bastion import hookimpl
from bastion.core import hookspecs, i18n
from bastion.core.hookspecs import hookspec
from bastion.core.contributions import CycleEvent, LedgerType
from bastion.core.engine import RuleType
from bastion.core.registry import PluginFault, Registry
from bastion.plugins.target_table import SCHEME

HOOKS = sorted(name for name, fn in inspect.getmembers(hookspecs, inspect.isfunction) if name.startswith("bastion_"))


def test_every_hook_is_documented():
    for name in HOOKS:
        doc = inspect.getdoc(getattr(hookspecs, name))
        assert doc and len(doc) > 80, f"hook {name} needs a docstring that says what it takes and returns"


def test_every_hook_has_a_test():
    source = Path(__file__).read_text(encoding="utf-8")
    untested = [name for name in HOOKS if not re.search(rf"def test_{name}\b", source)]
    assert not untested, f"hooks without a test_<hook> in this file: {untested}"


def test_builtins_load_from_entry_points_like_any_plugin(registry):
    assert {"standard-rules", "standard-ledgers", "target-table"} <= set(registry.infos)
    assert all(info.builtin for name, info in registry.infos.items() if name in {"standard-rules", "target-table"})
    assert registry.problems == []


class Contrib:
    """A temporary plugin contributing one of everything."""

    class Streak(RuleType):
        name = "streak"
        description = "连续达标"

        def evaluate(self, batch):
            return pd.DataFrame({"points": batch.rows["max_points"], "reason": "ok"}, index=batch.rows.index)

    def __init__(self) -> None:
        self.events: list[CycleEvent] = []

    @hookimpl
    def bastion_schemes(self):
        return [dict(SCHEME, id="contrib-scheme")]

    @hookimpl
    def bastion_rule_types(self):
        return [self.Streak()]

    @hookimpl
    def bastion_ledger_types(self):
        return [LedgerType("tea_talk", "谈心谈话")]

    @hookimpl
    def bastion_incentive_policies(self):
        return []

    @hookimpl
    def bastion_cycle_event(self, event):
        self.events.append(event)


def load(*extra) -> Registry:
    return Registry.load(extra=extra)


def test_bastion_schemes():
    reg = load(("contrib", Contrib()))
    assert reg.schemes()["contrib-scheme"].plugin == "contrib"
    assert "contrib-scheme" not in reg.schemes(enabled=["target-table"])


def test_bastion_rule_types():
    reg = load(("contrib", Contrib()))
    assert reg.rule_types()["streak"].plugin == "contrib"
    assert "streak" not in reg.rule_types(enabled=["standard-rules"])


def test_bastion_ledger_types():
    reg = load(("contrib", Contrib()))
    assert reg.ledger_types(enabled=["contrib"])["tea_talk"].item.name == "谈心谈话"


def test_bastion_incentive_policies(registry):
    assert registry.policies()["target-table-awards"].plugin == "target-table"


def test_bastion_channels(registry):
    channels = registry.channels()
    assert {name: c.plugin for name, c in channels.items()} == {"email": "channels", "wecom": "channels",
                                                                "dingtalk": "channels"}
    assert registry.channels(enabled=["target-table"]) == {}  # a tenant without the plugin has none of them
    assert channels["email"].item.addressed == "user" and channels["wecom"].item.addressed == "group"


def test_bastion_cycle_event():
    plugin = Contrib()
    reg = load(("contrib", plugin))
    event = CycleEvent("opened", "acme", 2026)
    reg.notify(event, enabled=["target-table"])
    assert plugin.events == []  # not enabled: not told
    reg.notify(event, enabled=["contrib"])
    assert plugin.events == [event]


class Raising:
    @hookimpl
    def bastion_rule_types(self):
        raise RuntimeError("database of rules unreachable")

    @hookimpl
    def bastion_cycle_event(self, event):
        raise RuntimeError("mail server down")


def test_a_raising_plugin_is_reported_by_name_and_the_rest_still_load(caplog):
    caplog.set_level(logging.ERROR)
    told = Contrib()
    reg = load(("flaky", Raising()), ("told", told))
    rules = reg.rule_types()
    assert "ledger_target" in rules and "streak" in rules  # the built-ins and the other plugin are all there
    with pytest.raises(PluginFault, match="插件 'flaky'，bastion_cycle_event：抛出异常 RuntimeError: mail server down"):
        reg.notify(CycleEvent("scored", "acme", 2026))
    assert len(told.events) == 1  # the others are told all the same
    assert [str(p) for p in reg.problems] == [
        "插件 'flaky'，bastion_rule_types：抛出异常 RuntimeError: database of rules unreachable",
    ]
    with i18n.using("en"):
        reg = load(("flaky", Raising()))
        reg.rule_types()
        with pytest.raises(PluginFault, match="plugin 'flaky', bastion_cycle_event: raised RuntimeError: mail server"):
            reg.notify(CycleEvent("scored", "acme", 2026))
        messages = [str(p) for p in reg.problems]
    assert messages == ["plugin 'flaky', bastion_rule_types: raised RuntimeError: database of rules unreachable"]
    assert "flaky" in caplog.text


class BadScheme:
    @hookimpl
    def bastion_schemes(self):
        broken = dict(SCHEME, id="broken")
        broken["blocks"] = [dict(SCHEME["blocks"][0], indicators=SCHEME["blocks"][0]["indicators"][1:3])]
        return [broken]


def test_an_invalid_scheme_is_refused_naming_the_plugin_and_the_fault():
    reg = load(("bad", BadScheme()))
    assert "broken" not in reg.schemes()
    (problem,) = reg.problems
    assert problem.plugin == "bad" and problem.where == "方案 broken"
    assert "各板块分值合计 11 分，与方案总分（total_points）100 分不符" in problem.message
    with i18n.using("en"):
        reg = load(("bad", BadScheme()))
        reg.schemes()
        (problem,) = reg.problems
    assert problem.plugin == "bad" and problem.where == "scheme broken"
    assert "add up to 11, not the scheme's total_points 100" in problem.message


class MislabelledScheme:
    @hookimpl
    def bastion_schemes(self):
        raw = copy.deepcopy(SCHEME)
        raw["id"] = "mislabelled"
        raw["blocks"][0]["indicators"][0]["points"] = 5
        raw["blocks"][2]["indicators"][1]["tolerance"] = 0.3
        return [raw]


def test_scheme_faults_name_the_block_and_indicator():
    reg = load(("mislabelled", MislabelledScheme()))
    assert "mislabelled" not in reg.schemes()
    (problem,) = reg.problems
    assert str(problem) == (
        "插件 'mislabelled'，方案 mislabelled：板块 B1，指标 B1-V：否定指标的分值为 0，不能是 5；"
        "板块 B3，指标 B3-1：只有弹性指标才有允许波动范围（tolerance）"
    )
    with i18n.using("en"):
        reg = load(("mislabelled", MislabelledScheme()))
        reg.schemes()
        (problem,) = reg.problems
        assert str(problem) == (
            "plugin 'mislabelled', scheme mislabelled: block B1, indicator B1-V: a veto indicator carries 0 points, "
            "not 5; block B3, indicator B3-1: only flexible indicators have a tolerance"
        )


def test_check_scheme_finds_unknown_rules_ledger_types_and_bad_params(registry):
    scheme = registry.schemes()["target-table"].item
    assert registry.check_scheme(scheme) == []
    faults = registry.check_scheme(scheme, enabled=["target-table", "standard-rules"])
    assert "指标 B1-1：已启用的插件都不提供台账类型 'organizational_life'" in faults
    with i18n.using("en"):
        faults = registry.check_scheme(scheme, enabled=["target-table", "standard-rules"])
        assert "indicator B1-1: ledger type 'organizational_life' is not contributed by any enabled plugin" in faults
        faults = registry.check_scheme(scheme, enabled=["target-table", "standard-ledgers"])
        assert "indicator B1-1: rule type 'ledger_target' is not contributed by any enabled plugin" in faults
    reminding = scheme.model_copy(update={"meetings_reminder": scheme.meetings_reminder.model_copy(
        update={"ledger_types": ["committee_meeting", "party_day"]})})
    assert registry.check_scheme(reminding) == [
        "三会一课提醒（meetings_reminder）：已启用的插件都不提供台账类型 'party_day'"]


class Twin:
    @hookimpl
    def bastion_schemes(self):
        return [SCHEME]


def test_two_plugins_contributing_one_scheme_id_leaves_the_newcomer_out_naming_both():
    reg = load(("twin", Twin()))
    assert reg.schemes()["target-table"].plugin == "target-table"  # the built-in keeps it
    (problem,) = reg.problems
    assert str(problem) == ("插件 'twin'，方案 'target-table'：插件 'target-table' 也提供了它，"
                            "本插件被排除（未启用其任何贡献）")
    with i18n.using("en"):
        reg = load(("twin", Twin()))
        reg.schemes()
        assert str(reg.problems[0]) == ("plugin 'twin', scheme 'target-table': plugin 'target-table' contributes it "
                                        "too; this plugin is left out (none of its contributions is used)")


def test_contributions_of_a_plugin(registry):
    assert registry.contributions_of("target-table") == {"schemes": ["target-table"],
                                                         "policies": ["target-table-awards"]}


class Dangling:
    """A scheme that refers to a rule type, a ledger type and a rating source nobody contributes."""

    @hookimpl
    def bastion_schemes(self):
        raw = copy.deepcopy(SCHEME)
        raw["id"] = "dangling"
        raw["blocks"][0]["indicators"][1]["rule"] = "moon_phase"
        raw["blocks"][0]["indicators"][2]["params"]["ledger_type"] = "séance"
        raw["blocks"][4]["indicators"][2]["params"]["sources"] = ["members", "astrologers"]
        return [raw]


def test_a_scheme_is_checked_against_the_installed_plugins_when_loaded():
    reg = load(("dangling", Dangling()))
    assert "dangling" not in reg.schemes() and "target-table" in reg.schemes()
    (problem,) = reg.check()
    assert problem.where == "方案 dangling" and problem.message.startswith(
        "指标 B1-1：已启用的插件都不提供规则类型 'moon_phase'；指标 B1-2：已启用的插件都不提供台账类型 'séance'；")
    with i18n.using("en"):
        (problem,) = load(("dangling", Dangling())).check()
    assert problem.plugin == "dangling" and problem.where == "scheme dangling"
    assert problem.message == (
        "indicator B1-1: rule type 'moon_phase' is not contributed by any enabled plugin; "
        "indicator B1-2: ledger type 'séance' is not contributed by any enabled plugin; "
        "indicator B5-3: unknown rating source(s) astrologers (known: forum, members, peers, questionnaire, self, "
        "superior, work_report)"
    )


def test_source_weights_must_name_known_sources():
    raw = dict(SCHEME, id="weights", source_weights={"members": 0.5, "neighbours": 0.5})
    reg = load(("weights", type("P", (), {"bastion_schemes": hookimpl(lambda self: [raw])})()))
    assert "weights" not in reg.schemes()
    assert "测评来源权重（source_weights）中有未知的测评来源 neighbours" in reg.problems[0].message


def test_check_reports_a_name_contributed_twice_instead_of_failing():
    reg = load(("twin", Twin()))
    assert [(p.plugin, p.where) for p in reg.check()] == [("twin", "方案 'target-table'")]
    assert reg.contributions_of("twin") == {} and "twin" in reg.left_out


# --- calling hooks through pluggy ------------------------------------------------------------

def monitored(reg: Registry) -> list[tuple[str, list[str]]]:
    """(hook, plugin names) of every call pluggy makes from now on."""
    calls: list[tuple[str, list[str]]] = []
    reg.pm.add_hookcall_monitoring(lambda hook, impls, kwargs: calls.append((hook, [i.plugin_name for i in impls])),
                                   lambda outcome, hook, impls, kwargs: None)
    return calls


def test_every_hook_call_goes_through_pluggy_one_plugin_at_a_time():
    plugin = Contrib()
    reg = load(("contrib", plugin))
    calls = monitored(reg)
    reg.rule_types()
    reg.notify(CycleEvent("opened", "acme", 2026), enabled=["contrib", "target-table"])
    implementing = {impl.plugin_name for impl in reg.pm.hook.bastion_rule_types.get_hookimpls()}
    assert {"contrib", "standard-rules"} <= implementing
    assert sorted(p for hook, (p,) in calls if hook == "bastion_rule_types") == sorted(implementing)
    assert [c for c in calls if c[0] == "bastion_cycle_event"] == [("bastion_cycle_event", ["contrib"])]
    assert len(plugin.events) == 1


def test_results_come_in_pluggys_own_order():
    """Last registered first, ``tryfirst`` first of all: the order of a plain ``pm.hook`` call."""

    def ledgers(code, **opts):
        return type("P", (), {"bastion_ledger_types": hookimpl(**opts)(lambda self: [LedgerType(code, code)])})()

    reg = Registry.load(entry_points=False, extra=[("a", ledgers("a")), ("b", ledgers("b", tryfirst=True)),
                                                   ("c", ledgers("c")), ("d", ledgers("d", trylast=True))])
    called = reg.call("bastion_ledger_types")
    assert [plugin for plugin, _ in called] == ["b", "c", "a", "d"]
    assert [items for _, items in called] == reg.pm.hook.bastion_ledger_types()
    assert list(reg.ledger_types()) == ["b", "c", "a", "d"]


class Forgetful:
    """Written when ``bastion_cycle_event`` took no argument: pluggy passes only what it asks for."""

    def __init__(self) -> None:
        self.told = 0

    @hookimpl
    def bastion_cycle_event(self):
        self.told += 1


def test_an_implementation_may_omit_arguments_its_hook_has():
    plugin = Forgetful()
    reg = load(("forgetful", plugin))
    reg.notify(CycleEvent("opened", "acme", 2026), enabled=["forgetful"])
    reg.notify(CycleEvent("published", "acme", 2026, "2026"))
    assert plugin.told == 2
    assert reg.problems == []


class PickOne:
    """A ``firstresult`` hook, as a future "pick one" hook would be declared."""

    @hookspec(firstresult=True)
    def bastion_pick(self, number):
        """Pick something for ``number``."""


def picking(name, answer):
    def bastion_pick(self, number):
        if isinstance(answer, Exception):
            raise answer
        return answer if answer is None else f"{answer}{number}"
    return name, type(name, (), {"bastion_pick": hookimpl(bastion_pick)})()


def test_a_firstresult_hook_gives_the_first_answer_and_skips_a_raising_plugin():
    reg = Registry.load(entry_points=False)
    reg.pm.add_hookspecs(PickOne)
    for name, plugin in (picking("late", "late"), picking("sure", "sure"), picking("unsure", None),
                         picking("broken", RuntimeError("no idea"))):
        reg.register(name, plugin)
    assert reg.call("bastion_pick", number=7) == [("sure", "sure7")]
    assert reg.call("bastion_pick", ["late", "unsure"], number=8) == [("late", "late8")]
    assert reg.call("bastion_pick", ["unsure"], number=9) == []
    assert [(p.plugin, p.where) for p in reg.problems] == [("broken", "bastion_pick")]


# --- BASTION_TRACE_PLUGINS -------------------------------------------------------------------

TRACE_LINE = re.compile(r"^\[bastion trace\] (?P<hook>bastion_\w+)\((?P<args>[\w, ]*)\) (?P<plugins>.+): "
                        r"(?P<ms>\d+\.\d\d) ms(?P<error>, raised .*)?$")


def traced(stderr: str) -> list[dict[str, str | None]]:
    return [m.groupdict() for m in map(TRACE_LINE.match, stderr.splitlines()) if m]


def test_tracing_writes_each_hook_call_to_stderr(monkeypatch, capsys):
    monkeypatch.setenv("BASTION_TRACE_PLUGINS", "1")
    reg = load(("contrib", Contrib()), ("flaky", Raising()))
    reg.rule_types()
    reg.notify(CycleEvent("opened", "acme", 2026), enabled=["contrib"])
    captured = capsys.readouterr()
    lines = traced(captured.err)
    # Every trace line is well formed (other lines, a log handler an earlier test left on the root logger, aside).
    written = [line for line in captured.err.splitlines() if line.startswith("[bastion trace]")]
    assert captured.out == "" and len(lines) == len(written) > 0
    rules = {line["plugins"]: line for line in lines if line["hook"] == "bastion_rule_types"}
    assert {"contrib", "flaky", "standard-rules"} <= set(rules)
    assert rules["flaky"]["error"] == ", raised RuntimeError: database of rules unreachable"
    assert rules["contrib"]["args"] == "" and rules["contrib"]["error"] is None
    assert [(line["hook"], line["args"], line["plugins"]) for line in lines[-1:]] == [
        ("bastion_cycle_event", "event", "contrib")]


def test_tracing_is_off_unless_asked_for(monkeypatch, capsys):
    for value in (None, "", "0", "false", "off"):
        if value is None:
            monkeypatch.delenv("BASTION_TRACE_PLUGINS", raising=False)
        else:
            monkeypatch.setenv("BASTION_TRACE_PLUGINS", value)
        load(("contrib", Contrib())).rule_types()
        assert capsys.readouterr().err == "", value


def test_tracing_from_the_environment_of_a_fresh_process():
    script = ("from bastion.core.contributions import CycleEvent\n"
              "from bastion.core.registry import default_registry\n"
              "registry = default_registry()\n"
              "registry.schemes()\n"
              "registry.notify(CycleEvent('opened', 'acme', 2026), enabled=['log-notifier'])\n")
    env = {**os.environ, "BASTION_TRACE_PLUGINS": "1"}
    done = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    lines = traced(done.stderr)
    assert {(line["hook"], line["plugins"]) for line in lines} >= {
        ("bastion_schemes", "target-table"), ("bastion_rule_types", "standard-rules"),
        ("bastion_cycle_event", "log-notifier")}
    assert done.stdout == ""
