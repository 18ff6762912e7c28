from collections.abc import AsyncIterator

import httpx2
import pytest
from fastapi import FastAPI
from sqlalchemy.pool import QueuePool

from {{ cookiecutter.package_name }}.app import create_app
from {{ cookiecutter.package_name }}.resources import Resources
from {{ cookiecutter.package_name }}.settings import Settings
from tests.scrape import scrape, value


@pytest.fixture
async def app(settings: Settings) -> AsyncIterator[FastAPI]:
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        yield app


async def test_the_pool_gauges_follow_the_connections_in_use(app: FastAPI) -> None:
    resources: Resources = app.state.resources
    pool = resources.database.engine.pool
    assert isinstance(pool, QueuePool)
    transport = httpx2.ASGITransport(app=app)
    async with httpx2.AsyncClient(transport=transport, base_url="http://test") as client:
        idle = await scrape(client)
        async with resources.database.engine.connect():
            busy = await scrape(client)
    assert value(idle, "db_pool_checked_out_connections") == 0
    assert value(busy, "db_pool_checked_out_connections") == 1
    assert value(busy, "db_pool_size") == pool.size()
    assert value(busy, "db_pool_overflow_connections") == 0
    assert value(busy, "db_pool_idle_connections") is not None
