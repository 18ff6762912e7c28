"""Bounded retries with backoff for outbound calls that are safe to repeat.

RFC 9110 (section 9.2.2) names the idempotent methods: sending one twice leaves the server as
sending it once does, so a client may repeat it when it cannot tell whether the first try
arrived. POST and PATCH are not: a retried payment is two payments, so they are never retried
here. A retry is made only for failures that say nothing was answered or the upstream was
momentarily unable to (connection and timeout errors, 502, 503, 504), and only when the body
can be sent again.
"""

import asyncio
import logging
import random
from collections.abc import Awaitable, Callable

import httpx2

logger = logging.getLogger(__name__)

IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE", "PUT", "DELETE"})
RETRY_STATUSES = frozenset({502, 503, 504})
# PoolTimeout is missing on purpose: the service's own pool is full, and a retry adds load.
RETRY_ERRORS = (
    httpx2.NetworkError,
    httpx2.ConnectTimeout,
    httpx2.ReadTimeout,
    httpx2.WriteTimeout,
    httpx2.RemoteProtocolError,
)


class RetryTransport(httpx2.AsyncBaseTransport):
    """Wraps another transport, so it composes with any other wrapper (metering, faking).

    `attempts` counts every try, the first included. Between tries it waits a random time up
    to `base_delay * 2**retry`, capped at `max_delay` ("full jitter": clients that failed
    together do not come back together). `sleep` is what waits; tests pass one that does not.
    """

    def __init__(
        self,
        transport: httpx2.AsyncBaseTransport,
        *,
        attempts: int,
        base_delay: float,
        max_delay: float,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self._transport = transport
        self._attempts = attempts
        self._base_delay = base_delay
        self._max_delay = max_delay
        self._sleep = sleep

    def _delay(self, retry: int) -> float:
        ceiling = min(self._max_delay, self._base_delay * 2**retry)
        return random.uniform(0, ceiling)  # noqa: S311 (jitter, not a secret)

    async def handle_async_request(self, request: httpx2.Request) -> httpx2.Response:
        # A streamed body is consumed by the first try; only bytes in memory can be sent again.
        repeatable = request.method in IDEMPOTENT_METHODS and isinstance(
            request.stream, httpx2.ByteStream
        )
        if not repeatable:
            return await self._transport.handle_async_request(request)
        for retry in range(self._attempts - 1):
            try:
                response = await self._transport.handle_async_request(request)
            except RETRY_ERRORS as error:
                failure = repr(error)
            else:
                if response.status_code not in RETRY_STATUSES:
                    return response
                failure = f"status {response.status_code}"
                await response.aclose()
            delay = self._delay(retry)
            logger.info(
                "Retrying %s %s in %.3f s after %s (try %d of %d)",
                *(request.method, request.url, delay, failure, retry + 2, self._attempts),
            )
            await self._sleep(delay)
        # The last try's outcome, good or bad, is the caller's to handle.
        return await self._transport.handle_async_request(request)

    async def aclose(self) -> None:
        await self._transport.aclose()
