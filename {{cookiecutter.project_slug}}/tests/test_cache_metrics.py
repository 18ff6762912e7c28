"""The Redis parts' counters on /metrics: {% if cookiecutter.database != "none" %}hits and misses, {% endif %}refused requests, failed Redis calls."""

import httpx2
import pytest
from pydantic import SecretStr

from {{ cookiecutter.package_name }}.app import create_app
from {{ cookiecutter.package_name }}.settings import Settings
from tests.asgi import serving
from tests.fakes import FakeUpstream
from tests.scrape import scrape, value

QUOTE = "/api/v1/quotes/today"


@pytest.fixture(autouse=True)
def quotes(upstream: FakeUpstream) -> None:
    upstream.handler = lambda request: httpx2.Response(200, json={"text": "t", "author": "a"})
{%- if cookiecutter.database != "none" %}


async def test_hits_and_misses_are_counted(client: httpx2.AsyncClient) -> None:
    created = await client.post("/api/v1/items", json={"name": "counted"})
    for _ in range(3):
        await client.get(f"/api/v1/items/{created.json()['id']}")
    samples = await scrape(client)
    assert value(samples, "cache_lookups_total", result="miss") == 1
    assert value(samples, "cache_lookups_total", result="hit") == 2
{%- endif %}


@pytest.mark.parametrize("changes", [{"rate_limit_requests": 1}])
async def test_refused_requests_are_counted(client: httpx2.AsyncClient) -> None:
    for _ in range(3):
        await client.get(QUOTE)
    assert value(await scrape(client), "rate_limited_requests_total") == 2


async def test_failed_redis_calls_are_counted(
    settings: Settings, upstream: FakeUpstream, unused_tcp_port: int
) -> None:
    down = settings.model_copy(
        update={
            "redis_url": SecretStr(f"redis://127.0.0.1:{unused_tcp_port}/0"),
            "redis_backoff": 0,
        }
    )
    app = create_app(down, http_transport=httpx2.MockTransport(upstream))
    async with serving(app) as client:
        for _ in range(2):
            assert (await client.get(QUOTE)).status_code == 200
        samples = await scrape(client)
    assert value(samples, "redis_errors_total", operation="rate_limit") == 2
