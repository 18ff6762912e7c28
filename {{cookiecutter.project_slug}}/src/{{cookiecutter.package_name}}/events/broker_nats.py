{% if cookiecutter.database != "none" -%}
"""NATS JetStream: the stream and subjects of the contract, publishing with acknowledgements,
and the durable consumer that reads the catalog service's events.

Every event is published on `<prefix>.<type>` (`{{ cookiecutter.project_slug }}.items.created`, ...), kept by the
JetStream stream `BROKER_STREAM`; a subscriber creates a durable consumer of its own on it.
"""

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from faststream import AckPolicy
from faststream.nats import JStream, NatsBroker, PullSub
from faststream.nats.publisher.usecase import LogicPublisher
from faststream.specification import AsyncAPI
from nats.errors import NotJSMessageError
from nats.js.api import ConsumerConfig

from {{ cookiecutter.package_name }}.events.consumer import ItemWithdrawn
from {{ cookiecutter.package_name }}.events.contract import ITEM_EVENT_TYPES, ItemEvent
from {{ cookiecutter.package_name }}.events.observer import EventsObserver, observing
from {{ cookiecutter.package_name }}.settings import Settings
{%- else -%}
"""NATS: the connection, for the events this service will publish and consume."""

import logging

from faststream.nats import NatsBroker
from faststream.specification import AsyncAPI

from {{ cookiecutter.package_name }}.settings import Settings
{%- endif %}

logger = logging.getLogger(__name__)


class BrokerUnavailableError(Exception):
    """The broker did not take a message: not reachable, or no acknowledgement in time."""
{%- if cookiecutter.database != "none" %}


def deliveries(message: Any) -> int:
    """How many times JetStream has delivered this message; a plain NATS message (the tests'
    in-memory broker sends those) once."""
    try:
        return int(message.metadata.num_delivered)
    except NotJSMessageError:
        return 1
{%- endif %}


class EventBroker:
    """One connection to NATS for the app{% if cookiecutter.database != "none" %}, its publishers and its consumer{% endif %}."""

{%- if cookiecutter.database != "none" %}

    def __init__(self, settings: Settings, observer: EventsObserver) -> None:
{%- else %}

    def __init__(self, settings: Settings) -> None:
{%- endif %}
        self.settings = settings
        self.broker = NatsBroker(
            settings.broker_url.get_secret_value(),
            # Whole seconds, as FastStream types it.
            connect_timeout=max(1, round(settings.broker_connect_timeout)),
            # A lost connection is reopened by itself, trying again every second, for ever.
            reconnect_time_wait=1,
            max_reconnect_attempts=-1,
            logger=logger,
            # Shutdown waits this long for the messages being handled.
            graceful_timeout=settings.broker_publish_timeout,
{%- if cookiecutter.database != "none" %}
            middlewares=[observing(observer, deliveries, settings.broker_max_deliveries)],
{%- endif %}
        )
{%- if cookiecutter.database != "none" %}
        prefix = settings.broker_subject_prefix
        self.stream = JStream(settings.broker_stream, subjects=[f"{prefix}.items.*"])
        self.publishers: dict[str, LogicPublisher] = {
            kind: self.broker.publisher(
                f"{prefix}.{kind}", stream=self.stream, schema=ItemEvent, title=f"{prefix}.{kind}"
            )
            for kind in ITEM_EVENT_TYPES
        }
        self.catalog_stream = JStream(
            settings.broker_catalog_stream, subjects=[settings.broker_catalog_subject]
        )

    async def publish(
        self, kind: str, message_id: str, body: dict[str, Any], headers: dict[str, str]
    ) -> None:
        """Return once JetStream has stored the message; raise BrokerUnavailableError if not.
        `Nats-Msg-Id` lets JetStream drop a copy published again within its duplicate window."""
        try:
            await self.publishers[kind].publish(
                body,
                headers={**headers, "Nats-Msg-Id": message_id},
                timeout=self.settings.broker_publish_timeout,
            )
        except Exception as error:
            raise BrokerUnavailableError(f"{kind} {message_id} not published: {error!r}") from error

    def consume_withdrawn(self, handle: Callable[[ItemWithdrawn], Awaitable[None]]) -> None:
        """Hand each item-withdrawn event of the catalog service to `handle`: acknowledged once
        it returns, redelivered when it raises (a malformed message too). After
        broker_max_deliveries tries JetStream stops delivering it and publishes a
        MAX_DELIVERIES advisory; the message stays in the stream for inspection."""

        async def on_item_withdrawn(event: ItemWithdrawn) -> None:
            await handle(event)

        self.broker.subscriber(
            self.settings.broker_catalog_subject,
            stream=self.catalog_stream,
            durable=self.consumer_name,
            pull_sub=PullSub(),
            config=ConsumerConfig(max_deliver=self.settings.broker_max_deliveries),
            ack_policy=AckPolicy.NACK_ON_ERROR,
            title=f"{self.settings.broker_catalog_subject}:{self.consumer_name}",
        )(on_item_withdrawn)

    @property
    def consumer_name(self) -> str:
        return f"{self.settings.broker_stream}-withdrawn"
{%- endif %}

    async def start(self) -> None:
        """Connect, declare what the contract names, and start consuming."""
        await self.broker.start()

    async def stop(self) -> None:
        await self.broker.stop()

    async def ping(self) -> None:
        if not await self.broker.ping(timeout=self.settings.broker_connect_timeout):
            raise BrokerUnavailableError("NATS does not answer")

    def specification(self, title: str) -> AsyncAPI:
        return AsyncAPI(self.broker, title=title, schema_version="3.0.0")
