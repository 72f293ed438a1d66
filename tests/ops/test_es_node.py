"""scripts/es-node.sh, scripts/test.sh: Elasticsearch prevented from starting stops the run, with the reason.

The Java check comes before any download or start, so these run in well under a second and need no node.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
ES_NODE = REPO / "scripts" / "es-node.sh"
TEST_SH = REPO / "scripts" / "test.sh"


def _run(script: Path, *args: str, java_home: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "VIGIE_ES_JAVA_HOME": str(java_home)}
    env.pop("VIGIE_ES_VERSION", None)  # the pinned version (9.2.0), which needs Java 21
    return subprocess.run(["bash", str(script), *args], capture_output=True, text=True, env=env, timeout=120)


def test_es_node_with_a_missing_java_fails_at_once_with_one_line(tmp_path: Path) -> None:
    state = tmp_path / "es"
    done = _run(ES_NODE, "start", str(state), java_home=tmp_path / "nonexistent")
    assert done.returncode == 1
    assert done.stdout == "", "no URL printed: nothing started"
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert lines[0].startswith(f"es-node: no Java at VIGIE_ES_JAVA_HOME={tmp_path / 'nonexistent'}")
    assert "point it at a JDK 21+" in lines[0]
    assert not state.exists(), "nothing is set up before Java is found"


def test_es_node_refuses_a_java_too_old_for_elasticsearch(tmp_path: Path) -> None:
    old = tmp_path / "jdk-11"
    (old / "bin").mkdir(parents=True)
    java = old / "bin" / "java"  # answers `java -version` as a JDK 11 does
    java.write_text("#!/bin/sh\necho 'openjdk version \"11.0.22\" 2024-01-16' >&2\n", encoding="utf-8")
    java.chmod(0o755)
    done = _run(ES_NODE, "start", str(tmp_path / "es"), java_home=old)
    assert done.returncode == 1
    assert done.stderr.strip() == (
        f"es-node: Elasticsearch 9.2.0 needs Java 21+, VIGIE_ES_JAVA_HOME={old} is Java 11: "
        "point it at a JDK 21+ or unset it"
    )


def test_the_test_command_stops_when_elasticsearch_cannot_start(tmp_path: Path) -> None:
    """The must-show of issue 21: `VIGIE_ES_JAVA_HOME=/nonexistent bash scripts/test.sh` fails, saying why."""
    done = _run(TEST_SH, "tests/search", "-x", java_home=tmp_path / "nonexistent")
    assert done.returncode == 1
    lines = done.stderr.strip().splitlines()
    assert lines[-2].startswith("es-node: no Java at VIGIE_ES_JAVA_HOME="), done.stderr
    assert lines[-1] == (
        "test.sh: FAILED: Elasticsearch did not start (reason above); fix it, or run one area without it: "
        "pytest -m 'not elasticsearch' (see docs/testing.md)"
    )
    # Nothing ran after the failed start: no PostgreSQL, no linter, no pytest.
    assert "PostgreSQL up" not in done.stderr and "passed" not in done.stdout + done.stderr
