"""Bake the template once per option combination and check each bake with its own tools."""

from __future__ import annotations

import functools
import json
import os
import re
import signal
import socket
import subprocess
import time
import tomllib
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from cookiecutter.environment import StrictEnvironment
from cookiecutter.generate import generate_context
from cookiecutter.main import cookiecutter
from cookiecutter.prompt import prompt_for_config

from tests.combinations import COMBINATIONS

TEMPLATE = Path(__file__).resolve().parents[1]
# Where the PostgreSQL variant's own tests look for a server unless told otherwise.
POSTGRES = ("127.0.0.1", 5432)
# The Python versions a bake may declare, oldest first.
OFFERED_PYTHONS: tuple[str, ...] = tuple(
    json.loads((TEMPLATE / "cookiecutter.json").read_text())["python_version"]
)
REDIS = ("127.0.0.1", 6379)
RABBITMQ = ("127.0.0.1", 5672)
NATS = ("127.0.0.1", 4222)


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


def find_python(version: str) -> Path | None:
    """An interpreter of `version` on this machine: uv's (one it installed, or one on PATH), else
    pyenv's, whose shims uv cannot use."""
    for args in (["--system", version], [version]):
        found = run(["uv", "python", "find", *args], cwd=Path("/"), env=clean_env())
        if found.returncode == 0:
            return Path(found.stdout.strip())
    pyenv = Path(os.environ.get("PYENV_ROOT", Path.home() / ".pyenv")) / "versions"
    matches = sorted(pyenv.glob(f"{version}.*/bin/python{version}"))
    return matches[-1] if matches else None


@functools.cache
def python_for(declared: str) -> tuple[str, Path] | None:
    """The version and interpreter that a bake declaring `declared` runs on: that version where
    this machine has it, else the newest offered one it has, unless
    ASYNC_FASTAPI_REQUIRE_EVERY_PYTHON=1 (the template's GitHub workflow) forbids the stand-in."""
    if found := find_python(declared):
        return declared, found
    if os.environ.get("ASYNC_FASTAPI_REQUIRE_EVERY_PYTHON") == "1":
        return None
    for version in reversed(OFFERED_PYTHONS):
        if found := find_python(version):
            return version, found
    return None


def declared_python(project: Path) -> str:
    """The oldest Python the baked project supports: what its code must run on."""
    requires = tomllib.loads((project / "pyproject.toml").read_text())["project"]["requires-python"]
    oldest = re.search(r">=\s*(\d+\.\d+)", requires)
    assert oldest, f"requires-python {requires!r} names no oldest version"
    return oldest.group(1)


class SharedEnv:
    """Virtual environments that every bake's tools run in: one per test worker and Python.

    Installing is not what most tests check, so each bake adds its dependencies to the
    environment of the Python it declares (a no-op once they are present) and runs with its
    `src/` on the path instead of being installed. ASYNC_FASTAPI_UPGRADE=1 (the weekly run of
    the template's GitHub workflow) resolves them afresh, past any cached index data.
    """

    def __init__(self, root: Path) -> None:
        self.root = root
        # mypy's cache of the libraries the bakes share; it rechecks whatever changed. Its
        # entries are kept per target version, and each target runs on one interpreter.
        self.mypy_cache = root / "mypy-cache"
        self._installed: set[tuple[str, str]] = set()

    def python(self, project: Path) -> Path:
        declared = declared_python(project)
        chosen = python_for(declared)
        if chosen is None:
            pytest.fail(
                f"no Python {declared} here, and ASYNC_FASTAPI_REQUIRE_EVERY_PYTHON=1 wants it"
            )
        version, interpreter = chosen
        venv = self.root / f"venv-{version}"
        if not venv.exists():
            create = ["uv", "venv", "--quiet", "--python", str(interpreter), str(venv)]
            check(run(create, cwd=self.root))
        return venv / "bin" / "python"

    def install(self, project: Path) -> None:
        python = self.python(project)
        requirements = (project / "pyproject.toml").read_text()
        if (str(python), requirements) in self._installed:
            return
        upgrade = ["--upgrade"] if os.environ.get("ASYNC_FASTAPI_UPGRADE") == "1" else []
        check(
            run(
                [
                    "uv",
                    "pip",
                    "install",
                    "--quiet",
                    *upgrade,
                    # The suites start service processes, and PYTHONDONTWRITEBYTECODE below
                    # would make each one compile every dependency again.
                    "--compile-bytecode",
                    "--python",
                    str(python),
                    "-r",
                    "pyproject.toml",
                    "--group",
                    "pyproject.toml:dev",
                ],
                cwd=project,
            )
        )
        self._installed.add((str(python), requirements))

    def run(
        self, project: Path, *args: str, timeout: float = 300, **extra_env: str
    ) -> subprocess.CompletedProcess[str]:
        self.install(project)
        env = clean_env(PYTHONPATH=str(project / "src"), PYTHONDONTWRITEBYTECODE="1", **extra_env)
        return run([str(self.python(project)), *args], cwd=project, env=env, timeout=timeout)


@pytest.fixture(scope="session")
def shared_env(tmp_path_factory: pytest.TempPathFactory) -> SharedEnv:
    return SharedEnv(tmp_path_factory.mktemp("shared-env"))


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """Say which combinations ran on another Python than the one they declare, and why."""
    declared = {
        name: answers.get("python_version", OFFERED_PYTHONS[0])
        for name, answers in COMBINATIONS.items()
    }
    lines = []
    for name, version in declared.items():
        chosen = python_for(version)
        if chosen is None:
            lines.append(f"{name} declares Python {version}, which this machine does not have")
        elif chosen[0] != version:
            lines.append(
                f"{name} declares Python {version}; its checks ran on {chosen[0]}, the newest "
                f"this machine has (ASYNC_FASTAPI_REQUIRE_EVERY_PYTHON=1 makes this a failure)"
            )
    if lines:
        terminalreporter.section("Python versions")
        for line in lines:
            terminalreporter.write_line(line)


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


def hook_namespace(hook: str, answers: dict[str, Any]) -> dict[str, Any]:
    """The module-level names of a hook as cookiecutter renders it for `answers`, without
    running its main()."""
    defaults = generate_context(str(TEMPLATE / "cookiecutter.json"), extra_context=answers)
    context = prompt_for_config(defaults, no_input=True)
    environment = StrictEnvironment(context={"cookiecutter": context}, keep_trailing_newline=True)
    source = (TEMPLATE / "hooks" / f"{hook}.py").read_text()
    namespace: dict[str, Any] = {"__name__": hook}
    exec(environment.from_string(source).render(cookiecutter=context), namespace)
    return namespace


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


def require_rabbitmq(address: tuple[str, int] = RABBITMQ) -> None:
    require_server("RabbitMQ", address, "ASYNC_FASTAPI_REQUIRE_RABBITMQ")


def require_nats(address: tuple[str, int] = NATS) -> None:
    require_server("NATS", address, "ASYNC_FASTAPI_REQUIRE_NATS")


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
