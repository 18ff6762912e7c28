"""The yardstick: the smallest FastAPI app that answers JSON from an `async def` endpoint.

The generated service's `/health/live` does the same work as `/hello`, so the ratio of the two
is what the template's structure (routers, dependencies, error handlers, middleware, lifespan)
costs per request. `/upstream` calls the upstream stub through a bare shared
`httpx2.AsyncClient` (httpx2's own pool, as the service's) with the generated service's pool
size, to tell the HTTP client's own limits from the template's (retries, metrics, request-id
propagation).
"""

import os
from functools import cache

import httpx2
from fastapi import FastAPI

UPSTREAM_URL = os.environ.get("BENCH_UPSTREAM_URL", "http://127.0.0.1:9")

app = FastAPI()


@cache
def shared_client() -> httpx2.AsyncClient:
    # Made on first use, not in a lifespan, so that `/hello` stays the bare minimum.
    return httpx2.AsyncClient(limits=httpx2.Limits(max_connections=100))


@app.get("/hello")
async def hello() -> dict[str, str]:
    return {"status": "ok"}


@app.get("/upstream")
async def upstream() -> dict[str, str]:
    response = await shared_client().get(f"{UPSTREAM_URL}/today")
    response.raise_for_status()
    quote: dict[str, str] = response.json()
    return quote
