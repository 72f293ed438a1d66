"""Query understanding: what an analyst's question asks besides its words (places, intent, kinds, types).

Engine-independent, so both backends rank alike. Places come from a `QueryPlaceLinker` (the geography
linker of `nlp.geo`, injected by the composition root: this package imports only `core`); intents come
from short French word lists written from the label definitions (innovation types, document kinds), not
from any query set. Words that only say "I want initiatives in the neighbourhoods" are kept apart so
they can boost the documents the analysis marks as initiatives in a QPV.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Protocol

from search_api.engines.french import analyze, fold

PLACE_KINDS: tuple[str, ...] = ("commune", "qpv", "department", "region", "abroad")


@dataclass(frozen=True)
class PlaceRef:
    """A place named by a query: its kind (`PLACE_KINDS`), code (INSEE, QPV code, country) and name."""

    kind: str
    code: str
    name: str


class QueryPlaceLinker(Protocol):
    """Finds the places a short query names (wired from `nlp.geo` by `vigie.wiring`)."""

    def link_query(self, text: str) -> list[PlaceRef]:
        """Places of the query, most confident first."""
        ...


def _words(*patterns: str) -> re.Pattern[str]:
    """A regex of folded word starts (`\\b` before each pattern)."""
    return re.compile(r"\b(?:" + "|".join(patterns) + r")")


# The QPV intent: the analyst asks for the priority neighbourhoods.
QPV_WORDS = _words(
    r"quartiers?\b", r"cites?\b", r"qpv", r"banlieues?", r"grands? ensembles?", r"zones? urbaines? sensibles?"
)
# The initiative intent: concrete projects, not policy pages.
INITIATIVE_WORDS = _words(
    r"projets?\b", r"initiatives?", r"actions?\b", r"experiences?\b", r"dispositifs?", r"ce qui se fait",
    r"associations? qui", r"lance", r"cree",
)  # fmt: skip
# Document kinds (the analysis' `doc_kind` values), from their definitions in nlp/classifiers/doc_kind.py.
KIND_WORDS: dict[str, re.Pattern[str]] = {
    "call_for_projects": _words(r"appels? a (?:projets?|candidatures?|manifestation)", r"candidater"),
    "laureates_list": _words(
        r"laureats?", r"palmares", r"(?<!petit )(?<!petits )prix\b", r"recompens", r"concours"
    ),
    "press": _words(r"presse", r"reportages?", r"journal", r"article"),
    "institutional": _words(
        r"contrats? de ville",
        r"rapports?\b",
        r"bilans?\b",
        r"evaluations?",
        r"etudes?\b",
        r"statistiques?",
        r"programmation",
        r"subventions?",
        r"politique de la ville",
    ),  # fmt: skip
}
# Innovation types (the analysis' `type_scores` keys), from their definitions in the seed README.
TYPE_WORDS: dict[str, re.Pattern[str]] = {
    "technologique": _words(
        r"numeriques?",
        r"applications?",
        r"applis?\b",
        r"plateformes?",
        r"codage",
        r"coder\b",
        r"informatique",
        r"fablab",
        r"solaire",
        r"digital",
    ),  # fmt: skip
    "marketing": _words(
        r"image\b",
        r"boutiques? ephemeres?",
        r"vendre",
        r"vente",
        r"circuits? courts?",
        r"marque\b",
        r"campagnes?",
        r"commerces?",
    ),  # fmt: skip
    "territoriale": _words(
        r"tiers[- ]lieux?", r"cooperation", r"bailleurs?", r"partenariats?", r"collectifs?"
    ),
    "services": _words(
        r"services?\b",
        r"mobiles?\b",
        r"itinerants?",
        r"se deplacent",
        r"permanences?",
        r"guichets?",
        r"conciergeries?",
    ),  # fmt: skip
    "sociale": _words(r"cooperatives?", r"economie sociale", r"entraide", r"insertion"),
}
# Words that only carry the intents above: they are not searched as keywords when other words remain.
INTENT_ONLY = _words(
    r"(?<!a )projets?\b",
    r"initiatives?\b",
    r"(?<!d')actions?\b",
    r"ce qui se fait",
    r"quartiers? prioritaires?",
)


@dataclass
class QueryUnderstanding:
    """What a query asks: keyword text (intent-only words removed), places and intents."""

    text: str
    keyword_text: str
    places: list[PlaceRef] = field(default_factory=list)
    wants_qpv: bool = False
    wants_initiatives: bool = False
    doc_kinds: list[str] = field(default_factory=list)
    types: list[str] = field(default_factory=list)

    @property
    def abroad(self) -> bool:
        """True when the query asks for places outside France."""
        return any(p.kind == "abroad" for p in self.places)

    @property
    def asks_signals(self) -> bool:
        """True when some analysis signal can answer the query (else reranking has nothing to add)."""
        return bool(self.places or self.wants_qpv or self.wants_initiatives or self.doc_kinds or self.types)

    def codes(self, kind: str) -> set[str]:
        """Codes of the query's places of one kind."""
        return {p.code for p in self.places if p.kind == kind}

    def as_dict(self) -> dict[str, object]:
        """JSON view (API `understanding`, logs)."""
        return {
            "places": [{"kind": p.kind, "code": p.code, "name": p.name} for p in self.places],
            "wants_qpv": self.wants_qpv,
            "wants_initiatives": self.wants_initiatives,
            "doc_kinds": list(self.doc_kinds),
            "types": list(self.types),
        }


def understand_query(text: str, linker: QueryPlaceLinker | None = None) -> QueryUnderstanding:
    """Places (through ``linker``), intents, asked document kinds and innovation types of a query."""
    folded = fold(text)
    keyword_text = INTENT_ONLY.sub(" ", folded)
    if not analyze(keyword_text):  # nothing but intent and stop words: search them all
        keyword_text = folded
    return QueryUnderstanding(
        text=text,
        keyword_text=keyword_text,
        places=linker.link_query(text) if linker is not None and text.strip() else [],
        wants_qpv=bool(QPV_WORDS.search(folded)),
        wants_initiatives=bool(INITIATIVE_WORDS.search(folded)),
        doc_kinds=[kind for kind, pattern in KIND_WORDS.items() if pattern.search(folded)],
        types=[name for name, pattern in TYPE_WORDS.items() if pattern.search(folded)],
    )
