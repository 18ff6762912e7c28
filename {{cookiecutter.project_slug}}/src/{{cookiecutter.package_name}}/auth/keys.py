"""The identity provider's signing keys: fetched through the shared HTTP client, cached, and
refreshed when they expire or when a token names a key the cache lacks, at most once per
refresh interval however many requests ask."""

import asyncio
import json
import logging
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import unquote, urlsplit

import anyio
import httpx2
from joserfc.errors import JoseError
from joserfc.jwk import Key, import_key

logger = logging.getLogger(__name__)

DISCOVERY_PATH = "/.well-known/openid-configuration"
# An unreachable provider, a file that is not there, a document that is not a JWK Set.
FETCH_ERRORS = (httpx2.HTTPError, OSError, ValueError, KeyError, TypeError, JoseError)


class KeysUnavailableError(Exception):
    """No keys are cached and the identity provider cannot be asked for them now."""


class UnknownKeyError(Exception):
    """The token names a key the identity provider does not publish."""


class KeySource:
    """One JWK Set for the app. `clock` is monotonic seconds (a test hands in its own)."""

    def __init__(
        self,
        client: httpx2.AsyncClient,
        *,
        issuer: str,
        jwks_url: str | None,
        cache_seconds: float,
        refresh_interval: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._client = client
        self._issuer = issuer
        self._jwks_url = jwks_url
        self._cache_seconds = cache_seconds
        self._refresh_interval = refresh_interval
        self._clock = clock
        self._keys: dict[str, Key] = {}
        self._fetched_at: float | None = None
        self._tried_at: float | None = None
        # One fetch at a time: requests that find the cache stale wait for it, not fetch again.
        self._lock = asyncio.Lock()

    async def key(self, kid: str) -> Key:
        """The key named `kid`; raises UnknownKeyError or KeysUnavailableError."""
        if self._expired():
            await self._refresh("none cached" if self._fetched_at is None else "they expired")
        elif kid not in self._keys:
            await self._refresh(f"a token names the unknown key {kid!r}")
        if kid in self._keys:
            return self._keys[kid]
        if self._fetched_at is None:
            raise KeysUnavailableError("the identity provider's keys could not be fetched")
        raise UnknownKeyError(f"no key {kid!r} among the identity provider's keys")

    def _expired(self) -> bool:
        return self._fetched_at is None or self._clock() - self._fetched_at >= self._cache_seconds

    async def _refresh(self, reason: str) -> None:
        tried_before = self._tried_at
        async with self._lock:
            if self._tried_at != tried_before:
                return  # another request fetched while this one waited
            now = self._clock()
            if self._tried_at is not None and now - self._tried_at < self._refresh_interval:
                return
            self._tried_at = now
            try:
                self._keys = await self._fetch()
            except FETCH_ERRORS as error:
                logger.warning(
                    "could not fetch the identity provider's keys (%s): %s; %s",
                    reason,
                    error,
                    "keeping the cached ones" if self._keys else "none are cached",
                )
                return
            self._fetched_at = now
            logger.info("fetched %d signing keys (%s)", len(self._keys), reason)

    async def _fetch(self) -> dict[str, Key]:
        if self._jwks_url is None:
            self._jwks_url = await self._discover()
        document = await self._get_json(self._jwks_url)
        keys: dict[str, Key] = {}
        for entry in document["keys"]:
            # A key for encryption, or of a type this service cannot use, is no key of ours.
            if entry.get("use", "sig") != "sig" or "kid" not in entry:
                continue
            try:
                keys[entry["kid"]] = import_key(entry)
            except (JoseError, ValueError, TypeError, KeyError):
                logger.warning("skipped the identity provider's key %r", entry.get("kid"))
        return keys

    async def _discover(self) -> str:
        """The JWKS URL from the issuer's OpenID configuration, which must name that issuer."""
        document = await self._get_json(self._issuer.rstrip("/") + DISCOVERY_PATH)
        if document.get("issuer") != self._issuer:
            raise ValueError(f"the discovery document names issuer {document.get('issuer')!r}")
        jwks_url: str = document["jwks_uri"]
        return jwks_url

    async def _get_json(self, url: str) -> dict[str, Any]:
        if url.startswith("file://"):
            # A local key file, for development: read in a worker thread, off the loop.
            parsed = json.loads(await anyio.Path(unquote(urlsplit(url).path)).read_text())
        else:
            response = await self._client.get(url, headers={"Accept": "application/json"})
            response.raise_for_status()
            parsed = response.json()
        if not isinstance(parsed, dict):
            raise ValueError(f"{url} holds JSON that is not an object")
        return parsed
