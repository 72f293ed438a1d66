"""From model scores, geography and extraction to the `Analysis` contract of one document."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

from core.domain import INNOVATION_TYPES, Analysis, CommuneRef, Initiative, PlaceAbroad, QpvRef
from nlp.classifiers.models import DocScores, ModelSet
from nlp.extraction import extract_initiatives
from nlp.geo.in_qpv import decide_in_qpv as in_qpv_rule
from nlp.geo.in_qpv import merge_passages
from nlp.geo.protocols import PlaceLinker
from nlp.geo.results import REPORT_THRESHOLD
from nlp.items import Prepared

log = logging.getLogger(__name__)


@dataclass
class Places:
    """Geography merged over the passages of a document."""

    qpv: list[QpvRef] = field(default_factory=list)
    communes: list[CommuneRef] = field(default_factory=list)
    departments: list[str] = field(default_factory=list)
    regions: list[str] = field(default_factory=list)
    in_qpv: bool | None = None
    foreign: bool = False
    abroad: list[PlaceAbroad] = field(default_factory=list)


def link_places(
    linker: PlaceLinker | None, texts: list[str], docs: list[Any], url: str | None = None
) -> Places:
    """Run the geography linker over each passage and merge the results (best first, no repeats).

    Communes are those the linker reports (confidence >= ``REPORT_THRESHOLD`` in one passage at least),
    most confident first: a town named in passing ("fondée à Bordeaux", "comme à Lyon") is not the
    initiative's commune.
    """
    places = Places()
    if linker is None:
        return places
    best: dict[str, tuple[float, CommuneRef]] = {}
    for i, text in enumerate(texts):
        try:
            geo = linker.link(text, doc=docs[i] if i < len(docs) else None, url=url)
        except Exception as exc:  # one passage the linker chokes on must not sink the document
            log.warning("geo linker failed passage=%d error=%s", i, exc)
            continue
        for q in geo.qpvs:
            if q.code not in {x.code for x in places.qpv}:
                places.qpv.append(QpvRef(code=q.code, name=q.name, commune=q.commune, insee=q.insee))
        for c in geo.communes:
            if c.confidence >= REPORT_THRESHOLD and c.confidence > best.get(c.insee, (-1.0, None))[0]:
                best[c.insee] = (c.confidence, CommuneRef(insee=c.insee, name=c.name))
        places.departments += [d for d in geo.departments if d not in places.departments]
        places.regions += [r for r in geo.regions if r not in places.regions]
        places.foreign = places.foreign or geo.foreign
        for a in geo.foreign_places:
            ref = PlaceAbroad(name=a.name, country=a.country)
            if a.confidence >= REPORT_THRESHOLD and ref not in places.abroad:
                places.abroad.append(ref)
        places.in_qpv = merge_passages(places.in_qpv, geo.in_qpv)
    ranked = sorted(best.values(), key=lambda pair: -pair[0])  # stable: first seen first among equals
    places.communes = [ref for _, ref in ranked]
    return places


def decide_in_qpv(
    is_initiative: bool, qpv_score: float, threshold: float, places: Places | None
) -> bool | None:
    """Is the initiative in a QPV? The rule of `nlp.geo.in_qpv.decide_in_qpv` (no places: no linker ran)."""
    if places is None:
        return in_qpv_rule(is_initiative, qpv_score, threshold, linked=False, foreign=False, in_qpv=None)
    return in_qpv_rule(
        is_initiative, qpv_score, threshold, linked=True, foreign=places.foreign, in_qpv=places.in_qpv
    )


def empty_analysis(p: Prepared) -> Analysis:
    """The outcome for a text that is empty or not French: nothing detected, and why."""
    return Analysis(
        id=p.id,
        is_initiative=False,
        initiative_score=0.0,
        innovation_types=[],
        type_scores=dict.fromkeys(INNOVATION_TYPES, 0.0),
        in_qpv=None,
        qpv=[],
        communes=[],
        doc_kind="other",
        initiatives=[],
        lang=p.lang,
        warnings=p.warnings,
        skipped=p.skipped,
    )


def _types(scores: DocScores, thresholds: dict[str, float], is_initiative: bool) -> list[str]:
    if not is_initiative:
        return []
    chosen = [t for t in INNOVATION_TYPES if scores.types[t] >= thresholds[t]]
    # Every initiative has at least one type: fall back on the most probable one.
    return chosen or [max(INNOVATION_TYPES, key=lambda t: scores.types[t] - thresholds[t])]


def _initiatives(
    p: Prepared, scores: DocScores, models: ModelSet, linker: PlaceLinker | None, places: Places
) -> list[Initiative]:
    sentences = [s.text.strip() for doc in p.docs for s in doc.sents if s.text.strip()]
    orgs = list(dict.fromkeys(e.text for doc in p.docs for e in doc.ents if e.label_ == "ORG"))
    mentions = extract_initiatives(
        p.text,
        sentences,
        org_entities=orgs,
        sentence_scores=models.sentence_scores(sentences),
        laureates=scores.doc_kind == "laureates_list",
    )
    out = []
    for m in mentions:
        own = link_places(linker, [" ".join(m.evidence)], [], p.url) if m.evidence else Places()
        if len(mentions) == 1:
            own.communes = own.communes or places.communes
            own.qpv = own.qpv or places.qpv
        out.append(
            Initiative(
                name=m.name,
                carrier=m.carrier,
                commune=own.communes[0].name if own.communes else None,
                qpv_code=own.qpv[0].code if own.qpv else None,
                evidence=m.evidence,
            )
        )
    return out


def decide_analysis(
    p: Prepared, scores: DocScores | None, models: ModelSet, linker: PlaceLinker | None
) -> Analysis:
    """Turn one document's scores into its analysis (contract of `vigie analyze`)."""
    if scores is None:
        result = empty_analysis(p)
        result.model_version = models.version
        return result
    is_init = scores.initiative >= models.threshold("initiative")
    places = link_places(linker, p.passages, p.docs, p.url)
    linked = places if linker is not None else None
    return Analysis(
        id=p.id,
        is_initiative=is_init,
        initiative_score=round(scores.initiative, 4),
        innovation_types=_types(scores, models.type_thresholds, is_init),
        type_scores={t: round(v, 4) for t, v in scores.types.items()},
        in_qpv=decide_in_qpv(is_init, scores.qpv, models.threshold("qpv"), linked),
        qpv=places.qpv,
        communes=places.communes,
        doc_kind=scores.doc_kind,
        initiatives=_initiatives(p, scores, models, linker, places) if is_init else [],
        lang=p.lang or "fr",
        department_codes=places.departments,
        region_codes=places.regions,
        places_abroad=places.abroad,
        model_version=models.version,
        warnings=p.warnings,
        doc_kind_scores={k: round(v, 4) for k, v in scores.doc_kind_scores.items()},
    )
