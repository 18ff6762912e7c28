"""Security headers on every response, errors included: what a browser may do with an answer."""

from collections.abc import Collection

from starlette.types import ASGIApp, Message, Receive, Scope, Send

# The API answers JSON: nothing in it may run, load, frame or be framed.
API_POLICY = "default-src 'none'; frame-ancestors 'none'"

HEADERS = [
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"no-referrer"),
    (b"cross-origin-resource-policy", b"same-origin"),
    # Browsers ignore it over plain HTTP (RFC 6797); behind TLS it keeps them on HTTPS.
    (b"strict-transport-security", b"max-age=31536000"),
]


class SecurityHeadersMiddleware:
    """Pure ASGI: adds the headers as the response starts.

    The API docs pages load Swagger UI and ReDoc scripts and styles, which the strict content
    policy would block, so `html_paths` get every header but that one.
    """

    def __init__(self, app: ASGIApp, html_paths: Collection[str] = ()) -> None:
        self.app = app
        self.html_paths = frozenset(html_paths)
        # Built once: every response adds one of these two lists unchanged.
        self.html_headers = HEADERS
        self.api_headers = [*HEADERS, (b"content-security-policy", API_POLICY.encode("latin-1"))]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = self.html_headers if scope["path"] in self.html_paths else self.api_headers

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", ()), *headers]
            await send(message)

        await self.app(scope, receive, send_with_headers)
