"""Each request and outbound call is counted once: by Prometheus on /metrics, never again by
OpenTelemetry. FastAPI's telemetry and the instrumentations record metrics into any
MeterProvider set in the process (FASTAPI_OTEL_AUTO_CONFIGURE and opentelemetry-instrument set
one); the tracing extension hands them a provider that records nothing."""

from typing import Any

import httpx2
import pytest
from fastapi import FastAPI
from opentelemetry import metrics
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from {{ cookiecutter.package_name }}.app import create_app
from {{ cookiecutter.package_name }}.features import default_extensions
{%- if cookiecutter.database != "none" %}
from {{ cookiecutter.package_name }}.observability import database_tracing, tracing
{%- else %}
from {{ cookiecutter.package_name }}.observability import tracing
{%- endif %}
from {{ cookiecutter.package_name }}.settings import Settings
from tests.asgi import serving
from tests.fakes import FakeUpstream
from tests.scrape import Samples, scrape, value

QUOTE = "/api/v1/quotes/today"
{%- if cookiecutter.database != "none" %}
# Reads the database: the SQLAlchemy instrumentation sees its connections.
ITEM = "/api/v1/items/424242"
{%- endif %}
Figures = dict[tuple[str, frozenset[tuple[str, Any]]], float]


@pytest.fixture(scope="session")
def reader() -> InMemoryMetricReader:
    """A MeterProvider for the whole process, as the tools above set one: the OpenTelemetry
    API lets a process set it once."""
    reader = InMemoryMetricReader()
    metrics.set_meter_provider(MeterProvider(metric_readers=[reader]))
    return reader


def recorded(reader: InMemoryMetricReader) -> Figures:
    """Every series OpenTelemetry holds, with its count (histograms) or value."""
    data = reader.get_metrics_data()
    resource_metrics = data.resource_metrics if data is not None else []
    return {
        (metric.name, frozenset((point.attributes or {}).items())): float(
            getattr(point, "count", getattr(point, "value", 0))
        )
        for resource in resource_metrics
        for scope in resource.scope_metrics
        for metric in scope.metrics
        for point in metric.data.data_points
    }


def build(settings: Settings, upstream: FakeUpstream) -> FastAPI:
    """The service as generated, tracing on (spans go to memory)."""
    upstream.handler = lambda request: httpx2.Response(200, json={"text": "t", "author": "a"})
    return create_app(
        settings,
        http_transport=httpx2.MockTransport(upstream),
        extensions=default_extensions(span_exporter=InMemorySpanExporter()),
    )


@pytest.fixture
def app(settings: Settings, upstream: FakeUpstream, reader: InMemoryMetricReader) -> FastAPI:
    return build(settings, upstream)


@pytest.fixture
def metering_app(
    settings: Settings,
    upstream: FakeUpstream,
    reader: InMemoryMetricReader,
    monkeypatch: pytest.MonkeyPatch,
) -> FastAPI:
    """The service as it would be without its no-op MeterProvider: metering into the global
    one, as FastAPI and the instrumentations do by default."""
    monkeypatch.setattr(tracing, "METER_PROVIDER", None)
{%- if cookiecutter.database != "none" %}
    monkeypatch.setattr(database_tracing, "METER_PROVIDER", None)
{%- endif %}
    return build(settings, upstream)


async def exercise(app: FastAPI) -> Samples:
    """One call of each kind through the service; what /metrics counted for them."""
    async with serving(app) as client:
        assert (await client.get(QUOTE)).status_code == 200
{%- if cookiecutter.database != "none" %}
        assert (await client.get(ITEM)).status_code == 404
{%- endif %}
        return await scrape(client)


def changed(before: Figures, after: Figures) -> set[str]:
    """The names of the series that appeared or moved."""
    return {
        name for (name, labels), figure in after.items() if before.get((name, labels)) != figure
    }


async def test_prometheus_counts_each_call_once_and_opentelemetry_none(
    app: FastAPI, reader: InMemoryMetricReader
) -> None:
    before = recorded(reader)
    samples = await exercise(app)
    request = {"method": "GET", "route": QUOTE, "status": "200"}
    assert value(samples, "http_requests_total", **request) == 1
    call = {"host": "quotes.test", "method": "GET", "status": "200"}
    assert value(samples, "http_client_requests_total", **call) == 1
    assert changed(before, recorded(reader)) == set()


async def test_without_the_no_op_provider_opentelemetry_counts_them_again(
    metering_app: FastAPI, reader: InMemoryMetricReader
) -> None:
    """The check above can fail: metered into the global provider, every call shows there."""
    before = recorded(reader)
    await exercise(metering_app)
    assert changed(before, recorded(reader)) == {
        "http.server.request.duration",
        "http.server.active_requests",
        "http.client.duration",
{%- if cookiecutter.database != "none" %}
        "db.client.connections.usage",
{%- endif %}
    }
