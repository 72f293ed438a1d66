"""Download the reference files into a folder, check them, and only then swap them in."""

from __future__ import annotations

import hashlib
import json
import logging
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import httpx

from core.errors import ReferenceDataError
from nlp.geo.reference import CONTOURS_FILE, load_reference
from nlp.geo.spatial import QpvPolygonIndex

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class ReferenceFile:
    """One file of the reference folder and the official dataset it is built from."""

    name: str
    official_source: str


# The official datasets (docs/geo.md explains how each file is derived from them).
REFERENCE_FILES: tuple[ReferenceFile, ...] = (
    ReferenceFile(
        "qpv_2024.csv",
        "https://www.data.gouv.fr/fr/datasets/quartiers-prioritaires-de-la-politique-de-la-ville-qpv/",
    ),
    ReferenceFile(
        "qpv_2024_communes.csv",
        "https://www.data.gouv.fr/fr/datasets/quartiers-prioritaires-de-la-politique-de-la-ville-qpv/",
    ),
    ReferenceFile(
        CONTOURS_FILE,
        "https://static.data.gouv.fr/resources/quartiers-prioritaires-de-la-politique-de-la-ville-qpv/"
        "20260115-204323/qpv-2024-geojson.zip",
    ),
    ReferenceFile("communes.csv", "https://www.data.gouv.fr/fr/datasets/code-officiel-geographique-cog/"),
    ReferenceFile(
        "communes_deleguees_associees.csv",
        "https://www.data.gouv.fr/fr/datasets/code-officiel-geographique-cog/",
    ),
    ReferenceFile(
        "codes_postaux.csv", "https://www.data.gouv.fr/fr/datasets/base-officielle-des-codes-postaux/"
    ),
    ReferenceFile("departements.csv", "https://www.data.gouv.fr/fr/datasets/code-officiel-geographique-cog/"),
    ReferenceFile("regions.csv", "https://www.data.gouv.fr/fr/datasets/code-officiel-geographique-cog/"),
    ReferenceFile("epci.csv", "https://www.data.gouv.fr/fr/datasets/base-nationale-sur-lintercommunalite/"),
)
MANIFEST_FILE = "FETCHED.json"

Progress = Callable[[str, int], None]


def fetch_reference(
    base_url: str, dest: Path, client: httpx.Client | None = None, progress: Progress | None = None
) -> dict[str, dict[str, object]]:
    """Download every reference file from ``base_url/<name>`` into ``dest``, atomically.

    Files are written to a temporary folder next to ``dest`` and checked with the same loaders the
    linker uses; ``dest`` is only touched when every file is good, so a failed fetch leaves the
    previous data intact.
    """
    dest = Path(dest)
    try:
        dest.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=".fetch-", dir=dest))
    except OSError as exc:
        raise ReferenceDataError(
            f"cannot write reference files into {dest}: {exc}", hint="pass --dest with a writable folder"
        ) from exc
    owned = client is None
    http = client or httpx.Client(timeout=60.0, follow_redirects=True)
    try:
        manifest = {f.name: _download(http, base_url, f, staging, progress) for f in REFERENCE_FILES}
        load_reference(staging)
        QpvPolygonIndex.from_reference_dir(staging)
        for item in REFERENCE_FILES:
            (staging / item.name).replace(dest / item.name)
        (dest / MANIFEST_FILE).write_text(
            json.dumps(manifest, indent=2, ensure_ascii=False), encoding="utf-8"
        )
        logger.info("reference fetched base_url=%s dest=%s files=%d", base_url, dest, len(manifest))
        return manifest
    finally:
        shutil.rmtree(staging, ignore_errors=True)
        if owned:
            http.close()


def _download(
    http: httpx.Client, base_url: str, item: ReferenceFile, staging: Path, progress: Progress | None
) -> dict[str, object]:
    url = f"{base_url.rstrip('/')}/{item.name}"
    digest = hashlib.sha256()
    size = 0
    try:
        with http.stream("GET", url) as response:
            response.raise_for_status()
            with (staging / item.name).open("wb") as out:
                for chunk in response.iter_bytes():
                    out.write(chunk)
                    digest.update(chunk)
                    size += len(chunk)
    except httpx.HTTPError as exc:
        raise ReferenceDataError(
            f"cannot download {url}: {exc}",
            hint="check --base-url (it must serve the reference files by name) and the network",
        ) from exc
    if progress is not None:
        progress(item.name, size)
    return {
        "url": url,
        "official_source": item.official_source,
        "sha256": digest.hexdigest(),
        "bytes": size,
        "fetched_at": datetime.now(UTC).isoformat(timespec="seconds"),
    }
