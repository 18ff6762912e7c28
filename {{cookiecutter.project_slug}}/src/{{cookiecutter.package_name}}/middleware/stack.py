"""The whole middleware order, outermost first, and the service's own layers in one ASGI hop.

Each hop costs a coroutine and a wrapped `send` on every request, so the service's layers (the
request id, the observers, the security headers, the catch-all for unhandled errors, trusted
hosts and the body limit) run in one; the logic of each lives in its own module here. Starlette's
CORS follows only when origins are set, then the optional parts' layers: they see only requests
that passed the guards.
"""

from collections.abc import Sequence
from functools import partial
from time import perf_counter

from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from {{ cookiecutter.package_name }}.errors import problem
from {{ cookiecutter.package_name }}.errors.unhandled import UNEXPECTED, log_unhandled
from {{ cookiecutter.package_name }}.middleware.body_limit import (
    BodyTooLargeError,
    declared_length,
    limited,
)
from {{ cookiecutter.package_name }}.middleware.request_id import HEADER_KEY, request_id_for
from {{ cookiecutter.package_name }}.middleware.request_observer import RequestObserver
from {{ cookiecutter.package_name }}.middleware.security_headers import security_headers
from {{ cookiecutter.package_name }}.middleware.trusted_hosts import REFUSED, TrustedHosts
from {{ cookiecutter.package_name }}.observability.routes import RouteTemplates
from {{ cookiecutter.package_name }}.request_id import HEADER, request_id_var
from {{ cookiecutter.package_name }}.settings import Settings


def cors(app: ASGIApp, origins: list[str]) -> ASGIApp:
    """`app` behind CORS, or `app` itself without origins: a browser then refuses cross-origin
    answers by itself, and no request pays for a check that could only say no."""
    if not origins:
        return app
    return CORSMiddleware(
        app,
        allow_origins=origins,
        allow_methods=["GET", "POST", "PATCH", "DELETE"],
        allow_headers=["Content-Type", HEADER],
        expose_headers=[HEADER],
    )


class ServiceMiddleware:
    """Pure ASGI, in this order: set the request id and start the observers; add the id and the
    security headers to whatever answer leaves, errors included; refuse a foreign Host and a
    declared body over the limit; count a body sent without a length; catch what the app raises,
    log it with the request id and answer a 500 problem. The service's own answers pass CORS
    like the app's."""

    def __init__(
        self, app: ASGIApp, settings: Settings, observers: Sequence[RequestObserver] = ()
    ) -> None:
        self.app = cors(app, settings.cors_origins)
        self.with_cors = partial(cors, origins=settings.cors_origins)
        self.observers = tuple(observers)
        self.routes = RouteTemplates()
        self.hosts = TrustedHosts(settings.trusted_hosts)
        self.max_body_bytes = settings.max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = request_id_for(scope)
        headers = [(HEADER_KEY, request_id.encode("latin-1")), *security_headers(scope)]
        # 0 until a response starts.
        status = 0

        async def send_with_headers(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message["headers"] = [*message.get("headers", ()), *headers]
            await send(message)

        token = request_id_var.set(request_id)
        for observer in self.observers:
            observer.started()
        started = perf_counter()
        try:
            await self.guarded(scope, receive, send_with_headers)
        except Exception as error:
            log_unhandled(scope, error)
            if status:
                # Half a response is on the wire: the server can only drop the connection.
                raise
            await self.answer(scope, receive, send_with_headers, 500, UNEXPECTED)
        finally:
            if self.observers:
                # Unless a response started, the server answers 500 (an error escaped).
                self.finish(scope, status or 500, perf_counter() - started)
            request_id_var.reset(token)

    async def guarded(self, scope: Scope, receive: Receive, send: Send) -> None:
        if not self.hosts.allow(scope):
            await self.answer(scope, receive, send, 400, REFUSED)
        elif declared_length(scope) > self.max_body_bytes:
            detail = BodyTooLargeError(self.max_body_bytes).detail
            await self.answer(scope, receive, send, 413, detail)
        else:
            await self.app(scope, limited(receive, self.max_body_bytes), send)

    async def answer(
        self, scope: Scope, receive: Receive, send: Send, status: int, detail: str
    ) -> None:
        response = problem(Request(scope), status, detail)
        await self.with_cors(response)(scope, receive, send)

    def finish(self, scope: Scope, status: int, seconds: float) -> None:
        route = self.routes(scope)
        for observer in self.observers:
            observer.finished(scope, route, status, seconds)


def service_middleware(
    settings: Settings, observers: Sequence[RequestObserver], parts: Sequence[Middleware]
) -> list[Middleware]:
    """Pure ASGI only, outermost first: the service's own hop, then the optional parts' layers."""
    return [Middleware(ServiceMiddleware, settings=settings, observers=observers), *parts]
