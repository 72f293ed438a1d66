"""Model version files mirrored into the table; promote and roll back move CURRENT.json."""

from __future__ import annotations

import json
import time

import httpx
import pytest
from sklearn.dummy import DummyClassifier
from sqlalchemy import select

from core.errors import InputError
from core.settings import load_settings
from core.storage.tables import AuditRow, ModelVersionRow
from nlp.classifiers.store import promote as promote_files
from nlp.classifiers.store import read_current, save_model
from search_api.app.auth import add_user, create_api_token
from tests.support.live_app import run_server
from vigie.wiring import make_app_services


def _save(model_dir, version: str, f1: float) -> None:
    estimator = DummyClassifier(strategy="most_frequent").fit([[0], [1]], [0, 1])
    meta = {"task": "initiative", "version": version, "n_examples": 10, "cv_metrics": {"f1": f1}}
    meta["data_hash"] = f"hash-{version}"
    save_model(model_dir, "initiative", version, estimator, meta)


def _status(session) -> dict[str, str]:
    return {r.version: r.status for r in session.scalars(select(ModelVersionRow))}


def test_promote_then_roll_back_moves_the_analyser_pointer(tmp_path, settings) -> None:
    model_dir = tmp_path / "models"
    _save(model_dir, "v1", 0.70)
    _save(model_dir, "v2", 0.75)
    promote_files(model_dir, {"initiative": "v1"})
    services = make_app_services(load_settings(data_dir=settings.data_dir, model_dir=model_dir))
    with services.session_factory() as session:
        assert _status(session) == {"v1": "promoted", "v2": "candidate"}  # mirrored from the files
        v2 = session.scalars(select(ModelVersionRow).where(ModelVersionRow.version == "v2")).one()
        assert v2.metrics == {"f1": 0.75, "n_examples": 10, "data_hash": "hash-v2"}
    registry = services.registry
    assert registry is not None
    assert registry.promote(v2.id, "ada").status == "promoted"
    assert read_current(model_dir) == {"initiative": "v2"}
    with services.session_factory() as session:
        assert _status(session) == {"v1": "retired", "v2": "promoted"}
    promoted = registry.versions_by_task()["initiative"].promoted
    assert promoted is not None and promoted.version == "v2"
    assert registry.rollback("initiative", "ada").version == "v1"
    assert read_current(model_dir) == {"initiative": "v1"}
    with services.session_factory() as session:
        assert _status(session) == {"v1": "promoted", "v2": "rolled_back"}
    with pytest.raises(InputError, match="nothing to roll back"):
        registry.rollback("initiative", "ada")
    with services.session_factory() as session:
        audit = [
            (a.action, json.dumps(a.after)) for a in session.scalars(select(AuditRow).order_by(AuditRow.id))
        ]
    assert [a for a, _ in audit] == ["promote", "rollback"]
    assert '"v1"' in audit[-1][1]


def test_train_job_runs_in_the_background_and_reports_its_failure(tmp_path, settings) -> None:
    empty = tmp_path / "annotations"
    empty.mkdir()
    config = {"data_dir": settings.data_dir, "model_dir": tmp_path / "models", "annotations_dir": empty}
    services = make_app_services(load_settings(**config, seed_annotations=None, pool_annotations=None))
    with services.session_factory() as session:
        add_user(session, "ada", "motdepasse-admin", "admin")
        token = create_api_token(session, "ada")
    with (
        run_server(services) as url,
        httpx.Client(base_url=url, headers={"Authorization": f"Bearer {token}"}) as client,
    ):
        assert client.post("/api/models/train").status_code == 202
        deadline = time.monotonic() + 60
        while (job := client.get("/api/models").json()["jobs"]["train"])["status"] == "running":
            assert time.monotonic() < deadline, "training job never finished"
            time.sleep(0.05)
        fragment = client.get("/admin/modeles/taches").text
    assert job["status"] == "failed"
    assert "no training examples found" in job["error"]
    assert "échec" in fragment and "hx-trigger" not in fragment  # no more polling once finished


def test_models_page_shows_new_against_current_on_the_same_holdout(tmp_path, settings) -> None:
    model_dir = tmp_path / "models"
    _save(model_dir, "v1", 0.70)
    _save(model_dir, "v2", 0.75)
    promote_files(model_dir, {"initiative": "v1"})
    meta_path = model_dir / "initiative" / "v2" / "meta.json"
    meta = json.loads(meta_path.read_text(encoding="utf-8"))
    figures = {
        "initiative_f1": 0.812,
        "initiative_in_qpv_f1": 0.5,
        "types_micro_f1": 0.7,
        "types_macro_f1": 0.6,
    }
    meta["compare_with_current"] = {
        "current_version": "v1",
        "holdout_share": 0.2,
        "n_holdout": 37,
        "n_compared": 30,
        "n_compared_initiatives": 21,
        "current_seen": 7,
        "geo_linker": True,
        "candidate": figures,
        "current": figures | {"initiative_f1": 0.75},
    }
    meta_path.write_text(json.dumps(meta), encoding="utf-8")
    _save(model_dir, "v0", 0.6)  # an older version, compared before n_compared/current_seen existed
    old_path = model_dir / "initiative" / "v0" / "meta.json"
    old = json.loads(old_path.read_text(encoding="utf-8"))
    old["compare_with_current"] = {
        "current_version": "v1",
        "n_holdout": 9,
        "candidate": figures,
        "current": figures,
    }
    old_path.write_text(json.dumps(old), encoding="utf-8")
    services = make_app_services(load_settings(data_dir=settings.data_dir, model_dir=model_dir))
    with services.session_factory() as session:
        add_user(session, "ada", "motdepasse-admin", "admin")
        token = create_api_token(session, "ada")
    with (
        run_server(services) as url,
        httpx.Client(base_url=url, headers={"Authorization": f"Bearer {token}"}) as client,
    ):
        page = client.get("/admin/modeles").text
        versions = client.get("/api/models").json()["tasks"]["initiative"]["versions"]
    assert "Nouvelle version contre version actuelle, sur les mêmes exemples mis de côté" in page
    assert "v2 contre v1 — 30 exemples comparés (sur 37 mis de côté) dont 21 initiatives" in page
    assert "7 exemples déjà vus par la version actuelle sont écartés" in page
    assert "<td>0,812</td><td>0,750</td><td>+0,062</td>" in page  # French decimals
    assert "v0 contre v1 — 9 exemples comparés (sur 9 mis de côté)" in page
    assert "Promouvoir" in page  # the promote button stays
    by_version = {v["version"]: v["compare_with_current"] for v in versions}
    assert by_version["v2"]["n_holdout"] == 37 and by_version["v1"] is None
