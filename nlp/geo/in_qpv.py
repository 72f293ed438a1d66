"""The in-QPV rule, written once: one passage's evidence, passages merged, the document's decision.

The geography linker decides each passage (`decide_passage`), `nlp.decisions.link_places` merges the
passages (`merge_passages`), the analysis decides the initiative (`decide_in_qpv`), and the model
evaluation scores the same rule on arrays (`geo_code`, `combine_in_qpv`).
"""

from __future__ import annotations

from typing import Any

import numpy.typing as npt

from nlp.geo import decision
from nlp.geo.context import LinkContext
from nlp.geo.normalise import name_key
from nlp.geo.reference import ReferenceData
from nlp.geo.results import CommuneLink, QpvLink

QPV_DECISION_THRESHOLD = 0.6  # a QPV link at least this sure makes the text "in QPV"
SURE_TOWN = 0.6  # a town this sure can tell "elsewhere" (no QPV there, neighbourhood unlike its QPVs)
UNLIKE_GUESS = 0.35  # a "quartier X" this far from every QPV name of its town is another neighbourhood
# Below the decision threshold, a QPV guessed from "quartier X" (`guessing.py`) is still enough when
# nothing says otherwise. Weak links the gazetteer finds on one common word of a QPV name ("Jardins",
# "Médiathèque", "Nord") are not: on seed + pool dev initiatives, 30 of the 40 such decisions dropped were
# wrong (gold in_qpv false or unknown); linker in-QPV F1 0.877 -> 0.903 (issue 15, m15).
WEAK_QPV_THRESHOLD = 0.45
# The linker's decision as evaluation codes it, one integer per text.
IN_QPV, ELSEWHERE, UNKNOWN, ABROAD = 1, 0, -1, -2


def named_ambiguous_qpv(ref: ReferenceData, ctx: LinkContext, communes: list[CommuneLink]) -> str | None:
    """ "la cité Gagarine": a QPV name after "quartier"/"cité", even when we cannot tell which one."""
    towns = {c.insee for c in communes if c.confidence >= SURE_TOWN}
    for mention in ctx.mentions:
        qpvs = [ref.qpvs[e.code] for e in mention.entries if e.kind == "qpv" and not e.generic]
        if not mention.quartier_word or not qpvs:
            continue
        if towns and not any(set(q.insees) & towns for q in qpvs):
            continue  # "quartier Pasteur" in Brest: no QPV of that name there
        return mention.surface
    return None


def town_wide_qpv(ref: ReferenceData, insee: str) -> bool:
    """A QPV named after its town ("Mamoudzou"): any neighbourhood of that town may be in it."""
    town = name_key(ref.communes[insee].name) if insee in ref.communes else ""
    return any(name_key(q.name) == town for q in ref.qpvs_of_commune(insee))


def decide_passage(
    ref: ReferenceData, folded: str, qpvs: list[QpvLink], communes: list[CommuneLink], ctx: LinkContext
) -> tuple[bool | None, str]:
    """One passage: true: a known QPV or QPV wording; false: clearly elsewhere; None: unclear."""
    strong = [q for q in qpvs if q.confidence >= QPV_DECISION_THRESHOLD]
    if strong:
        return True, f"qpv {strong[0].code}"
    cue = decision.find_qpv_cue(folded)
    if cue:
        return True, f"wording '{cue}'"
    guessed = {g.code for g in ctx.guesses}
    if qpvs and qpvs[0].confidence >= WEAK_QPV_THRESHOLD and qpvs[0].code in guessed:
        return True, f"weak qpv {qpvs[0].code}"
    named = named_ambiguous_qpv(ref, ctx, communes)
    if named:
        return True, f"neighbourhood named like QPVs: {named}"
    elsewhere = decision.find_elsewhere_cue(folded)
    if elsewhere:
        return False, f"wording '{elsewhere}'"
    sure_towns = {c.insee for c in communes if c.confidence >= SURE_TOWN}
    unlike = [
        g
        for g in ctx.guesses
        if g.confidence < UNLIKE_GUESS and g.insee in sure_towns and not town_wide_qpv(ref, g.insee)
    ]
    if unlike and len(unlike) == len(ctx.guesses):
        return False, f"named neighbourhood '{unlike[0].evidence}' is not a QPV of {unlike[0].commune}"
    if communes and communes[0].confidence >= SURE_TOWN and not ref.qpvs_of_commune(communes[0].insee):
        return False, f"{communes[0].name} has no QPV"
    return None, "no neighbourhood named"


def merge_passages(document: bool | None, passage: bool | None) -> bool | None:
    """Passages of one document: one passage in a QPV is enough; "elsewhere" only when none said more."""
    if passage is True or (passage is False and document is None):
        return passage
    return document


def decide_in_qpv(
    is_initiative: bool, qpv_score: float, threshold: float, linked: bool, foreign: bool, in_qpv: bool | None
) -> bool | None:
    """Is the initiative in a QPV? The linker decides when it ran (``linked``), the classifier otherwise.

    Cross-validation showed the classifier adds false positives to the linker's decision (docs/models.md).
    """
    if not is_initiative:
        return None
    if not linked:
        return qpv_score >= threshold
    if foreign:
        return False
    return in_qpv


def geo_code(foreign: bool, in_qpv: bool | None) -> int:
    """The linker's decision on one text, coded: 1 in a QPV, 0 elsewhere, -1 unknown, -2 abroad."""
    if foreign:
        return ABROAD
    if in_qpv is None:
        return UNKNOWN
    return IN_QPV if in_qpv else ELSEWHERE


def combine_in_qpv(init: npt.NDArray[Any], qpv: npt.NDArray[Any], geo: npt.NDArray[Any] | None) -> Any:
    """In-QPV initiative: detected, then placed in a QPV by the linker (or by the classifier without it).

    ``geo`` holds `geo_code` per text: the same rule as `decide_in_qpv` (abroad and unknown are not in a QPV).
    """
    if geo is None:
        return init * qpv
    return ((init == 1) & (geo == IN_QPV)).astype(int)
