"""The shape of each bake's code: nothing in it that nothing uses, and a core that imports no
optional part, so that an option switched off leaves no loose end behind."""

from __future__ import annotations

import ast
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import pytest
import vulture

from tests.combinations import COMBINATIONS
from tests.conftest import hook_namespace
from tests.test_bake import ALL

# What frameworks call or read by name, which no code of the service does.
FRAMEWORK_NAMES = [
    # pydantic and SQLAlchemy configuration, and a custom column type's hooks.
    "model_config",
    "type_annotation_map",
    "impl",
    "cache_ok",
    "process_bind_param",
    "process_result_value",
    # Alembic reads a revision's identifiers and runs its two functions.
    "revision",
    "down_revision",
    "branch_labels",
    "depends_on",
    "upgrade",
    "downgrade",
    # Parameters a protocol fixes: a validator's class, a context manager's exit, a mapper
    # event's mapper.
    "cls",
    "exc_info",
    "exc_val",
    "exc_tb",
    "mapper",
    # FastStream calls a middleware's hook once a consumed message is handled (broker option).
    "after_processed",
    # Read by the suite's stall check (tests/loop_stalls.py), not by the service.
    "worst",
    # What a route declares to need a token (auth option): the service's own API for new
    # routes, which a bake without the example resource does not call yet.
    "requires_token",
    "requires_scopes",
    "FORBIDDEN",
    # taskiq's middleware hooks (jobs option): its receiver and kicker call them by name.
    "pre_execute",
    "post_execute",
    "post_send",
    "on_send",
    "make_delay",
]
# Routes and validators are called by FastAPI and pydantic; the functions registered for
# SQLAlchemy's events (the broker option's outbox), by SQLAlchemy.
FRAMEWORK_DECORATORS = [
    "@router.*",
    "@*_validator",
    "@field_validator",
    "@model_validator",
    "@event.listens_for",
]


def fields(sources: Iterable[Path]) -> set[str]:
    """Annotated class attributes: the fields of models, schemas, ORM tables and dataclasses,
    which serialisation, the ORM and the schema read without naming them."""
    names = set()
    for path in sources:
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ClassDef):
                names.update(
                    item.target.id
                    for item in node.body
                    if isinstance(item, ast.AnnAssign) and isinstance(item.target, ast.Name)
                )
    return names


def unused_code(src: Path) -> list[str]:
    sources = sorted(src.rglob("*.py"))
    scavenger = vulture.Vulture(
        ignore_names=[*FRAMEWORK_NAMES, *fields(sources)],
        ignore_decorators=FRAMEWORK_DECORATORS,
    )
    scavenger.scavenge([str(path) for path in sources])
    return [
        f"{Path(item.filename).relative_to(src)}:{item.first_lineno}: {item.message}"
        for item in scavenger.get_unused_code(min_confidence=60)
    ]


@pytest.mark.parametrize("name", ALL)
def test_no_combination_carries_code_that_nothing_uses(
    bake: Callable[[str], Path], name: str
) -> None:
    # Only the service's own code counts as a use: what only a test reads is not needed.
    assert unused_code(bake(name) / "src") == []


def test_code_that_nothing_uses_is_caught(tmp_path: Path) -> None:
    package = tmp_path / "svc"
    package.mkdir()
    (package / "errors.py").write_text(
        "class Problem:\n    title: str\n\n\n"
        "class NotFoundError(Exception):\n    pass\n\n\n"
        "def problem() -> Problem:\n    return Problem()\n"
    )
    (package / "router.py").write_text(
        "from svc.errors import problem\n\n\n"
        "@router.get('/')\nasync def read() -> object:\n    return problem()\n"
    )
    assert unused_code(tmp_path) == ["svc/errors.py:5: unused class 'NotFoundError'"]


def option_files(answers: dict[str, Any]) -> dict[str, list[Path]]:
    """The post-generation hook's lists of the files each option owns (every `*_FILES`), as it
    holds them for this combination: a new option's list counts without being named here."""
    namespace = hook_namespace("post_gen_project", answers)
    lists = {name: value for name, value in namespace.items() if name.endswith("_FILES")}
    # CI_FILES maps each CI to its files; the others are lists.
    return {
        name: [path for paths in value.values() for path in paths]
        if isinstance(value, dict)
        else value
        for name, value in lists.items()
    }


# Core modules that may import an option's modules. features.py is the one list of the optional
# parts; the database is a resource of the service itself, opened with the others, so the
# factory, the resources and readiness use it directly.
ALLOWED_IMPORTERS: dict[str, set[str]] = {
    "features.py": {"*"},
    "app.py": {"DATABASE_FILES"},
    "resources.py": {"DATABASE_FILES"},
    "health/router.py": {"DATABASE_FILES"},
}


def module_name(package: Path, path: Path) -> str:
    parts = path.relative_to(package.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports(path: Path) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.update({node.module, *(f"{node.module}.{alias.name}" for alias in node.names)})
    return found


def core_imports_of_options(project: Path, files: dict[str, list[Path]]) -> list[str]:
    """Each import by a core module of a module some option owns, unless allowed above."""
    (package,) = (project / "src").iterdir()
    owner: dict[str, str] = {}
    for option, paths in files.items():
        for path in paths:
            full = project / path
            modules = sorted(full.rglob("*.py")) if full.is_dir() else [full]
            owner.update(
                {module_name(package, m): option for m in modules if m.is_relative_to(package)}
            )
    problems = []
    for path in sorted(package.rglob("*.py")):
        name = module_name(package, path)
        if name in owner:
            continue
        allowed = ALLOWED_IMPORTERS.get(str(path.relative_to(package)), set())
        problems += [
            f"{path.relative_to(project)} imports {imported} ({owner[imported]})"
            for imported in sorted(imports(path) & owner.keys())
            if not allowed & {"*", owner[imported]}
        ]
    return problems


@pytest.mark.parametrize("name", ALL)
def test_no_core_module_imports_an_optional_part(bake: Callable[[str], Path], name: str) -> None:
    files = option_files(COMBINATIONS[name] | {"init_git": False})
    assert core_imports_of_options(bake(name), files) == []


def test_a_core_module_importing_an_optional_part_is_caught(tmp_path: Path) -> None:
    package = tmp_path / "src" / "svc"
    (package / "observability").mkdir(parents=True)
    (package / "observability" / "metrics.py").write_text("COUNT = 0\n")
    (package / "features.py").write_text("from svc.observability.metrics import COUNT\n")
    (package / "app.py").write_text("from svc.observability import metrics\n")
    files = {"METRICS_FILES": [Path("src/svc/observability/metrics.py")]}
    assert core_imports_of_options(tmp_path, files) == [
        "src/svc/app.py imports svc.observability.metrics (METRICS_FILES)"
    ]
