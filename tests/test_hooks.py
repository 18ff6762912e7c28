"""Bad answers are refused before anything is written, with one line that names the rule."""

from __future__ import annotations

import ast
import json
import os
import shutil
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

import local_extensions
from tests.combinations import COMBINATIONS
from tests.conftest import TEMPLATE, SharedEnv, check, clean_env, hook_namespace, run
from tests.test_bake import ALL


def bake_cli(
    tmp_path: Path, env: dict[str, str] | None = None, **answers: str
) -> tuple[int, str, Path]:
    """Run cookiecutter as a user would, so the message they would see is what we check."""
    output = tmp_path / "out"
    output.mkdir(exist_ok=True)
    args = [f"{key}={value}" for key, value in answers.items()]
    result = run(
        [
            sys.executable,
            "-m",
            "cookiecutter",
            "--no-input",
            "-o",
            str(output),
            str(TEMPLATE),
            *args,
        ],
        cwd=tmp_path,
        env=env,
    )
    return result.returncode, result.stdout + result.stderr, output


BAD_ANSWERS: list[Any] = [
    pytest.param(
        {"project_slug": "Orders_Service", "package_name": "orders"},
        "project_slug 'Orders_Service' is invalid: use lowercase",
        id="slug-case",
    ),
    pytest.param(
        {"project_slug": "orders--service", "package_name": "orders"},
        "project_slug 'orders--service' is invalid",
        id="slug-double-hyphen",
    ),
    pytest.param(
        {"project_slug": "-orders", "package_name": "orders"},
        "project_slug '-orders' is invalid",
        id="slug-leading-hyphen",
    ),
    pytest.param(
        {"project_slug": "orders/service", "package_name": "orders"},
        "project_slug 'orders/service' is invalid: it must name one folder",
        id="slug-path",
    ),
    pytest.param(
        {"project_slug": "..\\orders", "package_name": "orders"},
        "project_slug '..\\\\orders' is invalid: it must name one folder",
        id="slug-backslash",
    ),
    pytest.param(
        {"package_name": "Orders"},
        "package_name 'Orders' is invalid: use a lowercase Python identifier",
        id="package-case",
    ),
    pytest.param(
        {"package_name": "orders-service"},
        "package_name 'orders-service' is invalid: use a lowercase",
        id="package-hyphen",
    ),
    pytest.param(
        {"package_name": "class"},
        "package_name 'class' is invalid: it is a Python keyword",
        id="keyword",
    ),
    pytest.param(
        {"package_name": "match"},
        "package_name 'match' is invalid: it is a Python keyword",
        id="soft-keyword",
    ),
    pytest.param(
        {"package_name": "asyncio"},
        "package_name 'asyncio' is invalid: it would shadow the standard-library module 'asyncio'",
        id="stdlib-asyncio",
    ),
    pytest.param(
        {"package_name": "test"},
        "would shadow the standard-library module 'test'",
        id="stdlib-test",
    ),
    pytest.param(
        {"package_name": "typing"},
        "would shadow the standard-library module 'typing'",
        id="stdlib-typing",
    ),
    pytest.param(
        {"package_name": "fastapi"},
        "package_name 'fastapi' is invalid: it would shadow the service's dependency 'fastapi'",
        id="dep-fastapi",
    ),
    pytest.param(
        {"package_name": "sqlalchemy"},
        "shadow the service's dependency 'sqlalchemy'",
        id="dep-sqlalchemy",
    ),
    pytest.param(
        {"package_name": "httpx2"}, "shadow the service's dependency 'httpx2'", id="dep-httpx2"
    ),
    pytest.param(
        {"package_name": "schemathesis"},
        "shadow the service's dependency 'schemathesis'",
        id="dep-dev-schemathesis",
    ),
    pytest.param(
        {"package_name": "hypothesis"},
        "shadow the service's dependency 'hypothesis'",
        id="dep-dev-hypothesis",
    ),
    pytest.param(
        {"package_name": "asyncpg", "database": "postgresql"},
        "shadow the service's dependency 'asyncpg'",
        id="dep-option-asyncpg",
    ),
    pytest.param(
        {"package_name": "pydantic"},
        "shadow the service's dependency 'pydantic'",
        id="dep-pydantic",
    ),
    pytest.param(
        {"package_name": "tests"},
        "package_name 'tests' is invalid: the generated project already has a 'tests' package",
        id="reserved-tests",
    ),
    pytest.param(
        {"author_email": "jane"},
        "author_email 'jane' is invalid: expected an address",
        id="email-no-at",
    ),
    pytest.param(
        {"author_email": "jane@localhost"},
        "author_email 'jane@localhost' is invalid",
        id="email-no-domain",
    ),
    pytest.param(
        {"author_email": "jane doe@example.com"},
        "author_email 'jane doe@example.com' is invalid",
        id="email-space",
    ),
    pytest.param(
        {"kubernetes": "yes", "docker": "no", "database": "none"},
        "kubernetes needs docker: the manifests deploy the service's container image",
        id="kubernetes-without-docker",
    ),
    pytest.param(
        {"kubernetes": "true", "docker": "true", "database": "sqlite"},
        "kubernetes runs several replicas, and they cannot share one SQLite file",
        id="kubernetes-with-sqlite",
    ),
    pytest.param(
        {"jobs": "taskiq", "database": "none"},
        "jobs=taskiq needs a database: the example job enriches the stored items",
        id="jobs-without-database",
    ),
]


