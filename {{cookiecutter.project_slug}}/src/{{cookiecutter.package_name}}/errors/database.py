"""A database that is down or overloaded answers 503, a problem the client may retry later,
instead of a 500 that says the service itself is broken."""

import logging
from typing import Any

from fastapi import Request, Response
from sqlalchemy import event, exc
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.asyncio import AsyncEngine

from {{ cookiecutter.package_name }}.errors import ExceptionHandlers, problem

logger = logging.getLogger(__name__)

UNAVAILABLE = "The database is unavailable; try again later."


class DatabaseUnreachableError(Exception):
    """Connecting failed below the driver: refused, timed out, no such host."""


def name_connect_failures(engine: AsyncEngine) -> None:
    """A driver such as asyncpg raises a bare OSError when it cannot connect, which SQLAlchemy
    passes on unwrapped: give it a type of its own, so an OSError from elsewhere (a file the
    code reads) stays a 500."""

    def connect(dialect: Dialect, record: Any, cargs: Any, cparams: Any) -> Any:
        try:
            return dialect.connect(*cargs, **cparams)
        except OSError as error:
            raise DatabaseUnreachableError(str(error) or type(error).__name__) from error

    event.listen(engine.sync_engine, "do_connect", connect)


def _is_unavailable(error: Exception) -> bool:
    if isinstance(error, exc.DBAPIError):
        return error.connection_invalidated or isinstance(
            error, exc.OperationalError | exc.InterfaceError
        )
    # Unreachable, or the pool stayed full for the whole pool timeout.
    return isinstance(error, DatabaseUnreachableError | exc.TimeoutError)


async def database_unavailable_handler(request: Request, error: Exception) -> Response:
    if not _is_unavailable(error):
        # Not an outage (a bad query, a broken constraint): the service's middleware answers 500.
        raise error
    logger.warning("Database unavailable on %s %s: %r", request.method, request.url.path, error)
    return problem(request, 503, UNAVAILABLE)


DATABASE_EXCEPTION_HANDLERS: ExceptionHandlers = {
    exc.DBAPIError: database_unavailable_handler,
    exc.TimeoutError: database_unavailable_handler,
    DatabaseUnreachableError: database_unavailable_handler,
}
