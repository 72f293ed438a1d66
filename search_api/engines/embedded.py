"""Embedded engine: tantivy for BM25, filters, facets and date order; numpy for exact kNN.

Layout under ``<data_dir>/search/embedded``: ``CURRENT`` names the live generation folder,
which holds ``tantivy/`` and ``columns/``. A rebuild fills a new generation and swaps
``CURRENT`` atomically; ``VERSION`` changes on every write so other processes reload.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import uuid
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import tantivy

from core.errors import EngineUnavailableError, SearchEngineError
from core.protocols import Embedder
from search_api.engines.base import KEYWORD_FIELDS, BulkReport, Filters, IndexDocument, Vector
from search_api.engines.columns import ColumnStore
from search_api.engines.french import analyze
from search_api.engines.passages import MAX_PASSAGES
from search_api.engines.place_cache import cached_place_linker
from search_api.engines.ranking import Candidate, RankingConfig, RankingEngine
from search_api.engines.signals import DocSignals
from search_api.engines.thesaurus import CONCEPT_PREFIX, concept_string
from search_api.engines.understanding import QueryPlaceLinker
from search_api.engines.validation import validate_documents

log = logging.getLogger(__name__)
TOKENIZER = "vigie_ws"
TITLE_BOOST = 2.0
BATCH = 2000


def _schema() -> tantivy.Schema:
    sb = tantivy.SchemaBuilder()
    sb.add_text_field("id", stored=True, tokenizer_name="raw")
    sb.add_unsigned_field("row", fast=True)
    sb.add_text_field("title_an", tokenizer_name=TOKENIZER, index_option="freq")
    sb.add_text_field("body_an", tokenizer_name=TOKENIZER, index_option="freq")
    sb.add_text_field("concepts_an", tokenizer_name=TOKENIZER, index_option="freq")
    for name in KEYWORD_FIELDS:
        sb.add_text_field(name, tokenizer_name="raw", fast=True, index_option="basic")
    sb.add_integer_field("date", indexed=True, fast=True)
    sb.add_float_field("score", indexed=True, fast=True)
    sb.add_bytes_field("stored_json", stored=True)
    return sb.build()


def _count_of(result: Any) -> int:
    """Match count of a tantivy search (its stub omits the attribute)."""
    return int(getattr(result, "count", 0) or 0)


class _Generation:
    """One tantivy index and its column store, opened from a generation folder."""

    def __init__(self, path: Path, dim: int) -> None:
        self.path = path
        self.schema = _schema()
        (path / "tantivy").mkdir(parents=True, exist_ok=True)
        try:
            self.index = tantivy.Index(self.schema, path=str(path / "tantivy"))
        except ValueError as exc:
            raise EngineUnavailableError(
                f"cannot open the embedded index at {path}: {exc}", hint="run `vigie index --rebuild`"
            ) from exc
        self.index.register_tokenizer(
            TOKENIZER, tantivy.TextAnalyzerBuilder(tantivy.Tokenizer.whitespace()).build()
        )
        self.columns = ColumnStore(path / "columns", dim)

    def _writer(self, heap: int) -> tantivy.IndexWriter:
        try:
            return self.index.writer(heap_size=heap, num_threads=1)
        except ValueError as exc:
            raise SearchEngineError(
                f"the embedded index at {self.path} is locked by another writer: {exc}",
                hint="wait for the other `vigie index` to finish, then retry",
            ) from exc

    def write(self, docs: Sequence[IndexDocument], rows: Sequence[int]) -> None:
        writer = self._writer(100_000_000)
        try:
            for doc, row in zip(docs, rows, strict=True):
                writer.delete_documents_by_term("id", doc.id)
                writer.add_document(self._to_tantivy(doc, row))
            writer.commit()
            writer.wait_merging_threads()
        except BaseException:
            writer.rollback()
            raise
        self.index.reload()

    def delete(self, ids: Sequence[str]) -> None:
        writer = self._writer(50_000_000)
        for doc_id in ids:
            writer.delete_documents_by_term("id", doc_id)
        writer.commit()
        writer.wait_merging_threads()
        self.index.reload()

    @staticmethod
    def _to_tantivy(doc: IndexDocument, row: int) -> tantivy.Document:
        out = tantivy.Document()
        out.add_text("id", doc.id)
        out.add_unsigned("row", row)
        title, body = analyze(doc.title), analyze(doc.text)
        out.add_text("title_an", " ".join(title))
        out.add_text("body_an", " ".join(body))
        out.add_text("concepts_an", concept_string(title + body))
        for name in KEYWORD_FIELDS:
            for value in doc.keywords.get(name, []):
                out.add_text(name, value)
        out.add_integer("date", doc.date_number)
        out.add_float("score", float(doc.initiative_score))
        out.add_bytes("stored_json", json.dumps(doc.to_source(), ensure_ascii=False).encode())
        return out


class EmbeddedEngine(RankingEngine):
    """The default single-machine engine (tantivy + numpy), persisted under the data directory."""

    name = "embedded"

    def __init__(
        self,
        path: Path,
        embedder: Embedder | None = None,
        ranking: RankingConfig | None = None,
        dim: int = 384,
        place_linker: QueryPlaceLinker | None = None,
        max_passages: int = MAX_PASSAGES,
    ) -> None:
        super().__init__(embedder, ranking, cached_place_linker(place_linker), max_passages)
        self.root = path
        self.dim = embedder.dim if embedder is not None else dim
        self.root.mkdir(parents=True, exist_ok=True)
        self._version = ""
        self._version_stat: tuple[int, int, int] | None = None
        self._gen = self._open_current()

    # --- generations --------------------------------------------------------------------------
    def _read(self, name: str) -> str:
        try:
            return (self.root / name).read_text().strip()
        except FileNotFoundError:
            return ""

    def _write_atomic(self, name: str, value: str) -> None:
        tmp = self.root / f".{name}.{uuid.uuid4().hex}"
        tmp.write_text(value)
        tmp.replace(self.root / name)

    def _open_current(self) -> _Generation:
        current = self._read("CURRENT")
        if not current:
            current = "gen-" + uuid.uuid4().hex[:12]
            self._write_atomic("CURRENT", current)
        self._version = self._read("VERSION")
        return _Generation(self.root / current, self.dim)

    def _stat(self, name: str) -> tuple[int, int, int] | None:
        try:
            st = os.stat(self.root / name)
        except FileNotFoundError:
            return None
        return st.st_ino, st.st_mtime_ns, st.st_size

    def _refresh(self) -> _Generation:
        """Reopen when another process wrote since we loaded (VERSION changed).

        VERSION is only ever replaced (new inode), so an unchanged stat means an unchanged file: the
        file is read only when its stat moves (a query calls this once per primitive).
        """
        stat = self._stat("VERSION")
        if stat is None or stat != self._version_stat:
            if self._read("VERSION") != self._version:
                self._gen = self._open_current()
            self._version_stat = stat
        return self._gen

    def _bump(self) -> None:
        self._version = uuid.uuid4().hex
        self._write_atomic("VERSION", self._version)

    # --- writing --------------------------------------------------------------------------------
    def ping(self) -> None:
        """The embedded engine is up when its folder is readable."""
        if not self.root.is_dir():
            raise EngineUnavailableError(
                f"embedded index folder {self.root} is missing", hint="run `vigie index`"
            )

    def index_documents(self, docs: Sequence[IndexDocument]) -> BulkReport:
        """Add or replace documents; invalid ones are reported and skipped."""
        gen = self._refresh()
        report = BulkReport()
        for start in range(0, len(docs), BATCH):
            good, errors = validate_documents(docs[start : start + BATCH], self.dim)
            report.errors.update(errors)
            if good:
                rows = gen.columns.append(good)
                gen.write(good, rows)
                report.indexed += len(good)
        self._bump()
        log.info("embedded indexed=%d rejected=%d", report.indexed, len(report.errors))
        return report

    def rebuild(self, docs: Iterable[IndexDocument]) -> BulkReport:
        """Index ``docs`` into a new generation, then switch ``CURRENT`` to it atomically."""
        name = "gen-" + uuid.uuid4().hex[:12]
        new = _Generation(self.root / name, self.dim)
        report = BulkReport()
        batch: list[IndexDocument] = []
        for doc in docs:
            batch.append(doc)
            if len(batch) >= BATCH:
                report.merge(self._write_batch(new, batch))
                batch = []
        if batch:
            report.merge(self._write_batch(new, batch))
        old = self._gen.path
        self._write_atomic("CURRENT", name)
        self._gen = new
        self._bump()
        if old != new.path:
            shutil.rmtree(old, ignore_errors=True)
        log.info("embedded rebuilt generation=%s indexed=%d", name, report.indexed)
        return report

    def _write_batch(self, gen: _Generation, batch: list[IndexDocument]) -> BulkReport:
        good, errors = validate_documents(batch, self.dim)
        if good:
            gen.write(good, gen.columns.append(good))
        return BulkReport(indexed=len(good), errors=errors)

    def delete_documents(self, ids: Sequence[str]) -> int:
        """Remove documents by id."""
        gen = self._refresh()
        removed = gen.columns.delete(list(ids))
        gen.delete(list(ids))
        self._bump()
        return removed

    def count(self) -> int:
        """Live documents."""
        return self._refresh().columns.count()

    def close(self) -> None:
        """Nothing to release: tantivy writers are closed after each write."""

    # --- primitives -------------------------------------------------------------------------------
    def _filter_queries(self, gen: _Generation, filters: Filters) -> list[tantivy.Query]:
        schema, out = gen.schema, []
        for name, values in filters.keywords.items():
            out.append(tantivy.Query.term_set_query(schema, name, values))
        if filters.date_from is not None or filters.date_to is not None:
            low = filters.date_from if filters.date_from is not None else 1
            out.append(
                tantivy.Query.range_query(schema, "date", tantivy.FieldType.Integer, low, filters.date_to)
            )
        if filters.min_score is not None:
            out.append(
                tantivy.Query.range_query(
                    schema, "score", tantivy.FieldType.Float, float(filters.min_score), None
                )
            )
        return out

    def _query(self, gen: _Generation, terms: list[str] | None, filters: Filters) -> tantivy.Query:
        clauses: list[tuple[tantivy.Occur, tantivy.Query]] = []
        if terms:
            should = []
            for term in dict.fromkeys(terms):
                if term.startswith(CONCEPT_PREFIX):  # a thesaurus group (thesaurus.py): one field, no boost
                    concept = tantivy.Query.term_query(gen.schema, "concepts_an", term)
                    should.append((tantivy.Occur.Should, concept))
                    continue
                title = tantivy.Query.term_query(gen.schema, "title_an", term)
                should.append((tantivy.Occur.Should, tantivy.Query.boost_query(title, TITLE_BOOST)))
                should.append((tantivy.Occur.Should, tantivy.Query.term_query(gen.schema, "body_an", term)))
            clauses.append((tantivy.Occur.Must, tantivy.Query.boolean_query(should)))
        for query in self._filter_queries(gen, filters):
            clauses.append((tantivy.Occur.Must, tantivy.Query.const_score_query(query, 0.0)))
        if not clauses:
            return tantivy.Query.all_query()
        return tantivy.Query.boolean_query(clauses)

    def _candidates(self, gen: _Generation, hits: list[tuple[Any, Any]]) -> list[Candidate]:
        searcher = gen.index.searcher()
        rows = searcher.fast_field_values("row", [addr for _, addr in hits])
        cols = gen.columns
        dates = cols.dates()
        return [
            Candidate(cols.ids[int(row)], float(score), cols.groups[int(row)], int(dates[int(row)]))
            for (score, _), row in zip(hits, rows, strict=True)
            if row is not None and int(row) < len(cols.ids)
        ]

    def _keyword(self, terms: list[str], filters: Filters, limit: int) -> tuple[list[Candidate], int]:
        gen = self._refresh()
        result = gen.index.searcher().search(self._query(gen, terms, filters), limit=limit)
        return self._candidates(gen, result.hits), _count_of(result)

    def _semantic(self, vector: Vector, filters: Filters, limit: int) -> list[Candidate]:
        gen = self._refresh()
        cols = gen.columns
        dates = cols.dates()
        return [
            Candidate(cols.ids[r], s, cols.groups[r], int(dates[r]))
            for r, s in cols.knn(vector, filters, limit)
        ]

    def _by_date(self, terms: list[str] | None, filters: Filters, limit: int) -> tuple[list[Candidate], int]:
        gen = self._refresh()
        result = gen.index.searcher().search(
            self._query(gen, terms, filters), limit=limit, order_by_field="date"
        )
        cands = self._candidates(gen, result.hits)
        cands = [Candidate(c.id, 0.0, c.group, c.date) for c in cands]
        cands.sort(key=lambda c: (-c.date, c.id))
        return cands, _count_of(result)

    def _count(self, filters: Filters) -> int:
        return self._refresh().columns.count(filters)

    def _facets(
        self, terms: list[str] | None, filters: Filters, fields: list[str]
    ) -> dict[str, dict[str, int]]:
        gen = self._refresh()
        aggs = {name: {"terms": {"field": name, "size": 1000}} for name in fields}
        try:
            result = gen.index.searcher().aggregate(self._query(gen, terms, filters), aggs)
        except ValueError as exc:
            raise SearchEngineError(f"facet aggregation failed: {exc}", hint="check the facet names") from exc
        return {
            name: {str(b["key"]): int(b["doc_count"]) for b in result.get(name, {}).get("buckets", [])}
            for name in fields
        }

    def _fetch(self, ids: Sequence[str]) -> dict[str, dict[str, Any]]:
        if not ids:
            return {}
        gen = self._refresh()
        searcher = gen.index.searcher()
        query = tantivy.Query.term_set_query(gen.schema, "id", list(ids))
        out: dict[str, dict[str, Any]] = {}
        for _, addr in searcher.search(query, limit=len(ids)).hits:
            doc = searcher.doc(addr)
            raw = doc.get_first("stored_json")
            if raw is None:
                continue
            source = json.loads(bytes(raw).decode())
            out[source["id"]] = source
        return out

    def _signals(self, ids: Sequence[str]) -> dict[str, DocSignals]:
        """Signals from the column store (numpy), not from the stored JSON; the JSON for old segments."""
        columns = self._refresh().columns
        live = [doc_id for doc_id in ids if doc_id in columns.row_of]
        signals = columns.signals([columns.row_of[doc_id] for doc_id in live])
        if signals is None:
            return super()._signals(ids)
        return dict(zip(live, signals, strict=True))

    def _vector(self, doc_id: str) -> Vector | None:
        return self._refresh().columns.vector(doc_id)

    def _passages(self, ids: Sequence[str]) -> dict[str, tuple[Vector, list[tuple[int, int]], Vector]]:
        columns = self._refresh().columns
        out = {}
        for doc_id in ids:
            found, head = columns.passages(doc_id), columns.vector(doc_id)
            if found is not None and head is not None:
                out[doc_id] = (head, found[0], found[1])
        return out

    def _vectors(self, ids: Sequence[str]) -> dict[str, Vector]:
        columns = self._refresh().columns
        found = ((doc_id, columns.vector(doc_id)) for doc_id in ids)
        return {doc_id: vector for doc_id, vector in found if vector is not None}
