"""One log line per request: method, route template, status, duration and (from the log filter)
the request id. It replaces uvicorn's access log, which knows neither the route nor the id."""

import logging

from starlette.types import Scope

logger = logging.getLogger(__name__)


class AccessLog:
    """A request observer (request_observer.py) that writes the line."""

    def started(self) -> None:
        pass

    def finished(self, scope: Scope, route: str, status: int, seconds: float) -> None:
        method, duration_ms = scope["method"], round(seconds * 1000, 2)
        logger.info(
            "%s %s %d %.2f ms",
            method,
            route,
            status,
            duration_ms,
            extra={
                "method": method,
                "route": route,
                "path": scope["path"],
                "status": status,
                "duration_ms": duration_ms,
{%- if cookiecutter.auth == "jwt" %}
                # Set once the request's access token was verified (auth/caller.py).
                "subject": scope.get("state", {}).get("auth_subject"),
{%- endif %}
            },
        )
