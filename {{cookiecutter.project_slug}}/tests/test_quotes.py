import httpx2
import pytest

from tests.fakes import UPSTREAM, FakeUpstream, Handler

QUOTE = "/api/v1/quotes/today"


async def test_quote_comes_from_the_upstream(
    client: httpx2.AsyncClient, upstream: FakeUpstream
) -> None:
    upstream.handler = lambda request: httpx2.Response(
        200, json={"text": "Simple is better than complex.", "author": "Tim Peters"}
    )
    response = await client.get(QUOTE)
    assert response.status_code == 200
    assert response.json() == {"text": "Simple is better than complex.", "author": "Tim Peters"}
    assert [str(request.url) for request in upstream.requests] == [f"{UPSTREAM}/today"]


def timeout(request: httpx2.Request) -> httpx2.Response:
    raise httpx2.ReadTimeout("upstream too slow", request=request)


def refused(request: httpx2.Request) -> httpx2.Response:
    raise httpx2.ConnectError("connection refused", request=request)


@pytest.mark.parametrize(
    ("handler", "status"),
    [
        (timeout, 504),
        (refused, 502),
        (lambda request: httpx2.Response(503), 502),
        (lambda request: httpx2.Response(200, json={"unexpected": True}), 502),
        (lambda request: httpx2.Response(200, content=b"<html>"), 502),
    ],
    ids=["timeout", "refused", "upstream-5xx", "wrong-shape", "not-json"],
)
async def test_upstream_failures_map_to_gateway_errors(
    client: httpx2.AsyncClient, upstream: FakeUpstream, handler: Handler, status: int
) -> None:
    upstream.handler = handler
    response = await client.get(QUOTE)
    assert response.status_code == status
    assert response.headers["content-type"] == "application/problem+json"
    assert "Traceback" not in response.text
