"""The seam between the application factory and the optional parts of the service.

Each optional part, chosen when the service was generated or added since, is an Extension listed
in features.py. It overrides only the hooks it needs; create_app gathers them through
`Extensions`, once each. The seam imports nothing optional.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Iterable, Iterator, Mapping, Sequence
from contextlib import AbstractAsyncContextManager, AsyncExitStack, asynccontextmanager, nullcontext
from typing import TYPE_CHECKING, Any, TypeVar

import httpx2
from fastapi import APIRouter
from starlette.middleware import Middleware

from {{ cookiecutter.package_name }}.health.probes import Probe
from {{ cookiecutter.package_name }}.middleware.request_observer import RequestObserver

if TYPE_CHECKING:
    from {{ cookiecutter.package_name }}.resources import Resources


class Extension:
    """Contributes nothing at every hook: a subclass overrides the ones it needs."""

    def log_filters(self) -> Sequence[logging.Filter]:
        """Filters that add fields to every log line."""
        return ()

    def app_options(self) -> Mapping[str, Any]:
        """Keyword arguments for FastAPI(...)."""
        return {}

    def request_observers(self) -> Sequence[RequestObserver]:
        """Told of every request and its outcome, after the access log."""
        return ()

    def middleware(self) -> Sequence[Middleware]:
        """Pure-ASGI layers inside the service's own: they see requests that passed the guards."""
        return ()

    def routers(self) -> Sequence[APIRouter]:
        """Routes of its own, added after the service's."""
        return ()

    def wrap_transport(self, transport: httpx2.AsyncBaseTransport) -> httpx2.AsyncBaseTransport:
        """A layer around the network under the shared HTTP client, inside the retries: each
        try passes through it."""
        return transport

    def lifespan(self, resources: Resources) -> AbstractAsyncContextManager[None]:
        """Opens what the part owns once the service's own resources are open, and closes it
        before they close."""
        return nullcontext()

    def probes(self) -> Sequence[Probe]:
        """What readiness asks of the part, while its lifespan runs."""
        return ()


E = TypeVar("E", bound=Extension)


class Extensions:
    """The parts of one app, in list order: each hook's contributions gathered in one place."""

    def __init__(self, extensions: Iterable[Extension]) -> None:
        self._all = tuple(extensions)

    def __iter__(self) -> Iterator[Extension]:
        return iter(self._all)

    def get(self, kind: type[E]) -> E:
        """The part of type `kind`, for the dependencies that lend what it opened."""
        for extension in self._all:
            if isinstance(extension, kind):
                return extension
        raise LookupError(f"this app has no {kind.__name__}")

    def log_filters(self) -> list[logging.Filter]:
        return [f for extension in self._all for f in extension.log_filters()]

    def app_options(self) -> dict[str, Any]:
        options: dict[str, Any] = {}
        for extension in self._all:
            clash = options.keys() & extension.app_options().keys()
            if clash:
                raise ValueError(f"two extensions set FastAPI's {', '.join(sorted(clash))}")
            options.update(extension.app_options())
        return options

    def request_observers(self) -> list[RequestObserver]:
        return [o for extension in self._all for o in extension.request_observers()]

    def middleware(self) -> list[Middleware]:
        return [m for extension in self._all for m in extension.middleware()]

    def routers(self) -> list[APIRouter]:
        return [r for extension in self._all for r in extension.routers()]

    def wrap_transport(self, transport: httpx2.AsyncBaseTransport) -> httpx2.AsyncBaseTransport:
        """The first part's layer sits closest to the network."""
        for extension in self._all:
            transport = extension.wrap_transport(transport)
        return transport

    @asynccontextmanager
    async def lifespan(self, resources: Resources) -> AsyncIterator[None]:
        """Each part's lifespan in list order; closed in reverse."""
        async with AsyncExitStack() as stack:
            for extension in self._all:
                await stack.enter_async_context(extension.lifespan(resources))
            yield

    def probes(self) -> list[Probe]:
        return [p for extension in self._all for p in extension.probes()]
