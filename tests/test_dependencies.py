"""Each combination runs on exactly the packages it declares, and no more than it must.

The direct dependencies are pinned per option, and the whole runtime set (what
`uv sync --no-dev` installs on Linux, as the image does) has a ceiling per combination. A new
dependency, declared or pulled in by one, fails here until someone changes the pin on purpose.
"""

from __future__ import annotations

import tomllib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from packaging.markers import Marker
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from tests.combinations import COMBINATIONS
from tests.conftest import check, clean_env, run
from tests.test_bake import ALL
from tests.test_tree import answers

# What every service imports or runs: uvicorn is what the image starts.
COMMON = {"fastapi", "uvicorn", "pydantic", "pydantic-settings", "httpx2", "python-json-logger"}
# OpenTelemetry's SDK and exporter, and the instrumentation of httpx2 clients.
TRACING = {
    "opentelemetry-sdk",
    "opentelemetry-exporter-otlp-proto-http",
    "opentelemetry-instrumentation-httpx",
}
DATABASE = {"sqlalchemy", "alembic"}
# The JOSE library that verifies access tokens; redis-py's asyncio client for the cache.
AUTH = {"joserfc"}
CACHE = {"redis"}
# taskiq and its Redis Streams broker, on redis-py's asyncio client (shared with the cache).
JOBS = {"taskiq", "taskiq-redis", "redis"}
# taskiq itself depends on aiohttp (its HTTP-based parts), so a bake with jobs carries it.
JOBS_ALLOW = {"aiohttp"}
# FastStream, with the extra of the chosen broker: `rabbit` (aio-pika) or `nats` (nats-py).
BROKER = {"faststream"}
DRIVERS = {"sqlite": "aiosqlite", "postgresql": "asyncpg"}
# Never in a service's runtime: a second HTTP client stack, and the command-line tools of
# fastapi[standard] (`fastapi dev` is a development tool: the dev group has it).
NEVER = {"httpx", "httpcore", "aiohttp", "httpx-aiohttp", "fastapi-cli", "fastapi-cloud-cli"}
# Only with tracing: OpenTelemetry beyond the API that FastAPI itself imports.
TRACING_ONLY = {"opentelemetry-sdk", "opentelemetry-exporter-otlp-proto-http", "protobuf"}

# Packages `uv sync --no-dev` installs on Linux at most, the project left out: what was measured
# on 2026-12-05 and three more, for releases that split a package. Measured: defaults 32,
# everything-on 72, everything-off 25, gitlab-postgres 44, no-database 57, postgresql 40,
# sqlite-events 49; tracing's share is 18 of them (OpenTelemetry, protobuf, and requests for the
# OTLP exporter), RabbitMQ's 8 (FastStream, fast-depends, aio-pika, aiormq, pamqp, yarl, multidict,
# propcache) and NATS's 3 (FastStream, fast-depends, nats-py). jobs=taskiq adds 9 to 13 (13 in
# gitlab-postgres, which gains redis too): taskiq, taskiq-dependencies, taskiq-redis, pycron, and
# aiohttp with aiohappyeyeballs, aiosignal, attrs, frozenlist, multidict, propcache and yarl, some
# of which the other options had already (12 in sqlite-events and everything-on, beside NATS's 3).
CEILINGS = {
    "defaults": 35,
    "everything-on": 75,
    "everything-off": 28,
    "gitlab-postgres": 47,
    "no-database": 60,
    "postgresql": 43,
    "sqlite-events": 52,
}

# The platform the image runs on, for the markers in a lock that holds every platform's packages.
LINUX = {
    "sys_platform": "linux",
    "platform_system": "Linux",
    "os_name": "posix",
    "platform_machine": "x86_64",
    "implementation_name": "cpython",
    "platform_python_implementation": "CPython",
}


def expected_direct(answer: dict[str, Any]) -> set[str]:
    """The runtime dependencies a bake with these answers declares."""
    names = set(COMMON)
    if answer["metrics"]:
        names.add("prometheus-client")
    if answer["tracing"]:
        names |= TRACING
    if answer["database"] != "none":
        names |= DATABASE | {DRIVERS[answer["database"]]}
        if answer["tracing"]:
            names.add("opentelemetry-instrumentation-sqlalchemy")
    if answer["auth"] == "jwt":
        names |= AUTH
    if answer["cache"] == "redis":
        names |= CACHE
    if answer["jobs"] == "taskiq":
        names |= JOBS
    if answer.get("broker", "none") != "none":
        names |= BROKER
    return names


