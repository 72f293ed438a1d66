"""CLI commands: index, search, evaluate search."""

from __future__ import annotations

import dataclasses
import json
import logging
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

import typer
from rich.console import Console
from rich.progress import Progress
from rich.table import Table
from sqlalchemy.orm import Session, sessionmaker

from core.domain import Analysis, SearchQuery
from core.errors import InputError, VigieError
from core.ids import check_half, in_half
from core.inputs import BadLine, iter_input_lines
from core.settings import get_settings
from search_api.engines.base import BulkReport, IndexDocument, SearchEngine
from vigie.stages import store_analysed

log = logging.getLogger(__name__)
err = Console(stderr=True)


def _open_bytes(path: Path) -> IO[bytes]:
    if str(path) == "-":
        return sys.stdin.buffer
    try:
        return path.open("rb")
    except OSError as exc:
        raise InputError(
            f"cannot read {path}: {exc.strerror or exc}", hint="give an existing JSONL file, or '-' for stdin"
        ) from exc


def _read_lines(path: Path) -> tuple[list[dict[str, Any]], dict[int, str]]:
    """Parse JSONL lines; bad ones (encoding, JSON, id, surrogates, duplicates) come back as
    ``{line_number: reason}`` and never stop the others. Texts are cut at `MAX_TEXT_CHARS`."""
    items: list[dict[str, Any]] = []
    bad: dict[int, str] = {}
    with _open_bytes(path) as handle:
        for item in iter_input_lines(handle):
            if isinstance(item, BadLine):
                bad[item.line] = item.reason
            elif not isinstance(item.data.get("text"), str) and "is_initiative" not in item.data:
                bad[item.line] = 'needs a string "text"'
            else:
                items.append(item.data)
    return items, bad


def _analyse(
    items: list[dict[str, Any]], settings: Any, bad: dict[int, str]
) -> list[tuple[dict[str, Any], Analysis]]:
    """Pair each line with its analysis: taken as is when already analysed, else from the pipeline."""
    done: list[tuple[dict[str, Any], Analysis]] = []
    raw = []
    for item in items:
        if "is_initiative" in item:
            try:
                done.append((item, Analysis.from_contract(item)))
            except (KeyError, TypeError, ValueError) as exc:
                bad[item["_line"]] = f"not a valid analysis line ({exc})"
        else:
            raw.append(item)
    if raw:
        done.extend(_run_analyzer(raw, settings, bad))
    return done


def _run_analyzer(
    raw: list[dict[str, Any]], settings: Any, bad: dict[int, str]
) -> list[tuple[dict[str, Any], Any]]:
    from vigie.wiring import make_analyzer

    try:
        analyzer = make_analyzer(settings)
    except (NotImplementedError, VigieError) as exc:
        for item in raw:
            bad[item["_line"]] = f"raw line, but the analysis pipeline cannot run: {exc}"
        return []
    by_id = {item["id"]: item for item in raw}
    inputs = [{k: item.get(k) for k in ("id", "text", "url", "title")} for item in raw]
    out = []
    for result in analyzer.analyze_many(inputs):
        matched = by_id.get(str(getattr(result, "id", "")))
        if matched is None:
            continue
        if isinstance(result, Analysis):
            out.append((matched, result))
        else:
            bad[matched["_line"]] = f"analysis failed: {getattr(result, 'reason', result)}"
    return out


def _index_all(
    factory: sessionmaker[Session], engine: SearchEngine, ids: list[str] | None, rebuild: bool
) -> BulkReport:
    """Index (or rebuild) from the system of record with a progress bar."""
    from search_api.engines.documents import engine_max_passages, iter_documents

    embedder = getattr(engine, "embedder", None)
    report = BulkReport()
    with Progress(console=err, transient=True) as progress:
        task = progress.add_task("indexation", total=len(ids) if ids is not None else None)

        def docs() -> Iterator[list[IndexDocument]]:
            for batch in iter_documents(factory, embedder, ids, engine_max_passages(engine)):
                progress.advance(task, len(batch))
                yield batch

        if rebuild:
            report = engine.rebuild(doc for batch in docs() for doc in batch)
        else:
            for batch in docs():
                report.merge(engine.index_documents(batch))
    return report


