"""The service's async rules, checked on the code itself rather than left to review."""

import asyncio
import importlib
import inspect
import pkgutil
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Iterator
from types import ModuleType
from typing import Any

import anyio
import httpx2
import pytest
from blockbuster import BlockingError
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute
from starlette.concurrency import run_in_threadpool
from starlette.routing import BaseRoute

import {{ cookiecutter.package_name }}
from {{ cookiecutter.package_name }}.app import create_app
from {{ cookiecutter.package_name }}.settings import Settings
from tests.asgi import serving
from tests.loop_stalls import STALL_LIMIT, EventLoopStallError


def is_async(function: Callable[..., Any]) -> bool:
    # A dependency may also be an object with an async __call__, as FastAPI's security schemes are.
    call = function if inspect.isroutine(function) else type(function).__call__
    return inspect.iscoroutinefunction(call) or inspect.isasyncgenfunction(call)


def name(function: Callable[..., Any]) -> str:
    return getattr(function, "__qualname__", type(function).__qualname__)


def dependencies(dependant: Dependant) -> Iterator[Callable[..., Any]]:
    for sub in dependant.dependencies:
        if sub.call is not None:
            yield sub.call
        yield from dependencies(sub)


def api_routes(routes: Iterable[BaseRoute]) -> Iterator[APIRoute]:
    for route in routes:
        if isinstance(route, APIRoute):
            yield route
        # An included router (FastAPI 0.16x keeps it whole) or a mount holds more routes.
        nested = getattr(route, "original_router", route)
        yield from api_routes(getattr(nested, "routes", []))


def routes() -> list[APIRoute]:
    return list(api_routes(create_app(Settings(_env_file=None)).routes))


def io_layer_modules() -> Iterator[ModuleType]:
    """The infra package and every domain's repository and client module."""
    package = {{ cookiecutter.package_name }}
    for info in pkgutil.walk_packages(package.__path__, f"{package.__name__}."):
        if ".infra." in info.name or info.name.endswith((".repository", ".client")):
            yield importlib.import_module(info.name)


@pytest.mark.parametrize("route", routes(), ids=lambda route: f"{route.methods} {route.path}")
def test_every_endpoint_and_dependency_is_async(route: APIRoute) -> None:
    # A `def` endpoint or dependency runs in a thread pool: allowed by FastAPI, but here it
    # usually means a blocking call that should have been awaited.
    assert is_async(route.endpoint), f"{name(route.endpoint)} must be `async def`"
    for dependency in dependencies(route.dependant):
        assert is_async(dependency), f"dependency {name(dependency)} must be `async def`"


def test_the_routes_were_found() -> None:
    assert len(routes()) >= 3


def test_io_layer_is_await_only() -> None:
    modules = list(io_layer_modules())
    assert modules, "the I/O layer modules were not found"
    offenders = [
        f"{module.__name__}.{name}"
        for module in modules
        for name, function in inspect.getmembers(module, inspect.isfunction)
        if function.__module__ == module.__name__
        and not name.startswith("_")
        and not is_async(function)
    ]
    assert not offenders, f"public I/O functions must be `async def`: {offenders}"


async def test_a_blocking_call_on_the_event_loop_fails_the_test() -> None:
    with pytest.raises(BlockingError, match=r"time\.sleep"):
        time.sleep(0.001)  # noqa: ASYNC251 (the point of the test)


def compute(seconds: float) -> None:
    """Keep the CPU busy for `seconds` of CPU time, as a long computation does."""
    deadline = time.thread_time() + seconds
    while time.thread_time() < deadline:
        pass


@pytest.mark.xfail(raises=EventLoopStallError, strict=True, reason="the stall check fails it")
async def test_a_long_computation_on_the_event_loop_fails_the_test() -> None:
    # No blocking call for blockbuster to see: only the loop-stall check catches this.
    compute(STALL_LIMIT + 0.05)


@pytest.mark.parametrize(
    "to_thread", [anyio.to_thread.run_sync, run_in_threadpool], ids=["anyio", "starlette"]
)
async def test_work_handed_to_a_worker_thread_is_allowed(
    to_thread: Callable[..., Awaitable[None]],
) -> None:
    """The escape hatch: unavoidable blocking or CPU-bound work runs in a worker thread."""
    await to_thread(time.sleep, 0.001)
    await to_thread(compute, STALL_LIMIT + 0.05)


def test_a_coroutine_never_awaited_is_reported() -> None:
    async def forgotten() -> None:
        pass

    with pytest.warns(RuntimeWarning, match="was never awaited"):
        forgotten()  # type: ignore[unused-coroutine]  # the point of the test


# Requests the test sends at once; the fake upstream answers none of them until all have arrived.
CONCURRENT = 20


@pytest.fixture
async def gathering_upstream_client(settings: Settings) -> AsyncIterator[httpx2.AsyncClient]:
    """The real app and I/O layer, with an upstream that holds every answer until CONCURRENT
    calls are waiting on it at once: requests handled one after another never get there."""
    arrived = 0
    all_arrived = asyncio.Event()

    async def gathering_upstream(request: httpx2.Request) -> httpx2.Response:
        nonlocal arrived
        arrived += 1
        if arrived == CONCURRENT:
            all_arrived.set()
        await all_arrived.wait()
        return httpx2.Response(200, json={"text": "Later.", "author": "Nobody"})

    app = create_app(settings, http_transport=httpx2.MockTransport(gathering_upstream))
{%- if cookiecutter.auth == "jwt" %}
    # The quotes route is open: without a token, no key fetch joins the gathering.
    async with serving(app, token=None) as client:
{%- else %}
    async with serving(app) as client:
{%- endif %}
        yield client


async def test_concurrent_requests_overlap_their_waiting(
    gathering_upstream_client: httpx2.AsyncClient,
) -> None:
    # Overlapped, every request reaches the upstream and all are answered; serialised, the first
    # would wait forever. The deadline only ends that deadlock: it measures no speed.
    with anyio.fail_after(60):
        responses = await asyncio.gather(
            *(gathering_upstream_client.get("/api/v1/quotes/today") for _ in range(CONCURRENT))
        )
    assert {response.status_code for response in responses} == {200}
