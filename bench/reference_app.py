"""The yardstick: the smallest FastAPI app that answers JSON from an `async def` endpoint.

The generated service's `/health/live` does the same work as `/hello`, so the ratio of the two
is what the template's structure (routers, dependencies, error handlers, lifespan) costs per
request. `/upstream` calls the upstream stub through a bare shared `httpx.AsyncClient` with the
generated service's pool size, to tell the HTTP client's own limits from the template's;
`/upstream-aiohttp` does the same over aiohttp's connection pool (the httpx-aiohttp transport),
the alternative the figures are there to weigh.
"""

import os
from functools import cache

import httpx
from fastapi import FastAPI
from httpx_aiohttp import AiohttpTransport

UPSTREAM_URL = os.environ.get("BENCH_UPSTREAM_URL", "http://127.0.0.1:9")

app = FastAPI()


LIMITS = httpx.Limits(max_connections=100)


@cache
def shared_client(transport: str) -> httpx.AsyncClient:
    # Made on first use, not in a lifespan, so that `/hello` stays the bare minimum.
    if transport == "aiohttp":
        return httpx.AsyncClient(transport=AiohttpTransport(limits=LIMITS))
    return httpx.AsyncClient(limits=LIMITS)


async def fetch_quote(transport: str) -> dict[str, str]:
    response = await shared_client(transport).get(f"{UPSTREAM_URL}/today")
    response.raise_for_status()
    quote: dict[str, str] = response.json()
    return quote


@app.get("/hello")
async def hello() -> dict[str, str]:
    return {"status": "ok"}


@app.get("/upstream")
async def upstream() -> dict[str, str]:
    return await fetch_quote("httpx")


@app.get("/upstream-aiohttp")
async def upstream_aiohttp() -> dict[str, str]:
    return await fetch_quote("aiohttp")
