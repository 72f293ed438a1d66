"""CLI commands: analyze (JSONL or stored pages), train, evaluate models."""

from __future__ import annotations

import hashlib
import json
import logging
import os
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

import typer
from rich.console import Console
from rich.progress import Progress
from sqlalchemy import select

from core.domain import Analysis
from core.errors import InputError
from core.settings import get_settings
from core.storage.tables import AnalysisRow, PageRow
from vigie.commands.models_report import evaluate_models, evaluate_models_real, train_models

log = logging.getLogger(__name__)
err = Console(stderr=True)
CHUNK = 64


def iter_jsonl_items(stream: IO[bytes]) -> Iterator[dict[str, Any] | Any]:
    """Input items with their line number; undecodable lines become ItemErrors (never raise)."""
    from nlp.pipeline import ItemError

    for number, raw in enumerate(stream, start=1):
        try:
            line = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            yield ItemError(None, number, f"invalid UTF-8 at byte {exc.start} ({exc.reason})")
            continue
        if not line.strip():
            continue
        try:
            data = json.loads(line)
        except ValueError as exc:
            yield ItemError(None, number, f"not valid JSON ({getattr(exc, 'msg', exc)})")
            continue
        yield (
            data | {"_line": number}
            if isinstance(data, dict)
            else ItemError(None, number, f"expected a JSON object, got {type(data).__name__}")
        )


@contextmanager
def open_input(path: str) -> Iterator[IO[bytes]]:
    """The input bytes: stdin for '-', else the file (closed afterwards)."""
    if path == "-":
        yield sys.stdin.buffer
        return
    with Path(path).open("rb") as handle:
        yield handle


@contextmanager
def open_output(output: str) -> Iterator[IO[str]]:
    """stdout for '-', else a temporary file renamed into place only when all lines are written."""
    if output == "-":
        yield sys.stdout
        sys.stdout.flush()
        return
    target = Path(output)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            yield handle
        os.replace(tmp, target)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def analyze_file(input_path: str, output: str, analyzer: Any) -> int:
    """Analyse a JSONL file (or stdin); returns how many lines were bad."""
    if input_path != "-" and not Path(input_path).is_file():
        raise InputError(
            f"input file not found: {input_path}", hint="give a JSONL file path or '-' for stdin"
        )
    bad = 0
    progress = Progress(console=err, disable=not err.is_terminal)
    with open_input(input_path) as stream, open_output(output) as out, progress as bar:
        task = bar.add_task("analyse", total=None)
        for result in analyzer.analyze_many(iter_jsonl_items(stream)):
            if isinstance(result, Analysis):
                out.write(json.dumps(result.to_contract(), ensure_ascii=False) + "\n")
            else:
                bad += 1
                where = f"line {result.line}" + (f" (id {result.id})" if result.id else "")
                err.print(f"error: {where}: {result.reason}", markup=False, highlight=False)
            bar.advance(task)
    return bad


def text_hash(text: str) -> str:
    """Hash of the text an analysis was computed from (to re-analyse changed pages only)."""
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


def pages_to_analyse(factory: Any, everything: bool) -> list[str]:
    """Ids of stored pages without a current analysis or whose text changed (all with --all).

    Pages built by JavaScript (stored with ``js_rendered`` and no text) are left out: there is nothing to
    judge until a renderer fills them. Texts are streamed and hashed one at a time, so memory holds ids.
    """
    query = (
        select(PageRow.id, PageRow.text, AnalysisRow.text_hash)
        .outerjoin(AnalysisRow, AnalysisRow.doc_id == PageRow.id)
        .where(PageRow.js_rendered.is_(False))
    )
    with factory() as session:
        rows = session.execute(query.execution_options(yield_per=500))
        return [r[0] for r in rows if everything or r[2] is None or r[2] != text_hash(r[1] or "")]


def iter_stored_items(factory: Any, ids: list[str], hashes: dict[str, str]) -> Iterator[dict[str, Any]]:
    """Analysis items of the stored pages, read CHUNK at a time (each read session closed before yielding).

    ``hashes`` receives the text hash of each page read, for its analysis row.
    """
    for start in range(0, len(ids), CHUNK):
        with factory() as session:
            pages = session.scalars(select(PageRow).where(PageRow.id.in_(ids[start : start + CHUNK]))).all()
            items = [{"id": p.id, "text": p.text or "", "title": p.title, "url": p.url} for p in pages]
        for item in items:
            hashes[item["id"]] = text_hash(item["text"])
        yield from items


