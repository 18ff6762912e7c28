"""The network transport against real sockets on 127.0.0.1: each failure reaches the retries
and the quotes endpoint as the httpx2 error they expect (refused: 502, silent: 504)."""

import asyncio
import socket
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any

import httpx2
import pytest

from {{ cookiecutter.package_name }}.infra.network import AiohttpPool

Connection = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]
BODY = b'{"ok": true}'
ANSWER = b"HTTP/1.1 200 OK\r\ncontent-length: %d\r\n\r\n%s" % (len(BODY), BODY)


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
async def upstream(connection: Connection | None) -> AsyncIterator[str]:
    """The URL of a server that handles each connection with `connection`; with None, of a
    port nothing listens on. Its connections are all closed when the block ends."""
    if connection is None:
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            port = sock.getsockname()[1]
        yield f"http://127.0.0.1:{port}/"
        return
    handlers: set[asyncio.Task[Any]] = set()

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        handlers.update(filter(None, [asyncio.current_task()]))
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
def pool() -> AiohttpPool:
    # Made outside the event loop: the transport loads the CA certificates from disk.
    return AiohttpPool(limits=httpx2.Limits(max_connections=2))


async def test_an_answer_comes_through(pool: AiohttpPool) -> None:
    async with upstream(answer) as url, httpx2.AsyncClient(transport=pool) as client:
        response = await client.get(url)
    assert (response.status_code, response.json()) == (200, {"ok": True})


@pytest.mark.parametrize(
    ("connection", "error"),
    [
        (None, httpx2.ConnectError),
        (hang_up, httpx2.RemoteProtocolError),
        (garble, httpx2.RemoteProtocolError),
        (say_nothing, httpx2.ReadTimeout),
    ],
    ids=["refused", "dropped", "not-http", "silent"],
)
async def test_each_failure_is_the_error_it_stands_for(
    pool: AiohttpPool, connection: Connection | None, error: type[httpx2.TransportError]
) -> None:
    async with (
        upstream(connection) as url,
        httpx2.AsyncClient(transport=pool, timeout=0.2) as client,
    ):
        with pytest.raises(error):
            await client.get(url)
