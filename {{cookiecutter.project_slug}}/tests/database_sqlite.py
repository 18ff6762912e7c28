"""Test databases built by the service's real migrations, one fresh copy per test."""

import shutil
from pathlib import Path

import pytest
from alembic import command
from alembic.config import Config
from blockbuster import BlockBuster

import {{ cookiecutter.package_name }}

MIGRATIONS = Path({{ cookiecutter.package_name }}.__file__).parent / "migrations"


def alembic_config(database_url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["database_url"] = database_url
    return config


def sqlite_url(path: Path) -> str:
    return f"sqlite+aiosqlite:///{path}"


@pytest.fixture(autouse=True)
def allow_database_setup(blockbuster: BlockBuster) -> None:
    """Let through the few blocking calls that database setup makes, and nothing else."""
    # SQLAlchemy resolves the SQLite file path once, when the engine first connects.
    blockbuster.functions["os.path.abspath"].can_block_in(
        "sqlalchemy/dialects/sqlite/pysqlite.py", "create_connect_args"
    )
    # Alembic reads its revision files while it migrates. Migrations run before the service
    # serves (a deploy step, test setup), never inside a request.
    for function in blockbuster.functions.values():
        function.can_block_in("migrations/env.py", "run_migrations")


@pytest.fixture(scope="session")
def migrated_database(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A database file built once by the real migrations; each test gets a copy."""
    path = tmp_path_factory.mktemp("template") / "template.db"
    command.upgrade(alembic_config(sqlite_url(path)), "head")
    return path


@pytest.fixture(scope="session")
def migrated_database_url(migrated_database: Path) -> str:
    return sqlite_url(migrated_database)


@pytest.fixture
def database_url(migrated_database: Path, tmp_path: Path) -> str:
    path = tmp_path / "test.db"
    shutil.copyfile(migrated_database, path)
    return sqlite_url(path)


@pytest.fixture
def empty_database_url(tmp_path: Path) -> str:
    return sqlite_url(tmp_path / "empty.db")


@pytest.fixture
def unreachable_database_url(tmp_path: Path) -> str:
    # A path below a missing directory: SQLite cannot open it, like a server that is down.
    return sqlite_url(tmp_path / "missing" / "db.sqlite")
