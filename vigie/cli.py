"""The `vigie` command line: one thin command per stage, registered from `vigie.commands`."""

from __future__ import annotations

import sys

import typer

from core.errors import VigieError
from core.logging import setup_logging
from core.settings import get_settings
from vigie.commands import COMMAND_MODULES


def make_app() -> typer.Typer:
    """Build the Typer application with every command and command group."""
    app = typer.Typer(
        name="vigie",
        help="Vigie: veille des innovations dans les quartiers prioritaires (QPV).",
        no_args_is_help=True,
        add_completion=False,
        pretty_exceptions_enable=False,
    )
    groups = {
        name: typer.Typer(help=help_text, no_args_is_help=True)
        for name, help_text in {
            "evaluate": "Measure extraction, geography, models and search against ground truth.",
            "pages": "Work with crawled pages.",
            "sources": "Work with the sources catalogue.",
            "reference": "Work with official reference data.",
            "users": "Manage users and roles.",
        }.items()
    }
    for module in COMMAND_MODULES:
        module.register(app, groups)
    for name, group in groups.items():
        if group.registered_commands or group.registered_groups:
            app.add_typer(group, name=name)

    @app.callback()
    def _root(verbose: bool = typer.Option(False, "--verbose", "-v", help="Debug logging.")) -> None:
        setup_logging("DEBUG" if verbose else get_settings().log_level)

    return app


def main() -> None:
    """Entry point: run the CLI, turning Vigie errors into a clear message and exit code 1."""
    try:
        make_app()(standalone_mode=True)
    except VigieError as exc:
        typer.echo(f"error [{exc.code}]: {exc}", err=True)
        sys.exit(1)
