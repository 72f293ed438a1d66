"""Model versions: train (background job), compare with the promoted model, promote, roll back, re-analyse."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response

from core.domain import ModelVersion, TaskVersions, TrainOptions
from core.errors import InputError, ModelError
from core.protocols import ModelRegistry
from search_api.app.dependencies import Admin, Viewer, get_registry, get_services
from search_api.app.routes.rendering import redirect, render
from search_api.app.validation import RowIdPath

router = APIRouter(tags=["models"])
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


def comparisons_by_version(
    registry: ModelRegistry, tasks: dict[str, TaskVersions]
) -> list[tuple[str, dict[str, Any]]]:
    """One held-out comparison per trained version (shared by its tasks), newest first."""
    seen: dict[str, tuple[int, dict[str, Any]]] = {}
    for info in tasks.values():
        for row in info.versions:
            if row.version not in seen and (comparison := registry.comparison(row)) is not None:
                seen[row.version] = (row.id, comparison)
    ordered = sorted(seen.items(), key=lambda item: item[1][0], reverse=True)
    return [(version, comparison) for version, (_, comparison) in ordered]


def _row_json(registry: ModelRegistry, row: ModelVersion) -> dict[str, Any]:
    return {
        "id": row.id,
        "task": row.task,
        "version": row.version,
        "status": row.status,
        "metrics": row.metrics,
        "path": row.path,
        "created_at": row.created_at.isoformat() if row.created_at else None,
        "promoted_at": row.promoted_at.isoformat() if row.promoted_at else None,
        "compare_with_current": registry.comparison(row),
    }


def start_job(request: Request, name: str, actor: str) -> dict[str, Any]:
    """Run a job (train, reanalyze) in a background thread; one job of each kind at a time."""
    services = get_services(request)
    if name == "train":
        registry = get_registry(request)
        job = services.jobs.start(name, actor, lambda: registry.train(TrainOptions()))
    elif services.reanalyze is None:
        raise ModelError(f"{name} is not available in this process", hint="start the app with `vigie serve`")
    else:
        job = services.jobs.start(name, actor, services.reanalyze)
    return job


def _jobs(request: Request) -> dict[str, Any]:
    return get_services(request).jobs.snapshot()


@router.get("/admin/modeles", response_class=HTMLResponse)
def models_page(request: Request, user: Admin) -> Response:
    """Model versions, new against current metrics, and the train/promote/rollback buttons."""
    registry = get_registry(request)
    tasks = registry.versions_by_task()
    context = {"tasks": tasks, "jobs": _jobs(request), "comparisons": comparisons_by_version(registry, tasks)}
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


CONFIRMED = "oui"


def check_confirmation(value: str, what: str) -> None:
    """Refuse an irreversible page action whose form did not come through its confirmation dialog."""
    if value != CONFIRMED:
        raise InputError(
            f"{what} needs a confirmation: field confirmation={CONFIRMED!r} missing",
            hint="use the button of the page and confirm in its dialog",
        )


@router.post("/admin/modeles/{model_id}/promouvoir")
def promote_page(
    request: Request, model_id: RowIdPath, user: Admin, confirmation: Annotated[str, Form()] = ""
) -> Response:
    """Promote a version from the admin page (after its confirmation dialog)."""
    check_confirmation(confirmation, "promoting a model version")
    get_registry(request).promote(model_id, user.username)
    return redirect("/admin/modeles")


@router.post("/admin/modeles/taches/{task}/retour")
def rollback_page(
    request: Request, task: str, user: Admin, confirmation: Annotated[str, Form()] = ""
) -> Response:
    """Roll a task back from the admin page (after its confirmation dialog)."""
    check_confirmation(confirmation, "rolling a model back")
    get_registry(request).rollback(task, user.username)
    return redirect("/admin/modeles")


@router.post("/admin/reanalyser")
def reanalyze_page(request: Request, user: Admin) -> Response:
    """Re-run analyses with the promoted models, from the admin page."""
    start_job(request, "reanalyze", user.username)
    return redirect("/admin/modeles")


@router.get("/api/models")
def api_models(request: Request, user: Viewer) -> dict[str, Any]:
    """Every model version per task, and the running jobs."""
    registry = get_registry(request)
    body = {
        t: {
            "promoted": _row_json(registry, v.promoted) if v.promoted else None,
            "versions": [_row_json(registry, r) for r in v.versions],
        }
        for t, v in registry.versions_by_task().items()
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
def api_promote(request: Request, model_id: RowIdPath, user: Admin) -> dict[str, Any]:
    """Promote a model version."""
    registry = get_registry(request)
    return _row_json(registry, registry.promote(model_id, user.username))


@router.post("/api/models/tasks/{task}/rollback")
def api_rollback(request: Request, task: str, user: Admin) -> dict[str, Any]:
    """Roll a task back to its previous promoted version."""
    registry = get_registry(request)
    return _row_json(registry, registry.rollback(task, user.username))


@router.post("/api/reanalyze", status_code=202)
def api_reanalyze(request: Request, user: Admin) -> JSONResponse:
    """Start re-analysing every document with the promoted models."""
    job = start_job(request, "reanalyze", user.username)
    return JSONResponse({"job": {k: v for k, v in job.items() if k != "result"}}, status_code=202)
