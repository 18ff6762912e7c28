import httpx2
import pytest

from {{ cookiecutter.package_name }}.settings import Settings
from tests.fakes import FakeUpstream

SECURITY_HEADERS = {
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    "referrer-policy": "no-referrer",
    "strict-transport-security": "max-age=31536000",
}
API_POLICY = "default-src 'none'; frame-ancestors 'none'"
DEFAULT_HOSTS: list[str] = Settings.model_fields["trusted_hosts"].default
ORIGIN = "https://app.example.com"


def bug(request: httpx2.Request) -> httpx2.Response:
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
    client: httpx2.AsyncClient, upstream: FakeUpstream, method: str, path: str, status: int
) -> None:
    upstream.handler = bug
    response = await client.request(method, path)
    assert response.status_code == status
    for name, value in SECURITY_HEADERS.items():
        assert response.headers[name] == value
    assert response.headers["content-security-policy"] == API_POLICY


async def test_the_docs_page_may_load_its_scripts(client: httpx2.AsyncClient) -> None:
    response = await client.get("/docs")
    assert response.status_code == 200
    assert "content-security-policy" not in response.headers
    assert response.headers["x-frame-options"] == "DENY"


async def test_no_origin_may_call_from_a_browser_by_default(client: httpx2.AsyncClient) -> None:
    origin = {"Origin": ORIGIN}
    response = await client.get("/health/live", headers=origin)
    assert "access-control-allow-origin" not in response.headers
    preflight = await client.options(
        "/health/live", headers={**origin, "Access-Control-Request-Method": "GET"}
    )
    # No CORS middleware answers it: the route refuses the method, and the browser the call.
    assert preflight.status_code == 405
    assert "access-control-allow-origin" not in preflight.headers


@pytest.mark.parametrize("changes", [{"cors_origins": [ORIGIN]}])
async def test_a_listed_origin_may_call_from_a_browser(client: httpx2.AsyncClient) -> None:
    response = await client.get("/health/live", headers={"Origin": ORIGIN})
    other = await client.get("/health/live", headers={"Origin": "https://evil.example"})
    assert response.headers["access-control-allow-origin"] == ORIGIN
    assert response.headers["access-control-expose-headers"] == "X-Request-ID"
    assert "access-control-allow-origin" not in other.headers


@pytest.mark.parametrize("changes", [{"trusted_hosts": [*DEFAULT_HOSTS, "*.example.com"]}])
@pytest.mark.parametrize(
    "base_url", ["http://localhost", "http://127.0.0.1:8000", "http://api.example.com"]
)
async def test_allowed_hosts_are_served(client: httpx2.AsyncClient, base_url: str) -> None:
    assert (await client.get(f"{base_url}/health/live")).status_code == 200


@pytest.mark.parametrize("changes", [{"trusted_hosts": DEFAULT_HOSTS}])
@pytest.mark.parametrize("base_url", ["http://evil.example", "http://example.com.evil"])
async def test_other_hosts_are_refused_by_default(
    client: httpx2.AsyncClient, base_url: str
) -> None:
    response = await client.get(f"{base_url}/health/live", headers={"X-Request-ID": "host-1"})
    assert response.status_code == 400
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["request_id"] == "host-1"
    assert response.headers["x-content-type-options"] == "nosniff"


async def test_api_docs_are_served_by_default(client: httpx2.AsyncClient) -> None:
    # The schema itself is served to the schemathesis tests (test_api_schema.py); building it
    # here again would hold the loop for a while.
    assert (await client.get("/docs")).status_code == 200
    assert (await client.get("/redoc")).status_code == 200


@pytest.mark.parametrize("changes", [{"api_docs": False}])
async def test_api_docs_can_be_turned_off(client: httpx2.AsyncClient) -> None:
    for path in ("/docs", "/redoc", "/openapi.json"):
        assert (await client.get(path)).status_code == 404
