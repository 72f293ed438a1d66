"""Model versions: train (background job), compare with the promoted model, promote, roll back, re-analyse."""

from __future__ import annotations

import json
import logging
import threading
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from core.errors import InputError, ModelError, NotFoundError
from core.storage.tables import AuditRow, ModelVersionRow
from search_api.app.auth import CurrentUser, require_role
from search_api.app.routes.rendering import redirect, render

log = logging.getLogger(__name__)
router = APIRouter(tags=["models"])
Admin = Annotated[CurrentUser, Depends(require_role("admin"))]
Viewer = Annotated[CurrentUser, Depends(require_role("viewer"))]
JOBS = ("train", "reanalyze")
# Held-out figures shown side by side, with their French labels.
HOLDOUT_FIGURES = {
    "initiative_f1": "Initiative — F1",
    "initiative_precision": "Initiative — précision",
    "initiative_recall": "Initiative — rappel",
    "initiative_in_qpv_f1": "Initiative en QPV — F1",
    "types_micro_f1": "Types d'innovation — F1 micro",
    "types_macro_f1": "Types d'innovation — F1 macro",
}


def get_comparison(row: ModelVersionRow) -> dict[str, Any] | None:
    """The version's `compare_with_current` from its meta.json (None when absent or unreadable)."""
    try:
        meta = json.loads((Path(row.path) / "meta.json").read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        log.warning("meta.json not readable version=%s path=%s reason=%s", row.version, row.path, exc)
        return None
    comparison = meta.get("compare_with_current") if isinstance(meta, dict) else None
    if not isinstance(comparison, dict):
        return None
    # Versions trained before `n_compared` and `current_seen` existed compared on the whole held-out share.
    defaults: dict[str, Any] = dict.fromkeys(
        ("current_version", "current_seen", "skipped", "candidate", "current")
    )
    defaults |= {"holdout_share": 0.2, "n_holdout": 0, "geo_linker": False}
    defaults |= {"n_compared": comparison.get("n_holdout", 0)}
    defaults |= {"n_compared_initiatives": comparison.get("n_holdout_initiatives")}
    return defaults | comparison


def comparisons_by_version(tasks: dict[str, dict[str, Any]]) -> list[tuple[str, dict[str, Any]]]:
    """One held-out comparison per trained version (shared by its tasks), newest first."""
    seen: dict[str, tuple[int, dict[str, Any]]] = {}
    for info in tasks.values():
        for row in info["versions"]:
            if row.version not in seen and (comparison := get_comparison(row)) is not None:
                seen[row.version] = (row.id, comparison)
    ordered = sorted(seen.items(), key=lambda item: item[1][0], reverse=True)
    return [(version, comparison) for version, (_, comparison) in ordered]


def _row_json(row: ModelVersionRow) -> dict[str, Any]:
    return {
        "id": row.id,
        "task": row.task,
        "version": row.version,
        "status": row.status,
        "metrics": row.metrics,
        "path": row.path,
        "created_at": row.created_at.isoformat() if row.created_at else None,
        "promoted_at": row.promoted_at.isoformat() if row.promoted_at else None,
        "compare_with_current": get_comparison(row),
    }


def models_by_task(session: Session) -> dict[str, dict[str, Any]]:
    """Per task: the promoted version and every version, newest first."""
    out: dict[str, dict[str, Any]] = {}
    for row in session.scalars(
        select(ModelVersionRow).order_by(ModelVersionRow.task, ModelVersionRow.id.desc())
    ):
        task = out.setdefault(row.task, {"promoted": None, "versions": []})
        task["versions"].append(row)
        if row.status == "promoted":
            task["promoted"] = row
    return out


def promote(
    session: Session, model_id: int, actor: str, hooks: dict[str, Any] | None = None
) -> ModelVersionRow:
    """Make a version the promoted one of its task; the previous one is retired (kept for rollback)."""
    row = session.get(ModelVersionRow, model_id)
    if row is None:
        raise NotFoundError(f"no model version {model_id}", hint="see /admin/modeles for the list")
    previous = session.scalars(
        select(ModelVersionRow).where(ModelVersionRow.task == row.task, ModelVersionRow.status == "promoted")
    ).all()
    if hooks and "promote" in hooks:  # the files the analyzer loads move first; the table follows
        hooks["promote"](row.task, row.version)
    for old in previous:
        old.status = "retired"
    row.status, row.promoted_at = "promoted", datetime.now(UTC)
    before = {"promoted": [p.version for p in previous]}
    session.add(
        AuditRow(
            actor=actor, action="promote", before=before, after={"task": row.task, "promoted": [row.version]}
        )
    )
    session.commit()
    log.info("model promoted task=%s version=%s actor=%s", row.task, row.version, actor)
    return row


def rollback(session: Session, task: str, actor: str, hooks: dict[str, Any] | None = None) -> ModelVersionRow:
    """Go back to the version promoted before the current one."""
    current = session.scalars(
        select(ModelVersionRow).where(ModelVersionRow.task == task, ModelVersionRow.status == "promoted")
    ).first()
    previous = session.scalars(
        select(ModelVersionRow)
        .where(ModelVersionRow.task == task, ModelVersionRow.status == "retired")
        .order_by(ModelVersionRow.promoted_at.desc())
    ).first()
    if current is None or previous is None:
        raise InputError(
            f"nothing to roll back for task {task!r}", hint="a rollback needs two promoted versions"
        )
    if hooks and "promote" in hooks:
        hooks["promote"](task, previous.version)
    current.status = "rolled_back"
    previous.status, previous.promoted_at = "promoted", datetime.now(UTC)
    session.add(
        AuditRow(
            actor=actor,
            action="rollback",
            before={"promoted": [current.version]},
            after={"task": task, "promoted": [previous.version]},
        )
    )
    session.commit()
    return previous


def start_job(request: Request, name: str, actor: str, **kwargs: Any) -> dict[str, Any]:
    """Run a hook (train, reanalyze) in a background thread; one job of each kind at a time."""
    services = request.app.state.services
    hook = services.hooks.get(name)
    if hook is None:
        raise ModelError(f"{name} is not available in this process", hint="start the app with `vigie serve`")
    jobs: dict[str, dict[str, Any]] = request.app.state.__dict__.setdefault("jobs", {})
    lock: threading.Lock = request.app.state.__dict__.setdefault("jobs_lock", threading.Lock())
    with lock:
        if jobs.get(name, {}).get("status") == "running":
            raise InputError(f"a {name} job is already running", hint="wait for it to finish")
        job: dict[str, Any] = {
            "name": name,
            "status": "running",
            "actor": actor,
            "started_at": datetime.now(UTC).isoformat(),
        }
        jobs[name] = job

    def _run() -> None:
        try:
            job["result"] = hook(**kwargs)
            job["status"] = "done"
        except Exception as exc:  # a failed job is reported on the page, never crashes the app
            log.exception("background job failed name=%s", name)
            job["status"], job["error"] = "failed", str(exc)
        job["finished_at"] = datetime.now(UTC).isoformat()

    threading.Thread(target=_run, name=f"vigie-{name}", daemon=True).start()
    return job


def _jobs(request: Request) -> dict[str, Any]:
    return dict(request.app.state.__dict__.get("jobs", {}))


@router.get("/admin/modeles", response_class=HTMLResponse)
def models_page(request: Request, user: Admin) -> Response:
    """Model versions, new against current metrics, and the train/promote/rollback buttons."""
    with request.app.state.services.session_factory() as session:
        tasks = models_by_task(session)
        context = {"tasks": tasks, "jobs": _jobs(request), "comparisons": comparisons_by_version(tasks)}
    return render(request, "models.html", context | {"holdout_figures": HOLDOUT_FIGURES})


@router.get("/admin/modeles/taches", response_class=HTMLResponse)
def jobs_fragment(request: Request, user: Admin) -> Response:
    """The background jobs' status (polled by the admin page while one runs)."""
    return render(request, "_jobs.html", {"jobs": _jobs(request)})


@router.post("/admin/modeles/entrainer")
def train_page(request: Request, user: Admin) -> Response:
    """Start training from the admin page."""
    start_job(request, "train", user.username)
    return redirect("/admin/modeles")


@router.post("/admin/modeles/{model_id}/promouvoir")
def promote_page(request: Request, model_id: int, user: Admin) -> Response:
    """Promote a version from the admin page."""
    with request.app.state.services.session_factory() as session:
        promote(session, model_id, user.username, request.app.state.services.hooks)
    return redirect("/admin/modeles")


@router.post("/admin/modeles/taches/{task}/retour")
def rollback_page(request: Request, task: str, user: Admin) -> Response:
    """Roll a task back from the admin page."""
    with request.app.state.services.session_factory() as session:
        rollback(session, task, user.username, request.app.state.services.hooks)
    return redirect("/admin/modeles")


@router.post("/admin/reanalyser")
def reanalyze_page(request: Request, user: Admin) -> Response:
    """Re-run analyses with the promoted models, from the admin page."""
    start_job(request, "reanalyze", user.username)
    return redirect("/admin/modeles")


@router.get("/api/models")
def api_models(request: Request, user: Viewer) -> dict[str, Any]:
    """Every model version per task, and the running jobs."""
    with request.app.state.services.session_factory() as session:
        tasks = models_by_task(session)
        body = {
            t: {
                "promoted": _row_json(v["promoted"]) if v["promoted"] else None,
                "versions": [_row_json(r) for r in v["versions"]],
            }
            for t, v in tasks.items()
        }
    return {
        "tasks": body,
        "jobs": {k: {x: y for x, y in j.items() if x != "result"} for k, j in _jobs(request).items()},
    }


@router.post("/api/models/train", status_code=202)
def api_train(request: Request, user: Admin) -> JSONResponse:
    """Start a training job (poll GET /api/models for its status)."""
    job = start_job(request, "train", user.username)
    return JSONResponse({"job": {k: v for k, v in job.items() if k != "result"}}, status_code=202)


@router.post("/api/models/{model_id}/promote")
def api_promote(request: Request, model_id: int, user: Admin) -> dict[str, Any]:
    """Promote a model version."""
    with request.app.state.services.session_factory() as session:
        return _row_json(promote(session, model_id, user.username, request.app.state.services.hooks))


@router.post("/api/models/tasks/{task}/rollback")
def api_rollback(request: Request, task: str, user: Admin) -> dict[str, Any]:
    """Roll a task back to its previous promoted version."""
    with request.app.state.services.session_factory() as session:
        return _row_json(rollback(session, task, user.username, request.app.state.services.hooks))


@router.post("/api/reanalyze", status_code=202)
def api_reanalyze(request: Request, user: Admin) -> JSONResponse:
    """Start re-analysing every document with the promoted models."""
    job = start_job(request, "reanalyze", user.username)
    return JSONResponse({"job": {k: v for k, v in job.items() if k != "result"}}, status_code=202)
