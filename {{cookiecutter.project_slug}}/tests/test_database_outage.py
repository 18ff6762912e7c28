"""A PostgreSQL outage, for real: the service talks to the real server through a proxy this test
cuts and restores, and must report it, survive it and recover from it by itself."""

import asyncio
import logging
import time
from collections.abc import AsyncIterator
from typing import Self

import httpx2
import pytest
from pydantic import SecretStr
from sqlalchemy import make_url

from {{ cookiecutter.package_name }}.app import create_app
from {{ cookiecutter.package_name }}.database_errors import UNAVAILABLE
from {{ cookiecutter.package_name }}.settings import Settings
from tests.asgi import serving

ITEMS = "/api/v1/items"
CONNECT_TIMEOUT = 0.5
# A password the server (trust authentication) never asks for, to show it is never logged.
PASSWORD = "hunter2-do-not-leak"  # noqa: S105 (a made-up one, to look for)

# Three requests each wait out CONNECT_TIMEOUT against the cut proxy.
pytestmark = pytest.mark.slow


class SwitchableProxy:
    """Forwards TCP connections to the server while on. Cut off, it drops every connection
    and then accepts new ones without ever answering, as a partitioned network does: the
    harder case for a client, which must give up on its own timeout."""

    def __init__(self, target_host: str, target_port: int) -> None:
        self.target = (target_host, target_port)
        self.on = True
        self._links: set[asyncio.StreamWriter] = set()
        self._tasks: set[asyncio.Task[None]] = set()
        self._server: asyncio.Server | None = None

    @property
    def port(self) -> int:
        assert self._server is not None
        port: int = self._server.sockets[0].getsockname()[1]
        return port

    async def __aenter__(self) -> Self:
        self._server = await asyncio.start_server(self._accept, "127.0.0.1", 0)
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        assert self._server is not None
        self._server.close()
        self.cut()
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    def cut(self) -> None:
        self.on = False
        for writer in self._links:
            writer.transport.abort()
        self._links.clear()

    def restore(self) -> None:
        self.on = True

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if not self.on:
            self._links.add(writer)  # held open, never answered, dropped on exit
            return
        upstream_reader, upstream_writer = await asyncio.open_connection(*self.target)
        self._links.update((writer, upstream_writer))
        for source, sink in ((reader, upstream_writer), (upstream_reader, writer)):
            task = asyncio.create_task(self._pipe(source, sink))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    @staticmethod
    async def _pipe(source: asyncio.StreamReader, sink: asyncio.StreamWriter) -> None:
        try:
            while data := await source.read(65536):
                sink.write(data)
                await sink.drain()
        except ConnectionError:
            pass
        finally:
            sink.transport.abort()


@pytest.fixture
async def proxy(database_url: str) -> AsyncIterator[SwitchableProxy]:
    url = make_url(database_url)
    async with SwitchableProxy(url.host or "127.0.0.1", url.port or 5432) as proxy:
        yield proxy


@pytest.fixture
async def client(
    settings: Settings, database_url: str, proxy: SwitchableProxy
) -> AsyncIterator[httpx2.AsyncClient]:
    through_proxy = make_url(database_url).set(host="127.0.0.1", port=proxy.port, password=PASSWORD)
    app = create_app(
        settings.model_copy(
            update={
                "database_url": SecretStr(through_proxy.render_as_string(hide_password=False)),
                "database_connect_timeout": CONNECT_TIMEOUT,
                "database_pool_timeout": CONNECT_TIMEOUT,
            }
        )
    )
    async with serving(app) as client:
        yield client


async def test_an_outage_is_reported_survived_and_recovered_from(
    client: httpx2.AsyncClient, proxy: SwitchableProxy, caplog: pytest.LogCaptureFixture
) -> None:
    created = await client.post(ITEMS, json={"name": "written before the outage"})
    assert created.status_code == 201
    item = f"{ITEMS}/{created.json()['id']}"

    proxy.cut()
    started = time.perf_counter()
    ready = await client.get("/health/ready")
    elapsed = time.perf_counter() - started
    assert ready.status_code == 503
    assert elapsed < CONNECT_TIMEOUT + 2, f"readiness took {elapsed:.2f} s to give up"
    for response in (await client.get(item), await client.post(ITEMS, json={"name": "lost"})):
        assert response.status_code == 503
        assert response.headers["content-type"] == "application/problem+json"
        assert response.json()["detail"] == UNAVAILABLE
    assert (await client.get("/health/live")).status_code == 200

    proxy.restore()
    # No restart, no intervention: the next requests reconnect.
    assert (await client.get("/health/ready")).status_code == 200
    assert (await client.get(item)).json()["name"] == "written before the outage"
    assert (await client.post(ITEMS, json={"name": "after"})).status_code == 201
    assert (await client.get(ITEMS, params={"include_total": True})).json()["total"] == 2

    assert any(record.levelno == logging.WARNING for record in caplog.records)
    assert PASSWORD not in caplog.text
