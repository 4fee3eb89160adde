"""``bastion.core.engine`` names what a rule type needs, wherever it is defined: its ``__all__``.

The facts, the reasons' text helpers and the rule helpers live in modules of their own
(``core.facts``, ``core.reasons``, ``core.rule_helpers``); plugins, the plugin guide and the example
package import them from the engine, and must go on doing so.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

from bastion.core import engine, facts, reasons, rule_helpers

ROOT = Path(__file__).resolve().parents[2]
IMPORTERS = [*sorted((ROOT / "plugins").glob("*.py")), *sorted((ROOT / "examples").rglob("*.py"))]


def test_every_name_in_the_engines_all_is_there():
    missing = [name for name in engine.__all__ if not hasattr(engine, name)]
    assert missing == [] and len(set(engine.__all__)) == len(engine.__all__)


def test_the_engine_names_every_function_and_class_of_the_modules_it_was_split_into():
    for module in (facts, reasons, rule_helpers):
        public = {name for name, value in vars(module).items() if not name.startswith("_")
                  and callable(value) and getattr(value, "__module__", None) == module.__name__}
        assert public and public <= set(engine.__all__), module.__name__
        assert all(getattr(engine, name) is getattr(module, name) for name in public)


def _names_imported_from_the_engine(source: str) -> set[str]:
    return {alias.name for node in ast.walk(ast.parse(source))
            if isinstance(node, ast.ImportFrom) and node.module == "bastion.core.engine" for alias in node.names}


def test_what_plugins_and_the_guide_import_from_the_engine_is_in_its_all():
    imported = set()
    for path in IMPORTERS:
        imported |= _names_imported_from_the_engine(path.read_text(encoding="utf-8"))
    guide = (ROOT / "docs" / "plugins.md").read_text(encoding="utf-8")
    for block in re.findall(r"```python\n(.*?)```", guide, flags=re.S):
        imported |= _names_imported_from_the_engine(block)
    helpers = set(re.findall(r"^- `(\w+)\(", guide, flags=re.M))  # the guide's list of helpers
    assert {"fmt", "RuleBatch", "per_row", "join_text"} <= imported | helpers  # the scan saw them
    assert (imported | helpers) - set(engine.__all__) == set()
