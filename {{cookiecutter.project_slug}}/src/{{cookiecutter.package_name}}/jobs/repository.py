"""The jobs' queries on the items table. Part of the await-only I/O layer."""

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from {{ cookiecutter.package_name }}.items.models import Item


async def set_quote(session: AsyncSession, item_id: int, quote: str) -> bool:
    """Store the quote unless the item has one already or is gone: running this twice leaves
    what running it once did. Whether it stored it. Through the ORM, with the row locked, so
    the change is{% if cookiecutter.broker != "none" %} an `items.updated` event and{% endif %} stamped like any other."""
    item = await session.get(Item, item_id, with_for_update=True)
    if item is None or item.quote is not None:
        await session.rollback()
        return False
    item.quote = quote
    await session.commit()
    return True


async def ids_without_quote(
    session: AsyncSession, *, created_before: datetime, limit: int
) -> Sequence[int]:
    rows = await session.scalars(
        select(Item.id)
        .where(Item.quote.is_(None), Item.created_at < created_before)
        .order_by(Item.id)
        .limit(limit)
    )
    return rows.all()
