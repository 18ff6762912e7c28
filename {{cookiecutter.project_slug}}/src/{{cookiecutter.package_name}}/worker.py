"""The job worker: `python -m {{ cookiecutter.package_name }}.worker`.

One process that opens the service's resources through the same lifespan as the web app
(settings, logging, database, the shared HTTP client, every extension), takes jobs from the queue,
and answers its own probes on `jobs_worker_port`: /health/live, /health/ready{% if cookiecutter.metrics %} and /metrics{% endif %}.
uvicorn runs it, so SIGTERM stops it gracefully: no new job is taken, the running ones get
`jobs_shutdown_grace` seconds to finish, and any still running then is cancelled unacknowledged,
for another worker to run again.
"""

import asyncio
{%- if cookiecutter.metrics %}
import contextlib
{%- endif %}
import logging
from collections.abc import AsyncIterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import AsyncExitStack, asynccontextmanager
from typing import Any

import httpx2
import uvicorn
from fastapi import APIRouter, FastAPI
{%- if cookiecutter.metrics %}
from prometheus_client import Gauge
{%- endif %}
from taskiq import TaskiqMiddleware
from taskiq.acks import AcknowledgeType
from taskiq.message import TaskiqMessage
from taskiq.receiver import Receiver
from taskiq.result import TaskiqResult

from {{ cookiecutter.package_name }}.errors import (
    EXCEPTION_HANDLERS,
    ServiceUnavailableError,
    problem_response,
)
{%- if cookiecutter.broker != "none" %}
from {{ cookiecutter.package_name }}.events.extension import EventsExtension
{%- endif %}
from {{ cookiecutter.package_name }}.extension import Extension, Extensions
from {{ cookiecutter.package_name }}.features import default_extensions
from {{ cookiecutter.package_name }}.health.router import HealthStatus, ready
from {{ cookiecutter.package_name }}.infra.http import open_transport
from {{ cookiecutter.package_name }}.jobs.extension import JobsExtension
from {{ cookiecutter.package_name }}.jobs.queue import JobQueue
from {{ cookiecutter.package_name }}.observability.logging_config import configure_logging
{%- if cookiecutter.metrics %}
from {{ cookiecutter.package_name }}.observability.metrics import Metrics
{%- endif %}
from {{ cookiecutter.package_name }}.resources import open_resources
from {{ cookiecutter.package_name }}.settings import Settings

logger = logging.getLogger(__name__)

# After the queue fails (a server restart), wait this long before listening again.
RELISTEN_DELAY = 1.0
{%- if cookiecutter.metrics %}
# How often the worker reads the queue's depth for /metrics.
DEPTH_INTERVAL = 5.0
{%- endif %}


class InFlight(TaskiqMiddleware):
    """Keeps the task running each job, so that shutdown can cancel those the grace outlived."""

    def __init__(self) -> None:
        super().__init__()
        self.tasks: set[asyncio.Task[Any]] = set()

    def pre_execute(self, message: TaskiqMessage) -> TaskiqMessage:
        task = asyncio.current_task()
        if task is not None:
            self.tasks.add(task)
            task.add_done_callback(self.tasks.discard)
        return message

    def post_execute(self, message: TaskiqMessage, result: TaskiqResult[Any]) -> None:
        """Nothing: the task leaves the set when it ends."""

    async def cancel(self) -> None:
        for task in self.tasks:
            task.cancel()
        await asyncio.gather(*self.tasks, return_exceptions=True)


class Consumer:
    """Takes jobs from the queue until stopped, listening again whenever the queue fails."""

    def __init__(self, queue: JobQueue, settings: Settings) -> None:
        self.queue, self.settings = queue, settings
        self.in_flight = InFlight()
        queue.add_middlewares(self.in_flight)
        self.stop = asyncio.Event()
        self.task: asyncio.Task[None] | None = None

    @property
    def alive(self) -> bool:
        return self.task is not None and not self.task.done()

    async def _run(self) -> None:
        with ThreadPoolExecutor(max_workers=1) as executor:  # the jobs are async: unused
            while not self.stop.is_set():
                receiver = Receiver(
                    broker=self.queue,
                    executor=executor,
                    max_async_tasks=self.settings.jobs_concurrency,
                    # Acknowledged once the job has run (or been sent again to retry it).
                    ack_type=AcknowledgeType.WHEN_EXECUTED,
                    wait_tasks_timeout=self.settings.jobs_shutdown_grace,
                )
                try:
                    await receiver.listen(self.stop)
                except Exception:
                    logger.warning("lost the job queue; listening again", exc_info=True)
                    await asyncio.sleep(RELISTEN_DELAY)

    @asynccontextmanager
    async def running(self) -> AsyncIterator[None]:
        self.task = asyncio.create_task(self._run())
        try:
            yield
        finally:
            self.stop.set()
            await self.task
            if self.in_flight.tasks:
                logger.warning(
                    "%s jobs outlived the shutdown grace: cancelled, to run again elsewhere",
                    len(self.in_flight.tasks),
                )
            await self.in_flight.cancel()
{%- if cookiecutter.metrics %}


