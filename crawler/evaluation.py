"""Score extraction against the ground-truth folder format of ``shared/data/web`` (see its SOURCES.md)."""

from __future__ import annotations

import csv
import json
import logging
import re
import unicodedata
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from core.errors import InputError
from crawler.extraction import Extracted

log = logging.getLogger(__name__)
Extractor = Callable[[str, str | None], Extracted]
_TOKEN = re.compile(r"\w+", re.UNICODE)


@dataclass
class GroundTruthPage:
    """One page of the evaluation folder with its expected values, its site and its page type."""

    id: str
    url: str | None
    language: str
    html: str
    truth: dict[str, Any]
    site: str = ""
    page_type: str = "article"


@dataclass
class PageOutcome:
    """How one extractor did on one page (``None``: the page has no ground truth for that field)."""

    page_id: str
    site: str
    page_type: str
    snippet_tp: int = 0
    snippet_fp: int = 0
    snippet_fn: int = 0
    snippet_tn: int = 0
    text_f1: float | None = None
    date_ok: bool | None = None
    title_ok: bool | None = None
    title_exact: bool | None = None
    failures: list[str] = field(default_factory=list)


@dataclass
class Scores:
    """Aggregated extraction scores of one extractor."""

    name: str
    snippet_tp: int = 0
    snippet_fp: int = 0
    snippet_fn: int = 0
    snippet_tn: int = 0
    text_f1: list[float] = field(default_factory=list)
    dates: list[bool] = field(default_factory=list)
    titles: list[bool] = field(default_factory=list)
    titles_exact: list[bool] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)

    @classmethod
    def of(cls, name: str, outcomes: list[PageOutcome]) -> Scores:
        """The scores of a list of page outcomes."""
        scores = cls(name)
        for outcome in outcomes:
            scores.add(outcome)
        return scores

    def add(self, outcome: PageOutcome) -> None:
        """Count one page's outcome."""
        self.snippet_tp += outcome.snippet_tp
        self.snippet_fp += outcome.snippet_fp
        self.snippet_fn += outcome.snippet_fn
        self.snippet_tn += outcome.snippet_tn
        if outcome.text_f1 is not None:
            self.text_f1.append(outcome.text_f1)
        if outcome.date_ok is not None:
            self.dates.append(outcome.date_ok)
        if outcome.title_ok is not None:
            self.titles.append(outcome.title_ok)
        if outcome.title_exact is not None:
            self.titles_exact.append(outcome.title_exact)
        self.failures.extend(outcome.failures)

    def as_dict(self) -> dict[str, float | int]:
        """The headline figures."""
        tp, fp, fn = self.snippet_tp, self.snippet_fp, self.snippet_fn
        precision = tp / (tp + fp) if tp + fp else 0.0
        recall = tp / (tp + fn) if tp + fn else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        return {
            "snippet_precision": round(precision, 4),
            "snippet_recall": round(recall, 4),
            "snippet_f1": round(f1, 4),
            "fulltext_f1": round(_mean(self.text_f1), 4),
            "date_accuracy": round(_mean([float(d) for d in self.dates]), 4),
            "title_accuracy": round(_mean([float(t) for t in self.titles]), 4),
            "title_exact": round(_mean([float(t) for t in self.titles_exact]), 4),
            "n_snippets": tp + fn + fp + self.snippet_tn,
            "n_fulltext": len(self.text_f1),
            "n_dates": len(self.dates),
            "n_titles": len(self.titles),
        }


def _mean(values: list[float]) -> float:
    return sum(values) / len(values) if values else 0.0


def normalise(text: str) -> str:
    """NFC, whitespace collapsed: the comparison form of SOURCES.md."""
    return " ".join(unicodedata.normalize("NFC", text).split())


def token_f1(predicted: str, expected: str) -> float:
    """Bag-of-tokens F1 between two texts (lower-cased word tokens)."""
    pred = Counter(_TOKEN.findall(predicted.lower()))
    gold = Counter(_TOKEN.findall(expected.lower()))
    overlap = sum((pred & gold).values())
    if not overlap:
        return 0.0
    precision = overlap / sum(pred.values())
    recall = overlap / sum(gold.values())
    return 2 * precision * recall / (precision + recall)


_LOCAL_ZONES = {"fr": "Europe/Paris", "de": "Europe/Berlin", "es": "Europe/Madrid", "it": "Europe/Rome"}


def expected_days(value: str, language: str) -> set[str]:
    """Days that match an expected date: its own day, and for a UTC instant the page's local day too.

    SOURCES.md: htmldate gives the page's local day, other sources an ISO instant; compare at day level
    unless both sides have a time. Our dates are days, so an instant is also read in the site's zone.
    """
    days = {value[:10]}
    if len(value) > 10 and "T" in value:
        try:
            instant = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return days
        if instant.tzinfo is not None and language in _LOCAL_ZONES:
            days.add(instant.astimezone(ZoneInfo(_LOCAL_ZONES[language])).date().isoformat())
    return days


