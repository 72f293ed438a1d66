"""`vigie alerts`: write and send the e-mail digests of saved searches (run by `vigie watch` too)."""

from __future__ import annotations

import json

import typer

from core.settings import get_settings


def alerts() -> None:
    """Send each saved search's new results by e-mail (VIGIE_SMTP_*); failed sends are retried next run."""
    from vigie.ops.alerts import run_alerts
    from vigie.wiring import make_search_engine, open_db

    settings = get_settings()
    engine, factory = open_db(settings)
    search = make_search_engine(settings)
    try:
        report = run_alerts(settings, factory, search)
    finally:
        search.close()
        engine.dispose()
    typer.echo(json.dumps(report.as_dict(), ensure_ascii=False))
    if report.failed:
        raise typer.Exit(1)


def register(app: typer.Typer, groups: dict[str, typer.Typer]) -> None:
    """Add this module's commands to the CLI."""
    app.command("alerts")(alerts)
