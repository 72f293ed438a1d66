"""CLI commands: serve, users add/remove/list, users token create/list/revoke."""

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
    tokens = typer.Typer(help="Create, list and revoke API tokens (for scripts).", no_args_is_help=True)
    tokens.command("create")(token_create)
    tokens.command("list")(token_list)
    tokens.command("revoke")(token_revoke)
    users.add_typer(tokens, name="token")


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
    uvicorn.run(
        app,
        host=host,
        port=port,
        log_level=settings.log_level.lower(),
        proxy_headers=True,
        forwarded_allow_ips=settings.trusted_proxies,  # only these may set the client address and scheme
    )


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
    revoke_tokens: bool = typer.Option(
        False, "--revoke-tokens", help="Also revoke the user's API tokens (their web sessions always close)."
    ),
) -> None:
    """Create a user, or change an existing user's role and password (which closes their sessions)."""
    from search_api.app.auth import add_user
    from vigie.wiring import open_db

    engine, factory = open_db(get_settings())
    with factory() as session:
        add_user(session, username, password, role, revoke_tokens=revoke_tokens)
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


def token_create(
    username: str = typer.Argument(..., help="Login name of the token's owner."),
    label: str | None = typer.Option(None, "--label", help="What the token is for (shown in lists)."),
    expires_in_days: int | None = typer.Option(
        None, "--expires-in-days", min=1, max=3650, help="Refuse the token after this many days."
    ),
) -> None:
    """Create an API token and print it once (only its digest is stored)."""
    from search_api.app.auth import create_api_token
    from vigie.wiring import open_db

    engine, factory = open_db(get_settings())
    with factory() as session:
        token = create_api_token(session, username, label, expires_in_days)
    engine.dispose()
    typer.echo(token)


def token_list(
    username: str | None = typer.Argument(None, help="Only this user's tokens (default: everyone's)."),
) -> None:
    """List API tokens: id, owner, label, created, last used, expires (never the tokens)."""
    from search_api.app.auth import list_api_tokens
    from vigie.wiring import open_db

    def when(moment: object) -> str:
        return f"{moment:%Y-%m-%d %H:%M}" if moment else "-"

    engine, factory = open_db(get_settings())
    with factory() as session:
        for row in list_api_tokens(session, username):
            fields = (row.id, row.username, row.label or "-", when(row.created_at), when(row.last_used_at),
                      when(row.expires_at))  # fmt: skip
            typer.echo("\t".join(str(f) for f in fields))
    engine.dispose()


def token_revoke(
    token_id: int = typer.Argument(..., min=1, help="Token id, from `vigie users token list`."),
) -> None:
    """Revoke an API token: refused at once by every process."""
    from search_api.app.auth import revoke_api_token
    from vigie.wiring import open_db

    engine, factory = open_db(get_settings())
    with factory() as session:
        revoke_api_token(session, token_id)
    engine.dispose()
    typer.echo(f"token {token_id} revoked")
