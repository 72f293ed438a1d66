"""The real pool as training data: dev/blind split, label corrections, blind ids never trained on."""

from __future__ import annotations

from pathlib import Path

import pytest

from core.errors import InputError
from core.settings import Settings, load_settings
from nlp.classifiers.pool import load_corrections, load_pool_examples, load_split
from nlp.classifiers.training import load_blind_examples, load_training_examples
from tests.support.jsonl import write_jsonl

REPO = Path(__file__).resolve().parents[2]


def _record(i: int, **labels: object) -> dict[str, object]:
    return {
        "id": f"pl{i:04d}",
        "url": f"https://site{i}.example.fr/page",
        "text": f"Texte {i} : l'association lance un atelier dans le quartier.",
        "is_initiative": True,
        "in_qpv": True,
        "innovation_types": ["sociale"],
        "doc_kind": "press",
        "communes": ["Lyon"],
    } | labels


@pytest.fixture
def pool_env(tmp_path: Path) -> Path:
    """A pool of six records: dev 1-3, blind 4-5, id 6 in neither part."""
    write_jsonl(tmp_path / "pool.jsonl", [_record(i) for i in range(1, 7)])
    splits = tmp_path / "splits"
    splits.mkdir()
    (splits / "pool-dev.txt").write_text("pl0001\npl0002\npl0003\n", encoding="utf-8")
    (splits / "pool-blind.txt").write_text("pl0004\npl0005\n", encoding="utf-8")
    return tmp_path


def test_each_part_holds_its_ids_only(pool_env: Path) -> None:
    dev = load_pool_examples(pool_env / "pool.jsonl", pool_env / "splits", "dev")
    blind = load_pool_examples(pool_env / "pool.jsonl", pool_env / "splits", "blind")
    assert [e.id for e in dev] == ["pl0001", "pl0002", "pl0003"]
    assert [e.id for e in blind] == ["pl0004", "pl0005"]
    assert dev[0].communes == ["Lyon"] and dev[0].origin == "pool/dev"


def test_corrections_override_the_labels_of_both_parts(pool_env: Path) -> None:
    corrections = write_jsonl(
        pool_env / "pool-corrections.jsonl",
        [
            {"id": "pl0002", "is_initiative": False, "in_qpv": None, "innovation_types": []},
            {"id": "pl0004", "doc_kind": "association"},
            {"id": "pl0002", "doc_kind": "other"},  # a later line adds to the same id
        ],
    )
    dev = {
        e.id: e for e in load_pool_examples(pool_env / "pool.jsonl", pool_env / "splits", "dev", corrections)
    }
    assert not dev["pl0002"].is_initiative and dev["pl0002"].innovation_types == []
    assert dev["pl0002"].doc_kind == "other"
    assert dev["pl0001"].is_initiative and dev["pl0001"].doc_kind == "press"
    blind = load_pool_examples(pool_env / "pool.jsonl", pool_env / "splits", "blind", corrections)
    assert blind[0].doc_kind == "association"


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ('{"id": "pl0001", "text": "autre texte"}', "cannot be corrected"),
        ('{"is_initiative": true}', "string id"),
        ("{not json", "not JSON"),
    ],
)
def test_a_bad_correction_line_fails_with_its_number(pool_env: Path, line: str, message: str) -> None:
    path = write_jsonl(pool_env / "pool-corrections.jsonl", [{"id": "pl0001", "in_qpv": False}, line])
    with pytest.raises(InputError, match=rf"pool-corrections.jsonl:2: .*{message}"):
        load_corrections(path)


def test_a_correction_with_a_bad_label_fails_on_load(pool_env: Path) -> None:
    corrections = write_jsonl(pool_env / "c.jsonl", [{"id": "pl0003", "doc_kind": "blog"}])
    with pytest.raises(InputError, match="pool.jsonl:3: bad pool record .*unknown doc_kind 'blog'"):
        load_pool_examples(pool_env / "pool.jsonl", pool_env / "splits", "dev", corrections)


def test_overlapping_parts_are_refused(pool_env: Path) -> None:
    (pool_env / "splits" / "pool-blind.txt").write_text("pl0003\npl0004\n", encoding="utf-8")
    with pytest.raises(InputError, match="both dev and blind"):
        load_split(pool_env / "splits")


def _settings(pool_env: Path, annotations: Path) -> Settings:
    return load_settings(
        seed_annotations=None,
        pool_annotations=pool_env / "pool.jsonl",
        splits_dir=pool_env / "splits",
        annotations_dir=annotations,
    )


def test_training_never_sees_a_blind_id_from_any_source(pool_env: Path) -> None:
    annotations = pool_env / "annotations"
    annotations.mkdir()
    # A written file that (wrongly) holds a blind id and a correction file: neither is trained on as such.
    write_jsonl(annotations / "ours.jsonl", [_record(5) | {"id": "pl0005"}, _record(9) | {"id": "vg-9"}])
    write_jsonl(annotations / "pool-corrections.jsonl", [{"id": "pl0001", "in_qpv": False}])
    settings = _settings(pool_env, annotations)
    ids = {e.id for e in load_training_examples(settings, written=True)}
    assert ids == {"pl0001", "pl0002", "pl0003", "vg-9"}
    assert {e.id for e in load_training_examples(settings, written=False)} == {"pl0001", "pl0002", "pl0003"}
    assert {e.id for e in load_blind_examples(settings)} == {"pl0004", "pl0005"}
    by_id = {e.id: e for e in load_training_examples(settings, written=False)}
    assert by_id["pl0001"].in_qpv is False


def test_the_real_training_set_holds_no_blind_id(shared_dir: Path) -> None:
    """With the shared pool and the frozen split: seed + dev (+ written), never a blind id."""
    settings = load_settings(
        seed_annotations=shared_dir / "data" / "annotations-seed" / "seed.jsonl",
        pool_annotations=shared_dir / "data" / "annotations-pool" / "pool.jsonl",
        splits_dir=REPO / "data" / "splits",
        annotations_dir=REPO / "data" / "annotations",
    )
    blind = load_split(settings.splits_dir).blind
    ids = {e.id for e in load_training_examples(settings)}
    assert len(blind) == 270 and not ids & blind
    assert sum(i.startswith("pl") for i in ids) == 818
