"""The part of the service that checks access tokens, plugged in through the seam."""

from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager

from fastapi import APIRouter
from starlette.middleware import Middleware

from {{ cookiecutter.package_name }}.auth.caller import CallerMiddleware
from {{ cookiecutter.package_name }}.auth.keys import KeySource
from {{ cookiecutter.package_name }}.auth.tokens import TokenVerifier
from {{ cookiecutter.package_name }}.extension import Extension
from {{ cookiecutter.package_name }}.resources import Resources

PREFIX = "{{ cookiecutter.__env_prefix }}"


class AuthConfigurationError(RuntimeError):
    """The settings do not say whose tokens to accept."""


class AuthExtension(Extension):
    """Owns the token verifier, whose keys come through the shared HTTP client."""

    def __init__(self) -> None:
        self._verifier: TokenVerifier | None = None

    def verifier(self) -> TokenVerifier:
        if self._verifier is None:
            raise RuntimeError("the token verifier lives only while the app's lifespan runs")
        return self._verifier

    def middleware(self) -> Sequence[Middleware]:
        return [Middleware(CallerMiddleware, auth=self)]

    def routers(self) -> Sequence[APIRouter]:
        # Imported here: the router's dependencies look this class up.
        from {{ cookiecutter.package_name }}.auth.router import router

        return [router]

    @asynccontextmanager
    async def lifespan(self, resources: Resources) -> AsyncIterator[None]:
        settings = resources.settings
        if settings.auth_issuer is None or settings.auth_audience is None:
            raise AuthConfigurationError(
                f"set {PREFIX}AUTH_ISSUER and {PREFIX}AUTH_AUDIENCE: the identity provider whose"
                " access tokens the API accepts (README.md, Authentication)"
            )
        keys = KeySource(
            resources.http_client,
            issuer=settings.auth_issuer,
            jwks_url=settings.auth_jwks_url,
            cache_seconds=settings.auth_jwks_cache_seconds,
            refresh_interval=settings.auth_jwks_refresh_interval,
        )
        self._verifier = TokenVerifier(
            keys,
            issuer=settings.auth_issuer,
            audience=settings.auth_audience,
            algorithms=settings.auth_algorithms,
            leeway=settings.auth_leeway,
        )
        try:
            yield
        finally:
            self._verifier = None
