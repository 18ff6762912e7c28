"""What routes declare: a token for any access, scopes for more. Each refusal is a problem
answer with the `WWW-Authenticate` challenge of RFC 6750; the reason is logged, never the token."""

import logging
from typing import Annotated, Any

from fastapi import Depends, HTTPException, Request, Security, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer, SecurityScopes

from {{ cookiecutter.package_name }}.auth.caller import verify_once
from {{ cookiecutter.package_name }}.auth.extension import AuthExtension
from {{ cookiecutter.package_name }}.auth.keys import KeysUnavailableError
from {{ cookiecutter.package_name }}.auth.tokens import InvalidTokenError, Principal, TokenVerifier
from {{ cookiecutter.package_name }}.errors import (
    Responses,
    ServiceUnavailableError,
    problem_response,
)
from {{ cookiecutter.package_name }}.resources import ResourcesDep

logger = logging.getLogger(__name__)

UNAUTHORIZED: Responses = {401: problem_response("The access token is missing or not valid")}
FORBIDDEN: Responses = {403: problem_response("The access token lacks a scope this needs")}
INVALID_CHALLENGE = 'Bearer error="invalid_token"'

# In the OpenAPI document as an HTTP bearer scheme: /docs can authorise with a pasted token.
bearer = HTTPBearer(
    scheme_name="bearer",
    bearerFormat="JWT",
    description="An access token from the identity provider.",
    auto_error=False,
)


async def get_verifier(resources: ResourcesDep) -> TokenVerifier:
    return resources.extensions.get(AuthExtension).verifier()


def refuse(reason: str, challenge: str) -> HTTPException:
    logger.info("refused the request's credentials: %s", reason)
    return HTTPException(
        status.HTTP_401_UNAUTHORIZED,
        "The access token is missing or not valid.",
        headers={"WWW-Authenticate": challenge},
    )


async def verified_principal(
    request: Request,
    credentials: HTTPAuthorizationCredentials | None,
    verifier: TokenVerifier,
) -> Principal:
    if credentials is None:
        if "authorization" not in request.headers:
            # RFC 6750: a request without credentials gets the challenge without an error code.
            raise refuse("no Authorization header", "Bearer")
        raise refuse("the Authorization header holds no bearer token", INVALID_CHALLENGE)
    try:
        return await verify_once(request.scope, credentials.credentials, verifier)
    except InvalidTokenError as error:
        raise refuse(str(error), INVALID_CHALLENGE) from error
    except KeysUnavailableError as error:
        logger.error("could not check a token: %s", error)
        raise ServiceUnavailableError("The service cannot check access tokens just now.") from error


async def authenticate(
    request: Request,
    security_scopes: SecurityScopes,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
    verifier: Annotated[TokenVerifier, Depends(get_verifier)],
) -> Principal:
    """The verified caller, holding every scope the route declares."""
    principal = await verified_principal(request, credentials, verifier)
    missing = sorted(set(security_scopes.scopes) - principal.scopes)
    if missing:
        logger.info("refused %s: no scope %s", principal.subject, " ".join(missing))
        raise HTTPException(
            status.HTTP_403_FORBIDDEN,
            f"The access token lacks the scope {' '.join(missing)}.",
            headers={
                "WWW-Authenticate": (
                    f'Bearer error="insufficient_scope", scope="{security_scopes.scope_str}"'
                )
            },
        )
    return principal


def requires_token() -> Any:
    """A dependency for a route or router that any valid token may call."""
    return Security(authenticate)


def requires_scopes(*scopes: str) -> Any:
    """A dependency for a route that needs a token granting every one of `scopes`; they are
    listed for the route in the OpenAPI document."""
    return Security(authenticate, scopes=list(scopes))


PrincipalDep = Annotated[Principal, Security(authenticate)]
