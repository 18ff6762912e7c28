"""HTTP routes for items."""

from typing import Annotated

from fastapi import APIRouter, Path, Query, status

from {{ cookiecutter.package_name }}.errors import Responses, problem_response
from {{ cookiecutter.package_name }}.items import service
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

router = APIRouter(prefix="/items", tags=["items"], responses=UNAVAILABLE)

ItemId = Annotated[int, Path(ge=1, le=MAX_ID)]


@router.post("", status_code=status.HTTP_201_CREATED, responses=CONFLICT)
{%- if cookiecutter.jobs == "taskiq" %}
async def create_item(session: SessionDep, jobs: JobsDep, data: ItemCreate) -> ItemRead:
    item = await service.create_item(session, data)
    await jobs.enrich_later(item.id)  # after the commit: the worker must find the item
    return ItemRead.model_validate(item)
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
async def get_item(session: SessionDep, item_id: ItemId) -> ItemRead:
    return ItemRead.model_validate(await service.get_item(session, item_id))


@router.patch("/{item_id}", responses={**NOT_FOUND, **CONFLICT})
async def update_item(session: SessionDep, item_id: ItemId, data: ItemUpdate) -> ItemRead:
    return ItemRead.model_validate(await service.update_item(session, item_id, data))


@router.delete("/{item_id}", status_code=status.HTTP_204_NO_CONTENT, responses=NOT_FOUND)
async def delete_item(session: SessionDep, item_id: ItemId) -> None:
    await service.delete_item(session, item_id)
