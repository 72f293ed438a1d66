"""`vigie users add/list/remove` on a real SQLite database."""

from __future__ import annotations

from typer.testing import CliRunner

from core.errors import InputError
from search_api.app.auth import authenticate
from vigie.cli import make_app
from vigie.wiring import open_db


def test_add_list_remove_a_user(settings) -> None:
    runner = CliRunner()
    env = {"VIGIE_NEW_PASSWORD": "un-long-secret"}
    added = runner.invoke(make_app(), ["users", "add", "bob", "--role", "reviewer"], env=env)
    assert added.exit_code == 0, added.output
    listed = runner.invoke(make_app(), ["users", "list"])
    assert "bob\treviewer" in listed.output
    engine, factory = open_db(settings)
    with factory() as session:
        assert authenticate(session, "bob", "un-long-secret") is not None
        assert authenticate(session, "bob", "wrong") is None
    engine.dispose()
    removed = runner.invoke(make_app(), ["users", "remove", "bob"])
    assert removed.exit_code == 0
    after = runner.invoke(make_app(), ["users", "list"])
    assert after.exit_code == 0, after.output
    assert "bob\t" not in after.output


def test_unknown_role_is_a_clear_error(settings) -> None:
    result = CliRunner().invoke(
        make_app(), ["users", "add", "bob", "--role", "chef"], env={"VIGIE_NEW_PASSWORD": "un-long-secret"}
    )
    assert isinstance(result.exception, InputError)
    assert "admin, reviewer, annotator, viewer" in str(result.exception)
