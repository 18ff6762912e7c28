"""Item use cases: the rules between the HTTP layer and storage."""

from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncSession

from {{ cookiecutter.package_name }}.errors import NotFoundError
from {{ cookiecutter.package_name }}.items import repository
from {{ cookiecutter.package_name }}.items.models import Item
from {{ cookiecutter.package_name }}.items.schemas import ItemCreate, ItemUpdate


async def create_item(session: AsyncSession, data: ItemCreate) -> Item:
    return await repository.save(session, Item(**data.model_dump()))


async def get_item(session: AsyncSession, item_id: int) -> Item:
    item = await repository.get(session, item_id)
    if item is None:
        raise NotFoundError(f"Item {item_id} does not exist.")
    return item


async def list_items(
    session: AsyncSession, *, limit: int, offset: int
) -> tuple[Sequence[Item], int]:
    return await repository.list_page(session, limit=limit, offset=offset)


async def update_item(session: AsyncSession, item_id: int, data: ItemUpdate) -> Item:
    item = await get_item(session, item_id)
    for field, value in data.model_dump(exclude_unset=True).items():
        setattr(item, field, value)
    return await repository.save(session, item)


async def delete_item(session: AsyncSession, item_id: int) -> None:
    await repository.delete(session, await get_item(session, item_id))
