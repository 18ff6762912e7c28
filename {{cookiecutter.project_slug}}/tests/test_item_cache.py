"""Item reads through Redis, on the real server: one database read per item and TTL, never an
old value after a change, one load for a crowd of concurrent misses."""

import asyncio
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import httpx2
import pytest
from fastapi import FastAPI
from pydantic import BaseModel
from redis.asyncio import Redis
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine

from {{ cookiecutter.package_name }}.app import create_app
{%- if cookiecutter.auth == "jwt" %}
from {{ cookiecutter.package_name }}.auth.extension import AuthExtension
{%- endif %}
from {{ cookiecutter.package_name }}.cache.aside import Cache
from {{ cookiecutter.package_name }}.cache.events import CacheEvents, Lookup
from {{ cookiecutter.package_name }}.cache.extension import CacheExtension
from {{ cookiecutter.package_name }}.items.cache import ItemCache, get_item_cache
from {{ cookiecutter.package_name }}.items.schemas import ItemRead
{%- if cookiecutter.jobs == "taskiq" %}
from {{ cookiecutter.package_name }}.jobs.extension import JobsExtension
{%- endif %}
from {{ cookiecutter.package_name }}.settings import Settings
from tests.asgi import serving
from tests.fakes import FakeUpstream

ITEMS = "/api/v1/items"


class Recorded(CacheEvents):
    def __init__(self) -> None:
        self.lookups: list[Lookup] = []
        self.looked_up = asyncio.Event()

    def lookup(self, result: Lookup) -> None:
        self.lookups.append(result)
        self.looked_up.set()


