"""The broker parts' counters on /metrics: events published, messages consumed, failed and
dead-lettered, and the outbox's backlog."""

import uuid

import pytest
from fastapi import FastAPI

from {{ cookiecutter.package_name }}.events.extension import EventsExtension
from {{ cookiecutter.package_name }}.features import default_extensions
from {{ cookiecutter.package_name }}.settings import Settings
from tests.asgi import AppFactory, serving
from tests.broker import deliver_in_memory, in_memory
from tests.scrape import scrape, value

ITEMS = "/api/v1/items"


def events_of(app: FastAPI) -> EventsExtension:
    extension: EventsExtension = app.state.resources.extensions.get(EventsExtension)
    return extension


async def test_published_events_and_the_backlog_are_counted(
    make_app: AppFactory, settings: Settings
) -> None:
    app = make_app(settings, extensions=in_memory(default_extensions()))
    async with serving(app) as client:
        for name in ("a", "b"):
            await client.post(ITEMS, json={"name": name})
        relay = events_of(app).relay
        await relay.count_pending()
        waiting = await scrape(client)
        await relay.flush()
        await relay.count_pending()
        samples = await scrape(client)
    assert value(waiting, "outbox_pending_events") == 2
    oldest = value(waiting, "outbox_oldest_pending_age_seconds")
    assert oldest is not None
    assert oldest >= 0
    assert value(samples, "broker_published_messages_total", type="items.created") == 2
    assert value(samples, "outbox_pending_events") == 0
    assert value(samples, "outbox_oldest_pending_age_seconds") == 0


@pytest.mark.parametrize("changes", [{"broker_max_deliveries": 1}])
async def test_consumed_failed_and_dead_lettered_messages_are_counted(
    make_app: AppFactory, settings: Settings
) -> None:
    app = make_app(settings, extensions=in_memory(default_extensions()))
    async with serving(app) as client:
        broker = events_of(app).broker
        good = {"id": uuid.uuid4().hex, "type": "items.withdrawn", "data": {"name": "gear"}}
        await deliver_in_memory(broker, good)
        # The in-memory broker hands the handler's error back to the publisher.
        with pytest.raises(Exception):  # noqa: B017, PT011 (pydantic's, through FastStream)
            await deliver_in_memory(broker, {"id": "x", "type": "items.withdrawn"})
        samples = await scrape(client)
    assert value(samples, "broker_consumed_messages_total") == 1
    assert value(samples, "broker_failed_messages_total") == 1
    # One delivery allowed: the failed one was its last.
    assert value(samples, "broker_dead_lettered_messages_total") == 1
