"""Request bodies are bounded: a client cannot make the service buffer more than it allows."""

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from {{ cookiecutter.package_name }}.errors import problem


class BodyTooLargeError(HTTPException):
    """Raised from `receive` once the body passes the limit."""

    def __init__(self, limit: int) -> None:
        super().__init__(413, f"The request body is larger than {limit} bytes.")


class BodyLimitMiddleware:
    """Pure ASGI: refuse a declared Content-Length over the limit before reading anything, and
    count the bytes of a body sent without one (chunked), failing as soon as it goes over."""

    def __init__(self, app: ASGIApp, max_body_bytes: int) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if self._declared_length(scope) > self.max_body_bytes:
            await self._refuse(scope, receive, send)
            return
        received = 0

        async def counting_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_body_bytes:
                    raise BodyTooLargeError(self.max_body_bytes)
            return message

        # The app's HTTPException handler turns the error into the 413 problem, wherever the
        # body is read.
        await self.app(scope, counting_receive, send)

    @staticmethod
    def _declared_length(scope: Scope) -> int:
        for key, value in scope["headers"]:
            if key == b"content-length":
                return int(value) if value.isdigit() else 0
        return 0

    async def _refuse(self, scope: Scope, receive: Receive, send: Send) -> None:
        detail = BodyTooLargeError(self.max_body_bytes).detail
        await problem(Request(scope), 413, detail)(scope, receive, send)
