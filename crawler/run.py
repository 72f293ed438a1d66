"""Run the crawl of one or more sources with Scrapy: resumable job directories, stored counters.

A Twisted reactor cannot restart: call ``run_crawl`` once per process (with every source at once),
or run ``python -m vigie crawl`` in a subprocess.
"""

from __future__ import annotations

import ctypes
import json
import logging
import multiprocessing
import os
import shutil
import signal
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from scrapy.crawler import Crawler, CrawlerProcess

from core.errors import CrawlError
from core.settings import Settings
from core.storage import open_database
from core.storage.pages import CrawlRunRepository, KnownPage, PageRepository, SourceRepository
from crawler.context import CrawlContext
from crawler.language import load_language_model
from crawler.pipelines import PIPELINES
from crawler.sources import SourceConfig
from crawler.spiders.source import SourceSpider
from crawler.stats import PREFIX, CrawlStats

log = logging.getLogger(__name__)
STATE_FILE = "vigie-state.json"
SCRAPY_JOB_FILES = ("requests.queue", "requests.seen", "spider.state")


def make_scrapy_settings(settings: Settings) -> dict[str, Any]:
    """Polite defaults: robots.txt, AutoThrottle, per-site concurrency, retries with backoff, size caps."""
    max_bytes = int(settings.crawl_max_page_mb * 1024 * 1024)
    return {
        "BOT_NAME": "vigie",
        "USER_AGENT": settings.user_agent,
        "ROBOTSTXT_OBEY": True,
        "AUTOTHROTTLE_ENABLED": True,
        "AUTOTHROTTLE_START_DELAY": max(settings.crawl_delay, 0.01),
        "AUTOTHROTTLE_TARGET_CONCURRENCY": float(settings.crawl_concurrency),
        "DOWNLOAD_DELAY": settings.crawl_delay,
        "CONCURRENT_REQUESTS": 32,
        # Scrapy runs this many asyncio tasks for the output of every response (a per-response limit,
        # scrapy/scrapy#6852): a page yields one item, so the default 100 cost ~100 idle tasks per page
        # (a fifth of the crawler process's CPU in the crawl bench), for no parallelism.
        "CONCURRENT_ITEMS": 8,
        "CONCURRENT_REQUESTS_PER_DOMAIN": settings.crawl_concurrency,
        "DOWNLOAD_TIMEOUT": settings.crawl_timeout,
        "DOWNLOAD_MAXSIZE": max_bytes,
        "DOWNLOAD_WARNSIZE": max_bytes // 2,
        "RETRY_ENABLED": True,
        "RETRY_TIMES": 2,
        "RETRY_HTTP_CODES": [429, 500, 502, 503, 504, 522, 524, 408],
        "VIGIE_BACKOFF_BASE": max(settings.crawl_delay, 0.05) * 2,
        "DOWNLOADER_MIDDLEWARES": {
            "scrapy.downloadermiddlewares.retry.RetryMiddleware": None,
            "crawler.middlewares.BackoffRetryMiddleware": 550,
            "scrapy.downloadermiddlewares.redirect.RedirectMiddleware": None,
            "crawler.middlewares.LoopAwareRedirectMiddleware": 600,
        },
        "REDIRECT_MAX_TIMES": 5,
        "COOKIES_ENABLED": False,
        "TELNETCONSOLE_ENABLED": False,
        "REMOTE_CONTROL_ENABLED": False,
        "LOGSTATS_INTERVAL": 0,
        "ITEM_PIPELINES": PIPELINES,
        "LOG_LEVEL": "WARNING",
        "DEPTH_LIMIT": 0,
        "SCHEDULER_DISK_QUEUE": "scrapy.squeues.PickleFifoDiskQueue",
        "SCHEDULER_MEMORY_QUEUE": "scrapy.squeues.FifoMemoryQueue",
        "TWISTED_REACTOR": "twisted.internet.asyncioreactor.AsyncioSelectorReactor",
    }


