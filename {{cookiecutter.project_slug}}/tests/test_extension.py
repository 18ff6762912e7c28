"""The seam the optional parts plug into: each hook is called, in list order, at its point of
the build and the lifespan, and what the hooks enter is undone in reverse order."""

import logging
from contextlib import AsyncExitStack
from typing import Any

import httpx2
import pytest
from fastapi import FastAPI
from starlette.responses import PlainTextResponse
from starlette.routing import Route
from starlette.types import Scope

from {{ cookiecutter.package_name }}.app import create_app
from {{ cookiecutter.package_name }}.extension import Extension
{%- if cookiecutter.database != "none" %}
from {{ cookiecutter.package_name }}.infra.database import Database
{%- endif %}
from {{ cookiecutter.package_name }}.loop_lag import LoopLagMonitor
from {{ cookiecutter.package_name }}.observability.request_observer import RequestObserver
from {{ cookiecutter.package_name }}.resources import Resources
from {{ cookiecutter.package_name }}.settings import Settings
from tests.asgi import serving
from tests.fakes import UPSTREAM, FakeUpstream
from tests.log_capture import service_handler


class Layer(httpx2.AsyncBaseTransport):
    """Notes each outbound call that passes through it."""

    def __init__(self, inner: httpx2.AsyncBaseTransport, name: str, events: list[str]) -> None:
        self.inner, self.name, self.events = inner, name, events

    async def handle_async_request(self, request: httpx2.Request) -> httpx2.Response:
        self.events.append(f"call through {self.name}")
        return await self.inner.handle_async_request(request)


class Observer:
    def __init__(self, name: str, events: list[str]) -> None:
        self.name, self.events = name, events

    def started(self) -> None:
        self.events.append(f"request started {self.name}")

    def finished(self, scope: Scope, route: str, status: int, seconds: float) -> None:
        self.events.append(f"request finished {self.name} {route} {status}")


class Recorder(Extension):
    """Notes each hook when it is called, and again when what it entered is undone."""

    def __init__(self, name: str, events: list[str]) -> None:
        self.name, self.events = name, events
        self.log_filter = logging.Filter()

    def _note(self, stack: AsyncExitStack, hook: str) -> None:
        self.events.append(f"{hook} {self.name}")
        stack.callback(self.events.append, f"undo {hook} {self.name}")

    def log_filters(self) -> list[logging.Filter]:
        return [self.log_filter]

    def request_observers(self) -> list[RequestObserver]:
        return [Observer(self.name, self.events)]

    def app_options(self) -> dict[str, Any]:
        return {"summary": f"summary from {self.name}"}

    def add_routes(self, app: FastAPI) -> None:
        app.add_route(f"/{self.name}", lambda request: PlainTextResponse(self.name))

    def start(self, stack: AsyncExitStack) -> None:
        self._note(stack, "start")

    def watch_loop(self, stack: AsyncExitStack, monitor: LoopLagMonitor) -> None:
        assert monitor.running
        self._note(stack, "watch_loop")
{%- if cookiecutter.database != "none" %}

    def watch_database(self, stack: AsyncExitStack, database: Database) -> None:
        self._note(stack, "watch_database")
{%- endif %}

    def wrap_transport(self, transport: httpx2.AsyncBaseTransport) -> httpx2.AsyncBaseTransport:
        self.events.append(f"wrap_transport {self.name}")
        return Layer(transport, self.name, self.events)

    def watch_http_client(self, stack: AsyncExitStack, client: httpx2.AsyncClient) -> None:
        self._note(stack, "watch_http_client")


class Network(httpx2.MockTransport):
    """The fake network, noting when it is closed."""

    def __init__(self, upstream: FakeUpstream, events: list[str]) -> None:
        super().__init__(upstream)
        self.events = events

    async def aclose(self) -> None:
        self.events.append("network closed")


@pytest.fixture
def events() -> list[str]:
    return []


@pytest.fixture
def extensions(events: list[str]) -> list[Recorder]:
    return [Recorder("first", events), Recorder("second", events)]


@pytest.fixture
def app(
    settings: Settings, upstream: FakeUpstream, extensions: list[Recorder], events: list[str]
) -> FastAPI:
    return create_app(settings, http_transport=Network(upstream, events), extensions=extensions)


def in_order(hook: str) -> list[str]:
    return [f"{hook} first", f"{hook} second"]


async def test_the_lifespan_calls_each_hook_in_list_order_and_undoes_them_in_reverse(
    app: FastAPI, events: list[str]
) -> None:
    async with app.router.lifespan_context(app):
        opened = list(events)
        events.clear()
    before_the_client = [
        *in_order("start"),
        *in_order("watch_loop"),
{%- if cookiecutter.database != "none" %}
        *in_order("watch_database"),
{%- endif %}
    ]
    entered = [*before_the_client, *in_order("watch_http_client")]
    assert opened == [
        *before_the_client,
        *in_order("wrap_transport"),
        *in_order("watch_http_client"),
    ]
    # The layers pass no close on, and the network is closed all the same, after the client.
    undone = [f"undo {event}" for event in reversed(entered)]
    assert events == [*undone[:2], "network closed", *undone[2:]]


async def test_the_first_listed_layer_is_closest_to_the_network(
    app: FastAPI, events: list[str], upstream: FakeUpstream
) -> None:
    async with app.router.lifespan_context(app):
        resources: Resources = app.state.resources
        events.clear()
        await resources.http_client.get(f"{UPSTREAM}/today")
    assert events[:2] == ["call through second", "call through first"]
    assert len(upstream.requests) == 1


async def test_the_build_hooks_add_log_filters_observers_options_and_routes(
    app: FastAPI, events: list[str], extensions: list[Recorder]
) -> None:
    assert all(extension.log_filter in service_handler().filters for extension in extensions)
    assert app.summary == "summary from second"
    async with serving(app) as client:
        events.clear()
        response = await client.get("/second")
        observed = list(events)
    assert response.text == "second"
    assert observed == [
        *in_order("request started"),
        *[f"{event} /second 200" for event in in_order("request finished")],
    ]
    last = app.routes[-1]
    assert isinstance(last, Route)
    assert last.path == "/second"
