"""Docs that cannot drift: the settings reference and the CLI reference."""

from __future__ import annotations

from core.settings import PROJECT_ROOT
from vigie.cli import make_app
from vigie.reference_docs import SETTINGS_DOC, iter_cli_commands, render_settings_reference


def test_settings_reference_is_up_to_date() -> None:
    assert SETTINGS_DOC.read_text(encoding="utf-8") == render_settings_reference(), (
        "docs/settings.md is stale: run `python -m vigie.reference_docs`"
    )


def test_every_cli_command_is_documented() -> None:
    cli_doc = (PROJECT_ROOT / "docs" / "cli.md").read_text(encoding="utf-8")
    missing = [path for path in iter_cli_commands(make_app()) if f"vigie {path}" not in cli_doc]
    assert not missing, f"commands missing from docs/cli.md: {missing}"
