"""What the lifespan opens once and every request borrows."""

from contextlib import AsyncExitStack
from dataclasses import dataclass
from typing import Annotated

import httpx2
from fastapi import Depends, Request

from {{ cookiecutter.package_name }}.extension import Extensions
{%- if cookiecutter.database != "none" %}
from {{ cookiecutter.package_name }}.infra.database import Database, close_database, open_database
{%- endif %}
from {{ cookiecutter.package_name }}.infra.http import close_http_client, open_http_client
from {{ cookiecutter.package_name }}.loop_lag import LoopLagMonitor
from {{ cookiecutter.package_name }}.settings import Settings


@dataclass(frozen=True, slots=True)
class Resources:
    settings: Settings
    {%- if cookiecutter.database != "none" %}
    database: Database
    {%- endif %}
    http_client: httpx2.AsyncClient
    loop_lag: LoopLagMonitor
    extensions: Extensions


async def open_resources(
    stack: AsyncExitStack,
    settings: Settings,
    extensions: Extensions,
    network: httpx2.AsyncBaseTransport,
) -> Resources:
    """Open the service's own resources; each is closed by `stack`, in reverse order."""
    loop_lag = stack.enter_context(
        LoopLagMonitor(settings.loop_lag_interval, settings.loop_lag_threshold)
    )
{%- if cookiecutter.database != "none" %}
    database = await open_database(settings)
    stack.push_async_callback(close_database, database)
{%- endif %}
    # Closed here as well as through the client: a layer that does not pass the close on
    # must not leave the pool's connections open. Closing twice is harmless.
    stack.push_async_callback(network.aclose)
    http_client = await open_http_client(settings, extensions.wrap_transport(network))
    stack.push_async_callback(close_http_client, http_client)
    return Resources(
        settings=settings,
{%- if cookiecutter.database != "none" %}
        database=database,
{%- endif %}
        http_client=http_client,
        loop_lag=loop_lag,
        extensions=extensions,
    )


def resources_of(request: Request) -> Resources:
    resources: Resources = request.app.state.resources
    return resources


async def get_resources(request: Request) -> Resources:
    return resources_of(request)


ResourcesDep = Annotated[Resources, Depends(get_resources)]


# Each dependency reads its resource straight from the app: one call per request, where a
# dependency on a shared `Resources` dependency would cost FastAPI a second level to solve.
async def get_settings(request: Request) -> Settings:
    return resources_of(request).settings


async def get_http_client(request: Request) -> httpx2.AsyncClient:
    return resources_of(request).http_client


SettingsDep = Annotated[Settings, Depends(get_settings)]
HttpClientDep = Annotated[httpx2.AsyncClient, Depends(get_http_client)]
{%- if cookiecutter.database != "none" %}


async def get_database(request: Request) -> Database:
    """The database, not a session: each service function opens the connection or session its
    unit of work needs, and FastAPI spares the cost of a `yield` dependency around every request."""
    return resources_of(request).database


DatabaseDep = Annotated[Database, Depends(get_database)]
{%- endif %}
