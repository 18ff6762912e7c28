"""HTTP routes for items."""

{% if cookiecutter.cache == "redis" -%}
from functools import partial
{% endif -%}
from typing import Annotated

from fastapi import APIRouter, Path, Query, Request, Response, status

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
from {{ cookiecutter.package_name }}.pagination import NEXT_LINK, Cursor, IncludeTotal, next_link
from {{ cookiecutter.package_name }}.resources import DatabaseDep

UNAVAILABLE: Responses = {503: problem_response("The database is unavailable")}
NOT_FOUND: Responses = {404: problem_response("No item has this id")}
CONFLICT: Responses = {409: problem_response("Another item already has this name")}
{%- if cookiecutter.auth == "jwt" %}

# Any valid token may read; writing also needs the scope.
WRITE = [requires_scopes("items:write")]

router = APIRouter(
    prefix="/api/v1/items",
    tags=["items"],
    responses={**UNAVAILABLE, **UNAUTHORIZED},
    dependencies=[requires_token()],
)
{%- else %}

router = APIRouter(prefix="/api/v1/items", tags=["items"], responses=UNAVAILABLE)
{%- endif %}

ItemId = Annotated[int, Path(ge=1, le=MAX_ID)]
PageSize = Annotated[int, Query(ge=1, le=MAX_PAGE_SIZE)]
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
async def create_item(database: DatabaseDep, jobs: JobsDep, data: ItemCreate) -> ItemRead:
    item = await service.create_item(database, data)
    await jobs.enrich_later(item.id)  # after the commit: the worker must find the item
    return item
{%- else %}
async def create_item(database: DatabaseDep, data: ItemCreate) -> ItemRead:
    return await service.create_item(database, data)
{%- endif %}


@router.get("", responses=NEXT_LINK)
async def list_items(
    database: DatabaseDep,
    request: Request,
    response: Response,
    limit: PageSize = 20,
    cursor: Cursor = None,
    include_total: IncludeTotal = False,
) -> ItemPage:
    page = await service.list_items(
        database, limit=limit, cursor=cursor, include_total=include_total
    )
    if page.next_cursor is not None:
        response.headers["Link"] = next_link(request, page.next_cursor)
    return page


@router.get("/{item_id}", responses=NOT_FOUND)
{%- if cookiecutter.cache == "redis" %}
async def get_item(database: DatabaseDep, cache: ItemCacheDep, item_id: ItemId) -> ItemRead:
    return await cache.read(item_id, partial(service.get_item, database, item_id))
{%- else %}
async def get_item(database: DatabaseDep, item_id: ItemId) -> ItemRead:
    return await service.get_item(database, item_id)
{%- endif %}


@router.patch(
    "/{item_id}",
    responses={**NOT_FOUND, **CONFLICT{% if cookiecutter.auth == "jwt" %}, **FORBIDDEN{% endif %}},{% if cookiecutter.auth == "jwt" %}
    dependencies=WRITE,{% endif %}
)
{%- if cookiecutter.cache == "redis" %}
async def update_item(
    database: DatabaseDep, cache: ItemCacheDep, item_id: ItemId, data: ItemUpdate
) -> ItemRead:
    item = await service.update_item(database, item_id, data)
    await cache.forget(item_id)  # after the commit: no read can then cache the old row
    return item
{%- else %}
async def update_item(database: DatabaseDep, item_id: ItemId, data: ItemUpdate) -> ItemRead:
    return await service.update_item(database, item_id, data)
{%- endif %}


@router.delete(
    "/{item_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    responses={**NOT_FOUND{% if cookiecutter.auth == "jwt" %}, **FORBIDDEN{% endif %}},{% if cookiecutter.auth == "jwt" %}
    dependencies=WRITE,{% endif %}
)
{%- if cookiecutter.cache == "redis" %}
async def delete_item(database: DatabaseDep, cache: ItemCacheDep, item_id: ItemId) -> None:
    await service.delete_item(database, item_id)
    await cache.forget(item_id)
{%- else %}
async def delete_item(database: DatabaseDep, item_id: ItemId) -> None:
    await service.delete_item(database, item_id)
{%- endif %}
