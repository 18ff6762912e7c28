"""Bake the template once per option combination and check each bake with its own tools."""

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
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from cookiecutter.main import cookiecutter

from tests.combinations import COMBINATIONS

TEMPLATE = Path(__file__).resolve().parents[1]
# Where the PostgreSQL variant's own tests look for a server unless told otherwise.
POSTGRES = ("127.0.0.1", 5432)
REDIS = ("127.0.0.1", 6379)


def run(
    args: list[str], cwd: Path, env: dict[str, str] | None = None, timeout: float = 300
) -> subprocess.CompletedProcess[str]:
    """Run a command and return it; the caller asserts on the result."""
    return subprocess.run(
        args, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout, check=False
    )


def check(result: subprocess.CompletedProcess[str]) -> None:
    assert result.returncode == 0, (
        f"{' '.join(result.args)} failed ({result.returncode}):\n{result.stdout}\n{result.stderr}"
    )


def clean_env(**extra: str) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if key != "VIRTUAL_ENV"}
    env.update(extra)
    return env


class SharedEnv:
    """One virtual environment per test worker that every bake's tools run in.

    Installing is not what most tests check, so each bake adds its dependencies here (a no-op
    once they are present) and runs with its `src/` on the path instead of being installed.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self.python = path / "bin" / "python"
        # mypy's cache of the libraries the bakes share; it rechecks whatever changed.
        self.mypy_cache = path.parent / "mypy-cache"
        self._installed: set[str] = set()

    def install(self, project: Path) -> None:
        requirements = (project / "pyproject.toml").read_text()
        if requirements in self._installed:
            return
        check(
            run(
                [
                    "uv",
                    "pip",
                    "install",
                    "--quiet",
                    # The suites start service processes, and PYTHONDONTWRITEBYTECODE below
                    # would make each one compile every dependency again.
                    "--compile-bytecode",
                    "--python",
                    str(self.python),
                    "-r",
                    "pyproject.toml",
                    "--group",
                    "pyproject.toml:dev",
                ],
                cwd=project,
            )
        )
        self._installed.add(requirements)

    def run(
        self, project: Path, *args: str, timeout: float = 300, **extra_env: str
    ) -> subprocess.CompletedProcess[str]:
        self.install(project)
        env = clean_env(PYTHONPATH=str(project / "src"), PYTHONDONTWRITEBYTECODE="1", **extra_env)
        return run([str(self.python), *args], cwd=project, env=env, timeout=timeout)


@pytest.fixture(scope="session")
def shared_env(tmp_path_factory: pytest.TempPathFactory) -> SharedEnv:
    path = tmp_path_factory.mktemp("shared-env") / "venv"
    check(run(["uv", "venv", "--quiet", "--python", sys.executable, str(path)], cwd=TEMPLATE))
    return SharedEnv(path)


def bake_quietly(output: Path, **answers: Any) -> Path:
    """Bake one set of answers into `output`, outside the combinations and without git."""
    return Path(
        cookiecutter(
            str(TEMPLATE),
            no_input=True,
            output_dir=str(output),
            extra_context={"init_git": False, **answers},
        )
    )


@pytest.fixture(scope="session")
def bake(cookies_session: object) -> Callable[[str], Path]:
    """Bake a named combination once per worker and hand out its project directory."""
    baked: dict[str, Path] = {}

    def _bake(name: str) -> Path:
        if name not in baked:
            result = cookies_session.bake(extra_context=COMBINATIONS[name])  # type: ignore[attr-defined]
            assert result.exception is None, f"baking {name} failed: {result.exception!r}"
            assert result.exit_code == 0
            baked[name] = Path(result.project_path)
        return baked[name]

    return _bake


def require_server(name: str, address: tuple[str, int], variable: str) -> None:
    """Stop a test that needs a local server when it is down: CI sets `variable` to 1 so that
    there it fails instead of skipping."""
    try:
        socket.create_connection(address, timeout=2).close()
    except OSError as error:
        reason = f"{name} does not answer on {address[0]}:{address[1]} ({error})"
        if os.environ.get(variable) == "1":
            pytest.fail(f"{reason}, and {variable}=1 requires it")
        pytest.skip(f"{reason}; set {variable}=1 to fail instead")


def require_postgres(address: tuple[str, int] = POSTGRES) -> None:
    require_server("PostgreSQL", address, "ASYNC_FASTAPI_REQUIRE_POSTGRES")


def require_redis(address: tuple[str, int] = REDIS) -> None:
    require_server("Redis", address, "ASYNC_FASTAPI_REQUIRE_REDIS")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def call(method: str, url: str, body: dict[str, Any] | None = None) -> tuple[int, Any]:
    """One JSON request over real HTTP: the status and the decoded body, errors included."""
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


@contextmanager
def serving(
    args: list[str], cwd: Path, env: dict[str, str], ready_url: str, deadline: float = 60
) -> Iterator[None]:
    """Run a server until `ready_url` answers 200, hand over, then stop it with SIGTERM and
    check that it shut down cleanly, as an orchestrator stopping a pod would."""
    server = subprocess.Popen(
        args, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    try:
        start = time.monotonic()
        while True:
            if server.poll() is not None:
                output = server.stdout.read() if server.stdout else ""
                pytest.fail(f"the server exited early ({server.returncode}):\n{output}")
            try:
                if call("GET", ready_url)[0] == 200:
                    break
            except OSError:
                pass
            if time.monotonic() - start > deadline:
                pytest.fail(f"{ready_url} did not answer 200 within {deadline} s")
            time.sleep(0.2)
        yield
    finally:
        server.send_signal(signal.SIGTERM)
        output, _ = server.communicate(timeout=30)
    # uvicorn re-raises the signal once it has shut down cleanly, as a well-behaved process does.
    assert server.returncode in (0, -signal.SIGTERM), output
    assert "Application shutdown complete" in output
