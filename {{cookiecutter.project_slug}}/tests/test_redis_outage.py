"""Redis going away, for real: the service talks to the real server through a proxy this test
cuts and restores. Every endpoint answers as it would without Redis{% if cookiecutter.database != "none" %} (reads come from the
database, and an update is never hidden by the old cached value){% endif %}, rate limiting lets
requests through, readiness says degraded without failing, and all of it heals by itself."""

import logging
from collections.abc import AsyncIterator

import httpx2
import pytest
from pydantic import SecretStr
from redis.asyncio.connection import parse_url

from {{ cookiecutter.package_name }}.app import create_app
{%- if cookiecutter.auth == "jwt" %}
from {{ cookiecutter.package_name }}.auth.extension import AuthExtension
{%- endif %}
from {{ cookiecutter.package_name }}.cache.events import CacheEvents
from {{ cookiecutter.package_name }}.cache.extension import CacheExtension
{%- if cookiecutter.jobs == "taskiq" %}
from {{ cookiecutter.package_name }}.jobs.extension import JobsExtension
{%- endif %}
from {{ cookiecutter.package_name }}.settings import Settings
from tests.asgi import serving
from tests.fakes import FakeUpstream
from tests.tcp_proxy import SwitchableProxy

QUOTE = "/api/v1/quotes/today"
{%- if cookiecutter.database != "none" %}
ITEMS = "/api/v1/items"
{%- endif %}
TIMEOUT = 0.2
LIMIT = 5
GUARD_LOGGER = "{{ cookiecutter.package_name }}.cache.guard"


class Errors(CacheEvents):
    def __init__(self) -> None:
        self.operations: list[str] = []

    def redis_error(self, operation: str) -> None:
        self.operations.append(operation)


@pytest.fixture(autouse=True)
def quotes(upstream: FakeUpstream) -> None:
    upstream.handler = lambda request: httpx2.Response(200, json={"text": "t", "author": "a"})


@pytest.fixture
async def proxy(redis_url: str) -> AsyncIterator[SwitchableProxy]:
    target = parse_url(redis_url)
    host, port = str(target.get("host", "127.0.0.1")), int(target.get("port", 6379))
    async with SwitchableProxy(host, port) as proxy:
        yield proxy


def through(settings: Settings, url: str, **changes: object) -> Settings:
    return settings.model_copy(
        update={
            "redis_url": SecretStr(url),
            "redis_socket_connect_timeout": TIMEOUT,
            "redis_socket_timeout": TIMEOUT,
            # Every request tries Redis again, so the test sees the recovery at once.
            "redis_backoff": 0,
            "rate_limit_requests": LIMIT,
            **changes,
        }
    )


async def over_the_limit(client: httpx2.AsyncClient) -> set[int]:
    """The statuses of more requests than the limit allows."""
    return {(await client.get(QUOTE)).status_code for _ in range(LIMIT + 1)}


@pytest.mark.slow  # a few requests each wait out TIMEOUT against the cut proxy
async def test_an_outage_is_survived_reported_and_recovered_from(
    settings: Settings,
    upstream: FakeUpstream,
    redis_url: str,
    proxy: SwitchableProxy,
    caplog: pytest.LogCaptureFixture,
) -> None:
    db_number = parse_url(redis_url).get("db", 0)
    events = Errors()
    app = create_app(
        through(settings, f"redis://127.0.0.1:{proxy.port}/{db_number}"),
        http_transport=httpx2.MockTransport(upstream),
        extensions=[{% if cookiecutter.auth == "jwt" %}AuthExtension(), {% endif %}CacheExtension(events){% if cookiecutter.jobs == "taskiq" %}, JobsExtension(){% endif %}],
    )
    async with serving(app) as client:
{%- if cookiecutter.database != "none" %}
        created = await client.post(ITEMS, json={"name": "before"})
        item = f"{ITEMS}/{created.json()['id']}"
        assert (await client.get(item)).json()["name"] == "before"  # now cached
{% endif %}
        proxy.cut()
{%- if cookiecutter.database != "none" %}
        assert (await client.get(item)).json()["name"] == "before"  # from the database
        # The invalidation cannot reach Redis, which still holds "before".
        assert (await client.patch(item, json={"name": "during"})).status_code == 200
        assert (await client.get(item)).json()["name"] == "during"
{%- endif %}
        assert await over_the_limit(client) == {200}  # fails open
        ready = await client.get("/health/ready")
        assert ready.status_code == 200
        assert ready.json() == {"status": "degraded", "degraded": ["redis"]}
        assert (await client.get("/health/live")).status_code == 200
        warnings = [
            record
            for record in caplog.records
            if record.name == GUARD_LOGGER and record.levelno == logging.WARNING
        ]
        assert len(warnings) == 1
        assert len(events.operations) > 1

        proxy.restore()
{%- if cookiecutter.database != "none" %}
        # The owed invalidation goes first: never the old value from Redis.
        assert (await client.get(item)).json()["name"] == "during"
        assert (await client.get(item)).json()["name"] == "during"
{%- endif %}
        assert (await client.get("/health/ready")).json() == {"status": "ok", "degraded": []}
        assert 429 in await over_the_limit(client)


async def test_without_redis_from_the_start_every_endpoint_still_answers(
    settings: Settings, upstream: FakeUpstream, unused_tcp_port: int
) -> None:
    # A port nothing listens on: every connection is refused, as with Redis stopped.
    app = create_app(
        through(settings, f"redis://127.0.0.1:{unused_tcp_port}/0", redis_backoff=1.0),
        http_transport=httpx2.MockTransport(upstream),
    )
    async with serving(app) as client:
        assert await over_the_limit(client) == {200}
{%- if cookiecutter.database != "none" %}
        created = await client.post(ITEMS, json={"name": "no cache"})
        item = f"{ITEMS}/{created.json()['id']}"
        assert (await client.get(item)).json()["name"] == "no cache"
        assert (await client.patch(item, json={"name": "still none"})).status_code == 200
        assert (await client.get(item)).json()["name"] == "still none"
        assert (await client.delete(item)).status_code == 204
        assert (await client.get(item)).status_code == 404
{%- endif %}
        assert (await client.get("/health/ready")).json()["status"] == "degraded"
