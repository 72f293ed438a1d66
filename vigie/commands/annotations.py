"""CLI commands `vigie annotations ...`: external labels in, agreement, adjudication, labels out."""

from __future__ import annotations

import json
from pathlib import Path

import typer

from core.settings import PROJECT_ROOT, SHARED_DIR, get_settings

DEFAULT_TEXTS = SHARED_DIR / "data" / "annotations-pool" / "pool.jsonl"
DEFAULT_EXCLUDED = PROJECT_ROOT / "data" / "splits" / "pool-blind.txt"


def import_labels(
    label_file: Path = typer.Argument(..., help="JSONL label file (id + label fields; texts are ignored)."),
    annotator: str = typer.Option(..., "--annotator", help="Name the labels are stored under."),
    ids: Path | None = typer.Option(None, "--ids", help="Import only the ids of this file (one a line)."),
    exclude_ids: Path | None = typer.Option(
        DEFAULT_EXCLUDED if DEFAULT_EXCLUDED.is_file() else None,
        "--exclude-ids",
        help="Never import these ids (default: the blind split, data/splits/pool-blind.txt).",
    ),
    texts: Path | None = typer.Option(
        DEFAULT_TEXTS if DEFAULT_TEXTS.is_file() else None,
        "--texts",
        help="JSONL with id/url/text, read at run time: labelled ids not yet stored become documents.",
    ),
) -> None:
    """Store an external label file as one annotator's labels (creating the documents when needed)."""
    from search_api.app import annotation_import as svc
    from vigie.wiring import db_session

    wanted = svc.read_id_list(ids) if ids else None
    excluded = svc.read_id_list(exclude_ids) if exclude_ids else set()
    lines, report = svc.read_label_file(label_file, wanted, excluded)
    with db_session(get_settings()) as session:
        if texts is not None:
            report.documents_created = svc.import_documents(session, texts, [x.doc_id for x in lines])
        svc.import_labels(session, lines, annotator, report)
    typer.echo(json.dumps(report.as_dict(), ensure_ascii=False))
    if report.errors:
        raise typer.Exit(1)


def agreement(
    first: str = typer.Option(..., "--first", help="Reference annotator (e.g. pool-first)."),
    second: str = typer.Option(..., "--second", help="Other annotator (e.g. pool-second)."),
    as_json: bool = typer.Option(False, "--json", help="JSON rows instead of a Markdown table."),
) -> None:
    """Cohen's kappa, raw agreement and F1 per field between two annotators."""
    from search_api.app.annotation_agreement import as_dicts, as_markdown, pair_agreement_in_db
    from vigie.wiring import db_session

    with db_session(get_settings()) as session:
        rows = pair_agreement_in_db(session, first, second)
    typer.echo(json.dumps(as_dicts(rows), ensure_ascii=False) if as_json else as_markdown(rows))


def disagreements() -> None:
    """Documents whose annotators disagree and that are not adjudicated yet (one JSON line each)."""
    from search_api.app import annotation
    from vigie.wiring import db_session

    with db_session(get_settings()) as session:
        for item in annotation.disagreements(session):
            typer.echo(json.dumps(item, ensure_ascii=False))


def adjudicate(
    decisions: Path = typer.Argument(..., help="JSONL: id, optional base annotator, final label fields."),
    actor: str = typer.Option(..., "--actor", help="Who decides (recorded in the audit log)."),
) -> None:
    """Record final labels of disputed documents from a decision file (audited like the web form)."""
    from search_api.app.annotation_import import adjudicate_file
    from vigie.wiring import db_session

    with db_session(get_settings()) as session:
        report = adjudicate_file(session, decisions, actor)
    typer.echo(json.dumps(report.as_dict(), ensure_ascii=False))
    if report.errors:
        raise typer.Exit(1)


def export(
    adjudicated: Path = typer.Option(..., "--adjudicated", help="JSONL to write (ids + labels, no text)."),
    against: str | None = typer.Option(
        None, "--against", help="Only documents and fields where the decision differs from this annotator."
    ),
    source: str | None = typer.Option(None, "--source", help="Value of a 'source' field on every line."),
) -> None:
    """Write the adjudicated labels (or, with --against, the corrections to that annotator's labels)."""
    from search_api.app.annotation_import import export_adjudicated, write_jsonl
    from vigie.wiring import db_session

    with db_session(get_settings()) as session:
        records = export_adjudicated(session, against, source)
    write_jsonl(records, adjudicated)
    typer.echo(json.dumps({"path": str(adjudicated), "records": len(records)}))


def register(app: typer.Typer, groups: dict[str, typer.Typer]) -> None:
    """Add the `annotations` command group to the CLI."""
    group = typer.Typer(
        help="External labels: import, agreement, adjudication, export.", no_args_is_help=True
    )
    group.command("import")(import_labels)
    group.command("agreement")(agreement)
    group.command("disagreements")(disagreements)
    group.command("adjudicate")(adjudicate)
    group.command("export")(export)
    app.add_typer(group, name="annotations")
