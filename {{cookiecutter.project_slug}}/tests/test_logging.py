import asyncio
import logging
from collections.abc import AsyncIterator

import httpx2
import pytest
from fastapi import FastAPI

from {{ cookiecutter.package_name }}.app import create_app
from {{ cookiecutter.package_name }}.observability.logging_config import configure_logging
from {{ cookiecutter.package_name }}.settings import Settings
from tests.fakes import FakeUpstream
from tests.log_capture import capture_log, service_handler

ACCESS_LOGGER = "{{ cookiecutter.package_name }}.observability.access_log"
logger = logging.getLogger("tests.endpoint")


async def echo(word: str) -> dict[str, str]:
    logger.info("echoing %s", word)
    await asyncio.sleep(0.01)  # let concurrent requests interleave
    return {"word": word}


async def fail() -> None:
    raise RuntimeError("boom")


@pytest.fixture
async def app(settings: Settings, upstream: FakeUpstream) -> AsyncIterator[FastAPI]:
    """The service with two extra routes: one that logs, one that fails."""
    app = create_app(settings, http_transport=httpx2.MockTransport(upstream))
    app.add_api_route("/echo/{word}", echo)
    app.add_api_route("/fail", fail)
    async with app.router.lifespan_context(app):
        yield app


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx2.AsyncClient]:
    # An unhandled error answers 500 instead of reaching the test.
    transport = httpx2.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx2.AsyncClient(transport=transport, base_url="http://test") as client:
        yield client


async def test_a_requests_lines_share_its_id(client: httpx2.AsyncClient) -> None:
    with capture_log() as log:
        await client.get("/echo/hello", headers={"X-Request-ID": "checkout-42"})
    # The test's own client logs too, outside the request.
    endpoint, access = [line for line in log.lines() if line["request_id"]]
    assert endpoint["message"] == "echoing hello"
    assert endpoint["request_id"] == access["request_id"] == "checkout-42"
    assert endpoint["level"] == "INFO"
    assert endpoint["logger"] == "tests.endpoint"
    assert "time" in endpoint


async def test_concurrent_requests_keep_their_own_ids(client: httpx2.AsyncClient) -> None:
    words = [f"w{n}" for n in range(5)]
    with capture_log() as log:
        await asyncio.gather(
            *(client.get(f"/echo/{word}", headers={"X-Request-ID": word}) for word in words)
        )
    echoed = {line["message"]: line["request_id"] for line in log.lines()}
    assert {f"echoing {word}": word for word in words}.items() <= echoed.items()


async def test_one_access_line_per_request_with_the_route_template(
    client: httpx2.AsyncClient,
) -> None:
    with capture_log() as log:
        response = await client.get("/echo/hello")
    [access] = [line for line in log.lines() if line["logger"] == ACCESS_LOGGER]
    assert access["request_id"] == response.headers["X-Request-ID"]
    assert access["message"].startswith("GET /echo/{word} 200 ")
    assert (access["method"], access["route"], access["path"], access["status"]) == (
        "GET",
        "/echo/{word}",
        "/echo/hello",
        200,
    )
    assert access["duration_ms"] >= 10  # the endpoint sleeps 10 ms


async def test_an_outbound_call_adds_no_line_of_its_own(
    client: httpx2.AsyncClient, upstream: FakeUpstream
) -> None:
    upstream.handler = lambda request: httpx2.Response(200, json={"text": "t", "author": "a"})
    with capture_log() as log:
        response = await client.get("/api/v1/quotes/today")
    assert response.status_code == 200
    assert [line["logger"] for line in log.lines() if line["request_id"]] == [ACCESS_LOGGER]


@pytest.mark.parametrize("changes", [{"access_log": False}])
async def test_the_access_line_can_be_turned_off(client: httpx2.AsyncClient) -> None:
    with capture_log() as log:
        response = await client.get("/health/live")
    assert response.status_code == 200
    assert not [line for line in log.lines() if line["logger"] == ACCESS_LOGGER]


@pytest.mark.parametrize(
    ("path", "route", "status"),
    [("/no/such/route", "<unmatched>", 404), ("/fail", "/fail", 500)],
    ids=["unmatched", "unhandled-error"],
)
async def test_failed_requests_are_logged_with_their_status(
    client: httpx2.AsyncClient, path: str, route: str, status: int
) -> None:
    with capture_log() as log:
        response = await client.get(path)
    assert response.status_code == status
    [access] = [line for line in log.lines() if line["logger"] == ACCESS_LOGGER]
    assert (access["route"], access["status"]) == (route, status)


@pytest.mark.usefixtures("app")
def test_configuring_again_replaces_the_handler(settings: Settings) -> None:
    configure_logging(settings)
    configure_logging(settings)
    service_handler()  # exactly one, or this raises


@pytest.mark.usefixtures("app")
async def test_development_lines_are_readable_text(settings: Settings) -> None:
    configure_logging(settings.model_copy(update={"environment": "development"}))
    with capture_log() as log:
        logger.warning("disk %s full", "almost")
    assert log.text().endswith(" WARNING tests.endpoint [None] disk almost full\n")


@pytest.mark.usefixtures("app")
def test_uvicorn_logs_through_the_service_handler_and_its_access_log_is_off() -> None:
    # uvicorn writes its access log only when the logger has a handler somewhere. pytest
    # attaches its capture handlers to loggers that do not propagate: those do not count.
    uvicorn_access = logging.getLogger("uvicorn.access")
    assert not uvicorn_access.propagate
    assert all(type(h).__module__ == "_pytest.logging" for h in uvicorn_access.handlers)
    with capture_log() as log:
        logging.getLogger("uvicorn.error").info("Application startup complete.")
    [line] = log.lines()
    assert line["logger"] == "uvicorn.error"
