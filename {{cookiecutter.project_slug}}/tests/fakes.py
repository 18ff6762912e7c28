"""Stand-ins for what lies outside the service, faked at the transport level."""

from collections.abc import Callable

import httpx2
{%- if cookiecutter.auth == "jwt" %}

from tests.identity import IdentityProvider
{%- endif %}

UPSTREAM = "http://quotes.test"

Handler = Callable[[httpx2.Request], httpx2.Response]


class FakeUpstream:
{%- if cookiecutter.auth == "jwt" %}
    """Answers the shared HTTP client's calls at the transport level: the identity provider's
    own, and the others by `handler`, which tests set (and `requests` records)."""

    def __init__(self) -> None:
        self.identity = IdentityProvider()
        self.requests: list[httpx2.Request] = []
        self.handler: Handler = lambda request: httpx2.Response(404)

    def __call__(self, request: httpx2.Request) -> httpx2.Response:
        if self.identity.handles(request):
            return self.identity(request)
{%- else %}
    """Answers the shared HTTP client's calls at the transport level; tests set `handler`."""

    def __init__(self) -> None:
        self.requests: list[httpx2.Request] = []
        self.handler: Handler = lambda request: httpx2.Response(404)

    def __call__(self, request: httpx2.Request) -> httpx2.Response:
{%- endif %}
        self.requests.append(request)
        return self.handler(request)
