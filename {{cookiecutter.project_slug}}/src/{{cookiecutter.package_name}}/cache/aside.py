"""Cache-aside over Redis: read the cache, load on a miss, store what was loaded; a write
invalidates after its commit.

Two races are closed here. A stampede: concurrent misses of one key in this process share one
load (single flight). A stale store: a read that loaded the old value while a write committed
and invalidated must not put the old value back; each invalidation bumps the key's generation,
and a load is stored only if the generation is still the one read before loading (atomically,
in a Lua script). When an invalidation fails (Redis unreachable), this process reads that key
from the database until a later invalidation gets through; other processes may serve the old
value until its TTL runs out, which is what bounds staleness.
"""

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError
from redis.asyncio import Redis

from {{ cookiecutter.package_name }}.cache.events import CacheEvents
from {{ cookiecutter.package_name }}.cache.guard import RedisGuard, RedisUnavailableError

M = TypeVar("M", bound=BaseModel)

# KEYS: the value, its generation. ARGV: the generation read before loading ('' for none),
# the value, its TTL in milliseconds.
STORE_IF_UNCHANGED = """
if (redis.call('GET', KEYS[2]) or '') == ARGV[1] then
    redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3])
    return 1
end
return 0
"""
# KEYS: the value, its generation. ARGV: the generation's TTL in milliseconds.
INVALIDATE = """
redis.call('DEL', KEYS[1])
redis.call('INCR', KEYS[2])
redis.call('PEXPIRE', KEYS[2], ARGV[1])
return 1
"""
# A generation outlives any load that read it: a load that took longer than this and read no
# generation could store a value invalidated meanwhile.
GENERATION_TTL_MS = 600_000
# Keys whose invalidation is owed to Redis, at most this many; beyond that the TTL alone bounds
# how long other processes can read the old value.
MAX_OWED_INVALIDATIONS = 10_000


class Cache:
    """Values are pydantic models, stored as their JSON under `prefix` + key, for `ttl` seconds."""

    def __init__(
        self, redis: Redis, guard: RedisGuard, events: CacheEvents, prefix: str, ttl: float
    ) -> None:
        self.redis = redis
        self.guard = guard
        self.events = events
        self.prefix = prefix
        self.ttl_ms = max(1, round(ttl * 1000))
        self._store_if_unchanged = redis.register_script(STORE_IF_UNCHANGED)
        self._invalidate = redis.register_script(INVALIDATE)
        self._flights: dict[str, asyncio.Future[Any]] = {}
        self._stored = 0  # loads stored so far: a miss that sees it change reads Redis again
        self._owed: set[str] = set()

    def keys(self, key: str) -> list[str]:
        """The Redis keys of a value and of its generation, in one hash slot (for a cluster)."""
        value = self.prefix + "{" + key + "}"
        return [value, f"{value}:generation"]

    async def read(self, key: str, model: type[M], load: Callable[[], Awaitable[M]]) -> M:
        """The cached value of `key`, or `load()`'s, stored for the next read. Whatever `load`
        raises reaches the caller, and every caller that shared that load."""
        if key in self._owed and not await self._pay_owed():
            return await load()  # Redis may still hold the old value: skip it
        generation: bytes | str | None = None
        for _ in range(2):
            stored_before = self._stored
            try:
                value, generation = await self.guard.call(
                    "get", lambda: self.redis.mget(self.keys(key))
                )
            except RedisUnavailableError:
                return await self._load_once(key, load, generation=None)
            if value is not None:
                try:
                    found = model.model_validate_json(value)
                except ValidationError:
                    pass  # written by another version of the model: load it again
                else:
                    self.events.lookup("hit")
                    return found
            # A load stored a value since this read (perhaps this key's, whose flight has
            # just ended): read once more rather than load the key a second time.
            if key in self._flights or self._stored == stored_before:
                break
        self.events.lookup("miss")
        return await self._load_once(key, load, generation=generation or b"")

    async def invalidate(self, key: str) -> None:
        """Forget `key`, after the write that changed it has committed."""
        try:
            await self._invalidate_now(key, even_in_backoff=True)
        except RedisUnavailableError:
            if len(self._owed) < MAX_OWED_INVALIDATIONS:
                self._owed.add(key)

    async def _invalidate_now(self, key: str, *, even_in_backoff: bool = False) -> None:
        await self.guard.call(
            "invalidate",
            lambda: self._invalidate(keys=self.keys(key), args=[GENERATION_TTL_MS]),
            even_in_backoff=even_in_backoff,
        )

    async def _pay_owed(self) -> bool:
        """Send the invalidations that failed earlier, unless Redis is in its backoff; whether
        all got through."""
        try:
            for key in list(self._owed):
                await self._invalidate_now(key)
                self._owed.discard(key)
        except RedisUnavailableError:
            return False
        return True

    async def _load_once(
        self, key: str, load: Callable[[], Awaitable[M]], generation: bytes | str | None
    ) -> M:
        """Load `key` once for all its concurrent misses in this process; store the value
        unless `generation` is None (Redis did not answer)."""
        while (flight := self._flights.get(key)) is not None:
            # shield: a caller that gives up must not cancel the load the others wait for.
            shared: M | None = await asyncio.shield(flight)
            if shared is not None:
                return shared
            # The loading request was cancelled: the next one in line loads.
        flight = asyncio.get_running_loop().create_future()
        self._flights[key] = flight
        try:
            value = await load()
            if generation is not None:
                await self._store(key, value, generation)
        except Exception as error:
            flight.set_exception(error)
            flight.exception()  # seen: without a waiter, asyncio would log it as lost
            raise
        else:
            flight.set_result(value)
            return value
        finally:
            if not flight.done():  # cancelled: the waiters load for themselves
                flight.set_result(None)
            del self._flights[key]

    async def _store(self, key: str, value: BaseModel, generation: bytes | str) -> None:
        try:
            await self.guard.call(
                "set",
                lambda: self._store_if_unchanged(
                    keys=self.keys(key), args=[generation, value.model_dump_json(), self.ttl_ms]
                ),
            )
        except RedisUnavailableError:
            return
        self._stored += 1
