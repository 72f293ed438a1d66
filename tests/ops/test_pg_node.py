"""scripts/pg-node.sh: a throwaway PostgreSQL cluster starts on 127.0.0.1, takes connections, and stops."""

from __future__ import annotations

import shutil
import socket
import subprocess
import tempfile
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

REPO = Path(__file__).resolve().parents[2]
SCRIPT = REPO / "scripts" / "pg-node.sh"


@pytest.mark.postgres
def test_pg_node_starts_a_cluster_and_stops_it(pg_server_url: str) -> None:
    # The same binaries `make test` uses (pg_server_url proves they are there), in a folder of our own
    # that the `postgres` user can reach (pytest's tmp_path is private to the current user).
    base = Path(tempfile.mkdtemp(prefix="vigie-pgnode-", dir="/tmp"))
    base.chmod(0o755)
    state = base / "pg"
    started = subprocess.run(
        ["bash", str(SCRIPT), "start", str(state)], capture_output=True, text=True, timeout=120
    )
    try:
        assert started.returncode == 0, started.stderr
        url = started.stdout.strip()
        parsed = make_url(url)
        assert (parsed.drivername, parsed.host, parsed.database) == (
            "postgresql+psycopg",
            "127.0.0.1",
            "vigie",
        )
        engine = create_engine(url)
        with engine.connect() as conn:
            assert conn.scalar(text("SELECT current_database()")) == "vigie"
        engine.dispose()
    finally:
        stopped = subprocess.run(
            ["bash", str(SCRIPT), "stop", str(state)], capture_output=True, text=True, timeout=120
        )
    assert stopped.returncode == 0, stopped.stderr
    with socket.socket() as sock:
        assert sock.connect_ex(("127.0.0.1", int(parsed.port))) != 0, "the server still listens after stop"
    shutil.rmtree(base, ignore_errors=True)


def test_pg_node_explains_its_usage() -> None:
    done = subprocess.run(
        ["bash", str(SCRIPT), "restart", "/tmp/x"], capture_output=True, text=True, timeout=30
    )
    assert done.returncode == 2
    assert "usage: pg-node.sh start|stop STATE_DIR" in done.stderr
