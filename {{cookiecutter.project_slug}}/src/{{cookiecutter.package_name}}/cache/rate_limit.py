"""Rate limiting per client over Redis: a fixed window counted atomically by a Lua script, with
the IETF draft's `RateLimit` and `RateLimit-Policy` headers and, when refused, 429 and
`Retry-After`. When Redis does not answer, requests pass: limiting fails open."""

import math
from collections.abc import Sequence
from dataclasses import dataclass

from redis.asyncio import Redis
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from {{ cookiecutter.package_name }}.cache.client_identity import Network, client_identity
from {{ cookiecutter.package_name }}.cache.events import CacheEvents
from {{ cookiecutter.package_name }}.cache.guard import RedisGuard, RedisUnavailableError
from {{ cookiecutter.package_name }}.errors import problem

# KEYS: the client's counter. ARGV: the window in milliseconds. Returns the count in this
# window and the milliseconds until it ends; a counter left without expiry gets one.
COUNT = """
local count = redis.call('INCR', KEYS[1])
local ttl = redis.call('PTTL', KEYS[1])
if ttl < 0 then
    redis.call('PEXPIRE', KEYS[1], ARGV[1])
    ttl = tonumber(ARGV[1])
end
return {count, ttl}
"""
# Probes, metrics and the API docs are never limited: an orchestrator or a scraper must not be
# locked out by the traffic it watches.
EXEMPT = ("/health", "/metrics", "/docs", "/redoc", "/openapi.json")


@dataclass(frozen=True, slots=True)
class Decision:
    allowed: bool
    remaining: int
    reset: int  # seconds until the window ends


class RateLimiter:
    """At most `limit` requests per `window` seconds for each client identity."""

    def __init__(
        self,
        redis: Redis,
        guard: RedisGuard,
        *,
        prefix: str,
        limit: int,
        window: int,
        trusted_proxies: Sequence[Network],
    ) -> None:
        self.guard = guard
        self.prefix = prefix
        self.limit = limit
        self.window = window
        self.trusted_proxies = trusted_proxies
        self._count = redis.register_script(COUNT)
        # The policy's name, quota (q) and window (w), as the draft writes them.
        self.policy = f'"default";q={limit};w={window}'.encode("latin-1")

    async def decide(self, identity: str) -> Decision | None:
        """None when Redis does not answer."""
        key = f"{self.prefix}rate-limit:{identity}"
        try:
            count, ttl_ms = await self.guard.call(
                "rate_limit", lambda: self._count(keys=[key], args=[self.window * 1000])
            )
        except RedisUnavailableError:
            return None
        reset = max(1, math.ceil(int(ttl_ms) / 1000))
        return Decision(int(count) <= self.limit, max(0, self.limit - int(count)), reset)

    def headers(self, decision: Decision) -> list[tuple[bytes, bytes]]:
        state = f'"default";r={decision.remaining};t={decision.reset}'.encode("latin-1")
        return [(b"ratelimit-policy", self.policy), (b"ratelimit", state)]


class LimiterSource:
    """Holds the limiter the lifespan builds: the middleware is built before it."""

    def __init__(self) -> None:
        self.limiter: RateLimiter | None = None


class RateLimitMiddleware:
    """Pure ASGI: limits every request but the exempt ones while the lifespan runs and the
    limit is on. A request with neither a subject nor a client address (not over TCP) passes."""

    def __init__(self, app: ASGIApp, source: LimiterSource, events: CacheEvents) -> None:
        self.app = app
        self.source = source
        self.events = events

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        limiter = self.source.limiter
        if scope["type"] != "http" or limiter is None or _exempt(scope["path"]):
            await self.app(scope, receive, send)
            return
        identity = client_identity(scope, limiter.trusted_proxies)
        decision = None if identity is None else await limiter.decide(identity)
        if decision is None:
            await self.app(scope, receive, send)
            return
        headers = limiter.headers(decision)
        if not decision.allowed:
            self.events.rate_limited()
            detail = f"Too many requests: at most {limiter.limit} every {limiter.window} s."
            response = problem(Request(scope), 429, detail)
            response.headers["Retry-After"] = str(decision.reset)
            response.raw_headers.extend(headers)
            await response(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", ()), *headers]
            await send(message)

        await self.app(scope, receive, send_with_headers)


def _exempt(path: str) -> bool:
    return any(path == prefix or path.startswith(f"{prefix}/") for prefix in EXEMPT)
