"""A stand-in identity provider: signing keys made here (RSA and EC), its OpenID discovery
document and JWK Set served at the transport level, and access tokens minted on demand."""

import base64
import hashlib
import hmac
import json
import threading
import time
from collections.abc import Iterable, Mapping
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Self

import httpx2
from joserfc import jwt
from joserfc.jwk import ECKey, Key, RSAKey

ISSUER = "http://idp.test/realms/test"
AUDIENCE = "{{ cookiecutter.project_slug }}"
JWKS_URL = f"{ISSUER}/protocol/openid-connect/certs"
DISCOVERY_URL = f"{ISSUER}/.well-known/openid-configuration"
SUBJECT = "user-1"

# Made once, when the tests are collected: an RSA key takes a while to generate, and no test
# should spend that time on its event loop. "rsa-next" is published only once a test rotates.
KEYS: dict[str, Key] = {
    "rsa-1": RSAKey.generate_key(2048, parameters={"kid": "rsa-1", "use": "sig"}),
    "ec-1": ECKey.generate_key("P-256", parameters={"kid": "ec-1", "use": "sig"}),
    "rsa-next": RSAKey.generate_key(2048, parameters={"kid": "rsa-next", "use": "sig"}),
}
ALGORITHMS = {"rsa-1": "RS256", "ec-1": "ES256", "rsa-next": "RS256"}


def mint(
    kid: str = "rsa-1",
    *,
    issuer: str = ISSUER,
    scopes: Iterable[str] = ("items:write",),
    lifetime: int = 300,
    header: dict[str, Any] | None = None,
    **claims: Any,
) -> str:
    """A token as the provider issues it; `claims` replace or (as None) remove standard ones."""
    now = int(time.time())
    payload = {
        "iss": issuer,
        "aud": AUDIENCE,
        "sub": SUBJECT,
        "iat": now,
        "exp": now + lifetime,
        "scope": " ".join(scopes),
        **claims,
    }
    payload = {name: value for name, value in payload.items() if value is not None}
    return jwt.encode({"alg": ALGORITHMS[kid], "kid": kid, **(header or {})}, payload, KEYS[kid])


def segment_bytes(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def segment(data: Mapping[str, Any]) -> str:
    return segment_bytes(json.dumps(data).encode())


def claims_of(token: str) -> dict[str, Any]:
    claims: dict[str, Any] = json.loads(base64.urlsafe_b64decode(token.split(".")[1] + "=="))
    return claims


def bad_tokens(issuer: str = ISSUER) -> dict[str, str]:
    """Tokens the service must refuse with 401, each with what is wrong with it."""
    good = mint(issuer=issuer)
    _, payload, signature = good.split(".")
    now = int(time.time())
    rsa = KEYS["rsa-1"]
    assert isinstance(rsa, RSAKey)
    # HS256 keyed with the published RSA key, as if it were a shared secret.
    hs256 = f"{segment({'alg': 'HS256', 'kid': 'rsa-1'})}.{payload}"
    hs256_mac = hmac.new(rsa.as_pem(private=False), hs256.encode(), hashlib.sha256).digest()
    # A token without the scope, its claims rewritten to grant it.
    unscoped = mint(issuer=issuer, scopes=())
    unscoped_header, _, unscoped_signature = unscoped.split(".")
    scoped = segment({**claims_of(unscoped), "scope": "items:write"})
    retyped = segment({"alg": "RS256", "kid": "rsa-1", "typ": "at+jwt"})
    return {
        "alg none": f"{segment({'alg': 'none', 'kid': 'rsa-1'})}.{payload}.",
        "HS256 signed with the public key": f"{hs256}.{segment_bytes(hs256_mac)}",
        "wrong issuer": mint(issuer=issuer + "/other"),
        "wrong audience": mint(issuer=issuer, aud="another-service"),
        "expired": mint(issuer=issuer, iat=now - 7200, exp=now - 3600),
        "not yet valid": mint(issuer=issuer, nbf=now + 3600),
        "issued in the future": mint(issuer=issuer, iat=now + 3600),
        "no subject": mint(issuer=issuer, sub=None),
        "no expiry": mint(issuer=issuer, exp=None),
        "unknown kid": mint("rsa-next", issuer=issuer),
        "tampered payload": f"{unscoped_header}.{scoped}.{unscoped_signature}",
        "tampered header": f"{retyped}.{payload}.{signature}",
        "truncated": good[:-20],
        "extra segments": f"{good}.e30",
        "alg not a string": f"{segment({'alg': ['RS256'], 'kid': 'rsa-1'})}.{payload}.{signature}",
        "not a JWT": "not-a-token",
        "empty bearer": "",
    }


BAD_TOKENS = list(bad_tokens())


def settings() -> dict[str, Any]:
    """The service's settings for this provider. Key refreshes are not rate-limited here; the
    limit has tests of its own."""
    return {
        "auth_issuer": ISSUER,
        "auth_audience": AUDIENCE,
        "auth_jwks_refresh_interval": 0,
    }


class IdentityProvider:
    """Answers discovery and JWKS requests; `down` makes it answer 503 to both."""

    def __init__(self) -> None:
        self.published = ["rsa-1", "ec-1"]
        # What discovery answers; None: the right document.
        self.discovery: dict[str, Any] | None = None
        self.down = False
        self.requests: list[str] = []

    def rotate(self) -> None:
        """Start signing with a new key, published beside the old ones."""
        self.published.append("rsa-next")

    def jwks(self) -> dict[str, Any]:
        return {"keys": [KEYS[kid].as_dict(private=False) for kid in self.published]}

    def handles(self, request: httpx2.Request) -> bool:
        return str(request.url).startswith(ISSUER)

    def __call__(self, request: httpx2.Request) -> httpx2.Response:
        self.requests.append(str(request.url))
        if self.down:
            return httpx2.Response(503)
        if str(request.url) == DISCOVERY_URL:
            document = {"issuer": ISSUER, "jwks_uri": JWKS_URL}
            return httpx2.Response(200, json=document if self.discovery is None else self.discovery)
        if str(request.url) == JWKS_URL:
            return httpx2.Response(200, json=self.jwks())
        return httpx2.Response(404)


class IdentityServer:
    """The provider on 127.0.0.1, for a service in another process: discovery and the JWK Set,
    with its own URL as the issuer."""

    def __init__(self) -> None:
        provider = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                documents = {
                    "/.well-known/openid-configuration": {
                        "issuer": provider.issuer,
                        "jwks_uri": f"{provider.issuer}/jwks",
                    },
                    "/jwks": IdentityProvider().jwks(),
                }
                if self.path not in documents:
                    self.send_error(404)
                    return
                body = json.dumps(documents[self.path]).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: object) -> None:
                """Quiet: the test reads the service's output, not this one's."""

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.issuer = f"http://127.0.0.1:{self._server.server_address[1]}"

    def __enter__(self) -> Self:
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._server.shutdown()
        self._server.server_close()
