"""Paths of the frozen splits and of the real labelled texts they are drawn from."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest

from tests.support.paths import SHARED_DIR, SPLIT_SCRIPT

SEED_FILE = SHARED_DIR / "data" / "annotations-seed" / "seed.jsonl"
POOL_FILE = SHARED_DIR / "data" / "annotations-pool" / "pool.jsonl"


@pytest.fixture(scope="session")
def split_script() -> ModuleType:
    """The split script, imported as a module (it is a script, not a package)."""
    spec = importlib.util.spec_from_file_location("make_pool_split", SPLIT_SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="session")
def labelled_files() -> tuple[Path, Path]:
    """The seed and pool files; missing data is a failure, never a skip."""
    for path in (SEED_FILE, POOL_FILE):
        assert path.exists(), f"{path} is missing: set VIGIE_SHARED_DIR to the shared folder"
    return SEED_FILE, POOL_FILE
