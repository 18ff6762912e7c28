from collections.abc import AsyncIterator

import httpx2
import pytest
from fastapi import FastAPI, Request

from {{ cookiecutter.package_name }}.errors import EXCEPTION_HANDLERS
from {{ cookiecutter.package_name }}.middleware.stack import service_middleware
from {{ cookiecutter.package_name }}.settings import Settings

LIMIT = 1000
CHUNK = 100


class Body:
    """A request body sent in chunks, without Content-Length; counts the chunks taken."""

    def __init__(self, size: int) -> None:
        self.size = size
        self.chunks_sent = 0

    async def __aiter__(self) -> AsyncIterator[bytes]:
        for _ in range(0, self.size, CHUNK):
            self.chunks_sent += 1
            yield b"x" * CHUNK


@pytest.fixture
async def reader() -> AsyncIterator[httpx2.AsyncClient]:
    """An app with one endpoint that reads the whole body, behind the limit."""
    settings = Settings(_env_file=None, trusted_hosts=["test"], max_body_bytes=LIMIT)
    app = FastAPI(
        exception_handlers=EXCEPTION_HANDLERS, middleware=service_middleware(settings, [], [])
    )

    @app.post("/read")
    async def read(request: Request) -> int:
        return len(await request.body())

    async with httpx2.AsyncClient(
        transport=httpx2.ASGITransport(app=app), base_url="http://test"
    ) as client:
        yield client


async def test_a_body_within_the_limit_is_read(reader: httpx2.AsyncClient) -> None:
    assert (await reader.post("/read", content=b"x" * LIMIT)).json() == LIMIT
    assert (await reader.post("/read", content=Body(LIMIT))).json() == LIMIT


async def test_a_streamed_body_is_cut_off_as_soon_as_it_passes_the_limit(
    reader: httpx2.AsyncClient,
) -> None:
    body = Body(100 * LIMIT)
    response = await reader.post("/read", content=body)
    assert response.status_code == 413
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["detail"] == f"The request body is larger than {LIMIT} bytes."
    # Refused once the limit is passed, not after the whole body was buffered.
    assert body.chunks_sent <= LIMIT // CHUNK + 2


async def test_a_declared_length_over_the_limit_is_refused_before_reading(
    client: httpx2.AsyncClient,
) -> None:
    """The service itself, with the default limit of 1 MiB, on any route."""
    response = await client.post(
        "/api/v1/quotes/today", content=b"x" * (1_048_576 + 1), headers={"X-Request-ID": "big-1"}
    )
    assert response.status_code == 413
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["request_id"] == "big-1"


async def test_a_declared_length_over_the_limit_is_refused_unread(
    reader: httpx2.AsyncClient,
) -> None:
    body = Body(100 * LIMIT)
    headers = {"Content-Length": str(body.size)}
    response = await reader.post("/read", content=body, headers=headers)
    assert response.status_code == 413
    assert body.chunks_sent == 0
