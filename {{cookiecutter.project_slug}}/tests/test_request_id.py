import httpx2
import pytest

from tests.fakes import FakeUpstream

QUOTE = "/api/v1/quotes/today"


async def test_a_sane_incoming_id_is_echoed(client: httpx2.AsyncClient) -> None:
    response = await client.get("/health/live", headers={"X-Request-ID": "checkout-42"})
    assert response.headers["X-Request-ID"] == "checkout-42"


@pytest.mark.parametrize(
    "incoming", ["", "x" * 129, "two words", "line\tbreak"], ids=["empty", "long", "space", "tab"]
)
async def test_an_unusable_incoming_id_is_replaced(
    client: httpx2.AsyncClient, incoming: str
) -> None:
    response = await client.get("/health/live", headers={"X-Request-ID": incoming})
    assert response.headers["X-Request-ID"] not in ("", incoming)


async def test_each_request_gets_its_own_id(client: httpx2.AsyncClient) -> None:
    first = await client.get("/health/live")
    second = await client.get("/health/live")
    assert first.headers["X-Request-ID"] != second.headers["X-Request-ID"]


async def test_problem_bodies_carry_the_id(client: httpx2.AsyncClient) -> None:
    response = await client.get("/no/such/route", headers={"X-Request-ID": "lost-7"})
    assert response.status_code == 404
    assert response.json()["request_id"] == "lost-7"


async def test_outbound_calls_carry_the_id(
    client: httpx2.AsyncClient, upstream: FakeUpstream
) -> None:
    upstream.handler = lambda request: httpx2.Response(200, json={"text": "t", "author": "a"})
    await client.get(QUOTE, headers={"X-Request-ID": "fan-out-3"})
    assert [request.headers["X-Request-ID"] for request in upstream.requests] == ["fan-out-3"]
