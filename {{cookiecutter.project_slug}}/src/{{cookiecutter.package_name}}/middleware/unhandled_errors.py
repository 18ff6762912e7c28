"""The last line of defence: any exception a request raises becomes a logged 500 problem.

Starlette's own catch-all runs outside every user middleware, where the request id is already
gone; this one runs inside RequestIdMiddleware, so both the log line and the answer carry it.
"""

import logging

from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from {{ cookiecutter.package_name }}.errors import problem
from {{ cookiecutter.package_name }}.request_id import current_request_id

logger = logging.getLogger(__name__)


class UnhandledErrorsMiddleware:
    """Pure ASGI: log the traceback, answer a problem without it."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        response_started = False

        async def watch_start(message: Message) -> None:
            nonlocal response_started
            response_started = response_started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, receive, watch_start)
        except Exception as exc:
            request = Request(scope)
            # The log gets the traceback; the client gets nothing it could learn internals from.
            logger.exception(
                "Unhandled error on %s %s (request id %s)",
                *(request.method, request.url.path, current_request_id()),
                exc_info=exc,
            )
            if response_started:
                # Half a response is on the wire: the server can only drop the connection.
                raise
            await problem(request, 500, "An unexpected error occurred.")(scope, receive, send)
