"""From outside: the service under real uvicorn, its keys served by an identity provider on
127.0.0.1, answering what each token deserves."""

from collections.abc import Iterator
from pathlib import Path

import httpx2
import pytest

{% if cookiecutter.database != "none" -%}
from {{ cookiecutter.package_name }}.settings import Settings
{% endif -%}
from tests.identity import AUDIENCE, BAD_TOKENS, SUBJECT, IdentityServer, bad_tokens, mint
from tests.server import Server, serve, service_env

pytestmark = [pytest.mark.slow, pytest.mark.server]


@pytest.fixture
{%- if cookiecutter.database != "none" %}
def service(
    settings: Settings, identity_server: IdentityServer, tmp_path: Path
) -> Iterator[Server]:
    database_url = settings.database_url.get_secret_value()
    env = service_env(
        database_url=database_url,
        auth_issuer=identity_server.issuer,
        auth_audience=AUDIENCE,
    )
{%- else %}
def service(identity_server: IdentityServer, tmp_path: Path) -> Iterator[Server]:
    env = service_env(auth_issuer=identity_server.issuer, auth_audience=AUDIENCE)
{%- endif %}
    with serve(env, tmp_path) as running:
        yield running


def bearer(token: str) -> dict[str, str]:
    # A header value cannot end in a space: over the wire, an empty bearer is `Bearer` alone.
    return {"Authorization": f"Bearer {token}".rstrip()}


def test_a_valid_token_is_accepted(service: Server, identity_server: IdentityServer) -> None:
    token = mint("ec-1", issuer=identity_server.issuer)
    response = httpx2.get(f"{service.url}/api/v1/me", headers=bearer(token), timeout=10)
    assert response.status_code == 200, response.text
    assert response.json()["subject"] == SUBJECT
{%- if cookiecutter.database != "none" %}


def test_the_scope_decides_who_may_write(service: Server, identity_server: IdentityServer) -> None:
    items = f"{service.url}/api/v1/items"
    writer = mint(issuer=identity_server.issuer, scopes=["items:write"])
    reader = mint(issuer=identity_server.issuer, scopes=[])
    created = httpx2.post(items, json={"name": "outside"}, headers=bearer(writer), timeout=10)
    assert created.status_code == 201, created.text
    refused = httpx2.post(items, json={"name": "nope"}, headers=bearer(reader), timeout=10)
    assert refused.status_code == 403
    assert 'error="insufficient_scope"' in refused.headers["WWW-Authenticate"]
    assert httpx2.get(items, headers=bearer(reader), timeout=10).status_code == 200
{%- endif %}


def test_every_bad_token_is_refused(service: Server, identity_server: IdentityServer) -> None:
    tokens = bad_tokens(identity_server.issuer)
    answers = {
        name: httpx2.get(f"{service.url}/api/v1/me", headers=bearer(tokens[name]), timeout=10)
        for name in BAD_TOKENS
    }
    wrong = {
        name: (response.status_code, response.headers.get("WWW-Authenticate"))
        for name, response in answers.items()
        if response.status_code != 401 or "Bearer" not in response.headers["WWW-Authenticate"]
    }
    assert not wrong
