"""The consumer example: an item the catalog service withdraws is deleted here, once, however
often the message comes; a message that keeps failing is dead-lettered and the consumer goes on;
shutdown lets the message in hand finish."""

import asyncio
import json
import time
import uuid
from typing import Any

import httpx2
import pytest
from blockbuster import BlockingError
from fastapi import FastAPI
from pydantic import SecretStr
from sqlalchemy import select

{% if cookiecutter.auth == "jwt" -%}
from {{ cookiecutter.package_name }}.auth.extension import AuthExtension
{% endif -%}
{% if cookiecutter.cache == "redis" -%}
from {{ cookiecutter.package_name }}.cache.extension import CacheExtension
{% endif -%}
from {{ cookiecutter.package_name }}.events.consumer import ItemWithdrawn, ProcessedMessage
from {{ cookiecutter.package_name }}.events.extension import EventsExtension
from {{ cookiecutter.package_name }}.features import default_extensions
from {{ cookiecutter.package_name }}.infra.database import Database, close_database, open_database
from {{ cookiecutter.package_name }}.settings import Settings
from tests.asgi import AppFactory, serving
from tests.broker import (
    InMemoryEvents,
    dead_lettered,
    deliver_in_memory,
    in_memory,
    publish_to_catalog,
)
from tests.eventually import PATIENCE, eventually
{%- if cookiecutter.metrics %}
from tests.scrape import scrape, value
{%- endif %}

ITEMS = "/api/v1/items"


def withdrawn(name: str, message_id: str | None = None) -> dict[str, Any]:
    return {"id": message_id or uuid.uuid4().hex, "type": "items.withdrawn", "data": {"name": name}}


def encoded(body: dict[str, Any]) -> bytes:
    return json.dumps(body).encode()


async def names(client: httpx2.AsyncClient) -> list[str]:
    return [item["name"] for item in (await client.get(ITEMS)).json()["items"]]


def events_of(app: FastAPI) -> EventsExtension:
    extension: EventsExtension = app.state.resources.extensions.get(EventsExtension)
    return extension


async def test_a_withdrawn_item_is_deleted_once_however_often_the_message_comes(
    make_app: AppFactory, settings: Settings
) -> None:
    app = make_app(settings, extensions=in_memory(default_extensions()))
    async with serving(app) as client:
        await client.post(ITEMS, json={"name": "gear"})
        await client.post(ITEMS, json={"name": "spring"})
        message = withdrawn("gear")
        await deliver_in_memory(events_of(app).broker, message)
        assert await names(client) == ["spring"]

        # A new item of that name, then the same message again: already handled, no effect.
        await client.post(ITEMS, json={"name": "gear"})
        await deliver_in_memory(events_of(app).broker, message)
        assert sorted(await names(client)) == ["gear", "spring"]


{% if cookiecutter.cache == "redis" -%}
async def test_a_withdrawn_item_is_no_longer_served_from_the_cache(
    make_app: AppFactory, settings: Settings
) -> None:
    app = make_app(settings, extensions=in_memory(default_extensions()))
    async with serving(app) as client:
        item = f"{ITEMS}/{(await client.post(ITEMS, json={'name': 'gear'})).json()['id']}"
        assert (await client.get(item)).status_code == 200  # now cached
        await deliver_in_memory(events_of(app).broker, withdrawn("gear"))
        assert (await client.get(item)).status_code == 404


{% endif -%}
async def test_the_message_id_is_stored_with_the_effect(
    make_app: AppFactory, settings: Settings
) -> None:
    app = make_app(settings, extensions=in_memory(default_extensions()))
    async with serving(app) as client:
        await client.post(ITEMS, json={"name": "gear"})
        await deliver_in_memory(events_of(app).broker, withdrawn("gear", "m-1"))
        await deliver_in_memory(events_of(app).broker, withdrawn("nothing by this name", "m-2"))
    database = await open_database(settings)
    try:
        async with database.sessions() as session:
            ids = await session.scalars(select(ProcessedMessage.message_id))
            assert sorted(ids) == ["m-1", "m-2"]
    finally:
        await close_database(database)


