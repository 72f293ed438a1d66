"""Crawl counters: the names pipelines increment and the summary `vigie crawl` prints and stores."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

PREFIX = "vigie/"
COUNTERS = (
    "fetched",
    "new",
    "updated",
    "unchanged",
    "not_modified",
    "duplicates",
    "near_duplicates",
    "js_rendered",
    "empty",
    "resumed_skipped",
    "robots_denied",
    "feeds",
    "sitemaps",
    "listings",
)


@dataclass
class CrawlStats:
    """Counters of one crawl run (or the sum of several)."""

    source_id: str | None = None
    run_id: int | None = None
    status: str = "finished"
    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(COUNTERS, 0))
    errors: dict[str, int] = field(default_factory=dict)
    runs: list[CrawlStats] = field(default_factory=list)

    @classmethod
    def from_scrapy(cls, stats: dict[str, Any], source_id: str | None, run_id: int | None) -> CrawlStats:
        """Read our counters (``vigie/...``) and robots denials out of Scrapy's stats."""
        result = cls(source_id=source_id, run_id=run_id)
        for key, value in stats.items():
            if key.startswith(PREFIX + "error/"):
                result.errors[key.removeprefix(PREFIX + "error/")] = int(value)
            elif key.startswith(PREFIX) and key.removeprefix(PREFIX) in result.counts:
                result.counts[key.removeprefix(PREFIX)] = int(value)
        result.counts["robots_denied"] = int(stats.get("robotstxt/forbidden", 0))
        return result

    @property
    def error_total(self) -> int:
        """All errors, every kind."""
        return sum(self.errors.values())

    def add(self, other: CrawlStats) -> None:
        """Fold another run into this total."""
        for key, value in other.counts.items():
            self.counts[key] = self.counts.get(key, 0) + value
        for key, value in other.errors.items():
            self.errors[key] = self.errors.get(key, 0) + value
        self.runs.append(other)
        if other.status != "finished":
            self.status = other.status

    def as_dict(self) -> dict[str, Any]:
        """JSON form stored in ``crawl_runs.stats`` and printed by ``vigie crawl --json``."""
        data = asdict(self)
        data["runs"] = [run.as_dict() for run in self.runs]
        data["errors_total"] = self.error_total
        return data

    def summary(self) -> str:
        """One readable block for the end of `vigie crawl`."""
        c = self.counts
        lines = [
            f"crawl {self.status}: fetched={c['fetched']} new={c['new']} updated={c['updated']} "
            f"unchanged={c['unchanged']} (304: {c['not_modified']}) duplicates={c['duplicates']} "
            f"near_duplicates={c['near_duplicates']} js_rendered={c['js_rendered']} "
            f"robots_denied={c['robots_denied']} resumed_skipped={c['resumed_skipped']} "
            f"errors={self.error_total}"
        ]
        if self.errors:
            lines.append("errors by kind: " + ", ".join(f"{k}={v}" for k, v in sorted(self.errors.items())))
        for run in self.runs:
            lines.append(
                f"  source={run.source_id} run={run.run_id} status={run.status} new={run.counts['new']} "
                f"unchanged={run.counts['unchanged']} errors={run.error_total}"
            )
        return "\n".join(lines)
