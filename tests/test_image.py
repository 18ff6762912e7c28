"""The image's recipe works: followed by hand, since this machine has no Docker engine."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import check, clean_env, run


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def wait_until_ready(url: str, server: subprocess.Popen[str], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert server.poll() is None, "the server exited before it answered"
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.3)
    pytest.fail(f"{url} did not answer 200 within {timeout} s")


@pytest.mark.slow
@pytest.mark.xdist_group("defaults")
def test_the_image_recipe_migrates_and_serves(bake: Callable[[str], Path], tmp_path: Path) -> None:
    """No Docker engine here, so follow the Dockerfile by hand: what it copies, how uv installs
    it, what the final stage keeps; then migrate and serve as the image does, port from the env.
    """
    project = bake("defaults")
    dockerfile = (project / "Dockerfile").read_text()
    assert 'CMD ["uvicorn", "orders_service.main:app"]' in dockerfile
    app = tmp_path / "app"
    app.mkdir()
    for name in ("pyproject.toml", "uv.lock", "README.md"):
        shutil.copy(project / name, app)
    shutil.copytree(project / "src", app / "src")
    build = clean_env(UV_COMPILE_BYTECODE="1", UV_PYTHON_DOWNLOADS="never")
    for flags in (["--no-install-project"], []):
        sync = ["uv", "sync", "--quiet", "--locked", "--no-dev", "--no-editable", *flags]
        check(run(sync, cwd=app, env=build))
    # The final stage has the environment and pyproject.toml (for Alembic), and no source.
    for name in ("uv.lock", "README.md"):
        (app / name).unlink()
    shutil.rmtree(app / "src")

    port = free_port()
    env = clean_env(
        PATH=f"{app / '.venv' / 'bin'}:{os.environ['PATH']}",
        ORDERS_SERVICE_DATABASE_URL=f"sqlite+aiosqlite:///{tmp_path / 'service.db'}",
        UVICORN_HOST="127.0.0.1",
        UVICORN_PORT=str(port),
        WEB_CONCURRENCY="1",
    )
    check(run(["alembic", "upgrade", "head"], cwd=app, env=env))
    server = subprocess.Popen(
        ["uvicorn", "orders_service.main:app"],
        cwd=app,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        wait_until_ready(f"http://127.0.0.1:{port}/health/ready", server)
        request = urllib.request.Request(
            f"http://127.0.0.1:{port}/api/v1/items",
            data=json.dumps({"name": "widget"}).encode(),
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=5) as response:
            assert response.status == 201
    finally:
        server.terminate()
        output, _ = server.communicate(timeout=30)
    # uvicorn shuts down gracefully on SIGTERM, then re-raises it so the exit status tells why.
    assert server.returncode == -signal.SIGTERM, output
    assert "Application shutdown complete" in output
