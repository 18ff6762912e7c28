"""A test that needs a local server skips without it, except in CI, where `.ci/run` sets
ASYNC_FASTAPI_REQUIRE_<SERVER>=1 after starting the servers and a missing one fails the run."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from tests.conftest import TEMPLATE, free_port, require_nats, require_rabbitmq, require_redis

REQUIRED = [
    pytest.param(require_redis, "ASYNC_FASTAPI_REQUIRE_REDIS", id="redis"),
    pytest.param(require_rabbitmq, "ASYNC_FASTAPI_REQUIRE_RABBITMQ", id="rabbitmq"),
    pytest.param(require_nats, "ASYNC_FASTAPI_REQUIRE_NATS", id="nats"),
]


@pytest.mark.parametrize(("require", "variable"), REQUIRED)
def test_a_missing_server_skips_outside_ci(
    monkeypatch: pytest.MonkeyPatch, require: Callable[[tuple[str, int]], None], variable: str
) -> None:
    monkeypatch.delenv(variable, raising=False)
    with pytest.raises(pytest.skip.Exception, match="does not answer"):
        require(("127.0.0.1", free_port()))


@pytest.mark.parametrize(("require", "variable"), REQUIRED)
def test_a_missing_server_fails_in_ci(
    monkeypatch: pytest.MonkeyPatch, require: Callable[[tuple[str, int]], None], variable: str
) -> None:
    monkeypatch.setenv(variable, "1")
    with pytest.raises(pytest.fail.Exception, match=f"{variable}=1"):
        require(("127.0.0.1", free_port()))


def test_ci_requires_every_server_it_starts() -> None:
    script = (TEMPLATE / ".ci" / "run").read_text()
    for variable in ("POSTGRES", "REDIS", "RABBITMQ", "NATS"):
        assert f"export ASYNC_FASTAPI_REQUIRE_{variable}=1" in script
    assert "rabbitmq-server -detached" in script
    assert "/usr/sbin/nats-server -- -a 127.0.0.1 -p 4222 -js" in script.replace("\\\n        ", "")
