"""The service under real uvicorn: graceful shutdown, and the load check reporting no errors."""

import signal
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx2
import pytest
from pydantic import SecretStr

from {{ cookiecutter.package_name }}.settings import Settings
{%- if cookiecutter.auth == "jwt" %}
from tests.identity import AUDIENCE, IdentityServer, mint
{%- endif %}
from tests.server import PREFIX, SlowUpstream, serve, service_env

pytestmark = [pytest.mark.slow, pytest.mark.server]

PROJECT = Path(__file__).resolve().parents[1]
QUOTE = "/api/v1/quotes/today"
IN_FLIGHT = 4
# uvicorn's own setting, read from the environment{% if cookiecutter.docker %} as the Dockerfile sets it{% endif %}.
GRACE = "UVICORN_TIMEOUT_GRACEFUL_SHUTDOWN"
GRACE_SECONDS = 3
# uvicorn re-raises the signal once it has shut down cleanly, as a well-behaved process does.
CLEAN_EXIT = (0, -signal.SIGTERM)


{% if cookiecutter.auth == "jwt" -%}
@pytest.fixture
def env(settings: Settings, identity_server: IdentityServer) -> dict[str, str]:
    """The test's settings that a process cannot guess: {% if cookiecutter.database != "none" %}where its database is{% else %}its secrets{% endif %}, and
    whose tokens it accepts."""
    secrets = {name: value for name, value in settings if isinstance(value, SecretStr)}
    return service_env(
        **{name: value.get_secret_value() for name, value in secrets.items()},
        auth_issuer=identity_server.issuer,
        auth_audience=AUDIENCE,
    )
{%- else -%}
@pytest.fixture
def env(settings: Settings) -> dict[str, str]:
{%- if cookiecutter.database != "none" %}
    """The test's settings that a process cannot guess: where its database is."""
{%- else %}
    """The test's settings that a process cannot guess: its secrets, if it has any."""
{%- endif %}
    secrets = {name: value for name, value in settings if isinstance(value, SecretStr)}
    return service_env(**{name: value.get_secret_value() for name, value in secrets.items()})
{%- endif %}


def get_status(url: str) -> int:
    return httpx2.get(url, timeout=10).status_code


def test_sigterm_lets_requests_in_flight_finish_within_the_grace_period(
    env: dict[str, str], tmp_path: Path
) -> None:
    # Three requests finish 1 s after SIGTERM, within the grace period; one would take 30 s.
    with SlowUpstream(1, 1, 1, 30) as upstream:
        env = {**env, f"{PREFIX}QUOTES_URL": upstream.url, GRACE: str(GRACE_SECONDS)}
        with serve(env, tmp_path) as server, ThreadPoolExecutor(IN_FLIGHT) as pool:
            calls = [pool.submit(get_status, server.url + QUOTE) for _ in range(IN_FLIGHT)]
            upstream.wait_for_requests(IN_FLIGHT)
            started = time.monotonic()
            server.process.terminate()
            # It stops accepting at once...
            time.sleep(0.3)
            with pytest.raises(httpx2.ConnectError):
                httpx2.get(server.url + "/health/live", timeout=2)
            # ...the requests it had accepted end well, but the one that outlives the grace
            # period is cancelled (uvicorn answers it 500) rather than holding the process.
            statuses = sorted(call.result() for call in calls)
            output, _ = server.process.communicate(timeout=30)
            stopped = time.monotonic() - started
    assert statuses == [200, 200, 200, 500], output
    assert stopped < GRACE_SECONDS + 5, f"stopping took {stopped:.1f} s"
    assert server.process.returncode in CLEAN_EXIT, output
    # Logged once the lifespan has closed the pool and the HTTP client.
    assert "Application shutdown complete" in output


{% if cookiecutter.auth == "jwt" -%}
def test_the_load_check_reports_no_errors(
    env: dict[str, str], identity_server: IdentityServer
) -> None:
    token = mint(issuer=identity_server.issuer)
    result = subprocess.run(  # noqa: S603 (our own interpreter and arguments)
        [
            sys.executable,
            "scripts/load_check.py",
            *("--requests", "60", "--concurrency", "6"),
            *("--token", token),
        ],
{%- else -%}
def test_the_load_check_reports_no_errors(env: dict[str, str]) -> None:
    result = subprocess.run(
        [sys.executable, "scripts/load_check.py", "--requests", "60", "--concurrency", "6"],
{%- endif %}
        cwd=PROJECT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "errors: 0" in result.stdout
    assert "p99" in result.stdout