class ItemReads:
    """Counts the statements that read one item by id, as the database receives them."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.count = 0
        event.listen(engine.sync_engine, "before_cursor_execute", self._seen)

    def _seen(self, *args: Any) -> None:
        statement: str = args[2]
        if statement.startswith("SELECT") and "WHERE items.id" in statement:
            self.count += 1


@dataclass
class Service:
    client: httpx2.AsyncClient
    reads: ItemReads
    cache: Cache
    events: Recorded


@pytest.fixture
def events() -> Recorded:
    return Recorded()


@pytest.fixture
def app(settings: Settings, upstream: FakeUpstream, events: Recorded) -> FastAPI:
    # The cache alone, observed by `events`{% if cookiecutter.auth == "jwt" %}; the items routes also need the token check{% endif %}{% if cookiecutter.jobs == "taskiq" %}{% if cookiecutter.auth == "jwt" %} and{% else %}; creating an item also needs{% endif %} the
    # job queue (a held one: tests/conftest.py){% endif %}.
    extensions = [{% if cookiecutter.auth == "jwt" %}AuthExtension(), {% endif %}CacheExtension(events){% if cookiecutter.jobs == "taskiq" %}, JobsExtension(){% endif %}]
    return create_app(
        settings, http_transport=httpx2.MockTransport(upstream), extensions=extensions
    )


@pytest.fixture
async def service(app: FastAPI, events: Recorded) -> AsyncIterator[Service]:
    async with serving(app) as client:
        resources = app.state.resources
        reads = ItemReads(resources.database.engine)
        yield Service(client, reads, resources.extensions.get(CacheExtension).cache, events)


async def create(service: Service, name: str) -> str:
    response = await service.client.post(ITEMS, json={"name": name, "description": "d"})
    assert response.status_code == 201
    return f"{ITEMS}/{response.json()['id']}"


async def test_repeated_reads_read_the_database_once(
    service: Service, settings: Settings, redis: Redis
) -> None:
    item = await create(service, "gear")
    service.reads.count = 0
    answers = [await service.client.get(item) for _ in range(3)]
    assert {response.status_code for response in answers} == {200}
    assert answers[0].json() == answers[1].json() == answers[2].json()
    assert service.reads.count == 1
    assert service.events.lookups == ["miss", "hit", "hit"]
    # Stored as the answer's JSON, and only for the TTL.
    value_key, _ = service.cache.keys(f"items:{answers[0].json()['id']}")
    assert value_key.startswith(settings.redis_key_prefix)
    stored = await redis.get(value_key)
    assert stored is not None
    assert answers[0].json() == json.loads(stored)
    assert 0 < await redis.pttl(value_key) <= settings.cache_ttl * 1000


async def test_an_update_or_a_delete_is_seen_by_the_next_read(service: Service) -> None:
    item = await create(service, "old name")
    assert (await service.client.get(item)).json()["name"] == "old name"
    assert (await service.client.patch(item, json={"name": "new name"})).status_code == 200
    assert (await service.client.get(item)).json()["name"] == "new name"
    assert (await service.client.delete(item)).status_code == 204
    assert (await service.client.get(item)).status_code == 404


async def test_a_missing_item_is_never_cached(service: Service) -> None:
    for _ in range(2):
        assert (await service.client.get(f"{ITEMS}/424242")).status_code == 404
    assert service.reads.count == 2


async def test_concurrent_reads_of_a_cold_item_read_the_database_once(
    service: Service, app: FastAPI
) -> None:
    readers = 100

    class GatedItemCache(ItemCache):
        """The real cache, whose load waits until every reader has missed: without the single
        flight each of them would then read the database."""

        async def read(self, item_id: int, load: Callable[[], Awaitable[ItemRead]]) -> ItemRead:
            async def gated() -> ItemRead:
                while service.events.lookups.count("miss") < readers:
                    service.events.looked_up.clear()
                    await service.events.looked_up.wait()
                return await load()

            return await super().read(item_id, gated)

    async def gated_cache() -> ItemCache:
        return GatedItemCache(service.cache)

    app.dependency_overrides[get_item_cache] = gated_cache
    item = await create(service, "hot")
    service.reads.count = 0
    requests = []
    for _ in range(readers):
        requests.append(asyncio.create_task(service.client.get(item)))
        await asyncio.sleep(0)  # one request's first steps per turn of the loop, not all at once
    answers = await asyncio.gather(*requests)
    assert {response.status_code for response in answers} == {200}
    assert {response.json()["name"] for response in answers} == {"hot"}
    assert service.reads.count == 1


class Thing(BaseModel):
    name: str


async def test_a_read_racing_an_invalidation_does_not_store_the_old_value(
    service: Service,
) -> None:
    cache = service.cache

    async def load_while_a_write_commits() -> Thing:
        # The row is read, then a write commits and invalidates before this load stores.
        await cache.invalidate("thing")
        return Thing(name="old")

    assert (await cache.read("thing", Thing, load_while_a_write_commits)).name == "old"

    async def load_new() -> Thing:
        return Thing(name="new")

    assert (await cache.read("thing", Thing, load_new)).name == "new"
    assert (await cache.read("thing", Thing, load_new)).name == "new"
    assert service.events.lookups == ["miss", "miss", "hit"]


async def test_a_failed_load_fails_every_reader_that_shared_it(service: Service) -> None:
    cache = service.cache
    loads = 0

    async def failing() -> Thing:
        nonlocal loads
        loads += 1
        # Fail once every reader has missed, and so waits on this load.
        while service.events.lookups.count("miss") < 10:
            service.events.looked_up.clear()
            await service.events.looked_up.wait()
        raise LookupError("no such thing")

    outcomes = await asyncio.gather(
        *(cache.read("broken", Thing, failing) for _ in range(10)), return_exceptions=True
    )
    assert all(isinstance(outcome, LookupError) for outcome in outcomes)
    assert loads == 1


async def test_a_cancelled_load_leaves_the_next_reader_to_load(service: Service) -> None:
    cache = service.cache
    started = asyncio.Event()

    async def never_ends() -> Thing:
        started.set()
        await asyncio.Event().wait()
        raise AssertionError("unreachable")

    async def load() -> Thing:
        return Thing(name="loaded")

    first = asyncio.create_task(cache.read("slow", Thing, never_ends))
    await started.wait()
    second = asyncio.create_task(cache.read("slow", Thing, load))
    # Once the second reader has missed, it waits on the first one's load.
    while service.events.lookups.count("miss") < 2:
        service.events.looked_up.clear()
        await service.events.looked_up.wait()
    first.cancel()
    assert (await second).name == "loaded"
    with pytest.raises(asyncio.CancelledError):
        await first
