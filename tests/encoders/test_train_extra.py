"""The `train` extra: pinned, installed by `make test`, and matching what the suite runs on."""

from __future__ import annotations

import re
import tomllib
from importlib.metadata import version
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _train_pins() -> dict[str, str]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    pins = {}
    for spec in project["optional-dependencies"]["train"]:
        name, _, pinned = spec.partition("==")
        assert pinned, f"{spec!r}: the train extra pins every package with =="
        pins[name] = pinned
    runtime = " ".join(project["dependencies"])
    assert "torch" not in runtime and "sentence-transformers" not in runtime, "torch stays out of the runtime"
    return pins


def test_train_extra_is_pinned_and_installed() -> None:
    pins = _train_pins()
    assert {"sentence-transformers", "torch"} <= set(pins)
    for name, pinned in pins.items():
        assert version(name) == pinned, f"{name}: installed {version(name)}, pinned {pinned}"


def test_onnx_runtime_dependencies_are_pinned_and_installed() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    runtime = dict(spec.partition("==")[::2] for spec in project["dependencies"] if "==" in spec)
    for name in ("onnxruntime", "tokenizers"):
        assert version(name) == runtime[name], name


def test_make_test_installs_the_train_extra() -> None:
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    assert re.search(r"pip install -q -e '\.\[dev,train\]'", makefile)
