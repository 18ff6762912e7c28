"""The protective middleware and its order, outermost first, for `create_app`."""

from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware

from {{ cookiecutter.package_name }}.middleware.body_limit import BodyLimitMiddleware
from {{ cookiecutter.package_name }}.middleware.security_headers import SecurityHeadersMiddleware
from {{ cookiecutter.package_name }}.middleware.trusted_hosts import TrustedHostsMiddleware
from {{ cookiecutter.package_name }}.middleware.unhandled_errors import UnhandledErrorsMiddleware
from {{ cookiecutter.package_name }}.request_id import HEADER
from {{ cookiecutter.package_name }}.settings import Settings

# FastAPI's HTML pages for the API docs, which need scripts the API's own policy forbids.
DOCS_PAGES = ("/docs", "/docs/oauth2-redirect", "/redoc")


def cors_middleware(origins: list[str]) -> list[Middleware]:
    """None without origins: a browser then refuses cross-origin answers by itself, and no
    request pays for a check that could only say no."""
    if not origins:
        return []
    return [
        Middleware(
            CORSMiddleware,
            allow_origins=origins,
            allow_methods=["GET", "POST", "PATCH", "DELETE"],
            allow_headers=["Content-Type", HEADER],
            expose_headers=[HEADER],
        )
    ]


def edge_middleware(settings: Settings) -> list[Middleware]:
    """Every answer, the errors of the layers below included, passes the headers and CORS;
    the error catcher sits inside them so that a 500 carries both."""
    return [
        Middleware(SecurityHeadersMiddleware, html_paths=DOCS_PAGES),
        *cors_middleware(settings.cors_origins),
        Middleware(UnhandledErrorsMiddleware),
        Middleware(TrustedHostsMiddleware, allowed=settings.trusted_hosts),
        Middleware(BodyLimitMiddleware, max_body_bytes=settings.max_body_bytes),
    ]
