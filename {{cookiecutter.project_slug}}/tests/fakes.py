"""Stand-ins for what lies outside the service, faked at the transport level."""

from collections.abc import Callable

import httpx

UPSTREAM = "http://quotes.test"

Handler = Callable[[httpx.Request], httpx.Response]


class FakeUpstream:
    """Answers the shared HTTP client's calls at the transport level; tests set `handler`."""

    def __init__(self) -> None:
        self.requests: list[httpx.Request] = []
        self.handler: Handler = lambda request: httpx.Response(404)

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        return self.handler(request)
