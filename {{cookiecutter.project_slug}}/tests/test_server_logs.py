"""The service under a real uvicorn: uvicorn configures logging before it imports the app, and
the service's configuration must still be the one in force."""

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx2
import pytest
{%- if cookiecutter.auth == "jwt" %}

from tests.identity import AUDIENCE, ISSUER
{%- endif %}

pytestmark = [pytest.mark.slow, pytest.mark.server]

ENV_PREFIX = "{{ cookiecutter.__env_prefix }}"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def serve_one_request(tmp_path: Path) -> list[str]:
    """Start uvicorn, answer one request with a known id, stop; return what it logged."""
    port = free_port()
    env = {**os.environ, f"{ENV_PREFIX}ENVIRONMENT": "production"}
{%- if cookiecutter.auth == "jwt" %}
    # The service will not start without an identity provider; this test never asks it.
    env |= {f"{ENV_PREFIX}AUTH_ISSUER": ISSUER, f"{ENV_PREFIX}AUTH_AUDIENCE": AUDIENCE}
{%- endif %}
    command = [sys.executable, "-m", "uvicorn", "{{ cookiecutter.package_name }}.main:app"]
    server = subprocess.Popen(  # noqa: S603 (this interpreter, fixed arguments)
        [*command, "--port", str(port)],
        cwd=tmp_path,  # no .env here
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            assert server.poll() is None, server.communicate()[0]
            try:
                response = httpx2.get(
                    f"http://127.0.0.1:{port}/health/live", headers={"X-Request-ID": "served-1"}
                )
                break
            except httpx2.TransportError:
                assert time.monotonic() < deadline, "uvicorn did not answer within 30 s"
                time.sleep(0.1)
        assert response.status_code == 200
    finally:
        server.send_signal(signal.SIGTERM)
        output, _ = server.communicate(timeout=30)
    return output.splitlines()


def test_uvicorn_logs_json_lines_and_one_access_line_per_request(tmp_path: Path) -> None:
    output = serve_one_request(tmp_path)
    lines = [json.loads(line) for line in output]  # every line, uvicorn's own included
    served = [line for line in lines if line.get("request_id") == "served-1"]
    assert [(line["route"], line["status"]) for line in served] == [("/health/live", 200)]
    # uvicorn's messages came through the service's handler, and its access log stayed off.
    assert any(line["message"].startswith("Uvicorn running on") for line in lines)
    assert not [line for line in lines if line["logger"] == "uvicorn.access"]
