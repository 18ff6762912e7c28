"""Each combination bakes into a project that is green on its own checks."""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.combinations import COMBINATIONS
from tests.conftest import (
    SharedEnv,
    bake_quietly,
    check,
    require_nats,
    require_postgres,
    require_rabbitmq,
    require_redis,
    run,
)

JINJA_LEFTOVER = re.compile(r"(?<!\$)\{\{|\{%|%\}|\{#|cookiecutter")
# The update script renders the template again, so it names the renderer on purpose.
NAMES_THE_RENDERER = {"scripts/update_template.py"}
TEXT_SUFFIXES = {".py", ".toml", ".md", ".ini", ".yaml", ".yml", ".cfg", ".mako", ".txt", ""}


def combination(name: str) -> pytest.param:  # type: ignore[valid-type]
    """Tests of one combination share a worker, so the combination is baked only once."""
    return pytest.param(name, id=name, marks=pytest.mark.xdist_group(name))


ALL = [combination(name) for name in COMBINATIONS]


def text_files(project: Path) -> list[Path]:
    return [
        path
        for path in sorted(project.rglob("*"))
        if path.is_file() and ".git" not in path.parts and path.suffix in TEXT_SUFFIXES
    ]


def sloppiness(text: str, suffix: str) -> list[str]:
    """What a careful person would not have left in a hand-written file."""
    problems = []
    if match := JINJA_LEFTOVER.search(text):
        problems.append(f"unrendered template syntax {match.group()!r}")
    python_like = suffix in {".py", ".mako"}
    if "\n\n\n\n" in text or (not python_like and "\n\n\n" in text):
        problems.append("a leftover run of blank lines")
    if (text and not text.endswith("\n")) or text.endswith("\n\n"):
        problems.append("does not end with exactly one newline")
    if re.search(r"[ \t]+$", text, re.MULTILINE):
        problems.append("trailing whitespace")
    return problems


@pytest.mark.parametrize(
    ("text", "suffix", "problem"),
    [
        ("name = '{{ cookiecutter.project_slug }}'\n", ".py", "unrendered"),
        ("{% if x %}\nx\n", ".toml", "unrendered"),
        ("a = 1\n\n\n\nb = 2\n", ".py", "blank lines"),
        ("[a]\n\n\n[b]\n", ".toml", "blank lines"),
        ("a = 1", ".py", "newline"),
        ("a = 1\n\n", ".py", "newline"),
        ("a = 1 \n", ".py", "trailing whitespace"),
    ],
)
def test_sloppiness_is_detected(text: str, suffix: str, problem: str) -> None:
    assert any(problem in found for found in sloppiness(text, suffix))


def test_tidy_text_and_github_expressions_pass() -> None:
    assert sloppiness("run: echo ${{ matrix.python }}\n", ".yml") == []
    assert sloppiness("a = 1\n\n\nb = 2\n", ".py") == []


@pytest.mark.parametrize("name", ALL)
def test_no_template_syntax_or_sloppy_whitespace_is_left(
    bake: Callable[[str], Path], name: str
) -> None:
    project = bake(name)
    problems = [
        f"{path.relative_to(project)}: {problem}"
        for path in text_files(project)
        for problem in sloppiness(path.read_text(), path.suffix)
        if not (
            problem == "unrendered template syntax 'cookiecutter'"
            and str(path.relative_to(project)) in NAMES_THE_RENDERER
        )
    ]
    assert not problems, "\n".join(problems)


ENDPOINT_ROW = re.compile(r"^\| `(?:GET|POST|PUT|PATCH|DELETE) (/[^`?]*)", re.MULTILINE)
PATH_PARAMETER = re.compile(r"\{[^}]*\}")
UV_RUN = re.compile(r"\buv run ([\w-]+)")
LAYOUT_BLOCK = re.compile(r"^## Layout\n+```\n(.*?)^```", re.MULTILINE | re.DOTALL)


def readme_layout(readme: str) -> list[str]:
    """The paths the README's Layout section names: indented entries sit in the folder above."""
    block = LAYOUT_BLOCK.search(readme)
    assert block, "the README has no Layout section"
    paths, folder = [], ""
    for line in block.group(1).splitlines():
        name = line.split()[0]
        if line.startswith(" "):
            paths.append(folder + name)
        else:
            paths.append(name)
            folder = name
    return paths


def readme_problems(project: Path, routes: set[str]) -> list[str]:
    """What the README describes that the bake does not have: endpoints, files, commands."""
    readme = (project / "README.md").read_text()
    problems = [
        f"endpoint {path} is not served"
        for path in ENDPOINT_ROW.findall(readme)
        if PATH_PARAMETER.sub("{}", path) not in routes
    ]
    problems += [
        f"the layout names {path}, which is not there"
        for path in readme_layout(readme)
        if not (project / path).exists()
    ]
    pyproject = (project / "pyproject.toml").read_text()
    problems += [
        f"`uv run {tool}` runs a tool the project does not depend on"
        for tool in sorted(set(UV_RUN.findall(readme)))
        if f'"{tool}' not in pyproject
    ]
    return problems


def test_a_readme_describing_what_is_not_there_is_caught(tmp_path: Path) -> None:
    (tmp_path / "src" / "svc").mkdir(parents=True)
    (tmp_path / "pyproject.toml").write_text('dependencies = ["fastapi"]\n')
    (tmp_path / "README.md").write_text(
        "`uv run fastapi dev`, then `uv run alembic upgrade head`\n\n"
        "| `GET /health/live` | up |\n| `GET /api/v1/items/{id}` | one item |\n\n"
        "## Layout\n\n```\nsrc/svc/\n  items/   the items\n```\n"
    )
    assert readme_problems(tmp_path, {"/health/live"}) == [
        "endpoint /api/v1/items/{id} is not served",
        "the layout names src/svc/items/, which is not there",
        "`uv run alembic` runs a tool the project does not depend on",
    ]


