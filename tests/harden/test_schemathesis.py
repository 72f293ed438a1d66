"""Property-based API tests (schemathesis) against `/openapi.json` of a live server, with an admin token.

Every operation is fuzzed with a bounded number of examples: no answer may be a server error; the API
(`/api/...`) answers only documented status codes, content types and response shapes. Operations
that start heavy jobs or could lock the test out (train, re-analysis, promote/rollback, user and token
removal, logout) are excluded; they have their own tests.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.support.live_app import LiveApp, live_app

EXCLUDED = (
    r"^/api/models/train$|^/api/reanalyze$|^/admin/modeles/entrainer$|^/admin/reanalyser$"
    r"|promote|promouvoir|rollback|retour$|^/api/users|^/admin/utilisateurs|^/api/tokens/|^/deconnexion$"
    r"|^/compte/jeton/.+/revoquer$"
)
MAX_EXAMPLES = 12


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory, shared_dir: Path) -> Iterator[LiveApp]:
    with live_app(tmp_path_factory.mktemp("fuzz") / "var", shared_dir / "data" / "reference") as app:
        yield app


@pytest.fixture(scope="module")
def api_schema(live: LiveApp) -> Any:
    return schemathesis.openapi.from_url(f"{live.url}/openapi.json").exclude(path_regex=EXCLUDED)


def _fuzz(
    operation: Any, mode: GenerationMode, live: LiveApp, failures: list[str], counts: dict[str, int]
) -> None:
    headers = {"Authorization": f"Bearer {live.tokens['admin']}"}
    if operation.path.startswith("/api/"):
        checks = [not_a_server_error, status_code_conformance, content_type_conformance]
        if mode is GenerationMode.POSITIVE:
            checks.append(response_schema_conformance)
    else:  # HTML pages and forms: redirects and pages are theirs to answer, never a 500
        checks = [not_a_server_error]

    @given(operation.as_strategy(generation_mode=mode))
    @settings(max_examples=MAX_EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck),
              derandomize=True, database=None, phases=[Phase.explicit, Phase.generate])  # fmt: skip
    def run(case: Any) -> None:
        counts["cases"] += 1
        try:
            case.call_and_validate(base_url=live.url, headers=headers, checks=checks)
        except Exception as exc:  # collected: one report for every operation
            failures.append(f"{operation.method.upper()} {operation.path} [{mode}]: {str(exc)[:600]}")
            raise

    try:
        run()
    except Unsatisfiable:  # nothing can be made invalid (no parameters, or only free strings)
        counts["without_negative_cases"] += 1
    except Exception as exc:
        failures.append(f"{operation.method.upper()} {operation.path} [{mode}]: {type(exc).__name__}")


def test_no_server_error_and_documented_answers(live: LiveApp) -> None:
    schema = schemathesis.openapi.from_url(f"{live.url}/openapi.json").exclude(path_regex=EXCLUDED)
    failures: list[str] = []
    counts = {"operations": 0, "cases": 0, "without_negative_cases": 0}
    for result in schema.get_all_operations():
        operation = result.ok()
        counts["operations"] += 1
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            _fuzz(operation, mode, live, failures, counts)
    print(f"schemathesis: {counts['operations']} operations, {counts['cases']} cases "
          f"({counts['without_negative_cases']} operations without invalid input to make), "
          f"{len(failures)} failures")  # fmt: skip
    assert not failures, "\n\n".join(failures)
