"""Every request carries an id: the caller's `X-Request-ID` when it is sane, a new one otherwise.

The id lives in a context variable for the length of the request (middleware/request_id.py sets
it), so log lines, problem bodies and outbound calls can all carry it without passing it around.
"""

from contextvars import ContextVar

import httpx2

HEADER = "X-Request-ID"

request_id_var: ContextVar[str | None] = ContextVar("request_id", default=None)


def current_request_id() -> str | None:
    """The id of the request being handled, or None outside a request."""
    return request_id_var.get()


async def propagate_request_id(request: httpx2.Request) -> None:
    """An httpx2 request hook: outbound calls carry the id of the request that made them."""
    request_id = request_id_var.get()
    if request_id is not None and HEADER not in request.headers:
        request.headers[HEADER] = request_id
