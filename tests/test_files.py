"""The tooling files a bake carries pass the checks their own ecosystems use.

The baked suite does not exercise CI pipelines, the Dockerfile or the Kubernetes manifests, so
each is checked by its linter or schema: hadolint, actionlint, the GitHub and GitLab CI schemas
that check-jsonschema ships, and kubernetes-validate against the newest Kubernetes it bundles.
"""

from __future__ import annotations

import re
import shlex
import shutil
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.conftest import SharedEnv, bake_quietly, check, clean_env, run
from tests.test_bake import ALL

BIN = Path(sys.executable).parent


def tool(name: str) -> str:
    """The validators are console scripts of the template's own test environment."""
    return str(BIN / name)


def validate(project: Path) -> list[str]:
    """Run the validator of every tooling file the project carries; return the failures."""
    failures = []
    commands = []
    if (project / "Dockerfile").exists():
        commands.append([tool("hadolint"), "Dockerfile"])
    for workflow in sorted((project / ".github" / "workflows").glob("*.yml")):
        name = str(workflow.relative_to(project))
        commands.append([tool("actionlint"), name])
        commands.append(
            [tool("check-jsonschema"), "--builtin-schema", "vendor.github-workflows", name]
        )
    if (project / "compose.yaml").exists():
        commands.append(
            [tool("check-jsonschema"), "--builtin-schema", "vendor.compose-spec", "compose.yaml"]
        )
    if (project / ".gitlab-ci.yml").exists():
        commands.append(
            [tool("check-jsonschema"), "--builtin-schema", "vendor.gitlab-ci", ".gitlab-ci.yml"]
        )
    # The dependency bots' configurations, against the schemas the bots publish.
    bots = {".github/dependabot.yml": "vendor.dependabot", "renovate.json": "vendor.renovate"}
    for path, schema in bots.items():
        if (project / path).exists():
            commands.append([tool("check-jsonschema"), "--builtin-schema", schema, path])
    k8s = project / "deploy" / "k8s"
    if k8s.exists():
        # kustomize applies what the kustomization lists: it must be every manifest there.
        listed = yaml.safe_load((k8s / "kustomization.yaml").read_text())["resources"]
        present = sorted(p.name for p in k8s.glob("*.yaml") if p.name != "kustomization.yaml")
        if sorted(listed) != present:
            failures.append(f"kustomization.yaml lists {listed}; deploy/k8s holds {present}")
        manifests = [f"deploy/k8s/{name}" for name in present]
        commands.append([tool("kubernetes-validate"), "--strict", *manifests])
    for command in commands:
        result = run(command, cwd=project)
        if result.returncode != 0:
            failures.append(f"{' '.join(command)}:\n{result.stdout}{result.stderr}")
    return failures


@pytest.mark.parametrize("name", ALL)
def test_tooling_files_pass_their_validators(bake: Callable[[str], Path], name: str) -> None:
    failures = validate(bake(name))
    assert not failures, "\n".join(failures)


@pytest.mark.parametrize("name", ALL)
def test_pre_commit_config_is_valid(
    bake: Callable[[str], Path], shared_env: SharedEnv, name: str
) -> None:
    check(shared_env.run(bake(name), "-m", "pre_commit", "validate-config"))


def ci_pairing(ci: str, docker: bool, database: str, cache: str, broker: str = "none") -> Any:
    docker_id = "docker" if docker else "no-docker"
    return pytest.param(
        ci, docker, database, cache, broker, id=f"{ci}-{docker_id}-{database}-{cache}-{broker}"
    )


# The combinations that differ from the baked ones only in CI and container files: bake them
# without running their suites, and check those files. Each CI service (PostgreSQL, Redis) is
# paired with each ci and docker answer, and both services once with each ci; each broker's
# server once with each ci.
CI_PAIRINGS = [
    ci_pairing(ci, docker, database, cache)
    for ci in ("github", "gitlab")
    for docker in (True, False)
    for database, cache in (("postgresql", "none"), ("sqlite", "redis"))
] + [
    pairing
    for ci in ("github", "gitlab")
    for pairing in (
        ci_pairing(ci, True, "postgresql", "redis"),
        ci_pairing(ci, True, "sqlite", "none", "rabbitmq"),
        ci_pairing(ci, True, "sqlite", "none", "nats"),
    )
]
# What starts each broker's server in a pipeline, and the scheme of its URL.
BROKER_SERVERS = {"rabbitmq": ("rabbitmq:4", "amqp://"), "nats": ("nats:2", "nats://")}


