"""Fixtures: the real app with its lifespan, {% if cookiecutter.database != "none" %}a real migrated database, {% endif %}a fake upstream."""

from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx2
import pytest
from blockbuster import BlockBuster, blockbuster_ctx

from {{ cookiecutter.package_name }}.app import create_app
from {{ cookiecutter.package_name }}.settings import Settings
from tests.asgi import serving
from tests.fakes import UPSTREAM, FakeUpstream
{%- if cookiecutter.jobs == "taskiq" %}
from tests.jobs import HeldJobQueue
{%- endif %}

{% if cookiecutter.database != "none" -%}
pytest_plugins = ["tests.loop_stalls", "tests.slow", "tests.database"]
{%- else -%}
pytest_plugins = ["tests.loop_stalls", "tests.slow"]
{%- endif %}

TEST_SETTINGS: dict[str, Any] = {
    "quotes_url": UPSTREAM,
    # The host the test clients send (base_url "http://test").
    "trusted_hosts": ["test"],
    # Retries really wait, but briefly.
    "http_retry_max_delay": 0.01,
}


@pytest.fixture(autouse=True)
def blockbuster() -> Iterator[BlockBuster]:
    """Fail any test in which the event loop runs a blocking call, however deep it hides."""
    with blockbuster_ctx() as bb:
        yield bb


{% if cookiecutter.jobs == "taskiq" -%}
@pytest.fixture(autouse=True)
def held_jobs(monkeypatch: pytest.MonkeyPatch) -> None:
    """Apps built in a test enqueue into a queue that keeps the jobs and runs none, rather than
    into the real server; tests/test_jobs.py and tests/test_worker.py run them."""
    target = "{{ cookiecutter.package_name }}.jobs.broker.build_queue"
    monkeypatch.setattr(target, lambda settings: HeldJobQueue())


{% endif -%}
@pytest.fixture
def changes() -> dict[str, Any]:
    """Settings a test changes, by parametrizing `changes`; the app is still built by fixtures,
    outside the test's own run, which the loop-stall check measures."""
    return {}


@pytest.fixture
{%- if cookiecutter.database != "none" %}
def settings(database_url: str, changes: dict[str, Any]) -> Settings:
    # _env_file=None: a developer's .env must not leak into the tests.
    return Settings(
        _env_file=None,
        environment="test",
        database_url=database_url,
        **{**TEST_SETTINGS, **changes},
    )
{%- else %}
def settings(changes: dict[str, Any]) -> Settings:
    # _env_file=None: a developer's .env must not leak into the tests.
    return Settings(_env_file=None, environment="test", **{**TEST_SETTINGS, **changes})
{%- endif %}


@pytest.fixture
def upstream() -> FakeUpstream:
    return FakeUpstream()


@pytest.fixture
async def client(settings: Settings, upstream: FakeUpstream) -> AsyncIterator[httpx2.AsyncClient]:
    app = create_app(settings, http_transport=httpx2.MockTransport(upstream))
    async with serving(app) as client:
        yield client
