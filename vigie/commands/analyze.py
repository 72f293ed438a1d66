"""CLI commands: analyze (JSONL or stored pages), train, evaluate models."""

from __future__ import annotations

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

from core.domain import Analysis
from core.errors import InputError
from core.inputs import BadLine, iter_input_lines
from core.protocols import TextAnalyzer
from core.settings import get_settings
from vigie.commands.models_report import evaluate_models, evaluate_models_real, train_models
from vigie.stages import analyze_stored

log = logging.getLogger(__name__)
err = Console(stderr=True)


def iter_jsonl_items(stream: IO[bytes]) -> Iterator[dict[str, Any] | Any]:
    """Input items with their line number; bad lines become ItemErrors (never raise).

    A line is bad when it is not UTF-8 (`core.jsonl`), not a JSON object, has no usable id (1 to 64
    characters), holds a lone surrogate, is longer than `core.inputs.MAX_LINE_BYTES`, or repeats an id of
    an earlier line. Texts are cut at `core.inputs.MAX_TEXT_CHARS`.
    """
    from nlp.items import ItemError

    for item in iter_input_lines(stream):
        if isinstance(item, BadLine):
            yield ItemError(item.doc_id, item.line, item.reason)
        else:
            yield item.data


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


def analyze_file(input_path: str, output: str, analyzer: TextAnalyzer) -> int:
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
        from vigie.wiring import make_analyzer, open_db

        settings = get_settings()
        analyzer = make_analyzer(settings, batch_size=batch_size, n_process=n_process)
        if input_path is None:
            engine, factory = open_db(settings)
            done, failed = analyze_stored(factory, analyzer, everything, settings.doc_kind_host_weight)
            engine.dispose()
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
        sentence_read: float = typer.Option(
            0.0,
            min=0.0,
            help="Weight of the sentence reader in the initiative models (0: off; see docs/models.md).",
        ),
    ) -> None:
        """Train every model from the annotations; write models/<task>/<version>/."""
        train_models(get_settings(), promote, embeddings, char_ngrams, with_db, cv, version, sentence_read)

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
        cv: bool = typer.Option(
            True,
            "--cv/--no-cv",
            help="Run the real-only CV before the blind split (protocol real); --no-cv scores the blind"
            " split only (models still trained on seed + pool dev).",
        ),
        blind_models: str = typer.Option(
            "trained",
            help="trained: models trained here on seed + pool dev; promoted: the promoted models as shipped;"
            " a version name (e.g. v10-real-cascade): its models in VIGIE_MODEL_DIR, promoted or not.",
        ),
        host_weight: float | None = typer.Option(
            None,
            "--doc-kind-host-weight",
            min=0.0,
            max=1.0,
            help="Read each text's document kind with the other evaluated texts of its host (CV: its test"
            " fold; blind: the blind texts); default VIGIE_DOC_KIND_HOST_WEIGHT (0: off); 0.3 is the dev-CV"
            " weight.",
        ),
    ) -> None:
        """Model figures: real-only grouped CV and the blind split (default), or the old mixed CV."""
        if protocol not in ("real", "mixed") or not blind_models:
            raise typer.BadParameter(
                "use --protocol real|mixed and --blind-models trained|promoted|<version>"
            )
        if not cv and (protocol == "mixed" or not blind):
            raise typer.BadParameter(
                "--no-cv leaves only the blind split to score: use it with --protocol real and --blind"
            )
        if protocol == "mixed":
            evaluate_models(get_settings(), embeddings, char_ngrams, folds, as_json, fold_seeds)
        else:
            evaluate_models_real(
                get_settings(),
                embeddings,
                folds,
                as_json,
                fold_seeds,
                blind,
                blind_models,
                cv=cv,
                host_weight=host_weight,
            )
