"""One pure-ASGI middleware times each request and hands the outcome to its observers (the
access log{% if cookiecutter.metrics %}, the metrics{% endif %}): one wrapper around `send`, one clock reading on each side and one
route lookup per request, however many observers there are."""

from collections.abc import Sequence
from time import perf_counter
from typing import Protocol

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from {{ cookiecutter.package_name }}.observability.routes import RouteTemplates


class RequestObserver(Protocol):
    def started(self) -> None:
        """A request is about to be handled."""

    def finished(self, scope: Scope, route: str, status: int, seconds: float) -> None:
        """The request was answered `status` after `seconds`, matched by the `route` template."""


class ObserveRequestsMiddleware:
    """Sits just inside the request-id middleware: observers see every request's final status,
    500s included, and what they log carries the id."""

    def __init__(self, app: ASGIApp, observers: Sequence[RequestObserver]) -> None:
        self.app = app
        self.observers = observers
        self.routes = RouteTemplates()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not self.observers:
            await self.app(scope, receive, send)
            return
        # Unless a response starts, the server answers 500 (an error escaped the app).
        status = 500

        async def send_and_note_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        for observer in self.observers:
            observer.started()
        started = perf_counter()
        try:
            await self.app(scope, receive, send_and_note_status)
        finally:
            seconds = perf_counter() - started
            route = self.routes(scope)
            for observer in self.observers:
                observer.finished(scope, route, status, seconds)