# The documented operations, and the routes outside the schema (such as /metrics).
ROUTES = """import json
from fastapi.routing import iter_route_contexts
from {package}.app import create_app
app = create_app()
routes = [context.path_format for context in iter_route_contexts(app.routes)]
print(json.dumps([*app.openapi()["paths"], *filter(None, routes)]))
"""


@pytest.mark.parametrize("name", ALL)
def test_the_readme_describes_only_what_the_bake_has(
    bake: Callable[[str], Path], shared_env: SharedEnv, name: str
) -> None:
    project = bake(name)
    (package,) = (path.name for path in (project / "src").iterdir())
    result = shared_env.run(project, "-c", ROUTES.format(package=package))
    check(result)
    routes = {PATH_PARAMETER.sub("{}", path) for path in json.loads(result.stdout)}
    problems = readme_problems(project, routes)
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("name", ALL)
def test_every_python_file_compiles(bake: Callable[[str], Path], name: str) -> None:
    for path in bake(name).rglob("*.py"):
        compile(path.read_text(), str(path), "exec")


# The tests marked `slow` (uvicorn processes, schemathesis, a database outage) take seconds
# each; a plain `pytest` leaves them out. They run once per database variant: here for these
# two, and for SQLite in the end-to-end test's `make test`.
SLOW_TESTS_RUN_IN = {"everything-on", "no-database"}


CHECKS = {
    "ruff": ["-m", "ruff", "check", "--no-cache", "."],
    "ruff-format": ["-m", "ruff", "format", "--no-cache", "--check", "."],
    # Incremental, on a cache the bakes share: each checks only its own modules again,
    # not FastAPI, SQLAlchemy and pydantic.
    "mypy": ["-m", "mypy"],
    "pytest": ["-m", "pytest", "-p", "no:cacheprovider", "--cov", "-q"],
}
# The defaults bake's suite runs in test_e2e.py instead, through `make test` as a user runs it.
CHECKED = [
    pytest.param(name, tool, id=f"{check}-{name}", marks=pytest.mark.xdist_group(name))
    for check, tool in CHECKS.items()
    for name in COMBINATIONS
    if (check, name) != ("pytest", "defaults")
]


@pytest.mark.parametrize(("name", "tool"), CHECKED)
def test_baked_project_passes_its_own_checks(
    bake: Callable[[str], Path], shared_env: SharedEnv, name: str, tool: list[str]
) -> None:
    if "pytest" in tool:
        if COMBINATIONS[name].get("database") == "postgresql":
            require_postgres()
        answers = COMBINATIONS[name]
        if answers.get("cache") == "redis" or answers.get("jobs") == "taskiq":
            require_redis()
        # Without a database no test of the broker option needs its server.
        if COMBINATIONS[name].get("database", "sqlite") != "none":
            if COMBINATIONS[name].get("broker") == "rabbitmq":
                require_rabbitmq()
            if COMBINATIONS[name].get("broker") == "nats":
                require_nats()
        if name in SLOW_TESTS_RUN_IN:
            tool = [*tool, "-m", ""]
    if "mypy" in tool:
        tool = [*tool, "--cache-dir", str(shared_env.mypy_cache)]
    # A bake with every option runs a few hundred tests, some against real servers.
    result = shared_env.run(bake(name), *tool, timeout=900)
    check(result)
    if "pytest" in tool:
        # A run that leaves tests out says so, and how to run them; a full run says nothing.
        said = 'slow tests deselected: run everything with `uv run pytest -m ""`' in result.stdout
        assert said == (name not in SLOW_TESTS_RUN_IN), result.stdout


def test_a_package_named_after_tests_keeps_the_import_order(tmp_path: Path) -> None:
    """The tests import the package, then their own helpers: that order must hold for a package
    that sorts after `tests` too, or ruff's isort check fails on the user's first commit."""
    project = bake_quietly(tmp_path, project_name="Warehouse")
    # The template's own ruff: lint needs nothing of the project installed.
    check(run([sys.executable, "-m", "ruff", "check", "--no-cache", "."], project))


@pytest.mark.xdist_group("defaults")
def test_coverage_follows_code_that_resumes_in_sqlalchemy_greenlets(
    bake: Callable[[str], Path], shared_env: SharedEnv, tmp_path: Path
) -> None:
    """After an awaited query, SQLAlchemy asyncio resumes the caller from a greenlet: coverage
    that does not trace greenlets reports those lines missed, though the test ran them."""
    project = bake("defaults")
    report = tmp_path / "coverage.json"
    test = "tests/test_items.py::test_read_missing_is_404"
    coverage = ["--cov", f"--cov-report=json:{report}", "--cov-fail-under=0"]
    check(shared_env.run(project, "-m", "pytest", "-p", "no:cacheprovider", "-q", test, *coverage))
    service = "src/orders_service/items/service.py"
    lines = (project / service).read_text().splitlines()
    # get_item's lines after its awaited read, numbered from 1.
    check_line = lines.index("    if row is None:") + 1
    after_the_query = [check_line, check_line + 1]
    assert lines[check_line].strip() == "raise not_found(item_id)", (
        f"{service} no longer reads as this test expects"
    )
    executed = json.loads(report.read_text())["files"][service]["executed_lines"]
    assert set(after_the_query) <= set(executed), f"coverage lost lines {after_the_query}"
