"""Every Redis call of the service passes here: a failure becomes a fallback, never an error
for the client."""

import logging
import time
from collections.abc import Awaitable, Callable
from typing import TypeVar

from redis.exceptions import RedisError

from {{ cookiecutter.package_name }}.cache.events import CacheEvents

logger = logging.getLogger(__name__)

T = TypeVar("T")

# What a Redis that is down, cut off or slow raises: redis-py wraps socket errors and its own
# timeouts in RedisError; OSError and TimeoutError cover what escapes the wrapping.
REDIS_ERRORS = (RedisError, OSError, TimeoutError)


class RedisUnavailableError(Exception):
    """Redis did not answer, or is being left alone after a failure: do without it."""


class RedisGuard:
    """Turns Redis errors into `RedisUnavailableError`, counts each one, logs at most one warning
    per `log_interval`, and after a failure skips Redis for `backoff` seconds, so that an
    outage costs one timeout per backoff period rather than one per request."""

    def __init__(self, events: CacheEvents, backoff: float, log_interval: float = 60.0) -> None:
        self.events = events
        self.backoff = backoff
        self.log_interval = log_interval
        self._skip_until = 0.0
        self._next_warning = 0.0
        self.degraded = False

    @property
    def available(self) -> bool:
        return time.monotonic() >= self._skip_until

    async def call(
        self, operation: str, call: Callable[[], Awaitable[T]], *, even_in_backoff: bool = False
    ) -> T:
        """Run `call`; `even_in_backoff` for a write that must try even while Redis is skipped."""
        if not (even_in_backoff or self.available):
            raise RedisUnavailableError(operation)
        try:
            result = await call()
        except REDIS_ERRORS as error:
            self._failed(operation, error)
            raise RedisUnavailableError(operation) from error
        if self.degraded:
            self.degraded = False
            logger.info("Redis answers again")
        return result

    def _failed(self, operation: str, error: BaseException) -> None:
        now = time.monotonic()
        self.degraded = True
        self._skip_until = now + self.backoff
        self.events.redis_error(operation)
        if now >= self._next_warning:
            self._next_warning = now + self.log_interval
            # The error's type and text name the host, never the URL, which may hold a password.
            logger.warning(
                "Redis is unavailable (%s: %s); serving without it. "
                "Failures in the next %d s are counted, not logged",
                type(error).__name__,
                error,
                self.log_interval,
            )
