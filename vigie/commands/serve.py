"""CLI commands: serve, users add/remove/list."""

from __future__ import annotations

import typer

from core.settings import get_settings


def register(app: typer.Typer, groups: dict[str, typer.Typer]) -> None:
    """Add this module's commands to the CLI."""
    app.command("serve")(serve)
    users = groups["users"]
    users.command("add")(users_add)
    users.command("remove")(users_remove)
    users.command("list")(users_list)


def serve(
    host: str = typer.Option(
        "127.0.0.1", help="Address to listen on (keep 127.0.0.1 behind a reverse proxy)."
    ),
    port: int = typer.Option(8000, help="Port to listen on (0 picks a free one)."),
) -> None:
    """Serve the API and the French web UI."""
    import uvicorn

    from search_api.app.factory import create_app
    from vigie.wiring import make_app_services

    settings = get_settings()
    if settings.secret_key == "dev-insecure-change-me" and host not in ("127.0.0.1", "localhost"):
        typer.echo("warning: VIGIE_SECRET_KEY is the development default; set a long random value", err=True)
    app = create_app(make_app_services(settings))
    uvicorn.run(app, host=host, port=port, log_level=settings.log_level.lower(), proxy_headers=True)


def users_add(
    username: str = typer.Argument(..., help="Login name."),
    role: str = typer.Option(..., "--role", "-r", help="admin, reviewer, annotator or viewer."),
    password: str = typer.Option(
        ...,
        prompt=True,
        hide_input=True,
        confirmation_prompt=True,
        envvar="VIGIE_NEW_PASSWORD",
        help="At least 8 characters.",
    ),
) -> None:
    """Create a user, or change an existing user's role and password."""
    from search_api.app.auth import add_user
    from vigie.wiring import open_db

    engine, factory = open_db(get_settings())
    with factory() as session:
        add_user(session, username, password, role)
    engine.dispose()
    typer.echo(f"user {username} saved with role {role}")


def users_remove(username: str = typer.Argument(..., help="Login name.")) -> None:
    """Remove a user and their API tokens."""
    from search_api.app.auth import remove_user
    from vigie.wiring import open_db

    engine, factory = open_db(get_settings())
    with factory() as session:
        remove_user(session, username)
    engine.dispose()
    typer.echo(f"user {username} removed")


def users_list() -> None:
    """List users and their roles."""
    from search_api.app.auth import list_users
    from vigie.wiring import open_db

    engine, factory = open_db(get_settings())
    with factory() as session:
        for user in list_users(session):
            typer.echo(f"{user.username}\t{user.role}\t{user.created_at:%Y-%m-%d}")
    engine.dispose()
