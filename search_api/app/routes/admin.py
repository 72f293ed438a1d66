"""User administration: list, add, remove users and set their role (admin only)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import BaseModel, StringConstraints

from search_api.app import users
from search_api.app.dependencies import Admin, get_services
from search_api.app.routes.models import check_confirmation
from search_api.app.routes.models import router as models_router
from search_api.app.routes.rendering import redirect, render

router = APIRouter(tags=["admin"])
router.include_router(models_router)


class UserIn(BaseModel):
    """A user to create or update."""

    username: Annotated[str, StringConstraints(min_length=1, max_length=100)]
    password: Annotated[str, StringConstraints(max_length=1000)]
    role: Annotated[str, StringConstraints(max_length=20)]
    revoke_tokens: bool = False  # also revoke the user's API tokens (their web sessions always close)


@router.get("/admin/utilisateurs", response_class=HTMLResponse)
def users_page(request: Request, user: Admin) -> Response:
    """Users and their roles, with add and remove forms."""
    return render(request, "users.html", {"users": users.list_users(get_services(request).session_factory)})


@router.post("/admin/utilisateurs")
def users_add(
    request: Request,
    user: Admin,
    username: Annotated[str, Form()],
    password: Annotated[str, Form()],
    role: Annotated[str, Form()],
) -> Response:
    """Create or update a user from the admin page."""
    users.save_user(get_services(request).session_factory, user.username, username.strip(), password, role)
    return redirect("/admin/utilisateurs")


@router.post("/admin/utilisateurs/{username}/supprimer")
def users_remove(
    request: Request, username: str, user: Admin, confirmation: Annotated[str, Form()] = ""
) -> Response:
    """Remove a user from the admin page (after its confirmation dialog)."""
    check_confirmation(confirmation, f"removing user {username!r}")
    users.remove_user(get_services(request).session_factory, user.username, username)
    return redirect("/admin/utilisateurs")


@router.get("/api/users")
def api_users(request: Request, user: Admin) -> dict[str, Any]:
    """Every user and role."""
    rows = users.list_users(get_services(request).session_factory)
    return {"users": [{"username": u.username, "role": u.role} for u in rows]}


@router.post("/api/users")
def api_users_add(request: Request, body: UserIn, user: Admin) -> dict[str, str]:
    """Create or update a user."""
    users.save_user(
        get_services(request).session_factory,
        user.username,
        body.username,
        body.password,
        body.role,
        revoke_tokens=body.revoke_tokens,
    )
    return {"username": body.username, "role": body.role}


@router.delete("/api/users/{username}")
def api_users_remove(request: Request, username: str, user: Admin) -> dict[str, str]:
    """Remove a user and their tokens."""
    users.remove_user(get_services(request).session_factory, user.username, username)
    return {"removed": username}
