"""Settings fail at start with a message naming the setting and the fix."""

from __future__ import annotations

import pytest

from core.errors import ConfigError
from core.settings import load_settings


def test_defaults_use_a_sqlite_file_in_the_data_dir(settings) -> None:
    assert settings.search_backend == "embedded"
    assert settings.resolved_database_url.startswith("sqlite:///")
    assert settings.resolved_database_url.endswith("/var/vigie.db")


def test_unknown_backend_names_the_variable(settings, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VIGIE_SEARCH_BACKEND", "solr")
    with pytest.raises(ConfigError) as err:
        load_settings()
    assert "VIGIE_SEARCH_BACKEND" in str(err.value)


def test_elasticsearch_backend_needs_its_url(settings, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VIGIE_SEARCH_BACKEND", "elasticsearch")
    monkeypatch.delenv("VIGIE_ELASTICSEARCH_URL", raising=False)
    with pytest.raises(ConfigError) as err:
        load_settings()
    assert "VIGIE_ELASTICSEARCH_URL" in str(err.value)


def test_missing_reference_dir_says_how_to_fix(settings, tmp_path) -> None:
    custom = load_settings(reference_dir=tmp_path / "nowhere")
    with pytest.raises(ConfigError) as err:
        custom.require_reference_dir()
    assert "VIGIE_REFERENCE_DIR" in str(err.value)
