"""CLI commands: crawl, pages export, sources check, evaluate extraction."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import typer
from rich.console import Console
from rich.progress import Progress, SpinnerColumn, TextColumn

from core.errors import ConfigError, InputError
from core.settings import get_settings
from core.storage.pages import PageRepository
from crawler.sources import DEFAULT_SOURCES_FILE, check_sources
from vigie.wiring import open_db

KINDS = "press, association, call_for_projects, institutional"


def sources_check(
    file: Path = typer.Argument(DEFAULT_SOURCES_FILE, help="Sources file to validate."),
) -> None:
    """Validate a sources file: schema, URL syntax, kinds, duplicate ids and URLs."""
    sources, problems = check_sources(file)
    for problem in problems:
        typer.echo(f"error: {problem}", err=True)
    if problems:
        typer.echo(f"{file}: {len(problems)} problem(s), {len(sources)} valid source(s)", err=True)
        raise typer.Exit(1)
    typer.echo(f"{file}: {len(sources)} source(s), all valid")


def pages_export(
    output: str = typer.Option("-", "--output", "-o", help="JSONL file to write ('-' = stdout)."),
    source: str | None = typer.Option(None, "--source", help="Only the pages of this source id."),
) -> None:
    """Write every crawled page as one JSON line (contract in docs/cli.md)."""
    settings = get_settings()
    engine, factory = open_db(settings)
    repo = PageRepository(factory)
    if output == "-":
        count = _write_pages(repo, source, sys.stdout)
    else:
        path = Path(output)
        tmp = path.with_name(path.name + ".part")
        try:
            with tmp.open("w", encoding="utf-8") as handle:
                count = _write_pages(repo, source, handle)
        except OSError as exc:
            raise InputError(f"cannot write {path}: {exc}", hint="choose a writable --output path") from exc
        tmp.replace(path)  # nothing half-written: the file appears whole or not at all
        typer.echo(f"{count} page(s) written to {path}", err=True)
    engine.dispose()


def _write_pages(repo: PageRepository, source: str | None, handle: object) -> int:
    count = 0
    for page in repo.iter_pages(source=source):
        handle.write(json.dumps(page.to_export(), ensure_ascii=False) + "\n")  # type: ignore[attr-defined]
        count += 1
    return count


def crawl(
    source: list[str] = typer.Option([], "--source", "-s", help="Crawl only this source id (repeatable)."),
    sources_file: Path = typer.Option(DEFAULT_SOURCES_FILE, "--sources", help="Sources file."),
    url: str | None = typer.Option(None, "--url", help="Ad hoc: crawl this site from this page."),
    sitemap: str | None = typer.Option(None, "--sitemap", help="Ad hoc: crawl the pages of this sitemap."),
    feed: str | None = typer.Option(None, "--feed", help="Ad hoc: crawl the entries of this RSS/Atom feed."),
    kind: str = typer.Option("press", "--kind", "-k", help=f"Kind of an ad hoc source: {KINDS}."),
    max_pages: int = typer.Option(
        0, "--max-pages", help="Stop after this many article pages (0 = no limit)."
    ),
    json_out: bool = typer.Option(False, "--json", help="Print the final counters as JSON."),
) -> None:
    """Fetch what is new on the configured sources (or one ad hoc URL) and store the pages."""
    from crawler.run import run_crawl
    from crawler.sources import load_sources, make_adhoc_source

    settings = get_settings()
    if url or sitemap or feed:
        if kind not in KINDS.split(", "):
            raise ConfigError(f"unknown kind {kind!r}", hint=f"use --kind with one of {KINDS}")
        selected = [make_adhoc_source(url=url, sitemap=sitemap, feed=feed, kind=kind)]
    else:
        selected = load_sources(sources_file)
        if source:
            unknown = sorted(set(source) - {s.id for s in selected})
            if unknown:
                raise ConfigError(
                    f"unknown source id(s) {', '.join(unknown)} in {sources_file}",
                    hint="list the ids with `vigie sources check` or fix --source",
                )
            selected = [s for s in selected if s.id in source]
    console = Console(stderr=True)
    with Progress(
        SpinnerColumn(), TextColumn("{task.description}"), console=console, disable=not console.is_terminal
    ) as bar:
        task = bar.add_task(f"crawl: {len(selected)} source(s)")

        def show(counts: dict[str, int]) -> None:
            summary = " ".join(f"{k}={counts.get(k, 0)}" for k in ("fetched", "new", "unchanged", "errors"))
            bar.update(task, description=f"crawl: {summary}")

        stats = run_crawl(
            settings, selected, max_pages=max_pages or None, store_start_pages=bool(url), on_progress=show
        )
    if json_out:
        typer.echo(json.dumps(stats.as_dict(), ensure_ascii=False, sort_keys=True))
    else:
        typer.echo(stats.summary())
    if stats.status == "failed":
        raise typer.Exit(1)


def evaluate_extraction(
    pages: Path = typer.Option(..., "--pages", help="Folder laid out like shared/data/web (manifest.csv)."),
    language: list[str] = typer.Option([], "--language", "-l", help="Only pages in this language."),
    show_failures: bool = typer.Option(False, "--failures", help="List every miss of the LOSO run."),
    json_out: bool = typer.Option(False, "--json", help="Print the figures as JSON."),
) -> None:
    """Score our extraction beside trafilatura's alone: plain and leave-one-site-out, per page type,
    with each rule's ablation (docs/crawler.md)."""
    from crawler.evaluation import load_ground_truth
    from crawler.loso import evaluate_loso, format_report

    truth = load_ground_truth(pages, set(language) or None)
    console = Console(stderr=True)
    with Progress(
        SpinnerColumn(), TextColumn("{task.description}"), console=console, disable=not console.is_terminal
    ) as bar:
        task = bar.add_task("evaluate extraction")
        report = evaluate_loso(truth, on_step=lambda step: bar.update(task, description=step))
    if json_out:
        figures = report.as_dict()
        typer.echo(json.dumps({**report.columns(), **figures}, indent=2, ensure_ascii=False))
        return
    typer.echo(f"{len(truth)} pages with ground truth in {pages}")
    for line in format_report(report):
        typer.echo(line)
    if show_failures:
        for outcome in report.loso:
            for line in outcome.failures:
                typer.echo(f"  {line}")


def register(app: typer.Typer, groups: dict[str, typer.Typer]) -> None:
    """Add this module's commands to the CLI."""
    app.command("crawl")(crawl)
    groups["pages"].command("export")(pages_export)
    groups["sources"].command("check")(sources_check)
    groups["evaluate"].command("extraction")(evaluate_extraction)
