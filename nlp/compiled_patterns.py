"""spaCy's French token-match regex, compiled once per machine instead of once per process.

`spacy.lang.fr.tokenizer_exceptions` compiles, at import, a 1.45 MB case-insensitive pattern (about 260
alternatives, each spelling out spaCy's Unicode letter classes): 3.5-5 CPU-seconds in every analysing
process, most of spaCy's load (docs/models.md, "Sixth session"). Python cannot pickle a compiled pattern,
but its compiler's output (the pattern's `sre` code) is a list of integers: `prime_french_token_match`
reads that code from a cache file and hands it to `re`'s own cache under the pattern's key, so the
import's `re.compile` finds it there. The code is what this very interpreter's compiler produced for the
very same pattern string (the file's name carries the Python version and `_sre.MAGIC`, the file carries
the pattern and a checksum), so the tokens are the same by construction. Any mismatch or error only
means the ordinary compile (and a fresh file for the next process).
"""

from __future__ import annotations

import array
import hashlib
import logging
import os
import re
import sys
import tempfile
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

MODULE = "spacy.lang.fr.tokenizer_exceptions"
_MARK = b"vigie-sre-1\n"


def get_cache_dir() -> Path:
    """``$XDG_CACHE_HOME/vigie``, else ``~/.cache/vigie`` (the user's cache, not a Vigie setting: the
    file is a pure function of spaCy's pattern and the interpreter, shared by every data directory)."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "vigie"


def _cache_file(cache_dir: Path) -> Path:
    import _sre

    version = "".join(str(n) for n in sys.version_info[:3])
    return cache_dir / f"spacy-fr-token-match-py{version}-sre{_sre.MAGIC}.bin"


def _compile_from_code(pattern: str, flags: int, groups: int, code: list[int]) -> re.Pattern[str]:
    import _sre

    # The same call `re._compiler.compile` ends with; `_sre` validates the code (bad code raises).
    compiled: re.Pattern[str] = _sre.compile(pattern, flags, code, groups - 1, {}, (None,) * groups)
    return compiled


def _read(path: Path) -> tuple[str, int, int, list[int]] | None:
    data = path.read_bytes()
    if not data.startswith(_MARK):
        return None
    header, _, rest = data[len(_MARK) :].partition(b"\n")
    flags, groups, n_pattern, digest = header.decode("ascii").split()
    pattern_bytes, code_bytes = rest[: int(n_pattern)], rest[int(n_pattern) :]
    if hashlib.sha256(rest).hexdigest() != digest:
        return None
    code = array.array("I")
    code.frombytes(code_bytes)
    return pattern_bytes.decode("utf-8"), int(flags), int(groups), code.tolist()


def _write(path: Path, pattern: str) -> None:
    from re import _compiler, _parser  # type: ignore[attr-defined]  # CPython's own, as re uses them

    tree: Any = _parser.parse(pattern, 0)
    code = array.array("I", _compiler._code(tree, 0))
    pattern_bytes = pattern.encode("utf-8")
    rest = pattern_bytes + code.tobytes()
    header = f"{tree.state.flags} {tree.state.groups} {len(pattern_bytes)} {hashlib.sha256(rest).hexdigest()}"
    path.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile(dir=path.parent, prefix=".tmp-", delete=False) as out:
        out.write(_MARK + header.encode("ascii") + b"\n" + rest)
    os.replace(out.name, path)  # whole or absent: a concurrent reader never sees half a file


def prime_french_token_match(cache_dir: Path | None = None) -> bool:
    """Before spaCy's French module is imported: put its compiled token-match pattern in `re`'s cache.

    Returns True when the cached code served the import. On a miss (no file yet, another spaCy or
    Python), the import compiles as usual and the file is written for the next process.
    """
    if MODULE in sys.modules:
        return False
    path = _cache_file(cache_dir or get_cache_dir())
    primed = None
    try:
        if path.exists() and (read := _read(path)) is not None:
            pattern, flags, groups, code = read
            primed = _compile_from_code(pattern, flags, groups, code)
            re._cache[type(pattern), pattern, 0] = primed  # type: ignore[attr-defined]  # re's own cache
    except (OSError, ValueError, RuntimeError, TypeError) as exc:
        log.debug("token-match cache unreadable path=%s error=%s", path, exc)
    import importlib

    module = importlib.import_module(MODULE)
    token_match = module.TOKEN_MATCH.__self__
    if primed is not None and token_match is primed:
        return True
    try:
        _write(path, token_match.pattern)
        log.info("spaCy French token-match pattern cached path=%s", path)
    except (OSError, ValueError, AttributeError, TypeError) as exc:
        log.debug("token-match cache not written path=%s error=%s", path, exc)
    return False
