"""The role of a commune in a text: is it where the initiative happens, or a town named for another role?

The rules of ``communes.py`` score each commune the text names; a learned reading (a logistic regression
over what the rules saw plus the words around each mention, trained by ``role_training.py`` on the seed
and the pool's dev initiatives) then sets each commune's confidence. The weights are a small JSON file
(``models/geo_roles/<version>/weights.json``): no scikit-learn at run time, a dot product per commune.
Without weights (missing or unreadable: logged once) the rules' confidences stay.
"""

from __future__ import annotations

import json
import logging
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from core.settings import PROJECT_ROOT
from nlp.geo.context import LinkContext
from nlp.geo.mentions import Mention
from nlp.geo.reference import ReferenceData
from nlp.geo.results import CommuneLink, QpvLink

logger = logging.getLogger(__name__)

ROLE_MODELS_DIR = PROJECT_ROOT / "models" / "geo_roles"
CURRENT_FILE = "CURRENT"  # a text file naming the version the linker loads
WEIGHTS_FILE = "weights.json"
WINDOW_BEFORE = 6  # words read before a mention
WINDOW_AFTER = 3  # and after it
LEAD_CHARS = 300
TITLE_WORD_CHARS = 4  # shorter words (articles, prepositions) say nothing of the subject

# words of the mention's sentence that say whose place a town is (other sites, people's trajectories,
# head offices, events): read as sentence-level cues, whatever their distance to the town
SENTENCE_CUES = frozenset(
    {
        "siege",
        "egalement",
        "aussi",
        "autre",
        "autres",
        "deja",
        "premier",
        "premiere",
        "prochain",
        "prochaine",
        "bientot",
        "habite",
        "habitent",
        "vit",
        "vivent",
        "ne",
        "nee",
        "originaire",
        "originaires",
        "venu",
        "venus",
        "venue",
        "venues",
        "quitte",
        "etudiant",
        "etudiante",
        "etudiants",
        "base",
        "basee",
        "installe",
        "installee",
        "implante",
        "implantee",
        "implantations",
        "antennes",
        "reseau",
        "national",
        "nationale",
        "ministre",
        "ministere",
        "laureats",
        "forum",
        "ceremonie",
        "salon",
        "quartier",
        "quartiers",
        "habitants",
        "ville",
        "commune",
        "inspire",
        "modele",
        "comme",
    }
)
MONTHS = frozenset(
    {
        "janvier",
        "fevrier",
        "mars",
        "avril",
        "mai",
        "juin",
        "juillet",
        "aout",
        "septembre",
        "octobre",
        "novembre",
        "decembre",
    }
)
MENTION_FLAGS = (
    "after_street_word",
    "sentence_start",
    "quartier_word",
    "in_brackets",
    "relation",
    "listed",
    "passing",
    "article_before",
    "name_follows",
    "authority",
    "landmark",
    "labelled",
    "secondary",
    "dateline",
)


class RoleModelError(ValueError):
    """The role weights file cannot be used (missing fields, wrong types)."""


@dataclass(frozen=True)
class RoleModel:
    """A logistic regression over named features; ``threshold`` is the probability read as 0.5."""

    weights: dict[str, float]
    intercept: float
    threshold: float
    version: str = ""

    def confidence(self, features: dict[str, float]) -> float:
        """The commune's confidence: the model's probability, shifted so that ``threshold`` gives 0.5."""
        z = self.intercept + sum(self.weights.get(k, 0.0) * v for k, v in features.items())
        z -= math.log(self.threshold / (1.0 - self.threshold))
        return round(1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, z)))), 3)

    def to_json(self, meta: dict[str, Any] | None = None) -> dict[str, Any]:
        return {
            "version": self.version,
            "intercept": self.intercept,
            "threshold": self.threshold,
            "weights": dict(sorted(self.weights.items())),
            "meta": meta or {},
        }

    @classmethod
    def from_json(cls, data: Any) -> RoleModel:
        if not isinstance(data, dict):
            raise RoleModelError("the weights file holds no JSON object")
        try:
            weights = {str(k): float(v) for k, v in dict(data["weights"]).items()}
            threshold = float(data["threshold"])
            model = cls(weights, float(data["intercept"]), threshold, str(data.get("version", "")))
        except (KeyError, TypeError, ValueError) as exc:
            raise RoleModelError(f"bad weights file field: {exc}") from exc
        if not 0.0 < threshold < 1.0:
            raise RoleModelError(f"threshold {threshold} is not a probability strictly between 0 and 1")
        return model


