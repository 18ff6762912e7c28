"""The outbox relay: publishes the events that committed changes left in the outbox, in order,
and marks each one sent only after the broker has confirmed it.

Delivery is at least once: a relay stopped between the broker's confirmation and its own commit
publishes those events again on its next pass, under the same message ids.
"""

import asyncio
import contextlib
import logging
import random
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

from sqlalchemy import delete, func, select

from {{ cookiecutter.package_name }}.events.observer import EventsObserver
from {{ cookiecutter.package_name }}.events.outbox import OutboxMessage
from {{ cookiecutter.package_name }}.infra.database import Database
from {{ cookiecutter.package_name }}.settings import Settings

logger = logging.getLogger(__name__)

# Sent rows are pruned at most this often, in seconds: a cheap delete, but not every pass.
PRUNE_EVERY = 60.0
# The outbox's backlog is counted for the observer at most this often, in seconds.
COUNT_EVERY = 5.0


class Publisher(Protocol):
    """What the relay needs of the broker: a publish that returns once the message is safe."""

    async def publish(
        self, kind: str, message_id: str, body: dict[str, Any], headers: dict[str, str]
    ) -> None: ...


class Relay:
    """One background task per replica. On PostgreSQL, replicas lock the rows they publish
    (`FOR UPDATE SKIP LOCKED`) so two never send the same row in the normal case."""

    def __init__(
        self,
        settings: Settings,
        database: Database,
        broker: Publisher,
        observer: EventsObserver | None = None,
    ) -> None:
        self.settings = settings
        self.database = database
        self.broker = broker
        self.observer = observer or EventsObserver()
        self._stopping = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._pruned_at = float("-inf")
        self._counted_at = float("-inf")

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="outbox-relay")

    async def stop(self) -> None:
        """Finish the pass under way, then publish what is left once more: a broker that is
        down by now leaves the rows for the next start."""
        self._stopping.set()
        if self._task is not None:
            await self._task
        try:
            await self.flush()
        except Exception:
            logger.warning("Outbox not flushed on shutdown; the next start publishes the rest")

    async def flush(self) -> int:
        """Publish every pending event; the number published."""
        total = 0
        while sent := await self.publish_pending():
            total += sent
        return total

    async def publish_pending(self) -> int:
        """Publish one batch of pending events, oldest first; the number published."""
        sent = 0
        async with self.database.sessions() as session:
            rows = await session.scalars(
                select(OutboxMessage)
                .where(OutboxMessage.sent_at.is_(None))
                .order_by(OutboxMessage.id)
                .limit(self.settings.broker_relay_batch_size)
                .with_for_update(skip_locked=True)
            )
            try:
                for row in rows:
                    await self.broker.publish(row.type, row.message_id, row.body, row.headers)
                    row.sent_at = datetime.now(UTC)
                    self.observer.published(row.type)
                    sent += 1
            finally:
                # What the broker confirmed stays sent, even when a later publish failed.
                await session.commit()
        return sent

    async def prune(self) -> None:
        """Delete events published longer ago than the retention."""
        cutoff = datetime.now(UTC) - timedelta(seconds=self.settings.broker_outbox_retention)
        async with self.database.sessions() as session:
            await session.execute(delete(OutboxMessage).where(OutboxMessage.sent_at < cutoff))
            await session.commit()

    async def count_pending(self) -> None:
        """Tell the observer how many events wait, and how long the oldest has waited."""
        async with self.database.sessions() as session:
            row = (
                await session.execute(
                    select(func.count(), func.min(OutboxMessage.created_at)).where(
                        OutboxMessage.sent_at.is_(None)
                    )
                )
            ).one()
        count: int = row[0]
        oldest: datetime | None = row[1]
        if oldest is not None and oldest.tzinfo is None:
            # SQLite gives back naive datetimes; they were written in UTC.
            oldest = oldest.replace(tzinfo=UTC)
        age = 0.0 if oldest is None else (datetime.now(UTC) - oldest).total_seconds()
        self.observer.outbox(count, max(age, 0.0))

    async def _run(self) -> None:
        delay = self.settings.broker_relay_interval
        while not await self._stopped_within(delay):
            await self._count_now_and_then()
            try:
                if await self.publish_pending() < self.settings.broker_relay_batch_size:
                    if asyncio.get_running_loop().time() - self._pruned_at > PRUNE_EVERY:
                        await self.prune()
                        self._pruned_at = asyncio.get_running_loop().time()
                    delay = self.settings.broker_relay_interval
                else:
                    delay = 0
            except Exception as error:
                # Broker or database down: wait longer each time, with jitter, and try again.
                delay = min(
                    max(delay * 2, self.settings.broker_relay_interval),
                    self.settings.broker_relay_max_backoff,
                )
                logger.warning("Outbox relay failed, retrying in %.1f s: %r", delay, error)
                delay *= random.uniform(0.5, 1.0)  # noqa: S311 (jitter, not a secret)

    async def _count_now_and_then(self) -> None:
        """Count the backlog every COUNT_EVERY seconds; above all while the broker is down."""
        now = asyncio.get_running_loop().time()
        if now - self._counted_at < COUNT_EVERY:
            return
        self._counted_at = now
        try:
            await self.count_pending()
        except Exception as error:
            logger.warning("Outbox backlog not counted: %r", error)

    async def _stopped_within(self, seconds: float) -> bool:
        """Wait `seconds`, or less if asked to stop; whether it was."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._stopping.wait(), seconds)
        return self._stopping.is_set()
