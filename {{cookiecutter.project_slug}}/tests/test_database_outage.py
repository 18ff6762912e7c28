"""A PostgreSQL outage, for real: the service talks to the real server through a proxy this test
cuts and restores, and must report it, survive it and recover from it by itself."""

import logging
import time
from collections.abc import AsyncIterator

import httpx2
import pytest
from pydantic import SecretStr
from sqlalchemy import make_url

from {{ cookiecutter.package_name }}.app import create_app
from {{ cookiecutter.package_name }}.errors.database import UNAVAILABLE
from {{ cookiecutter.package_name }}.settings import Settings
from tests.asgi import serving
from tests.fakes import FakeUpstream
from tests.tcp_proxy import SwitchableProxy

ITEMS = "/api/v1/items"
CONNECT_TIMEOUT = 0.5
# A password the server (trust authentication) never asks for, to show it is never logged.
PASSWORD = "hunter2-do-not-leak"  # noqa: S105 (a made-up one, to look for)

# Three requests each wait out CONNECT_TIMEOUT against the cut proxy.
pytestmark = pytest.mark.slow


@pytest.fixture
async def proxy(database_url: str) -> AsyncIterator[SwitchableProxy]:
    url = make_url(database_url)
    async with SwitchableProxy(url.host or "127.0.0.1", url.port or 5432) as proxy:
        yield proxy


@pytest.fixture
async def client(
    settings: Settings, database_url: str, proxy: SwitchableProxy, upstream: FakeUpstream
) -> AsyncIterator[httpx2.AsyncClient]:
    through_proxy = make_url(database_url).set(host="127.0.0.1", port=proxy.port, password=PASSWORD)
    app = create_app(
        settings.model_copy(
            update={
                "database_url": SecretStr(through_proxy.render_as_string(hide_password=False)),
                "database_connect_timeout": CONNECT_TIMEOUT,
                "database_pool_timeout": CONNECT_TIMEOUT,
            }
        ),
        http_transport=httpx2.MockTransport(upstream),
    )
    async with serving(app) as client:
        yield client


async def test_an_outage_is_reported_survived_and_recovered_from(
    client: httpx2.AsyncClient, proxy: SwitchableProxy, caplog: pytest.LogCaptureFixture
) -> None:
    created = await client.post(ITEMS, json={"name": "written before the outage"})
    assert created.status_code == 201
    item = f"{ITEMS}/{created.json()['id']}"

    proxy.cut()
    started = time.perf_counter()
    ready = await client.get("/health/ready")
    elapsed = time.perf_counter() - started
    assert ready.status_code == 503
    assert elapsed < CONNECT_TIMEOUT + 2, f"readiness took {elapsed:.2f} s to give up"
    for response in (await client.get(item), await client.post(ITEMS, json={"name": "lost"})):
        assert response.status_code == 503
        assert response.headers["content-type"] == "application/problem+json"
        assert response.json()["detail"] == UNAVAILABLE
    assert (await client.get("/health/live")).status_code == 200

    proxy.restore()
    # No restart, no intervention: the next requests reconnect.
    assert (await client.get("/health/ready")).status_code == 200
    assert (await client.get(item)).json()["name"] == "written before the outage"
    assert (await client.post(ITEMS, json={"name": "after"})).status_code == 201
    assert (await client.get(ITEMS, params={"include_total": True})).json()["total"] == 2

    assert any(record.levelno == logging.WARNING for record in caplog.records)
    assert PASSWORD not in caplog.text
