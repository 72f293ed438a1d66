"""Leave-one-site-out (LOSO) evaluation of the extraction rules: a rule is judged only on unseen sites.

For each site S, the rules are selected on the *other* sites only: every rule written for S is left
out, then backward elimination drops, one at a time, any rule whose removal does not lower the sum of
the four headline figures on the other sites. The pages of S are scored with the rules so selected;
the generic choosers (title agreement, date vote, trafilatura underneath) are the same everywhere.
Each rule is also switched off alone (ablation): its plain gain is measured on all sites, its LOSO
gain counting it only on the sites whose fold selected it. Pages are parsed once (``gather``); the
rules decide on the gathered evidence (``decide``), so trying a rule set costs no new parse.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from crawler.evaluation import (
    GroundTruthPage,
    PageOutcome,
    Scores,
    extract_with_trafilatura,
    page_outcome,
    run_extractor,
)
from crawler.extraction import Evidence, Extracted, decide_text, decide_title, gather
from crawler.metadata import choose_date
from crawler.rules import ALL_RULES, RULES, Field, Rule

log = logging.getLogger(__name__)
_TITLE_RULES = frozenset(r.name for r in RULES if r.field == "title")
_TEXT_RULES = frozenset(r.name for r in RULES if r.field == "text")

FIELD_METRICS: dict[Field, tuple[str, ...]] = {
    "text": ("snippet_f1", "fulltext_f1"),
    "title": ("title_accuracy", "title_exact"),
    "date": ("date_accuracy",),
}
HEADLINE = ("snippet_f1", "fulltext_f1", "date_accuracy", "title_accuracy")
REPORTED = (*HEADLINE, "title_exact")  # the headline figures and the strict title match beside them
_COUNTS = {  # the count shown beside a figure: snippets checked, pages with that ground truth
    "snippet_f1": "n_snippets",
    "fulltext_f1": "n_fulltext",
    "date_accuracy": "n_dates",
    "title_accuracy": "n_titles",
    "title_exact": "n_titles",
}


def figures(outcomes: list[PageOutcome]) -> dict[str, float | int]:
    """The headline figures of some page outcomes."""
    return Scores.of("", outcomes).as_dict()


@dataclass
class RuleFigures:
    """One rule's ablation: what it adds on all sites (plain) and on unseen sites only (LOSO)."""

    rule: Rule
    plain_gain: dict[str, float]
    loso_gain: dict[str, float]
    sites_admitted: int
    sites_changed: list[str]

    def as_dict(self) -> dict[str, Any]:
        """JSON form."""
        return {
            "rule": self.rule.name,
            "field": self.rule.field,
            "plain_gain": self.plain_gain,
            "loso_gain": self.loso_gain,
            "sites_admitted": self.sites_admitted,
            "sites_changed": self.sites_changed,
        }


@dataclass
class LosoReport:
    """Plain and LOSO outcomes of Vigie, trafilatura's outcomes, and the per-rule ablation."""

    vigie: list[PageOutcome]
    loso: list[PageOutcome]
    trafilatura: list[PageOutcome]
    rules: list[RuleFigures]
    admitted: dict[str, frozenset[str]]

    def columns(self, page_type: str | None = None) -> dict[str, dict[str, float | int]]:
        """Figures of each column (plain Vigie, LOSO Vigie, trafilatura), on one page type or all."""
        runs = {"vigie": self.vigie, "vigie_loso": self.loso, "trafilatura": self.trafilatura}
        return {
            name: figures([o for o in outcomes if page_type is None or o.page_type == page_type])
            for name, outcomes in runs.items()
        }

    def page_types(self) -> list[str]:
        """Page types present, most pages first."""
        types = [o.page_type for o in self.vigie]
        return sorted(set(types), key=lambda t: (-types.count(t), t))

    def as_dict(self) -> dict[str, Any]:
        """JSON form: columns overall and per page type, the ablation, the rules each site's fold admits."""
        return {
            "all": self.columns(),
            "by_page_type": {t: self.columns(t) for t in self.page_types()},
            "rules": [r.as_dict() for r in self.rules],
            "rules_admitted_per_site": {s: sorted(r) for s, r in sorted(self.admitted.items())},
        }


