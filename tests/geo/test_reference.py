"""Reference files: schema checks with clear errors, and `vigie reference fetch` against a local server."""

from __future__ import annotations

import functools
import hashlib
import http.server
import json
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import CliRunner

from core.errors import ReferenceDataError
from core.settings import Settings
from nlp.geo.fetch import MANIFEST_FILE, REFERENCE_FILES, fetch_reference
from nlp.geo.reference import load_reference
from nlp.geo.spatial import QpvPolygonIndex
from vigie.cli import make_app

Server = Callable[[type[http.server.BaseHTTPRequestHandler]], str]


def _mirror(reference_dir: Path, target: Path, broken: dict[str, str]) -> Path:
    """A reference folder of symlinks to the real files, with some files replaced by ``broken`` text."""
    target.mkdir()
    for item in REFERENCE_FILES:
        if item.name in broken:
            (target / item.name).write_text(broken[item.name], encoding="utf-8")
        else:
            (target / item.name).symlink_to(reference_dir / item.name)
    return target


def test_missing_column_is_named(reference_dir: Path, tmp_path: Path) -> None:
    folder = _mirror(reference_dir, tmp_path / "ref", {"qpv_2024.csv": "code,lib_qp\nQN1,x\n"})
    with pytest.raises(ReferenceDataError, match=r"qpv_2024.csv: columns \['code_qp'") as info:
        load_reference(folder)
    assert info.value.hint and "VIGIE_REFERENCE_DIR" in info.value.hint


def test_missing_file_and_ragged_rows(reference_dir: Path, tmp_path: Path) -> None:
    with pytest.raises(ReferenceDataError, match="reference folder not found"):
        load_reference(tmp_path / "nowhere")
    header = (reference_dir / "regions.csv").read_text(encoding="utf-8").splitlines()[0]
    folder = _mirror(reference_dir, tmp_path / "ref", {"regions.csv": header + "\n11\n"})
    with pytest.raises(ReferenceDataError, match=r"regions.csv:2: wrong number of cells"):
        load_reference(folder)
    (folder / "departements.csv").unlink()
    with pytest.raises(ReferenceDataError, match="reference file missing"):
        load_reference(folder)


def test_bad_contours_are_refused(reference_dir: Path, tmp_path: Path) -> None:
    folder = _mirror(reference_dir, tmp_path / "ref", {"qpv_2024_contours.geojson": '{"type": "Feature"'})
    with pytest.raises(ReferenceDataError, match="not valid GeoJSON"):
        QpvPolygonIndex.from_reference_dir(folder)
    (folder / "qpv_2024_contours.geojson").write_text(
        '{"type": "FeatureCollection", "features": [{"properties": {"code_qp": "QN1"}, '
        '"geometry": {"type": "Point", "coordinates": [1, 2]}}]}',
        encoding="utf-8",
    )
    with pytest.raises(ReferenceDataError, match="QN1 is a Point, not a polygon"):
        QpvPolygonIndex.from_reference_dir(folder)


def _static(folder: Path) -> type[http.server.BaseHTTPRequestHandler]:
    class Handler(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            return

    return functools.partial(Handler, directory=str(folder))  # type: ignore[return-value]  # a handler factory


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_reference_fetch_command_downloads_checks_and_installs(
    settings: Settings, reference_dir: Path, tmp_path: Path, serve: Server
) -> None:
    url = serve(_static(reference_dir))
    dest = tmp_path / "installed"
    result = CliRunner().invoke(make_app(), ["reference", "fetch", "--base-url", url, "--dest", str(dest)])
    assert result.exit_code == 0, result.output
    assert f"{len(REFERENCE_FILES)} files checked and installed" in result.output
    manifest = json.loads((dest / MANIFEST_FILE).read_text(encoding="utf-8"))
    assert set(manifest) == {item.name for item in REFERENCE_FILES}
    for item in REFERENCE_FILES:
        assert _sha(dest / item.name) == _sha(reference_dir / item.name) == manifest[item.name]["sha256"]
    assert load_reference(dest).qpvs["QN06913M"].name == "Minguettes - Clochettes"


def test_fetch_of_a_bad_file_leaves_the_folder_untouched(
    reference_dir: Path, tmp_path: Path, serve: Server
) -> None:
    served = _mirror(reference_dir, tmp_path / "served", {"communes.csv": "oops\n"})
    url = serve(_static(served))
    dest = tmp_path / "installed"
    dest.mkdir()
    shutil.copy(reference_dir / "regions.csv", dest / "regions.csv")
    before = sorted(p.name for p in dest.iterdir())
    with pytest.raises(ReferenceDataError, match="communes.csv: columns"):
        fetch_reference(url, dest)
    assert sorted(p.name for p in dest.iterdir()) == before
    with pytest.raises(ReferenceDataError, match="cannot download"):
        fetch_reference(url + "/missing", dest)
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder", encoding="utf-8")
    with pytest.raises(ReferenceDataError, match="cannot write reference files"):
        fetch_reference(url, blocker)
