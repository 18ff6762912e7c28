"""The caller, known before the routes run: a bearer token is verified once per request, by
whichever layer asks first, and the outcome stays in the request's state. The middleware here
asks first, so the layers after it know who calls ({% if cookiecutter.cache == "redis" %}the rate limiter counts per caller, {% endif %}the access
line names the caller{% if cookiecutter.tracing %}, and so does the request's span{% endif %}); the routes' dependencies decide what a
missing or refused token means."""

from contextlib import suppress
from typing import TYPE_CHECKING

from fastapi.security.utils import get_authorization_scheme_param
{%- if cookiecutter.tracing %}
from opentelemetry import trace
{%- endif %}
from starlette.datastructures import Headers
from starlette.types import ASGIApp, Receive, Scope, Send

from {{ cookiecutter.package_name }}.auth.keys import KeysUnavailableError
from {{ cookiecutter.package_name }}.auth.tokens import (
    PRINCIPAL_KEY,
    SUBJECT_KEY,
    InvalidTokenError,
    Principal,
    TokenVerifier,
)

if TYPE_CHECKING:
    from {{ cookiecutter.package_name }}.auth.extension import AuthExtension

REFUSAL_KEY = "auth_refusal"


def bearer_token(scope: Scope) -> str | None:
    """The token of an `Authorization: Bearer` header, read as FastAPI's HTTPBearer reads it."""
    scheme, token = get_authorization_scheme_param(Headers(scope=scope).get("authorization"))
    return token if scheme.lower() == "bearer" and token else None


async def verify_once(scope: Scope, token: str, verifier: TokenVerifier) -> Principal:
    """The token's principal, or the error that refused it, however many layers ask."""
    state = scope.setdefault("state", {})
    principal: Principal | None = state.get(PRINCIPAL_KEY)
    if principal is not None:
        return principal
    refusal: InvalidTokenError | KeysUnavailableError | None = state.get(REFUSAL_KEY)
    if refusal is not None:
        raise refusal
    try:
        principal = await verifier.verify(token)
    except (InvalidTokenError, KeysUnavailableError) as error:
        state[REFUSAL_KEY] = error
        raise
    state[PRINCIPAL_KEY] = principal
    state[SUBJECT_KEY] = principal.subject
    return principal


class CallerMiddleware:
    """Pure ASGI: verifies the request's bearer token, if it has one, and refuses nothing."""

    def __init__(self, app: ASGIApp, auth: "AuthExtension") -> None:
        self.app = app
        self.auth = auth

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and (token := bearer_token(scope)) is not None:
            with suppress(InvalidTokenError, KeysUnavailableError):
                principal = await verify_once(scope, token, self.auth.verifier())
{%- if cookiecutter.tracing %}
                # The request's span is the current one here, above the routes' own spans.
                trace.get_current_span().set_attribute("enduser.id", principal.subject)
{%- endif %}
        await self.app(scope, receive, send)
