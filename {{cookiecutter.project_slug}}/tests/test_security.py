from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any

import httpx
import pytest

from {{ cookiecutter.package_name }}.app import create_app
from {{ cookiecutter.package_name }}.settings import Settings
from tests.fakes import FakeUpstream

ClientFactory = Callable[..., AbstractAsyncContextManager[httpx.AsyncClient]]

SECURITY_HEADERS = {
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    "referrer-policy": "no-referrer",
    "strict-transport-security": "max-age=31536000",
}
API_POLICY = "default-src 'none'; frame-ancestors 'none'"
DEFAULT_HOSTS: list[str] = Settings.model_fields["trusted_hosts"].default


def bug(request: httpx.Request) -> httpx.Response:
    raise RuntimeError("unexpected")


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [
        ("GET", "/health/live", 200),
        ("GET", "/no/such/route", 404),
        ("POST", "/health/live", 405),
        ("GET", "/api/v1/quotes/today", 500),
    ],
)
async def test_every_answer_carries_the_security_headers(
    client: httpx.AsyncClient, upstream: FakeUpstream, method: str, path: str, status: int
) -> None:
    upstream.handler = bug
    response = await client.request(method, path)
    assert response.status_code == status
    for name, value in SECURITY_HEADERS.items():
        assert response.headers[name] == value
    assert response.headers["content-security-policy"] == API_POLICY


async def test_the_docs_page_may_load_its_scripts(client: httpx.AsyncClient) -> None:
    response = await client.get("/docs")
    assert response.status_code == 200
    assert "content-security-policy" not in response.headers
    assert response.headers["x-frame-options"] == "DENY"


@pytest.fixture
def make_client(settings: Settings) -> ClientFactory:
    """A client of the service started with some settings changed."""

    @asynccontextmanager
    async def make(
        base_url: str = "http://test", **changes: Any
    ) -> AsyncIterator[httpx.AsyncClient]:
        app = create_app(settings.model_copy(update=changes))
        async with (
            app.router.lifespan_context(app),
            httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=base_url) as client,
        ):
            yield client

    return make


async def test_no_origin_may_call_from_a_browser_by_default(client: httpx.AsyncClient) -> None:
    origin = {"Origin": "https://app.example.com"}
    response = await client.get("/health/live", headers=origin)
    assert "access-control-allow-origin" not in response.headers
    preflight = await client.options(
        "/health/live", headers={**origin, "Access-Control-Request-Method": "GET"}
    )
    assert preflight.status_code == 400


async def test_a_listed_origin_may_call_from_a_browser(make_client: ClientFactory) -> None:
    origin = "https://app.example.com"
    async with make_client(cors_origins=[origin]) as client:
        response = await client.get("/health/live", headers={"Origin": origin})
        other = await client.get("/health/live", headers={"Origin": "https://evil.example"})
    assert response.headers["access-control-allow-origin"] == origin
    assert response.headers["access-control-expose-headers"] == "X-Request-ID"
    assert "access-control-allow-origin" not in other.headers


@pytest.mark.parametrize(
    "base_url", ["http://localhost", "http://127.0.0.1:8000", "http://api.example.com"]
)
async def test_allowed_hosts_are_served(make_client: ClientFactory, base_url: str) -> None:
    async with make_client(base_url, trusted_hosts=[*DEFAULT_HOSTS, "*.example.com"]) as client:
        assert (await client.get("/health/live")).status_code == 200


@pytest.mark.parametrize("base_url", ["http://evil.example", "http://example.com.evil"])
async def test_other_hosts_are_refused_by_default(
    make_client: ClientFactory, base_url: str
) -> None:
    async with make_client(base_url, trusted_hosts=DEFAULT_HOSTS) as client:
        response = await client.get("/health/live", headers={"X-Request-ID": "host-1"})
    assert response.status_code == 400
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["request_id"] == "host-1"
    assert response.headers["x-content-type-options"] == "nosniff"


async def test_api_docs_can_be_turned_off(make_client: ClientFactory) -> None:
    # The schema itself is served to the schemathesis tests (test_api_schema.py); building it
    # here again would hold the loop for a while.
    async with make_client() as client:
        assert (await client.get("/docs")).status_code == 200
        assert (await client.get("/redoc")).status_code == 200
    async with make_client(api_docs=False) as client:
        for path in ("/docs", "/redoc", "/openapi.json"):
            assert (await client.get(path)).status_code == 404
