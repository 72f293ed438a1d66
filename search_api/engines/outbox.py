"""Drains the index outbox: re-indexes the documents it names, then acknowledges them."""

from __future__ import annotations

import logging

from sqlalchemy.orm import Session, sessionmaker

from core.storage import outbox
from search_api.engines.base import SearchEngine
from search_api.engines.documents import reindex

log = logging.getLogger(__name__)


def drain_outbox(session_factory: sessionmaker[Session], engine: SearchEngine, batch: int = 500) -> int:
    """Re-index every document waiting in the outbox; returns how many documents were re-indexed.

    Rows are deleted only after their documents are indexed: killed in between, the next drain
    re-indexes them again (idempotent). An engine error leaves the rest waiting and is raised.
    """
    done = 0
    while True:
        with session_factory() as session:
            row_ids, doc_ids = outbox.read_batch(session, batch)
        if not row_ids:
            return done
        reindex(session_factory, engine, doc_ids)
        with session_factory() as session:
            outbox.acknowledge(session, row_ids)
        done += len(doc_ids)
        log.info("outbox drained documents=%d", len(doc_ids))


def pending_count(session_factory: sessionmaker[Session]) -> int:
    """Outbox rows still waiting to be indexed."""
    with session_factory() as session:
        return outbox.count_pending(session)
