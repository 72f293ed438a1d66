"""Language detection benchmark: the shipped detector (core.language) against optional alternatives.

    .venv/bin/python bench/language.py [--shared ../shared]

Scores the 111 labelled real pages of SHARED/data/web (visible text of the page, and the crawler's main
text) and counts the seed texts (all French, also cut to 60/120/250 characters) detected as French,
unknown or another language. langdetect and lingua are measured when importable (not dependencies).
Prints a table. Never run by the test suite.
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
import time
from collections.abc import Callable
from pathlib import Path

import lxml.html

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from core.language import detect_language  # noqa: E402
from crawler.extraction import extract_html  # noqa: E402

Detector = Callable[[str], str | None]


def alternatives() -> dict[str, Detector]:
    """Detectors measured for comparison when their package is importable."""
    found: dict[str, Detector] = {}
    try:
        from langdetect import DetectorFactory, LangDetectException, detect

        DetectorFactory.seed = 0

        def by_langdetect(text: str) -> str | None:
            try:
                return str(detect(text[:20000]))
            except LangDetectException:
                return None

        found["langdetect"] = by_langdetect
    except ImportError:
        pass
    try:
        from lingua import LanguageDetectorBuilder

        lingua = LanguageDetectorBuilder.from_all_languages().build()

        def by_lingua(text: str) -> str | None:
            lang = lingua.detect_language_of(text[:20000])
            return lang.iso_code_639_1.name.lower() if lang else None

        found["lingua"] = by_lingua
    except ImportError:
        pass
    return found


def visible_text(html: bytes) -> str:
    tree = lxml.html.fromstring(html)
    for element in tree.xpath("//script|//style|//noscript"):
        element.drop_tree()
    return " ".join(tree.text_content().split())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shared", type=Path, default=Path(__file__).resolve().parents[2] / "shared")
    args = parser.parse_args()
    web = args.shared / "data" / "web"
    pages = []
    for row in csv.DictReader((web / "manifest.csv").open(encoding="utf-8")):
        raw = (web / row["file"]).read_bytes()
        main_text = extract_html(
            raw.decode(row["declared_charset"] or "utf-8", "replace"), row["url"] or None
        )
        pages.append((row["language"], visible_text(raw), main_text.text))
    seed_path = args.shared / "data" / "annotations-seed" / "seed.jsonl"
    seed = [json.loads(line)["text"] for line in seed_path.open(encoding="utf-8")]
    detectors: dict[str, Detector] = {"core.language (py3langid)": detect_language, **alternatives()}
    print(
        f"{'detector':28} {'web visible':>12} {'web main':>9} "
        + " ".join(f"{'seed@' + str(n):>13}" for n in (60, 120, 250, 0))
        + "  cpu s"
    )
    for name, detect in detectors.items():
        start = time.process_time()
        visible = sum(detect(v) == lang for lang, v, _ in pages)
        main_ok = sum(detect(m) == lang for lang, _, m in pages)
        cells = []
        for n in (60, 120, 250, 0):
            guesses = [detect(t[:n] if n else t) for t in seed]
            fr, unknown = guesses.count("fr"), guesses.count(None)
            cells.append(f"{fr}/{unknown}/{len(guesses) - fr - unknown}")
        spent = time.process_time() - start
        print(
            f"{name:28} {visible:>8}/{len(pages)} {main_ok:>5}/{len(pages)} "
            + " ".join(f"{c:>13}" for c in cells)
            + f"  {spent:.1f}"
        )
    print("seed cells: French / unknown / other language (seed@0 = whole text)")


if __name__ == "__main__":
    main()
