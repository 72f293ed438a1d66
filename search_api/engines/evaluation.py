"""Search quality harness: index a corpus in an engine, run judged queries in each mode, score them."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from core.domain import SearchQuery
from core.errors import InputError
from core.jsonl import JsonlError, iter_jsonl_file
from core.protocols import Embedder
from core.storage.tables import PageRow
from search_api.engines.base import IndexDocument, SearchEngine
from search_api.engines.documents import engine_max_passages, make_index_document
from search_api.engines.metrics import ndcg_at_k, recall_at_k
from search_api.engines.passages import embed_documents

log = logging.getLogger(__name__)
MODES: tuple[str, ...] = ("keyword", "semantic", "hybrid")


@dataclass
class JudgedQuery:
    """One query and its graded judgements ``{doc_id: grade}``."""

    qid: str
    query: str
    relevant: dict[str, float]


@dataclass
class ModeScores:
    """Mean metrics of one mode, and per-query nDCG for inspection."""

    ndcg: float
    recall: float
    per_query: dict[str, float] = field(default_factory=dict)


def load_queries(path: Path) -> list[JudgedQuery]:
    """Read ``{"qid","query","relevant":{doc_id: grade}}`` lines, naming the bad line on error."""
    out = []
    hint = 'each line must be {"qid": str, "query": str, "relevant": {doc_id: grade}}'
    for item in iter_jsonl_file(path):
        if isinstance(item, JsonlError):
            raise InputError(f"{path}:{item.line}: not a judged query ({item.reason})", hint=hint)
        try:
            data = item.value
            relevant = {str(k): float(v) for k, v in data["relevant"].items()}
            out.append(JudgedQuery(str(data["qid"]), str(data["query"]), relevant))
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            raise InputError(
                f"{path}:{item.line}: not a judged query ({exc.__class__.__name__}: {exc})", hint=hint
            ) from exc
    if not out:
        raise InputError(f"{path} holds no query", hint="write one judged query per line")
    return out


def iter_corpus(path: Path) -> Iterator[dict[str, Any]]:
    """Lines ``{"id","text","title"?,"url"?,"date"?}`` of a corpus file (labels are ignored)."""
    for item in iter_jsonl_file(path):
        if isinstance(item, JsonlError):
            raise InputError(
                f"{path}:{item.line}: unreadable corpus line: {item.reason}", hint="fix the line"
            )
        try:
            data = item.value
            yield {k: data.get(k) for k in ("id", "text", "title", "url", "date")} | {"id": str(data["id"])}
        except (AttributeError, KeyError, TypeError) as exc:
            raise InputError(
                f"{path}:{item.line}: unreadable corpus line: {exc}", hint="one JSON object a line"
            ) from exc


def load_analyses(path: Path) -> dict[str, dict[str, Any]]:
    """Analysis contract lines (`vigie analyze` output) by id, naming the bad line on error."""
    out: dict[str, dict[str, Any]] = {}
    for item in iter_jsonl_file(path):
        if isinstance(item, JsonlError) or not isinstance(item.value, dict) or "id" not in item.value:
            line = item.line
            raise InputError(
                f"{path}:{line}: not an analysis line", hint="give the output of `vigie analyze CORPUS.jsonl`"
            )
        out[str(item.value["id"])] = item.value
    return out


def make_corpus_document(item: dict[str, Any], analysis: dict[str, Any] | None) -> IndexDocument:
    """The index document of a corpus line, with its analysis' facets and signals when given.

    Goes through `make_index_document`, the path of pages stored by `vigie index`.
    """
    if analysis is None:
        return IndexDocument(id=item["id"], text=item["text"] or "", title=item["title"], url=item["url"])
    page = PageRow(
        id=item["id"], text=item["text"] or "", title=item["title"], url=item["url"], date=item["date"],
        source="import", kind=None, duplicate_of=None,
    )  # fmt: skip
    return make_index_document(page, analysis)


def index_corpus(
    engine: SearchEngine,
    embedder: Embedder,
    path: Path,
    batch: int = 32,
    analyses: dict[str, dict[str, Any]] | None = None,
) -> int:
    """Embed (cached) and index a corpus file, with each line's analysis when given; return the count."""
    docs: list[IndexDocument] = []
    total = 0
    for item in iter_corpus(path):
        docs.append(make_corpus_document(item, (analyses or {}).get(item["id"])))
        if len(docs) >= batch:
            total += _index_batch(engine, embedder, docs)
            docs = []
    if docs:
        total += _index_batch(engine, embedder, docs)
    return total


def _index_batch(engine: SearchEngine, embedder: Embedder, docs: list[IndexDocument]) -> int:
    embed_documents(embedder, docs, engine_max_passages(engine))
    report = engine.index_documents(docs)
    for doc_id, reason in report.errors.items():
        log.warning("corpus document rejected id=%s reason=%s", doc_id, reason)
    return report.indexed


def evaluate(
    engine: SearchEngine,
    queries: list[JudgedQuery],
    k: int = 10,
    modes: tuple[str, ...] = MODES,
    on_query: Callable[[], None] | None = None,
) -> dict[str, ModeScores]:
    """Mean nDCG@k and recall@k per mode over the judged queries."""
    scores: dict[str, ModeScores] = {}
    for mode in modes:
        per_query: dict[str, float] = {}
        recalls = []
        for judged in queries:
            query = SearchQuery(text=judged.query, size=k, highlight=False, collapse_duplicates=False)
            query.mode = mode  # type: ignore[assignment]  # modes are checked by the engine
            ranked = [hit.id for hit in engine.search(query).hits]
            per_query[judged.qid] = ndcg_at_k(ranked, judged.relevant, k)
            recalls.append(recall_at_k(ranked, judged.relevant, k))
            if on_query:
                on_query()
        n = max(len(queries), 1)
        scores[mode] = ModeScores(sum(per_query.values()) / n, sum(recalls) / n, per_query)
    return scores
