"""How the tests talk to the service: in-process over ASGI, with the app's lifespan running
(httpx2.ASGITransport alone does not run it, and the lifespan opens every resource)."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx2
from fastapi import FastAPI


@asynccontextmanager
async def serving(app: FastAPI) -> AsyncIterator[httpx2.AsyncClient]:
    """A client of `app`, from its startup to its shutdown."""
    transport = httpx2.ASGITransport(app=app)
    async with (
        app.router.lifespan_context(app),
        httpx2.AsyncClient(transport=transport, base_url="http://test") as client,
    ):
        yield client
