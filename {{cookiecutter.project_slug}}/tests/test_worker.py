"""The worker as a real process on the real queue server, fed by the service under real uvicorn:
what `python -m {{ cookiecutter.package_name }}.worker` and `fastapi run` do in production.

The tests that drive other processes are synchronous and marked slow; the last runs the API
and the worker in this process, on the same real server.
"""

import asyncio
import secrets
import signal
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx2
import pytest
from pydantic import SecretStr
from redis import Redis

from {{ cookiecutter.package_name }}.app import create_app
{%- if cookiecutter.broker != "none" %}
from {{ cookiecutter.package_name }}.events.extension import EventsExtension
{%- endif %}
from {{ cookiecutter.package_name }}.jobs.broker import build_queue
from {{ cookiecutter.package_name }}.jobs.extension import JobsExtension
from {{ cookiecutter.package_name }}.settings import Settings
from {{ cookiecutter.package_name }}.worker import create_worker_app{% if cookiecutter.broker != "none" %}, worker_extensions{% endif %}
from tests.asgi import serving
from tests.fakes import FakeUpstream
{%- if cookiecutter.auth == "jwt" %}
from tests.identity import AUDIENCE, IdentityServer, mint
{%- endif %}
from tests.jobs import QUOTE, ScriptedUpstream, parts, run_worker, wait_until
from tests.server import PREFIX, serve, service_env


def forget(url: str, queue: str) -> None:
    with Redis.from_url(url, socket_connect_timeout=3) as redis:
        redis.delete(queue, f"{queue}.failed")


@pytest.fixture
def queue(redis_url: str) -> Iterator[str]:
    """A queue of this test's own on the tests' Redis (tests/redis_server.py), removed
    afterwards."""
    name = f"{{ cookiecutter.package_name }}.test.{secrets.token_hex(6)}"
    yield name
    forget(redis_url, name)


@pytest.fixture
def changes(queue: str) -> dict[str, Any]:
    return {"jobs_queue": queue}


{% if cookiecutter.auth == "jwt" -%}
@pytest.fixture
def headers(identity_server: IdentityServer) -> dict[str, str]:
    """What the test's own requests to the API carry: a token the API accepts."""
    return {"Authorization": f"Bearer {mint(issuer=identity_server.issuer)}"}


@pytest.fixture
def env(settings: Settings, queue: str, identity_server: IdentityServer) -> dict[str, str]:
    """What both processes need to find the test's database and queue, and whose tokens the
    API accepts."""
{%- else -%}
@pytest.fixture
def headers() -> dict[str, str]:
    """What the test's own requests to the API carry: nothing more."""
    return {}


@pytest.fixture
def env(settings: Settings, queue: str) -> dict[str, str]:
    """What both processes need to find the test's database and queue."""
{%- endif %}
    secret = {name: value for name, value in settings if isinstance(value, SecretStr)}
    return service_env(
        **{name: value.get_secret_value() for name, value in secret.items()},
{%- if cookiecutter.auth == "jwt" %}
        auth_issuer=identity_server.issuer,
        auth_audience=AUDIENCE,
{%- endif %}
        jobs_queue=queue,
{%- if cookiecutter.cache == "redis" %}
        redis_key_prefix=settings.redis_key_prefix,
{%- endif %}
        jobs_retry_base_delay="0.05",
        jobs_redelivery_after="1",
        jobs_shutdown_grace="10",
        # Each job run makes one call: the upstream's answers are the test's script.
        http_retry_attempts="1",
        log_format="console",
    )


def create_item(url: str, headers: dict[str, str]) -> int:
    body = {"name": "gear"}
    response = httpx2.post(f"{url}/api/v1/items", json=body, headers=headers, timeout=10)
    assert response.status_code == 201, response.text
    item_id: int = response.json()["id"]
    return item_id


def quote_of(url: str, item_id: int, headers: dict[str, str]) -> str | None:
    response = httpx2.get(f"{url}/api/v1/items/{item_id}", headers=headers, timeout=10)
    assert response.status_code == 200, response.text
    quote: str | None = response.json()["quote"]
    return quote


def enriched(url: str, item_id: int, headers: dict[str, str]) -> str:
    wait_until(lambda: quote_of(url, item_id, headers) is not None, "the item was not enriched")
    return quote_of(url, item_id, headers) or ""


@pytest.mark.slow
@pytest.mark.server
def test_an_item_created_through_the_api_is_enriched_by_the_worker(
    env: dict[str, str], headers: dict[str, str], tmp_path: Path
) -> None:
    with ScriptedUpstream() as upstream:
        env = {**env, f"{PREFIX}QUOTES_URL": upstream.url}
        with serve(env, tmp_path) as api, run_worker(env, tmp_path) as worker:
            item_id = create_item(api.url, headers)
            assert enriched(api.url, item_id, headers) == "Quote 1 (Aesop)"
            live = httpx2.get(f"{worker.url}/health/live", timeout=5)
{%- if cookiecutter.metrics %}
            metrics = httpx2.get(f"{worker.url}/metrics", timeout=5).text
{%- endif %}
    assert live.status_code == 200
{%- if cookiecutter.metrics %}
    assert 'jobs_finished_total{outcome="succeeded",task="enrich_item"} 1.0' in metrics
    assert "jobs_queue_depth " in metrics
{%- endif %}


