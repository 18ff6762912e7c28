"""Access tokens: what is accepted, what is refused and how, and how the keys are kept."""

import asyncio
import json
import subprocess
import sys
from collections.abc import AsyncIterator, Sequence
from pathlib import Path
from typing import Any

import httpx2
import pytest
{%- if cookiecutter.tracing %}
from blockbuster import BlockBuster
{%- endif %}
from fastapi import APIRouter, FastAPI, Request
{%- if cookiecutter.tracing %}
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind
{%- endif %}
from pydantic import ValidationError

from {{ cookiecutter.package_name }}.app import create_app
from {{ cookiecutter.package_name }}.auth.dependencies import requires_scopes
from {{ cookiecutter.package_name }}.auth.extension import AuthConfigurationError
from {{ cookiecutter.package_name }}.auth.keys import KeySource, KeysUnavailableError, UnknownKeyError
from {{ cookiecutter.package_name }}.extension import Extension
from {{ cookiecutter.package_name }}.features import default_extensions
from {{ cookiecutter.package_name }}.settings import Settings
from tests import identity
from tests.asgi import serving
from tests.fakes import FakeUpstream
from tests.log_capture import capture_log

ME = "/api/v1/me"
SCOPED = "/scoped"
PROJECT = Path(__file__).resolve().parents[1]
INVALID = 'Bearer error="invalid_token"'


class ScopedRoute(Extension):
    """A route that needs a scope no test token has by default, and shows the caller it saw."""

    def routers(self) -> Sequence[APIRouter]:
        router = APIRouter()

        @router.get(SCOPED, dependencies=[requires_scopes("reports:read")])
        async def scoped(request: Request) -> dict[str, str]:
            subject: str = request.scope["state"]["auth_subject"]
            return {"subject": subject}

        return [router]


@pytest.fixture
def app(settings: Settings, upstream: FakeUpstream) -> FastAPI:
    extensions = [*default_extensions(), ScopedRoute()]
    transport = httpx2.MockTransport(upstream)
    return create_app(settings, http_transport=transport, extensions=extensions)


@pytest.fixture
async def anonymous(app: FastAPI) -> AsyncIterator[httpx2.AsyncClient]:
    """A client that sends no token unless a request carries one."""
    async with serving(app, token=None) as client:
        yield client


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def jwks_fetches(upstream: FakeUpstream) -> int:
    return upstream.identity.requests.count(identity.JWKS_URL)


@pytest.mark.parametrize("kid", ["rsa-1", "ec-1"], ids=["RS256", "ES256"])
async def test_a_valid_token_names_the_caller_and_its_scopes(
    anonymous: httpx2.AsyncClient, kid: str
) -> None:
    response = await anonymous.get(ME, headers=bearer(identity.mint(kid, scopes=["a", "b"])))
    assert response.status_code == 200
    assert response.json() == {"subject": identity.SUBJECT, "scopes": ["a", "b"]}


async def test_entra_style_scopes_are_read_from_scp(anonymous: httpx2.AsyncClient) -> None:
    token = identity.mint(scopes=(), scope=None, scp="reports:read")
    response = await anonymous.get(SCOPED, headers=bearer(token))
    assert response.status_code == 200


@pytest.mark.parametrize("name", identity.BAD_TOKENS)
async def test_a_bad_token_is_refused_with_the_invalid_token_challenge(
    anonymous: httpx2.AsyncClient, name: str
) -> None:
    response = await anonymous.get(ME, headers=bearer(identity.bad_tokens()[name]))
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == INVALID
    assert response.headers["Content-Type"] == "application/problem+json"
    assert response.json()["status"] == 401


async def test_a_request_without_a_token_gets_the_bare_challenge(
    anonymous: httpx2.AsyncClient,
) -> None:
    response = await anonymous.get(ME)
    assert response.status_code == 401
    # RFC 6750: no error code when the request carried no credentials at all.
    assert response.headers["WWW-Authenticate"] == "Bearer"


async def test_another_authorization_scheme_is_refused(anonymous: httpx2.AsyncClient) -> None:
    response = await anonymous.get(ME, headers={"Authorization": "Basic dXNlcjpwYXNz"})
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == INVALID


