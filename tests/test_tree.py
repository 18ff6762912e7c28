"""Each option keeps the files it needs and removes, whole, the files it does not."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

COMMON = [
    ".env.example",
    ".gitignore",
    "README.md",
    "pyproject.toml",
    "src/{package}/app.py",
    "src/{package}/main.py",
    "src/{package}/settings.py",
    "src/{package}/errors.py",
    "src/{package}/infra/http.py",
    "src/{package}/loop_lag.py",
    "src/{package}/health/router.py",
    "src/{package}/quotes/client.py",
    "tests/conftest.py",
    "tests/loop_stalls.py",
    "tests/test_async_rules.py",
    "tests/test_loop_lag.py",
]
DATABASE = [
    "src/{package}/infra/database.py",
    "src/{package}/items/repository.py",
    "src/{package}/migrations/env.py",
    "src/{package}/migrations/versions/0001_create_items.py",
    "tests/database.py",
    "tests/test_items.py",
    "tests/test_migrations.py",
    "tests/test_readiness_database.py",
]
POSTGRESQL = [
    "compose.yaml",
    "tests/test_postgresql.py",
]
# Per-database versions of a file; the hook keeps the chosen one under the plain name.
VARIANTS = [
    "tests/database_sqlite.py",
    "tests/database_postgresql.py",
]


def paths(project: Path, package: str, names: list[str]) -> list[Path]:
    return [project / name.format(package=package) for name in names]


@pytest.mark.xdist_group("defaults")
def test_defaults_tree(bake: Callable[[str], Path]) -> None:
    project = bake("defaults")
    assert project.name == "orders-service"
    missing = [p for p in paths(project, "orders_service", COMMON + DATABASE) if not p.exists()]
    assert not missing
    left = [p for p in paths(project, "orders_service", POSTGRESQL + VARIANTS) if p.exists()]
    assert not left
    assert "aiosqlite" in (project / "pyproject.toml").read_text()
    assert "sqlite+aiosqlite://" in (project / "tests" / "database.py").read_text()


@pytest.mark.xdist_group("no-database")
def test_no_database_tree(bake: Callable[[str], Path]) -> None:
    project = bake("no-database")
    assert project.name == "stateless-gateway"
    package = "stateless_gateway"
    assert all(p.exists() for p in paths(project, package, COMMON))
    left = [p for p in paths(project, package, DATABASE + POSTGRESQL + VARIANTS) if p.exists()]
    assert not left
    pyproject = (project / "pyproject.toml").read_text()
    for dependency in ("sqlalchemy", "alembic", "aiosqlite", "asyncpg"):
        assert dependency not in pyproject


@pytest.mark.xdist_group("postgresql")
def test_postgresql_tree(bake: Callable[[str], Path]) -> None:
    project = bake("postgresql")
    package = "ledger_service"
    wanted = COMMON + DATABASE + POSTGRESQL
    missing = [p for p in paths(project, package, wanted) if not p.exists()]
    assert not missing
    left = [p for p in paths(project, package, VARIANTS) if p.exists()]
    assert not left
    pyproject = (project / "pyproject.toml").read_text()
    assert "asyncpg" in pyproject
    assert "aiosqlite" not in pyproject
    assert "TEST_POSTGRES_URL" in (project / "tests" / "database.py").read_text()
