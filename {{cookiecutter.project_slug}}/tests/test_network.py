"""The network under the shared client against real sockets on 127.0.0.1: each failure reaches
the retries as the httpx2 error they expect, and the quotes endpoint as 502 or 504."""

import asyncio
import socket
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any

import httpx2
import pytest

from {{ cookiecutter.package_name }}.app import create_app
from {{ cookiecutter.package_name }}.infra.http import open_transport
from {{ cookiecutter.package_name }}.settings import Settings
from tests.asgi import serving

Connection = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]
BODY = b'{"text": "Errors should never pass silently.", "author": "Tim Peters"}'
ANSWER = b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: %d\r\n\r\n%s" % (
    len(BODY),
    BODY,
)


async def answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    await reader.readuntil(b"\r\n\r\n")
    writer.write(ANSWER)
    await writer.drain()
    await reader.read()  # until the client hangs up


async def garble(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    await reader.readuntil(b"\r\n\r\n")
    writer.write(BODY)  # no status line, no headers
    await writer.drain()


async def hang_up(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    await reader.readuntil(b"\r\n\r\n")


async def say_nothing(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    await reader.read()


@asynccontextmanager
async def real_upstream(
    connection: Connection | None, connected: asyncio.Event | None = None
) -> AsyncIterator[str]:
    """The URL of a server that handles each connection with `connection`, setting `connected`
    when one arrives; with None, of a port nothing listens on. Its connections are all closed
    when the block ends."""
    if connection is None:
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            port = sock.getsockname()[1]
        yield f"http://127.0.0.1:{port}/"
        return
    handlers: set[asyncio.Task[Any]] = set()

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        handlers.update(filter(None, [asyncio.current_task()]))
        if connected is not None:
            connected.set()
        try:
            await connection(reader, writer)
        finally:
            writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    async with server:
        yield f"http://127.0.0.1:{server.sockets[0].getsockname()[1]}/"
    for handler in handlers:
        handler.cancel()
    await asyncio.gather(*handlers, return_exceptions=True)


@pytest.fixture
async def pool() -> AsyncIterator[httpx2.AsyncBaseTransport]:
    """The pool the service opens, as app.py opens it, with room for one connection."""
    # Not the `settings` fixture: here `changes` depends on the failing upstreams below.
    transport = await open_transport(Settings(_env_file=None, http_max_connections=1))
    yield transport
    await transport.aclose()


async def test_an_answer_comes_through(pool: httpx2.AsyncBaseTransport) -> None:
    async with real_upstream(answer) as url, httpx2.AsyncClient(transport=pool) as client:
        response = await client.get(url)
    assert (response.status_code, response.content) == (200, BODY)


# How each failing upstream behaves, what the pool raises, and what the service answers.
FAILURES: dict[str, tuple[Connection | None, type[httpx2.TransportError], int]] = {
    "refused": (None, httpx2.ConnectError, 502),
    "dropped": (hang_up, httpx2.RemoteProtocolError, 502),
    "not-http": (garble, httpx2.RemoteProtocolError, 502),
    "silent": (say_nothing, httpx2.ReadTimeout, 504),
}


@pytest.mark.parametrize(("connection", "error"), [f[:2] for f in FAILURES.values()], ids=FAILURES)
async def test_each_failure_is_the_error_it_stands_for(
    pool: httpx2.AsyncBaseTransport, connection: Connection | None, error: type[Exception]
) -> None:
    async with (
        real_upstream(connection) as url,
        httpx2.AsyncClient(transport=pool, timeout=0.2) as client,
    ):
        with pytest.raises(error):
            await client.get(url)


async def test_a_full_pool_is_a_pool_timeout_not_a_connect_timeout(
    pool: httpx2.AsyncBaseTransport,
) -> None:
    """Waiting for a free connection has its own deadline (HTTP_POOL_TIMEOUT), and its error
    is one the retries leave alone: a retry would only add load to a full pool."""
    connected = asyncio.Event()
    timeout = httpx2.Timeout(5.0, pool=0.1)
    async with (
        real_upstream(say_nothing, connected) as url,
        httpx2.AsyncClient(transport=pool, timeout=timeout) as client,
    ):
        first = asyncio.create_task(client.get(url))  # holds the pool's one connection
        await connected.wait()
        with pytest.raises(httpx2.PoolTimeout):
            await client.get(url)
        first.cancel()
        with pytest.raises(asyncio.CancelledError):
            await first


@pytest.fixture(params=FAILURES)
async def failing_upstream(request: pytest.FixtureRequest) -> AsyncIterator[tuple[str, int]]:
    """The URL of an upstream that fails in one of the ways above, and the status expected."""
    connection, _, status = FAILURES[request.param]
    async with real_upstream(connection) as url:
        yield url, status


@pytest.fixture
def changes(failing_upstream: tuple[str, int]) -> dict[str, Any]:
    return {"quotes_url": failing_upstream[0], "http_read_timeout": 0.2}


@pytest.fixture
async def service(settings: Settings) -> AsyncIterator[httpx2.AsyncClient]:
    """The service over its real network, as app.py opens it: no fake transport."""
    async with serving(create_app(settings)) as client:
        yield client


async def test_the_quotes_endpoint_answers_each_failure_with_a_gateway_error(
    service: httpx2.AsyncClient, failing_upstream: tuple[str, int]
) -> None:
    response = await service.get("/api/v1/quotes/today")
    assert response.status_code == failing_upstream[1]
    assert response.headers["content-type"] == "application/problem+json"
