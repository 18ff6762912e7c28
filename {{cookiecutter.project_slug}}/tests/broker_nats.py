"""NATS in the tests: FastStream's in-memory broker for most of them, the real JetStream server
for those that take the `broker_server` fixture.

Each test names its streams and subjects after a token of its own, so parallel runs on one
server never share them, and a consumer created with other settings by an earlier test never
gets in the way of the next; the run deletes its streams at its end.
"""

import asyncio
import contextlib
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

import nats
import pytest
from faststream.nats import TestNatsBroker
{%- if cookiecutter.database != "none" %}
from nats.aio.msg import Msg
{%- endif %}
from nats.js.errors import NotFoundError

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
        "broker_stream": f"TEST_{token}",
        "broker_subject_prefix": f"test-{token}",
{%- if cookiecutter.database != "none" %}
        "broker_catalog_stream": f"TEST_{token}_CATALOG",
        "broker_catalog_subject": f"test-{token}-catalog.items.withdrawn",
{%- endif %}
    }


SERVER_VARIABLE = "{{ cookiecutter.__env_prefix }}TEST_BROKER_URL"
DEFAULT_SERVER = "nats://127.0.0.1:4222"

UNREACHABLE = """NATS at {url} cannot be used: {error!r}
These tests need a real server with JetStream. Start one with `docker compose up -d nats`, or
set {variable} to a server where streams may be created."""


def server_url() -> str:
    return os.environ.get(SERVER_VARIABLE, DEFAULT_SERVER)


class InMemoryEvents(EventsExtension):
    """The events part over FastStream's in-memory broker: publishing reaches the consumer in
    the same process, and no server is needed."""

    def connect(self, broker: EventBroker) -> AbstractAsyncContextManager[Any]:
        return TestNatsBroker(broker.broker, connect_only=False)


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
    """Stream and subject names of the test's own."""
    TOKENS.append(secrets.token_hex(4))
{%- if cookiecutter.database != "none" %}
    # The relay waits an hour before its first pass, so that its passes never race what a
    # test measures; the tests of events set their own interval or flush it themselves.
    return {**names(TOKENS[-1]), "broker_relay_interval": 3600}
{%- else %}
    return names(TOKENS[-1])
{%- endif %}


async def _ping(url: str) -> None:
    client = await nats.connect(url, connect_timeout=5, allow_reconnect=False)
    try:
        await client.jetstream().account_info()
    finally:
        await client.close()


async def _delete_what_this_run_created(url: str) -> None:
    client = await nats.connect(url, connect_timeout=5, allow_reconnect=False)
    try:
        streams = [f"TEST_{token}{suffix}" for token in TOKENS for suffix in ("", "_CATALOG")]
        for stream in streams:
            with contextlib.suppress(NotFoundError):
                await client.jetstream().delete_stream(stream)
    finally:
        await client.close()


@pytest.fixture(scope="session")
def broker_server() -> Iterator[str]:
    """The real server's URL, once it answered; a server that does not fails the test."""
    url = server_url()
    try:
        asyncio.run(_ping(url))
    except Exception as error:  # any failure means the same: no server
        pytest.fail(UNREACHABLE.format(url=url, error=error, variable=SERVER_VARIABLE))
    yield url
    asyncio.run(_delete_what_this_run_created(url))

{%- if cookiecutter.database != "none" %}


@asynccontextmanager
async def subscriber(url: str, settings: Settings) -> AsyncIterator[list[dict[str, Any]]]:
    """Another service: a consumer of its own on the service's stream for every item event,
    collecting from the first message stored the bodies and headers it receives."""
    received: list[dict[str, Any]] = []
    client = await nats.connect(url, connect_timeout=5)

    async def collect(message: Msg) -> None:
        received.append(
            {"body": message.data, "subject": message.subject, "headers": message.headers or {}}
        )
        await message.ack()

    try:
        await client.jetstream().subscribe(
            f"{settings.broker_subject_prefix}.items.*", stream=settings.broker_stream, cb=collect
        )
        yield received
    finally:
        await client.close()


async def deliver_in_memory(broker: EventBroker, body: dict[str, Any]) -> None:
    """Hand `body` to the consumer as the catalog service would send it, in memory."""
    await broker.broker.publish(body, broker.settings.broker_catalog_subject)


async def publish_to_catalog(url: str, settings: Settings, body: bytes) -> None:
    """Publish as the catalog service does, on the real server."""
    client = await nats.connect(url, connect_timeout=5)
    try:
        await client.jetstream().publish(
            settings.broker_catalog_subject, body, stream=settings.broker_catalog_stream
        )
    finally:
        await client.close()


@asynccontextmanager
async def dead_lettered(url: str, settings: Settings) -> AsyncIterator[list[bytes]]:
    """The advisories JetStream publishes for the messages the consumer gave up on."""
    received: list[bytes] = []
    client = await nats.connect(url, connect_timeout=5)

    async def collect(message: Msg) -> None:
        received.append(message.data)

    try:
        # Where JetStream announces a message that ran out of deliveries.
        consumer = EventBroker(settings, EventsObserver()).consumer_name
        advisory = "$JS.EVENT.ADVISORY.CONSUMER.MAX_DELIVERIES"
        await client.subscribe(
            f"{advisory}.{settings.broker_catalog_stream}.{consumer}", cb=collect
        )
        yield received
    finally:
        await client.close()
{%- endif %}
