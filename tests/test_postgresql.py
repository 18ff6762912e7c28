"""The PostgreSQL variant: its compose file, and its suite's behaviour without a server."""

from __future__ import annotations

import re
import socket
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.conftest import SharedEnv, require_postgres

pytestmark = pytest.mark.xdist_group("postgresql")

PACKAGE = "ledger_service"
PREFIX = "LEDGER_SERVICE_"


def closed_port() -> int:
    """A port nothing listens on: bound once by the kernel's choice, then released."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


@pytest.fixture
def compose(bake: Callable[[str], Path]) -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load((bake("postgresql") / "compose.yaml").read_text())
    return loaded


def test_compose_starts_postgres_with_a_healthcheck(compose: dict[str, Any]) -> None:
    postgres = compose["services"]["postgres"]
    assert postgres["image"].startswith("postgres:")
    assert postgres["environment"]["POSTGRES_DB"] == PACKAGE
    assert postgres["ports"] == ["127.0.0.1:5432:5432"], "local only, on the default port"
    assert "pg_isready" in postgres["healthcheck"]["test"]
    assert f"--dbname={PACKAGE}" in postgres["healthcheck"]["test"]
    volume = postgres["volumes"][0].split(":")[0]
    assert volume in compose["volumes"]


def test_compose_service_waits_for_a_healthy_postgres(compose: dict[str, Any]) -> None:
    service = compose["services"]["service"]
    assert service["build"] == "."
    assert service["profiles"] == ["service"], "a plain `docker compose up` needs no Dockerfile"
    assert service["depends_on"]["postgres"] == {"condition": "service_healthy"}
    url = service["environment"][f"{PREFIX}DATABASE_URL"]
    assert url == f"postgresql+asyncpg://postgres@postgres:5432/{PACKAGE}"


@pytest.mark.parametrize(
    ("name", "server", "url"),
    [
        ("postgresql", "rabbitmq", "amqp://guest:guest@rabbitmq:5672/"),
        ("sqlite-events", "nats", "nats://nats:4222"),
    ],
)
def test_compose_starts_the_broker_and_the_service_waits_for_it(
    bake: Callable[[str], Path], name: str, server: str, url: str
) -> None:
    loaded: dict[str, Any] = yaml.safe_load((bake(name) / "compose.yaml").read_text())
    broker = loaded["services"][server]
    assert broker["ports"][0].startswith("127.0.0.1:"), "local work only"
    assert "healthcheck" in broker
    assert f"{server}-data" in loaded["volumes"]
    service = loaded["services"]["service"]
    assert service["depends_on"][server] == {"condition": "service_healthy"}
    prefix = bake(name).name.replace("-", "_").upper()
    assert service["environment"][f"{prefix}_BROKER_URL"] == url
    if server == "nats":
        assert "--jetstream" in broker["command"]


def test_settings_default_to_the_compose_database(bake: Callable[[str], Path]) -> None:
    settings = (bake("postgresql") / "src" / PACKAGE / "settings.py").read_text()
    assert f'"postgresql+asyncpg://postgres@127.0.0.1:5432/{PACKAGE}"' in settings


def test_without_a_server_the_suite_stops_with_one_message(
    bake: Callable[[str], Path], shared_env: SharedEnv
) -> None:
    url = f"postgresql+asyncpg://postgres:hunter2@127.0.0.1:{closed_port()}/postgres"
    result = shared_env.run(
        bake("postgresql"),
        *["-m", "pytest", "-p", "no:cacheprovider", "-q"],
        **{f"{PREFIX}TEST_POSTGRES_URL": url},
    )
    output = result.stdout + result.stderr
    assert result.returncode == pytest.ExitCode.INTERRUPTED, output
    assert output.count("cannot be used: ") == 1, output
    assert "Connect call failed" in output
    assert "docker compose up -d postgres" in output
    assert f"{PREFIX}TEST_POSTGRES_URL" in output
    ran = re.search(r"\d+ (passed|failed|errors?)\b", output)
    assert not ran, "it stops before the first test, not after each one fails"
    assert "Traceback" not in output
    assert "hunter2" not in output, "the password stays hidden"


def test_a_missing_server_skips_outside_ci(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ASYNC_FASTAPI_REQUIRE_POSTGRES", raising=False)
    with pytest.raises(pytest.skip.Exception, match="does not answer"):
        require_postgres(("127.0.0.1", closed_port()))


def test_a_missing_server_fails_in_ci(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ASYNC_FASTAPI_REQUIRE_POSTGRES", "1")
    with pytest.raises(pytest.fail.Exception, match="ASYNC_FASTAPI_REQUIRE_POSTGRES=1"):
        require_postgres(("127.0.0.1", closed_port()))
