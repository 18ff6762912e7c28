"""What only a real PostgreSQL server shows: requests waiting on each other's locks, and the
timeouts that keep a server that is down or saturated from hanging the service."""

import asyncio
import socket
import time
from collections.abc import AsyncIterator

import httpx2
import pytest
from alembic import command
from pydantic import SecretStr
from sqlalchemy import URL, exc, make_url, text
from sqlalchemy.ext.asyncio import AsyncConnection, create_async_engine
from sqlalchemy.pool import NullPool

from {{ cookiecutter.package_name }}.app import create_app
from {{ cookiecutter.package_name }}.infra.database import close_database, open_database
from {{ cookiecutter.package_name }}.settings import Settings
from tests.asgi import serving
from tests.database import alembic_config, created_database, empty_tables, written

ITEMS = "/api/v1/items"
RACERS = 5


@pytest.fixture
async def rival(database_url: str) -> AsyncIterator[AsyncConnection]:
    """A second client of the database, outside the service, with a transaction open."""
    engine = create_async_engine(database_url, poolclass=NullPool)
    try:
        async with engine.connect() as connection:
            yield connection
    finally:
        await engine.dispose()


async def wait_for_lock_waiters(count: int, database_url: str) -> None:
    """Return once `count` sessions of this database are blocked on a lock."""
    engine = create_async_engine(database_url, poolclass=NullPool, isolation_level="AUTOCOMMIT")
    query = text(
        "SELECT count(*) FROM pg_stat_activity "
        "WHERE datname = current_database() AND wait_event_type = 'Lock'"
    )
    try:
        async with asyncio.timeout(10), engine.connect() as observer:
            # The server keeps this state and tells no one when it changes: ask until it holds.
            while await observer.scalar(query) != count:  # noqa: ASYNC110
                await asyncio.sleep(0.01)
    finally:
        await engine.dispose()


@pytest.mark.parametrize(
    ("rival_ends", "statuses"),
    [
        ("commit", [409] * RACERS),
        ("rollback", [201] + [409] * (RACERS - 1)),
    ],
)
async def test_requests_racing_for_a_name_wait_and_exactly_one_can_win(
    client: httpx2.AsyncClient,
    rival: AsyncConnection,
    database_url: str,
    rival_ends: str,
    statuses: list[int],
) -> None:
    # The rival takes the name without committing, so every request's insert has to wait:
    # all of them are in flight at once, whatever the scheduling.
    await rival.execute(
        text("INSERT INTO items (name, created_at, updated_at) VALUES ('contested', now(), now())")
    )
    requests = [
        asyncio.create_task(client.post(ITEMS, json={"name": "contested"})) for _ in range(RACERS)
    ]
    await wait_for_lock_waiters(RACERS, database_url)
    await (rival.commit() if rival_ends == "commit" else rival.rollback())
    responses = await asyncio.gather(*requests)
    assert sorted(response.status_code for response in responses) == statuses


async def test_readiness_gives_up_on_a_silent_server_within_the_connect_timeout(
    settings: Settings,
) -> None:
    async def accept_and_say_nothing(
        reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        await reader.read()
        writer.close()

    silent = await asyncio.start_server(accept_and_say_nothing, "127.0.0.1", 0)
    port = silent.sockets[0].getsockname()[1]
    timeout = 0.5
    app = create_app(
        settings.model_copy(
            update={
                "database_url": SecretStr(f"postgresql+asyncpg://postgres@127.0.0.1:{port}/silent"),
                "database_connect_timeout": timeout,
            }
        )
    )
    async with silent, serving(app) as client:
        started = time.perf_counter()
        response = await client.get("/health/ready")
        elapsed = time.perf_counter() - started
    assert response.status_code == 503
    # Without the timeout the driver would wait a minute for the server's first byte.
    assert timeout * 0.9 <= elapsed < timeout + 2, f"gave up after {elapsed:.2f} s"


async def test_the_pool_is_bounded_and_a_request_waits_for_it_only_so_long(
    settings: Settings,
) -> None:
    bounded = settings.model_copy(
        update={
            "database_pool_size": 1,
            "database_max_overflow": 1,
            "database_pool_timeout": 0.2,
        }
    )
    database = await open_database(bounded)
    try:
        async with database.engine.connect(), database.engine.connect():
            # Both connections allowed are taken: a third waits pool_timeout, then gives up.
            with pytest.raises(exc.TimeoutError):
                async with database.engine.connect():
                    pass
    finally:
        await close_database(database)


def test_migrations_give_up_on_a_silent_server_within_the_connect_timeout(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    timeout = 0.5
    monkeypatch.setenv("{{ cookiecutter.__env_prefix }}DATABASE_CONNECT_TIMEOUT", str(timeout))
    # It listens and never speaks: the kernel accepts the connection, no server answers on it.
    with socket.create_server(("127.0.0.1", 0)) as silent:
        port = silent.getsockname()[1]
        config = alembic_config(f"postgresql+asyncpg://postgres@127.0.0.1:{port}/silent")
        started = time.perf_counter()
        with pytest.raises(TimeoutError):
            command.upgrade(config, "head")
        elapsed = time.perf_counter() - started
    # Without the bound, `alembic upgrade head` would wait a minute for the server's first byte.
    assert elapsed < timeout + 2, f"gave up after {elapsed:.2f} s"


async def database_exists(server: URL, name: str) -> bool:
    engine = create_async_engine(server, poolclass=NullPool)
    query = text("SELECT EXISTS (SELECT FROM pg_database WHERE datname = :name)")
    try:
        async with engine.connect() as connection:
            return bool(await connection.scalar(query, {"name": name}))
    finally:
        await engine.dispose()


def test_each_run_gets_a_database_of_its_own_and_drops_it(
    server: URL, migrated_database_url: str
) -> None:
    with created_database(server) as url:
        name = str(url.database)
        assert name != make_url(migrated_database_url).database
        assert asyncio.run(database_exists(server, name))
    assert not asyncio.run(database_exists(server, name))


async def test_a_test_that_wrote_gets_its_tables_emptied(database_url: str) -> None:
    """Isolation skips TRUNCATE after a test that wrote nothing, and only then: rows left behind
    count, and so does an id drawn for a row deleted since, or the next test's ids would move."""
    engine = create_async_engine(database_url, poolclass=NullPool)
    try:
        async with engine.begin() as connection:
            assert not await written(connection, ["items"])
            await connection.execute(
                text("INSERT INTO items (name, created_at, updated_at) VALUES ('x', now(), now())")
            )
            assert await written(connection, ["items"]), "a row left behind"
            await connection.execute(text("DELETE FROM items"))
            assert await written(connection, ["items"]), "an id drawn"
            await empty_tables(connection)
            assert not await written(connection, ["items"])
    finally:
        await engine.dispose()