@pytest.mark.slow
@pytest.mark.server
def test_a_job_that_fails_twice_then_succeeds_is_done_on_the_third_run(
    env: dict[str, str], headers: dict[str, str], tmp_path: Path
) -> None:
    with ScriptedUpstream(503, 503) as upstream:
        env = {**env, f"{PREFIX}QUOTES_URL": upstream.url}
        with serve(env, tmp_path) as api, run_worker(env, tmp_path):
            item_id = create_item(api.url, headers)
            assert enriched(api.url, item_id, headers) == "Quote 3 (Aesop)"
    assert upstream.calls == 3


@pytest.mark.slow
@pytest.mark.server
def test_a_worker_killed_during_a_job_leaves_it_to_the_next_which_does_it_once(
    env: dict[str, str], headers: dict[str, str], tmp_path: Path
) -> None:
    with ScriptedUpstream(first_call_takes=60) as upstream:
        env = {**env, f"{PREFIX}QUOTES_URL": upstream.url}
        with serve(env, tmp_path) as api:
            with run_worker(env, tmp_path) as first:
                item_id = create_item(api.url, headers)
                upstream.wait_for_calls(1)  # the job is running, its call held
                first.process.send_signal(signal.SIGKILL)
                first.process.communicate()
            assert quote_of(api.url, item_id, headers) is None
            with run_worker(env, tmp_path):
                # The unacknowledged job runs again; its first run left nothing behind.
                assert enriched(api.url, item_id, headers) == "Quote 2 (Aesop)"
    assert upstream.calls == 2


@pytest.mark.slow
@pytest.mark.server
def test_sigterm_lets_the_running_job_finish_before_the_worker_exits(
    env: dict[str, str], headers: dict[str, str], tmp_path: Path
) -> None:
    with ScriptedUpstream(first_call_takes=1) as upstream:
        env = {**env, f"{PREFIX}QUOTES_URL": upstream.url}
        with serve(env, tmp_path) as api, run_worker(env, tmp_path) as worker:
            item_id = create_item(api.url, headers)
            upstream.wait_for_calls(1)  # the job is running
            worker.process.terminate()
            output, _ = worker.process.communicate(timeout=30)
            assert worker.process.returncode in (0, -signal.SIGTERM), output
            # It finished its job before it exited, within the grace period.
            assert quote_of(api.url, item_id, headers) == "Quote 1 (Aesop)", output
    assert upstream.calls == 1


async def test_the_worker_runs_a_job_in_process_without_blocking_its_loop(
    settings: Settings, upstream: FakeUpstream
) -> None:
    """The API and the worker in this process, on the real server, with blockbuster watching
    the loop both share."""
    upstream.handler = lambda request: httpx2.Response(200, json=QUOTE)
    transport = httpx2.MockTransport(upstream)
    real = build_queue  # imported before the test replaced it with a held queue
    api = create_app(
        settings, http_transport=transport, extensions=parts(JobsExtension(queue=real))
    )
    worker = create_worker_app(
        settings, http_transport=transport, extensions=parts(JobsExtension(queue=real))
    )
    async with serving(api) as client, serving(worker) as probes:
        response = await client.post("/api/v1/items", json={"name": "gear"})
        assert response.status_code == 201, response.text
        item_url = f"/api/v1/items/{response.json()['id']}"
        for _ in range(600):
            if (await client.get(item_url)).json()["quote"] is not None:
                break
            await asyncio.sleep(0.05)
        assert (await client.get(item_url)).json()["quote"] == "Slow and steady. (Aesop)"
        assert (await probes.get("/health/live")).status_code == 200
        assert (await probes.get("/health/ready")).json() == {"status": "ok", "degraded": []}
        # The worker serves its probes{% if cookiecutter.metrics %} and metrics{% endif %}, none of the API's or the extensions' routes.
        for path in ("/api/v1/quotes/today", item_url{% if cookiecutter.auth == "jwt" %}, "/api/v1/me"{% endif %}, "/docs"):
            assert (await probes.get(path)).status_code == 404, path
{%- if cookiecutter.broker != "none" %}


def test_the_worker_leaves_the_broker_to_the_api() -> None:
    # One relay and one consumer per service, in the API: the worker runs jobs only.
    parts = worker_extensions()
    assert any(isinstance(part, JobsExtension) for part in parts)
    assert not any(isinstance(part, EventsExtension) for part in parts)
{%- endif %}
