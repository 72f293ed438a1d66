"""The bodies of `vigie train` and `vigie evaluate models`: gather examples, run, print tables."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import typer
from rich.console import Console
from rich.table import Table

from core.domain import TrainOptions
from core.settings import Settings
from vigie.wiring import make_embed_fn, make_embedder, make_lazy_embed_fn, make_training_linker

out = Console()
BINARY_TASKS = (
    "initiative",
    "initiative_in_qpv",
    "qpv_given_initiative",
    "initiative_in_qpv_classifier_only",
)


def train_models(
    settings: Settings,
    promote: bool,
    embeddings: bool,
    char_ngrams: bool,
    with_db: bool,
    cv: bool,
    version: str | None,
    sentence_read: float = 0.0,
) -> dict[str, Any]:
    """Train all tasks through the model registry (which records the versions), print the CV report."""
    from vigie.wiring import make_model_registry, open_db

    engine, factory = open_db(settings)
    options = TrainOptions(
        use_embeddings=embeddings,
        char_ngrams=char_ngrams,
        with_db=with_db,
        run_cv=cv,
        promote=promote,
        version=version,
        record="report",
        sentence_read=sentence_read,
    )
    metrics = make_model_registry(settings, factory).train(options, announce=out.print)
    engine.dispose()
    if cv:
        print_report(metrics)
        print_comparison(metrics.get("compare_with_current"))
    out.print(
        f"version {metrics['version']} written to {settings.model_dir}" + (" (promoted)" if promote else "")
    )
    return metrics


def evaluate_models(
    settings: Settings,
    embeddings: bool,
    char_ngrams: bool,
    folds: int,
    as_json: bool,
    fold_seeds: Sequence[int] = (0,),
) -> None:
    """The old protocol: grouped CV over real texts and the team's written examples, all scored.

    With several fold seeds, each shuffle gets its own report, then the mean of the headline figures:
    a gain that holds on one split only shows up there.
    """
    from nlp.classifiers.evaluation import cross_validate, geo_codes, make_task_data
    from nlp.classifiers.training import TrainConfig, example_vectors, load_training_examples, make_factories

    examples = load_training_examples(settings, written=True)
    reference = str(settings.reference_dir) if settings.reference_dir else None
    config = TrainConfig(
        char_ngrams=char_ngrams, use_embeddings=embeddings, folds=folds, reference_dir=reference
    )
    embed = make_embed_fn(settings, embeddings)
    vectors = example_vectors(examples, config, embed)
    linker = make_training_linker(settings)
    texts, urls = [e.text for e in examples], [e.url for e in examples]
    geo = geo_codes(linker, texts, urls) if linker is not None else None
    data = make_task_data(examples, vectors, geo)
    seeds = list(dict.fromkeys(fold_seeds)) or [0]
    reports = {
        seed: cross_validate(data, make_factories(config), folds, seed, cascade_low=config.cascade_low)
        for seed in seeds
    }
    per_seed = {seed: headlines(report) for seed, report in reports.items()}
    means = {
        k: round(sum(float(h[k]) for h in per_seed.values()) / len(seeds), 4) for k in per_seed[seeds[0]]
    }
    if as_json:
        body: dict[str, Any] = (
            reports[seeds[0]] if len(seeds) == 1 else {"by_fold_seed": reports, "mean": means}
        )
        typer.echo(json.dumps(body | {"features": config.features}, indent=2, default=float))
        return
    out.print(f"{len(examples)} examples, {folds}-fold CV grouped by site/initiative, {config.features}")
    for seed, report in reports.items():
        if len(seeds) > 1:
            out.print(f"[bold]fold seed {seed}[/bold]")
        print_report(report)
    if len(seeds) > 1:
        table = Table(title=f"mean over fold seeds {', '.join(map(str, seeds))}")
        for col in ("figure", *map(str, seeds), "mean"):
            table.add_column(col)
        for figure, value in means.items():
            table.add_row(figure, *(str(per_seed[s][figure]) for s in seeds), str(value))
        out.print(table)


def evaluate_models_real(
    settings: Settings,
    embeddings: bool,
    folds: int,
    as_json: bool,
    fold_seeds: Sequence[int],
    blind: bool,
    blind_models: str,
    *,
    cv: bool = True,
    host_weight: float | None = None,
) -> None:
    """Real-only grouped CV on seed + pool dev, then the blind split (trained on seed + pool dev).

    ``cv=False`` skips the CV (an hour per encoder on this machine) and scores the blind split only: the
    report then has no ``real_cv`` key. ``host_weight`` (default: the setting) reads each text's kind
    with the other evaluated texts of its host, as the analysis of stored pages does; 0 turns it off.
    """
    from nlp.classifiers.training import TrainConfig, load_blind_examples, load_training_examples
    from vigie.model_evaluation import evaluate_blind_trained, evaluate_real_cv, load_linker

    reference = str(settings.reference_dir) if settings.reference_dir else None
    config = TrainConfig(use_embeddings=embeddings, folds=folds, reference_dir=reference)
    examples = load_training_examples(settings)
    embed = make_embed_fn(settings, embeddings)
    linker = load_linker(settings)
    seeds = list(dict.fromkeys(fold_seeds)) or [0]
    weight = settings.doc_kind_host_weight if host_weight is None else host_weight
    body: dict[str, Any] = {"features": config.features, "doc_kind_host_weight": weight}
    if embeddings:  # which encoder made the vectors (VIGIE_EMBEDDER, VIGIE_ENCODER_DIR)
        folder = settings.encoder_dir
        body["embedder"] = {
            "backend": settings.embedder,
            "encoder_dir": str(folder) if folder else None,
            "name": make_embedder().name,  # what `auto` resolved to, with the weights' fingerprint
        }
    if cv:
        body["real_cv"] = evaluate_real_cv(examples, config, embed, linker, seeds, host_weight=weight)
    if blind:
        blind_set = load_blind_examples(settings)
        lazy = make_lazy_embed_fn(settings)
        body["blind"] = evaluate_blind_trained(
            settings.model_dir if blind_models != "trained" else None,
            examples,
            blind_set,
            config,
            embed,
            lazy,
            linker,
            version=None if blind_models in ("trained", "promoted") else blind_models,
            host_weight=weight,
        )
    if as_json:
        typer.echo(json.dumps(body, indent=2, default=float))
        return
    print_real_report(body)


def print_real_report(body: dict[str, Any]) -> None:
    """Tables of the real-only CV means, per kind, and the blind figures with their intervals."""
    if "real_cv" in body:
        _print_real_cv(body)
    blind = body.get("blind")
    if not blind:
        return
    table = Table(title=f"blind split: {blind['n']} texts, models {blind['version']}, {body['features']}")
    for col in ("figure", "value", "95 % interval"):
        table.add_column(col)
    for key, value in blind["figures"].items():
        lo, hi = blind["intervals_95"].get(key, (value, value))
        table.add_row(key, f"{value:.3f}", f"{lo:.3f}-{hi:.3f}")
    out.print(table)
    _print_by_kind("blind split by document kind", blind["by_kind"])
    host = blind.get("doc_kind_host")
    if host:
        out.print(
            f"document kind read with the host's other blind texts at weight {host['weight']}"
            f" (applied: {host['applied']}); each text's own kind: accuracy {host['own_kind_accuracy']:.3f}"
        )
    if "communes" in blind:
        out.print("communes on blind initiatives: " + json.dumps(blind["communes"]))


def _print_real_cv(body: dict[str, Any]) -> None:
    cv = body["real_cv"]
    out.print(
        f"real-only grouped CV: {cv['n_scored']} real texts scored,"
        f" {cv['n_written_in_training']} written texts in training folds, {cv['folds']} folds,"
        f" fold seeds {cv['fold_seeds']}, {body['features']}"
    )
    table = Table(title="real-only CV (mean over fold seeds)")
    table.add_column("figure")
    table.add_column("mean")
    before = cv.get("without_whole_text", {}).get("mean", {})
    if before:  # the initiative cascade's whole-text stage: the same folds without it
        table.add_column("without the whole-text stage")
    for key, value in cv["mean"].items():
        table.add_row(
            key, f"{value:.3f}", *([f"{before[key]:.3f}" if key in before else ""] if before else [])
        )
    out.print(table)
    if before:
        out.print(
            f"share of texts decided by the whole-text stage: {before['share_decided_by_whole_text']:.3f}"
        )
    host = cv.get("doc_kind_host")
    if host:
        out.print(
            f"document kind read with the host's other test texts at weight {host['weight']}: accuracy by"
            f" fold seed {host['accuracy_by_fold_seed']}; each text's own kind"
            f" {host['own_kind_accuracy_by_fold_seed']}"
        )
    _print_by_kind("real-only CV by document kind (last fold seed)", cv["by_kind_last_seed"])
    if "communes_dev" in cv:
        out.print("communes on dev initiatives: " + json.dumps(cv["communes_dev"]))


def _print_by_kind(title: str, by_kind: dict[str, dict[str, float]]) -> None:
    keys = ("n", "initiative_f1", "initiative_in_qpv_f1", "types_micro_f1", "doc_kind_accuracy")
    table = Table(title=title)
    for col in ("kind", *keys):
        table.add_column(col)
    for kind, figures in by_kind.items():
        table.add_row(
            kind, *(f"{figures.get(k, 0.0):.3f}" if k != "n" else str(int(figures["n"])) for k in keys)
        )
    out.print(table)


def headlines(report: dict[str, Any]) -> dict[str, float]:
    """The figures the targets are set on, from one cross-validation report."""
    return {
        "initiative F1": report["initiative"]["f1"],
        "initiative-in-QPV F1": report["initiative_in_qpv"]["f1"],
        "types micro-F1": report["types"]["micro_f1"],
        "types macro-F1": report["types"]["macro_f1"],
        "doc kind accuracy": report["doc_kind"]["accuracy"],
    }


def print_report(report: dict[str, Any]) -> None:
    """Rich tables of a cross-validation report."""
    table = Table(title="Binary tasks")
    for col in ("task", "precision", "recall", "F1", "confusion [[tn, fp], [fn, tp]]"):
        table.add_column(col)
    for task in (
        "initiative",
        "initiative_in_qpv",
        "qpv_given_initiative",
        "initiative_in_qpv_classifier_only",
    ):
        r = report[task]
        table.add_row(task, str(r["precision"]), str(r["recall"]), str(r["f1"]), str(r["confusion"]))
    out.print(table)
    for name in ("types", "doc_kind"):
        r = report[name]
        per = Table(
            title=f"{name}: " + ", ".join(f"{k}={v}" for k, v in r.items() if k.endswith(("f1", "cy")))
        )
        for col in ("class", "precision", "recall", "F1", "support"):
            per.add_column(col)
        for cls, s in r["per_class"].items():
            per.add_row(cls, str(s["precision"]), str(s["recall"]), str(s["f1"]), str(s["support"]))
        out.print(per)
    kinds = report["doc_kind"]
    out.print("doc_kind confusion (rows = truth): " + ", ".join(kinds["labels"]))
    for label, row in zip(kinds["labels"], kinds["confusion"], strict=True):
        out.print(f"  {label:>18} {row}")


def print_comparison(comparison: dict[str, Any] | None) -> None:
    """The new and the promoted models side by side on the same held-out examples."""
    if not comparison:
        out.print("no promoted models to compare with")
        return
    seen = comparison.get("current_seen")
    head = (
        f"held-out comparison with {comparison['current_version']}: {comparison.get('n_compared')} of"
        f" {comparison['n_holdout']} held-out examples, "
        + (
            "unknown how many the current models saw"
            if seen is None
            else f"{seen} seen by the current models"
        )
    )
    if "skipped" in comparison:
        out.print(f"{head}: skipped ({comparison['skipped']})")
        return
    table = Table(title=head)
    for col in ("figure", "new", "current", "difference"):
        table.add_column(col)
    for key, new in comparison["candidate"].items():
        cur = comparison["current"][key]
        table.add_row(key, f"{new:.3f}", f"{cur:.3f}", f"{new - cur:+.3f}")
    out.print(table)
