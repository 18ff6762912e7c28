"""How the tests talk to the service: in-process over ASGI, with the app's lifespan running
(httpx2.ASGITransport alone does not run it, and the lifespan opens every resource)."""

{% if cookiecutter.broker != "none" -%}
from collections.abc import AsyncIterator, Callable
{%- else -%}
from collections.abc import AsyncIterator
{%- endif %}
from contextlib import asynccontextmanager

import httpx2
from fastapi import FastAPI
{%- if cookiecutter.auth == "jwt" %}

from tests.identity import mint

# Valid for as long as a test run can take.
TOKEN = mint(lifetime=24 * 3600)
{%- endif %}
{%- if cookiecutter.broker != "none" %}

# `create_app` with the fake upstream already given (tests/conftest.py: make_app).
AppFactory = Callable[..., FastAPI]
{%- endif %}


{%- if cookiecutter.auth == "jwt" %}


@asynccontextmanager
async def serving(app: FastAPI, token: str | None = TOKEN) -> AsyncIterator[httpx2.AsyncClient]:
    """A client of `app`, from its startup to its shutdown, sending `token` (by default one
    from the test identity provider that may do anything) with every request."""
    transport = httpx2.ASGITransport(app=app)
    headers = {"Authorization": f"Bearer {token}"} if token is not None else {}
    async with (
        app.router.lifespan_context(app),
        httpx2.AsyncClient(transport=transport, base_url="http://test", headers=headers) as client,
    ):
{%- else %}


@asynccontextmanager
async def serving(app: FastAPI) -> AsyncIterator[httpx2.AsyncClient]:
    """A client of `app`, from its startup to its shutdown."""
    transport = httpx2.ASGITransport(app=app)
    async with (
        app.router.lifespan_context(app),
        httpx2.AsyncClient(transport=transport, base_url="http://test") as client,
    ):
{%- endif %}
        yield client
