"""A new user's path: bake, install with uv as the README says, test, serve over real HTTP."""

from __future__ import annotations

import json
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import check, clean_env, run


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def call(method: str, url: str, body: dict[str, Any] | None = None) -> tuple[int, Any]:
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(
        url, data=data, method=method, headers={"content-type": "application/json"}
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            payload = response.read()
            return response.status, json.loads(payload) if payload else None
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def wait_until_ready(url: str, process: subprocess.Popen[str], deadline: float = 60) -> None:
    start = time.monotonic()
    while time.monotonic() - start < deadline:
        assert process.poll() is None, f"the server exited early: {process.communicate()}"
        try:
            if call("GET", url)[0] == 200:
                return
        except OSError:
            pass
        time.sleep(0.2)
    pytest.fail(f"{url} did not answer 200 within {deadline} s")


@pytest.mark.xdist_group("e2e")
def test_bake_install_test_and_serve(cookies: Any, tmp_path: Path) -> None:
    result = cookies.bake()
    assert result.exit_code == 0, str(result.exception)
    project = Path(result.project_path)
    env = clean_env(UV_PROJECT_ENVIRONMENT=str(project / ".venv"))

    check(run(["uv", "sync"], cwd=project, env=env))
    check(run(["uv", "run", "pytest", "-q"], cwd=project, env=env))
    check(run(["uv", "run", "alembic", "upgrade", "head"], cwd=project, env=env))

    port = free_port()
    base = f"http://127.0.0.1:{port}"
    # The venv's own script, not `uv run`, so the exit status is the server's.
    server = subprocess.Popen(
        [
            str(project / ".venv" / "bin" / "fastapi"),
            "run",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
        ],
        cwd=project,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        wait_until_ready(f"{base}/health/ready", server)
        assert call("GET", f"{base}/health/live") == (200, {"status": "ok"})

        status, created = call("POST", f"{base}/api/v1/items", {"name": "gear"})
        assert status == 201
        item = f"{base}/api/v1/items/{created['id']}"
        assert call("GET", item) == (200, created)
        assert call("POST", f"{base}/api/v1/items", {"name": "gear"})[0] == 409
        status, page = call("GET", f"{base}/api/v1/items?limit=10")
        assert (status, page["total"]) == (200, 1)
        status, updated = call("PATCH", item, {"description": "toothed"})
        assert (status, updated["description"]) == (200, "toothed")
        assert call("DELETE", item) == (204, None)
        assert call("GET", item)[0] == 404
    finally:
        server.send_signal(signal.SIGTERM)
        output, _ = server.communicate(timeout=30)
    # uvicorn re-raises the signal once it has shut down cleanly, as a well-behaved process does.
    assert server.returncode in (0, -signal.SIGTERM), output
    assert "Application shutdown complete" in output
