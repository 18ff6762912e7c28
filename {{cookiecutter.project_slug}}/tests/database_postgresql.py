"""Test databases on a real PostgreSQL server, built by the service's real migrations.

Each run creates its own database with a unique name (so parallel runs and other projects on
the same server never collide) and drops it at the end. Tests share it and are isolated by
emptying every table after each one that wrote to it: a few milliseconds a test, against about
50 ms for cloning a template database per test.
"""

import asyncio
import os
import secrets
from collections.abc import AsyncIterator, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import pytest
from alembic import command
from alembic.config import Config
from blockbuster import BlockBuster
from sqlalchemy import URL, make_url, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncConnection, create_async_engine
from sqlalchemy.pool import NullPool

import {{ cookiecutter.package_name }}

MIGRATIONS = Path({{ cookiecutter.package_name }}.__file__).parent / "migrations"

# A database the server already has (`postgres`), from which the tests create their own.
SERVER_VARIABLE = "{{ cookiecutter.__env_prefix }}TEST_POSTGRES_URL"
DEFAULT_SERVER = "postgresql+asyncpg://postgres@127.0.0.1:5432/postgres"

UNREACHABLE = """PostgreSQL at {url} cannot be used: {error}
The tests need a real server. Start one with `docker compose up -d postgres`, or set
{variable} to a database on a server where this role may create databases."""


def alembic_config(database_url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["database_url"] = database_url
    return config


def as_string(url: URL) -> str:
    return url.render_as_string(hide_password=False)


async def run_as_admin(server: URL, *statements: str) -> None:
    """Run statements outside a transaction, as CREATE DATABASE and DROP DATABASE require."""
    engine = create_async_engine(
        server, poolclass=NullPool, isolation_level="AUTOCOMMIT", connect_args={"timeout": 5}
    )
    try:
        async with engine.connect() as connection:
            for statement in statements:
                await connection.execute(text(statement))
    finally:
        await engine.dispose()


async def written(connection: AsyncConnection, tables: Sequence[str]) -> bool:
    """Whether a test left a row in any table or drew a number from any sequence.

    TRUNCATE is slow even on empty tables, and most tests write nothing; these checks are a
    small part of its cost. A sequence is unread again after TRUNCATE ... RESTART IDENTITY.
    """
    drawn = await connection.scalar(
        text(
            "SELECT EXISTS (SELECT FROM pg_sequences "
            "WHERE schemaname = current_schema() AND last_value IS NOT NULL)"
        )
    )
    if drawn:
        return True
    for table in tables:
        # The names come from the catalog, quoted by quote_ident.
        if await connection.scalar(text(f"SELECT EXISTS (SELECT FROM {table})")):  # noqa: S608
            return True
    return False


async def empty_tables(connection: AsyncConnection) -> None:
    """Empty every table the migrations made, except Alembic's own record of them."""
    tables = (
        await connection.scalars(
            text(
                "SELECT quote_ident(tablename) FROM pg_tables "
                "WHERE schemaname = current_schema() AND tablename <> 'alembic_version'"
            )
        )
    ).all()
    if tables and await written(connection, tables):
        # A test that leaves a transaction open fails here instead of hanging the run.
        await connection.execute(text("SET LOCAL lock_timeout = '5s'"))
        await connection.execute(text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))


@pytest.fixture(autouse=True)
def allow_database_setup(blockbuster: BlockBuster) -> None:
    """Let through the few blocking calls that database setup makes, and nothing else."""
    for function in blockbuster.functions.values():
        # asyncpg looks for ~/.pgpass and client certificates in ~/.postgresql (small local
        # files) while it parses a new connection's arguments: once per pooled connection, not
        # once per request.
        function.can_block_in("asyncpg/connect_utils.py", "_parse_connect_dsn_and_args")
        # Alembic reads its revision files while it migrates. Migrations run before the service
        # serves (a deploy step, test setup), never inside a request.
        function.can_block_in("migrations/env.py", "run_migrations")


def pytest_collection_finish(session: pytest.Session) -> None:
    """Before any test runs, stop the run with one message if the server does not answer."""
    if not any("server" in getattr(item, "fixturenames", ()) for item in session.items):
        return
    url = server_url()
    try:
        asyncio.run(run_as_admin(url, "SELECT 1"))
    except (OSError, TimeoutError, DBAPIError) as error:
        reason = error.orig if isinstance(error, DBAPIError) else error
        pytest.exit(UNREACHABLE.format(url=url, error=reason, variable=SERVER_VARIABLE))


def server_url() -> URL:
    return make_url(os.environ.get(SERVER_VARIABLE, DEFAULT_SERVER))


@pytest.fixture(scope="session")
def server() -> URL:
    return server_url()


@contextmanager
def created_database(server: URL) -> Iterator[URL]:
    """Create a database no other run can be using, hand it out, then drop it."""
    name = f"{{ cookiecutter.package_name[:40] }}_test_{secrets.token_hex(6)}"
    asyncio.run(run_as_admin(server, f'CREATE DATABASE "{name}"'))
    try:
        yield server.set(database=name)
    finally:
        # FORCE: connections a failed test left open must not keep the database alive.
        asyncio.run(run_as_admin(server, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture(scope="session")
def migrated_database_url(server: URL) -> Iterator[str]:
    """This run's database, built once by the real migrations and shared by every test."""
    with created_database(server) as url:
        command.upgrade(alembic_config(as_string(url)), "head")
        yield as_string(url)


@pytest.fixture
async def database_url(migrated_database_url: str) -> AsyncIterator[str]:
    """This run's database, every table emptied again after the test."""
    yield migrated_database_url
    engine = create_async_engine(migrated_database_url, poolclass=NullPool)
    try:
        async with engine.begin() as connection:
            await empty_tables(connection)
    finally:
        await engine.dispose()


@pytest.fixture
def empty_database_url(server: URL) -> Iterator[str]:
    with created_database(server) as url:
        yield as_string(url)


@pytest.fixture
def unreachable_database_url(unused_tcp_port: int) -> str:
    # A port nothing listens on: the connection is refused, like a server that is down.
    return f"postgresql+asyncpg://postgres@127.0.0.1:{unused_tcp_port}/{{ cookiecutter.package_name }}"
