"""Request bodies are bounded: a client cannot make the service buffer more than it allows."""

from starlette.exceptions import HTTPException
from starlette.types import Message, Receive, Scope


class BodyTooLargeError(HTTPException):
    """Raised from `receive` once the body passes the limit; the app's HTTPException handler
    turns it into the 413 problem, wherever the body is read."""

    def __init__(self, limit: int) -> None:
        super().__init__(413, f"The request body is larger than {limit} bytes.")


def declared_length(scope: Scope) -> int:
    """The Content-Length the client declared: a body over the limit is refused unread."""
    for key, value in scope["headers"]:
        if key == b"content-length":
            return int(value) if value.isdigit() else 0
    return 0


def limited(receive: Receive, limit: int) -> Receive:
    """`receive`, counting the bytes of a body sent without a length (chunked) and failing as
    soon as they pass `limit`."""
    received = 0

    async def counting_receive() -> Message:
        nonlocal received
        message = await receive()
        if message["type"] == "http.request":
            received += len(message.get("body", b""))
            if received > limit:
                raise BodyTooLargeError(limit)
        return message

    return counting_receive
