"""The sources catalogue (``sources.yaml``): pydantic schema, loading and whole-file checks."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit

import yaml
from croniter import croniter
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from core.errors import ConfigError

DEFAULT_SOURCES_FILE = Path(__file__).resolve().parent / "sources.yaml"
SourceKind = Literal["press", "association", "call_for_projects", "institutional"]
NAMED_SCHEDULES = ("hourly", "daily", "weekly", "monthly")


def check_url(url: str) -> str:
    """Return ``url`` if it is an absolute http(s) URL with a host, else raise ``ValueError``."""
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"{url!r} is not an absolute http(s) URL (e.g. https://www.example.fr/actualites)")
    return url.strip()


def check_schedule(value: str) -> str:
    """Accept ``hourly``/``daily``/``weekly``/``monthly``, a 5-field cron string or an ``@daily`` alias."""
    text = value.strip()
    if text in NAMED_SCHEDULES:
        return text
    if not (text.startswith("@") or len(text.split()) == 5) or not croniter.is_valid(text):
        raise ValueError(
            f"schedule {value!r} is neither one of {NAMED_SCHEDULES} nor a valid 5-field cron string "
            "(e.g. '0 6 * * MON-FRI', '30 8 1 JAN,JUL *' or '@daily')"
        )
    return text


class SourceConfig(BaseModel):
    """One followed source: where to start, what to follow, what counts as an article."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(
        pattern=r"^[a-z0-9][a-z0-9_.-]{0,99}$", description="Stable slug, e.g. ouest-france-rennes"
    )
    name: str = Field(default="", description="Human name; defaults to the id")
    kind: SourceKind
    start_urls: list[str] = Field(default_factory=list, description="Listing pages to start from")
    feeds: list[str] = Field(default_factory=list, description="RSS/Atom feed URLs")
    sitemaps: list[str] = Field(default_factory=list, description="Sitemaps, sitemap indexes or robots.txt")
    allowed_domains: list[str] = Field(default_factory=list, description="Defaults to the URLs' hosts")
    article_patterns: list[str] = Field(default_factory=list, description="Regexes of article URLs")
    listing_patterns: list[str] = Field(
        default_factory=list, description="Regexes of listing/pagination URLs"
    )
    max_depth: int = Field(default=2, ge=0, le=10, description="Link depth followed from start URLs")
    language: str = Field(default="fr", pattern=r"^[a-z]{2}$", description="Expected language (ISO 639-1)")
    schedule: str = Field(default="daily", description="hourly, daily, weekly, monthly or 5-field cron")

    @field_validator("start_urls", "feeds", "sitemaps")
    @classmethod
    def _urls(cls, values: list[str]) -> list[str]:
        return [check_url(v) for v in values]

    @field_validator("article_patterns", "listing_patterns")
    @classmethod
    def _regexes(cls, values: list[str]) -> list[str]:
        for value in values:
            try:
                re.compile(value)
            except re.error as exc:
                raise ValueError(f"{value!r} is not a valid regular expression: {exc}") from exc
        return values

    @field_validator("allowed_domains")
    @classmethod
    def _domains(cls, values: list[str]) -> list[str]:
        for value in values:
            if "/" in value or ":" in value or "." not in value:
                raise ValueError(f"{value!r} is not a bare domain (write www.example.fr, no scheme or path)")
        return [v.lower() for v in values]

    @field_validator("schedule")
    @classmethod
    def _schedule(cls, value: str) -> str:
        return check_schedule(value)

    @model_validator(mode="after")
    def _has_entry_point(self) -> SourceConfig:
        if not (self.start_urls or self.feeds or self.sitemaps):
            raise ValueError("a source needs at least one of start_urls, feeds or sitemaps")
        return self

    @property
    def label(self) -> str:
        """The name to show, falling back to the id."""
        return self.name or self.id

    @property
    def domains(self) -> list[str]:
        """Allowed domains: the configured ones, or the hosts of every configured URL."""
        if self.allowed_domains:
            return list(self.allowed_domains)
        hosts = {urlsplit(u).hostname or "" for u in (*self.start_urls, *self.feeds, *self.sitemaps)}
        return sorted(h for h in hosts if h)

    def all_urls(self) -> list[str]:
        """Every entry URL of the source."""
        return [*self.start_urls, *self.feeds, *self.sitemaps]


