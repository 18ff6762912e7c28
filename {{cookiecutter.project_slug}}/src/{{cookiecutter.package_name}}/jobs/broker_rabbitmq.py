"""Jobs on RabbitMQ, the server the service's events use already: a durable queue of persistent
messages, each acknowledged once the job has run; a worker that dies hands its unacknowledged
jobs back to the queue at once."""

import json
import logging
from datetime import UTC, datetime

from aio_pika import DeliveryMode, Message
from taskiq.message import BrokerMessage, TaskiqMessage
from taskiq_aio_pika import AioPikaBroker, Exchange, Queue

from {{ cookiecutter.package_name }}.jobs.queue import JobQueue
from {{ cookiecutter.package_name }}.settings import Settings

logger = logging.getLogger(__name__)


class RabbitJobQueue(AioPikaBroker, JobQueue):
    """taskiq-aio-pika's broker, with a probe, a depth and a queue of failed jobs."""

    def __init__(self, url: str, queue_name: str, prefetch: int) -> None:
        self.queue_name = queue_name
        self.failed_queue = f"{queue_name}.failed"
        super().__init__(
            url,
            qos=prefetch,
            exchange=Exchange(name=queue_name),
            task_queues=[Queue(name=queue_name)],
            dead_letter_queue=Queue(name=self.failed_queue),
        )

    async def startup(self) -> None:
        """A process that only enqueues serves while RabbitMQ is down, and connects on its
        next enqueue; a worker cannot start without it."""
        if self.is_worker_process:
            await super().startup()
            return
        try:
            await super().startup()
        except Exception:  # aio-pika raises OS, AMQP and timeout errors alike
            logger.warning("RabbitMQ does not answer: no job is enqueued until it does")

    async def kick(self, message: BrokerMessage) -> None:
        if self.write_channel is None:
            await super().startup()
        await super().kick(message)

    async def ping(self) -> None:
        if self.write_conn is None or self.write_conn.is_closed:
            raise ConnectionError("not connected to RabbitMQ")

    async def depth(self) -> int:
        if self.write_channel is None:
            raise ConnectionError("not connected to RabbitMQ")
        queue = await self.write_channel.declare_queue(self.queue_name, passive=True)
        return int(queue.declaration_result.message_count or 0)

    async def record_failure(self, message: TaskiqMessage, error: BaseException) -> None:
        if self.write_channel is None:
            raise ConnectionError("not connected to RabbitMQ")
        body = {
            "task_name": message.task_name,
            "task_id": message.task_id,
            "args": message.args,
            "kwargs": message.kwargs,
            "error": repr(error),
            "failed_at": datetime.now(UTC).isoformat(),
        }
        await self.write_channel.default_exchange.publish(
            Message(
                json.dumps(body, default=str).encode(),
                content_type="application/json",
                delivery_mode=DeliveryMode.PERSISTENT,
            ),
            routing_key=self.failed_queue,
        )


def build_queue(settings: Settings) -> RabbitJobQueue:
    return RabbitJobQueue(
        settings.broker_url.get_secret_value(),
        queue_name=settings.jobs_queue,
        prefetch=settings.jobs_concurrency,
    )
