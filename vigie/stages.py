"""Stages the CLI commands and the web app both run: analyse stored pages, store imported analyses."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from functools import partial
from typing import Any

from rich.console import Console
from rich.progress import Progress
from sqlalchemy.orm import Session, sessionmaker

from core.domain import Analysis
from core.errors import StorageError
from core.protocols import TextAnalyzer
from core.settings import Settings
from core.storage.analyses import AnalysisRepository, text_hash
from core.urls import url_host
from nlp.classifiers.host_kinds import smooth_scores

log = logging.getLogger(__name__)
err = Console(stderr=True)
CHUNK = 64
DEFAULT_HOST_WEIGHT = float(Settings.model_fields["doc_kind_host_weight"].default)


def iter_stored_items(
    repository: AnalysisRepository, ids: list[str], hashes: dict[str, str], hosts: set[str] | None = None
) -> Iterator[dict[str, Any]]:
    """Analysis items of the stored pages, read CHUNK at a time (each read session closed before yielding).

    ``hashes`` receives the text hash of each page read, for its analysis row; ``hosts`` their hosts.
    """
    for start in range(0, len(ids), CHUNK):
        items = repository.read_items(ids[start : start + CHUNK])
        for item in items:
            hashes[item["id"]] = text_hash(item["text"])
            if hosts is not None:
                hosts.add(url_host(item.get("url")))
        yield from items


def analyze_stored(
    session_factory: sessionmaker[Session],
    analyzer: TextAnalyzer,
    everything: bool,
    host_weight: float = DEFAULT_HOST_WEIGHT,
) -> tuple[int, int]:
    """Analyse stored pages and upsert their analyses CHUNK at a time; returns (analysed, failed).

    The pages stream through one `analyze_many` call, so its batches overlap across chunks. Then the
    collective step: the document kind of every analysed page of each host touched is read again with
    the host's other analysed pages (``host_weight``, `nlp.classifiers.host_kinds`; 0: each page alone).
    """
    repository = AnalysisRepository(session_factory)
    ids = repository.ids_to_analyse(everything)
    hashes: dict[str, str] = {}
    hosts: set[str] = set()
    rows: list[tuple[Analysis, str]] = []
    done = failed = 0
    with Progress(console=err, disable=not err.is_terminal) as bar:
        task = bar.add_task("analyse pages", total=len(ids))
        for result in analyzer.analyze_many(iter_stored_items(repository, ids, hashes, hosts)):
            bar.advance(task)
            if not isinstance(result, Analysis):
                failed += 1
                log.warning("page not analysed id=%s reason=%s", result.id, result.reason)
                continue
            rows.append((result, hashes.pop(result.id)))
            done += 1
            if len(rows) >= CHUNK:
                repository.save(rows)
                rows = []
        repository.save(rows)
    changed = repository.rekind_hosts(hosts, partial(smooth_scores, weight=host_weight))
    log.info("document kinds read by host hosts=%d changed=%d weight=%s", len(hosts), changed, host_weight)
    return done, failed


def store_analysed(
    session_factory: sessionmaker[Session],
    pairs: list[tuple[dict[str, Any], Analysis]],
    bad: dict[int, str],
) -> list[str]:
    """Write pages (source "import") and analyses to the system of record; return stored ids.

    A line that cannot be stored is reported in ``bad`` under its line number; the others go on.
    """
    repository = AnalysisRepository(session_factory)
    stored = []
    for item, analysis in pairs:
        try:
            if not repository.save_imported(item, analysis):
                bad[item["_line"]] = "analysed line without text and no page with this id in the database"
                continue
            stored.append(item["id"])
        except Exception as exc:  # one bad row never aborts the batch; reported with its line
            bad[item["_line"]] = f"not stored: {StorageError(str(exc)).message[:200]}"
    return stored