def _format_error(index: int, raw: Any, exc: ValidationError) -> list[str]:
    source_id = raw.get("id", f"#{index + 1}") if isinstance(raw, dict) else f"#{index + 1}"
    problems = []
    for err in exc.errors():
        field = ".".join(str(p) for p in err["loc"]) or "(source)"
        problems.append(f"source {source_id!s}: field {field}: {err['msg']}")
    return problems


def _read_entries(path: Path) -> list[Any]:
    if not path.is_file():
        raise ConfigError(
            f"sources file not found: {path}", hint="pass --sources FILE or create crawler/sources.yaml"
        )
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        raise ConfigError(
            f"{path} is not valid YAML: {exc}", hint="fix the YAML syntax at the line shown"
        ) from exc
    entries = data.get("sources") if isinstance(data, dict) else data
    if not isinstance(entries, list):
        raise ConfigError(
            f"{path} holds no list of sources",
            hint="write a top-level `sources:` key holding a list of sources",
        )
    return entries


def check_sources(path: Path) -> tuple[list[SourceConfig], list[str]]:
    """Validate a sources file: return the valid sources and every problem found (schema, duplicates)."""
    sources: list[SourceConfig] = []
    problems: list[str] = []
    for index, raw in enumerate(_read_entries(path)):
        if not isinstance(raw, dict):
            problems.append(f"source #{index + 1}: is a {type(raw).__name__}, expected a mapping of fields")
            continue
        try:
            sources.append(SourceConfig.model_validate(raw))
        except ValidationError as exc:
            problems.extend(_format_error(index, raw, exc))
    seen_ids: set[str] = set()
    seen_urls: dict[str, str] = {}
    for source in sources:
        if source.id in seen_ids:
            problems.append(f"source {source.id}: field id: duplicate id (ids must be unique)")
        seen_ids.add(source.id)
        for url in source.all_urls():
            other = seen_urls.setdefault(url, source.id)
            if other != source.id:
                problems.append(f"source {source.id}: URL {url} is also listed by source {other}")
    return sources, problems


def load_sources(path: Path | str = DEFAULT_SOURCES_FILE) -> list[SourceConfig]:
    """Load and validate a sources file; raise ``ConfigError`` listing every problem (source id and field)."""
    path = Path(path)
    sources, problems = check_sources(path)
    if problems:
        raise ConfigError(
            f"{path}: {len(problems)} problem(s): " + "; ".join(problems),
            hint="fix the fields named above (see docs/crawler.md, sources.yaml schema)",
        )
    return sources


def make_adhoc_source(
    *, url: str | None = None, sitemap: str | None = None, feed: str | None = None, kind: str = "press"
) -> SourceConfig:
    """A one-off source for ``vigie crawl --url/--sitemap/--feed``: id derived from the host."""
    entry = url or sitemap or feed
    if not entry:
        raise ConfigError("an ad hoc crawl needs a URL", hint="pass --url, --sitemap or --feed")
    try:
        host = urlsplit(check_url(entry)).hostname or "adhoc"
        return SourceConfig(
            id=re.sub(r"[^a-z0-9_.-]", "-", f"adhoc-{host}".lower())[:100],
            name=entry,
            kind=kind,  # type: ignore[arg-type]  # validated by pydantic
            start_urls=[url] if url else [],
            sitemaps=[sitemap] if sitemap else [],
            feeds=[feed] if feed else [],
            max_depth=1,
        )
    except (ValueError, ValidationError) as exc:
        raise ConfigError(
            f"cannot crawl {entry!r} as {kind!r}: {exc}",
            hint="give an http(s) URL and a kind among press, association, call_for_projects, institutional",
        ) from exc
