"""The one language detector (core.language): our own sentences, and the 111 labelled real web pages."""

from __future__ import annotations

import csv
import random
from pathlib import Path

import lxml.html
import numpy as np
from py3langid.langid import MODEL_FILE, LanguageIdentifier

import crawler.language
from core.language import AUTOMATON_DEPTH, _identifier, detect_language

SENTENCES = {
    "fr": "Le centre social de la ville ouvre une épicerie solidaire pour les habitants du quartier.",
    "en": "The city council approved the new housing plan for the borough this week after a long debate.",
    # The stop-word counters this replaces said "pt" for Czech and "en" for Finnish and Norwegian.
    "cs": "Městská rada dnes schválila nový plán bydlení pro celou čtvrť a obyvatelé se mohou vyjádřit.",
    "fi": "Kaupunginvaltuusto hyväksyi tällä viikolla uuden asuntosuunnitelman koko kaupunginosalle.",
    "no": "Bystyret vedtok i dag en ny boligplan for bydelen. Innbyggerne kan komme med innspill fram til "
    "utgangen av måneden, og kommunen skal holde et åpent møte på skolen neste uke.",
}


def test_languages_our_old_counters_got_wrong() -> None:
    for lang, sentence in SENTENCES.items():
        assert detect_language(sentence) == lang, lang


def test_too_short_or_unclear_is_unknown() -> None:
    assert detect_language("Bonjour") is None
    assert detect_language("") is None
    assert detect_language("12 345 678 — 2024-01-01 ; 3,5 % ; 42 €") is None


def test_crawler_and_analysis_share_the_detector() -> None:
    assert crawler.language.detect_language is detect_language


def test_floor_on_the_labelled_web_pages(shared_dir: Path) -> None:
    """Visible text of the 111 real pages (36 French); the stop-word counters got 106 and 105."""
    web = shared_dir / "data" / "web"
    right, wrong = 0, []
    for row in csv.DictReader((web / "manifest.csv").open(encoding="utf-8")):
        tree = lxml.html.fromstring((web / row["file"]).read_bytes())
        for element in tree.xpath("//script|//style|//noscript"):
            element.drop_tree()
        guess = detect_language(" ".join(tree.text_content().split()))
        right += guess == row["language"]
        if guess != row["language"]:
            wrong.append((row["file"], guess))
    assert right >= 110, wrong
    assert not [w for w in wrong if "/fr-" in w[0]], "a French page misdetected would never be analysed"


def _automaton_depth(nextmove: np.ndarray, rowbase: np.ndarray) -> int:
    """The longest byte string the automaton matches: its breadth-first depth from the root."""
    seen = np.zeros(len(rowbase), dtype=bool)
    seen[0] = True
    frontier, depth = np.array([0]), 0
    while True:
        reached = np.unique(nextmove[rowbase[frontier][:, None] + np.arange(256)[None, :]])
        frontier = reached[~seen[reached]]
        if not len(frontier):
            return depth
        seen[frontier], depth = True, depth + 1


def test_array_walk_scores_as_py3langid(shared_dir: Path) -> None:
    """The automaton walked by windows of bytes gives py3langid's own scores, to the bit: on the real
    pages' visible text (whole and cut), short strings, mixed scripts and random bytes."""
    plain, fast = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True), _identifier()
    assert _automaton_depth(fast._nextmove, fast._rowbase_array) == AUTOMATON_DEPTH
    rng = random.Random(7)
    cases: list[str | bytes] = ["", "a", "é", "Bonjour", "ÉCOLE", "日本語のテキスト", "\n \t"]
    web = shared_dir / "data" / "web"
    for row in csv.DictReader((web / "manifest.csv").open(encoding="utf-8")):
        text = " ".join(lxml.html.fromstring((web / row["file"]).read_bytes()).text_content().split())
        cases += [text, text[:5000], text[:300]]
    cases += [bytes(rng.randrange(256) for _ in range(rng.randrange(1, 300))) for _ in range(200)]
    cases += [
        "".join(rng.choice("abcéèçœ xyzДЖ中日 \n'-.,") for _ in range(rng.randrange(1, 200)))
        for _ in range(200)
    ]
    differing = [case for case in cases if not np.array_equal(plain._decide(case), fast._decide(case))]
    assert not differing, differing[:3]