def _gains(rule: Rule, with_rule: list[PageOutcome], without: list[PageOutcome]) -> dict[str, float]:
    a, b = figures(with_rule), figures(without)
    return {metric: round(float(a[metric]) - float(b[metric]), 4) for metric in FIELD_METRICS[rule.field]}


def _changed(full: PageOutcome, other: PageOutcome) -> bool:
    keys = ("snippet_tp", "snippet_fp", "text_f1", "date_ok", "title_ok", "title_exact")
    return any(getattr(full, k) != getattr(other, k) for k in keys)


def _tally(outcome: PageOutcome) -> tuple[float, ...]:
    """The additive counts behind the headline figures."""
    return (
        outcome.snippet_tp,
        outcome.snippet_fp,
        outcome.snippet_fn,
        outcome.text_f1 or 0.0,
        outcome.text_f1 is not None,
        bool(outcome.date_ok),
        outcome.date_ok is not None,
        bool(outcome.title_ok),
        bool(outcome.title_exact),
        outcome.title_ok is not None,
    )


def _objective(tally: list[float]) -> float:
    """Snippet F1 + full-text F1 + date accuracy + title accuracy, the title counted half as right
    (token F1) and half as exactly right."""
    tp, fp, fn, f1_sum, n_f1, dates_ok, n_dates, titles_ok, titles_exact, n_titles = tally
    snippet_f1 = 2 * tp / (2 * tp + fp + fn) if tp else 0.0
    return (
        snippet_f1
        + (f1_sum / n_f1 if n_f1 else 0)
        + (dates_ok / n_dates if n_dates else 0)
        + ((titles_ok + titles_exact) / 2 / n_titles if n_titles else 0)
    )


class RuleJudge:
    """Scores rule sets on the gathered pages, remembering each page's outcome under each set."""

    def __init__(self, pages: list[GroundTruthPage]) -> None:
        self.pages = pages
        self.evidence: list[Evidence | None] = []
        for page in pages:
            try:
                self.evidence.append(gather(page.html, page.url, complete=True))
            except Exception as exc:  # noqa: BLE001 - one bad page must not abort the evaluation
                log.warning("extraction failed page=%s error=%s", page.id, exc)
                self.evidence.append(None)
        self._memo: dict[tuple[int, frozenset[str], str | None, str | None], PageOutcome] = {}
        self._titles: dict[tuple[int, frozenset[str]], str | None] = {}
        self._tallies: dict[frozenset[str], dict[str, list[float]]] = {}

    def outcome(self, index: int, rules: frozenset[str]) -> PageOutcome:
        """The outcome of page ``index`` under ``rules`` (the same choosers as ``decide``; each part
        is remembered under the rules it depends on)."""
        evidence = self.evidence[index]
        if evidence is None:
            return page_outcome(self.pages[index], Extracted(text=""))
        title_key = (index, rules & _TITLE_RULES)
        if title_key not in self._titles:
            self._titles[title_key] = decide_title(evidence, rules).value
        title = self._titles[title_key]
        date = choose_date(evidence.dates, rules)[0]
        key = (index, rules & _TEXT_RULES, title, date)
        if key not in self._memo:
            text = decide_text(evidence, rules, title)
            self._memo[key] = page_outcome(self.pages[index], Extracted(text=text, title=title, date=date))
        return self._memo[key]

    def outcomes(self, indices: list[int], rules: frozenset[str]) -> list[PageOutcome]:
        """The outcomes of some pages under ``rules``."""
        return [self.outcome(i, rules) for i in indices]

    def objective(self, held_out: str, rules: frozenset[str]) -> float:
        """Sum of the four headline figures on every site but ``held_out``."""
        if rules not in self._tallies:
            tallies: dict[str, list[float]] = {}
            for index, page in enumerate(self.pages):
                tally = tallies.setdefault(page.site, [0.0] * 10)
                for position, value in enumerate(_tally(self.outcome(index, rules))):
                    tally[position] += value
            self._tallies[rules] = tallies
        tallies = self._tallies[rules]
        total = [sum(t[i] for site, t in tallies.items() if site != held_out) for i in range(10)]
        return _objective(total)

    def select(self, held_out: str, start: frozenset[str]) -> frozenset[str]:
        """Backward elimination on the sites but ``held_out``: drop the rule whose removal scores best,
        as long as removing it loses nothing."""
        current, score = start, self.objective(held_out, start)
        while current:
            trials = [(self.objective(held_out, current - {rule}), rule) for rule in sorted(current)]
            best_score, best_rule = max(trials, key=lambda trial: trial[0])
            if best_score < score - 1e-9:
                return current
            current, score = current - {best_rule}, best_score
        return current


