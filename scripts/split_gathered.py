"""Split a gathering file into our labels (kept in the repository) and the texts (kept outside it).

A gathering file holds one JSON record per excerpt found through the stored-page search service, with the
seed's label fields, its text and its URL (`data/annotations/gathered/README.md`). This writes:

- ``--labels`` (default ``data/annotations/gathered/labels.jsonl``): every field but the text, plus the
  SHA-256 of the text, so that training can tell when a text it is given is not the one we labelled;
- ``--texts``: ``{"id", "url", "text"}`` per record, to keep outside the repository (third-party text) and
  name with ``VIGIE_GATHERED_TEXTS``.

Run from the repository root::

    python scripts/split_gathered.py GATHERED.jsonl --texts /somewhere/outside/gathered-texts.jsonl

A line that is not a record with an id and a text is reported with its number and left out; the others
are written (both files are replaced whole, through a temporary file).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from nlp.classifiers.gathered import text_sha256  # noqa: E402  # the hash training checks, one definition

DEFAULT_LABELS = REPO / "data" / "annotations" / "gathered" / "labels.jsonl"
TEXT_FIELDS = ("id", "url", "text")


def split(source: Path, labels: Path, texts: Path) -> tuple[int, list[str]]:
    """Write both files; returns the records written and the problems found (one per bad line)."""
    if texts.resolve().is_relative_to(REPO):
        raise SystemExit(f"--texts {texts} is inside the repository: keep third-party texts outside it")
    label_lines: list[str] = []
    text_lines: list[str] = []
    problems: list[str] = []
    for number, line in enumerate(source.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            problems.append(f"{source}:{number}: not JSON ({exc.msg})")
            continue
        if not isinstance(record, dict) or not isinstance(record.get("id"), str) or not record.get("text"):
            problems.append(f"{source}:{number}: needs a string id and a text")
            continue
        text = str(record["text"])
        label = {k: v for k, v in record.items() if k != "text"}
        label["text_sha256"] = text_sha256(text)
        label_lines.append(json.dumps(label, ensure_ascii=False))
        text_lines.append(json.dumps({k: record.get(k) for k in TEXT_FIELDS}, ensure_ascii=False))
    for path, lines in ((labels, label_lines), (texts, text_lines)):
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(path.name + ".tmp")
        tmp.write_text("".join(x + "\n" for x in lines), encoding="utf-8")
        tmp.replace(path)
    return len(label_lines), problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("source", type=Path, help="the gathering file (records with their texts)")
    parser.add_argument("--labels", type=Path, default=DEFAULT_LABELS)
    parser.add_argument("--texts", type=Path, required=True, help="texts file, outside the repo")
    args = parser.parse_args(argv)
    written, problems = split(args.source, args.labels, args.texts)
    for problem in problems:
        print(problem, file=sys.stderr)
    print(f"{written} records: labels -> {args.labels}, texts -> {args.texts}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
