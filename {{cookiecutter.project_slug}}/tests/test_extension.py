"""The seam the optional parts plug into: each part's contributions reach the app, its lifespan
runs inside the service's own resources in list order, and readiness asks its probes."""

import logging
from collections.abc import AsyncIterator, Mapping, Sequence
from contextlib import asynccontextmanager
from typing import Any

import httpx2
import pytest
from fastapi import APIRouter, FastAPI
from starlette.middleware import Middleware
from starlette.responses import PlainTextResponse
from starlette.types import ASGIApp, Receive, Scope, Send

from {{ cookiecutter.package_name }}.app import create_app
from {{ cookiecutter.package_name }}.extension import Extension, Extensions
from {{ cookiecutter.package_name }}.health.probes import Probe
from {{ cookiecutter.package_name }}.middleware.request_observer import RequestObserver
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


class Marking:
    """A pure-ASGI layer that notes each request it sees."""

    def __init__(self, app: ASGIApp, name: str, events: list[str]) -> None:
        self.app, self.name, self.events = app, name, events

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            self.events.append(f"middleware {self.name}")
        await self.app(scope, receive, send)


async def answers() -> None:
    pass


async def does_not_answer() -> None:
    raise ConnectionError("down")


class Recorder(Extension):
    """Notes what the app does with each of its contributions."""

    def __init__(self, name: str, events: list[str], probe: Probe | None = None) -> None:
        self.name, self.events, self.probe = name, events, probe
        self.log_filter = logging.Filter()

    def log_filters(self) -> Sequence[logging.Filter]:
        return [self.log_filter]

    def app_options(self) -> Mapping[str, Any]:
        return {"summary": f"summary from {self.name}"} if self.name == "second" else {}

    def request_observers(self) -> Sequence[RequestObserver]:
        return [Observer(self.name, self.events)]

    def middleware(self) -> Sequence[Middleware]:
        return [Middleware(Marking, name=self.name, events=self.events)]

    def routers(self) -> Sequence[APIRouter]:
        router = APIRouter()
        router.add_route(f"/{self.name}", lambda request: PlainTextResponse(self.name))
        return [router]

    def wrap_transport(self, transport: httpx2.AsyncBaseTransport) -> httpx2.AsyncBaseTransport:
        return Layer(transport, self.name, self.events)

    @asynccontextmanager
    async def lifespan(self, resources: Resources) -> AsyncIterator[None]:
        # The service's own resources are open when a part's lifespan begins.
        assert not resources.http_client.is_closed
        self.events.append(f"open {self.name}")
        yield
        assert not resources.http_client.is_closed
        self.events.append(f"close {self.name}")

    def probes(self) -> Sequence[Probe]:
        return [self.probe] if self.probe else []


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
def probes() -> tuple[Probe | None, Probe | None]:
    return None, None


@pytest.fixture
def extensions(events: list[str], probes: tuple[Probe | None, Probe | None]) -> list[Recorder]:
    return [Recorder("first", events, probes[0]), Recorder("second", events, probes[1])]


@pytest.fixture
def app(
    settings: Settings, upstream: FakeUpstream, extensions: list[Recorder], events: list[str]
) -> FastAPI:
    return create_app(settings, http_transport=Network(upstream, events), extensions=extensions)


async def test_each_lifespan_opens_in_list_order_and_closes_in_reverse_before_the_network(
    app: FastAPI, events: list[str]
) -> None:
    async with app.router.lifespan_context(app):
        assert events == ["open first", "open second"]
        events.clear()
    # The layers pass no close on, and the network is closed all the same, after the parts.
    assert events == ["close second", "close first", "network closed"]


async def test_the_first_listed_layer_is_closest_to_the_network(
    app: FastAPI, events: list[str], upstream: FakeUpstream
) -> None:
    async with app.router.lifespan_context(app):
        resources: Resources = app.state.resources
        events.clear()
        await resources.http_client.get(f"{UPSTREAM}/today")
        assert events == ["call through second", "call through first"]
    assert len(upstream.requests) == 1


async def test_log_filters_observers_middleware_options_and_routes_reach_the_app(
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
        "request started first",
        "request started second",
        "middleware first",
        "middleware second",
        "request finished first /second 200",
        "request finished second /second 200",
    ]


def test_two_parts_setting_one_app_option_is_an_error(events: list[str]) -> None:
    second = Recorder("second", events)
    with pytest.raises(ValueError, match="summary"):
        Extensions([second, second]).app_options()


def test_a_part_is_found_by_its_type(events: list[str]) -> None:
    first = Recorder("first", events)
    assert Extensions([first]).get(Recorder) is first
    with pytest.raises(LookupError, match="Recorder"):
        Extensions([]).get(Recorder)


@pytest.mark.parametrize(
    ("probes", "status", "body"),
    [
        pytest.param(
            (Probe("queue", answers), Probe("cache", answers, required=False)),
            200,
            {"status": "ok", "degraded": []},
            id="all-answer",
        ),
        pytest.param(
            (Probe("queue", answers), Probe("cache", does_not_answer, required=False)),
            200,
            {"status": "degraded", "degraded": ["cache"]},
            id="optional-down",
        ),
    ],
)
async def test_readiness_asks_every_part(app: FastAPI, status: int, body: dict[str, Any]) -> None:
    async with serving(app) as client:
        response = await client.get("/health/ready")
    assert response.status_code == status
    assert response.json() == body


@pytest.mark.parametrize(
    "probes", [(Probe("queue", does_not_answer), Probe("cache", answers, required=False))]
)
async def test_a_required_part_that_does_not_answer_makes_the_service_unready(
    app: FastAPI,
) -> None:
    async with serving(app) as client:
        response = await client.get("/health/ready")
    assert response.status_code == 503
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["detail"] == "The queue does not answer."
