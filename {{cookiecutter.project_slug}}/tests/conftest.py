{%- set redis = cookiecutter.cache == "redis" or cookiecutter.jobs == "taskiq" -%}
{%- set real = (["a real migrated database"] if cookiecutter.database != "none" else []) + (["Redis"] if redis else []) + (["the broker"] if cookiecutter.broker != "none" else []) -%}
{%- if real | length > 1 -%}
"""Fixtures: the real app with its lifespan, {{ real[:-1] | join(", ") }} and {{ real[-1] }}, a
fake upstream."""
{%- elif real -%}
"""Fixtures: the real app with its lifespan, {{ real[0] }}, a fake upstream."""
{%- else -%}
"""Fixtures: the real app with its lifespan, a fake upstream."""
{%- endif %}

from collections.abc import AsyncIterator, Iterator
{%- if cookiecutter.broker != "none" %}
from functools import partial
{%- endif %}
from typing import Any

import httpx2
import pytest
from blockbuster import BlockBuster, blockbuster_ctx

from {{ cookiecutter.package_name }}.app import create_app
{%- if cookiecutter.broker != "none" %}
from {{ cookiecutter.package_name }}.extension import Extension
{%- endif %}
from {{ cookiecutter.package_name }}.settings import Settings
{% if cookiecutter.auth == "jwt" -%}
from tests import identity
{% endif -%}
{% if cookiecutter.broker != "none" -%}
from tests.asgi import AppFactory, serving
{% else -%}
from tests.asgi import serving
{% endif -%}
from tests.fakes import UPSTREAM, FakeUpstream
{%- if cookiecutter.jobs == "taskiq" %}
from tests.jobs import HeldJobQueue
{%- endif %}

{% set plugins = ["tests.loop_stalls", "tests.slow"] + (["tests.database"] if cookiecutter.database != "none" else []) + (["tests.redis_server"] if redis else []) + (["tests.broker"] if cookiecutter.broker != "none" else []) -%}
{%- if plugins | length > 4 -%}
pytest_plugins = [
{%- for plugin in plugins %}
    "{{ plugin }}",
{%- endfor %}
]
{%- else -%}
pytest_plugins = [{% for plugin in plugins %}"{{ plugin }}"{% if not loop.last %}, {% endif %}{% endfor %}]
{%- endif %}

TEST_SETTINGS: dict[str, Any] = {
    "quotes_url": UPSTREAM,
    # The host the test clients send (base_url "http://test").
    "trusted_hosts": ["test"],
    # Retries really wait, but briefly.
    "http_retry_max_delay": 0.01,
{%- if cookiecutter.auth == "jwt" %}
    # The identity provider every FakeUpstream also plays (tests/identity.py).
    **identity.settings(),
{%- endif %}
{%- if cookiecutter.cache == "redis" %}
    # The rate limiter stays on, far above what any test but its own sends.
    "rate_limit_requests": 10_000,
{%- endif %}
{%- if redis %}
    # A loaded machine must not pass for a slow Redis{% if cookiecutter.cache == "redis" %}; the outage tests set their own{% endif %}.
    "redis_socket_connect_timeout": 10.0,
    "redis_socket_timeout": 10.0,
{%- endif %}
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
{% if cookiecutter.auth == "jwt" -%}
@pytest.fixture
def identity_server() -> Iterator[identity.IdentityServer]:
    """The identity provider on 127.0.0.1, for a service in another process."""
    with identity.IdentityServer() as server:
        yield server


{% endif -%}
@pytest.fixture
def changes() -> dict[str, Any]:
    """Settings a test changes, by parametrizing `changes`; the app is still built by fixtures,
    outside the test's own run, which the loop-stall check measures."""
    return {}


@pytest.fixture
{%- if cookiecutter.database != "none" or redis or cookiecutter.broker != "none" %}
def settings(
{%- if cookiecutter.database != "none" %}
    database_url: str,
{%- endif %}
{%- if redis %}
    redis_url: str,
{%- endif %}
{%- if cookiecutter.cache == "redis" %}
    redis_prefix: str,
{%- endif %}
{%- if cookiecutter.broker != "none" %}
    broker_settings: dict[str, Any],
{%- endif %}
    changes: dict[str, Any],
) -> Settings:
    # _env_file=None: a developer's .env must not leak into the tests.
    return Settings(
        _env_file=None,
        environment="test",
{%- if cookiecutter.database != "none" %}
        database_url=database_url,
{%- endif %}
{%- if redis %}
        redis_url=redis_url,
{%- endif %}
{%- if cookiecutter.cache == "redis" %}
        redis_key_prefix=redis_prefix,
{%- endif %}
{%- if cookiecutter.broker != "none" %}
        **{**TEST_SETTINGS, **broker_settings, **changes},
{%- else %}
        **{**TEST_SETTINGS, **changes},
{%- endif %}
    )
{%- else %}
def settings(changes: dict[str, Any]) -> Settings:
    # _env_file=None: a developer's .env must not leak into the tests.
    return Settings(_env_file=None, environment="test", **{**TEST_SETTINGS, **changes})
{%- endif %}


@pytest.fixture
def upstream() -> FakeUpstream:
    return FakeUpstream()
{%- if cookiecutter.broker != "none" %}


@pytest.fixture
def make_app(upstream: FakeUpstream) -> AppFactory:
    """`create_app` for tests that choose their own settings or parts: the network under the
    shared HTTP client is still the fake upstream."""
    return partial(create_app, http_transport=httpx2.MockTransport(upstream))
{%- endif %}


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
