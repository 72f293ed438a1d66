"""No import circle between our modules, at module level or inside functions, and rooms keep their order."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("core", "crawler", "nlp", "search_api", "vigie")
# Inside a package, a room never imports the rooms that build on it.
INNER_RULES = {
    "search_api.engines": ("search_api.app",),
    "core.storage": ("core.metrics",),
    "vigie.ops": ("vigie.commands", "vigie.cli"),
    "vigie.stages": ("vigie.commands", "vigie.cli", "vigie.wiring"),
    "vigie.wiring": ("vigie.commands", "vigie.cli"),
    "nlp.decisions": ("nlp.pipeline",),
}
# Value types sit at the bottom of their package: they import only these modules of ours.
BOTTOM = {
    "core.domain": {"core.errors"},  # the error tree imports nothing of ours: it sits at the bottom too
    "nlp.items": set(),
    "nlp.geo.results": {"core.domain", "nlp.geo.normalise"},
    "nlp.geo.words": set(),
    "nlp.geo.normalise": set(),
}


def module_name(path: Path, root: Path = ROOT) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _imported(tree: ast.AST, package: str) -> list[tuple[str, list[str]]]:
    """(module, names) a module imports at run time (annotations-only imports under TYPE_CHECKING aside)."""
    found: list[tuple[str, list[str]]] = []
    stack: list[ast.AST] = [tree]
    while stack:
        node = stack.pop()
        if isinstance(node, ast.If) and _is_type_checking(node):
            stack.extend(node.orelse)
            continue
        if isinstance(node, ast.Import):
            found.extend((alias.name, []) for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")
                anchor = parts[: len(parts) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            found.append((base, [alias.name for alias in node.names]))
        stack.extend(ast.iter_child_nodes(node))
    return found


def import_graph(root: Path = ROOT) -> dict[str, set[str]]:
    """Module -> the modules of ours it imports.

    `from pkg import module` counts the module only (its package is a parent, run first anyway);
    `from pkg import name` counts pkg.
    """
    files = {module_name(p, root): p for pkg in PACKAGES for p in sorted((root / pkg).rglob("*.py"))}
    graph: dict[str, set[str]] = {}
    for name, path in files.items():
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        targets: set[str] = set()
        for base, names in _imported(tree, package):
            submodules = {f"{base}.{n}" for n in names if f"{base}.{n}" in files}
            targets |= submodules
            if not names or len(submodules) < len(names):
                targets.add(base)
        graph[name] = {t for t in targets if t in files and t != name}
    return graph


def find_cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    cycles: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in sorted(graph.get(node, ())):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                top = stack.pop()
                on_stack.discard(top)
                component.append(top)
                if top == node:
                    break
            if len(component) > 1:
                cycles.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return cycles


def test_no_import_cycle_anywhere() -> None:
    cycles = find_cycles(import_graph())
    assert not cycles, "import circles:\n" + "\n".join(" <-> ".join(c) for c in cycles)


@pytest.mark.parametrize("room", sorted(INNER_RULES))
def test_rooms_import_only_downwards(room: str) -> None:
    graph = import_graph()
    bad = [
        f"{module} imports {target}"
        for module, targets in graph.items()
        if module == room or module.startswith(room + ".")
        for target in targets
        for banned in INNER_RULES[room]
        if target == banned or target.startswith(banned + ".")
    ]
    assert not bad, "\n".join(bad)


@pytest.mark.parametrize("module", sorted(BOTTOM))
def test_value_types_sit_at_the_bottom(module: str) -> None:
    imported = import_graph()[module]
    assert imported <= BOTTOM[module], f"{module} imports {sorted(imported - BOTTOM[module])}"


def test_checker_finds_a_cycle_inside_functions(tmp_path: Path) -> None:
    pkg = tmp_path / "core"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("", encoding="utf-8")
    (pkg / "a.py").write_text("from core import b\n", encoding="utf-8")
    (pkg / "b.py").write_text("def f():\n    from core.a import x\n", encoding="utf-8")
    (pkg / "c.py").write_text(
        "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from core import a\n", encoding="utf-8"
    )
    for other in PACKAGES[1:]:
        (tmp_path / other).mkdir()
    assert find_cycles(import_graph(tmp_path)) == [["core.a", "core.b"]]
