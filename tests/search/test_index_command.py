"""`vigie index --rebuild` on Elasticsearch: the new index is merged into one segment unless told not to."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from elasticsearch import Elasticsearch
from typer.testing import CliRunner

from core.settings import get_settings
from tests.support.live_app import DOCS, seed
from vigie.cli import make_app
from vigie.wiring import make_search_engine


@pytest.fixture
def es_index(
    es_url: str, settings: Any, monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[Elasticsearch, str]]:
    """The test's settings on the real node, under an alias of its own (its indexes dropped afterwards)."""
    alias = f"vigie-test-{uuid.uuid4().hex[:10]}"
    monkeypatch.setenv("VIGIE_SEARCH_BACKEND", "elasticsearch")
    monkeypatch.setenv("VIGIE_ELASTICSEARCH_URL", es_url)
    monkeypatch.setenv("VIGIE_ELASTICSEARCH_INDEX", alias)
    monkeypatch.delenv("VIGIE_ELASTICSEARCH_MERGE", raising=False)
    get_settings.cache_clear()
    client = Elasticsearch(es_url)
    yield client, alias
    names = list(client.indices.get(index=f"{alias}-*", allow_no_indices=True).body)
    if names:
        client.indices.delete(index=",".join(names))
    client.close()
    get_settings.cache_clear()


@pytest.mark.elasticsearch
def test_index_rebuild_merges_unless_told_not_to(es_index: tuple[Elasticsearch, str], db: Any) -> None:
    """`--no-merge` (or VIGIE_ELASTICSEARCH_MERGE=false) skips the merge; either way the new index serves.

    The merge itself (two segments become one, same hits) is tested on the engine (`test_round_trips.py`).
    """
    client, alias = es_index
    seed(db[1])
    runner = CliRunner()
    kept = runner.invoke(make_app(), ["index", "--rebuild", "--no-merge"])
    assert kept.exit_code == 0, kept.output
    assert f"({len(DOCS)} in the index)" in kept.output
    merged = runner.invoke(make_app(), ["index", "--rebuild"])
    assert merged.exit_code == 0, merged.output
    assert f"({len(DOCS)} in the index)" in merged.output
    assert len(client.cat.segments(index=alias, format="json").body) == 1
    assert len(client.indices.get_alias(name=alias).body) == 1  # the old index is gone, the new one serves
    get_settings.cache_clear()
    bad = runner.invoke(make_app(), ["index", "--rebuild"], env={"VIGIE_ELASTICSEARCH_MERGE": "perhaps"})
    assert bad.exit_code != 0 and "VIGIE_ELASTICSEARCH_MERGE" in str(bad.exception), bad.output
    assert len(client.indices.get_alias(name=alias).body) == 1  # the refused run changed nothing


@pytest.mark.elasticsearch
def test_merge_setting_reaches_every_engine(
    es_index: tuple[Elasticsearch, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """VIGIE_ELASTICSEARCH_MERGE is a setting like the other Elasticsearch ones: every engine built from the
    settings honours it, not only `vigie index` (whose --merge/--no-merge option overrides it)."""
    merges = []
    for value in ("true", "false"):
        monkeypatch.setenv("VIGIE_ELASTICSEARCH_MERGE", value)
        get_settings.cache_clear()
        engine = make_search_engine(get_settings())
        merges.append((get_settings().elasticsearch_merge, getattr(engine, "force_merge", None)))
        engine.close()
    assert merges == [(True, True), (False, False)]