def load_ground_truth(folder: Path, languages: set[str] | None = None) -> list[GroundTruthPage]:
    """Pages of an evaluation folder (``manifest.csv``, ``pages/``, ``ground_truth/``) with ground truth."""
    manifest = folder / "manifest.csv"
    if not manifest.is_file():
        raise InputError(
            f"no manifest.csv in {folder}",
            hint="pass --pages pointing at a folder laid out like shared/data/web",
        )
    pages = []
    with manifest.open(encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            if row.get("has_ground_truth") != "yes" or (languages and row["language"] not in languages):
                continue
            truth = json.loads((folder / row["ground_truth_file"]).read_text(encoding="utf-8"))
            raw = (folder / row["file"]).read_bytes()
            charset = row.get("declared_charset") or "utf-8"
            try:
                html = raw.decode(charset, errors="replace")
            except LookupError:
                html = raw.decode("utf-8", errors="replace")
            page_id = Path(row["file"]).stem
            url = row.get("url") or None
            site = row.get("registrable_domain") or urlsplit(url or "").hostname or page_id
            page_type = row.get("page_type") or "article"
            pages.append(
                GroundTruthPage(page_id, url, row["language"], html, truth["ground_truth"], site, page_type)
            )
    return pages


# A title is right when its word tokens match the expected title's with an F1 of at least this. For a
# title of n words with k words added or missing, F1 = 2n / (2n + k): at most one word per two, so a
# site or section name added to or missing from a headline of six words passes; "Mozilla" for
# "Mozilla - Wikipedia" (0.67) or a section name for a headline ("Arbeit" for "Wir kämpfen für gute
# Arbeit", 0.33) does not. The normalised exact match (``title_exact``) is reported beside it.
TITLE_F1 = 0.8
_QUOTES = str.maketrans({"’": "'", "‘": "'", "“": '"', "”": '"', "«": '"', "»": '"', "–": "-", "—": "-"})
_SEGMENT = re.compile(r"\s+[|\-–—:»·•/~]\s+")


def title_form(title: str, site_name: str | None = None) -> str:
    """The comparison form of a title: NFC, case folded, whitespace collapsed, typographic quotes and
    dashes made plain; with ``site_name`` (given by the ground truth), a first or last separated part
    that is exactly that name is dropped ("How to Build a Terrarium | eHow" -> "how to build a terrarium")."""
    text = normalise(title).casefold().translate(_QUOTES)
    parts = _SEGMENT.split(text)
    if site_name and len(parts) > 1:
        name = normalise(site_name).casefold().translate(_QUOTES)
        separators = _SEGMENT.findall(text)
        if parts[-1] == name:
            parts, separators = parts[:-1], separators[:-1]
        elif parts[0] == name:
            parts, separators = parts[1:], separators[1:]
        text = parts[0] + "".join(sep + part for sep, part in zip(separators, parts[1:], strict=True))
    return text.strip()


def _title_scores(expected: dict[str, Any], title: str | None) -> tuple[bool | None, bool | None]:
    """(right, exactly right): token F1 at least :data:`TITLE_F1`, and the same comparison form.

    ``title_contains`` (the ground truth gives only a part of the title) is matched as a part for both."""
    if "title" in expected:
        site = expected.get("site_name")
        got, want = title_form(title or "", site), title_form(expected["title"], site)
        exact = bool(got) and got == want
        return exact or token_f1(got, want) >= TITLE_F1, exact
    if "title_contains" in expected:
        found = title_form(expected["title_contains"]) in title_form(title or "")
        return found, found
    return None, None


def score_page(scores: Scores, page: GroundTruthPage, result: Extracted) -> None:
    """Add one page's outcome to ``scores``."""
    scores.add(page_outcome(page, result))


def page_outcome(page: GroundTruthPage, result: Extracted) -> PageOutcome:
    """Score one extraction result against the page's ground truth."""
    truth = page.truth
    outcome = PageOutcome(page.id, page.site, page.page_type)
    text = normalise(result.text)
    for snippet in truth.get("text_must_contain", []):
        if normalise(snippet) in text:
            outcome.snippet_tp += 1
        else:
            outcome.snippet_fn += 1
            outcome.failures.append(f"{page.id}: missing {snippet[:60]!r}")
    for snippet in truth.get("text_must_not_contain", []):
        if normalise(snippet) in text:
            outcome.snippet_fp += 1
            outcome.failures.append(f"{page.id}: boilerplate {snippet[:60]!r}")
        else:
            outcome.snippet_tn += 1
    if truth.get("main_text"):
        outcome.text_f1 = token_f1(result.text, truth["main_text"])
    if truth.get("date_published"):
        outcome.date_ok = (result.date or "")[:10] in expected_days(truth["date_published"], page.language)
        if not outcome.date_ok:
            outcome.failures.append(f"{page.id}: date {result.date} != {truth['date_published'][:10]}")
    outcome.title_ok, outcome.title_exact = _title_scores(truth, result.title)
    if outcome.title_ok is False:
        outcome.failures.append(f"{page.id}: title {result.title!r} != {truth.get('title')!r}")
    elif outcome.title_exact is False:
        outcome.failures.append(f"{page.id}: title not exact {result.title!r} != {truth.get('title')!r}")
    return outcome


def run_extractor(pages: list[GroundTruthPage], extractor: Extractor, name: str = "") -> list[PageOutcome]:
    """Each page's outcome; an extractor crash counts as an empty result (one bad page never aborts)."""
    outcomes = []
    for page in pages:
        try:
            result = extractor(page.html, page.url)
        except Exception as exc:  # noqa: BLE001 - one bad page must not abort the evaluation
            log.warning("extraction failed extractor=%s page=%s error=%s", name, page.id, exc)
            result = Extracted(text="")
        outcomes.append(page_outcome(page, result))
    return outcomes


def evaluate(pages: list[GroundTruthPage], extractors: dict[str, Extractor]) -> list[Scores]:
    """Run each extractor on every page and score it."""
    return [Scores.of(name, run_extractor(pages, extractor, name)) for name, extractor in extractors.items()]


def extract_with_trafilatura(html: str, url: str | None) -> Extracted:
    """The baseline: trafilatura alone with its defaults (text, title, date)."""
    import trafilatura

    doc = trafilatura.bare_extraction(html, url=url, with_metadata=True)
    if doc is None:
        return Extracted(text="")
    data = doc if isinstance(doc, dict) else doc.as_dict()
    return Extracted(text=data.get("text") or "", title=data.get("title"), date=data.get("date"))
