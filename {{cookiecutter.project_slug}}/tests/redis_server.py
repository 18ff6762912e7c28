"""The tests' Redis: a real server, shared by every run, with a key prefix of its own per test
so that parallel runs and other projects on the same server never collide."""

import asyncio
import os
import secrets
from collections.abc import AsyncIterator

import pytest
from redis.asyncio import Redis
from redis.exceptions import RedisError

SERVER_VARIABLE = "{{ cookiecutter.__env_prefix }}TEST_REDIS_URL"
DEFAULT_SERVER = "redis://127.0.0.1:6379/0"

UNREACHABLE = """Redis at {url} cannot be used: {error}
The tests need a real server. Start one with `docker compose up -d redis`, or set
{variable} to another one (a database number the tests may write to)."""


def server_url() -> str:
    return os.environ.get(SERVER_VARIABLE, DEFAULT_SERVER)


async def answers(url: str) -> None:
    client = Redis.from_url(url, socket_connect_timeout=2, socket_timeout=2)
    try:
        await client.ping()
    finally:
        await client.aclose()


def pytest_collection_finish(session: pytest.Session) -> None:
    """Before any test runs, stop the run with one message if Redis does not answer: a
    service without it would still pass most tests, degraded, and prove nothing."""
    if not any("redis_url" in getattr(item, "fixturenames", ()) for item in session.items):
        return
    url = server_url()
    try:
        asyncio.run(answers(url))
    except (RedisError, OSError) as error:
        pytest.exit(UNREACHABLE.format(url=url, error=error, variable=SERVER_VARIABLE))


@pytest.fixture(scope="session")
def redis_url() -> str:
    return server_url()


@pytest.fixture
async def redis(redis_url: str) -> AsyncIterator[Redis]:
    """A client of the tests' own, to look at what the service wrote."""
    client = Redis.from_url(redis_url)
    try:
        yield client
    finally:
        await client.aclose()


@pytest.fixture
async def redis_prefix(redis: Redis) -> AsyncIterator[str]:
    """This test's key prefix; its keys are deleted after it."""
    prefix = f"test-{secrets.token_hex(6)}:"
    yield prefix
    keys = [key async for key in redis.scan_iter(match=f"{prefix}*")]
    if keys:
        await redis.delete(*keys)
