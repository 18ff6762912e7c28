"""Each combination bakes into a project that is green on its own checks."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.combinations import COMBINATIONS
from tests.conftest import SharedEnv, check, require_postgres

JINJA_LEFTOVER = re.compile(r"(?<!\$)\{\{|\{%|%\}|\{#|cookiecutter")
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
    ]
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("name", ALL)
def test_every_python_file_compiles(bake: Callable[[str], Path], name: str) -> None:
    for path in bake(name).rglob("*.py"):
        compile(path.read_text(), str(path), "exec")


@pytest.mark.parametrize("name", ALL)
@pytest.mark.parametrize(
    "tool",
    [
        ["-m", "ruff", "check", "--no-cache", "."],
        ["-m", "ruff", "format", "--no-cache", "--check", "."],
        ["-m", "mypy", "--no-incremental"],
        # Tests marked `server` start uvicorn in a process of their own: the end-to-end test
        # runs them, in the defaults bake's whole suite.
        ["-m", "pytest", "-p", "no:cacheprovider", "--cov", "-q", "-m", "not server"],
    ],
    ids=["ruff", "ruff-format", "mypy", "pytest"],
)
def test_baked_project_passes_its_own_checks(
    bake: Callable[[str], Path], shared_env: SharedEnv, name: str, tool: list[str]
) -> None:
    if "pytest" in tool and COMBINATIONS[name].get("database") == "postgresql":
        require_postgres()
    check(shared_env.run(bake(name), *tool))