def index(
    input_file: Path | None = typer.Argument(
        None, metavar="[INPUT.jsonl]", help="Lines to analyse and index ('-' = stdin)."
    ),
    rebuild: bool = typer.Option(
        False, "--rebuild", help="Build a new index from the database and switch to it."
    ),
    outbox_only: bool = typer.Option(
        False, "--outbox", help="Only index the documents waiting in the index outbox (review changes)."
    ),
    merge: bool | None = typer.Option(
        None,
        "--merge/--no-merge",
        help="Elasticsearch: merge a rebuilt index into one segment before it serves (faster semantic"
        " queries; about a minute per 100,000 documents); default: VIGIE_ELASTICSEARCH_MERGE (on)."
        " Incremental indexing never merges.",
    ),
) -> None:
    """Index documents: a JSONL file (raw or already analysed lines), or every analysed page.

    Every run also drains the index outbox (review changes not yet indexed, e.g. after a crash).
    """
    from search_api.engines.outbox import drain_outbox
    from vigie.index_identity import get_index_embedder, is_stale, save_index_embedder
    from vigie.wiring import make_search_engine, open_db

    settings = get_settings()
    if input_file is not None and str(input_file) != "-" and not input_file.is_file():
        raise InputError(
            f"input file not found: {input_file}", hint="give a JSONL file path or '-' for stdin"
        )
    _, factory = open_db(settings)
    if merge is not None:  # the option wins over VIGIE_ELASTICSEARCH_MERGE
        settings = settings.model_copy(update={"elasticsearch_merge": merge})
    engine = make_search_engine(settings)
    embedder = getattr(engine, "embedder", None)
    stale = embedder is not None and is_stale(settings, embedder.name)
    if outbox_only and not stale:  # a stale index is rebuilt whole below, outbox included
        drained = drain_outbox(factory, engine)
        typer.echo(f"indexed {drained} document(s) from the outbox in {engine.name}")
        engine.close()
        return
    bad: dict[int, str] = {}
    ids = None
    if input_file is not None:
        items, bad = _read_lines(input_file)
        ids = store_analysed(factory, _analyse(items, settings, bad), bad)
    if embedder is not None and stale:
        # The index holds another encoder's vectors: updating part of it would mix two vector spaces.
        err.print(
            f"the index's vectors come from {get_index_embedder(settings)}, the embedder is {embedder.name}:"
            " rebuilding the whole index",
            highlight=False,
            soft_wrap=True,
        )
        rebuild = True
    report = _index_all(factory, engine, None if rebuild else ids, rebuild)
    if embedder is not None:
        save_index_embedder(settings, embedder.name)
    from search_api.engines.documents import drop_moved_ids

    drop_moved_ids(factory, engine)  # old ids of pages re-keyed by a canonicalisation change
    drain_outbox(factory, engine)
    for number in sorted(bad):
        err.print(f"line {number}: {bad[number]}", highlight=False)
    for doc_id, reason in report.errors.items():
        err.print(f"document {doc_id}: rejected by the engine: {reason}", highlight=False)
    typer.echo(f"indexed {report.indexed} document(s) in {engine.name} ({engine.count()} in the index)")
    engine.close()
    if bad or report.errors:
        raise typer.Exit(2)


def _parse_filter_options(values: list[str]) -> dict[str, list[str]]:
    filters: dict[str, list[str]] = {}
    for value in values:
        name, sep, item = value.partition("=")
        if not sep or not item:
            raise InputError(f"--filter {value!r} is not field=value", hint="e.g. --filter region=93")
        filters.setdefault(name.strip(), []).append(item.strip())
    return filters


