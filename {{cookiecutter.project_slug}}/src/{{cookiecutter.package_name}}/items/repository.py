"""Item storage. Part of the await-only I/O layer: every public function is `async def`."""

from collections.abc import Sequence

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from {{ cookiecutter.package_name }}.errors import ConflictError
from {{ cookiecutter.package_name }}.items.models import Item


async def get(session: AsyncSession, item_id: int) -> Item | None:
    return await session.get(Item, item_id)


async def list_page(
    session: AsyncSession, *, limit: int, offset: int
) -> tuple[Sequence[Item], int]:
    total = await session.scalar(select(func.count()).select_from(Item))
    rows = await session.scalars(select(Item).order_by(Item.id).limit(limit).offset(offset))
    return rows.all(), total or 0


async def save(session: AsyncSession, item: Item) -> Item:
    """Insert or update `item`; a duplicate name is a conflict, also when two requests race."""
    name = item.name  # read now: a rollback expires the object, and reloading it is I/O
    session.add(item)
    try:
        await session.commit()
    except IntegrityError as exc:
        await session.rollback()
        raise ConflictError(f"An item named {name!r} already exists.") from exc
    return item


async def delete(session: AsyncSession, item: Item) -> None:
    await session.delete(item)
    await session.commit()
