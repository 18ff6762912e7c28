"""Jobs plugged into the service: the queue opened with the lifespan (to enqueue, and in the
worker to consume), its readiness probe, and the dependency that enqueues."""

import logging
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from typing import Annotated

from fastapi import Depends

from {{ cookiecutter.package_name }}.extension import Extension
from {{ cookiecutter.package_name }}.health.probes import Probe
from {{ cookiecutter.package_name }}.jobs import broker
from {{ cookiecutter.package_name }}.jobs.delivery import Retries
{%- if cookiecutter.metrics %}
from {{ cookiecutter.package_name }}.jobs.metrics import JobMetrics
{%- endif %}
from {{ cookiecutter.package_name }}.jobs.queue import JobQueue
from {{ cookiecutter.package_name }}.jobs.tasks import enqueue_enrichment, register_jobs
{%- if cookiecutter.metrics %}
from {{ cookiecutter.package_name }}.observability.metrics import Metrics
{%- endif %}
from {{ cookiecutter.package_name }}.resources import Resources, ResourcesDep
from {{ cookiecutter.package_name }}.settings import Settings

logger = logging.getLogger(__name__)


class JobsExtension(Extension):
    """Owns the job queue's client for the app's lifetime. In the worker (`worker=True`) the
    same queue also consumes, and readiness then requires it."""

    def __init__(
        self,
{%- if cookiecutter.metrics %}
        metrics: Metrics | None = None,
{%- endif %}
        *,
        queue: Callable[[Settings], JobQueue] | None = None,
        worker: bool = False,
    ) -> None:
{%- if cookiecutter.metrics %}
        self.metrics = metrics
{%- endif %}
        self.build_queue = queue  # None: the configured server (jobs/broker.py)
        self.worker = worker
        self._queue: JobQueue | None = None

    @property
    def queue(self) -> JobQueue:
        if self._queue is None:
            raise RuntimeError("the job queue is open only while the app's lifespan runs")
        return self._queue

    @asynccontextmanager
    async def lifespan(self, resources: Resources) -> AsyncIterator[None]:
        build = self.build_queue or broker.build_queue
        queue = build(resources.settings)
        queue.add_middlewares(Retries(resources.settings))
{%- if cookiecutter.metrics %}
        if self.metrics is not None:
            queue.add_middlewares(JobMetrics(self.metrics))
{%- endif %}
        register_jobs(queue, resources.settings)
        # The jobs reach the service's resources through taskiq's state (tasks.get_resources).
        queue.state.resources = resources
        queue.is_worker_process = self.worker
        await queue.startup()
        self._queue = queue
        try:
            yield
        finally:
            self._queue = None
            await queue.shutdown()

    def probes(self) -> Sequence[Probe]:
        # The web process serves without the queue (a missed enqueue is swept up later); the
        # worker has nothing to do without it.
        return [Probe("job queue", self._ping, required=self.worker)]

    async def _ping(self) -> None:
        await self.queue.ping()

    async def enrich_later(self, item_id: int) -> None:
        """Enqueue the item's enrichment. A queue that is down does not fail the caller: the
        scheduled sweep enqueues what was missed."""
        try:
            await enqueue_enrichment(self.queue, item_id)
        except Exception:
            logger.warning("could not enqueue the enrichment of item %s", item_id, exc_info=True)


async def get_jobs(resources: ResourcesDep) -> JobsExtension:
    return resources.extensions.get(JobsExtension)


JobsDep = Annotated[JobsExtension, Depends(get_jobs)]