def search(
    query: str = typer.Argument(..., help="Words to look for, in French."),
    limit: int = typer.Option(10, "--limit", "-n", min=1, max=100, help="Number of hits."),
    mode: str = typer.Option("hybrid", "--mode", help="hybrid, keyword or semantic."),
    filters: list[str] = typer.Option(
        [], "--filter", help="field=value, repeatable (region=93, in_qpv=true...)."
    ),
    as_json: bool = typer.Option(False, "--json", help='Print [{"id","score","title","highlights"}].'),
) -> None:
    """Search the index; the same ranking as GET /api/search."""
    from vigie.wiring import make_search_engine

    settings = get_settings()
    engine = make_search_engine(settings)
    parsed: dict[str, Any] = {k: (v if k not in ("date_from", "date_to", "min_score") else v[0])
                              for k, v in _parse_filter_options(filters).items()}  # fmt: skip
    result = engine.search(SearchQuery(text=query, mode=mode, filters=parsed, size=limit))  # type: ignore[arg-type]
    engine.close()
    if as_json:
        out = []
        for hit in result.hits:
            line: dict[str, Any] = {"id": hit.id, "score": hit.score}
            if hit.title:
                line["title"] = hit.title
            if hit.highlights:
                line["highlights"] = hit.highlights
            out.append(line)
        typer.echo(json.dumps(out, ensure_ascii=False))
        return
    table = Table(title=f"{result.total} document(s) — {query!r} ({mode})")
    for column in ("#", "id", "score", "title"):
        table.add_column(column)
    for rank, hit in enumerate(result.hits, start=1):
        table.add_row(str(rank), hit.id, f"{hit.score:.4f}", hit.title or "")
    Console().print(table)


def evaluate_search(
    queries: Path = typer.Option(..., "--queries", exists=True, dir_okay=False, help="Judged queries JSONL."),
    corpus: Path | None = typer.Option(
        None, "--corpus", help="Corpus JSONL (default: VIGIE_SEED_ANNOTATIONS)."
    ),
    k: int = typer.Option(10, "--k", min=1, help="Cut-off of nDCG and recall."),
    rrf_k: int = typer.Option(60, "--rrf-k", help="Reciprocal rank fusion constant."),
    fusion: str = typer.Option("convex", "--fusion", help="Hybrid fusion: convex or rrf."),
    keyword_weight: float = typer.Option(1.0, "--keyword-weight"),
    semantic_weight: float = typer.Option(1.0, "--semantic-weight"),
    output: Path | None = typer.Option(None, "--output", help="Also write the scores as JSON here."),
    half: str = typer.Option(
        "all", "--half", help="Only queries whose qid ends in an even or odd number (all, even, odd)."
    ),
    analyses: Path | None = typer.Option(
        None,
        "--analyses",
        exists=True,
        dir_okay=False,
        help="`vigie analyze` output of the corpus: facets and signals for query understanding.",
    ),
    analyse: bool = typer.Option(
        False, "--analyse", help="Run the analysis pipeline on the corpus first (slow; see --analyses)."
    ),
    understand: bool = typer.Option(
        True, "--understand/--no-understand", help="Hybrid mode reads places, intents and signals."
    ),
    prf_docs: int = typer.Option(5, "--prf-docs", min=0, help="Feedback documents of hybrid (0: none)."),
    prf_weight: float = typer.Option(0.5, "--prf-weight", min=0.0),
    keyword_prf_docs: int = typer.Option(
        0, "--keyword-prf-docs", min=0, help="Keyword feedback documents of hybrid (0, the default: none)."
    ),
    thesaurus_weight: float = typer.Option(
        0.5, "--thesaurus-weight", min=0.0, help="Thesaurus list weight in hybrid (0: off)."
    ),
    signal_weights: list[str] = typer.Option(
        [],
        "--signal-weight",
        help="name=weight of an analysis signal (place, qpv, initiative, kind, type, prior).",
    ),
) -> None:
    """Index the corpus in a throwaway embedded engine; print nDCG@k and recall@k per mode.

    Tune a weight with ``--half even`` and report it with ``--half odd``.
    """
    from search_api.engines.embedded import EmbeddedEngine
    from search_api.engines.embedding_cache import CachedEmbedder
    from search_api.engines.evaluation import MODES, evaluate, index_corpus, load_queries
    from search_api.engines.ranking import RankingConfig
    from vigie.wiring import make_embedder, make_query_place_linker

    settings = get_settings()
    corpus = corpus or settings.seed_annotations
    if corpus is None or not corpus.is_file():
        raise InputError(
            f"corpus file not found: {corpus}", hint="pass --corpus or set VIGIE_SEED_ANNOTATIONS"
        )
    check_half(half)
    judged = [q for q in load_queries(queries) if in_half(q.qid, half)]
    if not judged:
        raise InputError(
            f"no query of {queries} is in the {half} half", hint="qids must end with a number, e.g. q07"
        )
    embedder = CachedEmbedder(make_embedder(), settings.data_dir / "search" / "embeddings.sqlite")
    ranking = RankingConfig(
        rrf_k=rrf_k, keyword_weight=keyword_weight, semantic_weight=semantic_weight, fusion=fusion,
        understand=understand, prf_docs=prf_docs, prf_weight=prf_weight, keyword_prf_docs=keyword_prf_docs,
        thesaurus_weight=thesaurus_weight,
    )  # fmt: skip
    ranking.signal_weights.update(_parse_weights(signal_weights))
    ranking.__post_init__()
    analysed = _corpus_analyses(corpus, analyses, analyse, settings)
    with tempfile.TemporaryDirectory(prefix="vigie-eval-") as tmp:
        engine = EmbeddedEngine(
            Path(tmp) / "index", embedder=embedder, ranking=ranking,
            place_linker=make_query_place_linker(settings) if understand else None,
            max_passages=settings.search_max_passages,
        )  # fmt: skip
        with err.status("indexing the corpus (embeddings are cached by content hash)"):
            count = index_corpus(engine, embedder, corpus, analyses=analysed)
        scores = evaluate(engine, judged, k=k)
    label = "" if half == "all" else f" ({half} half)"
    table = Table(title=f"search quality: {len(judged)} queries{label}, {count} documents")
    for column in ("mode", f"nDCG@{k}", f"recall@{k}"):
        table.add_column(column)
    for mode in MODES:
        table.add_row(mode, f"{scores[mode].ndcg:.4f}", f"{scores[mode].recall:.4f}")
    Console().print(table)
    gain = scores["hybrid"].ndcg / scores["keyword"].ndcg if scores["keyword"].ndcg else 0.0
    typer.echo(f"hybrid / keyword nDCG@{k}: {gain:.3f}")
    if output:
        payload = {
            m: {"ndcg": s.ndcg, "recall": s.recall, "per_query": s.per_query} for m, s in scores.items()
        }
        output.write_text(
            json.dumps(
                {
                    "k": k,
                    "half": half,
                    "queries": len(judged),
                    "documents": count,
                    "analysed": len(analysed or {}),
                    "ranking": dataclasses.asdict(ranking),
                    **payload,
                },
                indent=2,
            )  # fmt: skip
        )


