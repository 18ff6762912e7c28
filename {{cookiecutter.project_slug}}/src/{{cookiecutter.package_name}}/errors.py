"""One error format for every failure: RFC 9457 problem details."""

import logging
from collections.abc import Callable, Coroutine
from http import HTTPStatus
from typing import Any

from fastapi import Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException

from {{ cookiecutter.package_name }}.request_id import current_request_id

PROBLEM_JSON = "application/problem+json"

logger = logging.getLogger(__name__)


class ServiceError(Exception):
    """An expected failure that the client can act on; the message is safe to show."""

    status = HTTPStatus.INTERNAL_SERVER_ERROR

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


class NotFoundError(ServiceError):
    status = HTTPStatus.NOT_FOUND


class ConflictError(ServiceError):
    status = HTTPStatus.CONFLICT


class UpstreamError(ServiceError):
    status = HTTPStatus.BAD_GATEWAY


class UpstreamTimeoutError(ServiceError):
    status = HTTPStatus.GATEWAY_TIMEOUT


class ServiceUnavailableError(ServiceError):
    status = HTTPStatus.SERVICE_UNAVAILABLE


def problem(request: Request, status: int, detail: str, **extra: Any) -> JSONResponse:
    body = {
        "type": "about:blank",
        "title": HTTPStatus(status).phrase,
        "status": status,
        "detail": detail,
        "instance": request.url.path,
        "request_id": current_request_id(),
        **extra,
    }
    return JSONResponse(body, status_code=status, media_type=PROBLEM_JSON)


async def service_error_handler(request: Request, exc: ServiceError) -> JSONResponse:
    return problem(request, exc.status, exc.detail)


async def http_error_handler(request: Request, exc: HTTPException) -> JSONResponse:
    response = problem(request, exc.status_code, str(exc.detail))
    if exc.headers:
        response.headers.update(exc.headers)
    return response


async def validation_error_handler(request: Request, exc: RequestValidationError) -> JSONResponse:
    errors = [
        {"loc": list(error["loc"]), "msg": error["msg"], "type": error["type"]}
        for error in exc.errors()
    ]
    return problem(request, 422, "The request is not valid.", errors=errors)


async def unhandled_error_handler(request: Request, exc: Exception) -> JSONResponse:
    # The traceback goes to the log, never to the client.
    logger.error("Unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    return problem(request, 500, "An unexpected error occurred.")


EXCEPTION_HANDLERS: dict[
    int | type[Exception], Callable[[Request, Any], Coroutine[Any, Any, Response]]
] = {
    ServiceError: service_error_handler,
    HTTPException: http_error_handler,
    RequestValidationError: validation_error_handler,
    Exception: unhandled_error_handler,
}
