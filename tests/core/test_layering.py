"""core depends on nothing in plugins/, flows/, ui/ or the command line."""

import ast
from pathlib import Path

CORE = Path(__file__).resolve().parents[2] / "core"
FORBIDDEN = ("bastion.plugins", "bastion.flows", "bastion.ui", "bastion.cli", "bastion.demo", "bastion.synthetic",
             "plugins", "flows", "ui")


def imported_modules(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module)
    return names


def test_core_imports_nothing_from_the_outer_layers():
    offenders = {
        f"{path.relative_to(CORE.parent)}: {name}"
        for path in CORE.rglob("*.py")
        for name in imported_modules(path)
        if any(name == f or name.startswith(f + ".") for f in FORBIDDEN)
    }
    assert not offenders
    assert len(list(CORE.rglob("*.py"))) > 10  # the scan saw core


def module_imports(path: Path) -> set[str]:
    """The core modules ``path`` imports when it is loaded (its top level; imports inside functions run later)."""
    package = ".".join(path.relative_to(CORE).with_suffix("").parts[:-1] if path.name != "__init__.py"
                       else path.relative_to(CORE).parts[:-1])
    names = set()
    for node in ast.parse(path.read_text(encoding="utf-8")).body:
        if isinstance(node, ast.ImportFrom) and node.level:
            parts = package.split(".") if package else []
            base = parts[:len(parts) - (node.level - 1)] if node.level > 1 else parts
            prefix = ".".join([*base, node.module] if node.module else base)
            if node.module:
                names.add(prefix)
            else:
                names.update(".".join([*base, alias.name]) for alias in node.names)
    return {n for n in names if n}


def test_core_modules_import_each_other_without_a_cycle():
    """Each core module can be the first of Bastion a process imports (a spawned helper, a benchmark's stage):
    a cycle of top-level imports works in one order and fails in another (``cannot import name … from partially
    initialized module``), so the suite, importing in its own order, would not notice."""
    modules = {".".join(p.relative_to(CORE).with_suffix("").parts).removesuffix(".__init__").removesuffix("__init__"): p
               for p in CORE.rglob("*.py") if "migrations" not in p.parts}
    graph = {name: {m for m in module_imports(path) if m in modules and m != name} for name, path in modules.items()}

    def cycle_from(start: str) -> list[str] | None:
        stack, seen = [(start, [start])], set()
        while stack:
            node, trail = stack.pop()
            for nxt in graph[node]:
                if nxt == start:
                    return trail + [start]
                if nxt not in seen:
                    seen.add(nxt)
                    stack.append((nxt, trail + [nxt]))
        return None

    cycles = {" → ".join(c) for name in graph if (c := cycle_from(name))}
    assert not cycles, cycles
    assert sum(len(v) for v in graph.values()) > 50  # the scan saw the imports