async def test_a_missing_scope_is_403_and_names_the_scope(anonymous: httpx2.AsyncClient) -> None:
    response = await anonymous.get(SCOPED, headers=bearer(identity.mint(scopes=["other"])))
    assert response.status_code == 403
    assert response.headers["WWW-Authenticate"] == (
        'Bearer error="insufficient_scope", scope="reports:read"'
    )
    assert response.json()["detail"] == "The access token lacks the scope reports:read."
    granted = await anonymous.get(SCOPED, headers=bearer(identity.mint(scopes=["reports:read"])))
    assert granted.json() == {"subject": identity.SUBJECT}


async def test_the_reason_is_logged_and_the_token_never(anonymous: httpx2.AsyncClient) -> None:
    token = identity.bad_tokens()["expired"]
    with capture_log() as log:
        await anonymous.get(ME, headers=bearer(token))
    assert "the token has expired" in log.text()
    assert token.split(".")[2] not in log.text()


async def test_the_access_line_names_the_caller(anonymous: httpx2.AsyncClient) -> None:
    with capture_log() as log:
        await anonymous.get(ME, headers=bearer(identity.mint()))
        await anonymous.get("/health/live")
    access = {line["route"]: line for line in log.lines() if "route" in line}
    assert access[ME]["subject"] == identity.SUBJECT
    assert access["/health/live"]["subject"] is None


async def test_an_unknown_kid_is_looked_up_once_then_refused(
    anonymous: httpx2.AsyncClient, upstream: FakeUpstream
) -> None:
    assert (await anonymous.get(ME, headers=bearer(identity.mint()))).status_code == 200
    assert jwks_fetches(upstream) == 1
    assert (await anonymous.get(ME, headers=bearer(identity.mint("rsa-next")))).status_code == 401
    assert jwks_fetches(upstream) == 2


async def test_a_rotated_key_is_accepted_after_one_refresh(
    anonymous: httpx2.AsyncClient, upstream: FakeUpstream
) -> None:
    assert (await anonymous.get(ME, headers=bearer(identity.mint()))).status_code == 200
    upstream.identity.rotate()
    assert (await anonymous.get(ME, headers=bearer(identity.mint("rsa-next")))).status_code == 200
    assert jwks_fetches(upstream) == 2
    # Known from then on: no more fetches, for the new key or the old.
    for kid in ("rsa-next", "rsa-1", "ec-1"):
        assert (await anonymous.get(ME, headers=bearer(identity.mint(kid)))).status_code == 200
    assert jwks_fetches(upstream) == 2


@pytest.mark.parametrize("changes", [{"auth_jwks_cache_seconds": 0.001}])
async def test_cached_keys_keep_serving_through_an_outage_of_the_provider(
    anonymous: httpx2.AsyncClient, upstream: FakeUpstream
) -> None:
    assert (await anonymous.get(ME, headers=bearer(identity.mint()))).status_code == 200
    upstream.identity.down = True
    await asyncio.sleep(0.01)  # the cached keys expire; fetching them again fails
    assert (await anonymous.get(ME, headers=bearer(identity.mint("ec-1")))).status_code == 200
    assert jwks_fetches(upstream) >= 2, "the expired keys were not fetched again"


async def test_without_keys_the_service_answers_503(
    anonymous: httpx2.AsyncClient, upstream: FakeUpstream
) -> None:
    upstream.identity.down = True
    response = await anonymous.get(ME, headers=bearer(identity.mint()))
    assert response.status_code == 503
    assert response.headers["Content-Type"] == "application/problem+json"
    assert (await anonymous.get("/health/live")).status_code == 200
    upstream.identity.down = False
    assert (await anonymous.get(ME, headers=bearer(identity.mint()))).status_code == 200


@pytest.mark.parametrize("document", [{"issuer": "http://evil.test", "jwks_uri": "x"}, {}])
async def test_a_discovery_document_for_another_issuer_or_none_is_not_trusted(
    anonymous: httpx2.AsyncClient, upstream: FakeUpstream, document: dict[str, str]
) -> None:
    upstream.identity.discovery = document
    response = await anonymous.get(ME, headers=bearer(identity.mint()))
    assert response.status_code == 503


@pytest.fixture
def schema_built(app: FastAPI) -> None:
    """FastAPI builds the OpenAPI document on the loop at its first request; with every option
    and coverage on, that one step can pass the stall limit, so it is built here instead."""
    app.openapi()


