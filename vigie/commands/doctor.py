"""CLI command: doctor (checks invariants of the system of record and reports violations)."""

from __future__ import annotations

import json

import typer

from core.settings import get_settings


def doctor(
    as_json: bool = typer.Option(False, "--json", help="Print the report as one JSON object."),
) -> None:
    """Check the review audit chain (each "before" is the previous "after"), the types of stored
    corrections, and the index outbox.

    Exit 1 when any audit chain is broken or a stored correction has the wrong type (e.g. the string
    "false" for is_initiative, stored before corrections were typed); the count of documents waiting in
    the index outbox is reported (the server and `vigie index` drain it).
    """
    from sqlalchemy import select

    from core.errors import InputError
    from core.storage import outbox
    from core.storage.audit import ChainViolation, find_chain_violations
    from core.storage.tables import ReviewRow
    from search_api.app.validation import parse_corrections
    from vigie.wiring import open_db

    engine, factory = open_db(get_settings())
    try:
        with factory() as session:
            violations = find_chain_violations(session)
            for row in session.scalars(select(ReviewRow)):
                try:
                    parse_corrections(dict(row.corrections or {}))
                except InputError as exc:
                    violations.append(ChainViolation(row.doc_id, None, None, row.corrections, exc.message))
            pending = outbox.count_pending(session)
    finally:
        engine.dispose()
    report = {
        "violations": [
            {"doc_id": v.doc_id, "audit_id": v.audit_id, "problem": v.problem, "expected": v.expected,
             "found": v.found}
            for v in violations
        ],
        "index_outbox_pending": pending,
    }  # fmt: skip
    if as_json:
        typer.echo(json.dumps(report, ensure_ascii=False, default=str))
    else:
        for v in violations:
            where = f"audit entry {v.audit_id}" if v.audit_id else "current review"
            typer.echo(f"violation: document {v.doc_id!r}, {where}: {v.problem}", err=True)
        typer.echo(f"violations: {len(violations)}; index outbox pending: {pending}")
    if violations:
        raise typer.Exit(1)


def register(app: typer.Typer, groups: dict[str, typer.Typer]) -> None:
    """Add this module's commands to the CLI."""
    app.command("doctor")(doctor)
