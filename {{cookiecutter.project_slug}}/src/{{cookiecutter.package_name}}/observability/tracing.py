"""OpenTelemetry traces: FastAPI's own request spans, and spans for outbound calls.

Spans are exported over OTLP (HTTP) when OTEL_EXPORTER_OTLP_ENDPOINT or
OTEL_EXPORTER_OTLP_TRACES_ENDPOINT is set; otherwise there is no tracer provider, and tracing
costs nothing. The provider belongs to the app, not to the process, so that a test can hand it
an in-memory exporter. Its batch processor exports from a thread of its own, never the loop.
"""

import logging
import os
from collections.abc import AsyncIterator, Mapping, Sequence
from contextlib import asynccontextmanager
from typing import Any

import httpx2
from anyio import to_thread
from opentelemetry import trace
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.instrumentation.httpx import HTTPX2ClientInstrumentor
{%- if cookiecutter.metrics %}
from opentelemetry.metrics import MeterProvider, NoOpMeterProvider
{%- endif %}
from opentelemetry.sdk.resources import SERVICE_NAME, Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SpanExporter

from {{ cookiecutter.package_name }}.extension import Extension
from {{ cookiecutter.package_name }}.resources import Resources

SERVICE = "{{ cookiecutter.project_slug }}"
ENDPOINT_VARIABLES = ("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "OTEL_EXPORTER_OTLP_ENDPOINT")
{%- if cookiecutter.metrics %}
# Prometheus counts the requests and outbound calls{% if cookiecutter.database != "none" %} and reads the database pool{% endif %} (/metrics).
# FastAPI's telemetry and the instrumentations would count them again into any MeterProvider
# set from outside (FASTAPI_OTEL_AUTO_CONFIGURE, opentelemetry-instrument): here they only trace.
METER_PROVIDER: MeterProvider = NoOpMeterProvider()
{%- else %}
# FastAPI's telemetry and the instrumentations meter into the global MeterProvider, when
# something outside the service sets one; the service itself counts nothing.
METER_PROVIDER = None
{%- endif %}


def otlp_exporter() -> SpanExporter | None:
    """An OTLP exporter when an endpoint is configured; it reads the other OTEL_* variables
    (headers, timeout, compression) itself."""
    if any(os.environ.get(name) for name in ENDPOINT_VARIABLES):
        return OTLPSpanExporter()
    return None


def tracer_provider(exporter: SpanExporter | None) -> TracerProvider | None:
    """A provider that sends its spans to `exporter`; None without one. OTEL_SERVICE_NAME and
    OTEL_RESOURCE_ATTRIBUTES override the service name set here."""
    if exporter is None:
        return None
    provider = TracerProvider(resource=Resource.create({SERVICE_NAME: SERVICE}))
    provider.add_span_processor(BatchSpanProcessor(exporter))
    return provider


def trace_http_client(client: httpx2.AsyncClient, provider: TracerProvider) -> None:
    """A span per outbound call; the trace context travels in the `traceparent` header."""
    HTTPX2ClientInstrumentor.instrument_client(
        client, tracer_provider=provider, meter_provider=METER_PROVIDER
    )


async def shutdown(provider: TracerProvider) -> None:
    """Export what is left; in a thread, since the exporter may wait for the collector."""
    await to_thread.run_sync(provider.shutdown)


class TraceIdFilter(logging.Filter):
    """Adds `trace_id` and `span_id` to the records written inside a span."""

    def filter(self, record: logging.LogRecord) -> bool:
        context = trace.get_current_span().get_span_context()
        if context.is_valid:
            record.trace_id = format(context.trace_id, "032x")
            record.span_id = format(context.span_id, "016x")
        return True


class TracingExtension(Extension):
    """Plugs the app's tracer provider into the service; with none, only the log filter (which
    then finds no span) and FastAPI's fallback to the global provider remain."""

    def __init__(self, provider: TracerProvider | None) -> None:
        self.provider = provider

    def log_filters(self) -> Sequence[logging.Filter]:
        return [TraceIdFilter()]

    def app_options(self) -> Mapping[str, Any]:
        # FastAPI's own OpenTelemetry spans (route template, dependencies, endpoint), sent to
        # this app's provider; with none, FastAPI falls back to the global one, unset: no spans.
        # Never FastAPI's exporters as well (FASTAPI_OTEL_AUTO_CONFIGURE): each span sent twice.
        return {
            "telemetry": {
                "tracer_provider": self.provider,
                "meter_provider": METER_PROVIDER,
                "auto_configure": False,
            }
        }

    @asynccontextmanager
    async def lifespan(self, resources: Resources) -> AsyncIterator[None]:
        if self.provider is None:
            yield
            return
        trace_http_client(resources.http_client, self.provider)
        try:
            yield
        finally:
            await shutdown(self.provider)
