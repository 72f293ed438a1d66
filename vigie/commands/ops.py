"""CLI commands: watch, backup, restore."""

from __future__ import annotations

import json
import tarfile
import zlib
from pathlib import Path

import typer

from core.errors import InputError
from core.settings import get_settings
from vigie.ops.watch import DEFAULT_CATALOGUE, WatchConfig


def watch(
    sources_file: Path = typer.Option(DEFAULT_CATALOGUE, "--sources", help="Sources catalogue to watch."),
    once: bool = typer.Option(False, "--once", help="Run one cycle (due sources, analyse, index) and exit."),
    source: list[str] = typer.Option([], "--source", "-s", help="Watch only this source id (repeatable)."),
    worker: str | None = typer.Option(
        None, "--worker", help="Worker name (default: host name); unique per process."
    ),
    poll: float = typer.Option(60.0, "--poll", help="Seconds between two scheduling cycles."),
    backoff: float = typer.Option(
        300.0, "--backoff", help="First retry delay of a failing source, in seconds."
    ),
    backoff_cap: float = typer.Option(21600.0, "--backoff-cap", help="Longest retry delay, in seconds."),
    pipeline_every: float = typer.Option(
        1800.0, "--pipeline-every", help="During long crawl phases, analyse and index every N seconds."
    ),
    stage_timeout: float = typer.Option(
        10800.0, "--stage-timeout", help="Longest run of one stage, in seconds."
    ),
    lease: float = typer.Option(
        600.0,
        "--lease",
        min=1.0,
        help="Seconds a source stays held by this worker without renewal (renewed while a stage runs).",
    ),
) -> None:
    """Run the daily watch: crawl each source on its schedule, analyse and index new pages."""
    from crawler.sources import load_sources
    from vigie.ops.watch import Watcher
    from vigie.wiring import open_db

    config = WatchConfig(
        sources_file=sources_file,
        poll_s=poll,
        backoff_base_s=backoff,
        backoff_cap_s=backoff_cap,
        stage_timeout_s=stage_timeout,
        lease_s=lease,
        pipeline_every_s=pipeline_every,
        only=tuple(source),
    )
    settings = get_settings()
    if worker:
        config.worker = worker
    config.heartbeat = settings.data_dir / f"watch-{config.worker}.heartbeat"
    engine, factory = open_db(settings)
    watcher = Watcher(factory, config, load_sources)
    watcher.install_signal_handlers()
    try:
        watcher.run_forever(once=once)
    finally:
        engine.dispose()


def backup(
    output: Path = typer.Argument(..., help="Archive to write (tar.gz), e.g. vigie-2026-01-31.tar.gz."),
) -> None:
    """Archive the whole database (pages, analyses, reviews, annotations, users, audit...) portably."""
    from sqlalchemy.exc import SQLAlchemyError

    from core.errors import StorageError
    from core.storage import make_engine
    from vigie.ops.backup import backup_database

    settings = get_settings()
    engine = make_engine(settings.resolved_database_url)
    try:
        report = backup_database(engine, output)
    except SQLAlchemyError as exc:
        raise StorageError(f"cannot read the database: {exc}", hint="check VIGIE_DATABASE_URL") from exc
    finally:
        engine.dispose()
    typer.echo(json.dumps({"path": str(report.path), "rows": report.rows, "revision": report.revision}))


# What reading a truncated, corrupted or foreign archive raises past the checks of `restore_database`.
DAMAGED_ARCHIVE = (
    tarfile.TarError,
    EOFError,
    zlib.error,
    OSError,
    ValueError,
    KeyError,
    TypeError,
    AttributeError,
)


def restore(
    archive: Path = typer.Argument(..., help="Archive written by `vigie backup`."),
) -> None:
    """Restore an archive into the EMPTY database named by VIGIE_DATABASE_URL (SQLite or PostgreSQL)."""
    from vigie.ops.backup import restore_database
    from vigie.wiring import open_db

    engine, _ = open_db(get_settings())
    try:
        report = restore_database(engine, archive)
    except DAMAGED_ARCHIVE as exc:
        raise InputError(
            f"{archive} is damaged or not a Vigie backup ({type(exc).__name__}: {str(exc)[:200]}); "
            "nothing was restored",
            hint="pass an intact file made by `vigie backup`",
        ) from exc
    finally:
        engine.dispose()
    typer.echo(json.dumps({"path": str(report.path), "rows": report.rows, "revision": report.revision}))


def register(app: typer.Typer, groups: dict[str, typer.Typer]) -> None:
    """Add this module's commands to the CLI."""
    app.command("watch")(watch)
    app.command("backup")(backup)
    app.command("restore")(restore)
