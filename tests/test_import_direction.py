"""The one-way import rule: core <- crawler, nlp, search_api <- vigie."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
ALLOWED = {
    "core": {"core"},
    "crawler": {"core", "crawler"},
    "nlp": {"core", "nlp"},
    "search_api": {"core", "search_api"},
    "vigie": {"core", "crawler", "nlp", "search_api", "vigie"},
}


def _our_imports(path: Path) -> set[tuple[str, int]]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found: set[tuple[str, int]] = set()
    for node in ast.walk(tree):
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module]
        for name in names:
            top = name.split(".")[0]
            if top in ALLOWED:
                found.add((top, node.lineno))
    return found


@pytest.mark.parametrize("package", sorted(ALLOWED))
def test_package_imports_only_allowed_packages(package: str) -> None:
    files = sorted((ROOT / package).rglob("*.py"))
    assert files, f"package {package} has no Python file"
    violations = [
        f"{path.relative_to(ROOT)}:{line} imports {top}"
        for path in files
        for top, line in _our_imports(path)
        if top not in ALLOWED[package]
    ]
    assert not violations, "import direction broken:\n" + "\n".join(violations)


def test_checker_catches_a_violation(tmp_path: Path) -> None:
    bad = tmp_path / "bad.py"
    bad.write_text("from search_api.engines import base\nimport nlp\n", encoding="utf-8")
    assert {top for top, _ in _our_imports(bad)} == {"search_api", "nlp"}
