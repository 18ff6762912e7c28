"""The application factory and the lifespan that owns every I/O resource."""

from collections.abc import AsyncIterator, Sequence
from contextlib import AsyncExitStack, asynccontextmanager

import httpx2
from fastapi import FastAPI

from {{ cookiecutter.package_name }}.errors import COMMON_RESPONSES, EXCEPTION_HANDLERS
{%- if cookiecutter.database != "none" %}
from {{ cookiecutter.package_name }}.errors.database import DATABASE_EXCEPTION_HANDLERS
{%- endif %}
from {{ cookiecutter.package_name }}.extension import Extension, Extensions
from {{ cookiecutter.package_name }}.features import default_extensions
from {{ cookiecutter.package_name }}.health.router import router as health_router
from {{ cookiecutter.package_name }}.infra.http import open_transport
{%- if cookiecutter.database != "none" %}
from {{ cookiecutter.package_name }}.items.router import router as items_router
{%- endif %}
from {{ cookiecutter.package_name }}.middleware.request_observer import RequestObserver
from {{ cookiecutter.package_name }}.middleware.stack import service_middleware
from {{ cookiecutter.package_name }}.observability.access_log import AccessLog
from {{ cookiecutter.package_name }}.observability.logging_config import configure_logging
from {{ cookiecutter.package_name }}.quotes.router import router as quotes_router
from {{ cookiecutter.package_name }}.resources import open_resources
from {{ cookiecutter.package_name }}.settings import Settings


def create_app(
    settings: Settings | None = None,
    *,
    http_transport: httpx2.AsyncBaseTransport | None = None,
    extensions: Sequence[Extension] | None = None,
) -> FastAPI:
    """Build the service. `http_transport` replaces the network under the shared HTTP client;
    `extensions` replace the optional parts features.py lists."""
    settings = settings or Settings()
    parts = Extensions(default_extensions() if extensions is None else extensions)
    configure_logging(settings, *parts.log_filters())

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        # Each resource is opened once here and closed, in reverse order, on shutdown.
        async with AsyncExitStack() as stack:
            network = http_transport or await open_transport(settings)
            resources = await open_resources(stack, settings, parts, network)
            await stack.enter_async_context(parts.lifespan(resources))
            app.state.resources = resources
            yield

    observers: list[RequestObserver] = [AccessLog()] if settings.access_log else []
    observers += parts.request_observers()
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
        middleware=service_middleware(settings, observers, parts.middleware()),
        **parts.app_options(),
    )
    app.include_router(health_router)
{%- if cookiecutter.database != "none" %}
    app.include_router(items_router)
{%- endif %}
    app.include_router(quotes_router)
    for router in parts.routers():
        app.include_router(router)
    return app