def _die_with_parent(parent: int) -> None:
    """Worker initializer: ask Linux to kill this worker when the crawler dies, even by SIGKILL."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGKILL)  # PR_SET_DEATHSIG
    except (OSError, AttributeError):  # not Linux: workers still end when their queue closes
        return
    if os.getppid() != parent:  # the parent died before the call above
        os._exit(0)


def make_extract_pool(workers: int) -> ProcessPoolExecutor | None:
    """Worker processes for extraction, forked now (before the reactor starts any thread), with the
    language model already loaded (0.7 s of CPU paid once, not once per worker)."""
    if workers <= 0:
        return None
    load_language_model()
    pool = ProcessPoolExecutor(
        max_workers=workers,
        mp_context=multiprocessing.get_context("fork"),
        initializer=_die_with_parent,
        initargs=(os.getpid(),),
    )
    for future in [pool.submit(os.getpid) for _ in range(workers)]:
        future.result()
    return pool


@dataclass
class CrawlJob:
    """One source's crawl inside a process: its run row, job directory and Scrapy crawler."""

    source: SourceConfig
    run_id: int
    job_dir: Path
    run_ids: list[int]
    crawler: Crawler | None = None
    reason: str = "not started"


def _read_state(job_dir: Path) -> dict[str, Any] | None:
    try:
        data = json.loads((job_dir / STATE_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def _write_state(job_dir: Path, run_ids: list[int], status: str) -> None:
    job_dir.mkdir(parents=True, exist_ok=True)
    tmp = job_dir / (STATE_FILE + ".tmp")
    tmp.write_text(json.dumps({"run_ids": run_ids, "status": status}), encoding="utf-8")
    tmp.replace(job_dir / STATE_FILE)


def prepare_job(source: SourceConfig, job_dir: Path, runs: CrawlRunRepository) -> CrawlJob:
    """Open a run; after a killed run, reuse its job but drop Scrapy's queue files (not crash-safe).

    Pages stored by the interrupted runs are skipped without a fetch; everything else is discovered
    again from the feeds, sitemaps and listings, and idempotent writes keep each page stored once.
    """
    state = _read_state(job_dir)
    previous = [int(r) for r in state.get("run_ids", [])] if state else []
    if state and state.get("status") == "running":
        log.warning("resuming killed crawl source=%s runs=%s", source.id, previous)
        for name in SCRAPY_JOB_FILES:
            path = job_dir / name
            shutil.rmtree(path, ignore_errors=True) if path.is_dir() else path.unlink(missing_ok=True)
        for run_id in previous:
            row = runs.get(run_id)
            if row is not None and row.status == "running":
                runs.finish(run_id, "killed", dict(row.stats or {}))
    run_id = runs.start(source.id, {"resumed_from": previous})
    run_ids = [*previous, run_id]
    _write_state(job_dir, run_ids, "running")
    return CrawlJob(source=source, run_id=run_id, job_dir=job_dir, run_ids=run_ids)


def _finish_job(job: CrawlJob, runs: CrawlRunRepository) -> CrawlStats:
    raw = job.crawler.stats.get_stats() if job.crawler and job.crawler.stats else {}
    job.reason = str(raw.get("finish_reason", job.reason))
    stats = CrawlStats.from_scrapy(raw, job.source.id, job.run_id)
    if job.reason in ("finished", "closespider_itemcount"):
        stats.status = "finished"
        shutil.rmtree(job.job_dir, ignore_errors=True)
    elif job.reason == "shutdown":
        stats.status = "paused"
        _write_state(job.job_dir, job.run_ids, "paused")
    else:
        stats.status = "failed"
        stats.errors["crawl_" + job.reason.replace(" ", "_")] = 1
        _write_state(job.job_dir, job.run_ids, "paused")
    runs.finish(job.run_id, stats.status, stats.as_dict())
    log.info("crawl done source=%s run=%s status=%s", job.source.id, job.run_id, stats.status)
    return stats


def run_crawl(
    settings: Settings,
    sources: list[SourceConfig],
    *,
    jobdir: Path | None = None,
    max_pages: int | None = None,
    store_start_pages: bool = False,
    on_progress: Callable[[dict[str, int]], None] | None = None,
) -> CrawlStats:
    """Crawl ``sources`` in this process (once per process), store pages and a ``crawl_runs`` row each.

    Returns the summed counters, one entry per source in ``runs``. Per-page failures are counted,
    never raised; a ``CrawlError`` means the crawl itself could not run. ``on_progress`` receives the
    running counters (``fetched``, ``new``, ``errors``...) about once a second.
    """
    if not sources:
        raise CrawlError("no source to crawl", hint="check --source ids or the sources file")
    engine, factory = open_database(settings.resolved_database_url)
    pages, runs = PageRepository(factory), CrawlRunRepository(factory)
    for source in sources:
        SourceRepository(factory).upsert(source.id, source.kind, source.label, source.model_dump(mode="json"))
    base_dir = jobdir or settings.data_dir / "crawl-jobs"
    known: dict[str, KnownPage] = pages.known_pages()
    base = make_scrapy_settings(settings)
    if max_pages:
        base["CLOSESPIDER_ITEMCOUNT"] = max_pages
    base["LOG_INSTALL_ROOT_HANDLER"] = False  # logging is configured by the entry point
    pool = make_extract_pool(settings.crawl_workers)
    process = CrawlerProcess(base)
    _quiet_scrapy_loggers()
    jobs = []
    for source in sources:
        job = prepare_job(source, base_dir / source.id, runs)
        context = CrawlContext(
            source=source,
            run_id=job.run_id,
            pages=pages,
            runs=runs,
            known=known,
            resumed_run_ids=set(job.run_ids[:-1]),
            store_start_pages=store_start_pages,
            extract_pool=pool,
        )
        _schedule(process, job, context)
        jobs.append(job)
    if on_progress is not None:
        _report_progress(jobs, on_progress)
    try:
        process.start()
    except Exception as exc:
        raise CrawlError(f"the crawl stopped unexpectedly: {exc}", hint="see the log above") from exc
    finally:
        if pool is not None:
            pool.shutdown(cancel_futures=True)
    total = CrawlStats(source_id=None, run_id=None)
    for job in jobs:
        total.add(_finish_job(job, runs))
    engine.dispose()
    return total


def _schedule(process: CrawlerProcess, job: CrawlJob, context: CrawlContext) -> None:
    """Add one source's crawler, with its own JOBDIR, to the process."""
    job.crawler = process.create_crawler(SourceSpider)
    job.crawler.settings.set("JOBDIR", str(job.job_dir), priority="cmdline")
    process.crawl(job.crawler, context=context)


def _report_progress(jobs: list[CrawlJob], on_progress: Callable[[dict[str, int]], None]) -> None:
    """Call ``on_progress`` with the summed ``vigie/`` counters every second while the reactor runs."""
    from twisted.internet import task

    def tick() -> None:
        totals: dict[str, int] = {}
        for job in jobs:
            stats = job.crawler.stats.get_stats() if job.crawler and job.crawler.stats else {}
            for key, value in stats.items():
                if key.startswith(PREFIX) and isinstance(value, int):
                    name = "errors" if key.startswith(PREFIX + "error/") else key.removeprefix(PREFIX)
                    totals[name] = totals.get(name, 0) + value
        on_progress(totals)

    task.LoopingCall(tick).start(1.0, now=False)


def _quiet_scrapy_loggers() -> None:
    """Scrapy sets its loggers to DEBUG when the process starts: keep them at WARNING unless debugging."""
    level = max(logging.WARNING, logging.getLogger().getEffectiveLevel())
    for name in ("scrapy", "twisted", "py.warnings"):
        logging.getLogger(name).setLevel(level)
