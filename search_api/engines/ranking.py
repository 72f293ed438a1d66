"""Ranking shared by every backend: fusion, collapsing, pagination and highlights in our code.

Backends implement a few primitives (keyword list, nearest neighbours, date order, counts,
facets, fetch); `RankingEngine.search` composes them identically, so both backends rank alike.
"""

from __future__ import annotations

import logging
from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from core.domain import SearchHit, SearchQuery, SearchResult
from core.errors import InputError, NotFoundError, SearchEngineError
from core.protocols import Embedder
from search_api.engines.base import Filters, Vector, check_facets, parse_filters
from search_api.engines.feedback import expansion_terms
from search_api.engines.french import analyze
from search_api.engines.fusion import Candidate, Lists, collapse, fuse_convex, fuse_rrf
from search_api.engines.highlight import make_highlights
from search_api.engines.passages import MAX_PASSAGES, best_passage
from search_api.engines.signals import SIGNAL_FEATURES, DocSignals, signal_features, signals_of
from search_api.engines.thesaurus import load_thesaurus
from search_api.engines.understanding import QueryPlaceLinker, QueryUnderstanding, understand_query
from search_api.engines.why import make_why, passage_why

__all__ = ["Candidate", "Lists", "RankingConfig", "RankingEngine", "fuse_convex", "fuse_rrf"]
log = logging.getLogger(__name__)
Features = dict[str, dict[str, float]]  # doc id -> signal feature -> value
MAX_SIZE = 100
MAX_WINDOW = 1000
FUSIONS: tuple[str, ...] = ("rrf", "convex")
# Fields of the stored source the signals are read from (ES fetches only these for reranking).
SIGNAL_FIELDS: tuple[str, ...] = (
    "initiative_score", "in_qpv", "doc_kind", "qpv", "commune", "department", "region", "summary",
)  # fmt: skip
# Hand-set weights of the analysis signals added to the fused score (docs/search.md).
# Equal round weights: the learned combinations tried did not beat them in grouped cross-validation.
# ``prior`` (an initiative in a QPV, asked or not; `signals.initiative_prior`), hybrid only: 0.2 gained on the
# open half, seed and new, then on the blind half (0.673 -> 0.701; docs/search.md, "Where the ranking fails").
SIGNAL_WEIGHTS: dict[str, float] = {
    "place": 0.2, "qpv": 0.2, "initiative": 0.2, "kind": 0.2, "type": 0.2, "prior": 0.2,
}  # fmt: skip


@dataclass
class RankingConfig:
    """Knobs of hybrid ranking: fusion method, RRF constant, list weights, candidate window.

    ``fusion`` is ``rrf`` (reciprocal rank fusion, ranks only) or ``convex`` (weighted sum of
    min-max normalised scores); the weights serve both.
    """

    rrf_k: int = 60
    keyword_weight: float = 1.0
    semantic_weight: float = 1.0
    window: int = 100
    fusion: str = "convex"
    understand: bool = True
    strip_intent_words: bool = False
    prf_docs: int = 5
    prf_weight: float = 0.5
    signal_weights: dict[str, float] = field(default_factory=lambda: dict(SIGNAL_WEIGHTS))
    rerank_depth: int = 50
    keyword_prf_docs: int = 0  # off: +0.013 on the open half, -0.006 on the blind half (docs/search.md)
    keyword_prf_terms: int = 10
    keyword_prf_weight: float = 0.3
    # vocabulary bridging (thesaurus.py): weight of the synonyms' BM25 list; on since the blind half (hybrid
    # 0.673 -> 0.677, recall@10 0.448 -> 0.459; open 0.667 -> 0.686: docs/search.md)
    thesaurus_weight: float = 0.5

    def __post_init__(self) -> None:
        if self.fusion not in FUSIONS:
            raise InputError(f"unknown fusion {self.fusion!r}", hint="use one of: " + ", ".join(FUSIONS))
        unknown = sorted(set(self.signal_weights) - set(SIGNAL_FEATURES))
        if unknown:
            raise InputError(
                f"unknown signal weight {unknown[0]!r}", hint="use one of: " + ", ".join(SIGNAL_FEATURES)
            )


