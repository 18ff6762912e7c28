"""The yardstick: the smallest FastAPI app that answers JSON from an `async def` endpoint.

The generated service's `/health/live` does the same work, so the ratio of the two is what the
template's structure (routers, dependencies, error handlers, lifespan) costs per request.
"""

from fastapi import FastAPI

app = FastAPI()


@app.get("/hello")
async def hello() -> dict[str, str]:
    return {"status": "ok"}
