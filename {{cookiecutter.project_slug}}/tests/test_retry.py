"""Outbound retries: which calls are repeated, how often, and how long between tries."""

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Any

import httpx2
import pytest

from {{ cookiecutter.package_name }}.infra.retry import RetryTransport
from {{ cookiecutter.package_name }}.settings import Settings
from tests.fakes import UPSTREAM, FakeUpstream, Handler

ATTEMPTS = 4
BASE_DELAY = 0.1
MAX_DELAY = 0.3
QUOTE = "/api/v1/quotes/today"
QUOTE_ANSWER = {"text": "Again.", "author": "Anyone"}


class Sleeps:
    """Stands in for asyncio.sleep: records each wait instead of waiting."""

    def __init__(self) -> None:
        self.delays: list[float] = []

    async def __call__(self, delay: float) -> None:
        self.delays.append(delay)
        # Still yield, as a real sleep does: a retry loop must not hold the event loop.
        await asyncio.sleep(0)


@pytest.fixture
def sleeps() -> Sleeps:
    return Sleeps()


@pytest.fixture
def retrying(upstream: FakeUpstream, sleeps: Sleeps) -> httpx2.AsyncClient:
    transport = RetryTransport(
        httpx2.MockTransport(upstream),
        attempts=ATTEMPTS,
        base_delay=BASE_DELAY,
        max_delay=MAX_DELAY,
        sleep=sleeps,
    )
    return httpx2.AsyncClient(transport=transport, base_url=UPSTREAM)


def fails_then_answers(failures: int, failure: Handler, answer: Any = None) -> Handler:
    calls = 0

    def handler(request: httpx2.Request) -> httpx2.Response:
        nonlocal calls
        calls += 1
        return failure(request) if calls <= failures else httpx2.Response(200, json=answer)

    return handler


def refused(request: httpx2.Request) -> httpx2.Response:
    raise httpx2.ConnectError("connection refused", request=request)


def too_slow(request: httpx2.Request) -> httpx2.Response:
    raise httpx2.ReadTimeout("no answer", request=request)


@pytest.mark.parametrize(
    "failure",
    [refused, too_slow, lambda request: httpx2.Response(502), lambda request: httpx2.Response(503)],
    ids=["refused", "timeout", "502", "503"],
)
@pytest.mark.parametrize("method", ["GET", "HEAD", "PUT", "DELETE"])
async def test_idempotent_calls_are_retried_until_they_succeed(
    retrying: httpx2.AsyncClient, upstream: FakeUpstream, method: str, failure: Handler
) -> None:
    upstream.handler = fails_then_answers(2, failure)
    response = await retrying.request(method, "/today")
    assert response.status_code == 200
    assert len(upstream.requests) == 3


async def test_retries_stop_after_the_last_attempt(
    retrying: httpx2.AsyncClient, upstream: FakeUpstream, sleeps: Sleeps
) -> None:
    upstream.handler = lambda request: httpx2.Response(503)
    response = await retrying.get("/today")
    assert response.status_code == 503, "the last answer is the caller's"
    assert len(upstream.requests) == ATTEMPTS
    assert len(sleeps.delays) == ATTEMPTS - 1


async def test_the_last_error_is_raised_to_the_caller(
    retrying: httpx2.AsyncClient, upstream: FakeUpstream
) -> None:
    upstream.handler = refused
    with pytest.raises(httpx2.ConnectError):
        await retrying.get("/today")
    assert len(upstream.requests) == ATTEMPTS


@pytest.mark.parametrize("method", ["POST", "PATCH"])
@pytest.mark.parametrize(
    "failure", [refused, lambda request: httpx2.Response(503)], ids=["refused", "503"]
)
async def test_calls_that_are_not_idempotent_are_never_retried(
    retrying: httpx2.AsyncClient, upstream: FakeUpstream, method: str, failure: Handler
) -> None:
    upstream.handler = failure
    with contextlib.suppress(httpx2.ConnectError):
        await retrying.request(method, "/orders", json={"amount": 1})
    assert len(upstream.requests) == 1


@pytest.mark.parametrize("status", [400, 404, 409, 500, 501])
async def test_other_answers_are_not_retried(
    retrying: httpx2.AsyncClient, upstream: FakeUpstream, status: int
) -> None:
    upstream.handler = lambda request: httpx2.Response(status)
    assert (await retrying.get("/today")).status_code == status
    assert len(upstream.requests) == 1


async def test_a_streamed_body_is_not_sent_twice(
    retrying: httpx2.AsyncClient, upstream: FakeUpstream
) -> None:
    async def body() -> AsyncIterator[bytes]:
        yield b"once"

    upstream.handler = lambda request: httpx2.Response(503)
    await retrying.put("/document", content=body())
    assert len(upstream.requests) == 1


async def test_waits_grow_exponentially_with_full_jitter_up_to_the_cap(
    retrying: httpx2.AsyncClient, upstream: FakeUpstream, sleeps: Sleeps
) -> None:
    upstream.handler = lambda request: httpx2.Response(503)
    for _ in range(50):
        await retrying.get("/today")
    by_retry = [sleeps.delays[retry :: ATTEMPTS - 1] for retry in range(ATTEMPTS - 1)]
    for retry, delays in enumerate(by_retry):
        ceiling = min(MAX_DELAY, BASE_DELAY * 2**retry)
        assert all(0 <= delay <= ceiling for delay in delays)
        # Full jitter: spread over the whole range, not bunched at the ceiling.
        assert min(delays) < ceiling / 4
        assert max(delays) > ceiling * 3 / 4


async def test_the_service_retries_its_upstream_then_answers(
    client: httpx2.AsyncClient, upstream: FakeUpstream
) -> None:
    upstream.handler = fails_then_answers(2, lambda request: httpx2.Response(503), QUOTE_ANSWER)
    response = await client.get(QUOTE, headers={"X-Request-ID": "retry-1"})
    assert response.status_code == 200
    assert len(upstream.requests) == 3
    # Every try carries the id of the request that made it.
    assert {request.headers["X-Request-ID"] for request in upstream.requests} == {"retry-1"}


async def test_the_service_gives_up_after_its_attempts_with_a_502(
    client: httpx2.AsyncClient, upstream: FakeUpstream, settings: Settings
) -> None:
    upstream.handler = lambda request: httpx2.Response(503)
    assert (await client.get(QUOTE)).status_code == 502
    assert len(upstream.requests) == settings.http_retry_attempts
