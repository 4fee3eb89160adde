"""The plugin guide documents the contract: every hook of core/hookspecs.py, with its arguments, and no other.

``docs/plugins.md`` section 2 has a table with a row per hook, written as the hook is called
(`` `bastion_cycle_event(event)` ``). A hook added to ``core/hookspecs.py`` without its row, a hook
that gains an argument the row does not show, or a guide that names a hook that does not exist
fails here. (That the guide's examples run is ``tests/plugins/test_guide.py``; that every hook has
a docstring, ``tests/core/test_registry.py``.)
"""

from __future__ import annotations

import inspect
import re
from pathlib import Path

import pluggy
import pytest

from bastion.core import hookspecs
from bastion.core.registry import TRACE_ENV

GUIDE = Path(__file__).resolve().parents[1] / "docs" / "plugins.md"
SECTION = re.compile(r"^## 2\. The hooks\n(?P<body>.*?)(?=^## )", re.DOTALL | re.MULTILINE)
ROW = re.compile(r"^\| `(?P<hook>\w+)\((?P<args>[^)]*)\)` \|", re.MULTILINE)
HOOK_SHAPED = re.compile(r"\b(bastion_\w+)\(")  # a hook as it is defined or called: def bastion_x(, `bastion_x()`


def hooks() -> dict[str, list[str]]:
    """Every hookspec of core/hookspecs.py, as pluggy sees it, with its argument names."""
    pm = pluggy.PluginManager(hookspecs.PROJECT)
    return {name: list(inspect.signature(getattr(hookspecs, name)).parameters)
            for name in dir(hookspecs) if pm.parse_hookspec_opts(hookspecs, name) is not None}


def documented(guide: str) -> dict[str, list[str]]:
    """The hooks of the guide's table in section 2, with the argument names each row shows."""
    section = SECTION.search(guide)
    assert section, "docs/plugins.md has no section '## 2. The hooks'"
    return {m["hook"]: [a.strip() for a in m["args"].split(",") if a.strip()] for m in ROW.finditer(section["body"])}


def faults(guide: str) -> list[str]:
    specs, rows = hooks(), documented(guide)
    out = [f"{name} has no row in the table of section 2" for name in sorted(specs.keys() - rows.keys())]
    out += [f"{name}: the table shows ({', '.join(rows[name])}), the hook takes ({', '.join(args)})"
            for name, args in sorted(specs.items()) if name in rows and rows[name] != args]
    named = set(HOOK_SHAPED.findall(guide))
    out += [f"{name} is named in the guide but is no hook" for name in sorted(named - specs.keys())]
    return out


def test_there_are_hooks_to_document():
    assert {"bastion_schemes", "bastion_cycle_event"} <= hooks().keys()
    assert hooks()["bastion_cycle_event"] == ["event"]


def test_every_hook_is_documented_in_the_plugin_guide_and_no_other():
    assert faults(GUIDE.read_text(encoding="utf-8")) == []


@pytest.mark.parametrize(("change", "fault"), [
    (("| `bastion_ledger_types()` |", "| `ledger types` |"),
     "bastion_ledger_types has no row in the table of section 2"),
    (("| `bastion_cycle_event(event)` |", "| `bastion_cycle_event()` |"),
     "bastion_cycle_event: the table shows (), the hook takes (event)"),
    (("def bastion_rule_types():", "def bastion_rule_kinds():"),
     "bastion_rule_kinds is named in the guide but is no hook"),
])
def test_a_guide_that_drifts_from_the_hookspecs_fails(change, fault):
    guide = GUIDE.read_text(encoding="utf-8")
    assert change[0] in guide
    assert fault in faults(guide.replace(*change, 1))


def test_the_guide_documents_the_trace_variable():
    assert f"`{TRACE_ENV}=1`" in GUIDE.read_text(encoding="utf-8")
