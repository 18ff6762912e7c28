"""The last line of defence: any exception a request raises becomes a logged 500 problem.

Starlette's own catch-all runs outside every user middleware, where the request id is already
gone; the service's middleware (middleware/stack.py) catches inside, so both the log line and the
answer carry it.
"""

import logging

from starlette.types import Scope

from {{ cookiecutter.package_name }}.request_id import current_request_id

logger = logging.getLogger(__name__)

UNEXPECTED = "An unexpected error occurred."


def log_unhandled(scope: Scope, error: Exception) -> None:
    """The log gets the traceback; the client gets nothing it could learn internals from."""
    logger.exception(
        "Unhandled error on %s %s (request id %s)",
        *(scope["method"], scope["path"], current_request_id()),
        exc_info=error,
    )