@pytest.mark.parametrize(("answers", "message"), BAD_ANSWERS)
def test_bad_answer_is_refused_and_leaves_nothing(
    tmp_path: Path, answers: dict[str, str], message: str
) -> None:
    code, output, out_dir = bake_cli(tmp_path, **answers)
    assert code != 0
    assert message in output
    error_lines = [line for line in output.splitlines() if line.startswith("async-fastapi: ")]
    assert len(error_lines) == 1, output
    assert message in error_lines[0]
    assert list(out_dir.iterdir()) == [], "a refused bake must leave no directory behind"


@pytest.mark.parametrize("version", ["3.10", "2.7", "3.15"])
def test_unsupported_python_is_refused(tmp_path: Path, version: str) -> None:
    code, output, out_dir = bake_cli(tmp_path, python_version=version)
    assert code != 0
    assert "python_version" in output or "3.11" in output
    assert list(out_dir.iterdir()) == []


def test_every_bad_answer_is_listed_at_once(tmp_path: Path) -> None:
    code, output, out_dir = bake_cli(tmp_path, package_name="asyncio", author_email="nope")
    assert code != 0
    assert "package_name 'asyncio'" in output
    assert "author_email 'nope'" in output
    assert list(out_dir.iterdir()) == []


def test_good_answers_are_accepted(tmp_path: Path) -> None:
    code, output, out_dir = bake_cli(
        tmp_path, project_name="Payment Gateway 2", author_email="a.b+c@mail.example.org"
    )
    assert code == 0, output
    assert [path.name for path in out_dir.iterdir()] == ["payment-gateway-2"]
    assert (out_dir / "payment-gateway-2" / "src" / "payment_gateway_2" / "app.py").exists()


@pytest.mark.parametrize("flag", ["docker", "kubernetes", "metrics", "tracing", "init_git"])
def test_a_flag_that_is_not_yes_or_no_is_refused(tmp_path: Path, flag: str) -> None:
    code, output, out_dir = bake_cli(tmp_path, **{flag: "maybe"})
    assert code != 0
    assert f"maybe provided for variable {flag} could not be converted to a boolean" in output
    assert list(out_dir.iterdir()) == []


METRICS = "src/orders_service/observability/metrics.py"
TRACING = "src/orders_service/observability/tracing.py"


# On the command line every answer is a string; "no" must switch an option off, not on.
@pytest.mark.parametrize(
    ("answers", "present", "absent"),
    [
        pytest.param(
            {"docker": "no", "kubernetes": "no", "metrics": "no", "init_git": "no", "ci": "none"},
            [],
            ["Dockerfile", ".dockerignore", "deploy", ".git", ".github", ".gitlab-ci.yml", METRICS],
            id="no",
        ),
        pytest.param(
            {"docker": "yes", "kubernetes": "yes", "tracing": "yes", "init_git": "false"}
            | {"database": "none"},
            ["Dockerfile", ".dockerignore", "deploy/k8s/deployment.yaml", TRACING],
            [".git", "deploy/k8s/secret.yaml"],
            id="yes",
        ),
        pytest.param(
            {"docker": "off", "init_git": "0", "license": "proprietary", "ci": "gitlab"},
            [".gitlab-ci.yml"],
            ["Dockerfile", ".git", "LICENSE", ".github"],
            id="off",
        ),
    ],
)
def test_flags_given_as_words_on_the_command_line(
    tmp_path: Path, answers: dict[str, str], present: list[str], absent: list[str]
) -> None:
    code, output, out_dir = bake_cli(tmp_path, **answers)
    assert code == 0, output
    project = out_dir / "orders-service"
    assert [path for path in present if not (project / path).exists()] == []
    assert [path for path in absent if (project / path).exists()] == []