async def watch_depth(queue: JobQueue, metrics: Metrics) -> None:
    """Keep the queue-depth gauge current: reading it is a query, too slow for a scrape."""
    depth = Gauge(
        "jobs_queue_depth",
        "Jobs waiting in the queue, as the worker last read it.",
        registry=metrics.registry,
        multiprocess_mode="mostrecent",
    )
    while True:
        try:
            depth.set(await queue.depth())
        except Exception:  # the probes report the queue; the gauge keeps its last value
            logger.debug("could not read the queue's depth", exc_info=True)
        await asyncio.sleep(DEPTH_INTERVAL)


async def cancel(task: asyncio.Task[None]) -> None:
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task
{%- endif %}


def worker_extensions() -> list[Extension]:
    """The optional parts the worker runs: features.py's list{% if cookiecutter.broker != "none" %}, less the broker's. The API's
    processes own it: a relay here would publish the outbox a second time (SQLite has no row
    locks to stop it), and a consumer here would compete for the API's messages{% endif %}."""
{%- if cookiecutter.broker != "none" %}
    return [part for part in default_extensions() if not isinstance(part, EventsExtension)]
{%- else %}
    return default_extensions()
{%- endif %}


def create_worker_app(
    settings: Settings | None = None,
    *,
    http_transport: httpx2.AsyncBaseTransport | None = None,
    extensions: Sequence[Extension] | None = None,
) -> FastAPI:
    """The worker, as an ASGI app whose lifespan consumes jobs and whose routes are its probes.
    The arguments are create_app's; `extensions` must include a JobsExtension."""
    settings = settings or Settings()
    parts = Extensions(worker_extensions() if extensions is None else extensions)
    configure_logging(settings, *parts.log_filters())
    jobs = parts.get(JobsExtension)
    jobs.worker = True
    consumer: Consumer | None = None

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        nonlocal consumer
        async with AsyncExitStack() as stack:
            network = http_transport or await open_transport(settings)
            resources = await open_resources(stack, settings, parts, network)
            await stack.enter_async_context(parts.lifespan(resources))
            app.state.resources = resources
            consumer = Consumer(jobs.queue, settings)
{%- if cookiecutter.metrics %}
            if jobs.metrics is not None:
                watcher = asyncio.create_task(watch_depth(jobs.queue, jobs.metrics))
                stack.push_async_callback(cancel, watcher)
{%- endif %}
            await stack.enter_async_context(consumer.running())
            yield

    router = APIRouter(prefix="/health", tags=["health"])

    @router.get("/live", responses={503: problem_response("The worker no longer takes jobs")})
    async def live() -> HealthStatus:
        if consumer is None or not consumer.alive:
            raise ServiceUnavailableError("The worker no longer takes jobs.")
        return HealthStatus()

    router.add_api_route(
        "/ready", ready, responses={503: problem_response("A dependency does not answer")}
    )
    # Its probes{% if cookiecutter.metrics %} and metrics{% endif %} only: the extensions' routes belong to the web app.
    app = FastAPI(
        title="{{ cookiecutter.project_name }} worker",
        lifespan=lifespan,
        openapi_url=None,
        exception_handlers=EXCEPTION_HANDLERS,
    )
    app.include_router(router)
{%- if cookiecutter.metrics %}
    if jobs.metrics is not None:
        app.add_route("/metrics", jobs.metrics.endpoint, include_in_schema=False)
{%- endif %}
    return app


def main() -> None:
    settings = Settings()
    uvicorn.run(
        create_worker_app(settings),
        # Every interface: the orchestrator's probes{% if cookiecutter.metrics %} and the metrics scraper{% endif %} come from outside.
        host="0.0.0.0",  # noqa: S104
        port=settings.jobs_worker_port,
        log_config=None,  # configure_logging has set up the service's own
        access_log=False,
    )


if __name__ == "__main__":
    main()
