"""Security headers on every response, errors included: what a browser may do with an answer."""

from starlette.types import Scope

# The API answers JSON: nothing in it may run, load, frame or be framed.
API_POLICY = "default-src 'none'; frame-ancestors 'none'"

# FastAPI's HTML pages for the API docs, which load Swagger UI and ReDoc scripts and styles that
# the API's own policy forbids: they get every header but that one.
DOCS_PAGES = frozenset({"/docs", "/docs/oauth2-redirect", "/redoc"})

DOCS_HEADERS = [
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"no-referrer"),
    (b"cross-origin-resource-policy", b"same-origin"),
    # Browsers ignore it over plain HTTP (RFC 6797); behind TLS it keeps them on HTTPS.
    (b"strict-transport-security", b"max-age=31536000"),
]
API_HEADERS = [*DOCS_HEADERS, (b"content-security-policy", API_POLICY.encode("latin-1"))]


def security_headers(scope: Scope) -> list[tuple[bytes, bytes]]:
    """Built once: every response adds one of the two lists unchanged."""
    return DOCS_HEADERS if scope["path"] in DOCS_PAGES else API_HEADERS
