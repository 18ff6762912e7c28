"""Item use cases. Each is one unit of work: a read, or a transaction it opens and commits;
each applies the rules (an item must exist, names are unique) and turns what the database
reports into the errors clients see."""

from sqlalchemy.exc import IntegrityError

from {{ cookiecutter.package_name }}.errors import ConflictError, NotFoundError
from {{ cookiecutter.package_name }}.infra.database import Database
from {{ cookiecutter.package_name }}.items import repository
from {{ cookiecutter.package_name }}.items.models import Item
from {{ cookiecutter.package_name }}.items.schemas import (
    MAX_ID,
    ItemCreate,
    ItemPage,
    ItemRead,
    ItemUpdate,
)
from {{ cookiecutter.package_name }}.pagination import decode_cursor, encode_cursor


def not_found(item_id: int) -> NotFoundError:
    return NotFoundError(f"Item {item_id} does not exist.")


def name_taken(name: str | None) -> ConflictError:
    """The unique index refused the name: also when a request racing this one took it first."""
    return ConflictError(f"An item named {name!r} already exists.")


async def create_item(database: Database, data: ItemCreate) -> ItemRead:
    item = Item(**data.model_dump())
    try:
        async with database.sessions.begin() as session:
            session.add(item)
    except IntegrityError as error:
        raise name_taken(data.name) from error
    return ItemRead.model_validate(item)


async def get_item(database: Database, item_id: int) -> ItemRead:
    row = await repository.get(database, item_id)
    if row is None:
        raise not_found(item_id)
    return ItemRead.model_validate(row)


async def list_items(
    database: Database, *, limit: int, cursor: str | None, include_total: bool
) -> ItemPage:
    """The page after `cursor`, and the total when asked for: each a query of its own."""
    # No id lies beyond the integer column's range: a cursor past it gives an empty page.
    after = min(decode_cursor(cursor), MAX_ID) if cursor else 0
    # One row more than the page shows whether there is a next page.
    rows = await repository.page(database, after=after, limit=limit + 1)
    next_cursor = encode_cursor(rows[limit - 1]["id"]) if len(rows) > limit else None
    total = await repository.count(database) if include_total else None
    return ItemPage.model_validate(
        {"items": rows[:limit], "next_cursor": next_cursor, "total": total}
    )


async def update_item(database: Database, item_id: int, data: ItemUpdate) -> ItemRead:
    try:
        async with database.sessions.begin() as session:
            item = await session.get(Item, item_id)
            if item is None:
                raise not_found(item_id)
            for field, value in data.model_dump(exclude_unset=True).items():
                setattr(item, field, value)
    except IntegrityError as error:
        raise name_taken(data.name) from error
    return ItemRead.model_validate(item)


async def delete_item(database: Database, item_id: int) -> None:
    async with database.sessions.begin() as session:
        item = await session.get(Item, item_id)
        if item is None:
            raise not_found(item_id)
        await session.delete(item)
