"""The sources.yaml schema: valid files load, bad fields are named with their source id."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from core.errors import ConfigError
from crawler.sources import DEFAULT_SOURCES_FILE, check_sources, load_sources, make_adhoc_source
from vigie.cli import make_app


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "sources.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_the_shipped_example_file_is_valid() -> None:
    sources = load_sources(DEFAULT_SOURCES_FILE)
    assert {s.kind for s in sources} == {"press", "association", "call_for_projects"}
    assert all(s.language == "fr" for s in sources)


def test_defaults_and_derived_domains(tmp_path: Path) -> None:
    path = _write(tmp_path, "sources:\n  - {id: a, kind: press, feeds: ['https://www.a.fr/rss']}\n")
    (source,) = load_sources(path)
    assert (source.language, source.schedule, source.max_depth, source.label) == ("fr", "daily", 2, "a")
    assert source.domains == ["www.a.fr"]


@pytest.mark.parametrize(
    ("entry", "field"),
    [
        ("{id: a, kind: blog, feeds: ['https://a.fr/rss']}", "kind"),
        ("{id: a, kind: press, feeds: ['ftp://a.fr/rss']}", "feeds"),
        ("{id: a, kind: press, feeds: ['https://a.fr/rss'], schedule: 'every day'}", "schedule"),
        ("{id: a, kind: press, feeds: ['https://a.fr/rss'], schedule: '61 * * * *'}", "schedule"),
        ("{id: a, kind: press, feeds: ['https://a.fr/rss'], article_patterns: ['(']}", "article_patterns"),
        ("{id: a, kind: press, feeds: ['https://a.fr/rss'], max_depth: -1}", "max_depth"),
        ("{id: a, kind: press, feeds: ['https://a.fr/rss'], colour: red}", "colour"),
        ("{id: a, kind: press}", "(source)"),
        ("{id: 'Bad Id', kind: press, feeds: ['https://a.fr/rss']}", "id"),
    ],
)
def test_bad_fields_are_named_with_the_source(tmp_path: Path, entry: str, field: str) -> None:
    path = _write(tmp_path, f"sources:\n  - {entry}\n")
    with pytest.raises(ConfigError) as err:
        load_sources(path)
    assert f"field {field}" in str(err.value)
    assert "source " in str(err.value) and err.value.hint


def test_duplicates_ids_and_urls_are_reported(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        "sources:\n"
        "  - {id: a, kind: press, feeds: ['https://a.fr/rss']}\n"
        "  - {id: a, kind: press, feeds: ['https://b.fr/rss']}\n"
        "  - {id: c, kind: association, feeds: ['https://a.fr/rss']}\n",
    )
    sources, problems = check_sources(path)
    assert len(sources) == 3
    assert any("duplicate id" in p for p in problems)
    assert any("also listed by source a" in p for p in problems)


def test_unreadable_files_are_config_errors(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="not found"):
        load_sources(tmp_path / "missing.yaml")
    with pytest.raises(ConfigError, match="not valid YAML"):
        load_sources(_write(tmp_path, "sources: [\n"))
    with pytest.raises(ConfigError, match="no list of sources"):
        load_sources(_write(tmp_path, "hello: 1\n"))


def test_adhoc_sources() -> None:
    source = make_adhoc_source(sitemap="http://127.0.0.1:8123/sitemap.xml", kind="association")
    assert (source.kind, source.sitemaps, source.domains) == (
        "association",
        [source.sitemaps[0]],
        ["127.0.0.1"],
    )
    with pytest.raises(ConfigError):
        make_adhoc_source(url="not a url")


def test_sources_check_command(tmp_path: Path) -> None:
    runner = CliRunner()
    ok = runner.invoke(make_app(), ["sources", "check", str(DEFAULT_SOURCES_FILE)])
    assert ok.exit_code == 0, ok.output
    assert "3 source(s), all valid" in ok.output
    bad = _write(tmp_path, "sources:\n  - {id: x, kind: radio, feeds: ['https://a.fr/rss']}\n")
    result = runner.invoke(make_app(), ["sources", "check", str(bad)])
    assert result.exit_code == 1
    assert "source x: field kind" in result.output


def test_crawl_rejects_unknown_source_ids_and_kinds(settings) -> None:
    runner = CliRunner()
    result = runner.invoke(make_app(), ["crawl", "--source", "nope"])
    assert result.exit_code != 0
    assert "unknown source id(s) nope" in str(result.exception) + result.output
    result = runner.invoke(make_app(), ["crawl", "--url", "http://127.0.0.1:9/", "--kind", "blog"])
    assert result.exit_code != 0
    assert "unknown kind 'blog'" in str(result.exception) + result.output
