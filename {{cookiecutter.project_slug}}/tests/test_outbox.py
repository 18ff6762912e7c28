"""The transactional outbox: each item change leaves its event in the same transaction, and the
relay publishes the events in order, marking each sent only once the broker took it."""

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx2
import pytest
from fastapi import FastAPI
from sqlalchemy import select

from {{ cookiecutter.package_name }}.events.broker import BrokerUnavailableError
from {{ cookiecutter.package_name }}.events.contract import ItemEvent
from {{ cookiecutter.package_name }}.events.outbox import OutboxMessage
from {{ cookiecutter.package_name }}.events.relay import Relay
from {{ cookiecutter.package_name }}.features import default_extensions
from {{ cookiecutter.package_name }}.infra.database import Database, close_database, open_database
{%- if cookiecutter.jobs == "taskiq" %}
from {{ cookiecutter.package_name }}.jobs.repository import set_quote
{%- endif %}
from {{ cookiecutter.package_name }}.settings import Settings
from tests.asgi import AppFactory, serving
from tests.broker import in_memory

ITEMS = "/api/v1/items"


class FakeBroker:
    """Takes every message, or refuses from the `fail_from`-th on, as a broker that went down."""

    def __init__(self, fail_from: int | None = None) -> None:
        self.fail_from = fail_from
        self.published: list[tuple[str, str]] = []

    async def publish(
        self, kind: str, message_id: str, body: dict[str, Any], headers: dict[str, str]
    ) -> None:
        if self.fail_from is not None and len(self.published) >= self.fail_from:
            raise BrokerUnavailableError("down")
        self.published.append((kind, message_id))


@pytest.fixture
async def database(settings: Settings) -> AsyncIterator[Database]:
    database = await open_database(settings)
    yield database
    await close_database(database)


async def outbox(database: Database) -> list[OutboxMessage]:
    async with database.sessions() as session:
        return list(await session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))


async def test_each_change_leaves_its_event_in_the_outbox(
    client: httpx2.AsyncClient, database: Database
) -> None:
    created = await client.post(ITEMS, json={"name": "gear"}, headers={"X-Request-ID": "req-1"})
    item_id = created.json()["id"]
    await client.patch(f"{ITEMS}/{item_id}", json={"description": "toothed"})
    await client.delete(f"{ITEMS}/{item_id}")

    rows = await outbox(database)
    assert [row.type for row in rows] == ["items.created", "items.updated", "items.deleted"]
    events = [ItemEvent.model_validate(row.body) for row in rows]
    assert [event.data.id for event in events] == [item_id] * 3
    assert events[0].request_id == "req-1"
    assert events[1].data.description == "toothed"
    assert len({row.message_id for row in rows}) == 3
    assert all(row.message_id == event.id for row, event in zip(rows, events, strict=True))


async def test_an_update_that_changes_nothing_leaves_no_event(
    client: httpx2.AsyncClient, database: Database
) -> None:
    created = await client.post(ITEMS, json={"name": "gear"})
    unchanged = await client.patch(f"{ITEMS}/{created.json()['id']}", json={"name": "gear"})
    assert unchanged.status_code == 200
    assert [row.type for row in await outbox(database)] == ["items.created"]


{%- if cookiecutter.jobs == "taskiq" %}


async def test_the_job_that_enriches_an_item_records_its_update_once(
    client: httpx2.AsyncClient, database: Database
) -> None:
    item_id = (await client.post(ITEMS, json={"name": "gear"})).json()["id"]
    async with database.sessions() as session:
        assert await set_quote(session, item_id, "Slow and steady. (Aesop)")
    async with database.sessions() as session:
        assert not await set_quote(session, item_id, "Again. (Nobody)")
    assert [row.type for row in await outbox(database)] == ["items.created", "items.updated"]
{%- endif %}


async def test_a_change_rolled_back_leaves_no_event(
    client: httpx2.AsyncClient, database: Database
) -> None:
    await client.post(ITEMS, json={"name": "gear"})
    duplicate = await client.post(ITEMS, json={"name": "gear"})
    assert duplicate.status_code == 409
    assert [row.type for row in await outbox(database)] == ["items.created"]


async def test_the_relay_publishes_in_order_and_marks_each_event_sent(
    client: httpx2.AsyncClient, settings: Settings, database: Database
) -> None:
    for name in ("a", "b", "c"):
        await client.post(ITEMS, json={"name": name})
    broker = FakeBroker()

    assert await Relay(settings, database, broker).flush() == 3

    rows = await outbox(database)
    assert broker.published == [(row.type, row.message_id) for row in rows]
    assert all(row.sent_at is not None for row in rows)


async def test_an_event_the_broker_refused_stays_pending_and_later_ones_wait(
    client: httpx2.AsyncClient, settings: Settings, database: Database
) -> None:
    for name in ("a", "b", "c"):
        await client.post(ITEMS, json={"name": name})

    with pytest.raises(BrokerUnavailableError):
        await Relay(settings, database, FakeBroker(fail_from=1)).flush()

    assert [row.sent_at is not None for row in await outbox(database)] == [True, False, False]
    # The broker is back: the rest go out, in order, and nothing is sent twice.
    broker = FakeBroker()
    assert await Relay(settings, database, broker).flush() == 2
    assert [kind for kind, _ in broker.published] == ["items.created", "items.created"]


async def test_events_sent_longer_ago_than_the_retention_are_pruned(
    client: httpx2.AsyncClient, settings: Settings, database: Database
) -> None:
    await client.post(ITEMS, json={"name": "old"})
    await client.post(ITEMS, json={"name": "new"})
    await client.post(ITEMS, json={"name": "pending"})
    old, new, pending = await outbox(database)
    async with database.sessions() as session:
        now = datetime.now(UTC)
        for row, sent_at in ((old, now - timedelta(days=2)), (new, now), (pending, None)):
            row.sent_at = sent_at
            session.add(row)
        await session.commit()

    await Relay(settings, database, FakeBroker()).prune()

    assert [row.id for row in await outbox(database)] == [new.id, pending.id]


async def test_shutdown_publishes_what_the_outbox_still_holds(
    make_app: AppFactory, settings: Settings, database: Database
) -> None:
    # The relay's next pass is an hour away: only the flush on shutdown can publish the event.
    app: FastAPI = make_app(settings, extensions=in_memory(default_extensions()))
    async with serving(app) as client:
        await client.post(ITEMS, json={"name": "last"})
        assert [row.sent_at for row in await outbox(database)] == [None]
    assert all(row.sent_at is not None for row in await outbox(database))