_WARNED: set[str] = set()


def load_role_model(path: Path | None = None) -> RoleModel | None:
    """The role model at ``path`` (a weights file or a version folder), default the current version.

    No promoted version gives ``None`` quietly; missing or unreadable weights of a named version give
    ``None`` too (the rules' confidences stay), logged once per path as an error.
    """
    if path is None:
        current = ROLE_MODELS_DIR / CURRENT_FILE
        if not current.is_file():
            logger.debug("no commune role model promoted (%s): the rules' confidences are used", current)
            return None
        path = ROLE_MODELS_DIR / current.read_text(encoding="utf-8").strip()
    try:
        file = path / WEIGHTS_FILE if path.is_dir() else path
        return RoleModel.from_json(json.loads(file.read_text(encoding="utf-8")))
    except (OSError, ValueError) as exc:
        key = str(path)
        if key not in _WARNED:
            _WARNED.add(key)
            logger.error(
                "commune role weights unusable, the rules' confidences are kept path=%s error=%s "
                "(fix: run `vigie train-geo-roles --promote` or restore models/geo_roles/)",
                path,
                exc,
            )
        return None


def describe_communes(
    ref: ReferenceData, ctx: LinkContext, communes: list[CommuneLink], qpvs: list[QpvLink]
) -> list[dict[str, float]]:
    """One feature dict per commune of ``communes`` (same order): what the rules and the words say."""
    if not communes:
        return []
    by_insee: dict[str, list[Mention]] = {}
    for mention, insee in ctx.town_mentions:
        by_insee.setdefault(insee, []).append(mention)
    first_line = ctx.text.find("\n")
    first_line = first_line if 0 < first_line < LEAD_CHARS else 0
    first_sentence = _first_sentence_end(ctx.text)
    top = communes[0].confidence if communes else 0.0
    sure_qpv_towns = {q.insee for q in qpvs if q.confidence >= 0.5}
    n_sure = sum(1 for c in communes if c.confidence >= 0.5)
    second = communes[1].confidence if len(communes) > 1 else 0.0
    n_town_mentions = max(1, len(ctx.town_mentions))
    title_words = _title_words(ctx, first_line or first_sentence)
    rows: list[dict[str, float]] = []
    for rank, link in enumerate(communes):
        mentions = by_insee.get(link.insee, [])
        commune = ref.communes.get(link.insee)
        f: dict[str, float] = {
            "rule": link.confidence,
            "rule_sure": float(link.confidence >= 0.5),
            "rule_gap": top - link.confidence,
            # over the next best town, or (negative) below the best one
            "margin": link.confidence - (second if rank == 0 else top),
            "rule_x_best": link.confidence * (rank == 0),
            "mention_share": len(mentions) / n_town_mentions,
            "best": float(rank == 0),
            "only": float(len(communes) == 1),
            "n_sure_other": min(5.0, n_sure - float(link.confidence >= 0.5)) / 5,
            "n_candidates": min(10, len(communes)) / 10,
            "n_mentions": math.log1p(len(mentions)),
            "no_mention": float(not mentions),
            "url": ctx.url_towns.get(link.insee, 0.0),
            "site_town": float(link.insee in ctx.site_towns),
            "qpv_host": float(link.insee in ctx.qpv_hosts),
            "qpv_named": float(link.insee in sure_qpv_towns),
            "department_named": float(commune is not None and commune.dep_code in ctx.departments),
            "lead_town": float(link.insee in ctx.lead_towns),
            "other_lead_town": float(bool(ctx.lead_towns - {link.insee})),
            "population": math.log10((commune.population if commune else 0) + 10) / 6,
            "arrondissement": float(link.arrondissement is not None),
        }
        if mentions:
            f |= _mention_features(ctx, mentions, first_line, first_sentence)
            f["title_overlap"] = max(_title_overlap(ctx, title_words, m) for m in mentions)
            _add_words(ctx, mentions, f)
        rows.append(f)
    return rows


