"""spaCy's French token-match regex from the per-machine cache: same matches, the file rebuilt when bad."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
# In a fresh interpreter (the pattern is compiled once per process, at spaCy's import): prime from the
# cache, then compare the pattern spaCy got with one compiled the ordinary way, word by word.
SCRIPT = """
import json, re, sys
from nlp.compiled_patterns import prime_french_token_match
hit = prime_french_token_match()
import spacy.lang.fr.tokenizer_exceptions as te
got = te.TOKEN_MATCH.__self__
fresh = re._compiler.compile(got.pattern, 0)
words = json.load(open(sys.argv[1], encoding="utf-8"))
spans = lambda p: [(m.span() if (m := p.match(w)) else None) for w in words]
matched = sum(1 for s in spans(got) if s)
print(json.dumps({"hit": hit, "same": spans(got) == spans(fresh), "matched": matched}))
"""


def _run(cache: Path, words: Path) -> dict[str, object]:
    env = os.environ | {"XDG_CACHE_HOME": str(cache), "PYTHONPATH": str(ROOT)}
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT, str(words)], env=env, cwd=ROOT, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr[-2000:]
    result: dict[str, object] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def test_the_cached_pattern_matches_as_spacys_own(tmp_path: Path, shared_dir: Path) -> None:
    seed = shared_dir / "data" / "annotations-seed" / "seed.jsonl"
    lines = seed.read_text(encoding="utf-8").splitlines()[:60]
    words = [w for line in lines for w in str(json.loads(line)["text"]).split()]
    words += ["anti-Covid", "saut-de-ski", "entr'abat", "New-York", "porte-parole", "ex-maire"]
    (tmp_path / "words.json").write_text(json.dumps(words), encoding="utf-8")
    cache = tmp_path / "cache"
    first = _run(cache, tmp_path / "words.json")
    assert first["hit"] is False and first["same"] is True
    (written,) = (cache / "vigie").iterdir()
    second = _run(cache, tmp_path / "words.json")
    assert second == {"hit": True, "same": True, "matched": first["matched"]}
    assert int(str(second["matched"])) >= 6  # the hyphenated words above, at least
    written.write_bytes(written.read_bytes()[:-1000])  # truncated: the checksum fails, compiled anew
    third = _run(cache, tmp_path / "words.json")
    assert third["hit"] is False and third["same"] is True
    assert _run(cache, tmp_path / "words.json")["hit"] is True
