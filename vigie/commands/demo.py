"""CLI command `vigie demo`: the `make run` job, end to end on the demo website."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import typer
import yaml

from core.errors import VigieError
from core.settings import get_settings
from vigie.demo_site import DemoSite

DEMO_USER = "demo"
DEMO_PASSWORD = "demo-vigie"


def make_demo_sources(base_url: str) -> list[dict[str, object]]:
    """The demo website as three sources: press by its feed, association by its sitemap, funder by links."""
    return [
        {
            "id": "demo-presse",
            "name": "Le Courrier du Rhône (démo)",
            "kind": "press",
            "feeds": [f"{base_url}/presse/feed.xml"],
            "article_patterns": [r"/presse/\d{4}/"],
            "schedule": "daily",
        },
        {
            "id": "demo-association",
            "name": "Réseau Mobilité Pour Tous (démo)",
            "kind": "association",
            "sitemaps": [f"{base_url}/sitemap.xml"],
            "article_patterns": [r"/association/"],
            "schedule": "daily",
        },
        {
            "id": "demo-appels",
            "name": "Fondation Territoires Solidaires (démo)",
            "kind": "call_for_projects",
            "start_urls": [f"{base_url}/"],
            "article_patterns": [r"/appels/"],
            "max_depth": 1,
            "schedule": "weekly",
        },
    ]


def _run_stage(title: str, args: list[str]) -> None:
    """Run one `vigie` stage in its own process (a Twisted reactor cannot restart in-process)."""
    typer.secho(f"==> {title}", bold=True)
    result = subprocess.run([sys.executable, "-m", "vigie", *args], env=os.environ.copy(), check=False)
    if result.returncode != 0:
        raise VigieError(
            f"demo stage '{title}' failed with exit code {result.returncode}",
            hint="read the messages above; `vigie demo --help` lists the options",
        )


def run_demo(host: str, port: int, site_port: int, serve: bool) -> None:
    """Serve the demo site, crawl it, analyse and index the pages, then serve the UI."""
    settings = get_settings()
    with DemoSite(port=site_port) as site:
        sources_file = settings.data_dir / "demo-sources.yaml"
        catalogue = {"sources": make_demo_sources(site.base_url)}
        sources_file.write_text(yaml.safe_dump(catalogue, allow_unicode=True), encoding="utf-8")
        typer.echo(f"Demo website: {site.base_url}/  (data directory: {Path(settings.data_dir).resolve()})")
        _run_stage("crawl", ["crawl", "--sources", str(sources_file)])
        _run_stage("analyze", ["analyze"])
        _run_stage("index", ["index"])
        _run_stage(
            "demo user",
            ["users", "add", DEMO_USER, "--role", "admin", "--password", DEMO_PASSWORD],
        )
        typer.secho(
            f"\nVigie is ready: http://{host}:{port}/  (login: {DEMO_USER} / {DEMO_PASSWORD})\n"
            f"  review queue: http://{host}:{port}/revue   search: http://{host}:{port}/recherche\n"
            f"  API docs: http://{host}:{port}/docs   demo website: {site.base_url}/\n",
            fg="green",
        )
        if serve:
            _run_stage("serve", ["serve", "--host", host, "--port", str(port)])


def register(app: typer.Typer, groups: dict[str, typer.Typer]) -> None:
    """Add `vigie demo` to the CLI."""

    @app.command("demo")
    def demo(
        host: str = typer.Option("127.0.0.1", help="Address the UI listens on."),
        port: int = typer.Option(8000, help="Port of the UI and API."),
        site_port: int = typer.Option(8001, help="Port of the demo website (0 = any free port)."),
        serve: bool = typer.Option(True, "--serve/--no-serve", help="Serve the UI at the end."),
    ) -> None:
        """Run Vigie end to end on the demo website: crawl, analyse, index, serve."""
        run_demo(host, port, site_port, serve)