def analyze_stored(settings: Any, analyzer: Any, everything: bool) -> tuple[int, int]:
    """Analyse stored pages and upsert their analyses CHUNK at a time; returns (analysed, failed).

    The pages stream through one `analyze_many` call, so its batches overlap across chunks.
    """
    from vigie.wiring import open_db

    engine, factory = open_db(settings)
    ids = pages_to_analyse(factory, everything)
    hashes: dict[str, str] = {}
    rows: list[AnalysisRow] = []
    done = failed = 0
    with Progress(console=err, disable=not err.is_terminal) as bar:
        task = bar.add_task("analyse pages", total=len(ids))
        for result in analyzer.analyze_many(iter_stored_items(factory, ids, hashes)):
            bar.advance(task)
            if not isinstance(result, Analysis):
                failed += 1
                log.warning("page not analysed id=%s reason=%s", result.id, result.reason)
                continue
            rows.append(_analysis_row(result, hashes.pop(result.id)))
            done += 1
            if len(rows) >= CHUNK:
                _save_rows(factory, rows)
                rows = []
        _save_rows(factory, rows)
    engine.dispose()
    return done, failed


def _save_rows(factory: Any, rows: list[AnalysisRow]) -> None:
    """Upsert analysis rows in one transaction."""
    if not rows:
        return
    with factory() as session, session.begin():
        for row in rows:
            session.merge(row)


def _analysis_row(result: Analysis, hashed: str) -> AnalysisRow:
    return AnalysisRow(
        doc_id=result.id,
        result=result.to_contract(),
        is_initiative=result.is_initiative,
        initiative_score=result.initiative_score,
        in_qpv=result.in_qpv,
        doc_kind=result.doc_kind,
        model_version=result.model_version,
        text_hash=hashed,
    )


def register(app: typer.Typer, groups: dict[str, typer.Typer]) -> None:
    """Add `analyze`, `train` and `evaluate models` to the CLI."""

    @app.command()
    def analyze(
        input_path: str | None = typer.Argument(
            None, metavar="[INPUT]", help="JSONL file, or '-' for stdin."
        ),
        output: str = typer.Option("-", "--output", "-o", help="JSONL output file, or '-' for stdout."),
        everything: bool = typer.Option(False, "--all", help="Re-analyse every stored page."),
        batch_size: int = typer.Option(32, help="Texts per spaCy/model batch."),
        n_process: int = typer.Option(1, help="spaCy worker processes."),
    ) -> None:
        """Analyse texts: a JSONL file (one output line per input line) or the stored pages."""
        from vigie.wiring import make_analyzer

        settings = get_settings()
        analyzer = make_analyzer(settings, batch_size=batch_size, n_process=n_process)
        if input_path is None:
            done, failed = analyze_stored(settings, analyzer, everything)
            err.print(f"analysed {done} pages ({failed} failed)")
            raise typer.Exit(2 if failed else 0)
        bad = analyze_file(input_path, output, analyzer)
        raise typer.Exit(2 if bad else 0)

    @app.command()
    def train(
        promote: bool = typer.Option(False, "--promote", help="Make the new version the current one."),
        embeddings: bool = typer.Option(True, "--embeddings/--no-embeddings", help="Add e5 embeddings."),
        char_ngrams: bool = typer.Option(False, "--char-ngrams/--no-char-ngrams", help="Character TF-IDF."),
        with_db: bool = typer.Option(True, "--with-db/--no-db", help="Include DB annotations and reviews."),
        cv: bool = typer.Option(True, "--cv/--no-cv", help="Cross-validate before fitting."),
        version: str | None = typer.Option(None, help="Version name (default: a timestamp)."),
    ) -> None:
        """Train every model from the annotations; write models/<task>/<version>/."""
        train_models(get_settings(), promote, embeddings, char_ngrams, with_db, cv, version)

    @groups["evaluate"].command("models")
    def evaluate_models_cmd(
        embeddings: bool = typer.Option(True, "--embeddings/--no-embeddings", help="Add e5 embeddings."),
        char_ngrams: bool = typer.Option(False, "--char-ngrams/--no-char-ngrams", help="Character TF-IDF."),
        folds: int = typer.Option(5, help="Cross-validation folds (grouped by site and initiative)."),
        as_json: bool = typer.Option(False, "--json", help="Print the full report as JSON."),
        fold_seeds: list[int] = typer.Option(
            [0],
            "--fold-seed",
            help="Shuffle of the grouped folds; repeat it (--fold-seed 0 --fold-seed 1) for one report per"
            " shuffle and their mean.",
        ),
        protocol: str = typer.Option(
            "real",
            help="real: CV scored on real texts only (seed + pool dev) and the blind split; mixed: the old"
            " CV over real and written texts.",
        ),
        blind: bool = typer.Option(True, "--blind/--no-blind", help="Score the blind split (protocol real)."),
        blind_models: str = typer.Option(
            "trained",
            help="trained: models trained here on seed + pool dev; promoted: the promoted models as shipped.",
        ),
    ) -> None:
        """Model figures: real-only grouped CV and the blind split (default), or the old mixed CV."""
        if protocol not in ("real", "mixed") or blind_models not in ("trained", "promoted"):
            raise typer.BadParameter("use --protocol real|mixed and --blind-models trained|promoted")
        if protocol == "mixed":
            evaluate_models(get_settings(), embeddings, char_ngrams, folds, as_json, fold_seeds)
        else:
            evaluate_models_real(get_settings(), embeddings, folds, as_json, fold_seeds, blind, blind_models)
