"""Real excerpts the team gathered and labelled itself: the labels live here, the texts outside.

`data/annotations/gathered/labels.jsonl` holds our labels of real French excerpts found through the
stored-page search service (the pool's method; `data/annotations/gathered/README.md`): one line per text
with its id (`gx0001`...), the page URL, the SHA-256 of the excerpt and the seed's label fields. The
excerpts are third-party text, so they stay outside the repository, in a JSONL file of `{"id", "text"}`
records named by `VIGIE_GATHERED_TEXTS`. Training joins the two by id; a text that is missing, changed
(its hash differs) or unreadable is left out with a warning, and the other examples still load. Without
the texts file the gathered labels are simply not used (a warning says so).
"""

from __future__ import annotations

import hashlib
import logging
from pathlib import Path

from core.errors import InputError
from core.jsonl import JsonlError, iter_jsonl_file
from nlp.classifiers.examples import TrainingExample, parse_example

log = logging.getLogger(__name__)

LABELS_FILE = Path("gathered") / "labels.jsonl"
ORIGIN = "gathered"


def text_sha256(text: str) -> str:
    """The hash a label line keeps of its excerpt (UTF-8 bytes, exactly as stored)."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def read_gathered_texts(path: Path) -> dict[str, str]:
    """id -> text of the texts file; a line that is not a JSON record with string id and text is skipped."""
    texts: dict[str, str] = {}
    bad = 0
    for item in iter_jsonl_file(path):
        value = None if isinstance(item, JsonlError) else item.value
        if (
            not isinstance(value, dict)
            or not isinstance(value.get("id"), str)
            or not isinstance(value.get("text"), str)
        ):
            bad += 1
            log.warning("gathered texts: line skipped (no id or text) path=%s line=%d", path, item.line)
            continue
        texts[value["id"]] = value["text"]
    if bad:
        log.warning("gathered texts: %d unreadable lines skipped path=%s", bad, path)
    return texts


def load_gathered_records(labels_path: Path, texts_path: Path | None) -> list[dict[str, object]]:
    """Our label records joined with their text (``"text"`` added), for those whose text is at hand and
    unchanged; [] without a labels or texts file.

    A label line that is not a valid record fails with its file and line number (the labels are ours, as
    every annotation file of `data/annotations`); a missing or changed text only leaves its record out.
    """
    return [record for _, record in _joined(labels_path, texts_path)]


def load_gathered_examples(labels_path: Path, texts_path: Path | None) -> list[TrainingExample]:
    """The gathered examples whose text is at hand and unchanged; [] without a labels or texts file
    (the same records as `load_gathered_records`, parsed as training examples)."""
    examples: list[TrainingExample] = []
    for line, record in _joined(labels_path, texts_path):
        try:
            examples.append(parse_example(record, ORIGIN))
        except InputError as exc:
            raise InputError(f"{labels_path}:{line}: bad label record ({exc})", hint=exc.hint) from exc
    return examples


def _joined(labels_path: Path, texts_path: Path | None) -> list[tuple[int, dict[str, object]]]:
    """(line, label record with its text) of every label whose text is at hand and unchanged."""
    if not labels_path.is_file():
        return []
    labels: list[tuple[int, dict[str, object]]] = []
    for item in iter_jsonl_file(labels_path):
        if isinstance(item, JsonlError):
            raise InputError(f"{labels_path}:{item.line}: not JSON ({item.reason})", hint="fix the line")
        if not isinstance(item.value, dict) or not isinstance(item.value.get("id"), str):
            raise InputError(
                f"{labels_path}:{item.line}: a label line needs a string id", hint='{"id": "gx0001", ...}'
            )
        labels.append((item.line, item.value))
    if texts_path is None or not texts_path.is_file():
        log.warning(
            "gathered labels not used: no texts file count=%d path=%s (set VIGIE_GATHERED_TEXTS to the"
            " gathered excerpts, kept outside the repository)",
            len(labels),
            texts_path,
        )
        return []
    texts = read_gathered_texts(texts_path)
    joined: list[tuple[int, dict[str, object]]] = []
    missing: list[str] = []
    changed: list[str] = []
    for line, record in labels:
        rid = str(record["id"])
        text = texts.get(rid)
        if text is None:
            missing.append(rid)
            continue
        if record.get("text_sha256") != text_sha256(text):
            changed.append(rid)
            continue
        joined.append((line, record | {"text": text}))
    if missing:
        log.warning("gathered texts missing count=%d e.g.=%s: left out", len(missing), missing[0])
    if changed:
        log.warning(
            "gathered texts changed since labelled count=%d e.g.=%s: left out (the label line's text_sha256"
            " no longer matches)",
            len(changed),
            changed[0],
        )
    log.info("gathered records count=%d of labels=%d", len(joined), len(labels))
    return joined