def git_without_identity() -> dict[str, str]:
    """An environment in which git knows no user and refuses to guess one from the host."""
    env = {key: value for key, value in clean_env().items() if not key.startswith("GIT_")}
    env.update(
        GIT_CONFIG_GLOBAL=os.devnull,
        GIT_CONFIG_NOSYSTEM="1",
        GIT_CONFIG_COUNT="1",
        GIT_CONFIG_KEY_0="user.useConfigOnly",
        GIT_CONFIG_VALUE_0="true",
    )
    return env


def git_log(project: Path, env: dict[str, str]) -> str:
    result = run(["git", "log", "--format=%an <%ae>|%s"], cwd=project, env=env)
    check(result)
    return result.stdout.strip()


def test_first_commit_needs_no_git_identity(tmp_path: Path) -> None:
    env = git_without_identity()
    # Without the answers' author, a commit fails in this environment.
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    check(run(["git", "init", "--quiet"], cwd=scratch, env=env))
    refused = run(["git", "commit", "--allow-empty", "-m", "x"], cwd=scratch, env=env)
    assert refused.returncode != 0

    code, output, out_dir = bake_cli(tmp_path, env=env, author_name="Ada Lovelace")
    assert code == 0, output
    project = out_dir / "orders-service"
    assert "async-fastapi: created a git repository on branch main with a first commit" in output
    assert "async-fastapi: locked the dependencies in uv.lock" in output
    commits = git_log(project, env)
    assert commits.splitlines() == [
        "Ada Lovelace <jane.doe@example.com>|Start the service from the async-fastapi template"
    ]
    status = run(["git", "status", "--porcelain", "--ignored"], cwd=project, env=env)
    assert status.stdout == "", "the first commit must hold every generated file"
    assert "uv.lock" in run(["git", "ls-files"], cwd=project, env=env).stdout


def path_with(tmp_path: Path, **scripts: str) -> dict[str, str]:
    """An environment whose PATH holds only the given commands: real ones or small scripts."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for name, body in scripts.items():
        target = bin_dir / name
        if body == "real":
            found = shutil.which(name)
            assert found
            target.symlink_to(found)
        else:
            target.write_text(f"#!/bin/sh\n{body}\n")
            target.chmod(0o755)
    return clean_env(PATH=str(bin_dir))


def test_without_git_the_repository_is_skipped_and_said_so(tmp_path: Path) -> None:
    code, output, out_dir = bake_cli(tmp_path, env=path_with(tmp_path))
    assert code == 0, output
    assert "async-fastapi: git not found: skipped `git init`" in output
    assert not (out_dir / "orders-service" / ".git").exists()


def test_inside_a_git_work_tree_no_repository_is_nested(tmp_path: Path) -> None:
    check(run(["git", "init", "--quiet"], cwd=tmp_path))
    code, output, out_dir = bake_cli(tmp_path)
    assert code == 0, output
    assert "async-fastapi: already inside a git work tree: skipped `git init`" in output
    assert not (out_dir / "orders-service" / ".git").exists()
    # The lock is still made, for the commit into the surrounding repository.
    assert (out_dir / "orders-service" / "uv.lock").exists()


def test_without_uv_the_commit_is_made_and_the_missing_lock_said(tmp_path: Path) -> None:
    code, output, out_dir = bake_cli(tmp_path, env=path_with(tmp_path, git="real"))
    assert code == 0, output
    assert "async-fastapi: uv not found: no uv.lock yet; run `uv lock`" in output
    assert "created a git repository" in output
    assert "async-fastapi: uv is not installed: `pipx install uv`" in output
    assert not (out_dir / "orders-service" / "uv.lock").exists()


def test_a_failed_lock_is_reported_and_the_commit_still_made(tmp_path: Path) -> None:
    env = path_with(tmp_path, git="real", uv="echo 'error: no network' >&2; exit 2")
    code, output, out_dir = bake_cli(tmp_path, env=env)
    assert code == 0, output
    assert "async-fastapi: `uv lock --quiet` failed: error: no network; run `uv lock`" in output
    assert "created a git repository" in output
    assert (out_dir / "orders-service" / ".git").exists()


def test_a_failed_commit_is_reported_without_failing_the_bake(tmp_path: Path) -> None:
    git = shutil.which("git")
    refuse_commit = (
        'for arg; do [ "$arg" = commit ] && { echo "fatal: refused" >&2; exit 128; }; done; '
        f'exec {git} "$@"'
    )
    code, output, out_dir = bake_cli(tmp_path, env=path_with(tmp_path, git=refuse_commit))
    assert code == 0, output
    assert "commit --quiet --no-verify" in output
    assert "failed: fatal: refused" in output
    assert "created a git repository" not in output
    assert (out_dir / "orders-service" / "src").exists()


def test_no_repository_when_not_asked(tmp_path: Path) -> None:
    code, output, out_dir = bake_cli(tmp_path, init_git="no")
    assert code == 0, output
    assert "git" not in output
    assert "uv.lock" not in output
    assert not (out_dir / "orders-service" / ".git").exists()


def test_the_bake_ends_with_where_the_service_is_and_its_two_commands(tmp_path: Path) -> None:
    code, output, out_dir = bake_cli(tmp_path, init_git="no", database="postgresql")
    assert code == 0, output
    lines = output.splitlines()
    assert lines[-4:] == [
        f"async-fastapi: the service is in {out_dir / 'orders-service'}; there,",
        "async-fastapi:   serve it on http://127.0.0.1:8000:  "
        "uv sync && uv run alembic upgrade head && uv run fastapi dev",
        "async-fastapi:   test it:  uv run pytest",
        'async-fastapi:   both need PostgreSQL on 127.0.0.1:5432 (README: "PostgreSQL")',
    ]
    # The README gives the same two commands.
    readme = (out_dir / "orders-service" / "README.md").read_text()
    assert "uv sync && uv run alembic upgrade head && uv run fastapi dev" in readme
    assert "uv run pytest " in readme


def protected_modules(answers: dict[str, Any]) -> frozenset[str]:
    """DEPENDENCY_MODULES as the pre-generation hook computes it for these answers."""
    return frozenset(hook_namespace("pre_gen_project", answers)["DEPENDENCY_MODULES"])


# Run in the environment the bake's dependencies are installed in: the top-level modules of each
# installed distribution, by its normalised name.
DISTRIBUTION_MODULES = """import importlib.metadata, json, re
modules = {}
for module, names in importlib.metadata.packages_distributions().items():
    for name in names:
        modules.setdefault(re.sub(r"[-_.]+", "_", name).lower(), []).append(module)
