"""What the observability middleware costs: `/health/live` throughput with and without it.

The app is driven in-process by raw ASGI calls, with no server and no HTTP client: the figures
hold only the app's own work, where the middleware's share is largest (behind uvicorn, whose
own work per request is the same for both, the ratio is closer to 1). Throughput is counted per
second of this process's CPU time, so other processes on the machine do not skew it, and the
apps take turns, round after round. Access lines are formatted as in production and written to
/dev/null. A third app keeps the middleware but writes no access line, to tell the cost of the
line from the cost of the rest.

    uv run python scripts/bench_middleware.py [--rounds 10] [--requests 2000]
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
from starlette.types import Message

from {{ cookiecutter.package_name }}.app import create_app
from {{ cookiecutter.package_name }}.observability import access_log
from {{ cookiecutter.package_name }}.observability.logging_config import ServiceLogHandler
from {{ cookiecutter.package_name }}.settings import Settings

GOAL = 0.9
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
    "headers": [(b"host", b"bench"), (b"accept", b"application/json")],
    "client": ("127.0.0.1", 50000),
    "server": ("127.0.0.1", 8000),
}


async def receive() -> Message:
    return {"type": "http.request", "body": b"", "more_body": False}


async def requests_per_cpu_second(app: FastAPI, requests: int, quiet: bool = False) -> float:
    statuses: set[int] = set()

    async def send(message: Message) -> None:
        if message["type"] == "http.response.start":
            statuses.add(message["status"])

    access_log.logger.disabled = quiet
    started = process_time()
    for _ in range(requests):
        await app(dict(SCOPE), receive, send)
    elapsed = process_time() - started
    if statuses != {200}:
        raise RuntimeError(f"/health/live answered {statuses}")
    return requests / elapsed


def figures(rates: dict[str, float]) -> str:
    return ", ".join(f"{name} {rate:6.0f}" for name, rate in rates.items())


async def main(rounds: int, requests: int, log: TextIO) -> None:
    settings = Settings(_env_file=None, environment="production")
    observed = create_app(settings)
    bare = create_app(settings)
    bare.user_middleware.clear()  # the stack is built at the first request: without them
    for handler in logging.getLogger().handlers:
        if isinstance(handler, ServiceLogHandler):
            handler.setStream(log)
    variants = {"with": (observed, False), "without": (bare, False), "no line": (observed, True)}
    results: dict[str, list[float]] = {name: [] for name in variants}
    async with AsyncExitStack() as stack:
        for app in (observed, bare):
            await stack.enter_async_context(app.router.lifespan_context(app))
            await requests_per_cpu_second(app, requests // 10)  # lazy imports, first series
        for number in range(rounds):
            turns = list(variants.items())
            for name, (app, quiet) in turns[number % 3 :] + turns[: number % 3]:
                results[name].append(await requests_per_cpu_second(app, requests, quiet))
            print(f"round {number + 1:2}: {figures({n: r[-1] for n, r in results.items()})}")
    median = {name: statistics.median(rates) for name, rates in results.items()}
    print(f"median:   {figures(median)} requests per CPU second")
    for name in ("with", "no line"):
        cost = (1 / median[name] - 1 / median["without"]) * 1e6
        print(f"middleware {name}: {cost:.1f} us per request")
    ratio = median["with"] / median["without"]
    verdict = "meets" if ratio >= GOAL else "misses"
    print(f"overhead ratio {ratio:.3f} (with / without): {verdict} the goal of {GOAL}")
    print(f"without writing the access line: {median['no line'] / median['without']:.3f}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description="Throughput with and without the middleware.")
    parser.add_argument("--rounds", type=int, default=9)
    parser.add_argument("--requests", type=int, default=2000)
    arguments = parser.parse_args()
    with open(os.devnull, "w") as devnull:
        asyncio.run(main(arguments.rounds, arguments.requests, devnull))
