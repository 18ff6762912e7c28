{% if cookiecutter.database != "none" -%}
"""RabbitMQ: the exchange and routing keys of the contract, publishing with confirms, and the
queue the consumer reads with its dead-letter route.

Every event goes to the durable topic exchange `BROKER_EXCHANGE` as a persistent message, under
its type as routing key (`items.created`, ...); a subscriber binds a durable queue of its own.
"""

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from faststream import AckPolicy
from faststream.rabbit import (
    ExchangeType,
    QueueType,
    RabbitBroker,
    RabbitExchange,
    RabbitQueue,
)
from faststream.rabbit.publisher import RabbitPublisher
from faststream.specification import AsyncAPI

from {{ cookiecutter.package_name }}.events.consumer import ItemWithdrawn
from {{ cookiecutter.package_name }}.events.contract import ITEM_EVENT_TYPES, ItemEvent
from {{ cookiecutter.package_name }}.events.observer import EventsObserver, observing
from {{ cookiecutter.package_name }}.settings import Settings
{%- else -%}
"""RabbitMQ: the connection, for the events this service will publish and consume."""

import logging

from faststream.rabbit import RabbitBroker
from faststream.specification import AsyncAPI

from {{ cookiecutter.package_name }}.settings import Settings
{%- endif %}

logger = logging.getLogger(__name__)


class BrokerUnavailableError(Exception):
    """The broker did not take a message: not reachable, or no confirmation in time."""
{%- if cookiecutter.database != "none" %}


def deliveries(message: Any) -> int:
    """How many times this message has been delivered: the quorum queue counts the earlier,
    failed deliveries in `x-delivery-count`."""
    return int((message.headers or {}).get("x-delivery-count", 0)) + 1
{%- endif %}


class EventBroker:
    """One connection to RabbitMQ for the app{% if cookiecutter.database != "none" %}, its publishers and its consumer{% endif %}."""

{%- if cookiecutter.database != "none" %}

    def __init__(self, settings: Settings, observer: EventsObserver) -> None:
{%- else %}

    def __init__(self, settings: Settings) -> None:
{%- endif %}
        self.settings = settings
        self.broker = RabbitBroker(
            settings.broker_url.get_secret_value(),
            timeout=settings.broker_connect_timeout,
            # A lost connection is reopened by itself, trying again every second.
            reconnect_interval=1.0,
            logger=logger,
            # Shutdown waits this long for the messages being handled.
            graceful_timeout=settings.broker_publish_timeout,
{%- if cookiecutter.database != "none" %}
            middlewares=[observing(observer, deliveries, settings.broker_max_deliveries)],
{%- endif %}
        )
{%- if cookiecutter.database != "none" %}
        self.exchange = RabbitExchange(
            settings.broker_exchange, type=ExchangeType.TOPIC, durable=True
        )
        self.publishers: dict[str, RabbitPublisher] = {
            kind: self.broker.publisher(
                routing_key=kind,
                exchange=self.exchange,
                persist=True,
                schema=ItemEvent,
                title=f"{settings.broker_exchange}:{kind}",
            )
            for kind in ITEM_EVENT_TYPES
        }
        self.dead_letter_exchange = RabbitExchange(
            f"{settings.broker_exchange}.dead-letter", type=ExchangeType.FANOUT, durable=True
        )
        self.dead_letter_queue = RabbitQueue(
            f"{settings.broker_exchange}.dead-letter", durable=True
        )
        # A quorum queue counts deliveries: a message that failed broker_max_deliveries times
        # goes to the dead-letter exchange instead of coming back.
        self.withdrawn_queue = RabbitQueue(
            f"{settings.broker_exchange}.{settings.broker_catalog_exchange}.items.withdrawn",
            queue_type=QueueType.QUORUM,
            durable=True,
            routing_key="items.withdrawn",
            arguments={
                "x-delivery-limit": settings.broker_max_deliveries - 1,
                "x-dead-letter-exchange": self.dead_letter_exchange.name,
            },
        )
        self.catalog_exchange = RabbitExchange(
            settings.broker_catalog_exchange, type=ExchangeType.TOPIC, durable=True
        )
{%- endif %}

{%- if cookiecutter.database != "none" %}

    async def publish(
        self, kind: str, message_id: str, body: dict[str, Any], headers: dict[str, str]
    ) -> None:
        """Return once RabbitMQ has confirmed the message; raise BrokerUnavailableError if not."""
        try:
            confirmation = await self.publishers[kind].publish(
                body,
                message_id=message_id,
                message_type=kind,
                headers=dict[str, Any](headers),
                timeout=self.settings.broker_publish_timeout,
            )
        except Exception as error:
            raise BrokerUnavailableError(f"{kind} {message_id} not published: {error!r}") from error
        if confirmation is not None and confirmation.name != "Basic.Ack":
            raise BrokerUnavailableError(f"{kind} {message_id} refused: {confirmation.name}")

    def consume_withdrawn(self, handle: Callable[[ItemWithdrawn], Awaitable[None]]) -> None:
        """Hand each item-withdrawn event of the catalog service to `handle`: acknowledged once
        it returns, redelivered when it raises (a malformed message too), dead-lettered after
        broker_max_deliveries tries."""

        async def on_item_withdrawn(event: ItemWithdrawn) -> None:
            await handle(event)

        self.broker.subscriber(
            self.withdrawn_queue,
            self.catalog_exchange,
            ack_policy=AckPolicy.NACK_ON_ERROR,
            title=f"{self.withdrawn_queue.name}:items.withdrawn",
        )(on_item_withdrawn)

    async def declare_dead_letters(self) -> None:
        """The route dead-lettered messages take: their exchange and the queue that keeps them."""
        exchange = await self.broker.declare_exchange(self.dead_letter_exchange)
        queue = await self.broker.declare_queue(self.dead_letter_queue)
        await queue.bind(exchange)
{%- endif %}

    async def start(self) -> None:
        """Connect, declare what the contract names, and start consuming."""
        await self.broker.start()
{%- if cookiecutter.database != "none" %}
        await self.declare_dead_letters()
{%- endif %}

    async def stop(self) -> None:
        await self.broker.stop()

    async def ping(self) -> None:
        if not await self.broker.ping(timeout=self.settings.broker_connect_timeout):
            raise BrokerUnavailableError("RabbitMQ does not answer")

    def specification(self, title: str) -> AsyncAPI:
        return AsyncAPI(self.broker, title=title, schema_version="3.0.0")
