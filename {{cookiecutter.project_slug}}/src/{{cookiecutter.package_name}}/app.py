"""The application factory and the lifespan that owns every I/O resource."""

from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager

import httpx2
from fastapi import APIRouter, FastAPI
{%- if cookiecutter.tracing %}
from opentelemetry.sdk.trace.export import SpanExporter
{%- endif %}
from starlette.middleware import Middleware

{% if cookiecutter.database != "none" -%}
from {{ cookiecutter.package_name }}.database_errors import DATABASE_EXCEPTION_HANDLERS
{% endif -%}
from {{ cookiecutter.package_name }}.errors import COMMON_RESPONSES, EXCEPTION_HANDLERS
from {{ cookiecutter.package_name }}.health.router import router as health_router
{%- if cookiecutter.database != "none" %}
from {{ cookiecutter.package_name }}.infra.database import close_database, open_database
{%- endif %}
from {{ cookiecutter.package_name }}.infra.http import (
    close_http_client,
    open_http_client,
    open_transport,
)
{%- if cookiecutter.database != "none" %}
from {{ cookiecutter.package_name }}.items.router import router as items_router
{%- endif %}
from {{ cookiecutter.package_name }}.loop_lag import LoopLagMonitor
from {{ cookiecutter.package_name }}.middleware.stack import edge_middleware
from {{ cookiecutter.package_name }}.observability.access_log import AccessLog
{%- if cookiecutter.tracing and cookiecutter.database != "none" %}
from {{ cookiecutter.package_name }}.observability.database_tracing import tracing_database
{%- endif %}
{%- if cookiecutter.metrics %}
from {{ cookiecutter.package_name }}.observability.http_metrics import MeteredTransport
{%- endif %}
from {{ cookiecutter.package_name }}.observability.logging_config import configure_logging
{%- if cookiecutter.metrics %}
from {{ cookiecutter.package_name }}.observability.metrics import LoopLagCollector, Metrics
{%- if cookiecutter.database != "none" %}
from {{ cookiecutter.package_name }}.observability.pool_metrics import PoolCollector
{%- endif %}
from {{ cookiecutter.package_name }}.observability.request_metrics import RequestMetrics
{%- endif %}
from {{ cookiecutter.package_name }}.observability.request_observer import (
    ObserveRequestsMiddleware,
    RequestObserver,
)
{%- if cookiecutter.tracing %}
from {{ cookiecutter.package_name }}.observability.tracing import (
    TraceIdFilter,
    otlp_exporter,
    shutdown,
    trace_http_client,
    tracer_provider,
)
{%- endif %}
from {{ cookiecutter.package_name }}.quotes.router import router as quotes_router
from {{ cookiecutter.package_name }}.request_id import RequestIdMiddleware
from {{ cookiecutter.package_name }}.resources import Resources
from {{ cookiecutter.package_name }}.settings import Settings
{% if cookiecutter.tracing %}

def create_app(
    settings: Settings | None = None,
    *,
    http_transport: httpx2.AsyncBaseTransport | None = None,
    span_exporter: SpanExporter | None = None,
) -> FastAPI:
    """Build the service. `http_transport` replaces the network under the shared HTTP client;
    `span_exporter` receives the traces instead of the OTLP endpoint."""
    settings = settings or Settings()
    configure_logging(settings, TraceIdFilter())
    tracing = tracer_provider(span_exporter or otlp_exporter())
{%- else %}

def create_app(
    settings: Settings | None = None, *, http_transport: httpx2.AsyncBaseTransport | None = None
) -> FastAPI:
    """Build the service. `http_transport` replaces the network under the shared HTTP client."""
    settings = settings or Settings()
    configure_logging(settings)
{%- endif %}
{%- if cookiecutter.metrics %}
    metrics = Metrics()
{%- endif %}

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        # Each resource is opened once here and closed, in reverse order, on shutdown.
        async with AsyncExitStack() as stack:
{%- if cookiecutter.tracing %}
            if tracing is not None:
                stack.push_async_callback(shutdown, tracing)
{%- endif %}
            loop_lag = stack.enter_context(
                LoopLagMonitor(settings.loop_lag_interval, settings.loop_lag_threshold)
            )
{%- if cookiecutter.metrics %}
            stack.enter_context(metrics.collecting(LoopLagCollector(loop_lag)))
{%- endif %}
{%- if cookiecutter.database != "none" %}
            database = await open_database(settings)
            stack.push_async_callback(close_database, database)
{%- if cookiecutter.metrics %}
            stack.enter_context(metrics.collecting(PoolCollector(database.engine)))
{%- endif %}
{%- if cookiecutter.tracing %}
            if tracing is not None:
                stack.enter_context(tracing_database(database.engine, tracing))
{%- endif %}
{%- endif %}
            transport = http_transport or await open_transport(settings)
{%- if cookiecutter.metrics %}
            http_client = await open_http_client(settings, MeteredTransport(transport, metrics))
{%- else %}
            http_client = await open_http_client(settings, transport)
{%- endif %}
            stack.push_async_callback(close_http_client, http_client)
{%- if cookiecutter.tracing %}
            if tracing is not None:
                trace_http_client(http_client, tracing)
{%- endif %}
            app.state.resources = Resources(
                settings=settings,
{%- if cookiecutter.database != "none" %}
                database=database,
{%- endif %}
                http_client=http_client,
                loop_lag=loop_lag,
            )
            yield

    observers: list[RequestObserver] = [AccessLog()] if settings.access_log else []
{%- if cookiecutter.metrics %}
    observers.append(RequestMetrics(metrics))
{%- endif %}
    app = FastAPI(
        title="{{ cookiecutter.project_name }}",
        description="{{ cookiecutter.description }}",
        version="0.1.0",
        lifespan=lifespan,
        # Without the schema FastAPI serves no docs pages either: all three answer 404.
        openapi_url="/openapi.json" if settings.api_docs else None,
        responses=COMMON_RESPONSES,
{%- if cookiecutter.database != "none" %}
        exception_handlers={**EXCEPTION_HANDLERS, **DATABASE_EXCEPTION_HANDLERS},
{%- else %}
        exception_handlers=EXCEPTION_HANDLERS,
{%- endif %}
        # Pure ASGI only, outermost first.
        middleware=[
            Middleware(RequestIdMiddleware),
            Middleware(ObserveRequestsMiddleware, observers=observers),
            *edge_middleware(settings),
        ],
{%- if cookiecutter.tracing %}
        # FastAPI's own OpenTelemetry spans (route template, dependencies, endpoint), sent to
        # this app's provider; with none, FastAPI falls back to the global one, unset: no spans.
        telemetry={"tracer_provider": tracing},
{%- endif %}
    )
    api = APIRouter(prefix="/api/v1")
{%- if cookiecutter.database != "none" %}
    api.include_router(items_router)
{%- endif %}
    api.include_router(quotes_router)
    app.include_router(health_router)
    app.include_router(api)
{%- if cookiecutter.metrics %}
    app.add_route("/metrics", metrics.endpoint, include_in_schema=False)
{%- endif %}
    return app
