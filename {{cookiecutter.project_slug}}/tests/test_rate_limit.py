"""Rate limiting on the real Redis: 429 with `Retry-After` past the limit, the IETF draft's
headers on every limited answer, probes{% if cookiecutter.metrics %}, metrics{% endif %} and docs never limited, one budget per client."""

{% if cookiecutter.auth == "jwt" -%}
from collections.abc import AsyncIterator
{%- else -%}
from collections.abc import AsyncIterator, Sequence
{%- endif %}
from ipaddress import ip_network
from typing import Any

import httpx2
import pytest
{%- if cookiecutter.auth == "none" %}
from starlette.middleware import Middleware
from starlette.types import ASGIApp, Receive, Scope, Send
{%- endif %}

from {{ cookiecutter.package_name }}.app import create_app
{%- if cookiecutter.auth == "jwt" %}
from {{ cookiecutter.package_name }}.cache.client_identity import client_address
{%- else %}
from {{ cookiecutter.package_name }}.cache.client_identity import SUBJECT, client_address
from {{ cookiecutter.package_name }}.cache.extension import CacheExtension
from {{ cookiecutter.package_name }}.extension import Extension
{%- endif %}
from {{ cookiecutter.package_name }}.settings import Settings
from tests.asgi import serving
from tests.fakes import FakeUpstream
{%- if cookiecutter.auth == "jwt" %}
from tests.identity import mint
{%- endif %}

QUOTE = "/api/v1/quotes/today"
LIMITED = {"rate_limit_requests": 3, "rate_limit_window": 60}
BEHIND_PROXY = {**LIMITED, "rate_limit_trusted_proxies": ["127.0.0.1/32"]}


{%- if cookiecutter.auth == "jwt" %}


@pytest.fixture
async def client(settings: Settings, upstream: FakeUpstream) -> AsyncIterator[httpx2.AsyncClient]:
    """Sends no token: each request counts against the client's address. The test of callers
    with tokens sends its own."""
    app = create_app(settings, http_transport=httpx2.MockTransport(upstream))
    async with serving(app, token=None) as client:
        yield client
{%- endif %}


@pytest.fixture(autouse=True)
def quotes(upstream: FakeUpstream) -> None:
    upstream.handler = lambda request: httpx2.Response(200, json={"text": "t", "author": "a"})


@pytest.mark.parametrize("changes", [LIMITED])
async def test_a_client_over_the_limit_gets_429_with_retry_after(
    client: httpx2.AsyncClient,
) -> None:
    for remaining in (2, 1, 0):
        response = await client.get(QUOTE)
        assert response.status_code == 200
        assert response.headers["ratelimit-policy"] == '"default";q=3;w=60'
        assert response.headers["ratelimit"].startswith(f'"default";r={remaining};t=')
    refused = await client.get(QUOTE)
    assert refused.status_code == 429
    assert refused.headers["content-type"] == "application/problem+json"
    assert refused.json()["status"] == 429
    assert 1 <= int(refused.headers["retry-after"]) <= 60
    assert refused.headers["ratelimit"] == f'"default";r=0;t={refused.headers["retry-after"]}'
    assert refused.headers["ratelimit-policy"] == '"default";q=3;w=60'
    # The service's own headers are on it too: it passed through the edge middleware.
    assert refused.headers["x-request-id"]
    assert refused.headers["x-content-type-options"] == "nosniff"


@pytest.mark.parametrize("changes", [{"rate_limit_requests": 1}])
async def test_probes{% if cookiecutter.metrics %}_metrics{% endif %}_and_docs_are_never_limited(client: httpx2.AsyncClient) -> None:
    await client.get(QUOTE)
    assert (await client.get(QUOTE)).status_code == 429
    # /openapi.json is exempt like /docs (EXEMPT in cache/rate_limit.py); asking for it here
    # would build the schema on the loop, past the stall limit with every option and coverage.
    for path in ("/health/live", "/health/ready", {% if cookiecutter.metrics %}"/metrics", {% endif %}"/docs") * 2:
        response = await client.get(path)
        assert response.status_code == 200, path
        assert "ratelimit" not in response.headers


@pytest.mark.parametrize("changes", [BEHIND_PROXY])
async def test_each_client_behind_a_trusted_proxy_has_its_own_budget(
    client: httpx2.AsyncClient,
) -> None:
    first = {"X-Forwarded-For": "203.0.113.7"}
    second = {"X-Forwarded-For": "203.0.113.8"}
    for _ in range(3):
        assert (await client.get(QUOTE, headers=first)).status_code == 200
    assert (await client.get(QUOTE, headers=first)).status_code == 429
    assert (await client.get(QUOTE, headers=second)).status_code == 200


