"""E-mail alerts: a digest of each saved search's new results, stored first, then sent through SMTP.

A digest is written to the database together with the ids it marks as seen, then sent; a failed send
leaves it pending, reported by the run (exit code 1 of `vigie alerts`, a failed stage in `/etat`), and
the next run sends it again. So a digest is never lost, and a result is never announced twice.
"""

from __future__ import annotations

import logging
import smtplib
import ssl
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

from sqlalchemy.orm import Session, sessionmaker

from core.domain import SearchHit
from core.errors import ConfigError, VigieError
from core.settings import Settings
from core.storage.alerts import AlertRepository, Subscription
from core.storage.tables import AlertDigestRow
from search_api.app.links import link_target
from search_api.app.routes.saved import saved_search_query
from search_api.engines.base import SearchEngine

log = logging.getLogger(__name__)
DIGEST_SIZE = 50


@dataclass
class AlertReport:
    """What one run did: digests written, sent, failed (with why)."""

    digests: int = 0
    sent: int = 0
    failed: int = 0
    errors: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, object]:
        """JSON form printed by `vigie alerts` (the watch reads it)."""
        return {"digests": self.digests, "sent": self.sent, "failed": self.failed, "errors": self.errors}


def make_digest(sub: Subscription, hits: list[SearchHit]) -> tuple[str, str]:
    """The subject and plain-text French body of a digest of new results."""
    count = len(hits)
    news = f"{count} nouveau{'x' if count > 1 else ''} résultat{'s' if count > 1 else ''}"
    subject = f"Vigie — {sub.name} : {news}"
    lines = ["Bonjour,", "", f"La recherche enregistrée « {sub.name} » a {news} :", ""]
    for hit in hits:
        date = str(hit.source.get("date") or "")[:10]
        lines.append(f"- {hit.title or hit.id}{f' ({date})' if date else ''}")
        url = link_target(hit.source.get("url"))
        if url:
            lines.append(f"  {url}")
    lines += [
        "",
        "Vigie — veille des innovations dans les quartiers prioritaires.",
        "Pour ne plus recevoir ces messages, retirez l'adresse de la recherche dans « Alertes ».",
    ]
    return subject, "\n".join(lines) + "\n"


def send_digest(settings: Settings, digest: AlertDigestRow) -> None:
    """Send one digest through the configured SMTP server; raises VigieError with the reason on failure."""
    if not settings.smtp_host:
        raise ConfigError("no SMTP server configured", hint="set VIGIE_SMTP_HOST (and VIGIE_SMTP_PORT)")
    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = settings.smtp_from, digest.email, digest.subject
    message["Date"], message["Message-ID"] = formatdate(localtime=False), make_msgid(domain="vigie")
    message.set_content(digest.body)
    try:
        with smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=settings.smtp_timeout) as smtp:
            if settings.smtp_starttls:
                smtp.starttls(context=ssl.create_default_context())
            if settings.smtp_user:
                smtp.login(settings.smtp_user, settings.smtp_password or "")
            smtp.send_message(message)
    except (OSError, smtplib.SMTPException) as exc:
        raise VigieError(
            f"cannot send the digest to {digest.email} via {settings.smtp_host}:{settings.smtp_port}: "
            f"{exc.__class__.__name__}: {exc}",
            hint="check VIGIE_SMTP_* and that the server is reachable; the digest is sent again next run",
        ) from exc


def collect_digests(repo: AlertRepository, engine: SearchEngine, report: AlertReport) -> None:
    """Write a digest for every subscription with results it has not sent yet (one bad search is skipped)."""
    for sub in repo.subscriptions():
        try:
            result = engine.search(saved_search_query(sub.query, size=DIGEST_SIZE))
        except VigieError as exc:
            report.errors.append(f"saved search {sub.saved_search_id}: {exc.message}")
            log.warning("alert search failed saved_search=%s error=%s", sub.saved_search_id, exc.code)
            continue
        new = [hit for hit in result.hits if hit.id not in sub.seen_ids]
        if not new:
            continue
        subject, body = make_digest(sub, new)
        repo.add_digest(sub, subject, body, [hit.id for hit in new])
        report.digests += 1


def run_alerts(settings: Settings, factory: sessionmaker[Session], engine: SearchEngine) -> AlertReport:
    """Write the new digests, then send every pending one (older failures included)."""
    repo = AlertRepository(factory)
    report = AlertReport()
    collect_digests(repo, engine, report)
    for digest in repo.pending():
        try:
            send_digest(settings, digest)
        except VigieError as exc:
            repo.mark_failed(digest.id, exc.message)
            report.failed += 1
            report.errors.append(f"digest {digest.id}: {exc.message}")
            log.warning(
                "alert not sent digest=%d email_domain=%s", digest.id, digest.email.rpartition("@")[2]
            )
            continue
        repo.mark_sent(digest.id)
        report.sent += 1
    log.info("alerts digests=%d sent=%d failed=%d", report.digests, report.sent, report.failed)
    return report