class RankingEngine(ABC):
    """Search logic on top of backend primitives; subclasses are the real backends."""

    name = "abstract"

    def __init__(
        self,
        embedder: Embedder | None = None,
        ranking: RankingConfig | None = None,
        place_linker: QueryPlaceLinker | None = None,
        max_passages: int = MAX_PASSAGES,
    ) -> None:
        if max_passages < 0:
            raise InputError(
                f"max_passages must be 0 or more, got {max_passages}",
                hint="set VIGIE_SEARCH_MAX_PASSAGES to 0 (no passages) or a positive cap such as 8",
            )
        self.embedder = embedder
        self.ranking = ranking or RankingConfig()
        self.place_linker = place_linker
        # Passage vectors per long document at most, when documents are embedded for it (0: heads only).
        self.max_passages = max_passages

    # --- primitives each backend implements -------------------------------------------------
    @abstractmethod
    def _keyword(self, terms: list[str], filters: Filters, limit: int) -> tuple[list[Candidate], int]:
        """BM25 over title and text: best ``limit`` candidates and the number of matches."""

    @abstractmethod
    def _semantic(self, vector: Vector, filters: Filters, limit: int) -> list[Candidate]:
        """Exact or approximate nearest neighbours by cosine, best first (score = cosine)."""

    @abstractmethod
    def _by_date(self, terms: list[str] | None, filters: Filters, limit: int) -> tuple[list[Candidate], int]:
        """Newest first among filtered documents (matching ``terms`` when given), with the count."""

    @abstractmethod
    def _count(self, filters: Filters) -> int:
        """Number of documents passing the filters."""

    @abstractmethod
    def _facets(
        self, terms: list[str] | None, filters: Filters, fields: list[str]
    ) -> dict[str, dict[str, int]]:
        """Value counts per field over filtered documents (matching ``terms`` when given)."""

    @abstractmethod
    def _fetch(self, ids: Sequence[str]) -> dict[str, dict[str, Any]]:
        """Stored sources of the given ids (missing ids are absent from the answer)."""

    @abstractmethod
    def _vector(self, doc_id: str) -> Vector | None:
        """The stored vector of a document, or None."""

    def _passages(self, ids: Sequence[str]) -> dict[str, tuple[Vector, list[tuple[int, int]], Vector]]:
        """Head vector, passage spans and passage vectors of the long documents among ``ids`` (short ones,
        and every document of an index built before passages, are absent). Backends override it."""
        return {}

    def _page(
        self, ids: Sequence[str], with_passages: bool
    ) -> tuple[dict[str, dict[str, Any]], dict[str, tuple[Vector, list[tuple[int, int]], Vector]]]:
        """The stored sources of a page of hits and, when asked, their passages (`_passages`); a backend
        may read both at once (Elasticsearch: one `_mget`)."""
        return self._fetch(ids), (self._passages(ids) if with_passages else {})

    def _vectors(self, ids: Sequence[str]) -> dict[str, Vector]:
        """Stored vectors of the given ids (backends may batch this)."""
        out = {}
        for doc_id in ids:
            vector = self._vector(doc_id)
            if vector is not None:
                out[doc_id] = vector
        return out

    def _signals(self, ids: Sequence[str]) -> dict[str, DocSignals]:
        """Analysis signals of the given ids, from their stored sources (backends may fetch less)."""
        return {doc_id: signals_of(source) for doc_id, source in self._fetch(ids).items()}

    def _lists(
        self,
        terms: list[str] | None,
        vector: Vector | None,
        filters: Filters,
        limit: int,
        count: bool = False,
        facet_fields: Sequence[str] = (),
        concepts: list[str] | None = None,
    ) -> Lists:
        """The keyword list (given ``terms``), the thesaurus-concept list (given ``concepts``, searched like
        keywords), the semantic list (given ``vector``), the number of filtered documents and their facets
        (given ``facet_fields``), asked together where a backend can batch them (Elasticsearch: one
        `_msearch`); here, one primitive after the other.
        """
        out = Lists()
        if vector is not None:
            out.semantic = self._semantic(vector, filters, limit)
        if terms:
            out.keyword, _ = self._keyword(terms, filters, limit)
        if concepts:
            out.concepts, _ = self._keyword(concepts, filters, limit)
        if count:
            out.count = self._count(filters)
        if facet_fields:
            out.facets = self._facets(None, filters, list(facet_fields))
        return out

    # --- the shared search logic --------------------------------------------------------------
    def understand(self, text: str) -> QueryUnderstanding:
        """What a query asks (places through the engine's place linker, intents, kinds, types)."""
        return understand_query(text, self.place_linker)

    def _fuse(self, keyword: list[Candidate], semantic: list[Candidate]) -> list[Candidate]:
        cfg = self.ranking
        weights = [cfg.keyword_weight, cfg.semantic_weight]
        if cfg.fusion == "convex":
            return fuse_convex([keyword, semantic], weights)
        return fuse_rrf([keyword, semantic], weights, cfg.rrf_k)

    def _feedback_vector(self, vector: Vector, ranked: Sequence[Candidate]) -> Vector:
        """Pseudo-relevance feedback: the query vector moved towards the mean of the first documents."""
        cfg = self.ranking
        vectors = self._vectors([c.id for c in ranked[: cfg.prf_docs]])
        if not vectors:
            return vector
        centroid = np.mean(np.stack([vectors[k] for k in sorted(vectors)]), axis=0)
        centroid /= max(float(np.linalg.norm(centroid)), 1e-9)
        moved = np.asarray(vector, dtype=np.float32) + np.float32(cfg.prf_weight) * centroid
        out: Vector = (moved / max(float(np.linalg.norm(moved)), 1e-9)).astype(np.float32)
        return out

    def _rerank(
        self,
        cands: list[Candidate],
        understanding: QueryUnderstanding,
        known: Features | None = None,
        hybrid: bool = True,
    ) -> tuple[list[Candidate], Features]:
        """Fused score plus the weighted analysis signals the query asks for, over the first candidates.

        ``known``: features already read for this query (a second reranking fetches only new documents).
        """
        # The prior is hybrid's only: in semantic mode it lost on the seed and new sets (docs/search.md).
        weights = {k: w for k, w in self.ranking.signal_weights.items() if w and (hybrid or k != "prior")}
        head, tail = cands[: self.ranking.rerank_depth], cands[self.ranking.rerank_depth :]
        # The prior needs no intent of the query; the other signals answer what it asks.
        if not weights or not head or not (understanding.asks_signals or weights.get("prior")):
            return cands, {}
        known = known or {}
        missing = [c.id for c in head if c.id not in known]
        signals = self._signals(missing) if missing else {}
        features = {
            c.id: known.get(c.id) or signal_features(understanding, signals.get(c.id, DocSignals()))
            for c in head
        }
        if "prior" not in weights:  # not applied here: the hit's `why` must not name it
            features = {i: {k: v for k, v in f.items() if k != "prior"} for i, f in features.items()}
        scored = [
            Candidate(c.id, c.score + sum(w * features[c.id][k] for k, w in weights.items()), c.group, c.date)
            for c in head
        ]
        scored.sort(key=lambda c: (-round(c.score, 9), c.id))
        return scored + tail, features

    def _query_vector(self, text: str) -> Vector:
        if self.embedder is None:
            raise SearchEngineError(
                "semantic search needs an embedding model but none was given to the engine",
                hint="use mode=keyword, or build the engine with vigie.wiring.make_search_engine",
            )
        return self.embedder.embed_query(text)

    def _window(self, query: SearchQuery) -> int:
        return min(max(query.page * query.size * 2, self.ranking.window), MAX_WINDOW)

    def _rank(
        self,
        query: SearchQuery,
        filters: Filters,
        terms: list[str],
        understanding: QueryUnderstanding | None,
        facet_fields: Sequence[str] = (),
    ) -> tuple[list[Candidate], int, bool, Features, dict[str, dict[str, int]] | None, Vector | None]:
        """Ranked candidates, total, whether facets count keyword matches only, signal features, the
        facets when they were asked with the first lists (None: still to ask), and the query vector."""
        window = self._window(query)
        if not query.text.strip():
            cands, total = self._by_date(None, filters, window)
            return cands, total, False, {}, None, None
        mode = query.mode
        if mode == "hybrid" and self.embedder is None:
            log.warning("hybrid search without an embedder: falling back to keyword")
            mode = "keyword"
        if mode == "keyword":
            if not terms:
                return [], 0, True, {}, None, None
            if query.sort == "date":
                cands, total = self._by_date(terms, filters, window)
            else:
                cands, total = self._keyword(terms, filters, window)
                cands = sorted(cands, key=lambda c: (-c.score, c.id))  # same tie order on every backend
            return cands, total, True, {}, None, None
        features: Features = {}
        vector = self._query_vector(query.text)
        with_keyword = terms if mode == "hybrid" else None
        concepts = self._concepts(with_keyword)
        lists = self._lists(with_keyword, vector, filters, window, True, facet_fields, concepts)
        semantic = lists.semantic or []
        if mode == "semantic" or not terms:
            cands = semantic
            if understanding is not None:
                cands, features = self._understood(semantic, None, vector, filters, window, understanding)
        else:
            keyword = sorted(lists.keyword or [], key=lambda c: (-c.score, c.id))
            keyword = self._bridged(keyword, lists.concepts)
            cands = self._fuse(keyword, semantic)
            if understanding is not None:
                cands, features = self._understood(
                    cands, keyword, vector, filters, window, understanding, terms
                )
        if query.sort == "date":
            cands = sorted(cands, key=lambda c: (-c.date, c.id))
        count = lists.count if lists.count is not None else self._count(filters)
        return cands, count, False, features, lists.facets, vector

    def _understood(
        self,
        cands: list[Candidate],
        keyword: list[Candidate] | None,
        vector: Vector,
        filters: Filters,
        window: int,
        understanding: QueryUnderstanding,
        terms: list[str] | None = None,
    ) -> tuple[list[Candidate], Features]:
        """Query understanding: feedback on the semantic list, then the analysis signals.

        ``keyword`` is None in semantic mode: the list is then min-max normalised like one fused list,
        so the signal weights mean the same in both modes.
        """
        cfg = self.ranking
        semantic: list[Candidate] | None = None
        if cfg.prf_docs > 0 and cfg.prf_weight > 0 and cands:
            moved = self._feedback_vector(vector, cands)
            semantic = self._lists(None, moved, filters, window).semantic or []
            cands = self._fuse(keyword, semantic) if keyword is not None else semantic
        if keyword is None:
            cands = fuse_convex([cands], [1.0])
        ranked, features = self._rerank(cands, understanding, hybrid=keyword is not None)
        # Keyword feedback expands a keyword list that matched: with none, hybrid is the semantic list.
        if keyword and terms and cfg.keyword_prf_docs > 0 and cfg.keyword_prf_weight > 0:
            expanded = self._expanded_keyword(keyword, ranked, terms, filters, window)
            if expanded is not None:
                if semantic is None:
                    semantic = self._semantic(vector, filters, window)
                ranked, features = self._rerank(self._fuse(expanded, semantic), understanding, features)
        return ranked, features

    def _concepts(self, terms: list[str] | None) -> list[str] | None:
        """The thesaurus groups of hybrid's query words (`thesaurus.py`), when vocabulary bridging is on."""
        if not terms or self.ranking.thesaurus_weight <= 0:
            return None
        return load_thesaurus().query_concepts(terms) or None

    def _bridged(self, keyword: list[Candidate], concepts: list[Candidate] | None) -> list[Candidate]:
        """The keyword list mixed with the BM25 list of the query's thesaurus groups (vocabulary bridging):
        one concept term per group, searched in the documents' concept terms (`thesaurus.py`), asked with
        the first lists (`_lists`, no extra round trip).

        Unchanged when bridging is off, either list is empty or the thesaurus knows none of the words.
        """
        if not keyword or not concepts:
            return keyword
        more = sorted(concepts, key=lambda c: (-c.score, c.id))
        return fuse_convex([keyword, more], [1.0, self.ranking.thesaurus_weight])

    def _expanded_keyword(
        self,
        keyword: list[Candidate],
        ranked: list[Candidate],
        terms: list[str],
        filters: Filters,
        window: int,
    ) -> list[Candidate] | None:
        """The keyword list mixed with a BM25 list of expansion terms from the first ranked documents.

        None when the feedback documents give no term (`feedback.expansion_terms`).
        """
        cfg = self.ranking
        head = ranked[: cfg.keyword_prf_docs]
        sources = self._fetch([c.id for c in head])
        found = [c for c in head if c.id in sources]
        texts = [f"{sources[c.id].get('title') or ''} {sources[c.id].get('text') or ''}" for c in found]
        extra = expansion_terms(texts, [c.score for c in found], terms, cfg.keyword_prf_terms)
        if not extra:
            return None
        more, _ = self._keyword(extra, filters, window)
        more = sorted(more, key=lambda c: (-c.score, c.id))
        return fuse_convex([keyword, more], [1.0, cfg.keyword_prf_weight])

    def search(self, query: SearchQuery) -> SearchResult:
        """Ranked, filtered, faceted, paginated hits; near-duplicates collapsed with a count."""
        if query.page < 1:
            raise InputError(f"page must be >= 1, got {query.page}", hint="pages start at 1")
        if not 1 <= query.size <= MAX_SIZE:
            raise InputError(
                f"size must be within 1..{MAX_SIZE}, got {query.size}", hint="ask for fewer hits"
            )
        if query.mode not in ("keyword", "semantic", "hybrid"):
            raise InputError(f"unknown mode {query.mode!r}", hint="use keyword, semantic or hybrid")
        filters = parse_filters(query.filters)
        facet_fields = check_facets(query.facets)
        understanding = None
        terms = analyze(query.text)
        if query.mode != "keyword" and self.ranking.understand and query.text.strip():
            understanding = self.understand(query.text)
            if self.ranking.strip_intent_words:  # measured to lose on the open queries: off by default
                terms = analyze(understanding.keyword_text) or terms
        cands, total, facets_on_terms, features, facets, vector = self._rank(
            query, filters, terms, understanding, facet_fields
        )
        groups = collapse(cands) if query.collapse_duplicates else [(c, 0) for c in cands]
        start = (query.page - 1) * query.size
        page = groups[start : start + query.size]
        shown = query.highlight  # highlights and `why` are built together
        hits = self._make_hits(
            page, terms if shown else [], understanding, features, vector if shown else None
        )
        if facets is None:
            facets = {}
            if facet_fields:
                facets = self._facets(terms if facets_on_terms and terms else None, filters, facet_fields)
        return SearchResult(hits=hits, total=total, facets=facets)

    def _make_hits(
        self,
        page: Sequence[tuple[Candidate, int]],
        terms: list[str],
        understanding: QueryUnderstanding | None = None,
        features: Features | None = None,
        vector: Vector | None = None,
    ) -> list[SearchHit]:
        # With the query vector: where the semantic side matched a long document, when a passage beat its
        # head (`passages.py`).
        sources, passages = self._page([c.id for c, _ in page], vector is not None)
        hits = []
        for cand, duplicates in page:
            source = dict(sources.get(cand.id, {}))
            text = source.pop("text", "") or ""
            highlights = make_highlights(text, terms) if terms else []
            why = {}
            if terms:
                why = make_why(
                    text, terms, highlights, understanding, signals_of(source), (features or {}).get(cand.id)
                )
            stored = passages.get(cand.id)
            matched = best_passage(vector, *stored) if vector is not None and stored is not None else None
            if matched is not None:
                why["semantic_passage"] = passage_why(text, *matched)
            hits.append(
                SearchHit(
                    id=cand.id,
                    score=round(cand.score, 6),
                    title=source.get("title"),
                    highlights=highlights,
                    source=source,
                    duplicates=duplicates,
                    why=why,
                )
            )
        return hits

    def more_like_this(
        self, doc_id: str, size: int = 10, filters: dict[str, Any] | None = None
    ) -> SearchResult:
        """Nearest documents to ``doc_id`` by its stored vector, itself and its duplicates excluded."""
        vector = self._vector(doc_id)
        source = self._fetch([doc_id]).get(doc_id)
        if vector is None or source is None:
            raise NotFoundError(
                f"document {doc_id!r} is not indexed", hint="check the id or run `vigie index`"
            )
        parsed = parse_filters(filters or {})
        group = source.get("group") or doc_id
        cands = [c for c in self._semantic(vector, parsed, size * 3 + 10) if c.group != group]
        page = collapse(cands)[:size]
        return SearchResult(hits=self._make_hits(page, []), total=len(page))

    def get_document(self, doc_id: str) -> dict[str, Any]:
        """The stored document; `NotFoundError` when absent."""
        source = self._fetch([doc_id]).get(doc_id)
        if source is None:
            raise NotFoundError(
                f"document {doc_id!r} is not indexed", hint="check the id or run `vigie index`"
            )
        return source