@pytest.mark.usefixtures("schema_built")
@pytest.mark.parametrize("path", ["/health/live", "/health/ready", "/openapi.json", "/docs"])
async def test_health_and_docs_stay_open(anonymous: httpx2.AsyncClient, path: str) -> None:
    assert (await anonymous.get(path)).status_code == 200
{%- if cookiecutter.metrics %}


async def test_metrics_stay_open(anonymous: httpx2.AsyncClient) -> None:
    assert (await anonymous.get("/metrics")).status_code == 200
{%- endif %}


def test_the_openapi_document_declares_the_scheme_and_each_routes_scopes(
    settings: Settings,
) -> None:
    schema = create_app(settings).openapi()
    scheme = schema["components"]["securitySchemes"]["bearer"]
    assert (scheme["type"], scheme["scheme"], scheme["bearerFormat"]) == ("http", "bearer", "JWT")
    paths = schema["paths"]
    assert paths[ME]["get"]["security"] == [{"bearer": []}]
    assert "401" in paths[ME]["get"]["responses"]
{%- if cookiecutter.database != "none" %}
    assert paths["/api/v1/items"]["get"]["security"] == [{"bearer": []}]
    assert paths["/api/v1/items"]["post"]["security"] == [{"bearer": ["items:write"]}]
    assert paths["/api/v1/items/{item_id}"]["delete"]["security"] == [{"bearer": ["items:write"]}]
    assert "403" in paths["/api/v1/items"]["post"]["responses"]
{%- endif %}
    assert "security" not in paths["/health/live"]["get"]
{%- if cookiecutter.database != "none" %}


async def test_reading_items_needs_a_token_and_writing_the_scope(
    anonymous: httpx2.AsyncClient,
) -> None:
    reader = bearer(identity.mint(scopes=()))
    writer = bearer(identity.mint(scopes=["items:write"]))
    assert (await anonymous.get("/api/v1/items")).status_code == 401
    assert (await anonymous.get("/api/v1/items", headers=reader)).status_code == 200
    refused = await anonymous.post("/api/v1/items", json={"name": "gear"}, headers=reader)
    assert refused.status_code == 403
    assert 'error="insufficient_scope", scope="items:write"' in refused.headers["WWW-Authenticate"]
    created = await anonymous.post("/api/v1/items", json={"name": "gear"}, headers=writer)
    assert created.status_code == 201
    item = f"/api/v1/items/{created.json()['id']}"
    assert (await anonymous.delete(item, headers=reader)).status_code == 403
    assert (await anonymous.delete(item, headers=writer)).status_code == 204
{%- endif %}


async def test_the_service_refuses_to_start_without_an_issuer(settings: Settings) -> None:
    app = create_app(settings.model_copy(update={"auth_issuer": None}))
    with pytest.raises(AuthConfigurationError, match="AUTH_ISSUER"):
        async with serving(app):
            pass


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("auth_algorithms", ["none"]),
        ("auth_algorithms", ["RS256", "HS256"]),
        ("auth_algorithms", []),
        ("auth_issuer", "idp.example.com"),
        ("auth_jwks_url", "ftp://idp.example.com/keys"),
    ],
)
def test_unsafe_or_unusable_settings_are_refused(field: str, value: Any) -> None:
    values: dict[str, Any] = {field: value}
    with pytest.raises(ValidationError, match=field):
        Settings(_env_file=None, **values)


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
async def provider_client() -> AsyncIterator[tuple[identity.IdentityProvider, httpx2.AsyncClient]]:
    provider = identity.IdentityProvider()
    async with httpx2.AsyncClient(transport=httpx2.MockTransport(provider)) as client:
        yield provider, client


def key_source(client: httpx2.AsyncClient, clock: Clock, jwks_url: str | None = None) -> KeySource:
    return KeySource(
        client,
        issuer=identity.ISSUER,
        jwks_url=jwks_url,
        cache_seconds=600,
        refresh_interval=30,
        clock=clock,
    )


async def test_a_flood_of_made_up_kids_asks_the_provider_once_per_interval(
    provider_client: tuple[identity.IdentityProvider, httpx2.AsyncClient],
) -> None:
    provider, client = provider_client
    clock = Clock()
    keys = key_source(client, clock)
    await keys.key("rsa-1")
    for attempt in range(50):
        with pytest.raises(UnknownKeyError):
            await keys.key(f"made-up-{attempt}")
    assert provider.requests.count(identity.JWKS_URL) == 1
    clock.now += 30
    provider.rotate()
    # Requests arriving together wait for the one fetch.
    found = await asyncio.gather(*(keys.key("rsa-next") for _ in range(20)))
    assert {key.kid for key in found} == {"rsa-next"}
    assert provider.requests.count(identity.JWKS_URL) == 2


