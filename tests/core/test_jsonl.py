"""The one JSONL reader, and the error policy each caller keeps on a real file with bad lines."""

from __future__ import annotations

import io
import logging
from pathlib import Path

import pytest

from core.errors import InputError
from core.jsonl import JsonlError, JsonlRecord, iter_jsonl, iter_jsonl_file
from nlp.classifiers.examples import load_jsonl_examples
from nlp.geo.evaluation import iter_records
from search_api.engines.evaluation import iter_corpus, load_queries
from vigie.commands.analyze import iter_jsonl_items
from vigie.commands.search import _read_lines

GOOD = b'{"id": "a", "text": "Un jardin partag\xc3\xa9", "is_initiative": true}\n'
LINES = [
    b"\xef\xbb\xbf" + GOOD,  # 1: a byte-order mark before the first line
    b"\n",  # 2: blank, skipped
    b'{"id": "b", "text": "caf\xe9", "is_initiative": false}\n',  # 3: Latin-1, not UTF-8
    b'{"id": "c", "text": "\\ud800 seul", "is_initiative": false}\n',  # 4: a lone surrogate escape
    b'{"id": "d", "text": "\xed\xa0\x80", "is_initiative": false}\n',  # 5: a surrogate encoded in UTF-8
    b'{"id": "e", "text": \n',  # 6: broken JSON
    b'["not", "an", "object"]\n',  # 7: valid JSON, not an object: the caller decides
    b'{"id": "f", "text": "\\ud83d\\ude00 ok", "is_initiative": false}',  # 8: a proper pair, no newline
]


def test_each_line_is_a_record_or_a_typed_error() -> None:
    items = list(iter_jsonl(io.BytesIO(b"".join(LINES))))
    assert [i.line for i in items] == [1, 3, 4, 5, 6, 7, 8]
    kinds = {i.line: i.kind for i in items if isinstance(i, JsonlError)}
    assert kinds == {3: "encoding", 4: "encoding", 5: "encoding", 6: "json"}
    errors = {i.line: i.reason for i in items if isinstance(i, JsonlError)}
    assert errors[3].startswith("invalid UTF-8 at byte") and "lone surrogate \\ud800" in errors[4]
    assert errors[6].startswith("not valid JSON")
    records = [i for i in items if isinstance(i, JsonlRecord)]
    assert records[0].value["id"] == "a" and records[-1].value["text"] == "\U0001f600 ok"


@pytest.fixture
def bad_file(tmp_path: Path) -> Path:
    path = tmp_path / "lines.jsonl"
    path.write_bytes(b"".join(LINES))
    return path


def test_training_examples_fail_on_the_first_bad_line(bad_file: Path) -> None:
    with pytest.raises(InputError, match=r"lines.jsonl:3: bad annotation line \(invalid UTF-8"):
        load_jsonl_examples(bad_file, "test")


def test_geo_evaluation_logs_and_skips_bad_lines(bad_file: Path, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING):
        records = list(iter_records([bad_file]))
    assert [r["id"] for r in records] == ["a", "f"]
    assert "line=4 error=lone surrogate" in caplog.text and "line=7" in caplog.text


def test_search_evaluation_files_fail_naming_the_line(bad_file: Path, tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"lines.jsonl:1: not a judged query"):
        load_queries(bad_file)
    with pytest.raises(InputError, match=r"lines.jsonl:3: unreadable corpus line: invalid UTF-8"):
        list(iter_corpus(bad_file))
    queries = tmp_path / "q.jsonl"
    queries.write_bytes(b'{"qid": "q1", "query": "\\udc80", "relevant": {}}\n')
    with pytest.raises(InputError, match=r"q.jsonl:1: .*lone surrogate"):
        load_queries(queries)
    with pytest.raises(InputError, match="not found"):
        list(iter_jsonl_file(tmp_path / "missing.jsonl"))


def test_analyze_and_index_inputs_report_every_bad_line_and_go_on(bad_file: Path) -> None:
    items = list(iter_jsonl_items(bad_file.open("rb")))
    good = [i["id"] for i in items if isinstance(i, dict)]
    bad = {i.line: i.reason for i in items if not isinstance(i, dict)}
    assert good == ["a", "f"] and sorted(bad) == [3, 4, 5, 6, 7]
    assert "lone surrogate" in bad[4] and "expected a JSON object" in bad[7]
    lines, reasons = _read_lines(bad_file)
    assert [x["id"] for x in lines] == ["a", "f"] and sorted(reasons) == [3, 4, 5, 6, 7]
