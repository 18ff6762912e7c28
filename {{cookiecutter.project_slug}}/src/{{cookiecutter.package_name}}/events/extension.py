{%- if cookiecutter.database != "none" -%}
"""The broker as an optional part of the service: connected at start-up, reported by readiness,
the outbox relay and the consumer running while the service runs, and stopped in order on
shutdown."""
{%- else -%}
"""The broker as an optional part of the service: connected at start-up, reported by readiness,
closed on shutdown."""
{%- endif %}

import asyncio
from collections.abc import AsyncIterator, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager
{%- if cookiecutter.database != "none" %}
from functools import partial
{%- endif %}
from typing import Annotated, Any

from anyio import to_thread
from fastapi import APIRouter, Depends, HTTPException

{% if cookiecutter.cache == "redis" and cookiecutter.database != "none" -%}
from {{ cookiecutter.package_name }}.cache.extension import CacheExtension
{% endif -%}
from {{ cookiecutter.package_name }}.events.broker import EventBroker
{%- if cookiecutter.database != "none" %}
from {{ cookiecutter.package_name }}.events.consumer import ItemWithdrawn, handle_item_withdrawn
from {{ cookiecutter.package_name }}.events.observer import EventsObserver
from {{ cookiecutter.package_name }}.events.relay import Relay
{%- endif %}
from {{ cookiecutter.package_name }}.extension import Extension
from {{ cookiecutter.package_name }}.health.probes import Probe
{%- if cookiecutter.database != "none" %}
from {{ cookiecutter.package_name }}.infra.database import Database
{%- endif %}
{%- if cookiecutter.cache == "redis" and cookiecutter.database != "none" %}
from {{ cookiecutter.package_name }}.items.cache import ItemCache
{%- endif %}
from {{ cookiecutter.package_name }}.resources import Resources, ResourcesDep


@asynccontextmanager
async def connected(broker: EventBroker) -> AsyncIterator[None]:
    """The broker connected, within the connect timeout: a broker that cannot be reached stops
    the start-up, and the orchestrator tries again."""
    try:
        async with asyncio.timeout(broker.settings.broker_connect_timeout):
            await broker.start()
        yield
    finally:
        await broker.stop()


class EventsExtension(Extension):
    """Owns the broker connection{% if cookiecutter.database != "none" %}, the outbox relay and the consumer{% endif %}."""

{%- if cookiecutter.database != "none" %}

    def __init__(self, observer: EventsObserver | None = None) -> None:
        self.observer = observer or EventsObserver()
        self._broker: EventBroker | None = None
        self._asyncapi: dict[str, Any] | None = None
        self._relay: Relay | None = None
{%- if cookiecutter.cache == "redis" %}
        self._resources: Resources | None = None
{%- endif %}
{%- else %}

    def __init__(self) -> None:
        self._broker: EventBroker | None = None
        self._asyncapi: dict[str, Any] | None = None
{%- endif %}

    @property
    def broker(self) -> EventBroker:
        if self._broker is None:
            raise RuntimeError("the broker is connected only while the app runs")
        return self._broker
{%- if cookiecutter.database != "none" %}

    @property
    def relay(self) -> Relay:
        if self._relay is None:
            raise RuntimeError("the relay runs only while the app runs")
        return self._relay
{%- endif %}

    def connect(self, broker: EventBroker) -> AbstractAsyncContextManager[Any]:
        """Connect to the real broker; the tests put FastStream's in-memory one here."""
        return connected(broker)

    @asynccontextmanager
    async def lifespan(self, resources: Resources) -> AsyncIterator[None]:
{%- if cookiecutter.database != "none" %}
        broker = EventBroker(resources.settings, self.observer)
        broker.consume_withdrawn(partial(self.on_item_withdrawn, resources.database))
{%- else %}
        broker = EventBroker(resources.settings)
{%- endif %}
        async with self.connect(broker):
{%- if cookiecutter.database != "none" %}
            relay = Relay(resources.settings, resources.database, broker, self.observer)
            relay.start()
            self._broker, self._relay = broker, relay
{%- if cookiecutter.cache == "redis" %}
            self._resources = resources
{%- endif %}
            try:
                yield
            finally:
                # Stop taking messages and finish those in hand, whose effects may add events;
                # then publish what the outbox holds; the connection closes last.
                for subscriber in broker.broker.subscribers:
                    await subscriber.stop()
                await relay.stop()
                self._broker, self._relay = None, None
{%- else %}
            self._broker = broker
            try:
                yield
            finally:
                self._broker = None
{%- endif %}

{%- if cookiecutter.database != "none" %}

    async def on_item_withdrawn(self, database: Database, event: ItemWithdrawn) -> None:
        """The consumer's handler, one message at a time."""
{%- if cookiecutter.cache == "redis" %}
        deleted = await handle_item_withdrawn(database, event)
        if deleted is not None and self._resources is not None:
            # After the commit, as the routes do: no read finds the withdrawn item cached.
            cache = self._resources.extensions.get(CacheExtension).cache
            await ItemCache(cache).forget(deleted)
{%- else %}
        await handle_item_withdrawn(database, event)
{%- endif %}
{%- endif %}

    def probes(self) -> Sequence[Probe]:
        return [Probe("broker", self._ping)]

    async def _ping(self) -> None:
        await self.broker.ping()

    def routers(self) -> Sequence[APIRouter]:
        return [asyncapi_router]

    async def asyncapi(self) -> dict[str, Any]:
        """The AsyncAPI document, built once, in a worker thread: building it takes a while
        and reads package metadata from disk."""
        if self._asyncapi is not None:
            return self._asyncapi
        specification = self.broker.specification("{{ cookiecutter.project_name }}")
        document: dict[str, Any] = await to_thread.run_sync(
            lambda: specification.to_specification().to_jsonable()
        )
        self._asyncapi = document
        return document


async def get_events(resources: ResourcesDep) -> EventsExtension:
    return resources.extensions.get(EventsExtension)


EventsDep = Annotated[EventsExtension, Depends(get_events)]

asyncapi_router = APIRouter(tags=["events"])


@asyncapi_router.get("/asyncapi.json", summary="The AsyncAPI document of the service's events")
async def asyncapi(resources: ResourcesDep, events: EventsDep) -> dict[str, Any]:
    if not resources.settings.api_docs:
        raise HTTPException(404, "Not Found")
    return await events.asyncapi()