@pytest.mark.parametrize("changes", [LIMITED])
async def test_forwarded_for_from_an_untrusted_peer_is_ignored(
    client: httpx2.AsyncClient,
) -> None:
    for hop in range(3):
        headers = {"X-Forwarded-For": f"203.0.113.{hop}"}
        assert (await client.get(QUOTE, headers=headers)).status_code == 200
    assert (await client.get(QUOTE, headers={"X-Forwarded-For": "198.51.100.1"})).status_code == 429


@pytest.mark.parametrize("changes", [{"rate_limit_requests": 0}])
async def test_a_limit_of_zero_turns_limiting_off(client: httpx2.AsyncClient) -> None:
    for _ in range(5):
        response = await client.get(QUOTE)
        assert response.status_code == 200
        assert "ratelimit" not in response.headers
{%- if cookiecutter.auth == "jwt" %}


@pytest.mark.parametrize("changes", [{"rate_limit_requests": 2}])
async def test_a_verified_caller_has_its_own_budget_wherever_it_calls_from(
    client: httpx2.AsyncClient,
) -> None:
    alice, bob = ({"Authorization": f"Bearer {mint(sub=name)}"} for name in ("alice", "bob"))
    for _ in range(2):
        assert (await client.get(QUOTE, headers=alice)).status_code == 200
    assert (await client.get(QUOTE, headers=alice)).status_code == 429
    assert (await client.get(QUOTE, headers=bob)).status_code == 200
    # A token that fails verification names no one: it counts against its address, which the
    # anonymous requests share.
    forged = {"Authorization": f"Bearer {mint(sub='bob')[:-20]}"}
    assert (await client.get(QUOTE)).status_code == 200
    assert (await client.get(QUOTE, headers=forged)).status_code == 200
    assert (await client.get(QUOTE, headers=forged)).status_code == 429
    assert (await client.get(QUOTE, headers=bob)).status_code == 200
{%- else %}


class SubjectFromHeader:
    """Stands in for an authentication layer: it stores the request's subject in its state."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        for name, value in scope.get("headers", ()):
            if name == b"x-test-subject":
                scope.setdefault("state", {})[SUBJECT] = value.decode()
        await self.app(scope, receive, send)


class FakeAuthentication(Extension):
    def middleware(self) -> Sequence[Middleware]:
        return [Middleware(SubjectFromHeader)]


@pytest.fixture
async def authenticated_client(
    settings: Settings, upstream: FakeUpstream
) -> AsyncIterator[httpx2.AsyncClient]:
    # Authentication comes first in the list, so its layer runs before the rate limiter.
    app = create_app(
        settings.model_copy(update={"rate_limit_requests": 2}),
        http_transport=httpx2.MockTransport(upstream),
        extensions=[FakeAuthentication(), CacheExtension()],
    )
    async with serving(app) as client:
        yield client


async def test_an_authenticated_subject_has_its_own_budget_wherever_it_calls_from(
    authenticated_client: httpx2.AsyncClient,
) -> None:
    alice, bob = {"X-Test-Subject": "alice"}, {"X-Test-Subject": "bob"}
    for _ in range(2):
        assert (await authenticated_client.get(QUOTE, headers=alice)).status_code == 200
    assert (await authenticated_client.get(QUOTE, headers=alice)).status_code == 429
    assert (await authenticated_client.get(QUOTE, headers=bob)).status_code == 200
    # The anonymous budget of the address they share is untouched.
    assert (await authenticated_client.get(QUOTE)).status_code == 200
{%- endif %}


PROXIES = [ip_network("10.0.0.0/8")]


def scope(peer: str, forwarded: str | None = None) -> dict[str, Any]:
    headers = [] if forwarded is None else [(b"x-forwarded-for", forwarded.encode())]
    return {"type": "http", "client": (peer, 5000), "headers": headers}


@pytest.mark.parametrize(
    ("peer", "forwarded", "expected"),
    [
        ("203.0.113.9", None, "203.0.113.9"),
        # An untrusted peer's header is its own invention.
        ("203.0.113.9", "198.51.100.1", "203.0.113.9"),
        ("10.0.0.2", "198.51.100.1", "198.51.100.1"),
        # The client wrote the leftmost entry itself; the trusted proxy appended the real one.
        ("10.0.0.2", "1.2.3.4, 198.51.100.1", "198.51.100.1"),
        # Two trusted proxies in a row.
        ("10.0.0.2", "198.51.100.1, 10.0.0.3", "198.51.100.1"),
        # Every hop trusted: the leftmost is as far as the header goes.
        ("10.0.0.2", "10.0.0.4", "10.0.0.4"),
        # A hop that is not an address ends the walk there.
        ("10.0.0.2", "198.51.100.1, garbage, 10.0.0.3", "garbage"),
        ("10.0.0.2", None, "10.0.0.2"),
    ],
)
def test_the_client_address_is_read_through_trusted_proxies_only(
    peer: str, forwarded: str | None, expected: str
) -> None:
    assert client_address(scope(peer, forwarded), PROXIES) == expected
