"""Prometheus metrics plugged into the service: the request and outbound-call instruments, the
loop-lag readings, and `GET /metrics`."""

from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager

import httpx2
from fastapi import APIRouter

from {{ cookiecutter.package_name }}.extension import Extension
from {{ cookiecutter.package_name }}.middleware.request_observer import RequestObserver
from {{ cookiecutter.package_name }}.observability.http_metrics import MeteredTransport
from {{ cookiecutter.package_name }}.observability.metrics import LoopLagCollector, Metrics
from {{ cookiecutter.package_name }}.observability.request_metrics import RequestMetrics
from {{ cookiecutter.package_name }}.resources import Resources


class MetricsExtension(Extension):
    """Counts and times requests and outbound calls, reads the loop-lag monitor, and serves
    it all on /metrics."""

    def __init__(self, metrics: Metrics) -> None:
        self.metrics = metrics

    def request_observers(self) -> Sequence[RequestObserver]:
        return [RequestMetrics(self.metrics)]

    def routers(self) -> Sequence[APIRouter]:
        router = APIRouter()
        router.add_route("/metrics", self.metrics.endpoint, include_in_schema=False)
        return [router]

    def wrap_transport(self, transport: httpx2.AsyncBaseTransport) -> httpx2.AsyncBaseTransport:
        return MeteredTransport(transport, self.metrics)

    @asynccontextmanager
    async def lifespan(self, resources: Resources) -> AsyncIterator[None]:
        with self.metrics.collecting(LoopLagCollector(resources.loop_lag)):
            yield
