"""Load check: the service under uvicorn on 127.0.0.1 and a bounded run of concurrent requests.

It starts the service, and a stand-in for the quotes upstream, itself; sends `--requests`
requests from `--concurrency` clients at once through {% if cookiecutter.database != "none" %}health, writes and reads{% else %}health and the quotes endpoint{% endif %}; then
prints the error count and the latency percentiles. It exits 1 on any error. Latency depends on
the machine, so it is reported, never judged.
{%- if cookiecutter.database != "none" %}

The service uses the database its settings name (run `make migrate` first); each item the check
creates, it deletes again.
{%- endif %}

    uv run python scripts/load_check.py --requests 2000 --concurrency 50
{%- if cookiecutter.auth == "jwt" %}

{% if cookiecutter.database != "none" %}The items endpoints need an access token with the items:write scope{% else %}Protected endpoints need an access token{% endif %}, for the identity provider
the settings name: `--token`, or LOAD_CHECK_TOKEN (scripts/dev_token.py mints one).
{%- endif %}
"""

import argparse
import asyncio
import contextlib
import json
import os
import socket
import statistics
import sys
import time
{%- if cookiecutter.database != "none" %}
import uuid
{%- endif %}
from typing import Any

import httpx2

PREFIX = "{{ cookiecutter.__env_prefix }}"
APP = "{{ cookiecutter.package_name }}.main:app"
QUOTE = json.dumps({"text": "Measure twice, cut once.", "author": "A carpenter"}).encode()
{%- if cookiecutter.database != "none" %}
ITEMS = "/api/v1/items"
# Requests per journey, below.
STEPS = 6
{%- else %}
# Requests per journey, below.
STEPS = 3
{%- endif %}


class Results:
    """Every request's latency, and what went wrong with the ones that failed."""

    def __init__(self) -> None:
        self.latencies: list[float] = []
        self.errors: list[str] = []

    async def call(
        self, client: httpx2.AsyncClient, method: str, path: str, **options: Any
    ) -> httpx2.Response | None:
        started = time.perf_counter()
        try:
            response = await client.request(method, path, **options)
        except httpx2.HTTPError as error:
            self.errors.append(f"{method} {path}: {error!r}")
            return None
        self.latencies.append(time.perf_counter() - started)
        if response.is_error:
            self.errors.append(f"{method} {path}: {response.status_code}")
        return response


async def journey(client: httpx2.AsyncClient, results: Results) -> None:
    """What one client does, one request after the other."""
    await results.call(client, "GET", "/health/ready")
{%- if cookiecutter.database != "none" %}
    name = f"load-check-{uuid.uuid4().hex}"
    created = await results.call(client, "POST", ITEMS, json={"name": name})
    if created is None or created.is_error:
        return
    item = f"{ITEMS}/{created.json()['id']}"
    await results.call(client, "GET", item)
    await results.call(client, "GET", ITEMS, params={"limit": 10})
    await results.call(client, "GET", "/api/v1/quotes/today")
    await results.call(client, "DELETE", item)
{%- else %}
    await results.call(client, "GET", "/health/live")
    await results.call(client, "GET", "/api/v1/quotes/today")
{%- endif %}


async def answer_quotes(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """The quotes upstream's stand-in: the same quote at once, on a kept-alive connection."""
    head = b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: %d\r\n\r\n"
    try:
        with contextlib.suppress(asyncio.IncompleteReadError, ConnectionError):
            while await reader.readuntil(b"\r\n\r\n"):
                writer.write(head % len(QUOTE) + QUOTE)
                await writer.drain()
    finally:
        writer.close()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


async def wait_until_live(client: httpx2.AsyncClient, service: asyncio.subprocess.Process) -> None:
    deadline = time.monotonic() + 30
    while service.returncode is None:
        try:
            if (await client.get("/health/live")).status_code == 200:
                return
        except httpx2.TransportError:
            if time.monotonic() > deadline:
                break
            await asyncio.sleep(0.1)
    raise SystemExit("the service did not answer on /health/live")


def report(results: Results, concurrency: int, elapsed: float) -> None:
    count = len(results.latencies) + len(results.errors)
    print(f"{count} requests, {concurrency} at a time, {elapsed:.2f} s, {count / elapsed:.0f}/s")
    print(f"errors: {len(results.errors)}")
    for error in results.errors[:10]:
        print(f"  {error}")
    if len(results.latencies) >= 2:
        cuts = statistics.quantiles(results.latencies, n=100, method="inclusive")
        p50, p90, p99 = (1000 * cuts[index] for index in (49, 89, 98))
        worst = 1000 * max(results.latencies)
        print(f"latency ms: p50 {p50:.1f}  p90 {p90:.1f}  p99 {p99:.1f}  max {worst:.1f}")


{% if cookiecutter.auth == "jwt" -%}
async def main(requests: int, concurrency: int, token: str | None) -> int:
{%- else -%}
async def main(requests: int, concurrency: int) -> int:
{%- endif %}
    upstream = await asyncio.start_server(answer_quotes, "127.0.0.1", 0)
    upstream_port = upstream.sockets[0].getsockname()[1]
    port = free_port()
    service = await asyncio.create_subprocess_exec(
        *(sys.executable, "-m", "uvicorn", APP, "--host", "127.0.0.1", "--port", str(port)),
        *("--log-level", "warning"),
        env={**os.environ, f"{PREFIX}QUOTES_URL": f"http://127.0.0.1:{upstream_port}"},
    )
    results = Results()
    limits = httpx2.Limits(max_connections=concurrency)
    try:
{%- if cookiecutter.auth == "jwt" %}
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        async with httpx2.AsyncClient(
            base_url=f"http://127.0.0.1:{port}", limits=limits, headers=headers
        ) as client:
{%- else %}
        async with httpx2.AsyncClient(base_url=f"http://127.0.0.1:{port}", limits=limits) as client:
{%- endif %}
            await wait_until_live(client, service)
            gate = asyncio.Semaphore(concurrency)

            async def one_journey() -> None:
                async with gate:
                    await journey(client, results)

            started = time.perf_counter()
            await asyncio.gather(*(one_journey() for _ in range(max(1, requests // STEPS))))
            elapsed = time.perf_counter() - started
    finally:
        service.terminate()
        await service.wait()
        # Only now: from Python 3.12 on, wait_closed waits for every connection, and the
        # service keeps its connections to the upstream alive until it exits.
        upstream.close()
        await upstream.wait_closed()
    report(results, concurrency, elapsed)
    return 1 if results.errors else 0


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=2000, help="about how many in all")
    parser.add_argument("--concurrency", type=int, default=50, help="how many at a time")
{%- if cookiecutter.auth == "jwt" %}
    parser.add_argument(
        "--token",
        default=os.environ.get("LOAD_CHECK_TOKEN"),
        help="an access token{% if cookiecutter.database != "none" %} with the items:write scope{% endif %}",
    )
    arguments = parser.parse_args()
    sys.exit(asyncio.run(main(arguments.requests, arguments.concurrency, arguments.token)))
{%- else %}
    arguments = parser.parse_args()
    sys.exit(asyncio.run(main(arguments.requests, arguments.concurrency)))
{%- endif %}