def fold_rules(site: str, rules: tuple[Rule, ...] = RULES) -> frozenset[str]:
    """The rules a fold may start from: all but those written from ``site`` alone."""
    return frozenset(rule.name for rule in rules if rule.written_for - {site} or not rule.written_for)


def evaluate_loso(pages: list[GroundTruthPage], on_step: Callable[[str], None] | None = None) -> LosoReport:
    """Plain and leave-one-site-out figures of Vigie beside trafilatura's, and each rule's ablation."""
    step = on_step or (lambda _: None)
    step("gathering candidates")
    judge = RuleJudge(pages)
    everything = list(range(len(pages)))
    full = judge.outcomes(everything, ALL_RULES)
    step("trafilatura")
    baseline = run_extractor(pages, extract_with_trafilatura, "trafilatura")
    sites = sorted({page.site for page in pages})
    admitted = {}
    for number, site in enumerate(sites, 1):
        step(f"leave-one-site-out {number}/{len(sites)}: {site}")
        admitted[site] = judge.select(site, fold_rules(site))
    loso = [judge.outcome(i, admitted[page.site]) for i, page in enumerate(pages)]
    ablation = []
    for rule in RULES:
        off = judge.outcomes(everything, ALL_RULES - {rule.name})
        mixed = [full[i] if rule.name in admitted[p.site] else off[i] for i, p in enumerate(pages)]
        ablation.append(
            RuleFigures(
                rule,
                plain_gain=_gains(rule, full, off),
                loso_gain=_gains(rule, mixed, off),
                sites_admitted=sum(rule.name in admitted[site] for site in sites),
                sites_changed=sorted({p.site for i, p in enumerate(pages) if _changed(full[i], off[i])}),
            )
        )
    return LosoReport(full, loso, baseline, ablation, admitted)


def format_report(report: LosoReport) -> list[str]:
    """The report as text lines: headline columns overall and per page type, then the ablation."""
    lines = [f"{'':<22}{'vigie':>9}{'vigie LOSO':>12}{'trafilatura':>13}{'n':>7}"]
    groups: list[tuple[str, str | None]] = [("all pages", None)]
    groups += [(f"page type {t}", t) for t in report.page_types()]
    for label, page_type in groups:
        columns = report.columns(page_type)
        lines.append(label)
        for metric in REPORTED:
            count = columns["vigie"][_COUNTS[metric]]
            if not count:
                continue
            values = "".join(
                f"{columns[c][metric]:>{w}}"
                for c, w in (("vigie", 9), ("vigie_loso", 12), ("trafilatura", 13))
            )
            lines.append(f"  {metric:<20}{values}{count:>7}")
    lines.append("")
    lines.append(
        "rule ablation: figure with the rule minus without it (plain: all sites; LOSO: unseen sites)"
    )
    lines.append(f"{'rule':<24}{'metric':<16}{'plain':>8}{'LOSO':>8}{'sites admitted':>16}  sites changed")
    for item in report.rules:
        for metric in FIELD_METRICS[item.rule.field]:
            changed = ", ".join(item.sites_changed) or "-"
            lines.append(
                f"{item.rule.name:<24}{metric:<16}{item.plain_gain[metric]:>+8.4f}{item.loso_gain[metric]:>+8.4f}"
                f"{item.sites_admitted:>9}/{len(report.admitted):<6}  {changed}"
            )
    return lines