print(json.dumps(modules))
"""


def third_party_imports(project: Path) -> set[str]:
    """The top-level modules the bake's code imports that are neither its own nor the stdlib."""
    own = {path.name for path in (project / "src").iterdir()} | {"tests", "__future__"}
    imported: set[str] = set()
    for path in project.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                imported.update(alias.name.partition(".")[0] for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                imported.add(node.module.partition(".")[0])
    return imported - own - set(sys.stdlib_module_names)


def shadowing_risks(
    project: Path, distributions: dict[str, list[str]], protected: frozenset[str]
) -> list[str]:
    """Names the hook would let a package take although the bake needs the module."""
    pyproject = (project / "pyproject.toml").read_text()
    problems = []
    for requirement in local_extensions.requirements(pyproject):
        module = local_extensions.import_name(requirement)
        installed = distributions.get(local_extensions.distribution(requirement), [])
        if module not in installed:
            problems.append(f"{requirement}: installs {sorted(installed)}, not {module!r}")
    problems += [
        f"{module}: imported, and not protected"
        for module in sorted(third_party_imports(project) - protected)
    ]
    return problems


def test_a_module_the_hook_would_let_a_package_shadow_is_caught(tmp_path: Path) -> None:
    (tmp_path / "src" / "svc").mkdir(parents=True)
    (tmp_path / "src" / "svc" / "app.py").write_text(
        "import json\nimport yaml\nfrom svc import x\n"
    )
    (tmp_path / "pyproject.toml").write_text(
        '[project]\ndependencies = ["python-json-logger>=3", "pyyaml"]\n'
    )
    distributions = {"python_json_logger": ["pythonjsonlogger"], "pyyaml": ["yaml", "_yaml"]}
    assert shadowing_risks(tmp_path, distributions, frozenset({"pythonjsonlogger"})) == [
        "pyyaml: installs ['_yaml', 'yaml'], not 'pyyaml'",
        "yaml: imported, and not protected",
    ]


@pytest.mark.parametrize("name", ALL)
def test_the_hook_protects_every_module_the_bake_needs(
    bake: Callable[[str], Path], shared_env: SharedEnv, name: str
) -> None:
    project = bake(name)
    result = shared_env.run(project, "-c", DISTRIBUTION_MODULES)
    check(result)
    protected = protected_modules(COMBINATIONS[name])
    assert not shadowing_risks(project, json.loads(result.stdout), protected)
