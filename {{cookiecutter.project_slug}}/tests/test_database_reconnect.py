"""Pooled connections the server closes (a restart, a failover, an idle timeout), for real: the
server ends them with `pg_terminate_backend`, and the requests that follow must not fail.

Two guards stand in for `pool_pre_ping` without its round trip per request: the pool refuses a
connection that asyncpg has seen closed, and a read runs once more when its connection failed
before the pool could notice. Each test below takes one guard away to show what it catches.
"""

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import httpx2
import pytest
from sqlalchemy import event, text
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.pool import NullPool

from {{ cookiecutter.package_name }}.app import create_app
from {{ cookiecutter.package_name }}.infra.database import Database, _refuse_closed_connections
from {{ cookiecutter.package_name }}.settings import Settings
from tests.asgi import serving
from tests.fakes import FakeUpstream

ITEMS = "/api/v1/items"


class Pooled:
    """The app's database and the driver connections its pool has opened."""

    def __init__(self, database: Database) -> None:
        self.database = database
        self.connections: list[Any] = []  # asyncpg's, whose package has no type hints
        event.listen(database.engine.sync_engine.pool, "connect", self._opened)

    def _opened(self, dbapi_connection: Any, record: Any) -> None:
        self.connections.append(record.driver_connection)

    def stop_refusing_closed_connections(self) -> None:
        event.remove(self.database.engine.sync_engine.pool, "checkout", _refuse_closed_connections)

    async def closed_by_the_server(self, database_url: str) -> None:
        """End every connection the pool holds from the server's side, and return once the
        pool's driver has read the close of each."""
        engine = create_async_engine(database_url, poolclass=NullPool)
        try:
            async with engine.connect() as admin:
                await admin.execute(
                    text(
                        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                        "WHERE datname = current_database() AND pid <> pg_backend_pid()"
                    )
                )
        finally:
            await engine.dispose()
        async with asyncio.timeout(10):
            # The driver learns of the close from the event loop, which these sleeps let run.
            while not all(connection.is_closed() for connection in self.connections):  # noqa: ASYNC110
                await asyncio.sleep(0.01)


@pytest.fixture
async def served(
    settings: Settings, upstream: FakeUpstream
) -> AsyncIterator[tuple[httpx2.AsyncClient, Pooled]]:
    app = create_app(settings, http_transport=httpx2.MockTransport(upstream))
    async with serving(app) as client:
        pooled = Pooled(app.state.resources.database)
        created = await client.post(ITEMS, json={"name": "kept"})
        assert created.status_code == 201
        # Several connections in the pool, all of which the server will close.
        reads = await asyncio.gather(*(client.get(ITEMS) for _ in range(3)))
        assert {response.status_code for response in reads} == {200}
        assert pooled.connections
        yield client, pooled


async def test_closed_connections_are_replaced_before_any_request_uses_them(
    served: tuple[httpx2.AsyncClient, Pooled], database_url: str
) -> None:
    client, pooled = served
    await pooled.closed_by_the_server(database_url)
    assert (await client.post(ITEMS, json={"name": "after"})).status_code == 201
    assert (await client.get(ITEMS)).status_code == 200


async def test_a_read_on_a_connection_closed_unnoticed_runs_again(
    served: tuple[httpx2.AsyncClient, Pooled], database_url: str
) -> None:
    client, pooled = served
    pooled.stop_refusing_closed_connections()
    await pooled.closed_by_the_server(database_url)
    response = await client.get(ITEMS)
    assert response.status_code == 200
    assert [item["name"] for item in response.json()["items"]] == ["kept"]


async def test_without_the_second_try_that_read_would_fail(
    served: tuple[httpx2.AsyncClient, Pooled],
    database_url: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    client, pooled = served
    pooled.stop_refusing_closed_connections()
    monkeypatch.setattr(Database, "read", Database._read_once)
    await pooled.closed_by_the_server(database_url)
    assert (await client.get(ITEMS)).status_code == 503


async def test_a_write_is_not_repeated_and_a_closed_connection_fails_it(
    served: tuple[httpx2.AsyncClient, Pooled], database_url: str
) -> None:
    """Repeating a write whose connection failed could apply it twice (the commit may have
    reached the server): without the pool's check the client gets a 503 to retry, once."""
    client, pooled = served
    pooled.stop_refusing_closed_connections()
    await pooled.closed_by_the_server(database_url)
    assert (await client.post(ITEMS, json={"name": "after"})).status_code == 503
    assert (await client.post(ITEMS, json={"name": "after"})).status_code == 201
