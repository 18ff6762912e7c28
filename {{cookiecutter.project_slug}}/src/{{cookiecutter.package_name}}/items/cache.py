"""Item reads through the Redis cache: the router reads an item here and tells it of each
change, after the change has committed. The list is not cached: a page changes with every
create and delete anywhere in it, and invalidating every page an item may appear on costs more
than the reads it would save."""

from collections.abc import Awaitable, Callable
from typing import Annotated

from fastapi import Depends, Request

from {{ cookiecutter.package_name }}.cache.aside import Cache
from {{ cookiecutter.package_name }}.cache.extension import CacheExtension
from {{ cookiecutter.package_name }}.items.schemas import ItemRead
from {{ cookiecutter.package_name }}.resources import resources_of


class ItemCache:
    """Items by id, cached as their `ItemRead` JSON: the answer, not the database row."""

    def __init__(self, cache: Cache) -> None:
        self.cache = cache

    async def read(self, item_id: int, load: Callable[[], Awaitable[ItemRead]]) -> ItemRead:
        return await self.cache.read(f"items:{item_id}", ItemRead, load)

    async def forget(self, item_id: int) -> None:
        await self.cache.invalidate(f"items:{item_id}")


async def get_item_cache(request: Request) -> ItemCache:
    return ItemCache(resources_of(request).extensions.get(CacheExtension).cache)


ItemCacheDep = Annotated[ItemCache, Depends(get_item_cache)]
