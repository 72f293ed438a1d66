"""Alert repository: e-mail subscriptions of saved searches and the digests waiting to be sent."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from core.storage.tables import AlertDigestRow, AlertSubscriptionRow, SavedSearchRow


@dataclass(frozen=True)
class Subscription:
    """A saved search that sends its new results to an address."""

    saved_search_id: int
    name: str
    owner: str
    query: dict[str, Any]
    email: str
    seen_ids: frozenset[str]


class AlertRepository:
    """Subscriptions and digests; a digest and the ids it marks as seen are written in one transaction."""

    def __init__(self, factory: sessionmaker[Session]) -> None:
        self.factory = factory

    def subscribe(self, saved_search_id: int, email: str | None) -> None:
        """Send a saved search's new results to ``email`` (None: stop e-mails; the Atom feed stays)."""
        with self.factory() as session, session.begin():
            row = session.get(AlertSubscriptionRow, saved_search_id)
            if email is None:
                if row is not None:
                    session.delete(row)
            elif row is None:
                session.add(AlertSubscriptionRow(saved_search_id=saved_search_id, email=email, seen_ids=[]))
            else:
                row.email = email

    def emails_of(self, saved_search_ids: list[int]) -> dict[int, str]:
        """The address each of these saved searches sends to (absent: no e-mail)."""
        with self.factory() as session:
            rows = session.scalars(
                select(AlertSubscriptionRow).where(AlertSubscriptionRow.saved_search_id.in_(saved_search_ids))
            )
            return {r.saved_search_id: r.email for r in rows}

    def subscriptions(self) -> list[Subscription]:
        """Every subscription with its saved search."""
        with self.factory() as session:
            pairs = session.execute(
                select(AlertSubscriptionRow, SavedSearchRow).join(
                    SavedSearchRow, SavedSearchRow.id == AlertSubscriptionRow.saved_search_id
                )
            ).all()
            return [
                Subscription(
                    s.saved_search_id,
                    q.name,
                    q.owner,
                    dict(q.query or {}),
                    s.email,
                    frozenset(s.seen_ids or []),
                )  # fmt: skip
                for s, q in pairs
            ]

    def add_digest(self, sub: Subscription, subject: str, body: str, doc_ids: list[str]) -> AlertDigestRow:
        """Store a digest and mark its documents as seen, together (so nothing is lost or sent twice)."""
        with self.factory() as session, session.begin():
            row = AlertDigestRow(
                saved_search_id=sub.saved_search_id, email=sub.email, subject=subject, body=body,
                doc_ids=list(doc_ids), attempts=0,
            )  # fmt: skip
            session.add(row)
            subscription = session.get(AlertSubscriptionRow, sub.saved_search_id)
            if subscription is not None:
                subscription.seen_ids = sorted(set(subscription.seen_ids or []) | set(doc_ids))
            session.flush()
            session.expunge(row)
        return row

    def has_work(self) -> bool:
        """Whether a run could do anything: a subscription exists or a digest waits to be sent."""
        with self.factory() as session:
            subscribed = session.scalars(select(AlertSubscriptionRow.saved_search_id).limit(1)).first()
            waiting = session.scalars(
                select(AlertDigestRow.id).where(AlertDigestRow.sent_at.is_(None)).limit(1)
            ).first()
            return subscribed is not None or waiting is not None

    def pending(self) -> list[AlertDigestRow]:
        """Digests not sent yet, oldest first."""
        with self.factory() as session:
            stmt = select(AlertDigestRow).where(AlertDigestRow.sent_at.is_(None)).order_by(AlertDigestRow.id)
            return list(session.scalars(stmt))

    def mark_sent(self, digest_id: int) -> None:
        """Record a successful send."""
        with self.factory() as session, session.begin():
            row = session.get(AlertDigestRow, digest_id)
            if row is not None:
                row.sent_at, row.attempts, row.last_error = datetime.now(UTC), row.attempts + 1, None

    def mark_failed(self, digest_id: int, error: str) -> None:
        """Record a failed send: the digest stays pending for the next run."""
        with self.factory() as session, session.begin():
            row = session.get(AlertDigestRow, digest_id)
            if row is not None:
                row.attempts, row.last_error = row.attempts + 1, error[:2000]

    def digests(self) -> list[AlertDigestRow]:
        """Every digest, newest first (status pages and tests)."""
        with self.factory() as session:
            return list(session.scalars(select(AlertDigestRow).order_by(AlertDigestRow.id.desc())))
