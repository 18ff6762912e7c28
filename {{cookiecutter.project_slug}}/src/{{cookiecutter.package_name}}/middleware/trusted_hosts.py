"""Only the Host names the service is meant to answer: a guard against DNS rebinding and forged
links built from the Host header. Starlette's TrustedHostMiddleware answers in plain text; the
service answers with its problem format and matches the same patterns."""

from collections.abc import Iterable

from starlette.types import Scope

REFUSED = "The Host header names no host this service answers for."


def _host_name(host_header: str) -> str:
    """`example.com:8000` -> `example.com`; `[::1]:8000` -> `::1`."""
    if host_header.startswith("["):
        return host_header[1:].partition("]")[0]
    return host_header.rpartition(":")[0] if host_header.count(":") == 1 else host_header


class TrustedHosts:
    """`allowed` holds exact names and `*.example.com` patterns (`*` allows any)."""

    def __init__(self, allowed: Iterable[str]) -> None:
        patterns = [pattern.lower() for pattern in allowed]
        self.allow_any = "*" in patterns
        self.exact = frozenset(p for p in patterns if not p.startswith("*."))
        self.suffixes = tuple(p[1:] for p in patterns if p.startswith("*."))

    def allow(self, scope: Scope) -> bool:
        if self.allow_any:
            return True
        for key, value in scope["headers"]:
            if key == b"host":
                host = _host_name(value.decode("latin-1").lower())
                return host in self.exact or host.endswith(self.suffixes)
        return "" in self.exact
