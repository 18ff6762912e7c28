"""A database that is down or overloaded answers 503, a problem the client may retry later,
instead of a 500 that says the service itself is broken."""

import logging
import traceback

from fastapi import Request, Response
from sqlalchemy import exc

from {{ cookiecutter.package_name }}.errors import ExceptionHandlers, problem

logger = logging.getLogger(__name__)

UNAVAILABLE = "The database is unavailable; try again later."


def _from_the_database(error: OSError) -> bool:
    """A refused or timed-out connect surfaces as a bare OSError; only one raised while
    SQLAlchemy was connecting is the database's."""
    frames = traceback.extract_tb(error.__traceback__)
    return any("/sqlalchemy/" in frame.filename for frame in frames)


def _is_unavailable(error: Exception) -> bool:
    if isinstance(error, exc.DBAPIError):
        return error.connection_invalidated or isinstance(
            error, exc.OperationalError | exc.InterfaceError
        )
    if isinstance(error, OSError):
        return _from_the_database(error)
    # The pool stayed full for the whole pool timeout.
    return isinstance(error, exc.TimeoutError)


async def database_unavailable_handler(request: Request, error: Exception) -> Response:
    if not _is_unavailable(error):
        # Not an outage (a bad query, a file error): the unhandled-error middleware answers 500.
        raise error
    logger.warning("Database unavailable on %s %s: %r", request.method, request.url.path, error)
    return problem(request, 503, UNAVAILABLE)


DATABASE_EXCEPTION_HANDLERS: ExceptionHandlers = {
    exc.DBAPIError: database_unavailable_handler,
    exc.TimeoutError: database_unavailable_handler,
    OSError: database_unavailable_handler,
}
