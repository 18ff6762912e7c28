"""The service under a real uvicorn: uvicorn configures logging before it imports the app, and
the service's configuration must still be the one in force."""

import json
from pathlib import Path

import httpx2
import pytest

{% if cookiecutter.auth == "jwt" -%}
from tests.identity import AUDIENCE, ISSUER
{% endif -%}
from tests.server import serve, service_env

pytestmark = [pytest.mark.slow, pytest.mark.server]


def serve_one_request(tmp_path: Path) -> list[str]:
    """Start uvicorn, answer one request with a known id, stop; return what it logged."""
{%- if cookiecutter.auth == "jwt" %}
    # The service will not start without an identity provider; this test never asks it.
    env = service_env(environment="production", auth_issuer=ISSUER, auth_audience=AUDIENCE)
{%- else %}
    env = service_env(environment="production")
{%- endif %}
    with serve(env, tmp_path) as server:
        response = httpx2.get(f"{server.url}/health/live", headers={"X-Request-ID": "served-1"})
        assert response.status_code == 200
        output = server.stop()
    return output.splitlines()


def test_uvicorn_logs_json_lines_and_one_access_line_per_request(tmp_path: Path) -> None:
    output = serve_one_request(tmp_path)
    lines = [json.loads(line) for line in output]  # every line, uvicorn's own included
    served = [line for line in lines if line.get("request_id") == "served-1"]
    assert [(line["route"], line["status"]) for line in served] == [("/health/live", 200)]
    # uvicorn's messages came through the service's handler, and its access log stayed off.
    assert any(line["message"].startswith("Uvicorn running on") for line in lines)
    assert not [line for line in lines if line["logger"] == "uvicorn.access"]
