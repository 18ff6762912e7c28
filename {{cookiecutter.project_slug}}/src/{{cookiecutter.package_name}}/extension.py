"""The seam between the application factory and the optional parts of the service.

Each optional part is an Extension that overrides only the hooks it needs. create_app calls
the hooks of every extension, in the order features.py lists them, at fixed points: while it
builds the app, and in the lifespan as each resource opens. What a hook enters on the lifespan's
exit stack is undone in reverse order on shutdown, like the resources themselves.
"""

import logging
from contextlib import AsyncExitStack
from typing import Any

import httpx2
from fastapi import FastAPI

{% if cookiecutter.database != "none" -%}
from {{ cookiecutter.package_name }}.infra.database import Database
{% endif -%}
from {{ cookiecutter.package_name }}.loop_lag import LoopLagMonitor
from {{ cookiecutter.package_name }}.observability.request_observer import RequestObserver


class Extension:
    """Does nothing at every hook: a subclass overrides the ones it needs."""

    def log_filters(self) -> list[logging.Filter]:
        """Filters that add fields to every log line."""
        return []

    def request_observers(self) -> list[RequestObserver]:
        """Observers of every request, after the access log."""
        return []

    def app_options(self) -> dict[str, Any]:
        """Keyword arguments for FastAPI(...)."""
        return {}

    def add_routes(self, app: FastAPI) -> None:
        """Routes of its own, added after the service's."""

    def start(self, stack: AsyncExitStack) -> None:
        """The lifespan begins: what is pushed here runs last on shutdown."""

    def watch_loop(self, stack: AsyncExitStack, monitor: LoopLagMonitor) -> None:
        """The loop-lag monitor is running."""
{%- if cookiecutter.database != "none" %}

    def watch_database(self, stack: AsyncExitStack, database: Database) -> None:
        """The database engine exists."""
{%- endif %}

    def wrap_transport(self, transport: httpx2.AsyncBaseTransport) -> httpx2.AsyncBaseTransport:
        """A layer around the network under the shared client, inside the retries: each try
        passes through it."""
        return transport

    def watch_http_client(self, stack: AsyncExitStack, client: httpx2.AsyncClient) -> None:
        """The shared HTTP client exists."""
