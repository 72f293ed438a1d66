"""Texts we gathered ourselves: our labels in the repository, the texts outside, joined by id at training."""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import pytest

from core.errors import InputError
from core.settings import load_settings
from nlp.classifiers.evaluation import _fold_indices, make_task_data
from nlp.classifiers.examples import assign_groups, parse_example
from nlp.classifiers.gathered import LABELS_FILE, load_gathered_examples, text_sha256
from nlp.classifiers.training import load_training_examples
from tests.support.jsonl import write_jsonl

REPO = Path(__file__).resolve().parents[2]


def _text(i: int) -> str:
    return f"Texte {i} : l'association lance une épicerie solidaire dans le quartier de la Duchère."


def _label(i: int, **fields: object) -> dict[str, object]:
    return {
        "id": f"gx{i:04d}",
        "url": f"https://site{i}.example.fr/page",
        "text_sha256": text_sha256(_text(i)),
        "is_initiative": True,
        "in_qpv": True,
        "innovation_types": ["sociale", "services"],
        "doc_kind": "association",
        "communes": ["Lyon"],
    } | fields


@pytest.fixture
def gathered(tmp_path: Path) -> tuple[Path, Path]:
    (tmp_path / "annotations" / LABELS_FILE).parent.mkdir(parents=True)
    labels = write_jsonl(tmp_path / "annotations" / LABELS_FILE, [_label(i) for i in (1, 2, 3)])
    texts = write_jsonl(tmp_path / "texts.jsonl", [{"id": f"gx{i:04d}", "text": _text(i)} for i in (1, 2, 3)])
    return labels, texts


def test_labels_and_texts_join_by_id(gathered: tuple[Path, Path]) -> None:
    examples = load_gathered_examples(*gathered)
    assert [e.id for e in examples] == ["gx0001", "gx0002", "gx0003"]
    first = examples[0]
    assert first.text == _text(1) and first.origin == "gathered"
    assert first.innovation_types == ["sociale", "services"] and first.communes == ["Lyon"]


def test_without_texts_file_the_labels_are_not_used(
    gathered: tuple[Path, Path], caplog: pytest.LogCaptureFixture
) -> None:
    labels, texts = gathered
    with caplog.at_level(logging.WARNING):
        assert load_gathered_examples(labels, None) == []
        assert load_gathered_examples(labels, texts.with_name("absent.jsonl")) == []
    assert "VIGIE_GATHERED_TEXTS" in caplog.text


def test_a_missing_changed_or_unreadable_text_leaves_only_its_example_out(
    gathered: tuple[Path, Path], caplog: pytest.LogCaptureFixture
) -> None:
    labels, texts = gathered
    write_jsonl(
        texts,
        [
            {"id": "gx0001", "text": _text(1)},
            {"id": "gx0002", "text": _text(2) + " Modifié."},  # not the text that was labelled
            "{not json",
            {"id": "gx0009"},  # no text
        ],
    )
    with caplog.at_level(logging.WARNING):
        examples = load_gathered_examples(labels, texts)
    assert [e.id for e in examples] == ["gx0001"]
    assert "changed since labelled" in caplog.text and "missing" in caplog.text and "line=3" in caplog.text


@pytest.mark.parametrize(
    ("line", "message"),
    [("{not json", "not JSON"), ('{"is_initiative": true}', "string id")],
)
def test_a_bad_label_line_fails_with_its_number(gathered: tuple[Path, Path], line: str, message: str) -> None:
    labels, texts = gathered
    write_jsonl(labels, [_label(1), line])
    with pytest.raises(InputError, match=rf"labels.jsonl:2: .*{message}"):
        load_gathered_examples(labels, texts)


def test_a_bad_label_value_fails_with_its_number(gathered: tuple[Path, Path]) -> None:
    labels, texts = gathered
    write_jsonl(labels, [_label(1), _label(2, doc_kind="blog")])
    with pytest.raises(InputError, match=r"labels.jsonl:2: bad label record .*doc_kind"):
        load_gathered_examples(labels, texts)


def test_training_reads_them_when_the_texts_are_set(
    gathered: tuple[Path, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    labels, texts = gathered
    monkeypatch.setenv("VIGIE_SEED_ANNOTATIONS", str(tmp_path / "none.jsonl"))
    monkeypatch.setenv("VIGIE_POOL_ANNOTATIONS", str(tmp_path / "none.jsonl"))
    monkeypatch.setenv("VIGIE_ANNOTATIONS_DIR", str(tmp_path / "annotations"))
    monkeypatch.setenv("VIGIE_SPLITS_DIR", str(REPO / "data" / "splits"))
    monkeypatch.setenv("VIGIE_GATHERED_TEXTS", str(texts))
    examples = load_training_examples(load_settings())
    assert sorted(e.id for e in examples) == ["gx0001", "gx0002", "gx0003"]
    monkeypatch.delenv("VIGIE_GATHERED_TEXTS")
    with pytest.raises(InputError, match="no training examples"):
        load_training_examples(load_settings())


def test_a_train_only_text_of_a_test_site_stays_out_of_that_fold() -> None:
    """Folds on the scored texts; a gathered page of a test page's site never trains that fold."""
    scored = [
        parse_example(
            {
                "id": f"pl{i:04d}",
                "text": f"texte {i}",
                "is_initiative": i % 2 == 0,
                "url": f"https://s{i}.fr/a",
            },
            "pool/dev",
        )
        for i in range(10)
    ]
    extra = [
        parse_example(
            {"id": "gx0001", "text": "autre", "is_initiative": True, "url": "https://s3.fr/b"}, "gathered"
        ),
        parse_example(
            {"id": "gx0002", "text": "autre", "is_initiative": False, "url": "https://new.fr/c"}, "gathered"
        ),
    ]
    examples = assign_groups(scored + extra)
    data = make_task_data(examples, None)
    train_only = np.array([False] * 10 + [True, True])
    for train, test in _fold_indices(data, 5, 0, train_only):
        assert 11 in train  # a site no test text has: always trains
        assert (10 in train) == (3 not in test)
        assert not set(train) & set(test)
