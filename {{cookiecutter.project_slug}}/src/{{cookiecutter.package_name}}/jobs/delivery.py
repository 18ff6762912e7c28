"""A failed job is tried again after a growing wait, a bounded number of times; one that runs
out of attempts is logged, counted and kept in the queue's failed store."""

import asyncio
import logging
import random
from typing import Any

from taskiq import SmartRetryMiddleware
from taskiq.exceptions import NoResultError
from taskiq.kicker import AsyncKicker
from taskiq.message import TaskiqMessage
from taskiq.result import TaskiqResult

from {{ cookiecutter.package_name }}.jobs.queue import JobQueue
from {{ cookiecutter.package_name }}.settings import Settings

logger = logging.getLogger(__name__)


class Retries(SmartRetryMiddleware):
    """taskiq's retry middleware with full-jitter exponential backoff, waited out in the worker
    (Redis streams cannot delay a message), and a record of each job that failed for good."""

    def __init__(self, settings: Settings) -> None:
        super().__init__(
            default_retry_count=settings.jobs_max_attempts,
            default_retry_label=True,
            no_result_on_retry=True,
        )
        self.base_delay = settings.jobs_retry_base_delay
        self.max_delay = settings.jobs_retry_max_delay

    def make_delay(self, message: TaskiqMessage, retries: int) -> float:
        """A random wait up to base * 2**(retries - 1), capped: failing jobs spread out."""
        return random.uniform(0, min(self.max_delay, self.base_delay * 2 ** (retries - 1)))  # noqa: S311

    async def on_send(
        self, kicker: AsyncKicker[Any, Any], message: TaskiqMessage, delay: float
    ) -> None:
        # The failed delivery is acknowledged only after this, so the job is never lost; the
        # wait holds one of the worker's job slots.
        await asyncio.sleep(delay)
        await kicker.kiq(*message.args, **message.kwargs)

    async def on_error(
        self, message: TaskiqMessage, result: TaskiqResult[Any], exception: BaseException
    ) -> None:
        await super().on_error(message, result, exception)
        if isinstance(result.error, NoResultError):
            return  # sent again
        logger.error(
            "job %s failed for good after %s attempts: %r",
            message.task_name,
            int(message.labels.get("_retries", 0)) + 1,
            exception,
            extra={"task_id": message.task_id, "task_name": message.task_name},
        )
        if isinstance(self.broker, JobQueue):
            await self.broker.record_failure(message, exception)
