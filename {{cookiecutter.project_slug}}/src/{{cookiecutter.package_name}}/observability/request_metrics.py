"""Counts and times every request under its route template, and the requests in flight."""

from prometheus_client import Counter, Histogram
from starlette.types import Scope

from {{ cookiecutter.package_name }}.observability.metrics import Metrics, known_method


class RequestMetrics:
    """A request observer (request_observer.py) that feeds the HTTP server metrics."""

    def __init__(self, metrics: Metrics) -> None:
        self.metrics = metrics
        # Labelled instruments by (method, route, status): labels() costs a lock and a lookup.
        self._series: dict[tuple[str, str, int], tuple[Counter, Histogram]] = {}

    def started(self) -> None:
        self.metrics.requests_in_flight.inc()

    def finished(self, scope: Scope, route: str, status: int, seconds: float) -> None:
        self.metrics.requests_in_flight.dec()
        key = (known_method(scope["method"]), route, status)
        series = self._series.get(key) or self._add_series(key)
        series[0].inc()
        series[1].observe(seconds)

    def _add_series(self, key: tuple[str, str, int]) -> tuple[Counter, Histogram]:
        method, route, status = key
        series = (
            self.metrics.requests.labels(method, route, str(status)),
            self.metrics.request_duration.labels(method, route),
        )
        self._series[key] = series
        return series
