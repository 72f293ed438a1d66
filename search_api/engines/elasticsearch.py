"""Elasticsearch backend: explicit mapping, an alias switched atomically on rebuild, bulk with reports.

French analysis happens in our code (`french.py`): the index only splits on whitespace, so it
works on the Maven test distribution (no `analysis-common` module) and on any standard node.
Fusion, collapsing and highlights are shared with the embedded engine (`ranking.py`).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable, Sequence
from typing import Any, TypeVar

import elasticsearch
import numpy as np
from elasticsearch import Elasticsearch, helpers

from core.errors import EngineUnavailableError, SearchEngineError
from core.protocols import Embedder
from search_api.engines.base import KEYWORD_FIELDS, BulkReport, Filters, IndexDocument, Vector
from search_api.engines.french import analyze
from search_api.engines.passages import MAX_PASSAGES
from search_api.engines.place_cache import cached_place_linker
from search_api.engines.ranking import Candidate, Lists, RankingConfig, RankingEngine
from search_api.engines.signals import STORED_PLACE_KINDS, DocSignals, signals_of
from search_api.engines.thesaurus import CONCEPT_PREFIX, concept_string
from search_api.engines.understanding import QueryPlaceLinker
from search_api.engines.validation import validate_documents

log = logging.getLogger(__name__)
T = TypeVar("T")
TITLE_BOOST = 2.0
BATCH = 1000
BULK_THREADS = 2
CANDIDATE_FIELDS = ["id", "group", "date_num"]
# A candidate list reads its id, group and date from doc values and no stored field at all (`_none_`, not
# even `_id`): a hit's stored fields are read by decompressing their block, which was most of a list's
# fetch phase (100 kNN hits, 100k docs: fetch 12.7 -> 0.7 ms, took 23.5 -> 9.0 ms, profiled).
CANDIDATE_FETCH: dict[str, Any] = {"stored_fields": "_none_", "docvalue_fields": CANDIDATE_FIELDS}
# What reranking reads of a stored source (`signals_of`): not the whole summary (initiatives, places
# with their names...), only its type scores and places abroad.
SIGNAL_SOURCE = [
    "initiative_score", "in_qpv", "doc_kind", *STORED_PLACE_KINDS,
    "summary.type_scores", "summary.places_abroad",
]  # fmt: skip
# Every field of a stored source (`IndexDocument.to_source`): a page of hits asks for them by name with the
# head and passage vectors, which the index only returns when named (`mapping.exclude_source_vectors`).
SOURCE_FIELDS: tuple[str, ...] = tuple(IndexDocument(id="-", text="").to_source())
# Vector index types (`dense_vector.index_options.type`): graph (hnsw), graph over int8- or
# bit-quantised vectors (int8_hnsw, bbq_hnsw), or exact brute force (flat, int8_flat).
VECTOR_INDEXES: tuple[str, ...] = ("hnsw", "int8_hnsw", "bbq_hnsw", "flat", "int8_flat")


def make_mapping(dim: int, vector_index: str = "hnsw") -> dict[str, Any]:
    """The explicit mapping: analysed text split on whitespace, keywords, numbers, the head vector and the
    nested passage vectors of long documents.

    ``vector_index`` is ``hnsw`` (approximate graph, for large indexes) or ``flat`` (exact brute
    force: faster bulk loading, exact like the embedded engine, fine up to a few hundred thousand).
    """
    if vector_index not in VECTOR_INDEXES:
        raise SearchEngineError(
            f"unknown vector index type {vector_index!r}", hint="use one of: " + ", ".join(VECTOR_INDEXES)
        )
    options: dict[str, Any] = {"type": vector_index}
    if vector_index.endswith("hnsw"):
        options.update(m=16, ef_construction=100)
    vector: dict[str, Any] = {
        "type": "dense_vector", "dims": dim, "index": True, "similarity": "cosine", "index_options": options,
    }  # fmt: skip
    properties: dict[str, Any] = {
        "id": {"type": "keyword"},
        "title": {"type": "text", "index": False},
        "text": {"type": "text", "index": False},
        "url": {"type": "keyword", "index": False, "doc_values": False},
        "date": {"type": "keyword", "index": False, "doc_values": False},
        "title_an": {"type": "text", "analyzer": "whitespace"},
        "body_an": {"type": "text", "analyzer": "whitespace"},
        "concepts_an": {"type": "text", "analyzer": "whitespace"},
        "date_num": {"type": "integer"},
        "initiative_score": {"type": "float"},
        "is_initiative": {"type": "boolean"},
        "group": {"type": "keyword"},
        "summary": {"type": "object", "enabled": False},
        # The head vector of every document (as before passages).
        "vector": vector,
        # The passages of a long document only (`passages.py`), one nested object each with its span: a kNN
        # query on ``passages.vector`` scores a document by its best passage and returns documents, so
        # filters stay on documents; `_semantic` merges it with the head kNN by max (`max_merge`).
        "passages": {
            "type": "nested",
            "properties": {
                "vector": vector,
                "start": {"type": "integer", "index": False},
                "end": {"type": "integer", "index": False},
            },
        },
    }
    properties.update({name: {"type": "keyword"} for name in KEYWORD_FIELDS})
    return {"dynamic": "strict", "properties": properties}


# Vectors stay out of the stored source (9.x's default): loading a hit's source (the signals and the page of
# hits) no longer reads and parses 384 floats of JSON. A source asked with `vector` explicitly
# (the feedback's `_vectors`) gets it back from the index, as the float32 values indexed (checked equal).
INDEX_SETTINGS = {"number_of_shards": 1, "number_of_replicas": 0, "mapping.exclude_source_vectors": True}
# While a rebuild loads a new index nobody reads yet: no periodic refresh (fewer small segments
# and HNSW graph merges) and an fsync of the translog every few seconds instead of per request.
# Both are restored before the alias moves; a crash mid-rebuild only loses the unused new index.
BULK_LOAD_SETTINGS = {"refresh_interval": "-1", "translog.durability": "async"}
SERVING_SETTINGS = {"refresh_interval": None, "translog.durability": "request"}


def max_merge(heads: list[Candidate], passages: list[Candidate], limit: int) -> list[Candidate]:
    """The ``limit`` best documents by max(head cosine, best passage cosine), from the ``limit`` nearest by
    head and the ``limit`` nearest by best passage: exact for those ``limit`` (a document whose max is its
    head is among the nearest heads, else ``limit`` documents beat it; the same for passages), as the
    embedded engine computes it over every row."""
    best: dict[str, Candidate] = {}
    for cand in heads + passages:
        known = best.get(cand.id)
        if known is None or cand.score > known.score:
            best[cand.id] = cand
    return sorted(best.values(), key=lambda c: (-c.score, c.id))[:limit]


class ElasticsearchEngine(RankingEngine):
    """Search on an Elasticsearch 9 node through an alias; errors translated to ours.

    ``force_merge`` (default on): a full `rebuild` merges its new index into one segment before the alias
    moves (one HNSW graph to search, not one per segment); incremental `index_documents` never merges.
    """

    name = "elasticsearch"

    def __init__(
        self,
        url: str,
        alias: str = "vigie-documents",
        embedder: Embedder | None = None,
        ranking: RankingConfig | None = None,
        dim: int = 384,
        request_timeout: float = 30.0,
        vector_index: str = "hnsw",
        bulk_threads: int = BULK_THREADS,
        place_linker: QueryPlaceLinker | None = None,
        force_merge: bool = True,
        max_passages: int = MAX_PASSAGES,
    ) -> None:
        super().__init__(embedder, ranking, cached_place_linker(place_linker), max_passages)
        self.url = url
        self.alias = alias
        self.dim = embedder.dim if embedder is not None else dim
        self.client = Elasticsearch(
            url, request_timeout=request_timeout, max_retries=1, retry_on_timeout=False
        )
        self._ready = False
        make_mapping(self.dim, vector_index)  # validates the vector index type now, not at first write
        self.vector_index = vector_index
        self.bulk_threads = max(1, bulk_threads)
        self.force_merge = force_merge
        self.passages = True  # False when the alias serves an index built before passages (`_ensure`)

    # --- plumbing -----------------------------------------------------------------------------
    def _call(self, what: str, fn: Callable[[], T]) -> T:
        """Run a client call, translating library errors into Vigie errors."""
        try:
            return fn()
        except (elasticsearch.ConnectionError, elasticsearch.ConnectionTimeout) as exc:
            raise EngineUnavailableError(
                f"Elasticsearch at {self.url} is unreachable ({what}): {exc.__class__.__name__}",
                hint="start the node or check VIGIE_ELASTICSEARCH_URL",
            ) from exc
        except elasticsearch.ApiError as exc:
            raise SearchEngineError(
                f"Elasticsearch refused {what}: {exc.message}",
                hint="see the node's log; `vigie index --rebuild`",
            ) from exc

    def _ensure(self) -> None:
        """Create the first concrete index behind the alias when missing."""
        if self._ready:
            return
        if not self._call("alias check", lambda: bool(self.client.indices.exists_alias(name=self.alias))):
            self._create_index(activate=True)
        else:
            self._check_mapping()
        self._ready = True

    def _check_mapping(self) -> None:
        """An index built before passages (one indexed ``vector`` per document) keeps serving, its documents
        matched by their head alone; a warning asks for `vigie index --rebuild`."""
        resp = self._call("mapping check", lambda: self.client.indices.get_mapping(index=self.alias))
        self.passages = all(
            "passages" in body.get("mappings", {}).get("properties", {}) for body in resp.body.values()
        )
        if not self.passages:
            log.warning(
                "elasticsearch index behind alias %s predates passage vectors: long documents are matched "
                "by their head only; run `vigie index --rebuild`",
                self.alias,
            )

    def _create_index(self, activate: bool, bulk_load: bool = False) -> str:
        name = f"{self.alias}-{time.strftime('%Y%m%d%H%M%S')}-{time.monotonic_ns() % 100000:05d}"
        mappings = make_mapping(self.dim, self.vector_index)
        self._call(
            "index creation",
            lambda: self.client.indices.create(
                index=name,
                settings={**INDEX_SETTINGS, **BULK_LOAD_SETTINGS} if bulk_load else INDEX_SETTINGS,
                mappings=mappings,
            ),
        )
        if activate:
            self._call("alias creation", lambda: self.client.indices.put_alias(index=name, name=self.alias))
        log.info("elasticsearch created index=%s alias=%s", name, self.alias)
        return name

    def _to_es(self, doc: IndexDocument, passages: bool = True) -> dict[str, Any]:
        body = doc.to_source()
        title, text = analyze(doc.title), analyze(doc.text)
        body["title_an"] = " ".join(title)
        body["body_an"] = " ".join(text)
        body["concepts_an"] = concept_string(title + text)
        body["date_num"] = doc.date_number
        if doc.vector is not None:
            # A float list: base64-packed vectors (`helpers.pack_dense_vector`) need a 9.3+ server.
            body["vector"] = np.asarray(doc.vector, dtype=np.float32).tolist()
            if passages and doc.passage_vectors is not None:
                rows = np.asarray(doc.passage_vectors, dtype=np.float32).tolist()
                body["passages"] = [
                    {"vector": row, "start": int(a), "end": int(b)}
                    for row, (a, b) in zip(rows, doc.passage_spans, strict=True)
                ]
        return body

    # --- writing -----------------------------------------------------------------------------
    def ping(self) -> None:
        """Raise `EngineUnavailableError` when the node does not answer.

        Asks `_cluster/health`: the Maven test distribution answers ``GET /`` with 405.
        """
        self._call("ping", lambda: self.client.cluster.health())

    def _bulk(self, index: str, docs: Sequence[IndexDocument], passages: bool = True) -> BulkReport:
        """Send documents in chunks on ``bulk_threads`` connections; report each rejection."""
        good, errors = validate_documents(docs, self.dim)
        report = BulkReport(errors=errors)
        if not good:
            return report
        actions = ({"_index": index, "_id": doc.id, "_source": self._to_es(doc, passages)} for doc in good)
        results = helpers.parallel_bulk(
            self.client, actions, thread_count=self.bulk_threads, chunk_size=BATCH,
            max_chunk_bytes=50 * 1024 * 1024, raise_on_error=False, raise_on_exception=True,
        )  # fmt: skip
        for ok, item in self._call("bulk indexing", lambda: list(results)):
            result = item.get("index", {})
            if ok:
                report.indexed += 1
            else:
                error = result.get("error") or {}
                if isinstance(error, dict):
                    error = f"{error.get('type')}: {error.get('reason')}"
                report.errors[str(result.get("_id"))] = str(error)
        return report

    def index_documents(self, docs: Sequence[IndexDocument]) -> BulkReport:
        """Bulk-index documents; each rejected document is reported, the others indexed."""
        self._ensure()
        report = self._bulk(self.alias, docs, self.passages)
        self._call("refresh", lambda: self.client.indices.refresh(index=self.alias))
        log.info("elasticsearch indexed=%d rejected=%d", report.indexed, len(report.errors))
        return report

    def rebuild(self, docs: Iterable[IndexDocument]) -> BulkReport:
        """Fill a new index, then move the alias to it in one atomic alias update."""
        new = self._create_index(activate=False, bulk_load=True)
        report = BulkReport()
        batch: list[IndexDocument] = []
        for doc in docs:
            batch.append(doc)
            if len(batch) >= BATCH * self.bulk_threads * 2:
                report.merge(self._bulk(new, batch))
                batch = []
        report.merge(self._bulk(new, batch))
        self._call(
            "serving settings",
            lambda: self.client.indices.put_settings(index=new, settings=SERVING_SETTINGS),
        )
        self._call("refresh", lambda: self.client.indices.refresh(index=new))
        if self.force_merge:
            self._merge(new)
        old = self._call("alias lookup", lambda: self._alias_targets())
        actions: list[dict[str, Any]] = [{"remove": {"index": name, "alias": self.alias}} for name in old]
        actions.append({"add": {"index": new, "alias": self.alias}})
        self._call("alias switch", lambda: self.client.indices.update_aliases(actions=actions))
        for name in old:
            self._call("old index removal", lambda name=name: self.client.indices.delete(index=name))  # type: ignore[misc]
        self._ready = True
        self.passages = True
        log.info("elasticsearch rebuilt index=%s indexed=%d", new, report.indexed)
        return report

    def _merge(self, index: str) -> None:
        """Merge a freshly loaded index into one segment before it serves: one HNSW graph to search instead
        of one per segment (kNN took 26 -> 8 ms on 100k documents), at the price of a minute or two of
        merging per 100k documents (`vigie index --rebuild --no-merge` skips it)."""
        started = time.perf_counter()
        client = self.client.options(request_timeout=3600)
        self._call("force merge", lambda: client.indices.forcemerge(index=index, max_num_segments=1))
        # The merged segment serves only after a refresh; without one a loaded node may still search the old
        # segments when the alias moves (CI saw two segments after the merge).
        self._call("refresh", lambda: client.indices.refresh(index=index))
        log.info("elasticsearch merged index=%s seconds=%.0f", index, time.perf_counter() - started)

    def _alias_targets(self) -> list[str]:
        if not self.client.indices.exists_alias(name=self.alias):
            return []
        return list(self.client.indices.get_alias(name=self.alias).body)

    def delete_documents(self, ids: Sequence[str]) -> int:
        """Delete documents by id; return how many existed."""
        self._ensure()
        ops = [{"delete": {"_index": self.alias, "_id": doc_id}} for doc_id in ids]
        if not ops:
            return 0
        resp = self._call("bulk delete", lambda: self.client.bulk(operations=ops, refresh=True))
        return sum(1 for item in resp["items"] if item.get("delete", {}).get("result") == "deleted")

    def count(self) -> int:
        """Documents behind the alias."""
        self._ensure()
        return int(self._call("count", lambda: self.client.count(index=self.alias))["count"])

    def close(self) -> None:
        """Close the HTTP connections."""
        self.client.close()

    # --- primitives ----------------------------------------------------------------------------
    @staticmethod
    def _filter_clauses(filters: Filters) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = [{"terms": {name: values}} for name, values in filters.keywords.items()]
        if filters.date_from is not None or filters.date_to is not None:
            bounds = {"gte": filters.date_from if filters.date_from is not None else 1}
            if filters.date_to is not None:
                bounds["lte"] = filters.date_to
            out.append({"range": {"date_num": bounds}})
        if filters.min_score is not None:
            out.append({"range": {"initiative_score": {"gte": filters.min_score}}})
        return out

    def _query(self, terms: list[str] | None, filters: Filters) -> dict[str, Any]:
        must: list[dict[str, Any]] = []
        if terms:
            should: list[dict[str, Any]] = []
            for term in dict.fromkeys(terms):
                if term.startswith(CONCEPT_PREFIX):  # a thesaurus group (thesaurus.py): one field, no boost
                    should.append({"term": {"concepts_an": {"value": term}}})
                    continue
                should.append({"term": {"title_an": {"value": term, "boost": TITLE_BOOST}}})
                should.append({"term": {"body_an": {"value": term}}})
            must.append({"bool": {"should": should}})
        return {"bool": {"must": must or [{"match_all": {}}], "filter": self._filter_clauses(filters)}}

    @staticmethod
    def _candidates(hits: list[dict[str, Any]], cosine: bool = False) -> list[Candidate]:
        """Candidates of a hit list read from doc values (`CANDIDATE_FETCH`)."""
        out = []
        for hit in hits:
            score = float(hit.get("_score") or 0.0)
            if cosine:  # ES reports (1 + cos) / 2 for cosine similarity
                score = 2.0 * score - 1.0
            values = {name: v[0] for name, v in hit.get("fields", {}).items() if v}
            doc_id = str(values["id"])
            date = int(values.get("date_num") or 0)
            out.append(Candidate(doc_id, score, values.get("group") or doc_id, date))
        return out

    def _search(self, what: str, **body: Any) -> dict[str, Any]:
        self._ensure()
        resp = self._call(what, lambda: self.client.search(index=self.alias, **body))
        return dict(resp.body)

    def _keyword(self, terms: list[str], filters: Filters, limit: int) -> tuple[list[Candidate], int]:
        resp = self._search(
            "keyword search", query=self._query(terms, filters), size=limit,
            track_total_hits=True, **self._fetch_args(),
        )  # fmt: skip
        return self._candidates(resp["hits"]["hits"]), int(resp["hits"]["total"]["value"])

    @staticmethod
    def _fetch_args() -> dict[str, Any]:
        """`CANDIDATE_FETCH` as keyword arguments of the client's `search`."""
        return dict(CANDIDATE_FETCH)

    def _knn(self, vector: Vector, filters: Filters, limit: int, field: str = "vector") -> dict[str, Any]:
        """The kNN clause of the ``limit`` nearest filtered documents (by head, or by best passage)."""
        return {
            "field": field,
            "query_vector": np.asarray(vector, dtype=np.float32).tolist(),
            "k": limit,
            "num_candidates": min(max(limit * 2, 200), 10000),
            "filter": self._filter_clauses(filters),
        }

    def _knn_bodies(self, vector: Vector, filters: Filters, limit: int) -> dict[str, dict[str, Any]]:
        """The head kNN and, on an index with passages, the best-passage kNN of long documents."""
        bodies = {"semantic": {"knn": self._knn(vector, filters, limit), "size": limit, **CANDIDATE_FETCH}}
        if self.passages:
            knn = self._knn(vector, filters, limit, "passages.vector")
            bodies["passages"] = {"knn": knn, "size": limit, **CANDIDATE_FETCH}
        return bodies

    def _semantic(self, vector: Vector, filters: Filters, limit: int) -> list[Candidate]:
        self._ensure()  # reads the mapping: an index from before passages has no passage kNN
        semantic = self._parse_lists(self._msearch(self._knn_bodies(vector, filters, limit)), ()).semantic
        return semantic or []

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
        """The first lists, count and facets of a query in one `_msearch` (one round trip, not up to 5).

        The candidates carry no source: reranking fetches the signals of its first 50 in one `_mget`
        (`_signals`). Loading the sources of every hit of the three lists (300)
        cost the node more than that extra round trip (fetch phase ~100 of 130 ms per query, profiled).
        """
        fetch = CANDIDATE_FETCH
        bodies: dict[str, dict[str, Any]] = {}
        if vector is not None:
            self._ensure()
            bodies.update(self._knn_bodies(vector, filters, limit))
        if terms:
            # Its total is never read (the count is): without counting every match, Lucene skips the
            # documents that cannot enter the first `limit` (block-max WAND); the same hits come back.
            query = self._query(terms, filters)
            bodies["keyword"] = {"query": query, "size": limit, "track_total_hits": False, **fetch}
        if concepts:
            query = self._query(concepts, filters)
            bodies["concepts"] = {"query": query, "size": limit, "track_total_hits": False, **fetch}
        if count or facet_fields:
            bodies["count"] = {"query": self._query(None, filters), "size": 0, "track_total_hits": True}
            if facet_fields:
                bodies["count"]["aggs"] = {n: {"terms": {"field": n, "size": 1000}} for n in facet_fields}
        return self._parse_lists(self._msearch(bodies), facet_fields)

    def _msearch(self, bodies: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
        """Run named searches in one round trip (`_msearch`, or `_search` for one); a failed one fails all."""
        if len(bodies) == 1:
            name, body = next(iter(bodies.items()))
            return {name: self._search(f"{name} search", **{k.lstrip("_"): v for k, v in body.items()})}
        if not bodies:
            return {}
        self._ensure()
        searches: list[dict[str, Any]] = []
        for body in bodies.values():
            searches += [{}, body]
        resp = self._call("multi-search", lambda: self.client.msearch(index=self.alias, searches=searches))
        out = {}
        for name, item in zip(bodies, resp["responses"], strict=True):
            if "error" in item:
                error = item["error"]
                reason = error.get("reason") if isinstance(error, dict) else error
                raise SearchEngineError(
                    f"Elasticsearch refused the {name} search: {reason}",
                    hint="see the node's log; `vigie index --rebuild`",
                )
            out[name] = item
        return out

    def _parse_lists(self, resp: dict[str, dict[str, Any]], facet_fields: Sequence[str]) -> Lists:
        out = Lists()
        if "semantic" in resp:
            cands = self._candidates(resp["semantic"]["hits"]["hits"], cosine=True)
            if "passages" in resp:
                limit = max(len(cands), len(resp["passages"]["hits"]["hits"]))
                more = self._candidates(resp["passages"]["hits"]["hits"], cosine=True)
                cands = max_merge(cands, more, limit)
            out.semantic = sorted(cands, key=lambda c: (-c.score, c.id))
        if "keyword" in resp:
            out.keyword = self._candidates(resp["keyword"]["hits"]["hits"])
        if "concepts" in resp:
            out.concepts = self._candidates(resp["concepts"]["hits"]["hits"])
        if "count" in resp:
            out.count = int(resp["count"]["hits"]["total"]["value"])
            aggs = resp["count"].get("aggregations", {})
            if facet_fields:
                out.facets = {
                    name: {str(b["key"]): int(b["doc_count"]) for b in aggs[name]["buckets"]}
                    for name in facet_fields
                }
        return out

    def _by_date(self, terms: list[str] | None, filters: Filters, limit: int) -> tuple[list[Candidate], int]:
        resp = self._search(
            "date-sorted search", query=self._query(terms, filters), size=limit, **self._fetch_args(),
            sort=[{"date_num": "desc"}, {"id": "asc"}], track_total_hits=True,
        )  # fmt: skip
        cands = [Candidate(c.id, 0.0, c.group, c.date) for c in self._candidates(resp["hits"]["hits"])]
        return cands, int(resp["hits"]["total"]["value"])

    def _count(self, filters: Filters) -> int:
        self._ensure()
        query = self._query(None, filters)
        return int(self._call("count", lambda: self.client.count(index=self.alias, query=query))["count"])

    def _facets(
        self, terms: list[str] | None, filters: Filters, fields: list[str]
    ) -> dict[str, dict[str, int]]:
        aggs = {name: {"terms": {"field": name, "size": 1000}} for name in fields}
        resp = self._search("facets", query=self._query(terms, filters), size=0, aggs=aggs)
        return {
            name: {str(b["key"]): int(b["doc_count"]) for b in resp["aggregations"][name]["buckets"]}
            for name in fields
        }

    def _fetch(self, ids: Sequence[str]) -> dict[str, dict[str, Any]]:
        if not ids:
            return {}
        self._ensure()
        excludes = ["title_an", "body_an", "concepts_an", "date_num", "vector", "passages"]
        resp = self._call(
            "document fetch",
            lambda: self.client.mget(index=self.alias, ids=list(ids), source_excludes=excludes),
        )
        return {d["_id"]: d["_source"] for d in resp["docs"] if d.get("found")}

    def _vectors(self, ids: Sequence[str]) -> dict[str, Vector]:
        if not ids:
            return {}
        self._ensure()
        resp = self._call(
            "vector fetch", lambda: self.client.mget(index=self.alias, ids=list(ids), source=["vector"])
        )
        return {
            d["_id"]: np.asarray(d["_source"]["vector"], dtype=np.float32)
            for d in resp["docs"]
            if d.get("found") and "vector" in d.get("_source", {})
        }

    def _page(
        self, ids: Sequence[str], with_passages: bool
    ) -> tuple[dict[str, dict[str, Any]], dict[str, tuple[Vector, list[tuple[int, int]], Vector]]]:
        """Sources and passages of a page of hits in one `_mget` (no extra round trip for passages)."""
        if not ids or not with_passages or not self.passages:
            return self._fetch(ids), {}
        self._ensure()
        fields = [*SOURCE_FIELDS, "vector", "passages"]
        resp = self._call(
            "document fetch", lambda: self.client.mget(index=self.alias, ids=list(ids), source=fields)
        )
        sources: dict[str, dict[str, Any]] = {}
        passages: dict[str, tuple[Vector, list[tuple[int, int]], Vector]] = {}
        for d in resp["docs"]:
            if not d.get("found"):
                continue
            source = d["_source"]
            head, nested = source.pop("vector", None), source.pop("passages", None) or []
            sources[d["_id"]] = source
            spans = [p for p in nested if "start" in p]
            if spans and head is not None:
                matrix = np.asarray([p["vector"] for p in spans], dtype=np.float32)
                found = [(int(p["start"]), int(p["end"])) for p in spans]
                passages[d["_id"]] = (np.asarray(head, dtype=np.float32), found, matrix)
        return sources, passages

    def _signals(self, ids: Sequence[str]) -> dict[str, DocSignals]:
        if not ids:
            return {}
        self._ensure()
        resp = self._call(
            "signal fetch",
            lambda: self.client.mget(index=self.alias, ids=list(ids), source=SIGNAL_SOURCE),
        )
        return {d["_id"]: signals_of(d["_source"]) for d in resp["docs"] if d.get("found")}

    def _vector(self, doc_id: str) -> Vector | None:
        self._ensure()
        resp = self._call(
            "vector fetch", lambda: self.client.mget(index=self.alias, ids=[doc_id], source=["vector"])
        )
        docs = [d for d in resp["docs"] if d.get("found")]
        if not docs or "vector" not in docs[0]["_source"]:
            return None
        return np.asarray(docs[0]["_source"]["vector"], dtype=np.float32)
