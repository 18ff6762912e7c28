"""The part of the service that checks access tokens, plugged in through the seam."""

from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager

from fastapi import APIRouter
{%- if cookiecutter.tracing %}
from opentelemetry import trace
from starlette.middleware import Middleware
from starlette.types import ASGIApp, Message, Receive, Scope, Send
{%- endif %}

from {{ cookiecutter.package_name }}.auth.keys import KeySource
from {{ cookiecutter.package_name }}.auth.tokens import {% if cookiecutter.tracing %}SUBJECT_KEY, {% endif %}TokenVerifier
from {{ cookiecutter.package_name }}.extension import Extension
from {{ cookiecutter.package_name }}.resources import Resources

PREFIX = "{{ cookiecutter.__env_prefix }}"


class AuthConfigurationError(RuntimeError):
    """The settings do not say whose tokens to accept."""


{%- if cookiecutter.tracing %}


class SubjectOnSpanMiddleware:
    """Names the verified caller on the request's span (`enduser.id`) as the answer starts. The
    route's dependencies run in spans of their own, below the request's: this layer sits above
    them, where the request's span is the current one."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        span = trace.get_current_span()

        async def send_and_name_the_caller(message: Message) -> None:
            if message["type"] == "http.response.start":
                subject = scope.get("state", {}).get(SUBJECT_KEY)
                if subject is not None:
                    span.set_attribute("enduser.id", subject)
            await send(message)

        await self.app(scope, receive, send_and_name_the_caller)
{%- endif %}


class AuthExtension(Extension):
    """Owns the token verifier, whose keys come through the shared HTTP client."""

    def __init__(self) -> None:
        self._verifier: TokenVerifier | None = None

    def verifier(self) -> TokenVerifier:
        if self._verifier is None:
            raise RuntimeError("the token verifier lives only while the app's lifespan runs")
        return self._verifier

{%- if cookiecutter.tracing %}

    def middleware(self) -> Sequence[Middleware]:
        return [Middleware(SubjectOnSpanMiddleware)]
{%- endif %}

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
