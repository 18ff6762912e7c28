"""Counters for the Redis parts: {% if cookiecutter.database != "none" %}cache hits and misses, {% endif %}failed Redis calls, refused requests."""

from prometheus_client import Counter

from {{ cookiecutter.package_name }}.cache.events import {% if cookiecutter.database != "none" %}CacheEvents, Lookup{% else %}CacheEvents{% endif %}
from {{ cookiecutter.package_name }}.observability.metrics import Metrics


class CacheMetrics(CacheEvents):
    def __init__(self, metrics: Metrics) -> None:
{%- if cookiecutter.database != "none" %}
        self.lookups = Counter(
            "cache_lookups",
            "Cached reads, by result: `hit` (answered from Redis) or `miss` (loaded).",
            ["result"],
            registry=metrics.registry,
        )
{%- endif %}
        self.redis_errors = Counter(
            "redis_errors",
            "Redis calls that failed or timed out, by operation; the service went on without.",
            ["operation"],
            registry=metrics.registry,
        )
        self.limited = Counter(
            "rate_limited_requests",
            "Requests refused with 429 by the rate limiter.",
            registry=metrics.registry,
        )
{%- if cookiecutter.database != "none" %}

    def lookup(self, result: Lookup) -> None:
        self.lookups.labels(result).inc()
{%- endif %}

    def redis_error(self, operation: str) -> None:
        self.redis_errors.labels(operation).inc()

    def rate_limited(self) -> None:
        self.limited.inc()
