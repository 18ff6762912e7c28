"""The queries items are read with. Part of the await-only I/O layer: every function is async.

Each statement is built once, with bound parameters: a request binds its values to a statement
that SQLAlchemy compiled and cached at its first use, instead of building and hashing a new one.
They select the columns a client sees and hand them over as plain dicts, which pydantic turns
into `ItemRead` several times faster than it reads a row's attributes; no ORM object is built.
Writes go through the ORM session in service.py.
"""

from typing import Any

from sqlalchemy import Result, bindparam, func, select

from {{ cookiecutter.package_name }}.infra.database import Database
from {{ cookiecutter.package_name }}.items.models import Item

COLUMNS = (Item.id, Item.name, Item.description, {% if cookiecutter.jobs == "taskiq" %}Item.quote, {% endif %}Item.created_at, Item.updated_at)
BY_ID = select(*COLUMNS).where(Item.id == bindparam("item_id"))
PAGE = (
    select(*COLUMNS).where(Item.id > bindparam("after")).order_by(Item.id).limit(bindparam("limit"))
)
COUNT = select(func.count()).select_from(Item)


def _as_dicts(result: Result[Any]) -> list[dict[str, Any]]:
    keys = tuple(result.keys())
    return [dict(zip(keys, row, strict=True)) for row in result]


async def get(database: Database, item_id: int) -> dict[str, Any] | None:
    found = _as_dicts(await database.read(BY_ID, {"item_id": item_id}))
    return found[0] if found else None


async def page(database: Database, *, after: int, limit: int) -> list[dict[str, Any]]:
    """Up to `limit` items with an id above `after`, in id order."""
    return _as_dicts(await database.read(PAGE, {"after": after, "limit": limit}))


async def count(database: Database) -> int:
    total: int = (await database.read(COUNT)).scalar_one()
    return total
