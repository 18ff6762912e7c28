"""Prometheus metrics: the instruments, the collectors read at scrape time, and `/metrics`.

Each app has a registry of its own rather than prometheus-client's global one, so that several
apps in one process (the tests build one per test) do not collide. With several worker processes
(`uvicorn --workers N`), set PROMETHEUS_MULTIPROC_DIR: prometheus-client then keeps the counters
and histograms in files there, and a scrape of any worker sums every worker's.
"""

import os
from collections.abc import Iterable, Iterator
from contextlib import contextmanager

from anyio import to_thread
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    disable_created_metrics,
    generate_latest,
)
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.metrics_core import Metric
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import Collector
from starlette.requests import Request
from starlette.responses import Response

from {{ cookiecutter.package_name }}.loop_lag import LoopLagMonitor

# prometheus-client writes a `<name>_created` series (when the series began) beside every
# counter and histogram, one per label set: series nobody graphs, each stored for as long as
# the others, and Prometheus tells a counter's reset without it. The switch is process-wide.
disable_created_metrics()  # type: ignore[no-untyped-call]

# Any other method is counted as _OTHER: a client must not be able to invent new series.
KNOWN_METHODS = frozenset(
    {"CONNECT", "DELETE", "GET", "HEAD", "OPTIONS", "PATCH", "POST", "PUT", "QUERY", "TRACE"}
)


def known_method(method: str) -> str:
    return method if method in KNOWN_METHODS else "_OTHER"


class Metrics:
    """The service's instruments, in a registry of their own."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.multiprocess_dir = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
        self._live_collectors: list[Collector] = []
        self.requests = Counter(
            "http_requests",
            "HTTP requests answered, by route template.",
            ["method", "route", "status"],
            registry=self.registry,
        )
        self.request_duration = Histogram(
            "http_request_duration_seconds",
            "Time to answer an HTTP request, by route template.",
            ["method", "route"],
            registry=self.registry,
        )
        self.requests_in_flight = Gauge(
            "http_requests_in_flight",
            "HTTP requests being answered.",
            registry=self.registry,
            multiprocess_mode="livesum",
        )
        self.outbound_requests = Counter(
            "http_client_requests",
            "Calls made to upstream services; status is `error` when no response came.",
            ["host", "method", "status"],
            registry=self.registry,
        )
        self.outbound_duration = Histogram(
            "http_client_request_duration_seconds",
            "Time until an upstream's response headers arrive.",
            ["host"],
            registry=self.registry,
        )

    @contextmanager
    def collecting(self, collector: Collector) -> Iterator[None]:
        """Report what `collector` reads at each scrape, for as long as the block runs."""
        self.registry.register(collector)
        self._live_collectors.append(collector)
        try:
            yield
        finally:
            self._live_collectors.remove(collector)
            self.registry.unregister(collector)

    def render(self) -> bytes:
        if self.multiprocess_dir is None:
            return generate_latest(self.registry)
        # Every worker's counters from the shared files; the live readings are this worker's.
        registry = CollectorRegistry()
        MultiProcessCollector(registry, path=self.multiprocess_dir)  # type: ignore[no-untyped-call]
        for collector in self._live_collectors:
            registry.register(collector)
        return generate_latest(registry)

    async def endpoint(self, request: Request) -> Response:
        """`GET /metrics` in the Prometheus text format."""
        if self.multiprocess_dir is None:
            body = self.render()
        else:
            body = await to_thread.run_sync(self.render)  # reads the workers' files
        return Response(body, media_type=CONTENT_TYPE_LATEST)


class LoopLagCollector(Collector):
    """Reads the lag monitor at scrape time: no task or timer of its own."""

    def __init__(self, monitor: LoopLagMonitor) -> None:
        self.monitor = monitor

    def collect(self) -> Iterable[Metric]:
        yield GaugeMetricFamily(
            "event_loop_lag_seconds",
            "How late the event loop ran the lag monitor's latest timer.",
            value=self.monitor.latest,
        )
        yield GaugeMetricFamily(
            "event_loop_lag_worst_seconds",
            "The largest event-loop lag since the service started.",
            value=self.monitor.worst,
        )
        yield CounterMetricFamily(
            "event_loop_stalls",
            "Lag monitor timers that ran at least the warning threshold late.",
            value=self.monitor.stalls,
        )
