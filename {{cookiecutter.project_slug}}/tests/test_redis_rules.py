"""redis-py's blocking client is banned by lint (no ASYNC rule knows it): a planted use fails
`ruff check` by name, and the asyncio client passes."""

import subprocess
import sys
from pathlib import Path

import pytest

PROJECT = Path(__file__).parent.parent
# Checked as if it were a module of the service, where the ban applies.
PLANTED_AS = "src/{{ cookiecutter.package_name }}/planted.py"


def ruff(source: str) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "ruff", "check", "--no-cache", "--output-format=concise"]
    return subprocess.run(  # noqa: S603 (a fixed command, run by the tests)
        [*command, "--stdin-filename", PLANTED_AS, "-"],
        input=source,
        capture_output=True,
        text=True,
        cwd=PROJECT,
        check=False,
    )


@pytest.mark.parametrize(
    ("source", "banned"),
    [
        ("import redis\n\nclient = redis.Redis()\n", "redis.Redis"),
        ("from redis import StrictRedis\n\nclient = StrictRedis()\n", "redis.StrictRedis"),
        ("import redis\n\nclient = redis.from_url('redis://x')\n", "redis.from_url"),
        ("from redis.client import Redis\n\nclient = Redis()\n", "redis.client"),
    ],
)
def test_the_blocking_client_is_banned(source: str, banned: str) -> None:
    result = ruff(source)
    assert result.returncode == 1, result.stdout + result.stderr
    assert f"TID251 `{banned}` is banned" in result.stdout


def test_the_asyncio_client_is_allowed() -> None:
    result = ruff("from redis.asyncio import Redis\n\nclient = Redis()\n")
    assert result.returncode == 0, result.stdout + result.stderr
