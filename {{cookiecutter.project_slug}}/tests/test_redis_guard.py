"""The guard every Redis call passes: an error becomes a fallback, is counted each time, is
logged once per interval, and Redis is left alone for the backoff before the next try."""

import logging

import pytest
from redis.exceptions import ConnectionError as RedisConnectionError

from {{ cookiecutter.package_name }}.cache.events import CacheEvents
from {{ cookiecutter.package_name }}.cache.guard import RedisGuard, RedisUnavailableError


class Errors(CacheEvents):
    def __init__(self) -> None:
        self.operations: list[str] = []

    def redis_error(self, operation: str) -> None:
        self.operations.append(operation)


class FlakyRedis:
    def __init__(self) -> None:
        self.up = False
        self.calls = 0

    async def get(self) -> str:
        self.calls += 1
        if not self.up:
            raise RedisConnectionError("Error 111 connecting to 127.0.0.1:6379.")
        return "value"


async def test_errors_are_counted_each_time_and_logged_once_per_interval(
    caplog: pytest.LogCaptureFixture,
) -> None:
    events, redis = Errors(), FlakyRedis()
    guard = RedisGuard(events, backoff=0)
    for _ in range(3):
        with pytest.raises(RedisUnavailableError):
            await guard.call("get", redis.get)
    assert events.operations == ["get"] * 3
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1
    assert "ConnectionError" in warnings[0].getMessage()

    redis.up = True
    assert await guard.call("get", redis.get) == "value"
    assert "Redis answers again" in caplog.text


async def test_after_an_error_redis_is_left_alone_for_the_backoff() -> None:
    events, redis = Errors(), FlakyRedis()
    guard = RedisGuard(events, backoff=3600)
    with pytest.raises(RedisUnavailableError):
        await guard.call("get", redis.get)
    redis.up = True
    with pytest.raises(RedisUnavailableError):
        await guard.call("get", redis.get)
    assert redis.calls == 1
    # A write that must reach Redis (an invalidation) tries anyway.
    assert await guard.call("invalidate", redis.get, even_in_backoff=True) == "value"
    assert redis.calls == 2


async def test_a_timeout_is_a_fallback_too() -> None:
    async def slow() -> None:
        raise TimeoutError

    with pytest.raises(RedisUnavailableError):
        await RedisGuard(Errors(), backoff=0).call("get", slow)
