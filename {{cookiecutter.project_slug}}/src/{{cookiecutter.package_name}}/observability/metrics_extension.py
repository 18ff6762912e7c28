"""Prometheus metrics plugged into the service: the request and outbound-call instruments, the
loop-lag readings, and `GET /metrics`."""

from contextlib import AsyncExitStack

import httpx2
from fastapi import FastAPI

from {{ cookiecutter.package_name }}.extension import Extension
from {{ cookiecutter.package_name }}.loop_lag import LoopLagMonitor
from {{ cookiecutter.package_name }}.observability.http_metrics import MeteredTransport
from {{ cookiecutter.package_name }}.observability.metrics import LoopLagCollector, Metrics
from {{ cookiecutter.package_name }}.observability.request_metrics import RequestMetrics
from {{ cookiecutter.package_name }}.observability.request_observer import RequestObserver


class MetricsExtension(Extension):
    """Counts and times requests and outbound calls, reads the loop-lag monitor, and serves
    it all on /metrics."""

    def __init__(self, metrics: Metrics) -> None:
        self.metrics = metrics

    def request_observers(self) -> list[RequestObserver]:
        return [RequestMetrics(self.metrics)]

    def add_routes(self, app: FastAPI) -> None:
        app.add_route("/metrics", self.metrics.endpoint, include_in_schema=False)

    def watch_loop(self, stack: AsyncExitStack, monitor: LoopLagMonitor) -> None:
        stack.enter_context(self.metrics.collecting(LoopLagCollector(monitor)))

    def wrap_transport(self, transport: httpx2.AsyncBaseTransport) -> httpx2.AsyncBaseTransport:
        return MeteredTransport(transport, self.metrics)
