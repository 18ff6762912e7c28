"""A stand-in identity provider: signing keys made here (RSA and EC), its OpenID discovery
document and JWK Set served at the transport level, and access tokens minted on demand."""

import time
from collections.abc import Iterable
from typing import Any

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
    scopes: Iterable[str] = ("items:write",),
    lifetime: int = 300,
    header: dict[str, Any] | None = None,
    **claims: Any,
) -> str:
    """A token as the provider issues it; `claims` replace or (as None) remove standard ones."""
    now = int(time.time())
    payload = {
        "iss": ISSUER,
        "aud": AUDIENCE,
        "sub": SUBJECT,
        "iat": now,
        "exp": now + lifetime,
        "scope": " ".join(scopes),
        **claims,
    }
    payload = {name: value for name, value in payload.items() if value is not None}
    return jwt.encode({"alg": ALGORITHMS[kid], "kid": kid, **(header or {})}, payload, KEYS[kid])


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
