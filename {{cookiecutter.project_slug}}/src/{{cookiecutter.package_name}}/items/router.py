"""HTTP routes for items."""

{% if cookiecutter.cache == "redis" -%}
from functools import partial
{% endif -%}
from typing import Annotated

from fastapi import APIRouter, Path, Query, status

{% if cookiecutter.auth == "jwt" -%}
from {{ cookiecutter.package_name }}.auth.dependencies import (
    FORBIDDEN,
    UNAUTHORIZED,
    requires_scopes,
    requires_token,
)
{% endif -%}
from {{ cookiecutter.package_name }}.errors import Responses, problem_response
from {{ cookiecutter.package_name }}.items import service
{%- if cookiecutter.cache == "redis" %}
from {{ cookiecutter.package_name }}.items.cache import ItemCacheDep
{%- endif %}
from {{ cookiecutter.package_name }}.items.schemas import (
    MAX_ID,
    MAX_PAGE_SIZE,
    ItemCreate,
    ItemPage,
    ItemRead,
    ItemUpdate,
)
{%- if cookiecutter.jobs == "taskiq" %}
from {{ cookiecutter.package_name }}.jobs.extension import JobsDep
{%- endif %}
from {{ cookiecutter.package_name }}.resources import SessionDep

UNAVAILABLE: Responses = {503: problem_response("The database is unavailable")}
NOT_FOUND: Responses = {404: problem_response("No item has this id")}
CONFLICT: Responses = {409: problem_response("Another item already has this name")}
{%- if cookiecutter.auth == "jwt" %}

# Any valid token may read; writing also needs the scope.
WRITE = [requires_scopes("items:write")]

router = APIRouter(
    prefix="/items",
    tags=["items"],
    responses={**UNAVAILABLE, **UNAUTHORIZED},
    dependencies=[requires_token()],
)
{%- else %}

router = APIRouter(prefix="/items", tags=["items"], responses=UNAVAILABLE)
{%- endif %}

ItemId = Annotated[int, Path(ge=1, le=MAX_ID)]
{%- if cookiecutter.auth == "jwt" %}


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    responses={**CONFLICT, **FORBIDDEN},
    dependencies=WRITE,
)
{%- else %}


@router.post("", status_code=status.HTTP_201_CREATED, responses=CONFLICT)
{%- endif %}
{%- if cookiecutter.jobs == "taskiq" %}
async def create_item(session: SessionDep, jobs: JobsDep, data: ItemCreate) -> ItemRead:
    item = ItemRead.model_validate(await service.create_item(session, data))
    await jobs.enrich_later(item.id)  # after the commit: the worker must find the item
    return item
{%- else %}
async def create_item(session: SessionDep, data: ItemCreate) -> ItemRead:
    return ItemRead.model_validate(await service.create_item(session, data))
{%- endif %}


@router.get("")
async def list_items(
    session: SessionDep,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE_SIZE)] = 20,
    offset: Annotated[int, Query(ge=0, le=MAX_ID)] = 0,
) -> ItemPage:
    items, total = await service.list_items(session, limit=limit, offset=offset)
    return ItemPage(
        items=[ItemRead.model_validate(item) for item in items],
        total=total,
        limit=limit,
        offset=offset,
    )


@router.get("/{item_id}", responses=NOT_FOUND)
{%- if cookiecutter.cache == "redis" %}
async def get_item(session: SessionDep, cache: ItemCacheDep, item_id: ItemId) -> ItemRead:
    return await cache.read(item_id, partial(service.get_item, session, item_id))
{%- else %}
async def get_item(session: SessionDep, item_id: ItemId) -> ItemRead:
    return ItemRead.model_validate(await service.get_item(session, item_id))
{%- endif %}


@router.patch(
    "/{item_id}",
    responses={**NOT_FOUND, **CONFLICT{% if cookiecutter.auth == "jwt" %}, **FORBIDDEN{% endif %}},{% if cookiecutter.auth == "jwt" %}
    dependencies=WRITE,{% endif %}
)
{%- if cookiecutter.cache == "redis" %}
async def update_item(
    session: SessionDep, cache: ItemCacheDep, item_id: ItemId, data: ItemUpdate
) -> ItemRead:
    item = ItemRead.model_validate(await service.update_item(session, item_id, data))
    await cache.forget(item_id)  # after the commit: no read can then cache the old row
    return item
{%- else %}
async def update_item(session: SessionDep, item_id: ItemId, data: ItemUpdate) -> ItemRead:
    return ItemRead.model_validate(await service.update_item(session, item_id, data))
{%- endif %}


@router.delete(
    "/{item_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    responses={**NOT_FOUND{% if cookiecutter.auth == "jwt" %}, **FORBIDDEN{% endif %}},{% if cookiecutter.auth == "jwt" %}
    dependencies=WRITE,{% endif %}
)
{%- if cookiecutter.cache == "redis" %}
async def delete_item(session: SessionDep, cache: ItemCacheDep, item_id: ItemId) -> None:
    await service.delete_item(session, item_id)
    await cache.forget(item_id)
{%- else %}
async def delete_item(session: SessionDep, item_id: ItemId) -> None:
    await service.delete_item(session, item_id)
{%- endif %}
