"""The plugin author's guide runs: every ```python block of docs/plugins.md, in order, in one namespace.

Blocks meant as fragments are fenced ```python-fragment (or toml, bash, text) and are not run. The
guide's blocks assert their own results, so a broken example fails here, naming its block and line.
"""

from __future__ import annotations

import re
import sys
import types
from pathlib import Path

import pandas as pd
import pytest

from bastion.core import i18n
from bastion.core.engine import ScoreResult

GUIDE = Path(__file__).resolve().parents[2] / "docs" / "plugins.md"
FENCE = re.compile(r"^```(?P<info>[^\n`]*)\n(?P<body>.*?)^```[ \t]*$", re.DOTALL | re.MULTILINE)
KNOWN_INFO = {"python", "python-fragment", "toml", "bash", "text"}


def blocks() -> list[tuple[str, int, str]]:
    """(info string, line of the opening fence, body) of every fenced block, in order."""
    text = GUIDE.read_text(encoding="utf-8")
    return [(m["info"].strip(), text.count("\n", 0, m.start()) + 1, m["body"]) for m in FENCE.finditer(text)]


def python_blocks() -> list[tuple[int, str]]:
    return [(line, body) for info, line, body in blocks() if info == "python"]


def test_every_block_says_what_it_is():
    """A misspelt info string (```pyhton) would silently skip an example: every fence must be known."""
    unknown = [(line, info) for info, line, _ in blocks() if info not in KNOWN_INFO]
    assert not unknown, f"fenced blocks of docs/plugins.md with an unknown info string: {unknown}"


def run_guide(*, mutate: tuple[str, str] | None = None) -> dict:
    """Run every python block in order in one fresh namespace (a module, so pydantic finds its classes).

    The guide is written in English, so it runs in English: the messages it shows are core's English ones.
    """
    module = types.ModuleType("plugin_guide")
    sys.modules["plugin_guide"] = module
    try:
        with i18n.using("en"):
            for line, body in python_blocks():
                if mutate and mutate[0] in body:
                    body = body.replace(*mutate)
                # Pad with blank lines so a traceback's line numbers are the guide's own.
                exec(compile("\n" * (line) + body, str(GUIDE), "exec"), module.__dict__)
    finally:
        sys.modules.pop("plugin_guide", None)
    return module.__dict__


@pytest.fixture(scope="module")
def guide() -> dict:
    return run_guide()


def test_the_guide_has_runnable_examples():
    assert len(python_blocks()) >= 8


def test_the_guides_main_path_ran_and_holds(guide):
    """The main path: the guide's rule type, scheme and policy, scored by the engine and awarded."""
    assert isinstance(guide["result"], ScoreResult)
    assert guide["result"].scheme_id == "guide-port"
    ev = guide["result"].evaluations
    assert ev.loc[ev["rank"] == 1, "total"].tolist() == [102.0]
    awards = guide["awards"]
    assert isinstance(awards, pd.DataFrame) and len(awards) == 7
    assert sorted(awards["kind"]) == ["rectification", "reward", "reward", "sanction", "sanction", "talk", "talk"]
    assert guide["registry"].problems == []
    assert guide["EVENTS"] == ["port 2026-H1: 7 项奖惩已发布"]
    assert guide["fen"] == [538_259, 461_741, 0, 0]


def test_a_broken_example_fails():
    """The blocks check themselves: the same guide with its rule type halving the points fails."""
    broken = ("(days / target).clip(upper=1.0)", "(days / target / 2).clip(upper=1.0)")
    assert broken[0] in GUIDE.read_text(encoding="utf-8")
    with pytest.raises(AssertionError):
        run_guide(mutate=broken)
