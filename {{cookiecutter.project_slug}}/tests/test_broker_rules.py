"""Blocking broker clients are banned by lint (no ASYNC rule knows them): a planted use fails
`ruff check` by name, and FastStream, which the service uses, passes."""

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
{%- if cookiecutter.broker == "rabbitmq" %}
        ("import pika\n\nconnection = pika.BlockingConnection()\n", "pika"),
        ("from pika import BlockingConnection\n\nconnection = BlockingConnection()\n", "pika"),
        ("import amqp\n\nconnection = amqp.Connection()\n", "amqp"),
{%- else %}
        ("import pynats\n\nclient = pynats.NATSClient()\n", "pynats"),
        ("from pynats import NATSClient\n\nclient = NATSClient()\n", "pynats"),
{%- endif %}
        ("from kombu import Connection\n\nconnection = Connection()\n", "kombu"),
    ],
)
def test_a_blocking_client_is_banned(source: str, banned: str) -> None:
    result = ruff(source)
    assert result.returncode == 1, result.stdout + result.stderr
    assert f"TID251 `{banned}` is banned" in result.stdout


def test_faststream_is_allowed() -> None:
{%- if cookiecutter.broker == "rabbitmq" %}
    result = ruff("from faststream.rabbit import RabbitBroker\n\nbroker = RabbitBroker()\n")
{%- else %}
    result = ruff("from faststream.nats import NatsBroker\n\nbroker = NatsBroker()\n")
{%- endif %}
    assert result.returncode == 0, result.stdout + result.stderr
