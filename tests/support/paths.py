"""Where the tests find the repository and the read-only shared material (set VIGIE_SHARED_DIR)."""

from __future__ import annotations

import os
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
SHARED_DIR = Path(os.environ.get("VIGIE_SHARED_DIR", REPO_ROOT.parent / "shared"))
SPLITS_DIR = REPO_ROOT / "data" / "splits"
SPLIT_SCRIPT = REPO_ROOT / "scripts" / "make_pool_split.py"
