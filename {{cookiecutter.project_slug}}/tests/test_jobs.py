"""Jobs, run in this process on taskiq's in-memory broker: enqueued after the commit, run on the
service's own resources, retried, recorded when they fail for good, and safe to run twice."""

import asyncio
import os
import signal
import subprocess
import sys
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx2
import pytest
from pydantic import ValidationError
from sqlalchemy import update
from taskiq.schedule_sources import LabelScheduleSource

from {{ cookiecutter.package_name }} import scheduler
from {{ cookiecutter.package_name }}.app import create_app
from {{ cookiecutter.package_name }}.items.models import Item
from {{ cookiecutter.package_name }}.jobs.extension import JobsExtension
from {{ cookiecutter.package_name }}.jobs.tasks import ENRICH_ITEM, ENRICH_MISSED_ITEMS, register_jobs
{%- if cookiecutter.metrics %}
from {{ cookiecutter.package_name }}.observability.metrics import Metrics
{%- endif %}
from {{ cookiecutter.package_name }}.resources import Resources
from {{ cookiecutter.package_name }}.settings import Settings
from tests.asgi import serving
from tests.fakes import FakeUpstream
from tests.jobs import FAST_RETRIES, QUOTE, InMemoryJobQueue, parts
from tests.log_capture import capture_log

ENRICHED = f"{QUOTE['text']} ({QUOTE['author']})"


@pytest.fixture
def changes() -> dict[str, Any]:
    return FAST_RETRIES


@pytest.fixture
def queue() -> InMemoryJobQueue:
    return InMemoryJobQueue()


@pytest.fixture
def jobs(queue: InMemoryJobQueue) -> JobsExtension:
    return JobsExtension(queue=lambda settings: queue)


def answers(*statuses: int) -> Iterator[httpx2.Response]:
    for status in statuses:
        yield httpx2.Response(status, json=QUOTE)


@pytest.fixture
async def client(
    settings: Settings, upstream: FakeUpstream, jobs: JobsExtension
) -> AsyncIterator[httpx2.AsyncClient]:
    upstream.handler = lambda request: httpx2.Response(200, json=QUOTE)
    transport = httpx2.MockTransport(upstream)
    app = create_app(settings, http_transport=transport, extensions=parts(jobs))
    async with serving(app) as client:
        yield client


async def create(client: httpx2.AsyncClient, name: str = "gear") -> dict[str, Any]:
    response = await client.post("/api/v1/items", json={"name": name})
    assert response.status_code == 201, response.text
    item: dict[str, Any] = response.json()
    return item


async def test_a_new_item_is_enriched_by_a_job(
    client: httpx2.AsyncClient, queue: InMemoryJobQueue, upstream: FakeUpstream
) -> None:
    item = await create(client)
    assert item["quote"] is None  # the response does not wait for the job
    await queue.settle()
    stored = (await client.get(f"/api/v1/items/{item['id']}")).json()
    assert stored["quote"] == ENRICHED
    assert [str(request.url) for request in upstream.requests] == ["http://quotes.test/today"]


async def test_running_the_job_twice_changes_nothing_the_first_run_did(
    client: httpx2.AsyncClient, queue: InMemoryJobQueue, upstream: FakeUpstream, jobs: JobsExtension
) -> None:
    item = await create(client)
    await queue.settle()
    upstream.handler = lambda request: httpx2.Response(200, json={"text": "Other", "author": "B"})
    await queue.find_task(ENRICH_ITEM).kiq(item["id"])  # type: ignore[union-attr]
    await queue.settle()
    stored = (await client.get(f"/api/v1/items/{item['id']}")).json()
    assert stored["quote"] == ENRICHED


async def test_a_job_that_fails_twice_then_succeeds_is_retried(
    client: httpx2.AsyncClient, queue: InMemoryJobQueue, upstream: FakeUpstream
) -> None:
    statuses = answers(503, 503, 200)
    upstream.handler = lambda request: next(statuses)
    # The shared client retries idempotent calls itself; each job run counts here as one.
    item = await create(client)
    await queue.settle()
    stored = (await client.get(f"/api/v1/items/{item['id']}")).json()
    assert stored["quote"] == ENRICHED
    assert queue.failures == []


@pytest.mark.parametrize("changes", [{**FAST_RETRIES, "http_retry_attempts": 1}])
async def test_a_job_that_keeps_failing_is_recorded_and_logged(
    client: httpx2.AsyncClient, queue: InMemoryJobQueue, upstream: FakeUpstream
) -> None:
    upstream.handler = lambda request: httpx2.Response(503)
    with capture_log() as log:
        item = await create(client)
        await queue.settle()
    assert len(upstream.requests) == FAST_RETRIES["jobs_max_attempts"]
    [(message, error)] = queue.failures
    assert (message.task_name, message.args) == (ENRICH_ITEM, [item["id"]])
    assert "503" in str(error)
    assert "job enrich_item failed for good after 3 attempts" in log.text()
    stored = (await client.get(f"/api/v1/items/{item['id']}")).json()
    assert stored["quote"] is None


