"""User administration: list, add, remove users and set their role (admin only)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import BaseModel

from core.errors import InputError
from core.storage.tables import AuditRow
from search_api.app import auth
from search_api.app.auth import CurrentUser, require_role
from search_api.app.routes.models import router as models_router
from search_api.app.routes.rendering import redirect, render

router = APIRouter(tags=["admin"])
router.include_router(models_router)
Admin = Annotated[CurrentUser, Depends(require_role("admin"))]


class UserIn(BaseModel):
    """A user to create or update."""

    username: str
    password: str
    role: str


def _save_user(request: Request, actor: str, username: str, password: str, role: str) -> None:
    with request.app.state.services.session_factory() as session:
        auth.add_user(session, username, password, role)
        session.add(AuditRow(actor=actor, action="user_save", after={"username": username, "role": role}))
        session.commit()


def _remove_user(request: Request, actor: str, username: str) -> None:
    if username == actor:
        raise InputError("you cannot remove yourself", hint="ask another administrator")
    with request.app.state.services.session_factory() as session:
        auth.remove_user(session, username)
        session.add(AuditRow(actor=actor, action="user_remove", before={"username": username}))
        session.commit()


@router.get("/admin/utilisateurs", response_class=HTMLResponse)
def users_page(request: Request, user: Admin) -> Response:
    """Users and their roles, with add and remove forms."""
    with request.app.state.services.session_factory() as session:
        users = auth.list_users(session)
    return render(request, "users.html", {"users": users})


@router.post("/admin/utilisateurs")
def users_add(
    request: Request,
    user: Admin,
    username: Annotated[str, Form()],
    password: Annotated[str, Form()],
    role: Annotated[str, Form()],
) -> Response:
    """Create or update a user from the admin page."""
    _save_user(request, user.username, username.strip(), password, role)
    return redirect("/admin/utilisateurs")


@router.post("/admin/utilisateurs/{username}/supprimer")
def users_remove(request: Request, username: str, user: Admin) -> Response:
    """Remove a user from the admin page."""
    _remove_user(request, user.username, username)
    return redirect("/admin/utilisateurs")


@router.get("/api/users")
def api_users(request: Request, user: Admin) -> dict[str, Any]:
    """Every user and role."""
    with request.app.state.services.session_factory() as session:
        return {"users": [{"username": u.username, "role": u.role} for u in auth.list_users(session)]}


@router.post("/api/users")
def api_users_add(request: Request, body: UserIn, user: Admin) -> dict[str, str]:
    """Create or update a user."""
    _save_user(request, user.username, body.username, body.password, body.role)
    return {"username": body.username, "role": body.role}


@router.delete("/api/users/{username}")
def api_users_remove(request: Request, username: str, user: Admin) -> dict[str, str]:
    """Remove a user and their tokens."""
    _remove_user(request, user.username, username)
    return {"removed": username}
