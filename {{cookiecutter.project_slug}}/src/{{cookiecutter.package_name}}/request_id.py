"""Every request carries an id: the caller's `X-Request-ID` when it is sane, a new one otherwise.

The id lives in a context variable for the length of the request, so log lines, problem bodies
and outbound calls can all carry it without passing it around.
"""

import re
import uuid
from contextvars import ContextVar

import httpx2
from starlette.types import ASGIApp, Message, Receive, Scope, Send

HEADER = "X-Request-ID"
_HEADER_KEY = HEADER.lower().encode("latin-1")
# Short, printable and free of separators: an id that ends up in logs must not forge lines.
_VALID_ID = re.compile(rb"[A-Za-z0-9._:-]{1,128}")

request_id_var: ContextVar[str | None] = ContextVar("request_id", default=None)


def current_request_id() -> str | None:
    """The id of the request being handled, or None outside a request."""
    return request_id_var.get()


def _incoming_id(scope: Scope) -> str | None:
    for key, value in scope["headers"]:
        if key == _HEADER_KEY:
            return value.decode("latin-1") if _VALID_ID.fullmatch(value) else None
    return None


class RequestIdMiddleware:
    """Pure ASGI: sets the id for the request and echoes it on the response."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = _incoming_id(scope) or uuid.uuid4().hex
        header = (_HEADER_KEY, request_id.encode("latin-1"))

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", ()), header]
            await send(message)

        token = request_id_var.set(request_id)
        try:
            await self.app(scope, receive, send_with_id)
        finally:
            request_id_var.reset(token)


async def propagate_request_id(request: httpx2.Request) -> None:
    """An httpx2 request hook: outbound calls carry the id of the request that made them."""
    request_id = request_id_var.get()
    if request_id is not None and HEADER not in request.headers:
        request.headers[HEADER] = request_id