@pytest.mark.parametrize(("ci", "docker", "database", "cache", "broker"), CI_PAIRINGS)
def test_every_ci_pairing_is_valid_and_runs_what_the_project_needs(
    tmp_path: Path, ci: str, docker: bool, database: str, cache: str, broker: str
) -> None:
    project = bake_quietly(
        tmp_path, ci=ci, docker=docker, database=database, cache=cache, broker=broker
    )
    failures = validate(project)
    assert not failures, "\n".join(failures)
    pipeline = (
        project / (".gitlab-ci.yml" if ci == "gitlab" else ".github/workflows/ci.yml")
    ).read_text()
    for step in ("uv sync --locked", "ruff check", "ruff format --check", "mypy", "pytest --cov"):
        assert step in pipeline
    assert ("image: postgres:" in pipeline or "name: postgres:" in pipeline) == (
        database == "postgresql"
    )
    if database == "postgresql":
        # The pipeline must hand its server to the tests under the name they read.
        tests_read = re.search(
            r'^SERVER_VARIABLE = "(\w+)"', (project / "tests" / "database.py").read_text(), re.M
        )
        assert tests_read
        assert f"{tests_read.group(1)}: postgresql+asyncpg://" in pipeline
    assert ("image: redis:" in pipeline or "name: redis:" in pipeline) == (cache == "redis")
    if cache == "redis":
        tests_read = re.search(
            r'^SERVER_VARIABLE = "(\w+)"', (project / "tests" / "redis_server.py").read_text(), re.M
        )
        assert tests_read
        assert f"{tests_read.group(1)}: redis://" in pipeline
    for name, (image, _) in BROKER_SERVERS.items():
        assert (image in pipeline) == (broker == name)
    if broker != "none":
        tests_read = re.search(
            r'^SERVER_VARIABLE = "(\w+)"', (project / "tests" / "broker.py").read_text(), re.M
        )
        assert tests_read
        assert f"{tests_read.group(1)}: {BROKER_SERVERS[broker][1]}" in pipeline
    if broker == "nats":
        assert "--jetstream" in pipeline, "JetStream is off unless asked for"
    assert ("docker build" in pipeline) == docker


@pytest.mark.parametrize("ci", ["github", "gitlab"])
def test_jobs_without_the_cache_bring_redis_to_ci_compose_and_the_cluster(
    tmp_path: Path, ci: str
) -> None:
    """No combination runs jobs without the cache: its Redis must still come from somewhere."""
    project = bake_quietly(
        tmp_path, ci=ci, database="postgresql", jobs="taskiq", kubernetes=True, cache="none"
    )
    failures = validate(project)
    assert not failures, "\n".join(failures)
    pipeline = (
        project / (".gitlab-ci.yml" if ci == "gitlab" else ".github/workflows/ci.yml")
    ).read_text()
    assert "image: redis:" in pipeline or "name: redis:" in pipeline
    assert "TEST_REDIS_URL: redis://" in pipeline
    compose = (project / "compose.yaml").read_text()
    for service in ("redis:", "worker:", "scheduler:"):
        assert f"\n  {service}" in compose
    assert "REDIS_URL: redis://" in (project / "deploy" / "k8s" / "secret.yaml").read_text()
    assert not (project / "src" / "orders_service" / "cache").exists()


PYTEST_COMMAND = re.compile(r"^\s*(?:- |run: )?uv run pytest(.*)$", re.MULTILINE)


def slow_tests_left_out(shared_env: SharedEnv, project: Path, path: str) -> int:
    """How many tests the pytest command in `path` deselects, as pytest itself counts them."""
    (args,) = PYTEST_COMMAND.findall((project / path).read_text())
    command = ["-m", "pytest", "-p", "no:cacheprovider", *shlex.split(args)]
    result = shared_env.run(project, *command, "--no-cov", "--collect-only", "-q")
    check(result)
    deselected = re.search(r"(\d+) deselected", result.stdout)
    return int(deselected.group(1)) if deselected else 0


