"""Database pool usage, read from the engine's pool at scrape time."""

from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager

from prometheus_client.core import GaugeMetricFamily
from prometheus_client.metrics_core import Metric
from prometheus_client.registry import Collector
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.pool import QueuePool

from {{ cookiecutter.package_name }}.extension import Extension
from {{ cookiecutter.package_name }}.observability.metrics import Metrics
from {{ cookiecutter.package_name }}.resources import Resources


class PoolCollector(Collector):
    """Connections checked out, idle, and opened beyond the pool size; nothing for a pool that
    does not queue (SQLite in memory)."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine

    def collect(self) -> Iterable[Metric]:
        pool = self.engine.pool
        if not isinstance(pool, QueuePool):
            return
        yield GaugeMetricFamily("db_pool_size", "Connections the pool keeps open.", pool.size())
        yield GaugeMetricFamily(
            "db_pool_checked_out_connections",
            "Connections lent to requests right now.",
            pool.checkedout(),
        )
        yield GaugeMetricFamily(
            "db_pool_idle_connections", "Open connections waiting in the pool.", pool.checkedin()
        )
        # QueuePool counts overflow from -size up: below zero, the pool is not full yet.
        yield GaugeMetricFamily(
            "db_pool_overflow_connections",
            "Connections opened beyond the pool size.",
            max(0, pool.overflow()),
        )


class PoolMetricsExtension(Extension):
    """Reports the pool gauges for as long as the database is open."""

    def __init__(self, metrics: Metrics) -> None:
        self.metrics = metrics

    @asynccontextmanager
    async def lifespan(self, resources: Resources) -> AsyncIterator[None]:
        with self.metrics.collecting(PoolCollector(resources.database.engine)):
            yield
