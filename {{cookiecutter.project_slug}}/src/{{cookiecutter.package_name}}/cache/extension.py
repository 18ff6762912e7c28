"""Redis plugged into the service: {% if cookiecutter.database != "none" %}the cache, {% endif %}the rate limiter and a readiness probe that
reports Redis as degraded, never as down."""

from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager

from redis.asyncio import Redis
from starlette.middleware import Middleware

{% if cookiecutter.database != "none" -%}
from {{ cookiecutter.package_name }}.cache.aside import Cache
{% endif -%}
from {{ cookiecutter.package_name }}.cache.events import CacheEvents
from {{ cookiecutter.package_name }}.cache.guard import RedisGuard
from {{ cookiecutter.package_name }}.cache.rate_limit import (
    LimiterSource,
    RateLimiter,
    RateLimitMiddleware,
)
from {{ cookiecutter.package_name }}.extension import Extension
from {{ cookiecutter.package_name }}.health.probes import Probe
from {{ cookiecutter.package_name }}.infra.redis import close_redis, open_redis, ping
from {{ cookiecutter.package_name }}.resources import Resources


class CacheExtension(Extension):
    """Opens the Redis pool for as long as the app runs{% if cookiecutter.database != "none" %}, and lends the cache to the
    dependencies that read through it (items/cache.py){% endif %}."""

    def __init__(self, events: CacheEvents | None = None) -> None:
        self.events = events or CacheEvents()
        self.limits = LimiterSource()
        self._redis: Redis | None = None
{%- if cookiecutter.database != "none" %}
        self._cache: Cache | None = None

    @property
    def cache(self) -> Cache:
        if self._cache is None:
            raise RuntimeError("the cache exists only while the app's lifespan runs")
        return self._cache
{%- endif %}

    def middleware(self) -> Sequence[Middleware]:
        return [Middleware(RateLimitMiddleware, source=self.limits, events=self.events)]

    @asynccontextmanager
    async def lifespan(self, resources: Resources) -> AsyncIterator[None]:
        settings = resources.settings
        redis = await open_redis(settings)
        guard = RedisGuard(self.events, backoff=settings.redis_backoff)
        self._redis = redis
{%- if cookiecutter.database != "none" %}
        self._cache = Cache(
            redis, guard, self.events, prefix=settings.redis_key_prefix, ttl=settings.cache_ttl
        )
{%- endif %}
        if settings.rate_limit_requests:
            self.limits.limiter = RateLimiter(
                redis,
                guard,
                prefix=settings.redis_key_prefix,
                limit=settings.rate_limit_requests,
                window=settings.rate_limit_window,
                trusted_proxies=settings.rate_limit_trusted_proxies,
            )
        try:
            yield
        finally:
            self.limits.limiter = None
{%- if cookiecutter.database != "none" %}
            self._cache = None
{%- endif %}
            self._redis = None
            await close_redis(redis)

    def probes(self) -> Sequence[Probe]:
        # Not required: without Redis the service still serves, more slowly and unlimited.
        return [Probe("redis", self._ping, required=False)]

    async def _ping(self) -> None:
        if self._redis is None:
            raise RuntimeError("Redis is not open")
        await ping(self._redis)
