"""What each middleware layer costs: CPU time per `/health/live` request with the whole stack,
without the access line, without each layer in turn, and with no middleware at all.

The app is driven in-process by raw ASGI calls, with no server and no HTTP client: the figures
hold only the app's own work, where the middleware's share is largest (behind uvicorn, whose own
work per request is the same for every variant, the relative cost is smaller). Time is counted in
this process's CPU seconds, so other processes on the machine do not skew it, and the variants
take turns, round after round. Access lines are formatted as in production and written to
/dev/null.

    uv run python scripts/bench_middleware.py [--rounds 9] [--requests 2000]
"""

import argparse
import asyncio
import logging
import os
import statistics
from contextlib import AsyncExitStack
from time import process_time
from typing import TextIO

from fastapi import FastAPI
from starlette.middleware import Middleware
from starlette.types import Message

from {{ cookiecutter.package_name }}.app import create_app
from {{ cookiecutter.package_name }}.observability.logging_config import ServiceLogHandler
from {{ cookiecutter.package_name }}.settings import Settings

FULL, QUIET, BARE = "whole stack", "whole stack, no access line", "no middleware"
SCOPE = {
    "type": "http",
    "asgi": {"version": "3.0"},
    "http_version": "1.1",
    "method": "GET",
    "scheme": "http",
    "path": "/health/live",
    "raw_path": b"/health/live",
    "root_path": "",
    "query_string": b"",
    "headers": [(b"host", b"localhost"), (b"accept", b"application/json")],
    "client": ("127.0.0.1", 50000),
    "server": ("127.0.0.1", 8000),
}


async def receive() -> Message:
    return {"type": "http.request", "body": b"", "more_body": False}


async def cpu_us_per_request(app: FastAPI, requests: int) -> float:
    statuses: set[int] = set()

    async def send(message: Message) -> None:
        if message["type"] == "http.response.start":
            statuses.add(message["status"])

    started = process_time()
    for _ in range(requests):
        await app(dict(SCOPE), receive, send)
    elapsed = process_time() - started
    if statuses != {200}:
        raise RuntimeError(f"/health/live answered {statuses}")
    return elapsed / requests * 1e6


def layer_name(entry: Middleware) -> str:
    return getattr(entry.cls, "__name__", repr(entry.cls))


def variants(settings: Settings) -> dict[str, FastAPI]:
    """The app as deployed, and copies with parts of its middleware taken out."""
    quiet = settings.model_copy(update={"access_log": False})
    apps = {FULL: create_app(settings), QUIET: create_app(quiet)}
    for layer in [*map(layer_name, apps[FULL].user_middleware), BARE]:
        app = create_app(settings)
        # The stack is built at the first request, from this list.
        app.user_middleware = [
            entry for entry in app.user_middleware if layer not in (BARE, layer_name(entry))
        ]
        apps[BARE if layer == BARE else f"without {layer}"] = app
    return apps


async def main(rounds: int, requests: int, log: TextIO) -> None:
    settings = Settings(_env_file=None, environment="production", trusted_hosts=["localhost"])
    apps = variants(settings)
    for handler in logging.getLogger().handlers:
        if isinstance(handler, ServiceLogHandler):
            handler.setStream(log)
    results: dict[str, list[float]] = {name: [] for name in apps}
    async with AsyncExitStack() as stack:
        for app in apps.values():
            await stack.enter_async_context(app.router.lifespan_context(app))
            await cpu_us_per_request(app, requests // 10)  # lazy imports, first series
        turns = list(apps.items())
        for number in range(rounds):
            shift = number % len(turns)
            for name, app in turns[shift:] + turns[:shift]:
                results[name].append(await cpu_us_per_request(app, requests))
    median = {name: statistics.median(figures) for name, figures in results.items()}
    print(f"CPU time per /health/live request, median of {rounds} rounds of {requests}:")
    for name, figure in median.items():
        print(f"  {name:<45} {figure:7.1f} us")
    print("What each part costs (whole stack minus the stack without it):")
    print(f"  {'the access line':<45} {median[FULL] - median[QUIET]:7.1f} us")
    for name in median:
        if name.startswith("without "):
            layer = name.removeprefix("without ")
            print(f"  {layer:<45} {median[FULL] - median[name]:7.1f} us")
    print(f"  {'all middleware':<45} {median[FULL] - median[BARE]:7.1f} us")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description="What each middleware layer costs.")
    parser.add_argument("--rounds", type=int, default=9)
    parser.add_argument("--requests", type=int, default=2000)
    arguments = parser.parse_args()
    with open(os.devnull, "w") as devnull:
        asyncio.run(main(arguments.rounds, arguments.requests, devnull))