def declared(project: Path) -> set[str]:
    dependencies = tomllib.loads((project / "pyproject.toml").read_text())["project"]
    return {canonicalize_name(Requirement(line).name) for line in dependencies["dependencies"]}


def requirement_names(requirements: str, python: str) -> set[str]:
    """The packages of a requirements file that install on Linux under `python`."""
    environment = {**LINUX, "python_version": python, "python_full_version": f"{python}.0"}
    names = set()
    for line in requirements.splitlines():
        if not line or line.startswith((" ", "#", "-")):
            continue
        requirement, _, marker = line.partition(";")
        if not marker.strip() or Marker(marker).evaluate(environment):
            names.add(canonicalize_name(requirement.split("==")[0].strip()))
    return names


def installed(project: Path, python: str) -> set[str]:
    """What `uv sync --no-dev` installs on Linux: from the bake's lock when it has one, as the
    image installs it; otherwise resolved for its oldest Python (no interpreter needed), from
    uv's cache when that holds everything."""
    env = clean_env()
    if (project / "uv.lock").exists():
        export = ["uv", "export", "--frozen", "--no-dev", "--no-emit-project", "--no-hashes"]
        result = run([*export, "--quiet"], cwd=project, env=env)
    else:
        target = ["--python-version", python, "--python-platform", "x86_64-unknown-linux-gnu"]
        compile_ = ["uv", "pip", "compile", "pyproject.toml", *target, "--quiet"]
        result = run([*compile_, "--offline"], cwd=project, env=env)
        if result.returncode != 0:
            result = run(compile_, cwd=project, env=env)
    check(result)
    return requirement_names(result.stdout, python)


def runtime_problems(project: Path, answer: dict[str, Any], ceiling: int) -> list[str]:
    """How a bake's runtime differs from what its answers call for."""
    direct, expected = declared(project), expected_direct(answer)
    problems = [f"declares {name}, which is not pinned here" for name in sorted(direct - expected)]
    problems += [f"does not declare {name}" for name in sorted(expected - direct)]
    packages = installed(project, answer["python_version"])
    # Each declared package installs: a count read wrong (markers, say) cannot pass unseen.
    problems += [f"does not install {name}" for name in sorted(direct - packages)]
    forbidden = NEVER if answer["tracing"] else NEVER | TRACING_ONLY
    if answer["jobs"] == "taskiq":
        forbidden -= JOBS_ALLOW
    problems += [f"installs {name}" for name in sorted(packages & forbidden)]
    if len(packages) > ceiling:
        problems.append(f"installs {len(packages)} packages, over the ceiling of {ceiling}")
    return problems


def test_every_combination_has_a_ceiling() -> None:
    assert CEILINGS.keys() == COMBINATIONS.keys()


@pytest.mark.parametrize("name", ALL)
def test_the_runtime_is_what_the_options_call_for(bake: Callable[[str], Path], name: str) -> None:
    problems = runtime_problems(bake(name), answers(name), CEILINGS[name])
    assert not problems, "\n".join(problems)


@pytest.mark.xdist_group("defaults")
@pytest.mark.parametrize(
    ("requirement", "caught"),
    [
        # Four packages with its own: over the ceiling.
        ("rich>=13", ["declares rich, which is not pinned here", "installs 36 packages"]),
        # A second HTTP client stack, three packages: under the ceiling, never allowed.
        ("httpx>=0.28", ["declares httpx, which is not pinned here", "installs httpcore"]),
    ],
    ids=["rich", "httpx"],
)
def test_a_dependency_added_without_a_decision_is_caught(
    bake: Callable[[str], Path], tmp_path: Path, requirement: str, caught: list[str]
) -> None:
    pyproject = (bake("defaults") / "pyproject.toml").read_text()
    added = pyproject.replace("dependencies = [\n", f'dependencies = [\n    "{requirement}",\n', 1)
    assert added != pyproject
    (tmp_path / "pyproject.toml").write_text(added)
    problems = runtime_problems(tmp_path, answers("defaults"), CEILINGS["defaults"])
    missed = [text for text in caught if not any(p.startswith(text) for p in problems)]
    assert not missed, problems
