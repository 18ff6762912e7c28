"""One error format for every failure: RFC 9457 problem details.

This package is the one home of errors: here the format and the handlers of the errors the
service expects; in unhandled.py, the log line of whatever else a request raises, which the
service's middleware answers 500{% if cookiecutter.database != "none" %}; in database.py, the 503 of a database that does not answer{% endif %}.
"""

from collections.abc import Callable, Coroutine
from http import HTTPStatus
from typing import Any

from fastapi import Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from starlette.exceptions import HTTPException

from {{ cookiecutter.package_name }}.request_id import current_request_id

PROBLEM_JSON = "application/problem+json"

# A route's `responses`: the answers it documents beyond its success.
Responses = dict[int | str, dict[str, Any]]


class Problem(BaseModel):
    """The body of every error answer, as documented in the OpenAPI schema."""

    type: str
    title: str
    status: int
    detail: str
    instance: str
    request_id: str | None
    # What was wrong with each part of an invalid request (422 only).
    errors: list[dict[str, Any]] | None = None


def problem_response(description: str) -> dict[str, Any]:
    """An OpenAPI response entry for a problem answer, for a route's `responses`."""
    schema = Problem.model_json_schema()
    return {"description": description, "content": {PROBLEM_JSON: {"schema": schema}}}


# Answers any operation may give, whatever it does.
COMMON_RESPONSES: Responses = {
    400: problem_response("The Host header names no host this service answers for"),
    413: problem_response("The request body is larger than the service accepts"),
    422: problem_response("The request is not valid"),
{%- if cookiecutter.cache == "redis" %}
    429: problem_response("The client sent more requests than its limit allows"),
{%- endif %}
    500: problem_response("An unexpected error occurred"),
}

ExceptionHandlers = dict[
    int | type[Exception], Callable[[Request, Any], Coroutine[Any, Any, Response]]
]


class ServiceError(Exception):
    """An expected failure that the client can act on; the message is safe to show."""

    status = HTTPStatus.INTERNAL_SERVER_ERROR

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


{% if cookiecutter.database != "none" -%}
class NotFoundError(ServiceError):
    status = HTTPStatus.NOT_FOUND


class ConflictError(ServiceError):
    status = HTTPStatus.CONFLICT


{% endif -%}
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


# Anything else is answered 500 by the service's middleware, and logged with the request id.
EXCEPTION_HANDLERS: ExceptionHandlers = {
    ServiceError: service_error_handler,
    HTTPException: http_error_handler,
    RequestValidationError: validation_error_handler,
}