def _mention_features(
    ctx: LinkContext, mentions: list[Mention], first_line: int, first_sentence: int
) -> dict[str, float]:
    """Where and how the text names the town: positions, locatives, the mention readings' flags."""
    length = max(1, len(ctx.text))
    f = {
        "first_pos": mentions[0].start / length,
        "last_pos": mentions[-1].start / length,
        "in_title": float(any(m.start < first_line for m in mentions)),
        "in_first_sentence": float(any(m.start < first_sentence for m in mentions)),
        "in_lead": float(any(m.start < LEAD_CHARS for m in mentions)),
        "locative2": float(any(m.locative == 2 for m in mentions)),
        "locative1": float(any(m.locative == 1 for m in mentions)),
    }
    for flag in MENTION_FLAGS:
        share = sum(1 for m in mentions if getattr(m, flag)) / len(mentions)
        if share:
            f[f"flag:{flag}"] = share
    return f


def _title_words(ctx: LinkContext, end: int) -> set[str]:
    """Words of the title (or first sentence) that are not place names: what the text is about."""
    places = {n for m in ctx.mentions for n in range(m.first, m.last + 1)}
    return {
        t.norm
        for n, t in enumerate(ctx.tokens)
        if t.start < end and len(t.norm) >= TITLE_WORD_CHARS and n not in places
    }


def _title_overlap(ctx: LinkContext, title_words: set[str], mention: Mention) -> float:
    """Share of the title's words found in the sentence naming the town (the initiative's sentence?)."""
    if not title_words:
        return 0.0
    start, end = _sentence_bounds(ctx.text, mention.start)
    words = {t.norm for t in _tokens_between(ctx.tokens, start, end)}
    return len(words & title_words) / len(title_words)


def _first_sentence_end(text: str) -> int:
    for n, char in enumerate(text[:600]):
        if char in ".!?\n" and n > 20:
            return n
    return min(len(text), 600)


def _add_words(ctx: LinkContext, mentions: list[Mention], f: dict[str, float]) -> None:
    """Lower-cased words around each mention (``w:``), the word before (``p:``), sentence cues (``s:``)."""
    tokens = ctx.tokens
    for mention in mentions:
        lo = max(0, mention.first - WINDOW_BEFORE)
        for tok in tokens[lo : mention.first]:
            if not tok.capital:
                f[f"w:{tok.norm}"] = 1.0
        for tok in tokens[mention.last + 1 : mention.last + 1 + WINDOW_AFTER]:
            if not tok.capital:
                f[f"a:{tok.norm}"] = 1.0
        if mention.prev_word:
            f[f"p:{mention.prev_word}"] = 1.0
        start, end = _sentence_bounds(ctx.text, mention.start)
        for tok in _tokens_between(tokens, start, end):
            if tok.norm in SENTENCE_CUES:
                f[f"s:{tok.norm}"] = 1.0
            elif tok.norm in MONTHS:
                f["s:month"] = 1.0


def _sentence_bounds(text: str, at: int) -> tuple[int, int]:
    start = max(text.rfind(". ", 0, at), text.rfind("\n", 0, at)) + 1
    ends = [e for e in (text.find(". ", at), text.find("\n", at)) if e >= 0]
    return start, min(ends) if ends else len(text)


def _tokens_between(tokens: list[Any], start: int, end: int) -> list[Any]:
    import bisect

    lo = bisect.bisect_left(tokens, start, key=lambda t: t.start)
    hi = bisect.bisect_left(tokens, end, key=lambda t: t.start)
    return list(tokens[lo:hi])


def rescore_communes(
    model: RoleModel, ref: ReferenceData, ctx: LinkContext, communes: list[CommuneLink], qpvs: list[QpvLink]
) -> None:
    """Set each commune's confidence from the role model (in place), best first."""
    for link, features in zip(communes, describe_communes(ref, ctx, communes, qpvs), strict=True):
        link.confidence = model.confidence(features)
    communes.sort(key=lambda c: -c.confidence)
