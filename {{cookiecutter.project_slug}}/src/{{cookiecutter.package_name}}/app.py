"""The application factory and the lifespan that owns every I/O resource."""

from collections.abc import AsyncIterator, Sequence
from contextlib import AsyncExitStack, asynccontextmanager

import httpx2
from fastapi import FastAPI
from starlette.middleware import Middleware

{% if cookiecutter.database != "none" -%}
from {{ cookiecutter.package_name }}.database_errors import DATABASE_EXCEPTION_HANDLERS
{% endif -%}
from {{ cookiecutter.package_name }}.errors import COMMON_RESPONSES, EXCEPTION_HANDLERS
from {{ cookiecutter.package_name }}.extension import Extension
from {{ cookiecutter.package_name }}.features import default_extensions
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
from {{ cookiecutter.package_name }}.observability.logging_config import configure_logging
from {{ cookiecutter.package_name }}.observability.request_observer import (
    ObserveRequestsMiddleware,
    RequestObserver,
)
from {{ cookiecutter.package_name }}.quotes.router import router as quotes_router
from {{ cookiecutter.package_name }}.request_id import RequestIdMiddleware
from {{ cookiecutter.package_name }}.resources import Resources
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
    if extensions is None:
        extensions = default_extensions()
    configure_logging(settings, *[f for extension in extensions for f in extension.log_filters()])

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        # Each resource is opened once here and closed, in reverse order, on shutdown.
        async with AsyncExitStack() as stack:
            for extension in extensions:
                extension.start(stack)
            loop_lag = stack.enter_context(
                LoopLagMonitor(settings.loop_lag_interval, settings.loop_lag_threshold)
            )
            for extension in extensions:
                extension.watch_loop(stack, loop_lag)
{%- if cookiecutter.database != "none" %}
            database = await open_database(settings)
            stack.push_async_callback(close_database, database)
            for extension in extensions:
                extension.watch_database(stack, database)
{%- endif %}
            network = http_transport or await open_transport(settings)
            # Closed here as well as through the client: a layer that does not pass the close on
            # must not leave the pool's connections open. Closing twice is harmless.
            stack.push_async_callback(network.aclose)
            transport = network
            for extension in extensions:
                transport = extension.wrap_transport(transport)
            http_client = await open_http_client(settings, transport)
            stack.push_async_callback(close_http_client, http_client)
            for extension in extensions:
                extension.watch_http_client(stack, http_client)
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
    observers += [o for extension in extensions for o in extension.request_observers()]
    options = {k: v for extension in extensions for k, v in extension.app_options().items()}
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
        **options,
    )
    app.include_router(health_router)
{%- if cookiecutter.database != "none" %}
    app.include_router(items_router)
{%- endif %}
    app.include_router(quotes_router)
    for extension in extensions:
        extension.add_routes(app)
    return app
