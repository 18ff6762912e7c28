"""What the lifespan opens once and every request borrows."""

{% if cookiecutter.database != "none" -%}
from collections.abc import AsyncIterator
{% endif -%}
from dataclasses import dataclass
from typing import Annotated

import httpx2
from fastapi import Depends, Request
{%- if cookiecutter.database != "none" %}
from sqlalchemy.ext.asyncio import AsyncSession
{%- endif %}

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


async def get_resources(request: Request) -> Resources:
    resources: Resources = request.app.state.resources
    return resources


ResourcesDep = Annotated[Resources, Depends(get_resources)]


async def get_settings(resources: ResourcesDep) -> Settings:
    return resources.settings


async def get_http_client(resources: ResourcesDep) -> httpx2.AsyncClient:
    return resources.http_client


SettingsDep = Annotated[Settings, Depends(get_settings)]
HttpClientDep = Annotated[httpx2.AsyncClient, Depends(get_http_client)]
{%- if cookiecutter.database != "none" %}


async def get_database(resources: ResourcesDep) -> Database:
    return resources.database


async def get_session(resources: ResourcesDep) -> AsyncIterator[AsyncSession]:
    async with resources.database.sessions() as session:
        yield session


DatabaseDep = Annotated[Database, Depends(get_database)]
SessionDep = Annotated[AsyncSession, Depends(get_session)]
{%- endif %}
