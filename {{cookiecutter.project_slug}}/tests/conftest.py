"""Fixtures: the real app with its lifespan, {% if cookiecutter.database != "none" %}a real migrated database, {% endif %}a fake upstream."""

from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx2
import pytest
from blockbuster import BlockBuster, blockbuster_ctx

from {{ cookiecutter.package_name }}.app import create_app
{%- if cookiecutter.broker != "none" %}
from {{ cookiecutter.package_name }}.extension import Extension
{%- endif %}
from {{ cookiecutter.package_name }}.settings import Settings
from tests.asgi import serving
from tests.fakes import UPSTREAM, FakeUpstream

{% if cookiecutter.database != "none" and cookiecutter.broker != "none" -%}
pytest_plugins = ["tests.loop_stalls", "tests.slow", "tests.database", "tests.broker"]
{%- elif cookiecutter.database != "none" -%}
pytest_plugins = ["tests.loop_stalls", "tests.slow", "tests.database"]
{%- elif cookiecutter.broker != "none" -%}
pytest_plugins = ["tests.loop_stalls", "tests.slow", "tests.broker"]
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


@pytest.fixture
def changes() -> dict[str, Any]:
    """Settings a test changes, by parametrizing `changes`; the app is still built by fixtures,
    outside the test's own run, which the loop-stall check measures."""
    return {}


@pytest.fixture
{%- if cookiecutter.database != "none" and cookiecutter.broker != "none" %}
def settings(
    database_url: str, broker_settings: dict[str, Any], changes: dict[str, Any]
) -> Settings:
    # _env_file=None: a developer's .env must not leak into the tests.
    return Settings(
        _env_file=None,
        environment="test",
        database_url=database_url,
        **{**TEST_SETTINGS, **broker_settings, **changes},
    )
{%- elif cookiecutter.database != "none" %}
def settings(database_url: str, changes: dict[str, Any]) -> Settings:
    # _env_file=None: a developer's .env must not leak into the tests.
    return Settings(
        _env_file=None,
        environment="test",
        database_url=database_url,
        **{**TEST_SETTINGS, **changes},
    )
{%- elif cookiecutter.broker != "none" %}
def settings(broker_settings: dict[str, Any], changes: dict[str, Any]) -> Settings:
    # _env_file=None: a developer's .env must not leak into the tests.
    return Settings(
        _env_file=None, environment="test", **{**TEST_SETTINGS, **broker_settings, **changes}
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
{%- if cookiecutter.broker != "none" %}
async def client(
    settings: Settings, upstream: FakeUpstream, in_memory_extensions: list[Extension]
) -> AsyncIterator[httpx2.AsyncClient]:
    # Events go to FastStream's in-memory broker; tests taking `broker_server` use the server.
    app = create_app(
        settings, http_transport=httpx2.MockTransport(upstream), extensions=in_memory_extensions
    )
{%- else %}
async def client(settings: Settings, upstream: FakeUpstream) -> AsyncIterator[httpx2.AsyncClient]:
    app = create_app(settings, http_transport=httpx2.MockTransport(upstream))
{%- endif %}
    async with serving(app) as client:
        yield client
