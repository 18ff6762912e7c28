import asyncio
import time
from collections.abc import AsyncIterator

import httpx2
import pytest
from fastapi import FastAPI

from {{ cookiecutter.package_name }}.app import create_app
from {{ cookiecutter.package_name }}.settings import Settings
from tests.fakes import FakeUpstream
from tests.scrape import scrape, value

{% if cookiecutter.database != "none" -%}
# A missing item: the route has a path parameter, so the raw path differs from the template.
ROUTE, PATH, STATUS = "/api/v1/items/{item_id}", "/api/v1/items/424242", "404"
{%- else -%}
# The fake upstream answers 404 unless told otherwise: the service answers 502.
ROUTE, PATH, STATUS = "/api/v1/quotes/today", "/api/v1/quotes/today", "502"
{%- endif %}
STALL = 0.15
LAG_INTERVAL = 0.05


async def test_requests_are_counted_and_timed_under_their_route_template(
    client: httpx2.AsyncClient,
) -> None:
    for _ in range(2):
        await client.get(PATH)
    samples = await scrape(client)
    labels = {"method": "GET", "route": ROUTE}
    assert value(samples, "http_requests_total", **labels, status=STATUS) == 2
    assert value(samples, "http_request_duration_seconds_count", **labels) == 2
    assert value(samples, "http_request_duration_seconds_bucket", **labels, le="+Inf") == 2


async def test_no_created_series_are_written(client: httpx2.AsyncClient) -> None:
    await client.get(PATH)
    samples = await scrape(client)
    assert value(samples, "http_requests_total", method="GET", route=ROUTE, status=STATUS) == 1
    assert [name for name, _ in samples if name.endswith("_created")] == []


async def test_a_raw_path_never_becomes_a_label(client: httpx2.AsyncClient) -> None:
    await client.get("/no/such/route-31337")
    await client.request("BREW", "/health/live")
    samples = await scrape(client)
    assert value(samples, "http_requests_total", method="GET", route="<unmatched>", status="404")
    assert value(
        samples, "http_requests_total", method="_OTHER", route="/health/live", status="405"
    )
    assert not [key for key in samples if "31337" in str(key) or "BREW" in str(key)]


async def test_outbound_calls_are_counted_and_timed_by_upstream(
    client: httpx2.AsyncClient, upstream: FakeUpstream, settings: Settings
) -> None:
    upstream.handler = lambda request: httpx2.Response(200, json={"text": "t", "author": "a"})
    await client.get("/api/v1/quotes/today")

    def refused(request: httpx2.Request) -> httpx2.Response:
        raise httpx2.ConnectError("connection refused", request=request)

    upstream.handler = refused
    await client.get("/api/v1/quotes/today")
    samples = await scrape(client)
    host = {"host": "quotes.test"}
    # Metering sits under the retries: each try of the refused GET is a call of its own.
    tries = settings.http_retry_attempts
    assert tries > 1
    assert value(samples, "http_client_requests_total", **host, method="GET", status="200") == 1
    errors = value(samples, "http_client_requests_total", **host, method="GET", status="error")
    assert errors == tries
    assert value(samples, "http_client_request_duration_seconds_count", **host) == 1 + tries


@pytest.fixture
async def app(settings: Settings, upstream: FakeUpstream) -> AsyncIterator[FastAPI]:
    """The service with a route that waits for the test, and a lag monitor that warns early."""
    settings = settings.model_copy(
        update={"loop_lag_interval": LAG_INTERVAL, "loop_lag_threshold": LAG_INTERVAL}
    )
    app = create_app(settings, http_transport=httpx2.MockTransport(upstream))
    app.state.entered, app.state.release = asyncio.Event(), asyncio.Event()

    async def wait() -> None:
        app.state.entered.set()
        await app.state.release.wait()

    app.add_api_route("/wait", wait)
    async with app.router.lifespan_context(app):
        yield app


@pytest.fixture
async def app_client(app: FastAPI) -> AsyncIterator[httpx2.AsyncClient]:
    transport = httpx2.ASGITransport(app=app)
    async with httpx2.AsyncClient(transport=transport, base_url="http://test") as client:
        yield client


async def test_requests_in_flight_are_gauged(app: FastAPI, app_client: httpx2.AsyncClient) -> None:
    waiting = asyncio.create_task(app_client.get("/wait"))
    await app.state.entered.wait()
    # The scrape is a request in flight too.
    assert value(await scrape(app_client), "http_requests_in_flight") == 2
    app.state.release.set()
    await waiting
    assert value(await scrape(app_client), "http_requests_in_flight") == 1


def hold_the_loop(seconds: float) -> None:
    """A computation that never yields: no blocking call for blockbuster, only lag."""
    deadline = time.perf_counter() + seconds
    while time.perf_counter() < deadline:
        pass


async def test_the_event_loop_lag_gauges_move_after_a_stall(app_client: httpx2.AsyncClient) -> None:
    stalls = value(await scrape(app_client), "event_loop_stalls_total")
    assert stalls is not None
    hold_the_loop(STALL)
    await asyncio.sleep(0.01)  # the late timer runs now
    after = await scrape(app_client)
    assert (value(after, "event_loop_stalls_total") or 0) >= stalls + 1
    worst = value(after, "event_loop_lag_worst_seconds")
    assert worst is not None
    assert worst >= STALL - LAG_INTERVAL
    assert value(after, "event_loop_lag_seconds") is not None
