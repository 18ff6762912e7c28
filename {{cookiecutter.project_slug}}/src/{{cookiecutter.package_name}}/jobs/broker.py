"""Jobs on a Redis stream: a consumer group hands each job to one worker, which acknowledges it
once the job has run; a job a dead worker held goes to another after `jobs_redelivery_after`."""

import json
from collections.abc import AsyncGenerator
from datetime import UTC, datetime
from typing import Any

from redis.asyncio import Redis
from redis.utils import get_lib_version
from taskiq import AckableMessage, AsyncBroker
from taskiq.message import TaskiqMessage
from taskiq_redis import RedisStreamBroker

from {{ cookiecutter.package_name }}.jobs.queue import JobQueue
from {{ cookiecutter.package_name }}.settings import Settings

# Failed jobs kept for reading (XRANGE <queue>.failed - +); older ones are trimmed.
FAILED_KEPT = 10_000
# Seconds a worker's read waits on Redis for new jobs before it looks for abandoned ones again;
# its socket waits that long on top of `redis_socket_timeout`.
READ_BLOCK = 1.0

# redis-py reads its version from the installed metadata (files) when it opens its first
# connection, and caches it: read it here, at import, not on the event loop.
get_lib_version()


class RedisJobQueue(RedisStreamBroker, JobQueue):
    """taskiq-redis's stream broker, except that it looks for jobs a dead worker held on every
    turn, not only after a read that brought new ones (1.2.4): an idle queue must redeliver too."""

    @property
    def failed_stream(self) -> str:
        return f"{self.queue_name}.failed"

    async def startup(self) -> None:
        """Workers declare the consumer group; a process that only enqueues needs no round trip
        to start, and serves while Redis is down."""
        if self.is_worker_process:
            await super().startup()
        else:
            await AsyncBroker.startup(self)

    async def listen(self) -> AsyncGenerator[AckableMessage]:
        async with Redis(connection_pool=self.connection_pool) as redis:
            while True:
                # XAUTOCLAIM is atomic: two workers claiming at once get different jobs.
                _, claimed, _ = await redis.xautoclaim(
                    self.queue_name,
                    self.consumer_group_name,
                    self.consumer_name,
                    min_idle_time=self.idle_timeout,
                    count=self.unacknowledged_batch_size,
                )
                fetched: Any = await redis.xreadgroup(
                    self.consumer_group_name,
                    self.consumer_name,
                    {self.queue_name: ">"},
                    block=None if claimed else self.block,
                    count=self.count,
                )
                entries = [*claimed, *(entry for _, batch in fetched or [] for entry in batch)]
                for entry_id, fields in entries:
                    if fields:  # None: trimmed from the stream while it was pending
                        yield AckableMessage(
                            data=fields[b"data"],
                            ack=self._ack_generator(id=entry_id, queue_name=self.queue_name),
                        )

    async def ping(self) -> None:
        async with Redis(connection_pool=self.connection_pool) as redis:
            await redis.ping()

{%- if cookiecutter.metrics %}

    async def depth(self) -> int:
        """Entries not yet handed to any worker."""
        async with Redis(connection_pool=self.connection_pool) as redis:
            groups = await redis.xinfo_groups(self.queue_name)
        for group in groups:
            if group["name"].decode() == self.consumer_group_name:
                return int(group.get("lag") or 0)
        return 0
{%- endif %}

    async def record_failure(self, message: TaskiqMessage, error: BaseException) -> None:
        entry = {
            "task_name": message.task_name,
            "task_id": message.task_id,
            "args": json.dumps(message.args, default=str),
            "kwargs": json.dumps(message.kwargs, default=str),
            "error": repr(error),
            "failed_at": datetime.now(UTC).isoformat(),
        }
        async with Redis(connection_pool=self.connection_pool) as redis:
            await redis.xadd(self.failed_stream, entry, maxlen=FAILED_KEPT, approximate=True)  # type: ignore[arg-type]


def build_queue(settings: Settings) -> RedisJobQueue:
    return RedisJobQueue(
        settings.redis_url.get_secret_value(),
        queue_name=settings.jobs_queue,
        consumer_group_name="workers",
        # A group created after jobs were enqueued (the first worker ever) still gets them all.
        consumer_id="0",
        max_connection_pool_size=settings.redis_max_connections,
        idle_timeout=int(settings.jobs_redelivery_after * 1000),
        xread_count=settings.jobs_concurrency,
        xread_block=int(READ_BLOCK * 1000),
        socket_connect_timeout=settings.redis_socket_connect_timeout,
        socket_timeout=settings.redis_socket_timeout + READ_BLOCK,
    )
