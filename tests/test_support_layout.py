"""Shared test helpers live in tests/support: no test module imports another test module or conftest.

A test file may import `tests.support.*`, and a helper module of its own area that is not a test module
(e.g. tests/search/corpus.py from tests/search). It may not import a `test_*` module, a `conftest`, or
anything of another area: what two areas share goes to tests/support (fixtures through the pytest plugins
listed in tests/conftest.py). tests/support itself imports no test area.
"""

from __future__ import annotations

import ast
from pathlib import Path

TESTS = Path(__file__).resolve().parent


def _tests_imports(source: str) -> list[tuple[str, int]]:
    """Every absolute import of a `tests.` module in ``source`` (`from tests import x` too), with its line."""
    found: list[tuple[str, int]] = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found += [(alias.name, node.lineno) for alias in node.names if alias.name.startswith("tests.")]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            if node.module == "tests":
                found += [(f"tests.{alias.name}", node.lineno) for alias in node.names]
            elif node.module.startswith("tests."):
                found.append((node.module, node.lineno))
    return found


def _area(parts: tuple[str, ...]) -> str:
    """The test area of a module path below tests/ ("" for tests/*.py)."""
    return parts[0] if len(parts) > 1 else ""


def layout_violations(relative: Path, source: str) -> list[str]:
    """What is wrong with the imports of the file ``relative`` (to tests/) holding ``source``."""
    own = _area(relative.parts)
    problems = []
    for module, line in _tests_imports(source):
        target = tuple(module.split(".")[1:])
        where = f"tests/{relative.as_posix()}:{line} imports {module}"
        if target[:1] == ("support",):
            continue
        if own == "support":
            problems.append(f"{where}: tests/support must not depend on a test area")
        elif target[-1] == "conftest" or target[-1].startswith("test_"):
            problems.append(f"{where}: a test module or conftest; move what is shared to tests/support")
        elif _area(target) != own:
            problems.append(f"{where}: another area's module; move what is shared to tests/support")
    return problems


def test_no_test_module_imports_another_test_module() -> None:
    files = sorted(TESTS.rglob("*.py"))
    assert len(files) > 50, "the test tree was not found"
    problems = [
        problem
        for path in files
        for problem in layout_violations(path.relative_to(TESTS), path.read_text(encoding="utf-8"))
    ]
    assert problems == [], "\n".join(problems)


def test_the_layout_check_catches_each_kind_of_import() -> None:
    bad = {
        "harden/conftest.py": "from tests.ops.conftest import any_db_url",
        "ui/test_x.py": "from tests.api.live import LiveApp",
        "ops/test_y.py": "import tests.core.test_urls_and_page_ids",
        "harden/test_z.py": "from tests.harden import test_crash_consistency",
        "support/web.py": "from tests.api.corpus import DOCS",
    }
    for name, source in bad.items():
        assert len(layout_violations(Path(name), source)) == 1, (name, source)
    good = {
        "ui/test_x.py": "from tests.support.live_app import LiveApp\nfrom tests.support import web",
        "search/test_contract.py": "from tests.search.corpus import DOCS",
        "support/crawl.py": "from tests.support.cli import run_vigie",
    }
    for name, source in good.items():
        assert layout_violations(Path(name), source) == [], (name, source)
