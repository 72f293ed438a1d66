"""The CLI readers never crash on a bad line: encoding, surrogates, ids, duplicates, huge lines (fuzzed too).

Also: `vigie index missing.jsonl` and a damaged `vigie restore` archive give clear errors, backups are
0600, `vigie train --version ../../x` is refused.
"""

from __future__ import annotations

import io
import json
import stat
import subprocess
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core import inputs
from core.domain import TrainOptions
from core.errors import InputError
from core.inputs import MAX_TEXT_CHARS
from nlp.pipeline import ItemError
from tests.support.cli import run_vigie
from vigie.commands import analyze, search

GOOD = {"id": "ok-1", "text": "Un jardin partagé ouvre au pied des immeubles."}
BAD_LINES: dict[str, bytes] = {
    "invalid UTF-8": b'{"id": "u1", "text": "caf\xe9"}',
    "lone surrogate": b'{"id": "s1", "text": "x\\ud800y"}',
    "id": b'{"id": 5, "text": "x"}',
    "empty id": b'{"id": "  ", "text": "x"}',
    "65 characters": json.dumps({"id": "a" * 65, "text": "x"}).encode(),
    "control characters": json.dumps({"id": "a\nb", "text": "x"}).encode(),
    "not JSON": b'{"id": "n1", "text": ',
    "JSON object": b'["a", "b"]',
    "duplicate id": json.dumps(GOOD).encode(),
}


def _file(lines: list[bytes]) -> bytes:
    return b"\n".join([json.dumps(GOOD).encode(), *lines]) + b"\n"


def test_index_reader_reports_each_bad_line_and_keeps_the_good_one(tmp_path: Path) -> None:
    path = tmp_path / "in.jsonl"
    path.write_bytes(_file(list(BAD_LINES.values())))
    items, bad = search._read_lines(path)
    assert [i["id"] for i in items] == ["ok-1"]
    assert sorted(bad) == list(range(2, 2 + len(BAD_LINES)))
    reasons = " | ".join(bad.values())
    for word in ("invalid UTF-8", "lone surrogate", "65 characters", "duplicate id 'ok-1' (first on line 1)"):
        assert word in reasons


def test_analyze_reader_reports_each_bad_line_and_keeps_the_good_one() -> None:
    out = list(analyze.iter_jsonl_items(io.BytesIO(_file(list(BAD_LINES.values())))))
    items = [o for o in out if not isinstance(o, ItemError)]
    errors = [o for o in out if isinstance(o, ItemError)]
    assert [i["id"] for i in items] == ["ok-1"]
    assert [e.line for e in errors] == list(range(2, 2 + len(BAD_LINES)))
    assert any("lone surrogate" in e.reason for e in errors)


def test_huge_lines_are_reported_and_long_texts_capped(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(inputs, "MAX_LINE_BYTES", 10_000)
    long_text = {"id": "long", "text": "é" * (MAX_TEXT_CHARS + 10)}
    huge = {"id": "huge", "text": "x"}
    path = tmp_path / "in.jsonl"
    path.write_text(json.dumps(long_text) + "\n" + json.dumps(huge) + " " * 20_000 + "\n", encoding="utf-8")
    monkeypatch.setattr(inputs, "MAX_LINE_BYTES", 10 * MAX_TEXT_CHARS)
    items, bad = search._read_lines(path)
    assert len(items[0]["text"]) == MAX_TEXT_CHARS and bad == {}
    monkeypatch.setattr(inputs, "MAX_LINE_BYTES", 30_000)
    items, bad = search._read_lines(path)
    assert [i["id"] for i in items] == ["huge"] and "at most 30000" in bad[1]


SURROGATES = st.sampled_from(["x\ud800y", "\udfff", "é\udc80"])
TEXT_LINES = st.fixed_dictionaries(
    {"id": st.text(max_size=70) | st.integers(), "text": st.text(max_size=80) | SURROGATES}
).map(lambda d: json.dumps(d).encode())  # json.dumps writes lone surrogates as \\udXXX escapes


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.binary(max_size=200) | TEXT_LINES, max_size=8))
def test_fuzzed_lines_never_raise(tmp_path: Path, lines: list[bytes]) -> None:
    data = b"\n".join(line.replace(b"\n", b" ") for line in lines) + b"\n"
    path = tmp_path / "fuzz.jsonl"
    path.write_bytes(data)
    items, bad = search._read_lines(path)
    non_blank = sum(1 for line in data.split(b"\n") if line.strip())
    assert len(items) + len(bad) <= non_blank
    for item in items:  # what is kept can be stored as UTF-8
        json.dumps(item, ensure_ascii=False).encode("utf-8")
    out = list(analyze.iter_jsonl_items(io.BytesIO(data)))
    for item in out:
        if not isinstance(item, ItemError):
            json.dumps(item, ensure_ascii=False).encode("utf-8")


def _vigie(args: list[str], tmp_path: Path) -> subprocess.CompletedProcess[str]:
    return run_vigie(args, tmp_path / "var")


def test_index_of_a_missing_file_is_a_clear_error(tmp_path: Path) -> None:
    done = _vigie(["index", str(tmp_path / "missing.jsonl")], tmp_path)
    assert done.returncode == 1
    assert "input file not found" in done.stderr and "Traceback" not in done.stderr


def test_damaged_restore_archive_is_a_clear_error(tmp_path: Path) -> None:
    assert _vigie(["users", "list"], tmp_path).returncode == 0  # creates and migrates the database
    backup = _vigie(["backup", str(tmp_path / "b.tar.gz")], tmp_path)
    assert backup.returncode == 0, backup.stderr
    archive = tmp_path / "b.tar.gz"
    assert stat.S_IMODE(archive.stat().st_mode) == 0o600  # holds password hashes
    damaged = tmp_path / "damaged.tar.gz"
    damaged.write_bytes(archive.read_bytes()[: archive.stat().st_size // 2])
    (tmp_path / "var").rename(tmp_path / "var-old")
    done = _vigie(["restore", str(damaged)], tmp_path)
    assert done.returncode == 1, done.stderr
    assert "damaged" in done.stderr or "not a" in done.stderr
    assert "Traceback" not in done.stderr


@pytest.mark.parametrize("version", ["../../x", "/tmp/x", "..", "a/b", "", "x" * 65])
def test_model_versions_are_names_not_paths(version: str) -> None:
    with pytest.raises(InputError, match="invalid model version name"):
        TrainOptions(version=version)
    assert TrainOptions(version="v9.2026-03_b").version == "v9.2026-03_b"
