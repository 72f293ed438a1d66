"""Running the `vigie` CLI in a subprocess where `import torch` fails (the runtime install has no torch)."""

from __future__ import annotations

import subprocess
import sys

from tests.support.cli import vigie_env

# Runs `vigie` as a user does, with every import of the train extra (torch, transformers,
# sentence-transformers, safetensors) failing: the runtime install has none of them.
NO_TORCH = """
import runpy, sys
TRAIN = ("torch", "transformers", "sentence_transformers", "safetensors")
class NoTrainExtra:
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in TRAIN:
            raise ImportError(name + " is hidden from this process (train extra)")
        return None
sys.meta_path.insert(0, NoTrainExtra())
sys.argv = ["vigie", *sys.argv[1:]]
try:
    runpy.run_module("vigie", run_name="__main__")
finally:
    assert not any(m.split(".")[0] in TRAIN for m in sys.modules)
"""


def run_without_torch(*args: str) -> subprocess.CompletedProcess[str]:
    """`vigie ARGS` in a subprocess where torch and the rest of the train extra cannot be imported."""
    return subprocess.run(
        [sys.executable, "-c", NO_TORCH, *args],
        env=vigie_env(),
        capture_output=True,
        text=True,
        check=False,
        timeout=900,
    )
