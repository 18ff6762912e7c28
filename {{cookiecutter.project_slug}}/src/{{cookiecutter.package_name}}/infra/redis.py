"""The one Redis connection pool of the service, opened and closed by the lifespan."""

from redis.asyncio import BlockingConnectionPool, Redis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff

from {{ cookiecutter.package_name }}.settings import Settings


async def open_redis(settings: Settings) -> Redis:
    """A client over a pool of at most `redis_max_connections`. Connections open lazily, so a
    Redis that is down does not stop the service from starting: readiness reports it instead.

    No retries: redis-py's default tries a command up to ten more times with backoff, which
    would turn a Redis outage into slow requests. The service falls back at the first error.
    """
    pool = BlockingConnectionPool.from_url(
        settings.redis_url.get_secret_value(),
        max_connections=settings.redis_max_connections,
        # Seconds to wait for a free pooled connection before doing without Redis.
        timeout=settings.redis_socket_timeout,
        socket_connect_timeout=settings.redis_socket_connect_timeout,
        socket_timeout=settings.redis_socket_timeout,
        retry=Retry(NoBackoff(), retries=0),
    )
    return Redis.from_pool(pool)


async def close_redis(redis: Redis) -> None:
    """Close the client and, as it owns it, its pool."""
    await redis.aclose()


async def ping(redis: Redis) -> None:
    """Raise if Redis does not answer."""
    await redis.ping()