def _parse_weights(values: list[str]) -> dict[str, float]:
    out = {}
    for value in values:
        name, sep, number = value.partition("=")
        try:
            out[name.strip()] = float(number)
        except ValueError:
            sep = ""
        if not sep:
            raise InputError(
                f"--signal-weight {value!r} is not name=number", hint="e.g. --signal-weight kind=0.2"
            )
    return out


def _corpus_analyses(
    corpus: Path, analyses: Path | None, analyse: bool, settings: Any
) -> dict[str, dict[str, Any]] | None:
    """Analyses of the corpus lines: read from ``analyses``, computed by the pipeline, or none."""
    from search_api.engines.evaluation import iter_corpus, load_analyses

    if analyses is not None:
        return load_analyses(analyses)
    if not analyse:
        return None
    items = [dict(item, _line=n) for n, item in enumerate(iter_corpus(corpus), start=1)]
    bad: dict[int, str] = {}
    with err.status(f"analysing {len(items)} corpus texts"):
        pairs = _run_analyzer(items, settings, bad)
    for number in sorted(bad):
        err.print(f"corpus line {number}: {bad[number]}", highlight=False)
    return {item["id"]: analysis.to_contract() for item, analysis in pairs}


def register(app: typer.Typer, groups: dict[str, typer.Typer]) -> None:
    """Add this module's commands to the CLI."""
    app.command("index")(index)
    app.command("search")(search)
    groups["evaluate"].command("search")(evaluate_search)
