"""Generated reference pages (settings, CLI) kept honest by tests: `python -m vigie.reference_docs`."""

from __future__ import annotations

from pathlib import Path

import click
import typer

from core.settings import PROJECT_ROOT, Settings

SETTINGS_DOC = PROJECT_ROOT / "docs" / "settings.md"


def render_settings_reference() -> str:
    """Markdown table of every `VIGIE_*` setting with its default and description."""
    lines = [
        "# Settings reference",
        "",
        "Generated from `core/settings.py` by `python -m vigie.reference_docs`; a test keeps it in sync.",
        "",
        "| variable | default | description |",
        "| --- | --- | --- |",
    ]
    for name, field in Settings.model_fields.items():
        if field.default_factory is not None:
            default = "(computed: see description)"
        elif isinstance(field.default, Path) and field.default.is_absolute():
            default = f"`{field.default.relative_to(PROJECT_ROOT)}` (in the project)"
        else:
            default = f"`{field.default}`" if field.default is not None else "(none)"
        lines.append(f"| `VIGIE_{name.upper()}` | {default} | {field.description or ''} |")
    return "\n".join(lines) + "\n"


def iter_cli_commands(app: typer.Typer) -> list[str]:
    """Every command path of the CLI, e.g. `crawl`, `evaluate geo`."""
    root = typer.main.get_command(app)
    paths: list[str] = []

    def walk(cmd: click.Command, prefix: str) -> None:
        # Typer 0.29 builds groups on its own vendored click: test for sub-commands, not click.Group.
        commands = getattr(cmd, "commands", None)
        if isinstance(commands, dict):
            for name, sub in commands.items():
                walk(sub, f"{prefix} {name}".strip())
        else:
            paths.append(prefix)

    walk(root, "")  # type: ignore[arg-type]  # typer ships its own copy of click's Command
    return sorted(paths)


def write_settings_reference(path: Path = SETTINGS_DOC) -> None:
    """Regenerate docs/settings.md."""
    path.write_text(render_settings_reference(), encoding="utf-8")


if __name__ == "__main__":
    write_settings_reference()
