"""Our labels of gathered excerpts: valid records, disjoint from the labelled sets and the private URLs."""

from __future__ import annotations

import hashlib
import importlib.util
import json
from pathlib import Path
from types import ModuleType
from urllib.parse import urlsplit

import pytest

from nlp.classifiers.examples import parse_example
from nlp.classifiers.gathered import load_gathered_examples
from tests.support.jsonl import write_jsonl
from tests.support.paths import REPO_ROOT, SHARED_DIR

LABELS = REPO_ROOT / "data" / "annotations" / "gathered" / "labels.jsonl"
PRIVATE = SHARED_DIR / "data" / "private-url-hashes.txt"


def _script() -> ModuleType:
    path = REPO_ROOT / "scripts" / "split_gathered.py"
    spec = importlib.util.spec_from_file_location("split_gathered", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _normalised(url: str) -> str:
    """The seed README's rule: lower-case; scheme, `www.`, query, fragment and trailing slash removed."""
    parts = urlsplit(url.strip().lower())
    return parts.netloc.removeprefix("www.") + parts.path.rstrip("/")


def _labels() -> list[dict[str, object]]:
    return [json.loads(line) for line in LABELS.read_text(encoding="utf-8").splitlines() if line.strip()]


def test_the_split_keeps_labels_here_and_texts_outside(tmp_path: Path) -> None:
    source = write_jsonl(
        tmp_path / "gathered.jsonl",
        [
            {"id": "gx0001", "url": "https://a.fr/x", "text": "Une régie ouvre.", "is_initiative": True},
            "{not json",
            {"id": "gx0002", "url": "https://b.fr/y", "text": "Statistiques.", "is_initiative": False},
        ],
    )
    labels, texts = tmp_path / "labels.jsonl", tmp_path / "texts.jsonl"
    written, problems = _script().split(source, labels, texts)
    assert written == 2 and len(problems) == 1 and "gathered.jsonl:2: not JSON" in problems[0]
    assert "text" not in labels.read_text(encoding="utf-8").replace("text_sha256", "")
    examples = load_gathered_examples(labels, texts)
    assert [(e.id, e.is_initiative) for e in examples] == [("gx0001", True), ("gx0002", False)]
    assert examples[0].text == "Une régie ouvre."


def test_the_split_refuses_to_write_texts_into_the_repository(tmp_path: Path) -> None:
    source = write_jsonl(tmp_path / "g.jsonl", [{"id": "gx0001", "text": "t", "is_initiative": False}])
    with pytest.raises(SystemExit, match="inside the repository"):
        _script().split(source, tmp_path / "labels.jsonl", REPO_ROOT / "texts.jsonl")


def test_every_label_line_is_a_valid_record_without_its_text() -> None:
    records = _labels()
    assert records, f"{LABELS} is empty"
    ids = [str(r["id"]) for r in records]
    assert len(set(ids)) == len(ids) and all(i.startswith("gx") for i in ids)
    for record in records:
        assert "text" not in record and len(str(record["text_sha256"])) == 64
        example = parse_example(record | {"text": "placeholder"}, "gathered")  # raises on a bad label
        if not example.is_initiative:
            assert example.in_qpv is None and not example.innovation_types and not example.communes


def test_no_gathered_url_is_labelled_elsewhere_or_private() -> None:
    """Drop rule of ../shared/data/README.md: the private evaluation URLs stay out of what we gather."""
    for path in (PRIVATE, SHARED_DIR / "data" / "annotations-pool" / "pool.jsonl"):
        assert path.exists(), f"{path} is missing: set VIGIE_SHARED_DIR to the shared folder"
    private = {line.strip() for line in PRIVATE.read_text().splitlines() if not line.startswith("#")}
    labelled = set()
    for name in ("annotations-seed/seed.jsonl", "annotations-pool/pool.jsonl"):
        for line in (SHARED_DIR / "data" / name).read_text(encoding="utf-8").splitlines():
            labelled.add(_normalised(json.loads(line)["url"]))
    urls = [_normalised(str(r["url"])) for r in _labels()]
    assert len(set(urls)) == len(urls), "a page is labelled twice"
    assert not set(urls) & labelled
    assert not {hashlib.sha256(u.encode("utf-8")).hexdigest() for u in urls} & private
