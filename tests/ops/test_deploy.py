"""Deployment files: the Compose file parses and is complete; the entry point runs as a plain process."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
DEPLOY = REPO / "deploy"
ENTRYPOINT = DEPLOY / "entrypoint.sh"
VIGIE_BIN = str(Path(sys.executable).with_name("vigie"))


def _compose() -> dict:
    return yaml.safe_load((DEPLOY / "compose.yaml").read_text(encoding="utf-8"))


def test_compose_file_has_every_service_with_health_checks() -> None:
    compose = _compose()
    services = compose["services"]
    assert set(services) == {"api", "watch", "postgres", "elasticsearch"}
    for name, service in services.items():
        assert service["healthcheck"]["test"], name
        assert service["restart"] == "unless-stopped", name
    for name in ("api", "watch"):
        env = services[name]["environment"]
        assert env["VIGIE_DATABASE_URL"].startswith("postgresql+psycopg://")
        assert env["VIGIE_ELASTICSEARCH_URL"] == "http://elasticsearch:9200"
        assert env["VIGIE_SEARCH_BACKEND"] == "elasticsearch"
        for dependency in ("postgres", "elasticsearch"):
            assert services[name]["depends_on"][dependency]["condition"] == "service_healthy"
    assert services["watch"]["command"][:1] == ["watch"]
    assert services["api"]["command"][:1] == ["serve"]
    assert "/api/health" in json.dumps(services["api"]["healthcheck"])


def test_compose_named_volumes_are_declared_and_the_build_context_exists() -> None:
    compose = _compose()
    declared = set(compose["volumes"])
    used = {
        volume.split(":", 1)[0]
        for service in compose["services"].values()
        for volume in service.get("volumes", [])
        if not volume.startswith(("/", ".", "$"))
    }
    assert used and used <= declared
    build = compose["services"]["api"]["build"]
    assert (DEPLOY / build["context"] / build["dockerfile"]).resolve() == (DEPLOY / "Containerfile").resolve()


def test_containerfile_copies_only_what_exists_and_uses_the_entry_point() -> None:
    lines = [line.strip() for line in (DEPLOY / "Containerfile").read_text(encoding="utf-8").splitlines()]
    copies = [line.split()[1:-1] for line in lines if line.startswith("COPY ")]
    assert copies
    for sources in copies:
        for source in sources:
            assert (REPO / source).exists(), f"Containerfile copies missing {source}"
    assert 'ENTRYPOINT ["/app/deploy/entrypoint.sh"]' in lines
    assert os.access(ENTRYPOINT, os.X_OK)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _get_json(url: str) -> tuple[int, dict] | None:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return response.status, json.loads(response.read())
    except (urllib.error.URLError, ConnectionError, TimeoutError):
        return None


def _entrypoint_env(tmp_path: Path, database_url: str) -> dict[str, str]:
    (tmp_path / "shipped-models-target").mkdir()
    return {
        **os.environ,
        "VIGIE_BIN": VIGIE_BIN,
        "VIGIE_DATA_DIR": str(tmp_path / "data"),
        "VIGIE_MODEL_DIR": str(tmp_path / "shipped-models-target"),
        "VIGIE_DATABASE_URL": database_url,
        "VIGIE_SECRET_KEY": "a-long-random-test-secret-0123456789",
        "HF_HUB_OFFLINE": "1",
    }


@pytest.mark.postgres
def test_entry_point_serves_health_on_postgresql_and_stops_on_sigterm(tmp_path: Path, pg_url: str) -> None:
    port = _free_port()
    env = _entrypoint_env(tmp_path, pg_url)
    proc = subprocess.Popen(
        [str(ENTRYPOINT), "serve", "--host", "127.0.0.1", "--port", str(port)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 120
        answer = None
        while time.monotonic() < deadline and proc.poll() is None:
            answer = _get_json(f"http://127.0.0.1:{port}/api/health")
            if answer:
                break
            time.sleep(0.1)  # polling readiness
        assert answer == (200, {"status": "ok", "database": "ok"}), (
            proc.stderr.read() if proc.poll() is not None else ""
        )
        if (REPO / "models").is_dir() and any((REPO / "models").iterdir()):
            assert any(Path(env["VIGIE_MODEL_DIR"]).iterdir()), "shipped models seeded into the model volume"
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=30)
    assert proc.returncode in (0, -signal.SIGTERM)


def test_entry_point_refuses_the_development_secret(tmp_path: Path) -> None:
    env = _entrypoint_env(tmp_path, f"sqlite:///{tmp_path / 'x.db'}")
    env["VIGIE_SECRET_KEY"] = "dev-insecure-change-me"
    done = subprocess.run([str(ENTRYPOINT), "serve"], env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 64
    assert "VIGIE_SECRET_KEY" in done.stderr


def test_entry_point_runs_any_vigie_command(tmp_path: Path) -> None:
    env = _entrypoint_env(tmp_path, f"sqlite:///{tmp_path / 'x.db'}")
    done = subprocess.run(
        [str(ENTRYPOINT), "sources", "check", str(REPO / "sources" / "catalogue.yaml")],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert "all valid" in done.stdout
