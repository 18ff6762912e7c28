"""From outside: the service under real uvicorn on the real Redis. {% if cookiecutter.database != "none" %}Reads of an item come from
Redis until the TTL ends and an update shows on the next read; {% endif %}a client over the limit gets
429 with `Retry-After`; and with Redis down, the service answers as it would without it."""

{% if cookiecutter.database != "none" -%}
import asyncio
import time
{% endif -%}
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path

import httpx2
import pytest
{%- if cookiecutter.database != "none" %}
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine
{%- endif %}

from {{ cookiecutter.package_name }}.settings import Settings
{%- if cookiecutter.auth == "jwt" %}
from tests.identity import AUDIENCE, IdentityServer, mint
{%- endif %}
from tests.server import Server, free_port, serve, service_env

pytestmark = [pytest.mark.slow, pytest.mark.server]

# Starts the service with some settings changed; it stops when the block ends.
Starter = Callable[..., AbstractContextManager[Server]]

{%- if cookiecutter.database != "none" %}
ITEMS = "/api/v1/items"
# Seconds an item stays cached: long enough that two reads in a row both fall inside it.
TTL = 3
{%- endif %}
# A path no route has: the limiter counts it all the same, before routing.
NOWHERE = "/api/v1/nowhere"
{%- if cookiecutter.auth == "jwt" %}


@pytest.fixture
def headers(identity_server: IdentityServer) -> dict[str, str]:
    """A token that may read and write."""
    return {"Authorization": f"Bearer {mint(issuer=identity_server.issuer)}"}
{%- else %}


@pytest.fixture
def headers() -> dict[str, str]:
    return {}
{%- endif %}


@pytest.fixture
{%- if cookiecutter.auth == "jwt" %}
def start(settings: Settings, identity_server: IdentityServer, tmp_path: Path) -> Starter:
    """Starts the service with the tests' Redis and key prefix, and `changes` on top."""
    base = {
        "auth_issuer": identity_server.issuer,
        "auth_audience": AUDIENCE,
{%- else %}
def start(settings: Settings, tmp_path: Path) -> Starter:
    """Starts the service with the tests' Redis and key prefix, and `changes` on top."""
    base = {
{%- endif %}
{%- if cookiecutter.database != "none" %}
        "database_url": settings.database_url.get_secret_value(),
{%- endif %}
        "redis_url": settings.redis_url.get_secret_value(),
        "redis_key_prefix": settings.redis_key_prefix,
{%- if cookiecutter.jobs == "taskiq" %}
        # The items it creates enqueue their jobs under the test's prefix, deleted after it.
        "jobs_queue": f"{settings.redis_key_prefix}jobs",
{%- endif %}
    }

    @contextmanager
    def starter(**changes: str) -> Iterator[Server]:
        with serve(service_env(**{**base, **changes}), tmp_path) as server:
            yield server

    return starter

{%- if cookiecutter.database != "none" %}


def rename_behind_the_service(settings: Settings, item_id: int, name: str) -> None:
    """Change the row in the database directly, where the service's cache cannot know of it."""

    async def rename() -> None:
        engine = create_async_engine(settings.database_url.get_secret_value())
        try:
            async with engine.begin() as connection:
                statement = text("UPDATE items SET name = :name WHERE id = :id")
                await connection.execute(statement, {"name": name, "id": item_id})
        finally:
            await engine.dispose()

    asyncio.run(rename())


def test_reads_come_from_redis_until_the_ttl_and_an_update_shows_at_once(
    start: Starter, settings: Settings, headers: dict[str, str]
) -> None:
    with (
        start(cache_ttl=str(TTL)) as service,
        httpx2.Client(base_url=service.url, headers=headers, timeout=10) as client,
    ):
        created = client.post(ITEMS, json={"name": "gear"})
        assert created.status_code == 201, created.text
        item = f"{ITEMS}/{created.json()['id']}"
        assert client.get(item).json()["name"] == "gear"  # read from the database, then cached

        rename_behind_the_service(settings, created.json()["id"], "renamed")
        # Still the cached answer: this read did not reach the database.
        assert client.get(item).json()["name"] == "gear"
        # Once the TTL has run out, the database is read again.
        deadline = time.monotonic() + TTL + 30
        while client.get(item).json()["name"] != "renamed":
            assert time.monotonic() < deadline, "the cached item never expired"
            time.sleep(0.2)

        patched = client.patch(item, json={"name": "patched"})
        assert patched.status_code == 200
        assert client.get(item).json() == patched.json()
{%- endif %}


def test_a_client_over_the_limit_gets_429_with_retry_after(
    start: Starter, headers: dict[str, str]
) -> None:
    with (
        start(rate_limit_requests="3", rate_limit_window="60") as service,
        httpx2.Client(base_url=service.url, headers=headers, timeout=10) as client,
    ):
        assert [client.get(NOWHERE).status_code for _ in range(3)] == [404] * 3
        refused = client.get(NOWHERE)
        assert refused.status_code == 429
        assert refused.headers["Content-Type"] == "application/problem+json"
        assert 1 <= int(refused.headers["Retry-After"]) <= 60


def test_with_redis_down_every_endpoint_answers_as_without_it(
    start: Starter, headers: dict[str, str]
) -> None:
    # Nothing listens there: each Redis call fails at once, as with a stopped server.
    down = f"redis://127.0.0.1:{free_port()}/0"
    with (
        start(redis_url=down, rate_limit_requests="3") as service,
        httpx2.Client(base_url=service.url, headers=headers, timeout=10) as client,
    ):
        ready = client.get("/health/ready")
        assert ready.status_code == 200
{%- if cookiecutter.jobs == "taskiq" %}
        # The job queue is on the same Redis: enqueues are missed, and the sweep makes them good.
        assert ready.json() == {"status": "degraded", "degraded": ["redis", "job queue"]}
{%- else %}
        assert ready.json() == {"status": "degraded", "degraded": ["redis"]}
{%- endif %}
        # Limiting fails open.
        assert {client.get(NOWHERE).status_code for _ in range(5)} == {404}
{%- if cookiecutter.database != "none" %}
        created = client.post(ITEMS, json={"name": "offline"})
        assert created.status_code == 201, created.text
        item = f"{ITEMS}/{created.json()['id']}"
        assert client.get(item).json() == created.json()
        patched = client.patch(item, json={"description": "still served"})
        assert patched.status_code == 200
        assert client.get(item).json() == patched.json()
        assert client.get(ITEMS).status_code == 200
        assert client.delete(item).status_code == 204
        assert client.get(item).status_code == 404
{%- endif %}
