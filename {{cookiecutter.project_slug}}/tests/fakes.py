"""Stand-ins for what lies outside the service, faked at the transport level."""

from collections.abc import Callable

import httpx2

UPSTREAM = "http://quotes.test"

Handler = Callable[[httpx2.Request], httpx2.Response]


class FakeUpstream:
    """Answers the shared HTTP client's calls at the transport level; tests set `handler`."""

    def __init__(self) -> None:
        self.requests: list[httpx2.Request] = []
        self.handler: Handler = lambda request: httpx2.Response(404)

    def __call__(self, request: httpx2.Request) -> httpx2.Response:
        self.requests.append(request)
        return self.handler(request)
