"""Every message core raises for a person is a tr(中文, English) pair, so it reaches them in one language.

An AST scan of core/: a ``raise`` of a BastionError (or a subclass, found by scanning the class
definitions too) must not pass a plain string literal or f-string as its message. Re-raising, passing an
exception or a helper's result through, and building a message from ``tr(...)`` pieces are fine. The
ValueErrors and TypeErrors of the modules whose errors become row errors, scheme faults or a policy's
failure are held to the same rule.
"""

from __future__ import annotations

import ast
from functools import cache
from pathlib import Path

import pytest

CORE = Path(__file__).resolve().parents[2] / "core"
# Modules (or packages, ending in /) whose ValueError/TypeError messages reach a person (import row errors,
# scheme faults, policies).
PLAIN_ERRORS_READ_BY_PEOPLE = ("importing/", "scheme.py", "scoring.py", "bulletins.py")


@cache
def _modules() -> dict[str, ast.Module]:
    """Every module of core by its path under core/ (``stages/service.py``: packages repeat file names)."""
    return {path.relative_to(CORE).as_posix(): ast.parse(path.read_text(encoding="utf-8"), str(path))
            for path in sorted(CORE.rglob("*.py")) if "migrations" not in path.parts}


def bastion_errors(modules: dict[str, ast.Module]) -> set[str]:
    """BastionError and every class under core/ that derives from it, however many steps down."""
    names = {"BastionError"}
    classes = [node for tree in modules.values() for node in ast.walk(tree) if isinstance(node, ast.ClassDef)]
    grew = True
    while grew:
        grew = False
        for node in classes:
            bases = {b.id if isinstance(b, ast.Name) else getattr(b, "attr", "") for b in node.bases}
            if node.name not in names and bases & names:
                names.add(node.name)
                grew = True
    return names


def _literal(node: ast.AST) -> bool:
    """A message written as a plain string: a literal, an f-string, or one joined from them with ``+``."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str) or isinstance(node, ast.JoinedStr):
        return True
    return isinstance(node, ast.BinOp) and (_literal(node.left) or _literal(node.right))


def untranslated(tree: ast.Module, errors: set[str]) -> list[tuple[int, str]]:
    """(line, error class) of every raise that gives ``errors`` a plain-string message."""
    found = []
    for node in ast.walk(tree):
        if not (isinstance(node, ast.Raise) and isinstance(node.exc, ast.Call)):
            continue
        func = node.exc.func
        name = func.id if isinstance(func, ast.Name) else getattr(func, "attr", "")
        if name in errors and any(_literal(arg) for arg in [*node.exc.args, *(k.value for k in node.exc.keywords)]):
            found.append((node.lineno, name))
    return found


def test_the_scan_finds_the_subclasses_and_a_plain_message():
    modules = _modules()
    errors = bastion_errors(modules)
    assert {"NotFound", "Conflict", "Ambiguous", "Forbidden", "InvalidScheme", "RuleError", "ImportRejected",
            "StageFailed", "PluginConflict"} <= errors
    bad = ast.parse('raise NotFound(f"no organisation {code!r}")\n'
                    'raise Forbidden("not you")\n'
                    'raise Conflict("parent: " + reason)\n'
                    'raise RuleError(rule, None, "is missing")\n')
    good = ast.parse('raise NotFound(tr(f"没有组织 {code!r}", f"no organisation {code!r}"))\n'
                     'raise BastionError(tr("上级组织：", "parent: ") + reason) from None\n'
                     'raise StageFailed(message) from exc\n'
                     'raise ImportRejected(sorted(errors))\n'
                     'raise\n')
    assert [line for line, _ in untranslated(bad, errors)] == [1, 2, 3, 4]
    assert untranslated(good, errors) == []


@pytest.mark.parametrize("module", sorted(_modules()))
def test_core_raises_its_errors_with_both_languages(module):
    modules = _modules()
    errors = bastion_errors(modules)
    if module.startswith(PLAIN_ERRORS_READ_BY_PEOPLE):
        errors |= {"ValueError", "TypeError"}
    assert untranslated(modules[module], errors) == [], f"core/{module}: give these messages as tr(中文, English)"