@pytest.mark.parametrize(
    ("name", "path"),
    [
        pytest.param("defaults", "Makefile", marks=pytest.mark.xdist_group("defaults")),
        pytest.param(
            "defaults", ".github/workflows/ci.yml", marks=pytest.mark.xdist_group("defaults")
        ),
        pytest.param("no-database", ".gitlab-ci.yml", marks=pytest.mark.xdist_group("no-database")),
    ],
    ids=["make-test", "github", "gitlab"],
)
def test_make_test_and_ci_run_the_slow_tests_too(
    bake: Callable[[str], Path], shared_env: SharedEnv, name: str, path: str
) -> None:
    """A plain `pytest` leaves the slow tests out; `make test` and CI must not."""
    assert slow_tests_left_out(shared_env, bake(name), path) == 0


@pytest.mark.xdist_group("defaults")
def test_a_test_command_that_leaves_the_slow_tests_out_is_caught(
    bake: Callable[[str], Path], shared_env: SharedEnv, tmp_path: Path
) -> None:
    project = tmp_path / "project"
    shutil.copytree(bake("defaults"), project)
    makefile = project / "Makefile"
    assert 'pytest --cov -m ""' in makefile.read_text()
    makefile.write_text(makefile.read_text().replace('pytest --cov -m ""', "pytest --cov"))
    assert slow_tests_left_out(shared_env, project, "Makefile") > 0


# Each validator, shown a file broken on purpose, must fail: a check that passes anything is none.
BREAKAGES = [
    pytest.param("Dockerfile", "WORKDIR /app\n", "RUN cd /app\n", "hadolint", id="hadolint"),
    pytest.param(
        ".github/workflows/ci.yml",
        "timeout-minutes: 15",
        "timeout-minutes: fifteen",
        "actionlint",
        id="actionlint",
    ),
    pytest.param(
        ".gitlab-ci.yml", "build-image:", "image:", "vendor.gitlab-ci", id="gitlab-schema"
    ),
    pytest.param(
        ".github/dependabot.yml",
        "interval: weekly",
        "interval: fortnightly",
        "vendor.dependabot",
        id="dependabot-schema",
    ),
    pytest.param(
        "renovate.json",
        '"enabled": true',
        '"enabled": "yes"',
        "vendor.renovate",
        id="renovate-schema",
    ),
    pytest.param(
        "deploy/k8s/pdb.yaml",
        "maxUnavailable: 1",
        "maxUnavailabel: 1",
        "kubernetes-validate",
        id="kubernetes-validate",
    ),
    pytest.param(
        "deploy/k8s/kustomization.yaml",
        "  - pdb.yaml\n",
        "",
        "kustomization.yaml lists",
        id="kustomization",
    ),
]


@pytest.mark.parametrize(("path", "old", "new", "culprit"), BREAKAGES)
def test_validators_catch_a_broken_file(
    tmp_path: Path, path: str, old: str, new: str, culprit: str
) -> None:
    ci = "gitlab" if path in {".gitlab-ci.yml", "renovate.json"} else "github"
    # The same answers bake files that pass (test_every_ci_pairing..., test_tooling_files...).
    project = bake_quietly(tmp_path, ci=ci, database="postgresql", kubernetes=True)
    target = project / path
    assert old in target.read_text()
    target.write_text(target.read_text().replace(old, new, 1))
    failures = validate(project)
    assert any(culprit in failure for failure in failures), failures


@pytest.fixture(scope="session")
def pre_commit_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """pre-commit builds its hook environments once per test session, here."""
    return tmp_path_factory.mktemp("pre-commit-home")


@pytest.mark.slow
def test_pre_commit_passes_on_a_fresh_bake(tmp_path: Path, pre_commit_home: Path) -> None:
    """What a new user runs first: every hook installs from PyPI alone and passes as baked."""
    project = bake_quietly(tmp_path, database="postgresql", ci="github", kubernetes=True)
    check(run(["git", "init", "--quiet"], cwd=project))
    check(run(["git", "add", "--all"], cwd=project))
    env = clean_env(PRE_COMMIT_HOME=str(pre_commit_home))
    check(run(["uv", "run", "pre-commit", "run", "--all-files"], cwd=project, env=env, timeout=600))