@pytest.mark.slow
@pytest.mark.parametrize("changes", [{"broker_max_deliveries": 2}])
async def test_a_poison_message_is_dead_lettered_and_the_consumer_goes_on(
    make_app: AppFactory, settings: Settings, broker_server: str
) -> None:
    app = make_app(settings.model_copy(update={"broker_url": SecretStr(broker_server)}))
    async with serving(app) as client, dead_lettered(broker_server, settings) as dead:
        await client.post(ITEMS, json={"name": "gear"})
        for poison in (b"{not json", b'{"id": "x", "type": "items.withdrawn", "data": {}}'):
            await publish_to_catalog(broker_server, settings, poison)
        await publish_to_catalog(broker_server, settings, encoded(withdrawn("gear")))

        async def handled() -> bool:
            return await names(client) == [] and len(dead) == 2

        assert await eventually(handled)
{%- if cookiecutter.metrics %}
        samples = await scrape(client)
    # Each poison message failed on both its deliveries, and the second was its last.
    assert value(samples, "broker_failed_messages_total") == 4
    assert value(samples, "broker_dead_lettered_messages_total") == 2
    assert value(samples, "broker_consumed_messages_total") == 1
{%- endif %}


class BlockingEvents(InMemoryEvents):
    """A handler that blocks the event loop, as a sync client or a sleep in it would."""

    async def on_item_withdrawn(self, database: Database, event: ItemWithdrawn) -> None:
        time.sleep(0.001)  # noqa: ASYNC251 (the blocking call this test plants)
        await super().on_item_withdrawn(database, event)


async def test_a_blocking_call_in_the_consumer_fails_its_test(
    make_app: AppFactory, settings: Settings
) -> None:
    # blockbuster (tests/conftest.py) is on in every test, broker tests included.
    app = make_app(settings, extensions=[BlockingEvents()])
    async with serving(app):
        with pytest.raises(BlockingError, match=r"time\.sleep"):
            await deliver_in_memory(events_of(app).broker, withdrawn("gear"))


class HeldEvents(EventsExtension):
    """Holds each consumed message until released, to shut down with one in hand."""

    def __init__(self) -> None:
        super().__init__()
        self.started = asyncio.Event()
        self.release = asyncio.Event()

    async def on_item_withdrawn(self, database: Database, event: ItemWithdrawn) -> None:
        self.started.set()
        await self.release.wait()
        await super().on_item_withdrawn(database, event)


@pytest.mark.slow
async def test_shutdown_finishes_the_message_in_hand(
    make_app: AppFactory, settings: Settings, broker_server: str
) -> None:
    held = HeldEvents()
    real_broker = settings.model_copy(update={"broker_url": SecretStr(broker_server)})
    app = make_app(real_broker, extensions=[{% if cookiecutter.auth == "jwt" %}AuthExtension(), {% endif %}{% if cookiecutter.cache == "redis" %}CacheExtension(), {% endif %}held])
    started, stop = asyncio.Event(), asyncio.Event()

    async def run() -> None:
        async with serving(app) as client:
            await client.post(ITEMS, json={"name": "gear"})
            started.set()
            await stop.wait()

    service = asyncio.create_task(run())
    async with asyncio.timeout(PATIENCE):
        await started.wait()
    await publish_to_catalog(broker_server, settings, encoded(withdrawn("gear", "in-hand")))
    async with asyncio.timeout(PATIENCE):
        await held.started.wait()

    stop.set()
    # Shutdown has begun, and waits for the message in hand.
    await asyncio.sleep(0.2)
    assert not service.done()
    held.release.set()
    await service

    database = await open_database(settings)
    try:
        async with database.sessions() as session:
            assert await session.get(ProcessedMessage, "in-hand") is not None
    finally:
        await close_database(database)