async def test_a_queue_that_is_down_does_not_fail_the_request(
    client: httpx2.AsyncClient, queue: InMemoryJobQueue
) -> None:
    queue.down = True
    with capture_log() as log:
        item = await create(client)
    assert "could not enqueue the enrichment of item" in log.text()
    ready = await client.get("/health/ready")
    assert ready.status_code == 200
    assert ready.json() == {"status": "degraded", "degraded": ["job queue"]}
    assert item["quote"] is None


async def test_the_sweep_enqueues_what_a_lost_enqueue_left_behind(
    client: httpx2.AsyncClient, queue: InMemoryJobQueue, jobs: JobsExtension
) -> None:
    queue.down = True
    old = await create(client, "old")
    queue.down = False
    young = await create(client, "young")
    await queue.settle()
    resources: Resources = queue.state.resources
    # The lost enqueue happened long enough ago for the sweep to take the item up.
    async with resources.database.sessions() as session:
        await session.execute(
            update(Item)
            .where(Item.id == old["id"])
            .values(created_at=datetime.now(UTC) - timedelta(hours=1))
        )
        await session.commit()
    await queue.find_task(ENRICH_MISSED_ITEMS).kiq()  # type: ignore[union-attr]
    await queue.settle()
    for item in (old, young):
        stored = (await client.get(f"/api/v1/items/{item['id']}")).json()
        assert stored["quote"] == ENRICHED
{%- if cookiecutter.metrics %}


async def test_jobs_are_counted(settings: Settings, upstream: FakeUpstream) -> None:
    statuses = answers(503, 200)
    upstream.handler = lambda request: next(statuses)
    queue = InMemoryJobQueue()
    metrics = Metrics()
    jobs = JobsExtension(metrics, queue=lambda settings: queue)
    app = create_app(
        settings.model_copy(update={"http_retry_attempts": 1}),
        http_transport=httpx2.MockTransport(upstream),
        extensions=parts(jobs),
    )
    async with serving(app) as client:
        await create(client)
        await queue.settle()
    text = metrics.render().decode()
    assert 'jobs_enqueued_total{task="enrich_item"} 2.0' in text  # the job, and its retry
    assert 'jobs_started_total{task="enrich_item"} 2.0' in text
    assert 'jobs_finished_total{outcome="retried",task="enrich_item"} 1.0' in text
    assert 'jobs_finished_total{outcome="succeeded",task="enrich_item"} 1.0' in text
    assert 'job_duration_seconds_count{task="enrich_item"} 2.0' in text
{%- endif %}


BANNED = {
    "celery": "from celery import Celery\n\napp = Celery()\n",
    "sync redis": "import redis\n\nclient = redis.Redis()\n",
}


@pytest.mark.parametrize("source", BANNED.values(), ids=BANNED.keys())
def test_lint_refuses_a_synchronous_queue_client(source: str) -> None:
    # Checked as if it were a module of the service, with the project's own configuration.
    planted = "src/{{ cookiecutter.package_name }}/planted.py"
    result = subprocess.run(  # noqa: S603 (our own interpreter and arguments)
        [sys.executable, "-m", "ruff", "check", "--no-cache", "--stdin-filename", planted, "-"],
        input=source,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 1, result.stdout
    assert "TID251" in result.stdout


async def test_the_scheduler_reads_the_sweep_and_its_cron_from_the_settings(
    settings: Settings, queue: InMemoryJobQueue
) -> None:
    register_jobs(queue, settings.model_copy(update={"jobs_sweep_cron": "7 * * * *"}))
    source = LabelScheduleSource(queue)
    await source.startup()
    [schedule] = await source.get_schedules()
    assert (schedule.task_name, schedule.cron) == (ENRICH_MISSED_ITEMS, "7 * * * *")


@pytest.mark.parametrize("cron", ["every five minutes", "*/5 * * *", "*/5 * * * * *"])
def test_a_sweep_cron_the_scheduler_cannot_read_is_refused_at_start(cron: str) -> None:
    with pytest.raises(ValidationError, match="is not a cron expression of five fields"):
        Settings(_env_file=None, jobs_sweep_cron=cron)


async def test_the_scheduler_stops_on_sigterm(settings: Settings) -> None:
    running = asyncio.create_task(scheduler.run(settings))
    await asyncio.sleep(0)  # run() has set its signal handlers and waits on the schedule
    os.kill(os.getpid(), signal.SIGTERM)
    # A bound only so that a scheduler deaf to SIGTERM fails the test instead of hanging it.
    await asyncio.wait_for(running, timeout=30)