async def test_a_provider_that_is_down_is_not_asked_again_within_the_interval(
    provider_client: tuple[identity.IdentityProvider, httpx2.AsyncClient],
) -> None:
    provider, client = provider_client
    clock = Clock()
    keys = key_source(client, clock)
    provider.down = True
    for _ in range(3):
        with pytest.raises(KeysUnavailableError):
            await keys.key("rsa-1")
    asked = len(provider.requests)
    provider.down = False
    with pytest.raises(KeysUnavailableError):
        await keys.key("rsa-1")
    assert len(provider.requests) == asked
    clock.now += 30
    assert (await keys.key("rsa-1")).kid == "rsa-1"


@pytest.fixture
def jwks_file(tmp_path: Path) -> Path:
    path = tmp_path / "jwks.json"
    path.write_text(json.dumps(identity.IdentityProvider().jwks()))
    return path


async def test_keys_can_come_from_a_local_file(
    provider_client: tuple[identity.IdentityProvider, httpx2.AsyncClient], jwks_file: Path
) -> None:
    provider, client = provider_client
    keys = key_source(client, Clock(), jwks_url=jwks_file.as_uri())
    assert (await keys.key("ec-1")).kid == "ec-1"
    assert provider.requests == []


@pytest.fixture
def dev_token(tmp_path: Path) -> tuple[str, dict[str, str]]:
    """What scripts/dev_token.py prints on first use: a token, and the settings to trust it."""
    result = subprocess.run(  # noqa: S603 (our own interpreter and arguments)
        [
            sys.executable,
            "scripts/dev_token.py",
            *("--scope", "items:write"),
            *("--directory", str(tmp_path / ".dev-auth")),
        ],
        cwd=PROJECT,
        capture_output=True,
        text=True,
        check=True,
    )
    prefix = Settings.model_config["env_prefix"]
    lines = [line.removeprefix(prefix) for line in result.stderr.splitlines() if "=" in line]
    values = dict(line.split("=", 1) for line in lines)
    return result.stdout.strip(), {name.lower(): value for name, value in values.items()}


async def test_a_development_token_works_with_the_settings_it_prints(
    settings: Settings, dev_token: tuple[str, dict[str, str]]
) -> None:
    token, values = dev_token
    assert values["auth_jwks_url"].startswith("file://")
    app = create_app(settings.model_copy(update=values))
    async with serving(app, token=token) as client:
        response = await client.get(ME)
    assert response.status_code == 200
    assert response.json() == {"subject": "developer", "scopes": ["items:write"]}


def test_lint_bans_pyjwts_blocking_key_client() -> None:
    planted = "from jwt import PyJWKClient\n\nPyJWKClient('https://idp.example.com/keys')\n"
    planted_path = "src/{{ cookiecutter.package_name }}/auth/planted.py"
    ruff = ("-m", "ruff", "check", "--no-cache", "--output-format=concise")
    result = subprocess.run(  # noqa: S603 (our own interpreter and arguments)
        [sys.executable, *ruff, "--stdin-filename", planted_path, "-"],
        input=planted,
        cwd=PROJECT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert "TID251 `jwt.PyJWKClient` is banned" in result.stdout, result.stdout + result.stderr
{%- if cookiecutter.tracing %}


async def test_the_caller_is_on_the_request_span(
    settings: Settings, upstream: FakeUpstream, blockbuster: BlockBuster
) -> None:
    # As in test_tracing.py: the tracer provider detects its resource in a pool it joins.
    blockbuster.functions["threading.Lock.acquire"].can_block_in(
        "opentelemetry/sdk/resources/__init__.py", "get_aggregated_resources"
    )
    exporter = InMemorySpanExporter()
    extensions = default_extensions(span_exporter=exporter)
    transport = httpx2.MockTransport(upstream)
    app = create_app(settings, http_transport=transport, extensions=extensions)
    async with serving(app) as client:
        assert (await client.get(ME)).status_code == 200
    [request] = [span for span in exporter.get_finished_spans() if span.kind == SpanKind.SERVER]
    assert request.attributes is not None
    assert request.attributes["enduser.id"] == identity.SUBJECT
{%- endif %}
