"""What the lifespan opens once and every request borrows."""

from dataclasses import dataclass
from typing import Annotated

import httpx2
from fastapi import Depends, Request

{% if cookiecutter.database != "none" -%}
from {{ cookiecutter.package_name }}.infra.database import Database
{% endif -%}
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


def resources_of(request: Request) -> Resources:
    resources: Resources = request.app.state.resources
    return resources


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
