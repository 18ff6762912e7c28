import logging

import httpx2
import pytest

from tests.fakes import FakeUpstream

QUOTE = "/api/v1/quotes/today"


def bug(request: httpx2.Request) -> httpx2.Response:
    """A failure no code path expects: it reaches the service as an unhandled exception."""
    raise RuntimeError("secret internal state")


async def test_an_unhandled_error_is_a_500_problem_with_the_request_id(
    client: httpx2.AsyncClient, upstream: FakeUpstream
) -> None:
    upstream.handler = bug
    response = await client.get(QUOTE, headers={"X-Request-ID": "boom-1"})
    assert response.status_code == 500
    assert response.headers["content-type"] == "application/problem+json"
    assert response.headers["X-Request-ID"] == "boom-1"
    assert response.json() == {
        "type": "about:blank",
        "title": "Internal Server Error",
        "status": 500,
        "detail": "An unexpected error occurred.",
        "instance": QUOTE,
        "request_id": "boom-1",
    }
    assert "secret internal state" not in response.text
    assert "Traceback" not in response.text


async def test_an_unhandled_error_is_logged_with_its_traceback_and_request_id(
    client: httpx2.AsyncClient, upstream: FakeUpstream, caplog: pytest.LogCaptureFixture
) -> None:
    upstream.handler = bug
    await client.get(QUOTE, headers={"X-Request-ID": "boom-2"})
    [record] = [record for record in caplog.records if record.levelno == logging.ERROR]
    assert "boom-2" in record.getMessage()
    assert record.exc_info is not None
    assert isinstance(record.exc_info[1], RuntimeError)


async def test_the_service_keeps_serving_after_an_unhandled_error(
    client: httpx2.AsyncClient, upstream: FakeUpstream
) -> None:
    upstream.handler = bug
    assert (await client.get(QUOTE)).status_code == 500
    assert (await client.get("/health/live")).status_code == 200
