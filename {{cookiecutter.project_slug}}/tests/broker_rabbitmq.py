"""RabbitMQ in the tests: FastStream's in-memory broker for most of them, the real server for
those that take the `broker_server` fixture.

Each test names its exchanges and queues after a token of its own, so parallel runs on one
server never share them, and a queue declared with other arguments by an earlier test never
refuses the next; the run deletes them all at its end.
"""

import asyncio
import os
import secrets
{%- if cookiecutter.database != "none" %}
from collections.abc import AsyncIterator, Iterator, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager
{%- else %}
from collections.abc import Iterator, Sequence
from contextlib import AbstractAsyncContextManager
{%- endif %}
from typing import Any

import aio_pika
import pytest
from faststream.rabbit import TestRabbitBroker

from {{ cookiecutter.package_name }}.events.broker import EventBroker
from {{ cookiecutter.package_name }}.events.extension import EventsExtension
{%- if cookiecutter.database != "none" %}
from {{ cookiecutter.package_name }}.events.observer import EventsObserver
{%- endif %}
from {{ cookiecutter.package_name }}.extension import Extension
from {{ cookiecutter.package_name }}.features import default_extensions
{%- if cookiecutter.database != "none" %}
from {{ cookiecutter.package_name }}.settings import Settings
{%- endif %}

# The tokens the run's tests used, for the clean-up.
TOKENS: list[str] = []


def names(token: str) -> dict[str, Any]:
    return {
        "broker_exchange": f"test-{token}",
{%- if cookiecutter.database != "none" %}
        "broker_catalog_exchange": f"test-{token}-catalog",
{%- endif %}
    }


SERVER_VARIABLE = "{{ cookiecutter.__env_prefix }}TEST_BROKER_URL"
DEFAULT_SERVER = "amqp://guest:guest@127.0.0.1:5672/"

UNREACHABLE = """RabbitMQ at {url} cannot be used: {error!r}
These tests need a real server. Start one with `docker compose up -d rabbitmq`, or set
{variable} to a server where guest may declare exchanges and queues."""


def server_url() -> str:
    return os.environ.get(SERVER_VARIABLE, DEFAULT_SERVER)


class InMemoryEvents(EventsExtension):
    """The events part over FastStream's in-memory broker: publishing reaches the consumer in
    the same process, and no server is needed."""

    def connect(self, broker: EventBroker) -> AbstractAsyncContextManager[Any]:
        return TestRabbitBroker(broker.broker, connect_only=False)


def in_memory(extensions: Sequence[Extension]) -> list[Extension]:
    """`extensions` with the events part on the in-memory broker."""
{%- if cookiecutter.database != "none" %}
    return [InMemoryEvents(e.observer) if isinstance(e, EventsExtension) else e for e in extensions]
{%- else %}
    return [InMemoryEvents() if isinstance(e, EventsExtension) else e for e in extensions]
{%- endif %}


@pytest.fixture
def in_memory_extensions() -> list[Extension]:
    """The service's optional parts, its events on the in-memory broker."""
    return in_memory(default_extensions())


@pytest.fixture
def broker_settings() -> dict[str, Any]:
    """Exchange and queue names of the test's own."""
    TOKENS.append(secrets.token_hex(4))
{%- if cookiecutter.database != "none" %}
    # The relay waits an hour before its first pass, so that its passes never race what a
    # test measures; the tests of events set their own interval or flush it themselves.
    return {**names(TOKENS[-1]), "broker_relay_interval": 3600}
{%- else %}
    return names(TOKENS[-1])
{%- endif %}


async def _delete_what_this_run_declared(url: str) -> None:
    connection = await aio_pika.connect(url, timeout=5)
    async with connection:
        channel = await connection.channel()
        for token in TOKENS:
            base = f"test-{token}"
{%- if cookiecutter.database != "none" %}
            for queue in (f"{base}.dead-letter", f"{base}.{base}-catalog.items.withdrawn"):
                await channel.queue_delete(queue)
            for exchange in (base, f"{base}.dead-letter", f"{base}-catalog"):
                await channel.exchange_delete(exchange)
{%- else %}
            await channel.exchange_delete(base)
{%- endif %}


@pytest.fixture(scope="session")
def broker_server() -> Iterator[str]:
    """The real server's URL, once it answered; a server that does not fails the test."""
    url = server_url()
    try:
        asyncio.run(_ping(url))
    except Exception as error:  # any failure means the same: no server
        pytest.fail(UNREACHABLE.format(url=url, error=error, variable=SERVER_VARIABLE))
    yield url
    asyncio.run(_delete_what_this_run_declared(url))


async def _ping(url: str) -> None:
    connection = await aio_pika.connect(url, timeout=5)
    await connection.close()

{%- if cookiecutter.database != "none" %}


@asynccontextmanager
async def subscriber(url: str, settings: Settings) -> AsyncIterator[list[dict[str, Any]]]:
    """Another service: a queue of its own bound to the service's exchange for every item
    event, collecting the message bodies and AMQP properties it receives."""
    received: list[dict[str, Any]] = []
    connection = await aio_pika.connect(url, timeout=5)
    async with connection:
        channel = await connection.channel()
        exchange = await channel.declare_exchange(
            settings.broker_exchange, aio_pika.ExchangeType.TOPIC, durable=True
        )
        queue = await channel.declare_queue(exclusive=True)
        await queue.bind(exchange, "items.*")

        async def collect(message: aio_pika.abc.AbstractIncomingMessage) -> None:
            async with message.process():
                received.append(
                    {
                        "body": message.body,
                        "message_id": message.message_id,
                        "routing_key": message.routing_key,
                        "persistent": message.delivery_mode == aio_pika.DeliveryMode.PERSISTENT,
                        "headers": dict(message.headers),
                    }
                )

        await queue.consume(collect)
        yield received


async def deliver_in_memory(broker: EventBroker, body: dict[str, Any]) -> None:
    """Hand `body` to the consumer as the catalog service would send it, in memory."""
    await broker.broker.publish(
        body, queue=broker.withdrawn_queue, exchange=broker.catalog_exchange
    )


async def publish_to_catalog(url: str, settings: Settings, body: bytes) -> None:
    """Publish as the catalog service does, on the real server."""
    connection = await aio_pika.connect(url, timeout=5)
    async with connection:
        channel = await connection.channel()
        exchange = await channel.declare_exchange(
            settings.broker_catalog_exchange, aio_pika.ExchangeType.TOPIC, durable=True
        )
        message = aio_pika.Message(
            body, content_type="application/json", delivery_mode=aio_pika.DeliveryMode.PERSISTENT
        )
        await exchange.publish(message, routing_key="items.withdrawn")


@asynccontextmanager
async def dead_lettered(url: str, settings: Settings) -> AsyncIterator[list[bytes]]:
    """The bodies of the messages the consumer gave up on, as they reach the dead-letter
    queue. The service declares that queue at start-up."""
    received: list[bytes] = []
    connection = await aio_pika.connect(url, timeout=5)
    async with connection:
        channel = await connection.channel()
        queue = await channel.get_queue(
            EventBroker(settings, EventsObserver()).dead_letter_queue.name
        )

        async def collect(message: aio_pika.abc.AbstractIncomingMessage) -> None:
            async with message.process():
                received.append(message.body)

        await queue.consume(collect)
        yield received
{%- endif %}
