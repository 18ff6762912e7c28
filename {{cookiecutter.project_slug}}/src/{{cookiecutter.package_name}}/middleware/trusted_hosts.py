"""Only the Host names the service is meant to answer: a guard against DNS rebinding and forged
links built from the Host header. Starlette's TrustedHostMiddleware answers in plain text; this
one answers with the service's problem format and matches the same patterns."""

from collections.abc import Iterable

from starlette.datastructures import Headers
from starlette.requests import Request
from starlette.types import ASGIApp, Receive, Scope, Send

from {{ cookiecutter.package_name }}.errors import problem


def _host_name(host_header: str) -> str:
    """`example.com:8000` -> `example.com`; `[::1]:8000` -> `::1`."""
    if host_header.startswith("["):
        return host_header[1:].partition("]")[0]
    return host_header.rpartition(":")[0] if host_header.count(":") == 1 else host_header


class TrustedHostsMiddleware:
    """Pure ASGI: `allowed` holds exact names and `*.example.com` patterns (`*` allows any)."""

    def __init__(self, app: ASGIApp, allowed: Iterable[str]) -> None:
        self.app = app
        patterns = [pattern.lower() for pattern in allowed]
        self.allow_any = "*" in patterns
        self.exact = frozenset(p for p in patterns if not p.startswith("*."))
        self.suffixes = tuple(p[1:] for p in patterns if p.startswith("*."))

    def _allowed(self, host: str) -> bool:
        return self.allow_any or host in self.exact or host.endswith(self.suffixes)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        host = _host_name(Headers(scope=scope).get("host", "").lower())
        if self._allowed(host):
            await self.app(scope, receive, send)
            return
        detail = "The Host header names no host this service answers for."
        await problem(Request(scope), 400, detail)(scope, receive, send)
