"""Outbound calls counted and timed by upstream host, at the transport under the shared client.

A transport wrapper rather than client event hooks: it times the call itself and sees the calls
that fail without a response. Other wrappers compose around it (a retrying transport outside
it counts each attempt).
"""

from time import perf_counter

import httpx2
from prometheus_client import Counter, Histogram

from {{ cookiecutter.package_name }}.observability.metrics import Metrics, known_method


class MeteredTransport(httpx2.AsyncBaseTransport):
    """Counts each call by host, method and status (`error` without a response), and times it
    until the response headers arrive."""

    def __init__(self, inner: httpx2.AsyncBaseTransport, metrics: Metrics) -> None:
        self.inner = inner
        self.metrics = metrics
        self._counters: dict[tuple[str, str, str], Counter] = {}
        self._timers: dict[str, Histogram] = {}

    async def handle_async_request(self, request: httpx2.Request) -> httpx2.Response:
        host = request.url.host
        status = "error"
        started = perf_counter()
        try:
            response = await self.inner.handle_async_request(request)
            status = str(response.status_code)
            return response
        finally:
            self._timer(host).observe(perf_counter() - started)
            self._counter(host, known_method(request.method), status).inc()

    async def aclose(self) -> None:
        await self.inner.aclose()

    def _timer(self, host: str) -> Histogram:
        timer = self._timers.get(host)
        if timer is None:
            timer = self._timers[host] = self.metrics.outbound_duration.labels(host)
        return timer

    def _counter(self, host: str, method: str, status: str) -> Counter:
        key = (host, method, status)
        counter = self._counters.get(key)
        if counter is None:
            counter = self._counters[key] = self.metrics.outbound_requests.labels(*key)
        return counter
