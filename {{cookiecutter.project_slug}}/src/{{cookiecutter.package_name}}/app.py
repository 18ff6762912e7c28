"""The application factory and the lifespan that owns every I/O resource."""

from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager

import httpx
from fastapi import APIRouter, FastAPI
from starlette.middleware import Middleware

{% if cookiecutter.database != "none" -%}
from {{ cookiecutter.package_name }}.database_errors import DATABASE_EXCEPTION_HANDLERS
{% endif -%}
from {{ cookiecutter.package_name }}.errors import COMMON_RESPONSES, EXCEPTION_HANDLERS
from {{ cookiecutter.package_name }}.health.router import router as health_router
{%- if cookiecutter.database != "none" %}
from {{ cookiecutter.package_name }}.infra.database import close_database, open_database
{%- endif %}
from {{ cookiecutter.package_name }}.infra.http import close_http_client, open_http_client
{%- if cookiecutter.database != "none" %}
from {{ cookiecutter.package_name }}.items.router import router as items_router
{%- endif %}
from {{ cookiecutter.package_name }}.loop_lag import LoopLagMonitor
from {{ cookiecutter.package_name }}.middleware.stack import edge_middleware
from {{ cookiecutter.package_name }}.quotes.router import router as quotes_router
from {{ cookiecutter.package_name }}.request_id import RequestIdMiddleware
from {{ cookiecutter.package_name }}.resources import Resources
from {{ cookiecutter.package_name }}.settings import Settings


def create_app(
    settings: Settings | None = None, *, http_transport: httpx.AsyncBaseTransport | None = None
) -> FastAPI:
    """Build the service. `http_transport` replaces the network under the shared HTTP client."""
    settings = settings or Settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        # Each resource is opened once here and closed, in reverse order, on shutdown.
        async with AsyncExitStack() as stack:
            loop_lag = stack.enter_context(
                LoopLagMonitor(settings.loop_lag_interval, settings.loop_lag_threshold)
            )
{%- if cookiecutter.database != "none" %}
            database = await open_database(settings)
            stack.push_async_callback(close_database, database)
{%- endif %}
            http_client = await open_http_client(settings, http_transport)
            stack.push_async_callback(close_http_client, http_client)
            app.state.resources = Resources(
                settings=settings,
{%- if cookiecutter.database != "none" %}
                database=database,
{%- endif %}
                http_client=http_client,
                loop_lag=loop_lag,
            )
            yield

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
        middleware=[Middleware(RequestIdMiddleware), *edge_middleware(settings)],
    )
    api = APIRouter(prefix="/api/v1")
{%- if cookiecutter.database != "none" %}
    api.include_router(items_router)
{%- endif %}
    api.include_router(quotes_router)
    app.include_router(health_router)
    app.include_router(api)
    return app
